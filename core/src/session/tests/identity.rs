//! Identity steps: codes, ID numbers, resends, locks (R8).

use super::*;

#[test]
fn ten_wrong_codes_a_day_lock_the_session_but_not_the_switch() {
    let (mut s, _) = ok(new_session(), open(), at(1));
    let mut t = 2;
    let mut wrong = 0;
    // Two codes of five wrong tries each.
    for _ in 0..2 {
        s = ok(s, issue(CODE), at(t)).0;
        for _ in 0..WRONG_TRIES_PER_CODE {
            t += 1;
            let (next, r) = refused(s, submit("000000"), at(t));
            wrong += 1;
            if wrong < 10 {
                assert!(matches!(r, Refusal::WrongCode { .. }), "{r:?}");
            } else {
                assert!(matches!(r, Refusal::SessionLocked { .. }), "{r:?}");
            }
            s = next;
        }
        t += 61;
    }
    let (s, r) = refused(s, issue(CODE), at(t));
    let wait = r.retry_after_secs().unwrap();
    assert!(matches!(r, Refusal::SessionLocked { .. }));
    assert!(wait > 23 * 3600 && wait <= 24 * 3600, "{wait}");
    let (s, r) = refused(s, submit(CODE), at(t));
    assert!(matches!(r, Refusal::SessionLocked { .. }));
    // R7: the phone switch stays open.
    ok(s.clone(), Event::SwitchToPhone { reason: None }, at(t + 1));
    // A day after the first wrong code, codes may be sent again.
    ok(s, issue(CODE), at(t + 24 * 3600));
}

#[test]
fn five_code_sends_a_day_per_session() {
    let (mut s, _) = ok(new_session(), open(), at(1));
    for i in 0..5 {
        s = ok(s, issue(CODE), at(10 + i * 60)).0;
    }
    let (s, r) = refused(s, issue(CODE), at(10 + 5 * 60));
    assert_eq!(r.code(), "sms_daily_limit");
    // The first send leaves the 24-hour window.
    assert_eq!(r.retry_after_secs(), Some(24 * 3600 - 5 * 60));
    ok(s, issue(CODE), at(10 + 24 * 3600));
}

#[test]
fn an_undelivered_code_does_not_count_against_the_day() {
    let (mut s, _) = ok(new_session(), open(), at(1));
    for i in 0..5 {
        s = ok(s, issue(CODE), at(10 + i)).0;
        s = ok(
            s,
            Event::CodeUndelivered {
                sent_at: at(10 + i),
            },
            at(10 + i),
        )
        .0;
    }
    assert_eq!(s.sends.count(crate::throttle::SENDS_PER_SESSION, at(20)), 0);
    ok(s, issue(CODE), at(20));
}

#[test]
fn identity_steps_run_in_the_scripts_order() {
    // R8: ID number first, then the SMS code; items only after both.
    let s = with_steps(&[IdentityStep::IdNumber, IdentityStep::SmsCode]);
    assert_eq!(s.next_step(), Some(IdentityStep::IdNumber));
    let (s, r) = refused(s, issue(CODE), at(2));
    assert_eq!(r, Refusal::WrongStep);
    let (s, r) = refused(s, id_number("wrong-digest"), at(3));
    assert_eq!(r, Refusal::WrongIdNumber);
    let (s, _) = ok(s, id_number("right-digest"), at(4));
    assert_eq!(
        (s.stage, s.next_step()),
        (Stage::Opened, Some(IdentityStep::SmsCode))
    );
    let (s, r) = refused(s, yes(0), at(5));
    assert_eq!(r, Refusal::NotVerified);
    let (s, _) = ok(s, issue(CODE), at(6));
    let (s, _) = ok(s, submit(CODE), at(7));
    assert_eq!((s.stage, s.next_step()), (Stage::Verified, None));
    let (_, r) = refused(s, id_number("right-digest"), at(8));
    assert_eq!(r, Refusal::AlreadyVerified);
}

#[test]
fn wrong_id_numbers_count_like_wrong_codes() {
    let mut s = with_steps(&[IdentityStep::SmsCode, IdentityStep::IdNumber]);
    s = ok(s, issue(CODE), at(2)).0;
    for _ in 0..4 {
        s = refused(s, submit("000000"), at(3)).0;
    }
    s = ok(s, submit(CODE), at(4)).0;
    for n in 0..5 {
        let (next, r) = refused(s, id_number("nope"), at(5 + n));
        s = next;
        assert_eq!(r, Refusal::WrongIdNumber);
    }
    // The tenth wrong try of the day (4 codes + 6 ID numbers) locks the session.
    let (s, r) = refused(s, id_number("nope"), at(20));
    assert!(matches!(r, Refusal::SessionLocked { .. }), "{r:?}");
    let (_, r) = refused(s, id_number("right-digest"), at(21));
    assert!(matches!(r, Refusal::SessionLocked { .. }));
}

#[test]
fn a_code_needs_an_opened_link() {
    let (_, r) = refused(new_session(), issue(CODE), at(1));
    assert_eq!(r, Refusal::NotOpened);
}

#[test]
fn issuing_a_code_sends_it_and_keeps_only_its_hash() {
    let (s, _) = ok(new_session(), open(), at(1));
    let (s, effects) = ok(s, issue(CODE), at(2));
    match effects.as_slice() {
        [Effect::SendCode { to }] => assert_eq!(to.as_str(), "13812345678"),
        other => panic!("{other:?}"),
    }
    let stored = serde_json::to_string(&s).unwrap();
    assert!(!stored.contains(CODE), "the clear code must not be stored");
}

#[test]
fn resends_are_at_least_60_seconds_apart() {
    let (s, _) = ok(new_session(), open(), at(1));
    let (s, _) = ok(s, issue(CODE), at(10));
    let (s, r) = refused(s, issue("111111"), at(69));
    assert_eq!(
        r,
        Refusal::ResendTooSoon {
            retry_after_secs: 1
        }
    );
    assert_eq!(r.retry_after_secs(), Some(1));
    let (s, _) = ok(s, issue("111111"), at(70));
    // The new code replaces the old one.
    let (s, r) = refused(s, submit(CODE), at(71));
    assert!(matches!(r, Refusal::WrongCode { .. }));
    ok(s, submit("111111"), at(72));
}

#[test]
fn a_wrong_code_counts_and_five_void_the_code() {
    let (s, _) = ok(new_session(), open(), at(1));
    let (mut s, _) = ok(s, issue(CODE), at(2));
    for left in (0..WRONG_TRIES_PER_CODE).rev() {
        let (next, r) = refused(s, submit("000000"), at(3));
        assert_eq!(r, Refusal::WrongCode { tries_left: left });
        s = next;
    }
    // Even the right code is refused once the code is void.
    let (_, r) = refused(s, submit(CODE), at(4));
    assert_eq!(r, Refusal::CodeExpired);
}

#[test]
fn an_undelivered_code_frees_the_resend_slot() {
    let (s, _) = ok(new_session(), open(), at(1));
    let (s, _) = ok(s, issue(CODE), at(2));
    // A stale notice (another send time) changes nothing.
    let (s, _) = ok(s, Event::CodeUndelivered { sent_at: at(1) }, at(3));
    assert!(s.code.is_some());
    let (s, _) = ok(s, Event::CodeUndelivered { sent_at: at(2) }, at(3));
    assert_eq!(s.stage, Stage::Opened);
    assert_eq!(s.resend_wait_secs(at(3)), 0);
    let (_, r) = refused(s, submit(CODE), at(4));
    assert_eq!(r, Refusal::NoCodeSent);
}

#[test]
fn a_code_lasts_five_minutes() {
    let (s, _) = ok(new_session(), open(), at(1));
    let (s, _) = ok(s, issue(CODE), at(0));
    let (_, r) = refused(s.clone(), submit(CODE), at(301));
    assert_eq!(r, Refusal::CodeExpired);
    ok(s, submit(CODE), at(300));
}

#[test]
fn a_code_works_once() {
    let s = verified_session();
    assert!(s.code.is_none());
    let (_, r) = refused(s, submit(CODE), at(31));
    assert_eq!(r, Refusal::AlreadyVerified);
}
