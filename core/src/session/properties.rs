//! Property tests: the session's invariants hold for any sequence of events.

use super::tests::{new_session, T0};
use super::*;
use crate::domain::OtpCode;
use crate::fixtures::open;
use proptest::prelude::*;

const RIGHT: &str = "135790";

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(open()),
        Just(Event::IssueCode {
            code: OtpCode::parse(RIGHT).unwrap(),
            salt: [9; 16]
        }),
        Just(Event::SubmitCode {
            code: OtpCode::parse(RIGHT).unwrap()
        }),
        (0u32..1_000_000).prop_map(|n| Event::SubmitCode {
            code: OtpCode::from_random(u64::from(n))
        }),
        (0usize..5, any::<bool>()).prop_map(|(index, yes)| Event::Answer {
            index,
            answer: if yes { AnswerKind::Yes } else { AnswerKind::No },
            comment: None,
        }),
        Just(Event::Complete),
        Just(Event::SwitchToPhone { reason: None }),
        Just(Event::Expire),
        Just(Event::Cancel),
        Just(Event::Open {
            device: "another-device".into(),
            lang: Some(Lang::En),
        }),
        Just(Event::ReissueLink {
            link_digest: "33".repeat(32)
        }),
    ]
}

proptest! {
    /// Whatever the policyholder (or an attacker) sends, in whatever order and timing, the
    /// session's invariants hold after every step.
    #[test]
    fn invariants_hold_for_any_event_sequence(
        steps in proptest::collection::vec((event(), 0u64..400_000), 1..60)
    ) {
        let mut s = new_session();
        let mut now = T0;
        let items = s.revisit.script.items.len();
        for (e, gap) in steps {
            now = now.plus_millis(gap);
            let before = s.clone();
            let (next, outcome) = s.apply(e, now);
            // R9: answers are exactly items 0..k, in order, stamped in time order.
            for (i, a) in next.answers.iter().enumerate() {
                prop_assert_eq!(a.index, i);
            }
            prop_assert!(next.answers.windows(2).all(|w| w[0].at <= w[1].at));
            prop_assert!(next.answers.len() <= items);
            // Answers only after a verified code.
            if !next.answers.is_empty() {
                prop_assert!(next.trace.iter().any(|t| t.event == TraceEvent::CodeVerified));
            }
            // Every item answer comes after every identity step of the script passed.
            if next.stage == Stage::Verified {
                prop_assert_eq!(next.next_step(), None);
            }
            // Completed only with every item answered.
            if next.stage == Stage::Completed {
                prop_assert_eq!(next.answers.len(), items);
            }
            // A finished session never changes again.
            if before.stage.is_finished() {
                prop_assert_eq!(&next, &before);
                prop_assert!(outcome.is_err());
            }
            // The clear code is never stored.
            let stored = serde_json::to_string(&next).unwrap();
            prop_assert!(!stored.contains(RIGHT));
            // The trace only grows.
            prop_assert!(next.trace.len() >= before.trace.len());
            s = next;
        }
    }
}
