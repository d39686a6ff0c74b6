//! Re-checks the whole case log, offline (R11, R12 with R4's tamper evidence): each entry's JSON
//! reads back, its columns say what its JSON says, the chain links every entry to the one before
//! (`log`), and each case's entries follow one another from its opening as the core's rules could
//! have written them. One precise failure per problem, named by the entry's seq and case.

use crate::archive::chain::{ChainBreak, ChainWalk};
use crate::archive::ArchiveError;
use crate::casework::log::{entry_chain, event_name, parse_entry};
use crate::casework::{CaseLogRow, CaseStore};
use huifang_core::casework::{Case, Entry};
use std::collections::HashMap;

/// Rows read at a time.
const PAGE_ROWS: u32 = 2_048;

/// Why one entry of the case log does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    /// The stored JSON is not an entry.
    #[error("unreadable_entry: {0}")]
    Unreadable(String),
    /// A column disagrees with the entry's JSON.
    #[error("column_mismatch: column {column} is {stored:?} but the entry says {logged:?}")]
    ColumnMismatch {
        /// The column.
        column: &'static str,
        /// What the column holds.
        stored: String,
        /// What the JSON holds.
        logged: String,
    },
    /// The chain breaks here.
    #[error("{}", describe(.0))]
    Chain(ChainBreak),
    /// The entry does not follow its case's entry before it (a gap, or an event the rules could
    /// not have written in the case's state).
    #[error("case_log_out_of_place: {0}")]
    OutOfPlace(String),
}

/// A chain break in the case log's words (the archive's [`ChainBreak`] speaks of records).
fn describe(b: &ChainBreak) -> String {
    let what = match b {
        ChainBreak::NotFromGenesis { seq } => {
            format!("seq {seq}: the log must start at seq 1 with prev_chain = 64 zeros")
        }
        ChainBreak::Missing { after, seq } => {
            format!("seq {seq} follows seq {after}: entries are missing")
        }
        ChainBreak::OutOfOrder { after, seq } => {
            format!("seq {seq} comes after seq {after}: out of order or repeated")
        }
        ChainBreak::BrokenLink { seq, previous } => {
            format!("seq {seq}: its prev_chain is not the chain of seq {previous}")
        }
        ChainBreak::Altered { seq } => {
            format!("seq {seq}: its chain is not SHA-256(prev_chain ‖ entry_json): the entry was altered")
        }
    };
    format!("{}: {what}", b.code())
}

impl EntryProblem {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreadable(_) => "unreadable_entry",
            Self::ColumnMismatch { .. } => "column_mismatch",
            Self::Chain(b) => b.code(),
            Self::OutOfPlace(_) => "case_log_out_of_place",
        }
    }
}

/// An entry that failed, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFailure {
    /// The entry's seq in the whole log.
    pub seq: u64,
    /// The store's row id.
    pub rowid: i64,
    /// The row's `case_id` column.
    pub case_id: String,
    /// What is wrong.
    pub problem: EntryProblem,
}

impl std::fmt::Display for EntryFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "case log seq {} (row {}) case_id={}: {}",
            self.seq, self.rowid, self.case_id, self.problem
        )
    }
}

/// What a check of the case log found.
#[derive(Debug, Default)]
pub struct CaseLogReport {
    /// Entries checked.
    pub entries: u64,
    /// Cases seen.
    pub cases: u64,
    /// Entries that failed, in seq order.
    pub failures: Vec<EntryFailure>,
    /// The last entry's seq and chain: commits to the whole log.
    pub head: Option<(u64, String)>,
}

fn column(column: &'static str, stored: &str, logged: &str) -> Result<(), EntryProblem> {
    if stored == logged {
        return Ok(());
    }
    Err(EntryProblem::ColumnMismatch {
        column,
        stored: stored.to_string(),
        logged: logged.to_string(),
    })
}

/// Where each case stands, as its entries so far make it; `None` once one of its entries failed:
/// its later entries are then not checked against it, so that one bad entry is one failure and
/// not a cascade (the chain still covers them).
type Cases = HashMap<String, Option<(u64, Case)>>;

/// The entry of `row`, its columns checked against it, folded into its case.
fn check_row(row: &CaseLogRow, cases: &mut Cases) -> Result<(), EntryProblem> {
    let logged =
        parse_entry(&row.entry_json).map_err(|e| EntryProblem::Unreadable(e.to_string()))?;
    column("case_id", &row.case_id, &logged.case_id)?;
    column(
        "case_seq",
        &row.case_seq.to_string(),
        &logged.case_seq.to_string(),
    )?;
    let name = event_name(&logged.event).map_err(|e| EntryProblem::Unreadable(e.to_string()))?;
    column("event", &row.event, &name)?;
    column("at", &row.at.to_string(), &logged.at.millis().to_string())?;
    column("actor", &row.actor, &logged.by)?;
    let case_id = logged.case_id.clone();
    let case_seq = logged.case_seq;
    let entry: Entry = logged.logged().entry;
    let out_of_place = |why: String| EntryProblem::OutOfPlace(why);
    match cases.remove(&case_id) {
        Some(None) => {
            cases.insert(case_id, None);
        }
        None if case_seq == 1 => {
            let case = Case::replay(std::slice::from_ref(&entry))
                .map_err(|e| out_of_place(format!("case_seq 1: {e}")))?;
            cases.insert(case_id, Some((1, case)));
        }
        None => {
            return Err(out_of_place(format!(
                "case_seq {case_seq} of a case whose opening is not in the log before it"
            )))
        }
        Some(Some((last, case))) => {
            if case_seq != last + 1 {
                return Err(out_of_place(format!(
                    "case_seq {case_seq} follows case_seq {last}"
                )));
            }
            let Some(next) = case.fold(&entry) else {
                return Err(out_of_place(format!(
                    "case_seq {case_seq}: a {} entry cannot happen in the case's state",
                    row.event
                )));
            };
            cases.insert(case_id, Some((case_seq, next)));
        }
    }
    Ok(())
}

/// Checks the whole case log in `store`.
pub fn verify_case_log(store: &dyn CaseStore) -> Result<CaseLogReport, ArchiveError> {
    let mut report = CaseLogReport::default();
    let mut walk = ChainWalk::from_genesis();
    let mut cases = Cases::new();
    let mut after = 0;
    loop {
        let rows = store.case_log_rows(after, PAGE_ROWS)?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for row in &rows {
            report.entries += 1;
            let failure = |problem| EntryFailure {
                seq: row.seq,
                rowid: row.rowid,
                case_id: row.case_id.clone(),
                problem,
            };
            let recomputed = entry_chain(&row.prev_chain, &row.entry_json);
            for b in walk.step_over(row.seq, &row.prev_chain, &row.chain, &recomputed) {
                report.failures.push(failure(EntryProblem::Chain(b)));
            }
            if let Err(problem) = check_row(row, &mut cases) {
                cases.insert(row.case_id.clone(), None);
                report.failures.push(failure(problem));
            }
        }
    }
    report.cases = cases.len() as u64;
    report.head = walk.last().map(|(seq, chain)| (seq, chain.to_string()));
    Ok(report)
}
