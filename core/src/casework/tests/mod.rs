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

mod fallback;
mod properties;
