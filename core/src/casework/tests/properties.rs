//! What no sequence of commands can break: a log the rules could not write does not replay, and
//! random command sequences keep the case's invariants.

use super::*;

#[test]
fn a_log_the_rules_could_not_write_does_not_replay() {
    let log = problem(None);
    assert_eq!(Case::replay(&[]), Err(ReplayError::NoOpening));
    let mut entries = log.entries.clone();
    let closed = CaseEvent::Closed {
        resolution: Resolution::ExplainedAndConfirmed,
        note: String::new(),
    };
    entries.push(Entry {
        at: T0,
        by: "r1".into(),
        event: closed,
    });
    entries.push(Entry {
        at: T0,
        by: "r1".into(),
        event: CaseEvent::CallLogged {
            result: CallResult::Reached,
            note: String::new(),
        },
    });
    assert_eq!(Case::replay(&entries), Err(ReplayError::OutOfPlace(2)));
    let twice = vec![log.entries[0].clone(), log.entries[0].clone()];
    assert_eq!(Case::replay(&twice), Err(ReplayError::OutOfPlace(1)));
    let routed = CaseEvent::RoutedToBranch {
        reason: RouteReason::CoolingOffEnding,
    };
    let problem_routed = vec![
        log.entries[0].clone(),
        Entry {
            at: T0,
            by: "system".into(),
            event: routed,
        },
    ];
    assert_eq!(
        Case::replay(&problem_routed),
        Err(ReplayError::OutOfPlace(1)),
        "a problem case has no channel"
    );
}

fn any_actor() -> impl Strategy<Value = Actor> {
    let role = prop_oneof![
        Just(Role::CallAgent),
        Just(Role::BranchHandler),
        Just(Role::Reviewer),
        Just(Role::Supervisor),
        Just(Role::Auditor),
        Just(Role::Admin),
    ];
    (
        0..3u8,
        role,
        proptest::option::of(prop_oneof![Just("S-007"), Just("S-008")]),
    )
        .prop_map(|(n, role, code)| Actor {
            staff_id: format!("u{n}"),
            role,
            seller_code: code.map(str::to_string),
        })
}

fn any_command() -> impl Strategy<Value = Command> {
    let result = prop_oneof![
        Just(CallResult::Reached),
        Just(CallResult::NoAnswer),
        Just(CallResult::Declined)
    ];
    let hash = prop_oneof![Just("ab".repeat(32)), Just("cd".repeat(32))];
    let resolution = prop_oneof![
        Just(Resolution::ExplainedAndConfirmed),
        Just(Resolution::CancelledInCoolingOff),
        Just(Resolution::ContractCorrected),
        Just(Resolution::CompletedByPhone {
            recording_ref: "rec".into()
        }),
        hash.clone().prop_map(|h| Resolution::CompletedByReceipt {
            channel: ReceiptChannel::Letter,
            receipt_sha256: h
        }),
        Just(Resolution::Unreachable {
            reasons: "三次上门无人".into()
        }),
        Just(Resolution::ReRevisited {
            revisit_id: RevisitId::from_random([8; 12])
        }),
    ];
    prop_oneof![
        (0..3u8).prop_map(|n| Command::Assign {
            to: format!("u{n}")
        }),
        result.prop_map(|result| Command::LogCall {
            result,
            note: "n".into()
        }),
        Just(Command::MarkMisSelling { note: "m".into() }),
        hash.prop_map(|sha256| Command::AttachReceipt {
            channel: ReceiptChannel::Letter,
            sha256
        }),
        resolution.prop_map(|resolution| Command::Resolve {
            resolution,
            note: "r".into()
        }),
        Just(Command::Approve { note: "a".into() }),
        Just(Command::Reject { note: "j".into() }),
        Just(Command::RequestReRevisit {
            revisit_id: RevisitId::from_random([8; 12]),
            link_sent: true,
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn random_work_keeps_the_invariants(
        is_problem in any::<bool>(),
        steps in proptest::collection::vec((any_actor(), any_command(), 0u64..(14 * 24)), 1..60),
    ) {
        let start = t("2026-09-01T02:00:00Z");
        let mut log = if is_problem { problem(Some("S-007")) } else { fallback(start.plus_millis(15 * DAY_MS), start) };
        let mut hours: Vec<u64> = steps.iter().map(|s| s.2).collect();
        hours.sort_unstable();
        for ((actor, command, _), hour) in steps.into_iter().zip(hours) {
            let now = start.plus_millis(hour * HOUR_MS);
            log.sweep(now);
            let before = log.case();
            let count = log.entries.len();
            let result = log.run(&actor, command, now);
            let after = log.case();
            if result.is_err() {
                prop_assert_eq!(log.entries.len(), count, "a refusal appends nothing");
            } else {
                prop_assert!(actor.role != Role::Auditor && actor.role != Role::Admin);
                prop_assert!(actor.seller_code.as_deref() != Some("S-007"), "the seller acted on their own case");
            }
            prop_assert!(after.call_attempts <= MAX_CALL_ATTEMPTS);
            if before.state == CaseState::Closed {
                prop_assert_eq!(&after, &before, "a closed case never changes");
            }
            if let Some(resolution) = &after.resolution {
                prop_assert_eq!(after.state, CaseState::Closed);
                prop_assert!(resolution.fits(&before) || before.state == CaseState::Closed);
            }
            prop_assert_eq!(after.is_problem(), after.channel.is_none());
            if let Some(Resolution::ReRevisited { revisit_id }) = &after.resolution {
                prop_assert!(after.re_revisits.contains(revisit_id), "closed by a revisit never asked for");
            }
        }
        // A closed mis-selling case was approved by someone other than its proposer.
        let case = log.case();
        if case.mis_selling && case.state == CaseState::Closed {
            let proposer = log.entries.iter().rev().find(|e| matches!(e.event, CaseEvent::ResolutionProposed { .. })).map(|e| e.by.clone());
            let closer = log.entries.iter().rev().find(|e| matches!(e.event, CaseEvent::Closed { .. })).map(|e| e.by.clone());
            prop_assert!(proposer.is_some());
            prop_assert_ne!(proposer, closer);
        }
        // The log survives a round trip through JSON and replays to the same case.
        let json = serde_json::to_string(&log.entries).unwrap();
        let back: Vec<Entry> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(Case::replay(&back).unwrap(), case);
    }
}
