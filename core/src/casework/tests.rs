#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::fixtures::{finished_session, T0};
use crate::record::{Outcome, Record};
use crate::session::AnswerKind;
use crate::time::{Timestamp, DAY_MS, HOUR_MS};
use crate::working_days::WorkingCalendar;
use crate::RevisitId;
use proptest::prelude::*;

fn t(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).unwrap()
}

/// Fri 25 Sep 2026, 10:00 Beijing.
fn friday_before_national_day() -> Timestamp {
    t("2026-09-25T02:00:00Z")
}

fn record(answers: &[AnswerKind]) -> Record {
    Record::of(
        &finished_session(RevisitId::from_random([3; 12]), answers),
        "test",
    )
    .unwrap()
}

fn staff(id: &str, role: Role) -> Actor {
    Actor {
        staff_id: id.into(),
        role,
        seller_code: None,
    }
}

fn seller(id: &str, role: Role, code: &str) -> Actor {
    Actor {
        staff_id: id.into(),
        role,
        seller_code: Some(code.into()),
    }
}

/// A case opened from `opening` by the system, and a way to apply commands to it.
struct Log {
    entries: Vec<Entry>,
}

impl Log {
    fn open(opening: Opening, at: Timestamp) -> Self {
        Log {
            entries: vec![Entry {
                at,
                by: "system".into(),
                event: CaseEvent::Opened(opening),
            }],
        }
    }

    fn case(&self) -> Case {
        Case::replay(&self.entries).unwrap()
    }

    fn sweep(&mut self, now: Timestamp) {
        for event in self.case().sweep(now) {
            self.entries.push(Entry {
                at: now,
                by: "system".into(),
                event,
            });
        }
    }

    fn run(&mut self, actor: &Actor, command: Command, now: Timestamp) -> Result<(), CaseRefusal> {
        self.sweep(now);
        let events = self.case().decide(actor, command, now)?;
        for event in events {
            self.entries.push(Entry {
                at: now,
                by: actor.staff_id.clone(),
                event,
            });
        }
        Ok(())
    }
}

fn problem(seller_code: Option<&str>) -> Log {
    let cal = WorkingCalendar::shipped().unwrap();
    let found = friday_before_national_day();
    let openings = openings_for(
        &record(&[AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes]),
        seller_code,
        found,
        &cal,
    )
    .unwrap();
    assert_eq!(openings.len(), 1);
    Log::open(openings[0].clone(), found)
}

fn fallback(cooling_off_ends_at: Timestamp, opened_at: Timestamp) -> Log {
    let mut rec = record(&[AnswerKind::Yes; 3]);
    rec.outcome = Outcome::Expired;
    rec.cooling_off_ends_at = cooling_off_ends_at;
    let cal = WorkingCalendar::shipped().unwrap();
    let openings = openings_for(&rec, Some("S-007"), opened_at, &cal).unwrap();
    Log::open(openings[0].clone(), opened_at)
}

fn call(result: CallResult) -> Command {
    Command::LogCall {
        result,
        note: "拨打".into(),
    }
}

#[test]
fn a_no_opens_one_problem_case_due_15_working_days_later() {
    let log = problem(None);
    let case = log.case();
    let CaseKind::Problem { findings } = &case.opening.kind else {
        panic!("{case:?}")
    };
    assert_eq!(
        findings,
        &[Finding::ItemDeclined {
            item_id: case_item_id(1),
            comment: Some("没有收到合同".into())
        }]
    );
    // Found on Fri 25 Sep 2026 (Mid-Autumn): due at the end of Thu 22 Oct, Beijing time.
    assert_eq!(case.due_at, t("2026-10-22T16:00:00Z"));
    assert!(!case.is_overdue(t("2026-10-22T15:59:59Z")));
    assert!(case.is_overdue(t("2026-10-22T16:00:00Z")));
    assert_eq!(case.state, CaseState::Open);
    assert_eq!(case.channel, None);
}

fn case_item_id(index: usize) -> String {
    record(&[AnswerKind::Yes, AnswerKind::Yes, AnswerKind::Yes]).items[index]
        .id
        .clone()
}

#[test]
fn what_each_outcome_opens() {
    let cal = WorkingCalendar::shipped().unwrap();
    let found = friday_before_national_day();
    assert!(
        openings_for(&record(&[AnswerKind::Yes; 3]), None, found, &cal)
            .unwrap()
            .is_empty()
    );
    for (outcome, reason) in [
        (Outcome::Expired, FallbackReason::Expired),
        (Outcome::SwitchedToPhone, FallbackReason::SwitchedToPhone),
        (Outcome::Cancelled, FallbackReason::Cancelled),
    ] {
        let mut rec = record(&[AnswerKind::Yes; 3]);
        rec.outcome = outcome;
        let openings = openings_for(&rec, None, found, &cal).unwrap();
        assert_eq!(openings.len(), 1);
        assert_eq!(openings[0].kind, CaseKind::Fallback { reason });
        assert_eq!(
            openings[0].due_at, rec.cooling_off_ends_at,
            "R11: the call comes before the end"
        );
    }
    // A problem found past the holiday table is an error, not a guessed deadline.
    let past = T0.plus_millis(400 * DAY_MS);
    assert!(openings_for(&record(&[AnswerKind::No; 3]), None, past, &cal).is_err());
}

#[test]
fn a_problem_is_settled_by_a_new_revisit_only_one_asked_for_it() {
    let now = friday_before_national_day().plus_millis(HOUR_MS);
    let reviewer = staff("r1", Role::Reviewer);
    let asked = RevisitId::from_random([7; 12]);
    let other = RevisitId::from_random([6; 12]);
    let by = |revisit_id: &RevisitId| Command::Resolve {
        resolution: Resolution::ReRevisited {
            revisit_id: revisit_id.clone(),
        },
        note: "新回访已完成".into(),
    };
    let mut log = problem(None);
    // Not before it is asked for.
    assert_eq!(
        log.run(&reviewer, by(&asked), now),
        Err(CaseRefusal::ResolutionDoesNotFit)
    );
    // Not by a call agent, nor on a fallback task, nor on a mis-selling case.
    let ask = || Command::RequestReRevisit {
        revisit_id: asked.clone(),
        link_sent: true,
    };
    assert_eq!(
        log.run(&staff("c1", Role::CallAgent), ask(), now),
        Err(CaseRefusal::NotYourWork)
    );
    let mut task = fallback(now.plus_millis(10 * DAY_MS), now);
    assert_eq!(
        task.run(&staff("s1", Role::Supervisor), ask(), now),
        Err(CaseRefusal::ResolutionDoesNotFit)
    );
    let mut mis = problem(None);
    mis.run(&reviewer, Command::MarkMisSelling { note: "m".into() }, now)
        .unwrap();
    assert_eq!(
        mis.run(&reviewer, ask(), now),
        Err(CaseRefusal::ResolutionDoesNotFit)
    );
    log.run(&reviewer, ask(), now).unwrap();
    assert_eq!(log.case().re_revisits, std::slice::from_ref(&asked));
    assert_eq!(
        log.run(&reviewer, by(&other), now),
        Err(CaseRefusal::ResolutionDoesNotFit)
    );
    log.run(&reviewer, by(&asked), now).unwrap();
    assert_eq!(
        log.case().resolution,
        Some(Resolution::ReRevisited { revisit_id: asked })
    );
    // The new record settles it only completed, with nothing found.
    assert!(re_revisit_settles(&record(&[AnswerKind::Yes; 3])));
    assert!(!re_revisit_settles(&record(&[
        AnswerKind::Yes,
        AnswerKind::No,
        AnswerKind::Yes
    ])));
    let mut expired = record(&[AnswerKind::Yes; 3]);
    expired.outcome = Outcome::Expired;
    assert!(!re_revisit_settles(&expired));
}

#[test]
fn a_reviewer_explains_and_closes_a_problem_case() {
    let mut log = problem(None);
    let now = friday_before_national_day().plus_millis(HOUR_MS);
    let reviewer = staff("r1", Role::Reviewer);
    assert_eq!(
        log.run(
            &staff("c1", Role::CallAgent),
            Command::Resolve {
                resolution: Resolution::ExplainedAndConfirmed,
                note: String::new()
            },
            now
        ),
        Err(CaseRefusal::NotYourWork)
    );
    log.run(&reviewer, Command::Assign { to: "r1".into() }, now)
        .unwrap();
    log.run(&reviewer, call(CallResult::Reached), now).unwrap();
    log.run(
        &reviewer,
        Command::Resolve {
            resolution: Resolution::ExplainedAndConfirmed,
            note: "已解释".into(),
        },
        now,
    )
    .unwrap();
    let case = log.case();
    assert_eq!(case.state, CaseState::Closed);
    assert_eq!(case.resolution, Some(Resolution::ExplainedAndConfirmed));
    assert_eq!(case.assignee.as_deref(), Some("r1"));
    assert_eq!(
        log.run(&reviewer, call(CallResult::Reached), now),
        Err(CaseRefusal::Closed)
    );
    // A problem cannot end as a fallback task does.
    let mut other = problem(None);
    let phone = Resolution::CompletedByPhone {
        recording_ref: "rec-1".into(),
    };
    assert_eq!(
        other.run(
            &reviewer,
            Command::Resolve {
                resolution: phone,
                note: String::new()
            },
            now
        ),
        Err(CaseRefusal::ResolutionDoesNotFit)
    );
}

#[test]
fn mis_selling_needs_a_second_person() {
    let mut log = problem(None);
    let now = friday_before_national_day();
    let (a, b) = (staff("r1", Role::Reviewer), staff("s1", Role::Supervisor));
    log.run(
        &a,
        Command::MarkMisSelling {
            note: "销售误导：承诺保本".into(),
        },
        now,
    )
    .unwrap();
    let explained = Command::Resolve {
        resolution: Resolution::ExplainedAndConfirmed,
        note: String::new(),
    };
    assert_eq!(
        log.run(&a, explained, now),
        Err(CaseRefusal::ResolutionDoesNotFit)
    );
    log.run(
        &a,
        Command::Resolve {
            resolution: Resolution::ContractCorrected,
            note: "已更正".into(),
        },
        now,
    )
    .unwrap();
    assert_eq!(log.case().state, CaseState::AwaitingApproval);
    assert_eq!(
        log.run(
            &a,
            Command::Approve {
                note: String::new()
            },
            now
        ),
        Err(CaseRefusal::SecondPersonRequired)
    );
    assert_eq!(
        log.run(&a, call(CallResult::Reached), now),
        Err(CaseRefusal::AwaitingApproval)
    );
    assert_eq!(
        log.run(
            &staff("c1", Role::CallAgent),
            Command::Approve {
                note: String::new()
            },
            now
        ),
        Err(CaseRefusal::NotYourWork)
    );
    log.run(
        &b,
        Command::Approve {
            note: "同意".into(),
        },
        now,
    )
    .unwrap();
    let case = log.case();
    assert_eq!(
        (case.state, case.resolution),
        (CaseState::Closed, Some(Resolution::ContractCorrected))
    );
}

#[test]
fn a_rejected_proposal_reopens_the_case() {
    let mut log = problem(None);
    let now = friday_before_national_day();
    let (a, b) = (staff("r1", Role::Reviewer), staff("r2", Role::Reviewer));
    log.run(
        &a,
        Command::MarkMisSelling {
            note: "误导".into(),
        },
        now,
    )
    .unwrap();
    log.run(
        &a,
        Command::Resolve {
            resolution: Resolution::CancelledInCoolingOff,
            note: String::new(),
        },
        now,
    )
    .unwrap();
    assert_eq!(
        log.run(&b, Command::Reject { note: " ".into() }, now),
        Err(CaseRefusal::BadInput("say why the proposal is rejected"))
    );
    log.run(
        &b,
        Command::Reject {
            note: "缺少退保凭证".into(),
        },
        now,
    )
    .unwrap();
    assert_eq!(log.case().state, CaseState::Open);
    assert_eq!(
        log.run(
            &b,
            Command::Approve {
                note: String::new()
            },
            now
        ),
        Err(CaseRefusal::NothingProposed)
    );
}

#[test]
fn the_seller_never_sees_or_handles_their_own_case_and_auditors_only_read() {
    let mut log = problem(Some("S-007"));
    let now = friday_before_national_day();
    let own = seller("r9", Role::Reviewer, "S-007");
    assert!(!log.case().visible_to(&own));
    assert!(log
        .case()
        .visible_to(&seller("r8", Role::Reviewer, "S-008")));
    assert_eq!(
        log.run(&own, Command::Assign { to: "r9".into() }, now),
        Err(CaseRefusal::OwnSale)
    );
    for role in [Role::Auditor, Role::Admin] {
        assert_eq!(
            log.run(&staff("x", role), Command::Assign { to: "x".into() }, now),
            Err(CaseRefusal::ReadOnly)
        );
    }
    assert_eq!(log.entries.len(), 1, "refusals append nothing");
}

#[test]
fn calls_only_in_hours_and_six_failed_attempts_go_to_the_branch() {
    let start = t("2026-09-01T02:00:00Z"); // 10:00 Beijing
    let mut log = fallback(start.plus_millis(15 * DAY_MS), start);
    let agent = staff("c1", Role::CallAgent);
    assert_eq!(log.case().channel, Some(Channel::CallCentre));
    // 21:30 and 08:59 Beijing are outside; 09:00 and 20:59 inside.
    assert!(!within_call_hours(t("2026-09-01T13:30:00Z")));
    assert!(!within_call_hours(t("2026-09-01T00:59:59Z")));
    assert!(within_call_hours(t("2026-09-01T01:00:00Z")));
    assert!(within_call_hours(t("2026-09-01T12:59:59Z")));
    assert_eq!(
        log.run(
            &agent,
            call(CallResult::NoAnswer),
            t("2026-09-01T13:30:00Z")
        ),
        Err(CaseRefusal::OutsideCallHours)
    );
    for i in 0..MAX_CALL_ATTEMPTS {
        log.run(
            &agent,
            call(CallResult::NoAnswer),
            start.plus_millis(u64::from(i) * DAY_MS),
        )
        .unwrap();
    }
    let case = log.case();
    assert_eq!((case.call_attempts, case.call_attempts_left()), (6, 0));
    assert_eq!(case.channel, Some(Channel::Branch));
    assert!(log.entries.iter().any(|e| e.event
        == CaseEvent::RoutedToBranch {
            reason: RouteReason::AttemptsExhausted
        }));
    assert_eq!(
        log.run(&agent, call(CallResult::NoAnswer), start),
        Err(CaseRefusal::NotYourWork)
    );
}

#[test]
fn at_three_days_left_a_phone_task_goes_to_the_branch_and_a_receipt_closes_it() {
    let start = t("2026-09-01T02:00:00Z");
    let ends = start.plus_millis(10 * DAY_MS);
    let mut log = fallback(ends, start);
    let agent = staff("c1", Role::CallAgent);
    for _ in 0..3 {
        log.run(&agent, call(CallResult::Busy), start).unwrap();
    }
    log.sweep(ends.plus_millis(0).since_checked_minus(3 * DAY_MS + 1));
    assert_eq!(
        log.case().channel,
        Some(Channel::CallCentre),
        "more than 3 days left"
    );
    log.sweep(ends.since_checked_minus(3 * DAY_MS));
    assert_eq!(log.case().channel, Some(Channel::Branch));
    let now = ends.since_checked_minus(2 * DAY_MS);
    let phone = Resolution::CompletedByPhone {
        recording_ref: "rec-9".into(),
    };
    let handler = staff("b1", Role::BranchHandler);
    assert_eq!(
        log.run(
            &handler,
            Command::Resolve {
                resolution: phone,
                note: String::new()
            },
            now
        ),
        Err(CaseRefusal::ResolutionDoesNotFit)
    );
    let hash = "ab".repeat(32);
    let receipt = |h: &str| Resolution::CompletedByReceipt {
        channel: ReceiptChannel::Visit,
        receipt_sha256: h.into(),
    };
    assert_eq!(
        log.run(
            &handler,
            Command::Resolve {
                resolution: receipt(&hash),
                note: String::new()
            },
            now
        ),
        Err(CaseRefusal::ReceiptMissing)
    );
    assert!(matches!(
        log.run(
            &handler,
            Command::AttachReceipt {
                channel: ReceiptChannel::Visit,
                sha256: "nope".into()
            },
            now
        ),
        Err(CaseRefusal::BadInput(_))
    ));
    log.run(
        &handler,
        Command::AttachReceipt {
            channel: ReceiptChannel::Visit,
            sha256: hash.to_uppercase(),
        },
        now,
    )
    .unwrap();
    log.run(
        &handler,
        Command::Resolve {
            resolution: receipt(&hash),
            note: "上门签收".into(),
        },
        now,
    )
    .unwrap();
    assert_eq!(log.case().state, CaseState::Closed);
}

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

trait Minus {
    fn since_checked_minus(self, ms: u64) -> Timestamp;
}

impl Minus for Timestamp {
    fn since_checked_minus(self, ms: u64) -> Timestamp {
        Timestamp::from_millis(self.millis() - ms)
    }
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
