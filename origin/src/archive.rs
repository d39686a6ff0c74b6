//! The insurer's e-archive (R3, R5, R14): sealed records chained in the order they arrived (R4),
//! the problem cases and phone tasks they raise, the contract terminations that start their
//! retention (R5), and the dev SMS outbox. `Archive` is the interface handlers use; `SqliteArchive`
//! is the reference implementation and the only place in the crate that speaks SQL.

use crate::chain::{self, chain_time, GENESIS};
use huifang_core::{Phone, RevisitId, Timestamp};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, TransactionBehavior};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

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

impl From<rusqlite::Error> for ArchiveError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

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

/// The archive as the handlers see it. Records are append-only: there is deliberately no method
/// that updates or deletes one (R4).
pub trait Archive: Send + Sync {
    /// Stores a verified record unless one is already stored for its revisit, atomically with its
    /// problem cases and phone task.
    fn archive_record(&self, record: &NewRecord) -> Result<Archived, ArchiveError>;

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
}

/// The archive's layout version, kept in SQLite's `user_version`. 0 with a `records` table and no
/// chain columns is the first layout, migrated on open.
pub const SCHEMA_VERSION: i64 = 2;

/// The `records` table, under a given name (the migration builds it beside the old one).
fn records_table(name: &str) -> String {
    format!(
        r#"CREATE TABLE IF NOT EXISTS {name} (
    revisit_id    TEXT PRIMARY KEY NOT NULL,
    policy_number TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    record_hash   TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    sealed_json   TEXT NOT NULL,
    -- R4: the archive chain (chain.rs), assigned in the insert transaction.
    seq           INTEGER NOT NULL UNIQUE,
    prev_chain    TEXT NOT NULL,
    chain         TEXT NOT NULL
) STRICT;"#
    )
}

const SCHEMA: &str = r#"
CREATE INDEX IF NOT EXISTS records_by_policy ON records (policy_number);
CREATE INDEX IF NOT EXISTS records_by_received_at ON records (received_at, seq);

-- R4: the archive is append-only, whatever code runs against this file.
CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'archived records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'archived records are append-only'); END;

-- Every verified delivery of a record, including repeats: shows that delivery was exactly-once in
-- effect (one archived record) and how often the edge had to try.
CREATE TABLE IF NOT EXISTS deliveries (
    id           INTEGER PRIMARY KEY,
    revisit_id   TEXT NOT NULL,
    record_hash  TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    outcome      TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS deliveries_by_revisit ON deliveries (revisit_id);

CREATE TABLE IF NOT EXISTS problem_cases (
    id            INTEGER PRIMARY KEY,
    revisit_id    TEXT NOT NULL REFERENCES records (revisit_id),
    policy_number TEXT NOT NULL,
    item_index    INTEGER NOT NULL,
    item_id       TEXT NOT NULL,
    comment       TEXT,
    answered_at   INTEGER,
    created_at    INTEGER NOT NULL,
    UNIQUE (revisit_id, item_index)
) STRICT;

CREATE TABLE IF NOT EXISTS phone_tasks (
    id            INTEGER PRIMARY KEY,
    revisit_id    TEXT NOT NULL UNIQUE REFERENCES records (revisit_id),
    policy_number TEXT NOT NULL,
    reason        TEXT NOT NULL,
    due_by        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

-- R5: contract terminations as the insurer reports them. Append-only like the records: retention
-- is computed from them by query, no record row is ever touched.
CREATE TABLE IF NOT EXISTS terminations (
    id            INTEGER PRIMARY KEY,
    policy_number TEXT NOT NULL,
    terminated_at INTEGER NOT NULL,
    reported_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS terminations_by_policy ON terminations (policy_number, terminated_at);
CREATE TRIGGER IF NOT EXISTS terminations_no_update BEFORE UPDATE ON terminations
BEGIN SELECT RAISE(ABORT, 'terminations are append-only'); END;
CREATE TRIGGER IF NOT EXISTS terminations_no_delete BEFORE DELETE ON terminations
BEGIN SELECT RAISE(ABORT, 'terminations are append-only'); END;

CREATE TABLE IF NOT EXISTS sms_outbox (
    message_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    revisit_id  TEXT NOT NULL,
    phone       TEXT NOT NULL,
    text        TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS sms_outbox_by_phone ON sms_outbox (phone, message_id);
"#;

fn has_table(conn: &Connection, name: &str) -> Result<bool, ArchiveError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn has_column(conn: &Connection, table: &str, column: &str) -> Result<bool, ArchiveError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
            [table, column],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Brings the file to `SCHEMA_VERSION`: creates a fresh archive, chains a first-layout one, and
/// refuses a layout it does not know.
fn prepare(conn: &mut Connection) -> Result<(), ArchiveError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(ArchiveError::Format(format!(
            "the archive's layout is version {version}; this origin knows up to {SCHEMA_VERSION}: \
             use a newer huifang-origin"
        )));
    }
    if has_table(conn, "records")? && !has_column(conn, "records", "chain")? {
        let chained = chain_first_layout(conn)?;
        eprintln!("origin: archive migrated to layout {SCHEMA_VERSION}: {chained} records chained in the order they were stored");
    }
    conn.execute_batch(&records_table("records"))?;
    conn.execute_batch(SCHEMA)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

/// Migrates a first-layout archive (no chain) in one transaction: the records are copied, in the
/// order they were stored, into a chained table that then takes the old one's name. Their chain
/// attests that order as of the migration. Returns how many records were chained.
fn chain_first_layout(conn: &mut Connection) -> Result<u64, ArchiveError> {
    // Foreign keys name `records`; they are switched off while it is replaced (SQLite's documented
    // procedure for changing a table), and checked before the commit.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let migrated = (|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if has_column(&tx, "records", "chain")? {
            return Ok(0); // another process migrated it meanwhile
        }
        tx.execute_batch(&records_table("records_chained"))?;
        let rows: Vec<(i64, String, String, i64)> = {
            let mut stmt = tx.prepare(
                "SELECT rowid, revisit_id, record_hash, received_at FROM records ORDER BY rowid",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut prev = GENESIS.to_string();
        let mut seq = 0i64;
        for (rowid, revisit_id, record_hash, received_at) in rows {
            seq += 1;
            let at = chain_time(Timestamp::from_millis(from_sql_int(received_at)?));
            let chain = chain::link(&prev, &record_hash, &revisit_id, &at);
            tx.execute(
                "INSERT INTO records_chained (revisit_id, policy_number, outcome, record_hash, \
                 key_id, received_at, sealed_json, seq, prev_chain, chain) \
                 SELECT revisit_id, policy_number, outcome, record_hash, key_id, received_at, \
                 sealed_json, ?2, ?3, ?4 FROM records WHERE rowid = ?1",
                params![rowid, seq, prev, chain],
            )?;
            prev = chain;
        }
        tx.execute_batch("DROP TABLE records; ALTER TABLE records_chained RENAME TO records;")?;
        let dangling: i64 =
            tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?;
        if dangling != 0 {
            return Err(ArchiveError::Format(format!(
                "the archive cannot be migrated: {dangling} rows refer to records that are missing"
            )));
        }
        tx.commit()?;
        from_sql_int(seq)
    })();
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrated
}

/// The archive in one SQLite file (WAL mode), behind one connection.
pub struct SqliteArchive {
    conn: Mutex<Connection>,
}

fn to_sql_int(value: u64) -> Result<i64, ArchiveError> {
    i64::try_from(value).map_err(|_| ArchiveError::Storage(format!("{value} does not fit")))
}

fn from_sql_int(value: i64) -> Result<u64, ArchiveError> {
    u64::try_from(value).map_err(|_| ArchiveError::Corrupt(format!("negative value {value}")))
}

impl SqliteArchive {
    /// Opens (creating if needed) the archive at `path`, and its parent directories.
    pub fn open(path: &Path) -> Result<Self, ArchiveError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                ArchiveError::Storage(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        prepare(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll back),
        // so a poisoned lock is still safe to use.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One archived record exactly as stored, for re-verification (`verify-archive`, the report) and
/// export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchivedRow {
    /// SQLite's row id.
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
}

const ROW_COLUMNS: &str = "rowid, seq, revisit_id, policy_number, outcome, record_hash, key_id, \
                           received_at, sealed_json, prev_chain, chain";

fn archived_row(row: &Row<'_>) -> rusqlite::Result<ArchivedRow> {
    let int = |i: usize| -> rusqlite::Result<u64> {
        let v: i64 = row.get(i)?;
        u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    Ok(ArchivedRow {
        rowid: row.get(0)?,
        seq: int(1)?,
        revisit_id: row.get(2)?,
        policy_number: row.get(3)?,
        outcome: row.get(4)?,
        record_hash: row.get(5)?,
        key_id: row.get(6)?,
        received_at: Timestamp::from_millis(int(7)?),
        sealed_json: row.get(8)?,
        prev_chain: row.get(9)?,
        chain: row.get(10)?,
    })
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

impl SqliteArchive {
    /// Opens an archive that must already exist (a checker must not create an empty one).
    pub fn open_existing(path: &Path) -> Result<Self, ArchiveError> {
        if !path.is_file() {
            return Err(ArchiveError::Storage(format!(
                "no archive at {}",
                path.display()
            )));
        }
        Self::open(path)
    }

    /// Up to `limit` archived rows after `cursor` that match `filter`, in chain (seq) order.
    pub fn rows(
        &self,
        filter: &RowFilter,
        cursor: RowCursor,
        limit: u32,
    ) -> Result<Vec<ArchivedRow>, ArchiveError> {
        let mut sql = format!("SELECT {ROW_COLUMNS} FROM records WHERE (seq, rowid) > (?, ?)");
        let mut values = vec![
            Value::Integer(to_sql_int(cursor.seq)?),
            Value::Integer(cursor.rowid),
        ];
        if let Some(policy) = &filter.policy_number {
            sql.push_str(" AND policy_number = ?");
            values.push(Value::Text(policy.clone()));
        }
        if let Some(from) = filter.from {
            sql.push_str(" AND received_at >= ?");
            values.push(Value::Integer(to_sql_int(from.millis())?));
        }
        if let Some(to) = filter.to {
            sql.push_str(" AND received_at < ?");
            values.push(Value::Integer(to_sql_int(to.millis())?));
        }
        if let Some((first, last)) = filter.seqs {
            sql.push_str(" AND seq BETWEEN ? AND ?");
            values.push(Value::Integer(to_sql_int(first)?));
            values.push(Value::Integer(to_sql_int(last)?));
        }
        sql.push_str(" ORDER BY seq, rowid LIMIT ?");
        values.push(Value::Integer(i64::from(limit)));
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), archived_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The seq range of the records received from `from` (inclusive) to `to` (exclusive): from the
    /// first such record to the last, so that an export of a time range is a contiguous run of the
    /// chain. `None` when no record was received in the range.
    pub fn seq_range_received(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Option<(u64, u64)>, ArchiveError> {
        received_seq_range(&self.conn(), from, to)
    }

    /// The last record's seq and chain: the archive's head, which commits to every record before it.
    pub fn head(&self) -> Result<Option<(u64, String)>, ArchiveError> {
        let conn = self.conn();
        let head: Option<(i64, String)> = conn
            .query_row(
                "SELECT seq, chain FROM records ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        head.map(|(seq, chain)| Ok((from_sql_int(seq)?, chain)))
            .transpose()
    }
}

/// The first and last seq of the records received from `from` (inclusive) to `to` (exclusive).
fn received_seq_range(
    conn: &Connection,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<Option<(u64, u64)>, ArchiveError> {
    let from = to_sql_int(from.map_or(0, Timestamp::millis))?;
    let to = to.map(|t| to_sql_int(t.millis())).transpose()?;
    let range: (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT MIN(seq), MAX(seq) FROM records INDEXED BY records_by_received_at \
         WHERE received_at >= ?1 AND (?2 IS NULL OR received_at < ?2)",
        params![from, to],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    match range {
        (Some(first), Some(last)) => Ok(Some((from_sql_int(first)?, from_sql_int(last)?))),
        _ => Ok(None),
    }
}

fn summary(row: &Row<'_>) -> rusqlite::Result<RecordSummary> {
    let int = |i: usize| -> rusqlite::Result<u64> {
        let v: i64 = row.get(i)?;
        u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    let terminated_at: Option<i64> = row.get(8)?;
    Ok(RecordSummary {
        seq: int(0)?,
        revisit_id: row.get(1)?,
        policy_number: row.get(2)?,
        outcome: row.get(3)?,
        record_hash: row.get(4)?,
        received_at: Timestamp::from_millis(int(5)?),
        flags: int(6)?,
        problem_cases: int(7)?,
        terminated_at: terminated_at
            .map(|v| u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(8, v)))
            .transpose()?
            .map(Timestamp::from_millis),
    })
}

impl Archive for SqliteArchive {
    fn archive_record(&self, r: &NewRecord) -> Result<Archived, ArchiveError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<String> = tx
            .query_row(
                "SELECT record_hash FROM records WHERE revisit_id = ?1",
                [r.revisit_id.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        let received_at = to_sql_int(r.received_at.millis())?;
        let archived = match existing {
            None => Archived::Inserted,
            Some(hash) if hash == r.record_hash => Archived::Duplicate,
            Some(_) => Archived::Conflict,
        };
        let outcome = match archived {
            Archived::Inserted => "inserted",
            Archived::Duplicate => "duplicate",
            Archived::Conflict => "conflict",
        };
        tx.execute(
            "INSERT INTO deliveries (revisit_id, record_hash, received_at, outcome) \
             VALUES (?1, ?2, ?3, ?4)",
            params![r.revisit_id.as_str(), r.record_hash, received_at, outcome],
        )?;
        if archived != Archived::Inserted {
            tx.commit()?;
            return Ok(archived);
        }
        // R4: the next link of the archive chain, inside the same transaction as the insert, so
        // that concurrent deliveries get distinct, consecutive seq numbers.
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, chain FROM records ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let (seq, prev_chain) = last.map_or_else(|| (1, GENESIS.to_string()), |(s, c)| (s + 1, c));
        let chain = chain::link(
            &prev_chain,
            &r.record_hash,
            r.revisit_id.as_str(),
            &chain_time(r.received_at),
        );
        tx.execute(
            "INSERT INTO records (revisit_id, policy_number, outcome, record_hash, key_id, \
             received_at, sealed_json, seq, prev_chain, chain) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                r.revisit_id.as_str(),
                r.policy_number,
                r.outcome,
                r.record_hash,
                r.key_id,
                received_at,
                r.sealed_json,
                seq,
                prev_chain,
                chain
            ],
        )?;
        for case in &r.problem_cases {
            let answered_at = case
                .answered_at
                .map(|t| to_sql_int(t.millis()))
                .transpose()?;
            tx.execute(
                "INSERT INTO problem_cases (revisit_id, policy_number, item_index, item_id, \
                 comment, answered_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    r.revisit_id.as_str(),
                    r.policy_number,
                    to_sql_int(case.item_index as u64)?,
                    case.item_id,
                    case.comment,
                    answered_at,
                    received_at
                ],
            )?;
        }
        if let Some(task) = &r.phone_task {
            tx.execute(
                "INSERT INTO phone_tasks (revisit_id, policy_number, reason, due_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    r.revisit_id.as_str(),
                    r.policy_number,
                    task.reason,
                    to_sql_int(task.due_by.millis())?,
                    received_at
                ],
            )?;
        }
        tx.commit()?;
        Ok(Archived::Inserted)
    }

    fn record(&self, revisit_id: &RevisitId) -> Result<Option<StoredRecord>, ArchiveError> {
        let conn = self.conn();
        let row = conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM records WHERE revisit_id = ?1"),
                [revisit_id.as_str()],
                archived_row,
            )
            .optional()?;
        let Some(row) = row else { return Ok(None) };
        let (problem_cases, deliveries, terminated_at): (i64, i64, Option<i64>) = conn.query_row(
            "SELECT (SELECT COUNT(*) FROM problem_cases WHERE revisit_id = ?1), \
             (SELECT COUNT(*) FROM deliveries WHERE revisit_id = ?1), \
             (SELECT MAX(terminated_at) FROM terminations WHERE policy_number = ?2)",
            params![row.revisit_id, row.policy_number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let seq = to_sql_int(row.seq)?;
        let neighbour = |sql: &str| {
            conn.query_row(
                &format!("SELECT {ROW_COLUMNS} FROM records {sql}"),
                [seq],
                archived_row,
            )
            .optional()
        };
        let before = neighbour("WHERE seq < ?1 ORDER BY seq DESC LIMIT 1")?;
        let after = neighbour("WHERE seq > ?1 ORDER BY seq LIMIT 1")?;
        Ok(Some(StoredRecord {
            row,
            problem_cases: from_sql_int(problem_cases)?,
            deliveries: from_sql_int(deliveries)?,
            terminated_at: terminated_at
                .map(from_sql_int)
                .transpose()?
                .map(Timestamp::from_millis),
            before,
            after,
        }))
    }

    fn find_records(&self, q: &RecordQuery) -> Result<Vec<RecordSummary>, ArchiveError> {
        // Flags are counted in the sealed JSON itself (SQLite's JSON functions): nothing outside
        // the sealed record is needed.
        let mut sql = String::from(
            "SELECT r.seq, r.revisit_id, r.policy_number, r.outcome, r.record_hash, \
             r.received_at, COALESCE(json_array_length(r.sealed_json, '$.record.flags'), 0), \
             (SELECT COUNT(*) FROM problem_cases p WHERE p.revisit_id = r.revisit_id), \
             (SELECT MAX(t.terminated_at) FROM terminations t \
              WHERE t.policy_number = r.policy_number) \
             FROM records r WHERE r.seq > ?",
        );
        let conn = self.conn();
        // Every record received in the time range lies between the first and the last seq
        // received in it: those bounds (from the received_at index) let the seq index skip the
        // rest of the archive.
        let mut after = q.after_seq;
        let mut upto = None;
        if q.from.is_some() || q.to.is_some() {
            match received_seq_range(&conn, q.from, q.to)? {
                None => return Ok(Vec::new()),
                Some((first, last)) => {
                    after = after.max(first.saturating_sub(1));
                    upto = Some(last);
                }
            }
        }
        let mut values = vec![Value::Integer(to_sql_int(after)?)];
        if let Some(last) = upto {
            sql.push_str(" AND r.seq <= ?");
            values.push(Value::Integer(to_sql_int(last)?));
        }
        if let Some(policy) = &q.policy_number {
            sql.push_str(" AND r.policy_number = ?");
            values.push(Value::Text(policy.clone()));
        }
        if let Some(from) = q.from {
            sql.push_str(" AND r.received_at >= ?");
            values.push(Value::Integer(to_sql_int(from.millis())?));
        }
        if let Some(to) = q.to {
            sql.push_str(" AND r.received_at < ?");
            values.push(Value::Integer(to_sql_int(to.millis())?));
        }
        sql.push_str(" ORDER BY r.seq LIMIT ?");
        values.push(Value::Integer(i64::from(q.limit)));
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), summary)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn report_termination(&self, t: &Termination) -> Result<PolicyTermination, ArchiveError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let terminated_at = to_sql_int(t.terminated_at.millis())?;
        let known = tx
            .query_row(
                "SELECT 1 FROM terminations WHERE policy_number = ?1 AND terminated_at = ?2",
                params![t.policy_number, terminated_at],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !known {
            tx.execute(
                "INSERT INTO terminations (policy_number, terminated_at, reported_at) \
                 VALUES (?1, ?2, ?3)",
                params![
                    t.policy_number,
                    terminated_at,
                    to_sql_int(t.reported_at.millis())?
                ],
            )?;
        }
        let (latest, records): (i64, i64) = tx.query_row(
            "SELECT (SELECT MAX(terminated_at) FROM terminations WHERE policy_number = ?1), \
             (SELECT COUNT(*) FROM records WHERE policy_number = ?1)",
            [&t.policy_number],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        tx.commit()?;
        Ok(PolicyTermination {
            recorded: !known,
            terminated_at: Timestamp::from_millis(from_sql_int(latest)?),
            records: from_sql_int(records)?,
        })
    }

    fn append_sms(&self, sms: &NewSms) -> Result<u64, ArchiveError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO sms_outbox (revisit_id, phone, text, received_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                sms.revisit_id.as_str(),
                sms.phone.as_str(),
                sms.text,
                to_sql_int(sms.received_at.millis())?
            ],
        )?;
        from_sql_int(conn.last_insert_rowid())
    }

    fn recent_sms(&self, phone: &Phone, limit: u32) -> Result<Vec<StoredSms>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT message_id, revisit_id, phone, text, received_at FROM sms_outbox \
             WHERE phone = ?1 ORDER BY message_id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![phone.as_str(), limit], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (message_id, revisit_id, phone, text, received_at) = row?;
            Ok(StoredSms {
                message_id: from_sql_int(message_id)?,
                revisit_id,
                phone,
                text,
                received_at: Timestamp::from_millis(from_sql_int(received_at)?),
            })
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_archive(name: &str) -> (SqliteArchive, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "huifang-origin-archive-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let archive = SqliteArchive::open(&dir.join("nested").join("a.sqlite3")).unwrap();
        (archive, dir)
    }

    fn record(hash: &str) -> NewRecord {
        NewRecord {
            revisit_id: RevisitId::from_random([9; 12]),
            policy_number: "P20260001".into(),
            outcome: "completed".into(),
            record_hash: hash.into(),
            key_id: "edge-1".into(),
            received_at: Timestamp(1_800_000_000_000),
            sealed_json: "{}".into(),
            problem_cases: vec![ProblemCase {
                item_index: 2,
                item_id: "q3".into(),
                comment: None,
                answered_at: None,
            }],
            phone_task: None,
        }
    }

    // R4: even a direct UPDATE or DELETE against the file is refused.
    #[test]
    fn archived_records_cannot_be_updated_or_deleted() {
        let (archive, dir) = temp_archive("append-only");
        assert_eq!(
            archive.archive_record(&record("aa")).unwrap(),
            Archived::Inserted
        );
        let conn = archive.conn();
        let update = conn.execute("UPDATE records SET outcome = 'expired'", []);
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = conn.execute("DELETE FROM records", []);
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        drop(conn);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_second_record_for_a_revisit_changes_nothing() {
        let (archive, dir) = temp_archive("idempotent");
        let id = RevisitId::from_random([9; 12]);
        assert_eq!(
            archive.archive_record(&record("aa")).unwrap(),
            Archived::Inserted
        );
        assert_eq!(
            archive.archive_record(&record("aa")).unwrap(),
            Archived::Duplicate
        );
        assert_eq!(
            archive.archive_record(&record("bb")).unwrap(),
            Archived::Conflict
        );
        let stored = archive.record(&id).unwrap().unwrap();
        // R12: the problem case was inserted once, not once per delivery.
        assert_eq!(stored.problem_cases, 1);
        assert_eq!(stored.row.received_at, Timestamp(1_800_000_000_000));
        assert_eq!(stored.row.seq, 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_outbox_returns_a_phones_messages_newest_first() {
        let (archive, dir) = temp_archive("outbox");
        let phone = Phone::parse("13812345678").unwrap();
        let other = Phone::parse("13900000000").unwrap();
        for (to, text) in [(&phone, "one"), (&other, "other"), (&phone, "two")] {
            archive
                .append_sms(&NewSms {
                    revisit_id: RevisitId::from_random([1; 12]),
                    phone: to.clone(),
                    text: text.into(),
                    received_at: Timestamp(1),
                })
                .unwrap();
        }
        let texts: Vec<_> = archive
            .recent_sms(&phone, 10)
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect();
        assert_eq!(texts, ["two", "one"]);
        assert_eq!(archive.recent_sms(&phone, 1).unwrap().len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }
    fn record_for(id: u8, policy: &str, at_secs: u64) -> NewRecord {
        NewRecord {
            revisit_id: RevisitId::from_random([id; 12]),
            policy_number: policy.into(),
            record_hash: format!("{id:064x}"),
            received_at: Timestamp(1_800_000_000_000 + at_secs * 1_000),
            problem_cases: vec![],
            ..record("unused")
        }
    }

    // R4: each record gets the next seq and a chain linked to the one before.
    #[test]
    fn records_are_chained_in_the_order_they_are_stored() {
        let (archive, dir) = temp_archive("chain");
        for i in 1..=3 {
            archive.archive_record(&record_for(i, "P1", 0)).unwrap();
        }
        // A duplicate or a conflict takes no seq.
        archive.archive_record(&record_for(2, "P1", 0)).unwrap();
        let rows = archive
            .rows(&RowFilter::default(), RowCursor::default(), 10)
            .unwrap();
        assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(rows[0].prev_chain, GENESIS);
        let mut prev = GENESIS.to_string();
        for row in &rows {
            assert_eq!(row.prev_chain, prev);
            let expected = chain::link(&prev, &row.record_hash, &row.revisit_id, &row.chain_time());
            assert_eq!(row.chain, expected);
            prev = row.chain.clone();
        }
        assert_eq!(archive.head().unwrap(), Some((3, prev)));
        let middle = archive
            .record(&RevisitId::from_random([2; 12]))
            .unwrap()
            .unwrap();
        assert_eq!(middle.before.map(|r| r.seq), Some(1));
        assert_eq!(middle.after.map(|r| r.seq), Some(3));
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The first layout, before the chain.
    const FIRST_LAYOUT: &str = "
        CREATE TABLE records (revisit_id TEXT PRIMARY KEY NOT NULL, policy_number TEXT NOT NULL,
            outcome TEXT NOT NULL, record_hash TEXT NOT NULL, key_id TEXT NOT NULL,
            received_at INTEGER NOT NULL, sealed_json TEXT NOT NULL) STRICT;
        CREATE INDEX records_by_policy ON records (policy_number);
        CREATE TRIGGER records_no_update BEFORE UPDATE ON records
        BEGIN SELECT RAISE(ABORT, 'archived records are append-only'); END;
        CREATE TRIGGER records_no_delete BEFORE DELETE ON records
        BEGIN SELECT RAISE(ABORT, 'archived records are append-only'); END;
        CREATE TABLE problem_cases (id INTEGER PRIMARY KEY,
            revisit_id TEXT NOT NULL REFERENCES records (revisit_id), policy_number TEXT NOT NULL,
            item_index INTEGER NOT NULL, item_id TEXT NOT NULL, comment TEXT, answered_at INTEGER,
            created_at INTEGER NOT NULL, UNIQUE (revisit_id, item_index)) STRICT;";

    #[test]
    fn a_first_layout_archive_is_chained_on_open_and_keeps_everything() {
        let dir = std::env::temp_dir().join(format!(
            "huifang-origin-archive-migrate-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(FIRST_LAYOUT).unwrap();
            for (id, at) in [(7u8, 30u64), (5, 10), (6, 20)] {
                let r = record_for(id, "P1", at);
                conn.execute(
                    "INSERT INTO records VALUES (?1, ?2, 'completed', ?3, 'edge-1', ?4, '{}')",
                    params![
                        r.revisit_id.as_str(),
                        r.policy_number,
                        r.record_hash,
                        to_sql_int(r.received_at.millis()).unwrap()
                    ],
                )
                .unwrap();
            }
            conn.execute(
                "INSERT INTO problem_cases VALUES (1, ?1, 'P1', 0, 'q1', NULL, NULL, 0)",
                [RevisitId::from_random([5; 12]).as_str()],
            )
            .unwrap();
        }
        let archive = SqliteArchive::open(&path).unwrap();
        let rows = archive
            .rows(&RowFilter::default(), RowCursor::default(), 10)
            .unwrap();
        // Chained in the order they were stored, not by time.
        let order: Vec<_> = rows.iter().map(|r| (r.seq, r.revisit_id.clone())).collect();
        assert_eq!(
            order,
            [7u8, 5, 6]
                .iter()
                .enumerate()
                .map(|(i, b)| (i as u64 + 1, RevisitId::from_random([*b; 12]).to_string()))
                .collect::<Vec<_>>()
        );
        let stored = archive
            .record(&RevisitId::from_random([5; 12]))
            .unwrap()
            .unwrap();
        assert_eq!(stored.problem_cases, 1);
        // Still append-only, and new records continue the chain.
        let conn = archive.conn();
        assert!(conn
            .execute("DELETE FROM records", [])
            .unwrap_err()
            .to_string()
            .contains("append-only"));
        drop(conn);
        archive.archive_record(&record_for(8, "P1", 40)).unwrap();
        assert_eq!(archive.head().unwrap().map(|h| h.0), Some(4));
        drop(archive);
        // Opening again changes nothing.
        let again = SqliteArchive::open(&path).unwrap();
        assert_eq!(again.head().unwrap().map(|h| h.0), Some(4));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_archive_of_a_newer_layout_is_refused_with_a_reason() {
        let dir = std::env::temp_dir().join(format!(
            "huifang-origin-archive-newer-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("newer.sqlite3");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let Err(e) = SqliteArchive::open(&path) else {
            panic!("a newer layout was opened")
        };
        assert!(e.to_string().contains("use a newer huifang-origin"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }

    // R5: terminations are appended, never updated; the latest date counts.
    #[test]
    fn terminations_are_append_only_and_the_latest_date_counts() {
        let (archive, dir) = temp_archive("terminations");
        archive.archive_record(&record_for(1, "P1", 0)).unwrap();
        let report = |secs: u64| Termination {
            policy_number: "P1".into(),
            terminated_at: Timestamp(secs * 1_000),
            reported_at: Timestamp(9),
        };
        let first = archive.report_termination(&report(2_000_000_000)).unwrap();
        assert_eq!(
            first,
            PolicyTermination {
                recorded: true,
                terminated_at: Timestamp(2_000_000_000_000),
                records: 1
            }
        );
        assert!(
            !archive
                .report_termination(&report(2_000_000_000))
                .unwrap()
                .recorded
        );
        // An earlier date is kept as reported but cannot shorten retention.
        let earlier = archive.report_termination(&report(1_900_000_000)).unwrap();
        assert_eq!(
            (earlier.recorded, earlier.terminated_at),
            (true, Timestamp(2_000_000_000_000))
        );
        let stored = archive
            .record(&RevisitId::from_random([1; 12]))
            .unwrap()
            .unwrap();
        assert_eq!(stored.terminated_at, Some(Timestamp(2_000_000_000_000)));
        let conn = archive.conn();
        for sql in [
            "UPDATE terminations SET terminated_at = 0",
            "DELETE FROM terminations",
        ] {
            assert!(conn
                .execute(sql, [])
                .unwrap_err()
                .to_string()
                .contains("append-only"));
        }
        drop(conn);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn records_are_found_by_policy_or_time_a_page_at_a_time() {
        let (archive, dir) = temp_archive("find");
        for (id, policy, at) in [(1, "P1", 10), (2, "P2", 20), (3, "P1", 30), (4, "P1", 40)] {
            archive.archive_record(&record_for(id, policy, at)).unwrap();
        }
        let seqs = |q: RecordQuery| -> Vec<u64> {
            archive
                .find_records(&q)
                .unwrap()
                .iter()
                .map(|r| r.seq)
                .collect()
        };
        let p1 = RecordQuery {
            policy_number: Some("P1".into()),
            limit: 2,
            ..RecordQuery::default()
        };
        assert_eq!(seqs(p1.clone()), [1, 3]);
        assert_eq!(seqs(RecordQuery { after_seq: 3, ..p1 }), [4]);
        let at = |secs: u64| Some(Timestamp(1_800_000_000_000 + secs * 1_000));
        let window = RecordQuery {
            from: at(20),
            to: at(40),
            limit: 100,
            ..RecordQuery::default()
        };
        assert_eq!(seqs(window), [2, 3]);
        let first = &archive
            .find_records(&RecordQuery {
                limit: 1,
                ..RecordQuery::default()
            })
            .unwrap()[0];
        assert_eq!(
            (first.flags, first.problem_cases, first.terminated_at),
            (0, 0, None)
        );
        assert_eq!(
            archive.seq_range_received(at(15), at(35)).unwrap(),
            Some((2, 3))
        );
        assert_eq!(archive.seq_range_received(at(41), None).unwrap(), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
