//! The archive in one SQLite file (WAL mode), behind one connection: the reference implementation
//! of [`Archive`] and the only place in the crate that speaks SQL. The schema is the numbered
//! migrations under `origin/migrations/sqlite/` ([`migrate`]).

mod cases;
mod convert;
mod facts;
mod migrate;
mod read;
mod sampling;
mod staff;
mod tables;
mod write;

pub use migrate::SCHEMA_VERSION;

use crate::archive::group::GroupCommit;
use crate::archive::{
    Archive, ArchiveError, Archived, ArchivedRow, NewRecord, NewSms, PolicyTermination,
    RecordQuery, RecordSummary, RowCursor, RowFilter, StoredRecord, StoredSms, Termination,
};
use crate::casework::{Appended, CaseId, CaseLogRow, CaseStore, LoggedEntry};
use crate::console::accounts::{LiveSession, StaffAccount, StaffLogEntry, StaffStore};
use huifang_core::casework::Entry;
use huifang_core::{Phone, RevisitId, Timestamp};
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// The archive in one SQLite file (WAL mode), behind one connection.
pub struct SqliteArchive {
    conn: Mutex<Connection>,
    /// Deliveries waiting to share the next commit (issue 19).
    group: GroupCommit,
}

impl SqliteArchive {
    /// Opens (creating if needed) the archive at `path`, and its parent directories, and brings
    /// it to the latest layout.
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
        migrate::migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            group: GroupCommit::default(),
        })
    }

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

    /// The connection, for the store suite's direct statements.
    #[cfg(test)]
    pub(crate) fn raw(&self) -> MutexGuard<'_, Connection> {
        self.conn()
    }

    /// Archives `records` and then `entries` in one transaction (the scale bench's bulk load).
    #[cfg(feature = "bench")]
    pub fn archive_batch(
        &self,
        records: &[NewRecord],
        entries: &[(CaseId, u64, Entry)],
    ) -> Result<(), ArchiveError> {
        write::archive_batch(&mut self.conn(), records, entries)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll back),
        // so a poisoned lock is still safe to use.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Archive for SqliteArchive {
    fn archive_record(&self, record: &NewRecord) -> Result<Archived, ArchiveError> {
        self.group.submit(
            record,
            |batch| write::archive_records(&mut self.conn(), batch),
            |one| write::archive_record(&mut self.conn(), one),
        )
    }

    fn archive_records(&self, records: &[&NewRecord]) -> Result<Vec<Archived>, ArchiveError> {
        write::archive_records(&mut self.conn(), records)
    }

    fn record(&self, revisit_id: &RevisitId) -> Result<Option<StoredRecord>, ArchiveError> {
        read::record(&self.conn(), revisit_id)
    }

    fn find_records(&self, query: &RecordQuery) -> Result<Vec<RecordSummary>, ArchiveError> {
        read::find_records(&self.conn(), query)
    }

    fn report_termination(&self, t: &Termination) -> Result<PolicyTermination, ArchiveError> {
        write::report_termination(&mut self.conn(), t)
    }

    fn append_sms(&self, sms: &NewSms) -> Result<u64, ArchiveError> {
        write::append_sms(&self.conn(), sms)
    }

    fn recent_sms(&self, phone: &Phone, limit: u32) -> Result<Vec<StoredSms>, ArchiveError> {
        read::recent_sms(&self.conn(), phone, limit)
    }

    fn rows(
        &self,
        filter: &RowFilter,
        cursor: RowCursor,
        limit: u32,
    ) -> Result<Vec<ArchivedRow>, ArchiveError> {
        read::rows(&self.conn(), filter, cursor, limit)
    }

    fn seq_range_received(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Option<(u64, u64)>, ArchiveError> {
        read::received_seq_range(&self.conn(), from, to)
    }

    fn head(&self) -> Result<Option<(u64, String)>, ArchiveError> {
        read::head(&self.conn())
    }
}

/// The case log lives in the archive's file, so that a record and the cases it opens are stored in
/// one transaction.
impl CaseStore for SqliteArchive {
    fn case_log(&self, id: &CaseId) -> Result<Vec<LoggedEntry>, ArchiveError> {
        cases::case_log(&self.conn(), id)
    }

    fn open_case_logs(&self) -> Result<Vec<(CaseId, Vec<LoggedEntry>)>, ArchiveError> {
        cases::open_case_logs(&self.conn())
    }

    fn append(&self, id: &CaseId, after: u64, entries: &[Entry]) -> Result<Appended, ArchiveError> {
        cases::append(&mut self.conn(), id, after, entries)
    }

    fn case_log_rows(&self, after_seq: u64, limit: u32) -> Result<Vec<CaseLogRow>, ArchiveError> {
        cases::case_log_rows(&self.conn(), after_seq, limit)
    }
}

/// The console's staff, sessions and staff log live in the archive's file too: one file to back up.
impl StaffStore for SqliteArchive {
    fn add_staff(&self, account: &StaffAccount, now: Timestamp) -> Result<bool, ArchiveError> {
        staff::add_staff(&self.conn(), account, now)
    }

    fn staff(&self, staff_id: &str) -> Result<Option<StaffAccount>, ArchiveError> {
        staff::staff(&self.conn(), staff_id)
    }

    fn start_session(
        &self,
        id_sha256: &str,
        staff_id: &str,
        csrf_token: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), ArchiveError> {
        staff::start_session(
            &self.conn(),
            id_sha256,
            staff_id,
            csrf_token,
            now,
            expires_at,
        )
    }

    fn session(
        &self,
        id_sha256: &str,
        now: Timestamp,
    ) -> Result<Option<LiveSession>, ArchiveError> {
        staff::session(&self.conn(), id_sha256, now)
    }

    fn end_session(&self, id_sha256: &str, now: Timestamp) -> Result<(), ArchiveError> {
        staff::end_session(&self.conn(), id_sha256, now)
    }

    fn log_staff_action(&self, entry: &StaffLogEntry) -> Result<(), ArchiveError> {
        staff::log_staff_action(&self.conn(), entry)
    }

    fn count_actions_since(
        &self,
        staff_id: &str,
        action: &str,
        since: Timestamp,
    ) -> Result<u32, ArchiveError> {
        staff::count_actions_since(&self.conn(), staff_id, action, since)
    }

    fn staff_log(&self, limit: u32) -> Result<Vec<StaffLogEntry>, ArchiveError> {
        staff::staff_log(&self.conn(), limit)
    }

    fn list_staff(&self) -> Result<Vec<StaffAccount>, ArchiveError> {
        staff::list_staff(&self.conn())
    }

    fn set_role(
        &self,
        staff_id: &str,
        role: huifang_core::casework::Role,
    ) -> Result<bool, ArchiveError> {
        staff::set_role(&self.conn(), staff_id, role)
    }

    fn disable_staff(&self, staff_id: &str, now: Timestamp) -> Result<bool, ArchiveError> {
        staff::disable_staff(&mut self.conn(), staff_id, now)
    }
}

/// The sample log lives in the archive's file too: a run names the archive's head it read.
impl crate::sampling::SampleStore for SqliteArchive {
    fn heads(&self) -> Result<(u64, u64), ArchiveError> {
        sampling::heads(&self.conn())
    }

    fn frame(
        &self,
        query: &crate::sampling::FrameQuery,
    ) -> Result<Vec<huifang_core::sampling::FrameEntry>, ArchiveError> {
        sampling::frame(&self.conn(), query)
    }

    fn append_new_run(
        &self,
        entry: &dyn Fn(&str) -> huifang_core::sample_run::RunEntry,
    ) -> Result<String, ArchiveError> {
        sampling::append_new_run(&mut self.conn(), entry)
    }

    fn append_run(
        &self,
        run_id: &str,
        after: u64,
        entry: &huifang_core::sample_run::RunEntry,
    ) -> Result<crate::sampling::RunAppended, ArchiveError> {
        sampling::append_run(&mut self.conn(), run_id, after, entry)
    }

    fn append_review(
        &self,
        run_id: &str,
        after: u64,
        opening: Option<&Entry>,
        review: &dyn Fn(Option<&str>) -> huifang_core::sample_run::RunEntry,
    ) -> Result<crate::sampling::RunAppended, ArchiveError> {
        sampling::append_review(&mut self.conn(), run_id, after, opening, review)
    }

    fn run_entries(
        &self,
        run_id: &str,
    ) -> Result<Vec<huifang_core::sample_run::RunEntry>, ArchiveError> {
        sampling::run_entries(&self.conn(), run_id)
    }

    fn runs(&self) -> Result<Vec<crate::sampling::RunSummary>, ArchiveError> {
        sampling::runs(&self.conn())
    }

    fn sample_log_rows(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<crate::sampling::SampleLogRow>, ArchiveError> {
        sampling::sample_log_rows(&self.conn(), after_seq, limit)
    }
}

/// The statistics count from the facts kept in the archive's file.
impl crate::statistics::StatsStore for SqliteArchive {
    fn revisit_counts(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<huifang_core::statistics::RevisitCount>, ArchiveError> {
        facts::revisit_counts(&self.conn(), from, to)
    }

    fn case_counts(
        &self,
        from: &str,
        to: &str,
        now: Timestamp,
    ) -> Result<Vec<huifang_core::statistics::CaseCount>, ArchiveError> {
        facts::case_counts(&self.conn(), from, to, now)
    }

    fn finding_counts(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(huifang_core::statistics::GroupKey, u64)>, ArchiveError> {
        facts::finding_counts(&self.conn(), from, to)
    }

    fn first_revisit(&self) -> Result<Option<Timestamp>, ArchiveError> {
        facts::first_revisit(&self.conn())
    }

    fn seen(&self) -> Result<crate::statistics::Seen, ArchiveError> {
        facts::seen(&self.conn())
    }
}

/// The archive's tables as plain rows (`copy-archive`).
impl crate::archive::tables::Tables for SqliteArchive {
    fn read_rows(
        &self,
        table: &crate::archive::tables::Table,
        after: Option<&crate::archive::tables::Cell>,
        limit: u32,
    ) -> Result<Vec<Vec<crate::archive::tables::Cell>>, ArchiveError> {
        tables::read_rows(&self.conn(), table, after, limit)
    }

    fn write_rows(
        &self,
        table: &crate::archive::tables::Table,
        rows: &[Vec<crate::archive::tables::Cell>],
    ) -> Result<(), ArchiveError> {
        tables::write_rows(&mut self.conn(), table, rows)
    }

    fn count_rows(&self, table: &crate::archive::tables::Table) -> Result<u64, ArchiveError> {
        tables::count_rows(&self.conn(), table)
    }

    fn rows_written(&self, _table: &crate::archive::tables::Table) -> Result<(), ArchiveError> {
        // SQLite follows the largest id by itself.
        Ok(())
    }
}

#[cfg(test)]
mod tests;
