#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::casework::ReceiptChannel;
use crate::fixtures::finished_session;
use crate::session::AnswerKind;
use crate::RevisitId;

fn key(period: &str, channel: &str) -> GroupKey {
    GroupKey {
        period: period.into(),
        region: "cn-east".into(),
        channel: channel.into(),
        product_type: "other".into(),
    }
}

fn rc(k: &GroupKey, outcome: &str, in_cooling_off: bool, count: u64) -> RevisitCount {
    RevisitCount {
        key: k.clone(),
        outcome: outcome.into(),
        in_cooling_off,
        count,
    }
}

fn cc(k: &GroupKey, kind: &str, res: Option<&str>, standing: Standing, count: u64) -> CaseCount {
    CaseCount {
        key: k.clone(),
        kind: kind.into(),
        resolution: res.map(str::to_string),
        standing,
        count,
    }
}

#[test]
fn each_category_lands_in_its_figure() {
    let a = key("2026-11", "bank");
    let b = key("2026-12", "unknown");
    let groups = tabulate(
        &[
            rc(&a, "completed", true, 90),
            rc(&a, "completed", false, 1),
            rc(&a, "switched_to_phone", true, 5),
            rc(&a, "expired", false, 3),
            rc(&a, "cancelled", false, 1),
            rc(&b, "completed", true, 10),
        ],
        &[
            cc(
                &a,
                "fallback",
                Some("completed_by_phone"),
                Standing::ClosedInTime,
                4,
            ),
            cc(
                &a,
                "fallback",
                Some("completed_by_receipt"),
                Standing::ClosedLate,
                2,
            ),
            cc(
                &a,
                "fallback",
                Some("unreachable"),
                Standing::ClosedInTime,
                1,
            ),
            cc(&a, "fallback", None, Standing::Open, 2),
            cc(&a, "problem", None, Standing::Open, 3),
            cc(&a, "problem", None, Standing::OpenOverdue, 1),
            cc(
                &a,
                "problem",
                Some("contract_corrected"),
                Standing::ClosedInTime,
                6,
            ),
            cc(
                &a,
                "problem",
                Some("explained_and_confirmed"),
                Standing::ClosedLate,
                2,
            ),
        ],
        &[(a.clone(), 2)],
    );
    let f = &groups[&a];
    assert_eq!(f.issued, 100);
    assert_eq!(f.completed_electronic_in_cooling_off, 90);
    assert_eq!(f.completed_electronic_late, 1);
    assert_eq!(f.switched_to_phone, 5);
    assert_eq!((f.electronic_expired, f.electronic_cancelled), (3, 1));
    assert_eq!(
        (f.completed_by_phone, f.completed_by_letter_or_visit),
        (4, 2)
    );
    assert_eq!(
        (f.not_completed_unreachable, f.not_completed_in_progress),
        (1, 2)
    );
    assert_eq!(f.problem_cases_opened, 12);
    assert_eq!(f.problem_cases_handled_in_time, 6);
    assert_eq!(f.problem_cases_overdue, 3);
    assert_eq!(f.sampling_findings, 2);
    assert_eq!(f.electronic_rate_permille(), Some(900));
    let by_period = roll_up(&groups, |k| k.period.clone());
    assert_eq!(by_period["2026-12"].issued, 10);
    let total = roll_up(&groups, |_| String::new());
    assert_eq!(total[""].issued, 110);
    assert_eq!(total[""].values().len(), COLUMNS.len());
}

#[test]
fn standing_against_the_deadline() {
    let due = Timestamp(1_000);
    assert_eq!(
        standing(due, Some(Timestamp(1_000)), Timestamp(5_000)),
        Standing::ClosedInTime
    );
    assert_eq!(
        standing(due, Some(Timestamp(1_001)), Timestamp(5_000)),
        Standing::ClosedLate
    );
    assert_eq!(standing(due, None, Timestamp(1_000)), Standing::Open);
    assert_eq!(standing(due, None, Timestamp(1_001)), Standing::OpenOverdue);
}

#[test]
fn a_records_facts_and_the_beijing_month() {
    let record = Record::of(
        &finished_session(RevisitId::from_random([1; 12]), &[AnswerKind::Yes; 3]),
        "cn-east",
    )
    .unwrap();
    let f = facts_of(&record, None);
    assert_eq!(f.key.channel, "unknown");
    assert_eq!(f.key.region, "cn-east");
    assert_eq!(f.key.product_type, "other");
    assert_eq!(f.outcome, "completed");
    assert_eq!(facts_of(&record, Some("bank")).key.channel, "bank");
    // 2026-11-30 16:00 UTC is 2026-12-01 00:00 in Beijing.
    let t = Timestamp::parse_rfc3339("2026-11-30T16:00:00Z").unwrap();
    assert_eq!(period_of(t), "2026-12");
    assert_eq!(period_of(Timestamp(t.millis() - 1)), "2026-11");
    assert_eq!(
        beijing_year_start(2027),
        Some(Timestamp::parse_rfc3339("2027-01-01T00:00:00+08:00").unwrap())
    );
    assert_eq!(
        resolution_name(&Resolution::CompletedByReceipt {
            channel: ReceiptChannel::Visit,
            receipt_sha256: String::new()
        }),
        "completed_by_receipt"
    );
}
