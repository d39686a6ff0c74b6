//! What the e-archive keeps and reads back: the records, with the problem cases and phone tasks
//! they raise, the deliveries, the terminations, the dev SMS outbox, and the rows as stored for
//! re-verification and export. Plain data: no storage engine shows through.

use crate::archive::chain::{chain_time, ChainBreak, ChainWalk, Link};
use huifang_core::casework::Opening;
use huifang_core::record::{Outcome, SealedRecord};
use huifang_core::{Phone, RevisitId, Timestamp};

/// An item answered "no" in a record: a problem case for the insurer to handle (R12).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProblemCase {
    /// Position of the item in the script, from 0.
    pub item_index: usize,
    /// The script item's id.
    pub item_id: String,
    /// What the policyholder wrote with their "no", if anything.
    pub comment: Option<String>,
    /// When they answered.
    pub answered_at: Option<Timestamp>,
}

/// A revisit the insurer must now complete by recorded phone call (R11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneTask {
    /// `switched_to_phone` or `expired`: why the electronic revisit did not complete.
    pub reason: &'static str,
    /// The cooling-off end: the phone revisit is due before it.
    pub due_by: Timestamp,
}

/// Everything archived when a verified record arrives for the first time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    /// The revisit the record belongs to; at most one record per revisit.
    pub revisit_id: RevisitId,
    /// The policy number, for the insurer's lookups.
    pub policy_number: String,
    /// The record's outcome in its wire spelling (`completed`, `switched_to_phone`, `expired`).
    pub outcome: String,
    /// The seal's record hash: two deliveries are the same record when their hashes are equal.
    pub record_hash: String,
    /// The id of the edge key that sealed it.
    pub key_id: String,
    /// When the origin received it.
    pub received_at: Timestamp,
    /// The sealed record's canonical JSON (RFC 8785), exactly as verified.
    pub sealed_json: String,
    /// One per item answered "no" (R12).
    pub problem_cases: Vec<ProblemCase>,
    /// Set when the electronic revisit did not complete (R11).
    pub phone_task: Option<PhoneTask>,
    /// The cases it opens (R11, R12: `casework::open::openings`), stored as their `opened`
    /// entries in the case log, in the record's transaction: once, however often it is delivered.
    pub cases: Vec<Opening>,
}

/// What happened to a record handed to [`Archive::archive_record`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Archived {
    /// Stored now, with its problem cases and phone task.
    Inserted,
    /// The same record (same hash) was already stored; only the delivery is logged.
    Duplicate,
    /// A different record is stored for this revisit; it stays, only the attempt is logged.
    Conflict,
}

/// A record read back from the archive, with what is needed to re-verify it and its place in the
/// chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    /// The row as stored.
    pub row: ArchivedRow,
    /// How many problem cases it raised.
    pub problem_cases: u64,
    /// How many verified deliveries of a record for this revisit arrived (1 when exactly once).
    pub deliveries: u64,
    /// The termination reported for its policy (the latest date, if reported more than once).
    pub terminated_at: Option<Timestamp>,
    /// The row just before it in the chain (highest seq below its own), if any.
    pub before: Option<ArchivedRow>,
    /// The row just after it in the chain (lowest seq above its own), if any.
    pub after: Option<ArchivedRow>,
}

/// A contract termination reported by the insurer (R5): retention runs from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Termination {
    /// The policy, as `PolicyNumber` spells it.
    pub policy_number: String,
    /// When the contract terminated.
    pub terminated_at: Timestamp,
    /// When the insurer reported it.
    pub reported_at: Timestamp,
}

/// A policy's retention after a termination report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyTermination {
    /// Whether this report was stored (false when the same date was already reported).
    pub recorded: bool,
    /// The termination retention runs from: the latest date reported, so that a report can never
    /// shorten retention (R5 sets a minimum).
    pub terminated_at: Timestamp,
    /// How many archived records the policy has now.
    pub records: u64,
}

/// Which archived records `Archive::find_records` lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordQuery {
    /// Only this policy's records.
    pub policy_number: Option<String>,
    /// Only records received at or after this time.
    pub from: Option<Timestamp>,
    /// Only records received before this time.
    pub to: Option<Timestamp>,
    /// Only records with a higher seq (the page cursor; 0 for the first page).
    pub after_seq: u64,
    /// At most this many.
    pub limit: u32,
}

/// One archived record as the insurer's list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordSummary {
    /// Its position in the archive chain.
    pub seq: u64,
    /// The revisit.
    pub revisit_id: String,
    /// The policy.
    pub policy_number: String,
    /// The outcome's wire spelling.
    pub outcome: String,
    /// The seal's record hash.
    pub record_hash: String,
    /// When the origin received it.
    pub received_at: Timestamp,
    /// How many interference flags (R10) it carries.
    pub flags: u64,
    /// How many problem cases (R12) it raised.
    pub problem_cases: u64,
    /// The termination reported for its policy, if any (R5).
    pub terminated_at: Option<Timestamp>,
}

/// An SMS to store in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSms {
    /// The revisit that asked for it.
    pub revisit_id: RevisitId,
    /// The recipient.
    pub phone: Phone,
    /// The message text.
    pub text: String,
    /// When the origin received it.
    pub received_at: Timestamp,
}

/// An SMS read back from the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSms {
    /// Increasing id given at storage.
    pub message_id: u64,
    /// The revisit that asked for it.
    pub revisit_id: String,
    /// The recipient's 11 digits.
    pub phone: String,
    /// The message text.
    pub text: String,
    /// When the origin received it.
    pub received_at: Timestamp,
}

impl NewRecord {
    /// What to archive for a verified record received at `now`: the record in its canonical JSON
    /// (RFC 8785), and the problem cases (R12) and phone task (R11) it raises. Fails only if the
    /// record cannot be serialised.
    pub fn of(sealed: &SealedRecord, now: Timestamp) -> Result<Self, serde_json::Error> {
        let record = &sealed.record;
        // The same bytes as serde_jcs, made faster (issue 19); its error when they cannot be made.
        let sealed_json = match String::from_utf8(huifang_core::canonical::to_vec(sealed)) {
            Ok(json) if !json.is_empty() => json,
            _ => serde_jcs::to_string(sealed)?,
        };
        // R12: every "no" is a problem case to handle.
        let problem_cases = record
            .problem_items()
            .map(|item| ProblemCase {
                item_index: item.index,
                item_id: item.id.clone(),
                comment: item.comment.clone(),
                answered_at: item.answered_at,
            })
            .collect();
        // R11: an electronic revisit that did not complete falls back to a recorded phone call, due
        // before the cooling-off period ends.
        let phone_task = match record.outcome {
            Outcome::Completed => None,
            other => Some(PhoneTask {
                reason: other.as_str(),
                due_by: record.cooling_off_ends_at,
            }),
        };
        Ok(Self {
            revisit_id: record.revisit_id.clone(),
            policy_number: record.policy_number.as_str().to_string(),
            outcome: record.outcome.as_str().to_string(),
            record_hash: sealed.seal.record_hash.clone(),
            key_id: sealed.seal.key_id.clone(),
            received_at: now,
            sealed_json,
            problem_cases,
            phone_task,
            cases: Vec::new(),
        })
    }

    /// The same record opening `cases`.
    pub fn opening(self, cases: Vec<Opening>) -> Self {
        Self { cases, ..self }
    }
}

impl StoredRecord {
    /// The sealed record parsed from its stored canonical JSON.
    pub fn sealed(&self) -> Result<SealedRecord, serde_json::Error> {
        serde_json::from_str(&self.row.sealed_json)
    }
}

/// One archived record exactly as stored, for re-verification (`verify-archive`, the report) and
/// export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchivedRow {
    /// The store's own identity of the row, in insertion order (SQLite's rowid; another store
    /// gives its own): it tells apart rows that a tampered file gives the same seq, and names
    /// the row in `verify-archive`'s report.
    pub rowid: i64,
    /// The `seq` column: its position in the archive chain, from 1.
    pub seq: u64,
    /// The `revisit_id` column.
    pub revisit_id: String,
    /// The `policy_number` column.
    pub policy_number: String,
    /// The `outcome` column.
    pub outcome: String,
    /// The `record_hash` column.
    pub record_hash: String,
    /// The `key_id` column.
    pub key_id: String,
    /// The `received_at` column.
    pub received_at: Timestamp,
    /// The sealed record's canonical JSON.
    pub sealed_json: String,
    /// The `prev_chain` column.
    pub prev_chain: String,
    /// The `chain` column.
    pub chain: String,
}

impl ArchivedRow {
    /// `received_at` as the chain hashes it.
    pub fn chain_time(&self) -> String {
        chain_time(self.received_at)
    }

    /// The chain breaks this row shows after the rows `walk` has seen (R4).
    pub fn chain_step(&self, walk: &mut ChainWalk) -> Vec<ChainBreak> {
        walk.step(&Link {
            seq: self.seq,
            prev_chain: &self.prev_chain,
            chain: &self.chain,
            record_hash: &self.record_hash,
            revisit_id: &self.revisit_id,
            received_at: &self.chain_time(),
        })
    }
}

/// Where a page of rows starts: after this seq and, among rows with that same seq (which only a
/// tampered file has), this row id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowCursor {
    /// The last seq read.
    pub seq: u64,
    /// The last row id read.
    pub rowid: i64,
}

impl RowCursor {
    /// The cursor after `row`.
    pub fn after(row: &ArchivedRow) -> Self {
        Self {
            seq: row.seq,
            rowid: row.rowid,
        }
    }
}

/// Which rows an export reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowFilter {
    /// Only this policy's rows.
    pub policy_number: Option<String>,
    /// Only rows received at or after this time.
    pub from: Option<Timestamp>,
    /// Only rows received before this time.
    pub to: Option<Timestamp>,
    /// Only rows with a seq in this inclusive range.
    pub seqs: Option<(u64, u64)>,
}
