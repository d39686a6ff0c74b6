//! The insurer's ongoing statistics (R14, R15): per period (the Beijing month the revisit was
//! issued), region, channel and product type, what became of the revisits issued, the problem
//! cases and the sampling findings. The store counts rows by plain categories ([`RevisitCount`],
//! [`CaseCount`]); what each category means for the regulator's figures is decided here.
//!
//! "Issued" counts the revisits whose record reached the archive: every revisit issued ends in a
//! record (completed, switched to phone, expired or cancelled), so a revisit still open at the
//! edge is counted once it ends.

use crate::casework::Resolution;
use crate::record::Record;
use crate::sample_run::{channel_of, product_type, UNKNOWN};
use crate::time::{Timestamp, BEIJING_OFFSET_MS};
use serde::Serialize;
use std::collections::BTreeMap;

/// The grouping of a revisit: the Beijing month it was issued (`2026-11`), its region (the edge
/// environment that ran it), its channel (`unknown` when the record has none) and product type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct GroupKey {
    pub period: String,
    pub region: String,
    pub channel: String,
    pub product_type: String,
}

/// What the statistics keep of an archived record (a row per revisit at the origin).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisitFacts {
    pub key: GroupKey,
    pub created_at: Timestamp,
    pub finished_at: Timestamp,
    pub cooling_off_ends_at: Timestamp,
    pub outcome: String,
}

/// The Beijing calendar month of an instant, `YYYY-MM`.
pub fn period_of(t: Timestamp) -> String {
    let date = crate::working_days::beijing_date(t);
    date.format("%Y-%m").to_string()
}

/// The facts of a record; `channel` as the record carries it (records sealed before the create
/// body had a channel have none: `unknown`).
pub fn facts_of(record: &Record, channel: Option<&str>) -> RevisitFacts {
    let ids: Vec<&str> = record.items.iter().map(|i| i.id.as_str()).collect();
    facts_from(
        [
            record.created_at,
            record.finished_at,
            record.cooling_off_ends_at,
        ],
        record.outcome.as_str(),
        &record.region,
        channel,
        &ids,
    )
}

/// The facts from a record's fields: its times (created, finished, cooling-off end), outcome,
/// region, channel and the ids of the items shown.
pub fn facts_from(
    [created_at, finished_at, cooling_off_ends_at]: [Timestamp; 3],
    outcome: &str,
    region: &str,
    channel: Option<&str>,
    item_ids: &[&str],
) -> RevisitFacts {
    RevisitFacts {
        key: GroupKey {
            period: period_of(created_at),
            region: region.to_string(),
            channel: channel_of(channel).unwrap_or_else(|| UNKNOWN.to_string()),
            product_type: product_type(item_ids.iter().copied()).to_string(),
        },
        created_at,
        finished_at,
        cooling_off_ends_at,
        outcome: outcome.to_string(),
    }
}

impl RevisitFacts {
    /// Whether it finished inside the cooling-off period (the link dies at its end, R1).
    pub fn in_cooling_off(&self) -> bool {
        self.finished_at <= self.cooling_off_ends_at
    }
}

/// A case's standing from the store's comparisons: closed or not, closed by its due time, and
/// whether `now` is past its due time.
pub fn standing_of(closed: bool, closed_by_due: bool, past_due: bool) -> Standing {
    match (closed, closed_by_due, past_due) {
        (true, true, _) => Standing::ClosedInTime,
        (true, false, _) => Standing::ClosedLate,
        (false, _, true) => Standing::OpenOverdue,
        (false, _, false) => Standing::Open,
    }
}

/// The store's name for a case's resolution (`resolution` column of the facts).
pub fn resolution_name(r: &Resolution) -> &'static str {
    match r {
        Resolution::ExplainedAndConfirmed => "explained_and_confirmed",
        Resolution::CancelledInCoolingOff => "cancelled_in_cooling_off",
        Resolution::ContractCorrected => "contract_corrected",
        Resolution::ReRevisited { .. } => "re_revisited",
        Resolution::CompletedByPhone { .. } => "completed_by_phone",
        Resolution::CompletedByReceipt { .. } => "completed_by_receipt",
        Resolution::Unreachable { .. } => "unreachable",
    }
}

/// Revisits of a group with one electronic outcome, finished inside the cooling-off period or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisitCount {
    pub key: GroupKey,
    pub outcome: String,
    pub in_cooling_off: bool,
    pub count: u64,
}

/// Where a case stands against its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Closed on or before its due time.
    ClosedInTime,
    /// Closed after its due time.
    ClosedLate,
    /// Open, not yet due.
    Open,
    /// Open past its due time.
    OpenOverdue,
}

/// Where a case stands at `now`.
pub fn standing(due_at: Timestamp, closed_at: Option<Timestamp>, now: Timestamp) -> Standing {
    match closed_at {
        Some(c) if c <= due_at => Standing::ClosedInTime,
        Some(_) => Standing::ClosedLate,
        None if now > due_at => Standing::OpenOverdue,
        None => Standing::Open,
    }
}

/// Cases of a group by kind (`problem`, `fallback`), resolution (its store name, `None` while
/// open) and standing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseCount {
    pub key: GroupKey,
    pub kind: String,
    pub resolution: Option<String>,
    pub standing: Standing,
    pub count: u64,
}

/// The regulator's figures of one group (or a total).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub issued: u64,
    pub completed_electronic_in_cooling_off: u64,
    /// Completed electronically after the period ended (the link dies then: should stay 0).
    pub completed_electronic_late: u64,
    pub completed_by_phone: u64,
    pub completed_by_letter_or_visit: u64,
    /// Not completed: every way failed, the reasons recorded (R11).
    pub not_completed_unreachable: u64,
    /// Not completed yet: the fallback is still being worked (or closed otherwise).
    pub not_completed_in_progress: u64,
    /// Why the electronic revisit did not complete: the link expired, or it was cancelled.
    pub electronic_expired: u64,
    pub electronic_cancelled: u64,
    pub switched_to_phone: u64,
    pub problem_cases_opened: u64,
    pub problem_cases_handled_in_time: u64,
    pub problem_cases_overdue: u64,
    pub sampling_findings: u64,
}

/// The figures' names in the order every table, CSV and workbook shows them, with the Chinese
/// header of the regulator's table.
pub const COLUMNS: [(&str, &str); 14] = [
    ("issued", "应回访件数"),
    (
        "completed_electronic_in_cooling_off",
        "犹豫期内电子化回访成功",
    ),
    ("completed_electronic_late", "犹豫期后电子化回访成功"),
    ("completed_by_phone", "电话回访成功"),
    ("completed_by_letter_or_visit", "信函/上门回访成功"),
    ("not_completed_unreachable", "未成功：均无法联系"),
    ("not_completed_in_progress", "未成功：处理中"),
    ("electronic_expired", "电子化未完成：链接过期"),
    ("electronic_cancelled", "电子化未完成：已撤销"),
    ("switched_to_phone", "转电话回访"),
    ("problem_cases_opened", "问题件数"),
    ("problem_cases_handled_in_time", "15个工作日内处理"),
    ("problem_cases_overdue", "逾期问题件"),
    ("sampling_findings", "质检发现问题"),
];

impl Figures {
    /// The figures in [`COLUMNS`] order.
    pub fn values(&self) -> [u64; 14] {
        [
            self.issued,
            self.completed_electronic_in_cooling_off,
            self.completed_electronic_late,
            self.completed_by_phone,
            self.completed_by_letter_or_visit,
            self.not_completed_unreachable,
            self.not_completed_in_progress,
            self.electronic_expired,
            self.electronic_cancelled,
            self.switched_to_phone,
            self.problem_cases_opened,
            self.problem_cases_handled_in_time,
            self.problem_cases_overdue,
            self.sampling_findings,
        ]
    }

    pub fn add(&mut self, other: &Figures) {
        let mut out = [0u64; 14];
        for (o, (a, b)) in out.iter_mut().zip(self.values().iter().zip(other.values())) {
            *o = a + b;
        }
        *self = Self::from_values(out);
    }

    fn from_values(v: [u64; 14]) -> Self {
        Figures {
            issued: v[0],
            completed_electronic_in_cooling_off: v[1],
            completed_electronic_late: v[2],
            completed_by_phone: v[3],
            completed_by_letter_or_visit: v[4],
            not_completed_unreachable: v[5],
            not_completed_in_progress: v[6],
            electronic_expired: v[7],
            electronic_cancelled: v[8],
            switched_to_phone: v[9],
            problem_cases_opened: v[10],
            problem_cases_handled_in_time: v[11],
            problem_cases_overdue: v[12],
            sampling_findings: v[13],
        }
    }

    /// The success rate within the cooling-off period, electronic only, in per mille (the
    /// service-rating indicator), `None` when nothing was issued.
    pub fn electronic_rate_permille(&self) -> Option<u64> {
        (self.issued > 0).then(|| self.completed_electronic_in_cooling_off * 1000 / self.issued)
    }
}

/// The figures per group, from the store's counts and the sampling findings per group.
pub fn tabulate(
    revisits: &[RevisitCount],
    cases: &[CaseCount],
    findings: &[(GroupKey, u64)],
) -> BTreeMap<GroupKey, Figures> {
    let mut out: BTreeMap<GroupKey, Figures> = BTreeMap::new();
    for r in revisits {
        let f = out.entry(r.key.clone()).or_default();
        f.issued += r.count;
        match (r.outcome.as_str(), r.in_cooling_off) {
            ("completed", true) => f.completed_electronic_in_cooling_off += r.count,
            ("completed", false) => f.completed_electronic_late += r.count,
            ("switched_to_phone", _) => f.switched_to_phone += r.count,
            ("expired", _) => f.electronic_expired += r.count,
            ("cancelled", _) => f.electronic_cancelled += r.count,
            _ => {}
        }
    }
    for c in cases {
        let f = out.entry(c.key.clone()).or_default();
        match c.kind.as_str() {
            "fallback" => match c.resolution.as_deref() {
                Some("completed_by_phone") => f.completed_by_phone += c.count,
                Some("completed_by_receipt") => f.completed_by_letter_or_visit += c.count,
                Some("unreachable") => f.not_completed_unreachable += c.count,
                _ => f.not_completed_in_progress += c.count,
            },
            "problem" => {
                f.problem_cases_opened += c.count;
                match c.standing {
                    Standing::ClosedInTime => f.problem_cases_handled_in_time += c.count,
                    Standing::ClosedLate | Standing::OpenOverdue => {
                        f.problem_cases_overdue += c.count
                    }
                    Standing::Open => {}
                }
            }
            _ => {}
        }
    }
    for (key, n) in findings {
        out.entry(key.clone()).or_default().sampling_findings += n;
    }
    out
}

/// Sums the groups by a coarser key (e.g. the period alone), in key order.
pub fn roll_up(
    groups: &BTreeMap<GroupKey, Figures>,
    by: impl Fn(&GroupKey) -> String,
) -> BTreeMap<String, Figures> {
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    for (key, f) in groups {
        out.entry(by(key)).or_default().add(f);
    }
    out
}

/// The start of a Beijing year (`year`-01-01 00:00 +08:00) as an instant.
pub fn beijing_year_start(year: i32) -> Option<Timestamp> {
    let date = chrono::NaiveDate::from_ymd_opt(year, 1, 1)?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let days = u64::try_from((date - epoch).num_days()).ok()?;
    Some(Timestamp::from_millis(
        (days * crate::time::DAY_MS).checked_sub(BEIJING_OFFSET_MS)?,
    ))
}

#[cfg(test)]
#[path = "statistics_tests.rs"]
mod tests;
