//! The code SMS off the request's path (issue 19): caps in the answer, the hand-off by the alarm,
//! retries until the code expires, the policyholder told of a code that never left (R8).

use super::super::*;
use crate::domain::OtpCode;
use crate::fixtures::{at, open, sample_revisit, T0};
use crate::session::{Handoff, Stage, TraceEvent, CODE_VALID_MS};
use crate::throttle::SENDS_PER_SESSION;
use crate::time::DAY_MS;
use crate::wire::{CodeDelivery, SessionView};

const KEY: &[u8] = b"edge-id-hash-key";
const SALT: [u8; 16] = [7; 16];

const POLICY: CustodyPolicy = CustodyPolicy {
    retry: RetryPolicy {
        base_ms: 1_000,
        max_ms: 60_000,
    },
    remind_before_ms: REMIND_BEFORE_MS,
};

fn run(custody: Custody, input: Input, now: Timestamp) -> Transition {
    custody.update(input, now, &POLICY)
}

fn step(event: Event) -> Input {
    Input::Step {
        event,
        client: None,
    }
}

fn session(custody: &Custody) -> &Session {
    custody.session().expect("a live session")
}

fn reminder() -> Timestamp {
    let ends = sample_revisit(RevisitId::from_random([3; 12])).cooling_off_ends_at;
    Timestamp::from_millis(ends.millis() - 3 * DAY_MS)
}

fn opened() -> Custody {
    let revisit = sample_revisit(RevisitId::from_random([3; 12]));
    let created = run(Custody::Absent, Input::Create(revisit), T0);
    run(created.custody, step(open()), at(1)).custody
}

/// A code asked for at `secs`: the transition of the request (before the caps answer).
fn ask(custody: Custody, salt: [u8; 16], secs: u64) -> Transition {
    run(custody, step(Event::issue_code(KEY, salt)), at(secs))
}

/// A code asked for at `secs` whose caps were taken: what the policyholder's answer leaves.
fn queued(custody: Custody, salt: [u8; 16], secs: u64) -> Custody {
    let asked = ask(custody, salt, secs);
    run(
        asked.custody,
        Input::CodeCaps {
            sent_at: at(secs),
            taken: true,
        },
        at(secs),
    )
    .custody
}

fn handoff(custody: Custody, sent_at: Timestamp, taken: bool, now: Timestamp) -> Transition {
    run(custody, Input::CodeHandoff { sent_at, taken }, now)
}

fn delivery(custody: &Custody) -> Option<CodeDelivery> {
    SessionView::of(session(custody), at(0)).code_delivery
}

#[test]
fn asking_for_a_code_holds_its_hash_and_takes_the_caps_before_any_write() {
    // R8, issue 19: the code is held (other calls see it: the resend lock), not written, while
    // the throttles are asked: their hop does not wait behind a write.
    let t = ask(opened(), SALT, 10);
    assert_eq!(
        t.effects,
        [
            Effect::HoldSession,
            Effect::TakeCodeCaps {
                to: session(&t.custody).revisit.phone.clone(),
                sent_at: at(10),
            },
        ]
    );
    assert_eq!(t.outcome, Ok(()));
    let code = session(&t.custody).code.clone().unwrap();
    assert_eq!(
        code.handoff,
        Handoff::Queued {
            failures: 0,
            next_try: at(10)
        }
    );
    // Stored: the salt and the hash, never the code (nor its SMS's text).
    let clear = OtpCode::derived(KEY, &hex::encode(SALT));
    let stored = serde_json::to_string(session(&t.custody)).unwrap();
    assert!(!stored.contains(clear.as_str()), "{stored}");
    assert_eq!(delivery(&t.custody), Some(CodeDelivery::Sending));
}

#[test]
fn caps_taken_write_the_code_with_its_alarm_at_once_for_the_hand_off() {
    let asked = ask(opened(), SALT, 10);
    let t = run(
        asked.custody,
        Input::CodeCaps {
            sent_at: at(10),
            taken: true,
        },
        at(10),
    );
    // One write: the session (its code queued) and the alarm that hands the SMS off, together.
    assert_eq!(t.effects, [Effect::StoreSession, Effect::SetAlarm(at(10))]);
    assert_eq!(session(&t.custody).stage, Stage::CodeSent);
}

#[test]
fn caps_refused_forget_the_code_and_leave_the_resend_open() {
    let asked = ask(opened(), SALT, 10);
    let t = run(
        asked.custody,
        Input::CodeCaps {
            sent_at: at(10),
            taken: false,
        },
        at(10),
    );
    let s = session(&t.custody);
    assert_eq!(t.effects, [Effect::StoreSession]);
    assert_eq!((s.stage, s.code.is_none()), (Stage::Opened, true));
    assert_eq!(s.resend_wait_secs(at(11)), 0);
    assert_eq!(s.sends.count(SENDS_PER_SESSION, at(11)), 0);
    // Refused by a cap, the policyholder hears the cap in the answer, not a failed SMS.
    assert_eq!(delivery(&t.custody), None);
}

#[test]
fn a_send_refused_by_the_session_is_written_at_once_and_asks_no_throttle() {
    // Only a step that issues a code is held: a resend within the lock (R8) is refused, and what
    // the refusal changed is written like any other step's, with no caps taken.
    let custody = queued(opened(), SALT, 10);
    let t = ask(custody, [8; 16], 11);
    assert!(matches!(
        t.outcome,
        Err(CustodyError::Refused(Refusal::ResendTooSoon { .. }))
    ));
    assert_eq!(t.effects, [Effect::StoreSession]);
}

#[test]
fn the_alarm_hands_off_the_queued_code_whose_salt_draws_the_code_that_verifies() {
    let custody = queued(opened(), SALT, 10);
    let t = run(custody, Input::Alarm, at(10));
    let [Effect::SendCode { to, salt, sent_at }] = t.effects.as_slice() else {
        panic!("{:?}", t.effects);
    };
    assert_eq!((to.as_str(), *sent_at), ("13812345678", at(10)));
    let code = OtpCode::derived(KEY, salt);
    assert!(session(&t.custody).code.as_ref().unwrap().holds(&code));
    let sent = handoff(t.custody, at(10), true, at(11));
    let verified = run(sent.custody, step(Event::SubmitCode { code }), at(20));
    assert_eq!(verified.outcome, Ok(()));
    assert_eq!(session(&verified.custody).stage, Stage::Verified);
}

#[test]
fn a_code_taken_by_the_gateway_is_sent_and_the_alarm_goes_back_to_the_reminder() {
    let custody = queued(opened(), SALT, 10);
    let t = handoff(custody, at(10), true, at(11));
    assert_eq!(
        t.effects,
        [Effect::StoreSession, Effect::SetAlarm(reminder())]
    );
    let s = session(&t.custody);
    assert_eq!(s.code.as_ref().unwrap().handoff, Handoff::Sent);
    assert_eq!(delivery(&t.custody), Some(CodeDelivery::Sent));
    // Sent: the resend gap holds (R8), from when the code was asked for.
    assert_eq!(s.resend_wait_secs(at(11)), 59);
    // Nothing left to hand off: the alarm sleeps on.
    let woken = run(t.custody, Input::Alarm, at(12));
    assert_eq!(woken.effects, [Effect::SetAlarm(reminder())]);
}

#[test]
fn a_refused_hand_off_is_retried_with_backoff_and_the_policyholder_may_ask_again_at_once() {
    let custody = queued(opened(), SALT, 10);
    let t = handoff(custody, at(10), false, at(10));
    let next = at(11);
    assert_eq!(t.effects, [Effect::StoreSession, Effect::SetAlarm(next)]);
    let s = session(&t.custody);
    assert_eq!(
        s.code.as_ref().unwrap().handoff,
        Handoff::Queued {
            failures: 1,
            next_try: next
        }
    );
    assert_eq!(s.stage, Stage::CodeSent, "the code may still arrive");
    assert_eq!(
        s.resend_wait_secs(at(10)),
        0,
        "it has not left: no lock-out"
    );
    assert_eq!(delivery(&t.custody), Some(CodeDelivery::Failed));
    // Woken early, nothing is due yet; then the second try; its failure waits twice as long.
    let early = run(t.custody, Input::Alarm, at(10));
    assert_eq!(early.effects, [Effect::SetAlarm(next)]);
    let woken = run(early.custody, Input::Alarm, next);
    assert!(matches!(woken.effects[..], [Effect::SendCode { .. }]));
    let again = handoff(woken.custody, at(10), false, next);
    assert_eq!(
        again.effects,
        [Effect::StoreSession, Effect::SetAlarm(at(13))]
    );
    // Taken at last: sent, the page's notice goes.
    let sent = handoff(again.custody, at(10), true, at(13));
    assert_eq!(delivery(&sent.custody), Some(CodeDelivery::Sent));
}

#[test]
fn a_code_the_gateway_never_takes_is_given_up_before_it_expires_and_the_policyholder_told() {
    let mut custody = queued(opened(), SALT, 10);
    let mut now = at(10);
    let mut tries = 0;
    loop {
        let woken = run(custody, Input::Alarm, now);
        let Some(Effect::SendCode { sent_at, .. }) = woken.effects.first().cloned() else {
            panic!("{:?}", woken.effects);
        };
        tries += 1;
        let t = handoff(woken.custody, sent_at, false, now);
        custody = t.custody;
        match t.effects.as_slice() {
            [Effect::StoreSession, Effect::SetAlarm(next)] if session(&custody).code.is_some() => {
                assert!(*next > now && next.since(at(10)) < CODE_VALID_MS);
                now = *next;
            }
            [Effect::StoreSession, Effect::SetAlarm(next)] => {
                assert_eq!(*next, reminder(), "back to what the session waits for");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    // At once, then after 1, 2, 4, …, 32 s and each minute (the cap): 4 min 3 s in; the next
    // wait would pass the code's five minutes.
    assert_eq!(tries, 10);
    assert_eq!(now, at(10 + 243));
    let s = session(&custody);
    assert_eq!((s.stage, s.code.is_none()), (Stage::Opened, true));
    assert!(s.code_unsent);
    assert_eq!(s.resend_wait_secs(now), 0);
    assert_eq!(s.sends.count(SENDS_PER_SESSION, now), 0);
    assert!(matches!(
        s.trace.entries().last().unwrap().event,
        TraceEvent::CodeUndelivered
    ));
    assert_eq!(delivery(&custody), Some(CodeDelivery::Failed));
    // Another code is asked for: the notice goes, the new code is on its way.
    let again = queued(custody, [8; 16], 300);
    assert!(!session(&again).code_unsent);
    assert_eq!(delivery(&again), Some(CodeDelivery::Sending));
}

#[test]
fn a_new_code_replaces_one_that_never_left_without_counting_it() {
    let custody = queued(opened(), SALT, 10);
    let failed = handoff(custody, at(10), false, at(10)).custody;
    let t = ask(failed, [8; 16], 12);
    assert_eq!(
        t.outcome,
        Ok(()),
        "no resend gap for a code that never left"
    );
    let s = session(&t.custody);
    assert_eq!(s.code.as_ref().unwrap().sent_at, at(12));
    assert_eq!(s.sends.count(SENDS_PER_SESSION, at(12)), 1);
    // The old code's late answer changes nothing: the new one is still on its way.
    let late = handoff(t.custody, at(10), true, at(13));
    let code = session(&late.custody).code.as_ref().unwrap();
    assert_eq!((code.sent_at, code.handoff.failed()), (at(12), false));
    assert_eq!(delivery(&late.custody), Some(CodeDelivery::Sending));
    // The old code is void: only the new one verifies.
    let old = OtpCode::derived(KEY, &hex::encode(SALT));
    let refused = run(late.custody, step(Event::SubmitCode { code: old }), at(14));
    assert!(refused.outcome.is_err());
}

#[test]
fn a_code_on_its_way_holds_the_resend_gap() {
    let custody = queued(opened(), SALT, 10);
    let t = ask(custody, [8; 16], 20);
    assert_eq!(
        t.outcome,
        Err(CustodyError::Refused(
            crate::session::Refusal::ResendTooSoon {
                retry_after_secs: 50
            }
        ))
    );
}

#[test]
fn the_alarm_hands_off_the_code_and_reminds_when_both_are_due() {
    let revisit = sample_revisit(RevisitId::from_random([3; 12]));
    let created = run(Custody::Absent, Input::Create(revisit), T0);
    let opened = run(created.custody, step(open()), at(1)).custody;
    let secs = (reminder().millis() - T0.millis()) / 1_000;
    let custody = queued(opened, SALT, secs);
    let t = run(custody, Input::Alarm, at(secs));
    assert!(
        matches!(
            t.effects.as_slice(),
            [Effect::SendCode { .. }, Effect::SendNotice { .. }]
        ),
        "{:?}",
        t.effects
    );
}

#[test]
fn a_session_stored_before_queued_hand_offs_reads_its_code_as_sent() {
    let custody = queued(opened(), SALT, 10);
    let sent = handoff(custody, at(10), true, at(11)).custody;
    let stored = serde_json::to_value(session(&sent)).unwrap();
    assert!(
        stored["code"].get("handoff").is_none(),
        "not written when sent"
    );
    assert!(
        stored.get("code_unsent").is_none(),
        "not written when false"
    );
    let read: Session = serde_json::from_value(stored).unwrap();
    assert_eq!(read.code.unwrap().handoff, Handoff::Sent);
}

#[test]
fn a_hand_off_answer_for_a_finished_session_changes_nothing() {
    let custody = queued(opened(), SALT, 10);
    let switched = run(custody, step(Event::SwitchToPhone { reason: None }), at(11));
    let t = handoff(switched.custody.clone(), at(10), true, at(12));
    assert!(t.effects.is_empty());
    assert_eq!(t.custody, switched.custody);
}
