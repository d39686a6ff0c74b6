//! Working the cases: a case's file (its log and what the log makes of it), the system's sweep
//! (R11: a phone task goes to the branch at 3 days of cooling-off left), a staff command decided by
//! the core and appended with who and when, and the queues by role, sorted by due time.
//!
//! A command is decided on the state the log had when it was read, and appended only if the case's
//! last entry is still that one ([`CaseStore::append`]): of two concurrent actions on one case the
//! second is refused as stale, never applied on a state it did not see.

use crate::archive::ArchiveError;
use crate::casework::log::SYSTEM;
use crate::casework::{Appended, CaseId, CaseStore, LoggedEntry};
use huifang_core::casework::{
    Actor, Case, CaseRefusal, CaseState, Channel, Command, Entry, PROBLEM_WORKING_DAYS,
};
use huifang_core::working_days::{beijing_date, end_of_beijing_day, WorkingCalendar};
use huifang_core::Timestamp;
use serde::{Deserialize, Serialize};

/// Why a case could not be read or worked.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    /// No such case, or one the caller may not see (a seller's own sale).
    #[error("there is no such case")]
    NotFound,
    /// The rules refused the command; nothing was appended.
    #[error("{0}")]
    Refused(CaseRefusal),
    /// The case changed between reading and appending; nothing was appended.
    #[error("the case changed meanwhile; read it again and retry")]
    Changed,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] ArchiveError),
}

/// A case's log and what it makes of it.
#[derive(Clone, Debug)]
pub struct CaseFile {
    /// The case's id.
    pub id: CaseId,
    /// Its log, in order.
    pub entries: Vec<LoggedEntry>,
    /// The case as its log says it is now.
    pub case: Case,
}

impl CaseFile {
    /// The case from its log; a log that does not replay is corrupt (the verifier names where).
    pub fn of(id: CaseId, entries: Vec<LoggedEntry>) -> Result<Self, WorkError> {
        let plain: Vec<Entry> = entries.iter().map(|e| e.entry.clone()).collect();
        let case = Case::replay(&plain)
            .map_err(|e| WorkError::Store(ArchiveError::Corrupt(format!("case {id}: {e}"))))?;
        Ok(Self { id, entries, case })
    }

    /// The last entry's `case_seq`.
    pub fn last(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.case_seq)
    }

    /// The file after `appended` (already stored after [`Self::last`]).
    fn with(mut self, appended: Vec<Entry>) -> Result<Self, WorkError> {
        for entry in appended {
            self.case = self.case.fold(&entry).ok_or_else(|| {
                WorkError::Store(ArchiveError::Corrupt(format!(
                    "case {}: an appended entry does not fit",
                    self.id
                )))
            })?;
            let case_seq = self.last() + 1;
            self.entries.push(LoggedEntry { case_seq, entry });
        }
        Ok(self)
    }
}

/// The system's entries for what is due at `now` (routing to the branch).
fn sweep_entries(case: &Case, now: Timestamp) -> Vec<Entry> {
    case.sweep(now)
        .into_iter()
        .map(|event| Entry {
            at: now,
            by: SYSTEM.to_string(),
            event,
        })
        .collect()
}

/// Case `id` as its log says, with the system's sweep at `now` appended first so that its routing
/// is current.
pub fn load(store: &dyn CaseStore, id: &CaseId, now: Timestamp) -> Result<CaseFile, WorkError> {
    let entries = store.case_log(id)?;
    if entries.is_empty() {
        return Err(WorkError::NotFound);
    }
    swept(store, CaseFile::of(id.clone(), entries)?, now)
}

/// `file` with the sweep at `now` appended. Someone else appending meanwhile is no conflict here:
/// the file is read again and swept again (a few times at most).
fn swept(store: &dyn CaseStore, mut file: CaseFile, now: Timestamp) -> Result<CaseFile, WorkError> {
    for _ in 0..3 {
        let due = sweep_entries(&file.case, now);
        if due.is_empty() {
            return Ok(file);
        }
        match store.append(&file.id, file.last(), &due)? {
            Appended::Appended { .. } => return file.with(due),
            Appended::Stale { .. } => {
                file = CaseFile::of(file.id.clone(), store.case_log(&file.id)?)?;
            }
            Appended::NoSuchCase => return Err(WorkError::NotFound),
        }
    }
    Err(WorkError::Changed)
}

/// `actor`'s `command` on case `id` at `now`: the log read, swept, the command decided by the core,
/// and the sweep's and the command's entries appended together, each with who and when, only if the
/// case has not moved on meanwhile. A case the actor may not see is not found (a seller is not told
/// that a case on their sale exists).
pub fn act(
    store: &dyn CaseStore,
    id: &CaseId,
    actor: &Actor,
    command: Command,
    now: Timestamp,
) -> Result<CaseFile, WorkError> {
    let entries = store.case_log(id)?;
    if entries.is_empty() {
        return Err(WorkError::NotFound);
    }
    let file = CaseFile::of(id.clone(), entries)?;
    if !file.case.visible_to(actor) {
        return Err(WorkError::NotFound);
    }
    let mut appended = sweep_entries(&file.case, now);
    let mut current = file.case.clone();
    for entry in &appended {
        current = current
            .fold(entry)
            .ok_or_else(|| WorkError::Store(ArchiveError::Corrupt("sweep does not fit".into())))?;
    }
    let events = current
        .decide(actor, command, now)
        .map_err(WorkError::Refused)?;
    appended.extend(events.into_iter().map(|event| Entry {
        at: now,
        by: actor.staff_id.clone(),
        event,
    }));
    match store.append(id, file.last(), &appended)? {
        Appended::Appended { .. } => file.with(appended),
        Appended::Stale { .. } => Err(WorkError::Changed),
        Appended::NoSuchCase => Err(WorkError::NotFound),
    }
}

/// A queue of open work, by who works it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Problem cases (R12), open or awaiting a second person's approval.
    Reviewer,
    /// Fallback tasks with the call centre (R11).
    CallAgent,
    /// Fallback tasks with the branch: letters and visits (R11).
    Branch,
}

impl Queue {
    /// The queue named `text` (`reviewer`, `call_agent`, `branch`).
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(text.trim().to_string())).ok()
    }

    /// The queue a role works, if it works one.
    pub fn of_role(role: huifang_core::casework::Role) -> Option<Self> {
        use huifang_core::casework::Role;
        match role {
            Role::Reviewer => Some(Self::Reviewer),
            Role::CallAgent => Some(Self::CallAgent),
            Role::BranchHandler => Some(Self::Branch),
            Role::Supervisor | Role::Auditor | Role::Admin => None,
        }
    }

    /// Whether `role` may read this queue: its own, or any for a supervisor, an auditor or an
    /// admin (who read everything and work nothing).
    pub fn readable_by(self, role: huifang_core::casework::Role) -> bool {
        Self::of_role(role).is_none_or(|own| own == self)
    }

    /// Whether `case` is in this queue.
    pub fn holds(self, case: &Case) -> bool {
        if case.state == CaseState::Closed {
            return false;
        }
        match self {
            Self::Reviewer => case.is_problem(),
            Self::CallAgent => case.is_fallback() && case.channel == Some(Channel::CallCentre),
            Self::Branch => case.is_fallback() && case.channel == Some(Channel::Branch),
        }
    }
}

/// The open cases of `queue` that `actor` may see at `now`, swept, soonest due first.
pub fn queue(
    store: &dyn CaseStore,
    queue: Queue,
    actor: &Actor,
    now: Timestamp,
    calendar: &WorkingCalendar,
) -> Result<Vec<CaseFile>, WorkError> {
    let mut files = Vec::new();
    for (id, entries) in store.open_case_logs()? {
        let file = swept(store, CaseFile::of(id, entries)?, now)?;
        if queue.holds(&file.case) && file.case.visible_to(actor) {
            files.push(file);
        }
    }
    files.sort_by_key(|f| (due_of(&f.case, calendar).at, f.id.clone()));
    Ok(files)
}

/// A case's due time as shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    /// When it is due.
    pub at: Timestamp,
    /// `false` while the holiday table does not reach a problem case's deadline and `at` is the
    /// provisional one (`open::provisional_due`).
    pub exact: bool,
}

/// When `case` is due: a fallback task at the cooling-off end; a problem case 15 working days
/// after discovery (R12), counted again here so that a case opened with a provisional date shows
/// the exact one as soon as the calendar covers it.
pub fn due_of(case: &Case, calendar: &WorkingCalendar) -> Due {
    if !case.is_problem() {
        return Due {
            at: case.due_at,
            exact: true,
        };
    }
    let found = beijing_date(case.opening.discovered_at);
    match calendar.add_working_days(found, PROBLEM_WORKING_DAYS) {
        Ok(date) => Due {
            at: end_of_beijing_day(date),
            exact: true,
        },
        Err(_) => Due {
            at: case.due_at,
            exact: false,
        },
    }
}

/// Working days left at `now` until `due` (0 on its day and after); `None` when the holiday table
/// does not cover the span.
pub fn working_days_left(due: Due, now: Timestamp, calendar: &WorkingCalendar) -> Option<u32> {
    if !due.exact {
        return None;
    }
    if now >= due.at {
        return Some(0);
    }
    // `due.at` is an instant; the day it is due is the Beijing day of the instant just before.
    let due_day = beijing_date(Timestamp::from_millis(due.at.millis().saturating_sub(1)));
    calendar.working_days_left(beijing_date(now), due_day).ok()
}

/// Whether `case` is open past `due`.
pub fn is_overdue(case: &Case, due: Due, now: Timestamp) -> bool {
    case.state != CaseState::Closed && now >= due.at
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::casework::{CaseEvent, CaseKind, Finding, Opening, Role};
    use huifang_core::{PolicyNumber, RevisitId};

    fn t(rfc3339: &str) -> Timestamp {
        Timestamp::parse_rfc3339(rfc3339).unwrap()
    }

    fn problem(discovered_at: Timestamp, due_at: Timestamp) -> Case {
        let opening = Opening {
            kind: CaseKind::Problem {
                findings: vec![Finding::ItemDeclined {
                    item_id: "q1".into(),
                    comment: None,
                }],
            },
            revisit_id: RevisitId::from_random([1; 12]),
            policy_number: PolicyNumber::parse("P20260001").unwrap(),
            seller_code: None,
            cooling_off_ends_at: discovered_at.plus_millis(15 * huifang_core::time::DAY_MS),
            discovered_at,
            due_at,
        };
        Case::replay(&[Entry {
            at: discovered_at,
            by: SYSTEM.into(),
            event: CaseEvent::Opened(opening),
        }])
        .unwrap()
    }

    #[test]
    fn a_problem_case_is_due_15_working_days_on_and_counts_down_to_0() {
        let calendar = WorkingCalendar::shipped().unwrap();
        let found = t("2026-09-25T02:00:00Z");
        // Stored with a provisional date: the calendar covers it, so the exact one is shown.
        let case = problem(found, t("2026-10-10T16:00:00Z"));
        let due = due_of(&case, &calendar);
        assert_eq!(
            due,
            Due {
                at: t("2026-10-22T16:00:00Z"),
                exact: true
            }
        );
        assert_eq!(working_days_left(due, found, &calendar), Some(15));
        // 28–30 Sep counted down; then 8, 9 and Saturday 10 Oct (worked), 12–16, 19–22 Oct: 12.
        assert_eq!(
            working_days_left(due, t("2026-09-30T02:00:00Z"), &calendar),
            Some(12)
        );
        assert_eq!(
            working_days_left(due, t("2026-10-22T10:00:00Z"), &calendar),
            Some(0)
        );
        assert_eq!(
            working_days_left(due, t("2026-10-23T10:00:00Z"), &calendar),
            Some(0)
        );
        assert!(!is_overdue(&case, due, t("2026-10-22T15:59:59Z")));
        assert!(is_overdue(&case, due, t("2026-10-22T16:00:00Z")));
        // Past the table: the stored date, flagged, and no count.
        let late = problem(t("2027-01-15T08:00:00Z"), t("2027-01-30T16:00:00Z"));
        let due = due_of(&late, &calendar);
        assert_eq!(
            due,
            Due {
                at: t("2027-01-30T16:00:00Z"),
                exact: false
            }
        );
        assert_eq!(
            working_days_left(due, t("2027-01-15T08:00:00Z"), &calendar),
            None
        );
    }

    #[test]
    fn each_working_role_reads_its_own_queue_and_overseers_read_all() {
        for queue in [Queue::Reviewer, Queue::CallAgent, Queue::Branch] {
            for role in [Role::Supervisor, Role::Auditor, Role::Admin] {
                assert!(queue.readable_by(role));
            }
            assert_eq!(Queue::parse(&format!("{queue:?}")), None);
        }
        assert!(Queue::Reviewer.readable_by(Role::Reviewer));
        assert!(!Queue::Reviewer.readable_by(Role::CallAgent));
        assert!(!Queue::Branch.readable_by(Role::CallAgent));
        assert!(Queue::Branch.readable_by(Role::BranchHandler));
        assert_eq!(Queue::parse(" call_agent "), Some(Queue::CallAgent));
        assert_eq!(Queue::parse("branch"), Some(Queue::Branch));
        let case = problem(t("2026-09-25T02:00:00Z"), t("2026-10-22T16:00:00Z"));
        assert!(Queue::Reviewer.holds(&case));
        assert!(!Queue::CallAgent.holds(&case));
    }
}
