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
        s = ok(s, yes(i), at(40 + 20 * i as u64)).0;
    }
    let e = Event::Sign {
        submission: crate::signature::sample_submission(),
    };
    let (_, r) = refused(s, e, at(100));
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
        s = ok(s, yes(i), at(40 + 20 * i as u64)).0;
    }
    let (s, effects) = ok(s, Event::Complete, at(100));
    // Finished: the custody seals and forwards the record (`custody::tests`).
    assert_eq!((s.stage, effects), (Stage::Completed, vec![]));
    for e in [open(), Event::Complete, yes(0), issue(CODE)] {
        let (_, r) = refused(s.clone(), e, at(101));
        assert_eq!(r, Refusal::Finished);
    }
}

// R9, enforced by the edge (issue 12): an answer sooner after the item was shown than its minimum
// reading time (less the 500 ms margin for the runtime's timer) is refused with the wait, traced,
// and nothing is recorded as answered; at the minimum it passes. Verified at 30 s.
#[test]
fn an_answer_before_the_minimum_reading_time_is_refused_and_traced() {
    let mut s = verified_session();
    s.revisit.script.items[0].min_read_secs = Some(10);
    s.revisit.script.items[1].min_read_secs = Some(4);
    let shown = at(30);
    assert_eq!(s.item_shown_at(), Some(shown));
    let (s, r) = refused(s, yes(0), shown.plus_millis(1_000));
    assert_eq!(
        r,
        Refusal::AnsweredTooSoon {
            retry_after_secs: 9
        }
    );
    assert_eq!(
        (r.code().as_str(), r.retry_after_secs()),
        ("answered_too_soon", Some(9))
    );
    assert!(s.answers.is_empty(), "nothing recorded as answered");
    let traced = s.trace.iter().last().map(|e| e.event.clone());
    assert_eq!(
        traced,
        Some(TraceEvent::AnswerTooSoon {
            index: 0,
            after_ms: 1_000,
            minimum_ms: 10_000
        })
    );
    // 1 ms inside the margin is still too soon; at the margin it passes.
    let (s, r) = refused(
        s,
        yes(0),
        shown.plus_millis(10_000 - READING_TOLERANCE_MS - 1),
    );
    assert_eq!(
        r,
        Refusal::AnsweredTooSoon {
            retry_after_secs: 1
        }
    );
    let answered_at = shown.plus_millis(10_000 - READING_TOLERANCE_MS);
    let s = ok(s, yes(0), answered_at).0;
    assert_eq!(s.answers.len(), 1);
    // The next item counts from the answer before it, not from the verification.
    assert_eq!(s.item_shown_at(), Some(answered_at));
    let (s, r) = refused(s, yes(1), answered_at.plus_millis(2_000));
    assert_eq!(
        r,
        Refusal::AnsweredTooSoon {
            retry_after_secs: 2
        }
    );
    let s = ok(s, yes(1), answered_at.plus_millis(4_000)).0;
    assert_eq!(s.answers.len(), 2);
    // A refused answer does not restart the item's clock: the trace's refusal is not a showing.
    assert_eq!(s.item_shown_at(), Some(answered_at.plus_millis(4_000)));
}

// A scripted revisit (代答) that fires every answer at once gets none through.
#[test]
fn a_script_answering_everything_at_once_gets_nothing_through() {
    let mut s = verified_session();
    let count = s.revisit.script.items.len();
    for i in 0..count {
        let (next, r) = refused(s, yes(i), at(31));
        let expected_refusal = if i == 0 {
            matches!(r, Refusal::AnsweredTooSoon { .. })
        } else {
            r == Refusal::OutOfOrder { expected: 1 }
        };
        assert!(expected_refusal, "item {i}: {r:?}");
        s = next;
    }
    assert!(s.answers.is_empty());
    let (_, r) = refused(s, Event::Complete, at(31));
    assert_eq!(r, Refusal::ItemsRemaining { remaining: count });
}

// A script that keeps firing at one item is refused every time, but traced once per showing: the
// stored session must not grow without bound (past the storage's value limit, found at about
// 3,400 refusals under wrangler dev, every later request failed with 500).
#[test]
fn a_script_firing_again_and_again_is_traced_once_per_showing() {
    let mut s = verified_session();
    s.revisit.script.items[0].min_read_secs = Some(10);
    s.revisit.script.items[1].min_read_secs = Some(10);
    let too_soon = |s: &Session| {
        s.trace
            .iter()
            .filter(|e| matches!(e.event, TraceEvent::AnswerTooSoon { .. }))
            .count()
    };
    for ms in 0..1_000 {
        s = refused(s, yes(0), at(30).plus_millis(ms)).0;
    }
    assert_eq!(too_soon(&s), 1);
    let s = ok(s, yes(0), at(40)).0;
    let (s, r) = refused(s, yes(1), at(41));
    assert!(matches!(r, Refusal::AnsweredTooSoon { .. }), "{r:?}");
    let s = refused(s, yes(1), at(42)).0;
    assert_eq!(too_soon(&s), 2, "the next item's first refusal is traced");
}
