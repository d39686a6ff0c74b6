//! The revisit session state machine: issued → opened → code sent → verified → items answered in
//! order → completed; or switched to a phone revisit (R7) or expired at the cooling-off end (R1).
//!
//! `Session::apply(event, now)` is a pure function of (state, event, now). It returns the next state
//! *and* the outcome, because a refused event can still change the state (a wrong code counts
//! against its tries, a late event expires the session); the caller stores the returned state
//! whatever the outcome.

mod answers;
mod decide;
mod event;
mod face;
mod identity;
#[cfg(test)]
mod properties;
mod refusal;
mod revisit;
#[cfg(test)]
pub(crate) mod tests;

pub use crate::script::AnswerKind;
pub use crate::trace::{ClientInfo, Notice, NoticeFailure, TraceEntry, TraceEvent};
pub use event::{Effect, Event};
pub use face::{
    is_face_token, FaceOutcome, FaceResult, FaceState, FaceView, PendingFace, ScoreBand,
    FACE_REFERENCE_VALID_MS, FACE_TRIES,
};
pub use identity::{code_sms_text, Handoff, PendingCode};
pub use refusal::Refusal;
pub use revisit::{AgentDevice, Answer, Revisit, Sale, Stage};

use crate::script::{IdentityStep, Lang};
use crate::signature::Signature;
use crate::throttle::Window;
use crate::time::{Timestamp, MINUTE_MS, SECOND_MS};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};

/// A code is valid this long after it is sent.
pub const CODE_VALID_MS: u64 = 5 * MINUTE_MS;
/// Wrong entries allowed per code; the code is void after that many.
pub const WRONG_TRIES_PER_CODE: u8 = 5;
/// Minimum gap between two code sends to one session.
pub const RESEND_GAP_MS: u64 = 60 * SECOND_MS;
/// R9: how much sooner than its minimum reading time an answer may arrive. Both instants are the
/// edge's own (when the item before was answered, and now), so no device clock is involved; the
/// margin covers the runtime's coarse timer, never a reader. The page counts from when it showed the
/// item, after the previous answer came back, and only while the page is on screen: it always
/// waits longer than this rule, so it never offers a confirm the edge would refuse.
pub const READING_TOLERANCE_MS: u64 = 500;
/// How many changes of language one session traces. Each change is a real one (choosing the
/// language already shown traces nothing); past this many the language still changes, untraced:
/// a script flipping it on and on must not grow the stored session until storage refuses it and
/// every later request of the revisit fails (as too-soon answers once did). Each answer keeps the
/// language it was shown in (R3), so the record loses nothing it needs.
pub const LANGUAGE_CHANGES_TRACED: usize = 20;
/// Longest free-text comment on an answer or a switch.
pub const MAX_COMMENT_CHARS: usize = 500;

/// The live state of one revisit at the edge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub revisit: Revisit,
    pub stage: Stage,
    pub code: Option<PendingCode>,
    pub answers: Vec<Answer>,
    pub switch_reason: Option<String>,
    pub finished_at: Option<Timestamp>,
    pub trace: Trace,
    /// Digest of the secret of the device the link is bound to (R10); set by the first open.
    #[serde(default)]
    pub device_digest: Option<String>,
    /// Codes sent, for the daily limit per session.
    #[serde(default)]
    pub sends: Window,
    /// Wrong codes and wrong ID numbers entered, for the daily limit per session.
    #[serde(default)]
    pub wrong_codes: Window,
    /// Identity steps passed, in order (R8).
    #[serde(default)]
    pub passed: Vec<IdentityStep>,
    /// The handwritten signature, once given.
    #[serde(default)]
    pub signature: Option<Signature>,
    /// The language the pages and items are shown in.
    #[serde(default)]
    pub lang: Lang,
    /// The face step (R8), when the script has one; not stored while unused, so that a session
    /// without it is stored as before.
    #[serde(default, skip_serializing_if = "FaceState::is_unused")]
    pub face: FaceState,
    /// The last code was given up: its SMS never reached the gateway (issue 19). Told to the
    /// policyholder until another code is asked for; not written while false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub code_unsent: bool,
    /// The client of the event being applied, stamped on its trace entries; never stored.
    #[serde(skip)]
    client: Option<ClientInfo>,
}

/// The result of one step: the next state, and either what to do next or why the event was refused.
pub type Step = (Session, Result<Vec<Effect>, Refusal>);

impl Session {
    pub fn new(revisit: Revisit) -> Self {
        let created = revisit.created_at;
        let mut session = Self {
            revisit,
            stage: Stage::Issued,
            code: None,
            answers: Vec::new(),
            switch_reason: None,
            finished_at: None,
            device_digest: None,
            sends: Window::default(),
            wrong_codes: Window::default(),
            passed: Vec::new(),
            signature: None,
            lang: Lang::default(),
            face: FaceState::default(),
            code_unsent: false,
            trace: Trace::default(),
            client: None,
        };
        session.record(created, TraceEvent::Created);
        session
    }

    /// Whether the reminder was tried already (sent or not): it is tried once.
    pub fn reminded(&self) -> bool {
        self.trace.iter().any(|e| {
            matches!(
                e.event,
                TraceEvent::NoticeSent {
                    notice: Notice::Reminder
                } | TraceEvent::NoticeUndelivered {
                    notice: Notice::Reminder,
                    ..
                }
            )
        })
    }

    /// When the unfinished revisit's reminder is due: `remind_before_ms` before the cooling-off
    /// end. `None` once tried, and for a revisit created that close to its end already (the link
    /// has just been sent; a reminder then would only repeat it).
    pub fn reminder_at(&self, remind_before_ms: u64) -> Option<Timestamp> {
        let ends = self.revisit.cooling_off_ends_at;
        let at = Timestamp::from_millis(ends.millis().saturating_sub(remind_before_ms));
        let due = !self.stage.is_finished() && !self.reminded() && at > self.revisit.created_at;
        due.then_some(at)
    }

    /// Seconds until another code may be sent (0 when one may be sent now). A code whose SMS the
    /// gateway has refused so far does not hold the next one back: it has not left (issue 19).
    pub fn resend_wait_secs(&self, now: Timestamp) -> u64 {
        let waiting = self.code.as_ref().filter(|c| !c.handoff.failed());
        waiting.map_or(0, |c| {
            let ready = c.sent_at.plus_millis(RESEND_GAP_MS);
            ready.since(now).div_ceil(SECOND_MS)
        })
    }

    /// Applies one event at `now`. Store the returned session whatever the outcome.
    pub fn apply(self, event: Event, now: Timestamp) -> Step {
        self.apply_from(event, now, None)
    }

    /// Applies one event sent by `client` (the policyholder's browser); its trace entries carry the
    /// client's network and user agent (R10).
    pub fn apply_from(mut self, event: Event, now: Timestamp, client: Option<ClientInfo>) -> Step {
        self.client = client;
        let result = self.decide(event, now);
        self.client = None;
        (self, result)
    }

    /// Checks that a request comes from the device the link is bound to (R10). Every event but
    /// `Open` must pass this first.
    pub fn check_device(&self, presented: Option<&str>) -> Result<(), Refusal> {
        match (&self.device_digest, presented) {
            (None, _) => Err(Refusal::NotOpened),
            (Some(bound), Some(p)) if bound == p => Ok(()),
            _ => Err(Refusal::LinkInUse),
        }
    }

    /// Whether a browser that presents no device may open the link as a new device (R10): only
    /// while the link is bound to none (the caller draws the new device's secret); once bound, it
    /// is in use by another browser.
    pub fn admits_new_device(&self) -> Result<(), Refusal> {
        match self.device_digest {
            None => Ok(()),
            Some(_) => Err(Refusal::LinkInUse),
        }
    }

    /// Whether the phone switch (R7) is done already: `true` once switched, `false` while it can
    /// still be made; otherwise the revisit has ended another way.
    pub fn switched_to_phone(&self) -> Result<bool, Refusal> {
        match self.stage {
            Stage::SwitchedToPhone => Ok(true),
            Stage::Expired => Err(Refusal::Expired),
            s if s.is_finished() => Err(Refusal::Finished),
            _ => Ok(false),
        }
    }

    /// Changes the language; callers make sure it is a change (`lang != self.lang`).
    fn choose_language(&mut self, lang: Lang, now: Timestamp) {
        self.lang = lang;
        let traced = self
            .trace
            .iter()
            .filter(|e| matches!(e.event, TraceEvent::LanguageChosen { .. }))
            .count();
        if traced < LANGUAGE_CHANGES_TRACED {
            self.record(now, TraceEvent::LanguageChosen { lang });
        }
    }

    fn record(&mut self, at: Timestamp, event: TraceEvent) {
        self.trace.push(at, event, self.client.clone());
    }

    fn finish(&mut self, stage: Stage, now: Timestamp) {
        self.stage = stage;
        self.code = None;
        self.finished_at = Some(now);
        let event = match stage {
            Stage::Completed => TraceEvent::Completed,
            Stage::SwitchedToPhone => TraceEvent::SwitchedToPhone,
            Stage::Cancelled => TraceEvent::Cancelled,
            _ => TraceEvent::Expired,
        };
        self.record(now, event);
    }
}
