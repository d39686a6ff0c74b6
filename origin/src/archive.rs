//! The insurer's e-archive (R3, R5, R14): sealed records, the problem cases and phone tasks they
//! raise, and the dev SMS outbox. `Archive` is the interface handlers use; `SqliteArchive` is the
//! reference implementation and the only place in the crate that speaks SQL.

use huifang_core::{Phone, RevisitId, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
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

/// A record read back from the archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    /// The canonical JSON stored at first receipt.
    pub sealed_json: String,
    /// When it was received.
    pub received_at: Timestamp,
    /// How many problem cases it raised.
    pub problem_cases: u64,
    /// How many verified deliveries of a record for this revisit arrived (1 when exactly once).
    pub deliveries: u64,
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

    /// The record stored for a revisit, if any.
    fn record(&self, revisit_id: &RevisitId) -> Result<Option<StoredRecord>, ArchiveError>;

    /// Stores an SMS in the outbox and returns its message id.
    fn append_sms(&self, sms: &NewSms) -> Result<u64, ArchiveError>;

    /// The newest `limit` messages to a phone, newest first.
    fn recent_sms(&self, phone: &Phone, limit: u32) -> Result<Vec<StoredSms>, ArchiveError>;
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS records (
    revisit_id    TEXT PRIMARY KEY NOT NULL,
    policy_number TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    record_hash   TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    sealed_json   TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS records_by_policy ON records (policy_number);

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

CREATE TABLE IF NOT EXISTS sms_outbox (
    message_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    revisit_id  TEXT NOT NULL,
    phone       TEXT NOT NULL,
    text        TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS sms_outbox_by_phone ON sms_outbox (phone, message_id);
"#;

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
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
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

/// One archived record exactly as stored, for re-verification (`verify-archive`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchivedRow {
    /// SQLite's row id: storage order, and the cursor for the next page.
    pub rowid: i64,
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
    /// The sealed record's canonical JSON.
    pub sealed_json: String,
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

    /// Up to `limit` archived records stored after row `after` (0 for the first page), in storage
    /// order.
    pub fn record_rows(&self, after: i64, limit: u32) -> Result<Vec<ArchivedRow>, ArchiveError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT rowid, revisit_id, policy_number, outcome, record_hash, key_id, sealed_json \
             FROM records WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit], |row| {
            Ok(ArchivedRow {
                rowid: row.get(0)?,
                revisit_id: row.get(1)?,
                policy_number: row.get(2)?,
                outcome: row.get(3)?,
                record_hash: row.get(4)?,
                key_id: row.get(5)?,
                sealed_json: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
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
        tx.execute(
            "INSERT INTO records (revisit_id, policy_number, outcome, record_hash, key_id, \
             received_at, sealed_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                r.revisit_id.as_str(),
                r.policy_number,
                r.outcome,
                r.record_hash,
                r.key_id,
                received_at,
                r.sealed_json
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
                "SELECT sealed_json, received_at, \
                 (SELECT COUNT(*) FROM problem_cases p WHERE p.revisit_id = r.revisit_id), \
                 (SELECT COUNT(*) FROM deliveries d WHERE d.revisit_id = r.revisit_id) \
                 FROM records r WHERE r.revisit_id = ?1",
                [revisit_id.as_str()],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(sealed_json, received_at, problem_cases, deliveries)| {
            Ok(StoredRecord {
                sealed_json,
                received_at: Timestamp::from_millis(from_sql_int(received_at)?),
                problem_cases: from_sql_int(problem_cases)?,
                deliveries: from_sql_int(deliveries)?,
            })
        })
        .transpose()
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
        assert_eq!(stored.received_at, Timestamp(1_800_000_000_000));
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
}
