//! The live revisit as the page holds it: the last `SessionView` from the API, what went wrong, and
//! the one place where every call is made and its result turned into what the page shows next.
//!
//! [`react`] is the decision (plain data in, plain data out, tested on the host);
//! [`LiveSession`] only carries it out on signals.

use crate::api::{Failure, RevisitApi};
use crate::i18n::Lang;
use huifang_core::session::Stage;
use huifang_core::wire::{CodeDelivery, SessionView};
use std::time::Duration;

/// How soon the page looks again at a code whose SMS is on its way to the gateway (issue 19), and
/// how many times at most in a row (the edge settles it within about a second, or retries).
const CODE_LOOK_AGAIN: Duration = Duration::from_millis(1_000);
const CODE_LOOKS: u8 = 30;
use huifang_core::{CodeClass, ErrorCode};
use leptos::prelude::*;

pub use crate::request::{Place, Request};

/// A message shown on the current page, which stays. It holds the failure, not its text, so that it
/// reads in whichever language the page is in when it is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub failure: Failure,
    /// Sending this again may succeed: the notice offers 重试.
    pub retry: Option<Request>,
    pub place: Place,
}

/// A state that replaces the page whatever the last view said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Halt {
    /// The cooling-off period is over (R1); the insurer phones instead (R11).
    Expired,
    /// The revisit ended elsewhere (another tab or device).
    Finished,
    /// Nothing to show: the page could not load, or the link is not valid.
    Failed {
        failure: Failure,
        retry: Option<Request>,
    },
}

/// What to do with the result of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Show the page for this view.
    Show(SessionView),
    /// Replace the page.
    Halt(Halt),
    /// Keep the page and tell the policyholder.
    Notice(Notice),
    /// The page was out of date: tell the policyholder (unless there is nothing to say) and fetch
    /// the session again.
    Resync(Option<Notice>),
}

/// Decides what the page does with the result of `request`, by the refusal's class and, where a
/// code has a page of its own, by the code. Pure.
pub fn react(request: &Request, result: Result<SessionView, Failure>) -> Outcome {
    let failure = match result {
        Ok(view) => return Outcome::Show(view),
        Err(f) => f,
    };
    let retry = failure.is_transient().then(|| request.clone());
    let in_panel = request.place() == Place::SwitchPanel;
    let place = request.place();
    match (failure.class(), failure.code()) {
        (_, Some(ErrorCode::LinkExpired)) => Outcome::Halt(Halt::Expired),
        (_, Some(ErrorCode::RevisitFinished)) => Outcome::Halt(Halt::Finished),
        _ if *request == Request::Load => Outcome::Halt(Halt::Failed { failure, retry }),
        // A dead link fails the page, except in the switch panel, which says so where it was asked.
        (CodeClass::DeadLink, _) if !in_panel => Outcome::Halt(Halt::Failed { failure, retry }),
        // The answer was recorded but its response was lost (a retry after a dropped connection):
        // the edge counted it once; the page only needs the current view.
        (_, Some(ErrorCode::AlreadyAnswered)) => Outcome::Resync(None),
        // R8: the face step's refusals change what the step offers (tries left, only the
        // alternative): say why, and show the step as it now is.
        (
            _,
            Some(
                ErrorCode::FaceFailed
                | ErrorCode::FaceTriesUsed
                | ErrorCode::FaceReturnRefused
                | ErrorCode::FaceReferenceUnknown
                | ErrorCode::FaceReferenceUsed
                | ErrorCode::FaceReferenceExpired,
            ),
        ) if matches!(request, Request::StartFace | Request::FaceReturn { .. }) => {
            Outcome::Resync(Some(Notice {
                failure,
                retry: None,
                place,
            }))
        }
        (CodeClass::Stale, _) => Outcome::Resync(Some(Notice {
            failure,
            retry,
            place,
        })),
        (CodeClass::Transient | CodeClass::Refused | CodeClass::DeadLink, _) => {
            Outcome::Notice(Notice {
                failure,
                retry,
                place,
            })
        }
    }
}

/// Stages in which the edge still takes requests for this revisit.
fn is_live(stage: Stage) -> bool {
    matches!(
        stage,
        Stage::Issued | Stage::Opened | Stage::CodeSent | Stage::Verified
    )
}

/// A comment as the API wants it: trimmed, and absent when empty.
pub fn optional_text(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The page's handle on the revisit, shared through context. All fields are signals, so it is `Copy`.
#[derive(Clone, Copy)]
pub struct LiveSession {
    api: StoredValue<Option<RevisitApi>>,
    /// The last view the API returned.
    pub view: RwSignal<Option<SessionView>>,
    pub halt: RwSignal<Option<Halt>>,
    pub notice: RwSignal<Option<Notice>>,
    /// The language of the pages: the session's once a view has said it, the browser's before.
    pub lang: RwSignal<Lang>,
    /// A call is in flight: action buttons are disabled so nothing is sent twice.
    pub busy: RwSignal<bool>,
    /// A language picked while a call was in flight, applied once it has returned.
    wanted_lang: StoredValue<Option<Lang>>,
    /// Looks in a row at a code SMS on its way (`follow_code`).
    code_looks: StoredValue<u8>,
}

impl LiveSession {
    /// Starts the session for the link at `path` and loads it; a path without a valid token fails at once.
    pub fn start(path: &str, lang: Lang) -> Self {
        let (api, halt) = match RevisitApi::for_path(path) {
            Ok(api) => (Some(api), None),
            Err(failure) => (
                None,
                Some(Halt::Failed {
                    failure,
                    retry: None,
                }),
            ),
        };
        let session = Self {
            api: StoredValue::new(api),
            view: RwSignal::new(None),
            halt: RwSignal::new(halt),
            notice: RwSignal::new(None),
            lang: RwSignal::new(lang),
            busy: RwSignal::new(false),
            wanted_lang: StoredValue::new(None),
            code_looks: StoredValue::new(0),
        };
        // The first screen (index.html's first script) has asked for the session already, and perhaps for a code:
        // the app takes its calls over instead of making them again (issue 19).
        session.busy.set(true);
        let taken = session.api.with_value(Option::is_some)
            && crate::first::take(move |request, result, more| {
                session.adopt(request, result, more)
            });
        session.busy.set(taken && session.busy.get_untracked());
        if !taken {
            session.run(Request::Load);
        }
        session
    }

    /// The answer to a call the first screen made (`crate::first`), carried out as `send` would
    /// have; `more` while another of its calls is still in flight.
    fn adopt(self, request: Request, result: Result<SessionView, Failure>, more: bool) {
        self.busy.set(more);
        self.apply(react(&request, result));
        if !more {
            self.language_wanted_meanwhile();
        }
    }

    /// Reads one thing from the current view (reactively), or the default before the first load.
    pub fn field<T: Default>(self, f: impl FnOnce(&SessionView) -> T) -> T {
        self.view.with(|v| v.as_ref().map(f).unwrap_or_default())
    }

    /// Shows a notice on the page without calling the API (e.g. a malformed code), by the code the
    /// API would have refused it with.
    pub fn say(self, code: ErrorCode) {
        self.notice.set(Some(Notice {
            failure: Failure::local(code),
            retry: None,
            place: Place::Page,
        }));
    }

    /// The policyholder picked a language. A live session is told, so that the items come in it
    /// and the record says which text was shown; on an ended or failed page it only changes here.
    /// Picked while a call is in flight, it waits for that call: `run` would drop it, and while
    /// the first load is out it would only change here, to be undone when the load's view (in
    /// the session's language) arrives, and the edge would never hear of it.
    pub fn choose_language(self, lang: Lang) {
        if self.busy.get_untracked() {
            self.wanted_lang.set_value(Some(lang));
            return;
        }
        let live = self.halt.with_untracked(Option::is_none)
            && self.api.with_value(Option::is_some)
            && self
                .view
                .with_untracked(|v| v.as_ref().is_some_and(|v| is_live(v.stage)));
        if live {
            self.run(Request::SetLanguage { lang });
        } else {
            self.lang.set(lang);
        }
    }

    /// Sends a request on the policyholder's behalf, unless one is already in flight.
    pub fn run(self, request: Request) {
        if self.busy.get_untracked() {
            return;
        }
        self.notice.set(None);
        self.send(request);
    }

    fn send(self, request: Request) {
        let Some(api) = self.api.get_value() else {
            self.apply(react(&request, Err(Failure::local(ErrorCode::InvalidLink))));
            return;
        };
        self.busy.set(true);
        // The call is built here and sent by one future, whatever it is (api::Call, issue 19).
        let verified = || {
            self.view.with_untracked(|v| {
                v.as_ref()
                    .and_then(|v| api.verified(v))
                    .ok_or_else(|| Failure::local(ErrorCode::NotVerified))
            })
        };
        let call = match &request {
            Request::Load => api.session(),
            Request::SendCode => api.send_code(),
            Request::Verify { code } => api.verify(code),
            Request::VerifyIdNumber { id_number } => api.verify_id_number(id_number),
            Request::StartFace => api.start_face(),
            Request::FaceReturn { reference, ticket } => api.face_result(reference, ticket),
            Request::DeclineFace => api.decline_face(),
            Request::Answer {
                index,
                answer,
                comment,
            } => verified().and_then(|v| v.answer(*index, *answer, comment.clone())),
            Request::Sign { submission } => verified().and_then(|v| v.sign(submission)),
            Request::Complete => verified().and_then(|v| v.complete()),
            Request::SwitchToPhone { reason } => api.switch_to_phone(reason.clone()),
            Request::SetLanguage { lang } => api.set_language(*lang),
        };
        leptos::task::spawn_local(async move {
            let result = match call {
                Ok(call) => api.send(call).await,
                Err(failure) => Err(failure),
            };
            self.busy.set(false);
            self.apply(react(&request, result));
            self.language_wanted_meanwhile();
        });
    }

    /// Once no call is in flight (a resync may have sent another), the language picked during
    /// the last one, if the page is not in it already.
    fn language_wanted_meanwhile(self) {
        if self.busy.get_untracked() {
            return;
        }
        let wanted = self.wanted_lang.try_update_value(Option::take).flatten();
        if let Some(lang) = wanted.filter(|lang| *lang != self.lang.get_untracked()) {
            self.choose_language(lang);
        }
    }

    /// The code's SMS goes out after the answer (issue 19): while it is on its way, look again
    /// in a moment; once the gateway has not taken it, say so with the words of
    /// `sms_unavailable` and offer another code at once, as when the send itself failed, and
    /// while the edge still retries it keep looking, so the words go when it does go out.
    fn follow_code(self, delivery: Option<CodeDelivery>, stage: Stage) {
        let unsent = Failure::local(ErrorCode::SmsUnavailable);
        let again = match delivery {
            Some(CodeDelivery::Sending) => Some(CODE_LOOK_AGAIN),
            Some(CodeDelivery::Failed) => {
                self.notice.set(Some(Notice {
                    failure: unsent,
                    retry: Some(Request::SendCode),
                    place: Place::Page,
                }));
                (stage == Stage::CodeSent).then_some(CODE_LOOK_AGAIN * 3)
            }
            Some(CodeDelivery::Sent) | None => {
                let told = self
                    .notice
                    .with_untracked(|n| n.as_ref().is_some_and(|n| n.failure == unsent));
                if told && delivery.is_some() {
                    self.notice.set(None);
                }
                None
            }
        };
        let looks = self.code_looks.get_value();
        let Some(delay) = again.filter(|_| looks < CODE_LOOKS) else {
            self.code_looks.set_value(0);
            return;
        };
        self.code_looks.set_value(looks + 1);
        let look = move || {
            let Some(api) = self.api.get_value() else {
                return;
            };
            leptos::task::spawn_local(async move {
                // A look that fails or meets a call in flight is dropped: that call's answer
                // says the same, and the next action the person takes will.
                let view = match api.session() {
                    Ok(call) => api.send(call).await,
                    Err(failure) => Err(failure),
                };
                if let Ok(view) = view {
                    if !self.busy.get_untracked() && self.halt.with_untracked(Option::is_none) {
                        self.apply(Outcome::Show(view));
                    }
                }
            });
        };
        set_timeout(look, delay);
    }

    fn apply(self, outcome: Outcome) {
        match outcome {
            Outcome::Show(view) => {
                let (delivery, stage) = (view.code_delivery, view.stage);
                self.lang.set(view.lang);
                self.halt.set(None);
                self.view.set(Some(view));
                self.follow_code(delivery, stage);
            }
            Outcome::Halt(halt) => self.halt.set(Some(halt)),
            Outcome::Notice(notice) => self.notice.set(Some(notice)),
            Outcome::Resync(notice) => {
                self.notice.set(notice);
                // Not `run`: that would clear the notice we just set.
                self.send(Request::Load);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::session::AnswerKind;
    use huifang_core::wire::ApiError;
    use huifang_core::OtpCode;

    fn refused(code: ErrorCode) -> Result<SessionView, Failure> {
        Err(Failure::Refused(ApiError::new(code, "x")))
    }

    fn answer() -> Request {
        Request::Answer {
            index: 1,
            answer: AnswerKind::No,
            comment: None,
        }
    }

    #[test]
    fn a_network_failure_on_load_is_a_page_with_retry() {
        let outcome = react(&Request::Load, Err(Failure::Network));
        assert_eq!(
            outcome,
            Outcome::Halt(Halt::Failed {
                failure: Failure::Network,
                retry: Some(Request::Load)
            })
        );
    }

    #[test]
    fn a_network_failure_on_an_action_keeps_the_page_and_offers_the_same_action_again() {
        match react(&answer(), Err(Failure::Network)) {
            Outcome::Notice(n) => {
                assert_eq!(n.retry, Some(answer()));
                assert_eq!(n.place, Place::Page);
            }
            other => panic!("{other:?}"),
        }
        let switch = Request::SwitchToPhone { reason: None };
        match react(&switch, Err(Failure::Network)) {
            Outcome::Notice(n) => assert_eq!(n.place, Place::SwitchPanel),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn expiry_and_dead_links_replace_the_page_whatever_was_asked() {
        assert_eq!(
            react(&answer(), refused(ErrorCode::LinkExpired)),
            Outcome::Halt(Halt::Expired)
        );
        assert_eq!(
            react(&Request::Load, refused(ErrorCode::LinkExpired)),
            Outcome::Halt(Halt::Expired)
        );
        match react(&Request::SendCode, refused(ErrorCode::LinkNotFound)) {
            Outcome::Halt(Halt::Failed { retry, .. }) => assert_eq!(retry, None),
            other => panic!("{other:?}"),
        }
        // The switch panel keeps its own message, so the confirm button never seems to do nothing.
        let switch = Request::SwitchToPhone { reason: None };
        match react(&switch, refused(ErrorCode::InvalidLink)) {
            Outcome::Notice(n) => assert_eq!(n.place, Place::SwitchPanel),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_stale_page_resyncs_and_a_wrong_code_does_not() {
        assert!(matches!(
            react(&answer(), refused(ErrorCode::ItemOutOfOrder)),
            Outcome::Resync(_)
        ));
        assert!(matches!(
            react(&Request::Complete, refused(ErrorCode::ItemsRemaining)),
            Outcome::Resync(Some(_))
        ));
        let code = OtpCode::parse("123456").unwrap();
        match react(&Request::Verify { code }, refused(ErrorCode::WrongCode)) {
            Outcome::Notice(n) => assert_eq!(n.retry, None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_code_is_handled_by_its_class() {
        for code in ErrorCode::ALL.iter().copied() {
            let outcome = react(&answer(), refused(code));
            match (code, code.class()) {
                (ErrorCode::LinkExpired, _) => assert_eq!(outcome, Outcome::Halt(Halt::Expired)),
                (ErrorCode::RevisitFinished, _) => {
                    assert_eq!(outcome, Outcome::Halt(Halt::Finished))
                }
                (ErrorCode::AlreadyAnswered, _) => assert_eq!(outcome, Outcome::Resync(None)),
                (_, CodeClass::DeadLink) => {
                    assert!(
                        matches!(outcome, Outcome::Halt(Halt::Failed { .. })),
                        "{code}"
                    )
                }
                (_, CodeClass::Stale) => {
                    assert!(matches!(outcome, Outcome::Resync(Some(_))), "{code}")
                }
                (_, CodeClass::Transient) => match outcome {
                    Outcome::Notice(n) => assert_eq!(n.retry, Some(answer()), "{code}"),
                    other => panic!("{code}: {other:?}"),
                },
                (_, CodeClass::Refused) => match outcome {
                    Outcome::Notice(n) => assert_eq!(n.retry, None, "{code}"),
                    other => panic!("{code}: {other:?}"),
                },
            }
            // Whatever the code, a page that could not load shows the failure page.
            let on_load = react(&Request::Load, refused(code));
            assert!(matches!(on_load, Outcome::Halt(_)), "{code}");
        }
    }

    #[test]
    fn a_failed_face_check_says_so_and_shows_the_step_as_it_now_is() {
        let back = Request::FaceReturn {
            reference: "r".into(),
            ticket: "t".into(),
        };
        for code in [ErrorCode::FaceFailed, ErrorCode::FaceReferenceUsed] {
            assert!(matches!(
                react(&back, refused(code)),
                Outcome::Resync(Some(Notice { retry: None, .. }))
            ));
        }
        // The origin could not be asked: try again.
        assert!(matches!(
            react(&Request::StartFace, refused(ErrorCode::FaceUnavailable)),
            Outcome::Notice(Notice {
                retry: Some(Request::StartFace),
                ..
            })
        ));
    }

    #[test]
    fn an_answer_already_recorded_only_reloads_the_view() {
        // The first try landed and its response was lost; the retry must not count it again, and
        // there is nothing to apologise for.
        assert_eq!(
            react(&answer(), refused(ErrorCode::AlreadyAnswered)),
            Outcome::Resync(None)
        );
    }

    #[test]
    fn a_language_that_cannot_be_set_keeps_the_page_with_retry() {
        let request = Request::SetLanguage { lang: Lang::En };
        match react(&request, Err(Failure::Network)) {
            Outcome::Notice(n) => assert_eq!(n.retry, Some(request)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_view_is_shown() {
        let view = SessionView {
            stage: Stage::SwitchedToPhone,
            lang: Lang::En,
            policy_masked: String::new(),
            holder_masked: String::new(),
            phone_masked: String::new(),
            product: String::new(),
            expires_at: String::new(),
            resend_after_secs: 0,
            code_delivery: None,
            next_step: None,
            signature_required: false,
            signed: false,
            face: None,
            item_count: 0,
            items: vec![],
        };
        assert_eq!(
            react(&Request::SwitchToPhone { reason: None }, Ok(view.clone())),
            Outcome::Show(view)
        );
    }

    #[test]
    fn comments_are_trimmed_and_empty_ones_dropped() {
        assert_eq!(optional_text("  \n "), None);
        assert_eq!(optional_text(" 没收到合同 "), Some("没收到合同".into()));
    }
}
