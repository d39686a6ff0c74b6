//! The session's host tests: shared helpers and the life of a session (open, cancel, re-issue,
//! the switch to phone, expiry); identity and the items have their own files.

use super::*;
use crate::domain::{OtpCode, RevisitId};
pub(crate) use crate::fixtures::T0;
use crate::fixtures::{at, open, sample_revisit, CODE, COMPLETED_AFTER_SECS};
use crate::script::IdentityStep;

fn id() -> RevisitId {
    RevisitId::from_random([1; 12])
}

pub(crate) fn new_session() -> Session {
    Session::new(sample_revisit(id()))
}

fn ok(s: Session, e: Event, now: Timestamp) -> (Session, Vec<Effect>) {
    let (s, r) = s.apply(e.clone(), now);
    match r {
        Ok(effects) => (s, effects),
        Err(refusal) => panic!("{e:?} refused: {refusal}"),
    }
}

fn refused(s: Session, e: Event, now: Timestamp) -> (Session, Refusal) {
    let (s, r) = s.apply(e.clone(), now);
    match r {
        Ok(effects) => panic!("{e:?} accepted with {effects:?}"),
        Err(refusal) => (s, refusal),
    }
}

fn issue(code: &str) -> Event {
    Event::IssueCode {
        code: OtpCode::parse(code).unwrap(),
        salt: [5; 16],
    }
}

fn submit(code: &str) -> Event {
    Event::SubmitCode {
        code: OtpCode::parse(code).unwrap(),
    }
}

fn yes(index: usize) -> Event {
    Event::Answer {
        index,
        answer: AnswerKind::Yes,
        comment: None,
    }
}

pub(crate) fn verified_session() -> Session {
    crate::fixtures::verified_session(id())
}

pub(crate) fn completed_session() -> Session {
    crate::fixtures::finished_session(id(), &[AnswerKind::Yes; 3])
}

fn with_steps(steps: &[IdentityStep]) -> Session {
    let mut revisit = sample_revisit(id());
    revisit.script.identity = steps.to_vec();
    revisit.id_number_digest = "right-digest".into();
    ok(Session::new(revisit), open(), at(1)).0
}

fn id_number(digest: &str) -> Event {
    Event::SubmitIdNumber {
        digest: digest.into(),
    }
}

mod face;
mod identity;
mod items;

#[test]
fn the_happy_path_runs_in_order() {
    let s = completed_session();
    assert_eq!(s.stage, Stage::Completed);
    assert_eq!(s.answers.len(), 3);
    assert_eq!(s.finished_at, Some(at(COMPLETED_AFTER_SECS)));
    let kinds: Vec<_> = s.trace.iter().map(|t| &t.event).collect();
    assert_eq!(kinds.first(), Some(&&TraceEvent::Created));
    assert_eq!(kinds.last(), Some(&&TraceEvent::Completed));
}

#[test]
fn opening_twice_changes_nothing() {
    let (s, _) = ok(new_session(), open(), at(1));
    let (s2, _) = ok(s.clone(), open(), at(2));
    assert_eq!(s, s2);
}

#[test]
fn the_first_open_binds_the_link_to_its_device() {
    // R10
    let (s, _) = ok(new_session(), open(), at(1));
    assert_eq!(s.check_device(Some(crate::fixtures::DEVICE)), Ok(()));
    assert_eq!(s.check_device(Some("another")), Err(Refusal::LinkInUse));
    assert_eq!(s.check_device(None), Err(Refusal::LinkInUse));
    let other = Event::Open {
        device: "another".into(),
        lang: None,
    };
    let (s2, r) = refused(s.clone(), other, at(2));
    assert_eq!(r, Refusal::LinkInUse);
    assert_eq!(s2, s, "a refused device changes nothing");
    assert_eq!(
        new_session().check_device(Some("x")),
        Err(Refusal::NotOpened)
    );
}

#[test]
fn the_insurer_can_cancel_and_the_link_dies() {
    let (s, effects) = ok(verified_session(), Event::Cancel, at(50));
    // Finished: the custody seals and forwards the record (`custody::tests`).
    assert_eq!(effects, []);
    assert_eq!(s.stage, Stage::Cancelled);
    let (_, r) = refused(s, yes(0), at(51));
    assert_eq!(r, Refusal::Finished);
}

#[test]
fn a_reissued_link_needs_a_new_open_and_a_new_code_but_keeps_answers() {
    let s = ok(verified_session(), yes(0), at(40)).0;
    let e = Event::ReissueLink {
        link_digest: "22".repeat(32),
    };
    let (s, _) = ok(s, e, at(50));
    assert_eq!(s.revisit.link_digest, "22".repeat(32));
    assert_eq!(s.stage, Stage::Issued);
    assert_eq!(s.device_digest, None);
    assert_eq!(s.answers.len(), 1);
    let (_, r) = refused(s.clone(), yes(1), at(51));
    assert_eq!(r, Refusal::NotVerified);
    // A new device may bind now.
    let other = Event::Open {
        device: "new-phone".into(),
        lang: None,
    };
    let (s, _) = ok(s, other, at(52));
    assert_eq!(s.device_digest.as_deref(), Some("new-phone"));
}

#[test]
fn the_language_comes_from_the_first_open_and_can_be_changed() {
    let first = Event::Open {
        device: crate::fixtures::DEVICE.into(),
        lang: Some(Lang::En),
    };
    let (s, _) = ok(new_session(), first, at(1));
    assert_eq!(s.lang, Lang::En);
    // A later open (a reload) does not override the choice.
    let (s, _) = ok(s, Event::ChooseLanguage { lang: Lang::ZhCn }, at(2));
    let again = Event::Open {
        device: crate::fixtures::DEVICE.into(),
        lang: Some(Lang::En),
    };
    let (s, _) = ok(s, again, at(3));
    assert_eq!(s.lang, Lang::ZhCn);
    let chosen: Vec<_> = s
        .trace
        .iter()
        .filter_map(|e| match e.event {
            TraceEvent::LanguageChosen { lang } => Some(lang),
            _ => None,
        })
        .collect();
    assert_eq!(chosen, [Lang::En, Lang::ZhCn]);
    // Answers keep the language they were shown in.
    let s = crate::fixtures::verified_session(id());
    let (s, _) = ok(s, Event::ChooseLanguage { lang: Lang::En }, at(31));
    let (s, _) = ok(s, yes(0), at(40));
    assert_eq!(s.answers[0].lang, Lang::En);
    let (_, r) = refused(
        new_session(),
        Event::ChooseLanguage { lang: Lang::En },
        at(1),
    );
    assert_eq!(r, Refusal::NotOpened);
}

// A script flipping the language on and on (issue 12): every real change is applied, the first
// LANGUAGE_CHANGES_TRACED are traced, a choice of the language already shown is not, and the stored
// session stays as small as after a hundred changes.
#[test]
fn language_changes_are_traced_only_when_real_and_at_most_a_fixed_number_per_session() {
    let chosen = |s: &Session| {
        s.trace
            .iter()
            .filter(|e| matches!(e.event, TraceEvent::LanguageChosen { .. }))
            .count()
    };
    let size = |s: &Session| serde_json::to_string(s).unwrap().len();
    let mut s = ok(new_session(), open(), at(1)).0;
    let start = s.lang;
    s = ok(s, Event::ChooseLanguage { lang: start }, at(2)).0;
    assert_eq!(
        chosen(&s),
        0,
        "choosing the language already shown is no change"
    );
    let mut capped = 0;
    for i in 0..20_000u64 {
        if i == 100 {
            capped = size(&s);
        }
        let lang = if s.lang == Lang::ZhCn {
            Lang::En
        } else {
            Lang::ZhCn
        };
        s = ok(s, Event::ChooseLanguage { lang }, at(3).plus_millis(i)).0;
        assert_eq!(s.lang, lang, "every change is applied");
        s = ok(s, Event::ChooseLanguage { lang }, at(3).plus_millis(i)).0;
    }
    assert_eq!(chosen(&s), LANGUAGE_CHANGES_TRACED);
    assert_eq!(s.lang, start, "an even number of changes");
    assert_eq!(
        size(&s),
        capped,
        "past the cap, a change adds nothing to keep"
    );
}

#[test]
fn the_switch_to_phone_is_open_from_every_unfinished_stage() {
    // R7
    let opened = ok(new_session(), open(), at(1)).0;
    let code_sent = ok(opened.clone(), issue(CODE), at(2)).0;
    let mid_items = ok(verified_session(), yes(0), at(40)).0;
    for s in [
        new_session(),
        opened,
        code_sent,
        verified_session(),
        mid_items,
    ] {
        let e = Event::SwitchToPhone {
            reason: Some("想电话确认".into()),
        };
        let (s, effects) = ok(s, e, at(100));
        assert_eq!(effects, []);
        assert_eq!(s.stage, Stage::SwitchedToPhone);
        assert_eq!(s.switch_reason.as_deref(), Some("想电话确认"));
    }
    let (_, r) = refused(
        completed_session(),
        Event::SwitchToPhone { reason: None },
        at(200),
    );
    assert_eq!(r, Refusal::Finished);
}

#[test]
fn the_link_dies_at_the_cooling_off_end() {
    // R1
    let s = verified_session();
    let end = s.revisit.cooling_off_ends_at;
    let (s, r) = refused(s, yes(0), end);
    assert_eq!(r, Refusal::Expired);
    assert_eq!(s.stage, Stage::Expired);
    let (_, r) = refused(s, open(), end.plus_millis(1));
    assert_eq!(r, Refusal::Expired);
}

#[test]
fn the_expiry_alarm_expires_only_when_due() {
    let s = new_session();
    let end = s.revisit.cooling_off_ends_at;
    let (s, r) = refused(s, Event::Expire, at(5));
    assert_eq!(r, Refusal::NotDue);
    let (s, effects) = ok(s, Event::Expire, end);
    assert_eq!(effects, []);
    assert_eq!(s.stage, Stage::Expired);
}

#[test]
fn a_new_device_only_for_a_browser_without_one_on_an_unbound_link() {
    // R10
    assert_eq!(new_session().admits_new_device(), Ok(()));
    let (bound, _) = ok(new_session(), open(), at(1));
    assert_eq!(bound.admits_new_device(), Err(Refusal::LinkInUse));
    let (reissued, _) = ok(
        bound,
        Event::ReissueLink {
            link_digest: "44".repeat(32),
        },
        at(2),
    );
    assert_eq!(reissued.admits_new_device(), Ok(()));
}

#[test]
fn the_phone_switch_is_done_once_and_not_after_another_end() {
    // R7
    assert_eq!(verified_session().switched_to_phone(), Ok(false));
    let switch = Event::SwitchToPhone { reason: None };
    let (switched, _) = ok(verified_session(), switch, at(40));
    assert_eq!(switched.switched_to_phone(), Ok(true));
    assert_eq!(
        completed_session().switched_to_phone(),
        Err(Refusal::Finished)
    );
    let (cancelled, _) = ok(new_session(), Event::Cancel, at(2));
    assert_eq!(cancelled.switched_to_phone(), Err(Refusal::Finished));
    let late = verified_session();
    let end = late.revisit.cooling_off_ends_at;
    let (expired, _) = ok(late, Event::Expire, end);
    assert_eq!(expired.switched_to_phone(), Err(Refusal::Expired));
}
