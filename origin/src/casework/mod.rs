//! The insurer's casework at the origin (R11, R12): the problem cases and fallback tasks each
//! archived record opens, kept as one append-only, hash-chained log of entries beside the archive,
//! and worked as queues. Every decision is the core's (`huifang_core::casework`): which cases a
//! record opens, what a case is after its entries, who may do what. Here:
//! - [`CaseStore`]: the store of the log (it keeps and reads, decides nothing); SQLite implements
//!   it in `archive::sqlite`, in the archive's file;
//! - [`log`]: how entries are written and chained (the archive chain's rule, `archive::chain`);
//! - [`open`]: the cases a record opens, with a provisional due date past the holiday table;
//! - [`work`]: load, sweep, decide, append; the queues and the case views;
//! - [`verify`]: re-checks the whole log (`verify-archive` runs it).

pub mod log;
pub mod open;
pub mod verify;
pub mod work;

pub use log::{CaseId, LoggedEntry};

use crate::archive::ArchiveError;
use huifang_core::casework::Entry;

/// What an append did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Appended {
    /// The entries were appended; the case's last entry is now `last`.
    Appended {
        /// The case's last `case_seq`.
        last: u64,
    },
    /// The case has moved on since it was read (its last entry is `last`, not the one expected):
    /// nothing was appended, as the command was decided on a stale state.
    Stale {
        /// The case's last `case_seq` now.
        last: u64,
    },
    /// There is no such case.
    NoSuchCase,
}

/// One row of the case log exactly as stored, for the verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseLogRow {
    /// The store's own identity of the row, in insertion order.
    pub rowid: i64,
    /// Position in the whole log, from 1 (the chain's order).
    pub seq: u64,
    /// The `case_id` column.
    pub case_id: String,
    /// The `case_seq` column: position in its case's log, from 1.
    pub case_seq: u64,
    /// The `event` column: the event's name (`opened`, `closed`, …).
    pub event: String,
    /// The `at` column.
    pub at: u64,
    /// The `actor` column: who (a staff id, or `system`).
    pub actor: String,
    /// The entry's canonical JSON ([`log::ChainedEntry`]): what the chain covers.
    pub entry_json: String,
    /// The chain of the entry before it (64 zeros for seq 1).
    pub prev_chain: String,
    /// `SHA-256(prev_chain ‖ entry_json)`.
    pub chain: String,
}

/// The case log's store. Entries are append-only: there is deliberately no method that changes or
/// removes one. A case is opened with its record, in the archive's transaction
/// (`Archive::archive_record` with [`crate::archive::NewRecord::cases`]).
pub trait CaseStore: Send + Sync {
    /// The log of one case in order (empty when there is no such case).
    fn case_log(&self, id: &CaseId) -> Result<Vec<LoggedEntry>, ArchiveError>;

    /// The logs of every case without a `closed` entry, each in order, cases in id order.
    fn open_case_logs(&self) -> Result<Vec<(CaseId, Vec<LoggedEntry>)>, ArchiveError>;

    /// Appends `entries` to case `id` if its last entry is still `after` (one transaction, linked
    /// to the head of the whole log as [`log::next_entry_link`] decides); otherwise appends
    /// nothing and says why.
    fn append(&self, id: &CaseId, after: u64, entries: &[Entry]) -> Result<Appended, ArchiveError>;

    /// Up to `limit` rows of the whole log after `seq`, in seq order: how the verifier walks it.
    fn case_log_rows(&self, after_seq: u64, limit: u32) -> Result<Vec<CaseLogRow>, ArchiveError>;
}
