//! The items (R9), the signature and completion.

use super::*;

#[test]
fn a_signature_comes_after_the_items_and_before_completion() {
    use crate::signature::sample_submission;
    let mut s = with_steps(&[IdentityStep::SmsCode, IdentityStep::Signature]);
    assert_eq!(s.next_step(), Some(IdentityStep::SmsCode));
    s = ok(s, issue(CODE), at(2)).0;
    s = ok(s, submit(CODE), at(3)).0;
    assert_eq!((s.stage, s.next_step()), (Stage::Verified, None));
    let sign = || Event::Sign {
        submission: sample_submission(),
    };
    let (mut s, r) = refused(s, sign(), at(4));
    assert_eq!(r, Refusal::ItemsRemaining { remaining: 3 });
    for i in 0..3 {
        s = ok(s, yes(i), at(10 + i as u64 * 10)).0;
    }
    let (s, r) = refused(s, Event::Complete, at(50));
    assert_eq!(r, Refusal::SignatureRequired);
    let mut dot = sample_submission();
    dot.strokes = vec![vec![(1, 1), (2, 2)]];
    let (s, r) = refused(s, Event::Sign { submission: dot }, at(51));
    assert_eq!(r.code(), "signature_too_short");
    let (s, _) = ok(s, sign(), at(52));
    assert!(s.signature.is_some());
    let (s, _) = ok(s, Event::Complete, at(53));
    assert_eq!(s.stage, Stage::Completed);
}

#[test]
fn no_signature_is_taken_when_the_script_does_not_ask() {
    let mut s = verified_session();
    for i in 0..3 {
        s = ok(s, yes(i), at(40 + i as u64)).0;
    }
    let e = Event::Sign {
        submission: crate::signature::sample_submission(),
    };
    let (_, r) = refused(s, e, at(50));
    assert_eq!(r, Refusal::WrongStep);
}

#[test]
fn items_need_verification_and_come_in_order() {
    let (s, _) = ok(new_session(), open(), at(1));
    let (_, r) = refused(s, yes(0), at(2));
    assert_eq!(r, Refusal::NotVerified);

    let s = verified_session();
    let (s, r) = refused(s, yes(1), at(40));
    assert_eq!(r, Refusal::OutOfOrder { expected: 1 });
    let (s, _) = ok(s, yes(0), at(41));
    let (s, r) = refused(s, yes(2), at(42));
    assert_eq!(r, Refusal::OutOfOrder { expected: 2 });
    let (_, r) = refused(s, yes(9), at(43));
    assert_eq!(r, Refusal::NoSuchItem(10));
}

#[test]
fn a_repeated_answer_is_refused_and_never_counted_twice() {
    let (s, _) = ok(verified_session(), yes(0), at(41));
    let no = Event::Answer {
        index: 0,
        answer: AnswerKind::No,
        comment: None,
    };
    let (s, r) = refused(s, no, at(42));
    assert_eq!(r, Refusal::AlreadyAnswered(1));
    assert_eq!(r.code(), "already_answered");
    assert_eq!(s.answers.len(), 1);
    assert_eq!(s.answers[0].answer, AnswerKind::Yes);
    let answered = s
        .trace
        .iter()
        .filter(|e| matches!(e.event, TraceEvent::ItemAnswered { .. }))
        .count();
    assert_eq!(answered, 1);
}

#[test]
fn answers_are_stamped_with_the_edge_time() {
    let (s, _) = ok(verified_session(), yes(0), at(44));
    assert_eq!(s.answers[0].at, at(44));
}

#[test]
fn a_no_is_recorded_and_the_revisit_goes_on() {
    let s = verified_session();
    let (s, _) = ok(
        s,
        Event::Answer {
            index: 0,
            answer: AnswerKind::No,
            comment: Some("  合同还没收到 ".into()),
        },
        at(40),
    );
    assert_eq!(s.answers[0].answer, AnswerKind::No);
    assert_eq!(s.answers[0].comment.as_deref(), Some("合同还没收到"));
    let (s, _) = ok(s, yes(1), at(50));
    assert_eq!(s.stage, Stage::Verified);
}

#[test]
fn long_comments_are_refused() {
    let e = Event::Answer {
        index: 0,
        answer: AnswerKind::No,
        comment: Some("字".repeat(MAX_COMMENT_CHARS + 1)),
    };
    let (s, r) = refused(verified_session(), e, at(40));
    assert_eq!(r, Refusal::CommentTooLong);
    assert!(s.answers.is_empty());
}

#[test]
fn completion_needs_every_item() {
    let (s, _) = ok(verified_session(), yes(0), at(40));
    let (_, r) = refused(s, Event::Complete, at(50));
    assert_eq!(r, Refusal::ItemsRemaining { remaining: 2 });
}

#[test]
fn completion_asks_for_forwarding_and_kills_the_link() {
    let mut s = verified_session();
    for i in 0..3 {
        s = ok(s, yes(i), at(40 + i as u64)).0;
    }
    let (s, effects) = ok(s, Event::Complete, at(60));
    // Finished: the custody seals and forwards the record (`custody::tests`).
    assert_eq!((s.stage, effects), (Stage::Completed, vec![]));
    for e in [open(), Event::Complete, yes(0), issue(CODE)] {
        let (_, r) = refused(s.clone(), e, at(61));
        assert_eq!(r, Refusal::Finished);
    }
}
