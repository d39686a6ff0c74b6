//! The insurer's e-archive (R3, R5, R14): sealed records chained in the order they arrived (R4),
//! the problem cases and phone tasks they raise, the contract terminations that start their
//! retention (R5), and the dev SMS outbox.
//!
//! The domain decides here: [`chain`] (how records link), [`calendar`] (retention, Beijing time).
//! [`Archive`] is the store: it only keeps and reads back what the domain gives it, and is all
//! that handlers and auditors see. [`sqlite`] (the embedded default) and [`postgres`] (a database
//! server) implement it, each with its schema as numbered migrations under
//! `origin/migrations/<engine>/`; [`engine`] picks one from `--db` at startup.

pub mod calendar;
pub mod chain;
pub mod engine;
pub(crate) mod facts;
pub mod group;
pub mod postgres;
pub mod records;
pub mod sqlite;
#[cfg(test)]
pub(crate) mod store_tests;
pub mod tables;

pub use engine::{Db, Store};
pub use records::{
    Archived, ArchivedRow, NewRecord, NewSms, PhoneTask, PolicyTermination, ProblemCase,
    RecordQuery, RecordSummary, RowCursor, RowFilter, StoredRecord, StoredSms, Termination,
};

use huifang_core::{Phone, RevisitId, Timestamp};

/// Why the archive could not do what was asked. The text is for the log only.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The storage engine failed.
    #[error("storage: {0}")]
    Storage(String),
    /// A stored row could not be read back as what was written.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The file is an archive this origin cannot use (e.g. written by a newer version).
    #[error("{0}")]
    Format(String),
}

/// The archive as handlers and auditors see it. Records are append-only: there is deliberately no
/// method that updates or deletes one (R4).
pub trait Archive: Send + Sync {
    /// Stores a verified record unless one is already stored for its revisit, atomically with its
    /// problem cases and phone task and the `opened` entries of the cases it opens in the case log
    /// ([`NewRecord::cases`]), linked to the head as [`chain::next_link`] decides (in the same
    /// transaction). Every call is logged as a delivery.
    /// Deliveries that arrive together share one transaction ([`group`]; issue 19): the answer
    /// comes only once the transaction holding the record has committed durably (R3).
    fn archive_record(&self, record: &NewRecord) -> Result<Archived, ArchiveError>;

    /// Stores `records` in one transaction, each exactly as [`Archive::archive_record`] would and
    /// chained in the order given: all of them, or, if anything fails (the commit included), none.
    /// The answers are in the records' order.
    fn archive_records(&self, records: &[&NewRecord]) -> Result<Vec<Archived>, ArchiveError>;

    /// The record stored for a revisit, if any, with its neighbours in the chain.
    fn record(&self, revisit_id: &RevisitId) -> Result<Option<StoredRecord>, ArchiveError>;

    /// Archived records matching `query`, in chain order.
    fn find_records(&self, query: &RecordQuery) -> Result<Vec<RecordSummary>, ArchiveError>;

    /// Appends a termination report (never changing a record) and returns the policy's retention.
    fn report_termination(&self, t: &Termination) -> Result<PolicyTermination, ArchiveError>;

    /// Stores an SMS in the outbox and returns its message id.
    fn append_sms(&self, sms: &NewSms) -> Result<u64, ArchiveError>;

    /// The newest `limit` messages to a phone, newest first.
    fn recent_sms(&self, phone: &Phone, limit: u32) -> Result<Vec<StoredSms>, ArchiveError>;

    /// Up to `limit` archived rows after `cursor` that match `filter`, in chain (seq) order: how
    /// the auditors' tools walk the chain.
    fn rows(
        &self,
        filter: &RowFilter,
        cursor: RowCursor,
        limit: u32,
    ) -> Result<Vec<ArchivedRow>, ArchiveError>;

    /// The seq range of the records received from `from` (inclusive) to `to` (exclusive): from the
    /// first such record to the last, so that an export of a time range is a contiguous run of the
    /// chain. `None` when no record was received in the range.
    fn seq_range_received(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Option<(u64, u64)>, ArchiveError>;

    /// The last record's seq and chain: the archive's head, which commits to every record before it.
    fn head(&self) -> Result<Option<(u64, String)>, ArchiveError>;
}
