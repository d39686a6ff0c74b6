//! Which cases an archived record opens (R11, R12): a completed revisit with a "no" on an item or a
//! sign of interference opens one problem case listing every finding; a revisit that did not
//! complete electronically opens a fallback task for the call centre.

use super::case::{CaseKind, FallbackReason, Finding, Opening};
use crate::record::{Outcome, Record};
use crate::time::Timestamp;
use crate::working_days::{beijing_date, end_of_beijing_day, CalendarError, WorkingCalendar};

/// R12: a problem case is handled within this many working days of its discovery.
pub const PROBLEM_WORKING_DAYS: u32 = 15;

/// The cases `record` opens, discovered at `discovered_at` (when the origin archived it).
/// `seller_code` is the seller of the policy, when the insurer gave it.
pub fn openings_for(
    record: &Record,
    seller_code: Option<&str>,
    discovered_at: Timestamp,
    calendar: &WorkingCalendar,
) -> Result<Vec<Opening>, CalendarError> {
    let opening = |kind, due_at| Opening {
        kind,
        revisit_id: record.revisit_id.clone(),
        policy_number: record.policy_number.clone(),
        seller_code: seller_code.map(str::to_string),
        cooling_off_ends_at: record.cooling_off_ends_at,
        discovered_at,
        due_at,
    };
    let reason = match record.outcome {
        Outcome::Completed => None,
        Outcome::Expired => Some(FallbackReason::Expired),
        Outcome::SwitchedToPhone => Some(FallbackReason::SwitchedToPhone),
        Outcome::Cancelled => Some(FallbackReason::Cancelled),
    };
    if let Some(reason) = reason {
        // R11: the recorded call must come before the cooling-off period ends.
        return Ok(vec![opening(
            CaseKind::Fallback { reason },
            record.cooling_off_ends_at,
        )]);
    }
    let findings = findings_in(record);
    if findings.is_empty() {
        return Ok(Vec::new());
    }
    let due_date = calendar.add_working_days(beijing_date(discovered_at), PROBLEM_WORKING_DAYS)?;
    Ok(vec![opening(
        CaseKind::Problem { findings },
        end_of_beijing_day(due_date),
    )])
}

/// Whether `record`, of a new revisit asked for a problem case, settles it (R12): completed
/// electronically, with nothing found (no "no", no sign of interference).
pub fn re_revisit_settles(record: &Record) -> bool {
    record.outcome == Outcome::Completed && findings_in(record).is_empty()
}

/// What a completed record found to handle (R12, R10): each item answered "no", with the
/// policyholder's words, then each kind of interference flag once. Empty when nothing was found.
pub fn findings_in(record: &Record) -> Vec<Finding> {
    let mut findings: Vec<Finding> = record
        .problem_items()
        .map(|item| Finding::ItemDeclined {
            item_id: item.id.clone(),
            comment: item.comment.clone(),
        })
        .collect();
    let mut flags: Vec<_> = record.flags.iter().map(|f| f.kind).collect();
    flags.dedup();
    for flag in flags {
        if !findings.contains(&Finding::Interference { flag }) {
            findings.push(Finding::Interference { flag });
        }
    }
    findings
}
