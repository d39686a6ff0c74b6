//! The archive on a PostgreSQL server (`--db postgres://…`; issue 17): the same [`Archive`],
//! [`CaseStore`] and [`StaffStore`] as [`super::sqlite`], with the same guarantees — append-only
//! enforced by the server (triggers refuse UPDATE, DELETE and TRUNCATE), the chains computed by the
//! same domain code ([`crate::archive::chain::next_link`], the case log's `next_entry_link`), and
//! idempotent, unforked appends when several origins share the database (the head is read under a
//! row lock of `chain_locks`; unique keys back it up). The schema is the numbered migrations under
//! `origin/migrations/postgres/` ([`migrate`]), in the first schema of the connection's search path.
//!
//! Layout, as [`super::sqlite`]'s: `write` (records, terminations, SMS), `read`, `cases` (the case
//! log), `staff` (the console's tables), `sampling` (the sample log and frame), `facts` (the
//! statistics' facts and counts), `migrate`, `convert`. A new store method is one function in
//! the module of its table and one line in the trait impl below.
//!
//! Driver: the sync `postgres` client (the traits are sync and run in `spawn_blocking`), pooled by
//! r2d2; no TLS (a loopback or private link to the database).

mod cases;
mod convert;
mod facts;
mod locks;
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
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;
use std::time::Duration;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;
type Conn = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// Connections per origin process: the server's blocking tasks wait for one when all are busy.
const POOL_SIZE: u32 = 16;

/// The archive in a PostgreSQL database, behind a pool of connections.
pub struct PgArchive {
    /// Always `Some` until dropped (see [`Drop`]).
    pool: Option<Pool>,
    /// Deliveries waiting to share the next commit (issue 19).
    group: GroupCommit,
}

impl PgArchive {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database[?options=…]`), and
    /// brings the database to the latest layout.
    pub fn open(url: &str) -> Result<Self, ArchiveError> {
        let archive = Self::connect(url)?;
        migrate::migrate(&mut *archive.conn()?)?;
        Ok(archive)
    }

    /// Opens an archive that must already be there (a checker must not create an empty one).
    pub fn open_existing(url: &str) -> Result<Self, ArchiveError> {
        let archive = Self::connect(url)?;
        let there: bool = archive
            .conn()?
            .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])?
            .get(0);
        if !there {
            return Err(ArchiveError::Storage(
                "no archive in that database (schema)".into(),
            ));
        }
        migrate::migrate(&mut *archive.conn()?)?;
        Ok(archive)
    }

    fn connect(url: &str) -> Result<Self, ArchiveError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| ArchiveError::Storage(format!("the PostgreSQL URL: {e}")))?;
        // One connection first, for a precise reason at once (the pool would retry for its
        // timeout and keep only "timed out").
        drop(config.connect(NoTls)?);
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(manager)?;
        Ok(Self {
            pool: Some(pool),
            group: GroupCommit::default(),
        })
    }

    fn conn(&self) -> Result<Conn, ArchiveError> {
        match &self.pool {
            Some(pool) => Ok(pool.get()?),
            None => Err(ArchiveError::Storage("the archive is closed".into())),
        }
    }

    /// A connection of the pool, for the tests' direct statements.
    #[cfg(test)]
    pub(crate) fn raw(&self) -> Conn {
        self.conn().expect("a connection")
    }
}

impl Drop for PgArchive {
    /// Each pooled client runs its own small tokio runtime, which may not be dropped on an async
    /// thread (the origin drops its state there at shutdown): the pool is closed on a plain thread.
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

impl Archive for PgArchive {
    fn archive_record(&self, record: &NewRecord) -> Result<Archived, ArchiveError> {
        self.group.submit(
            record,
            |batch| write::archive_records(&mut *self.conn()?, batch),
            |one| write::archive_record(&mut *self.conn()?, one),
        )
    }

    fn archive_records(&self, records: &[&NewRecord]) -> Result<Vec<Archived>, ArchiveError> {
        write::archive_records(&mut *self.conn()?, records)
    }

    fn record(&self, revisit_id: &RevisitId) -> Result<Option<StoredRecord>, ArchiveError> {
        read::record(&mut *self.conn()?, revisit_id)
    }

    fn find_records(&self, query: &RecordQuery) -> Result<Vec<RecordSummary>, ArchiveError> {
        read::find_records(&mut *self.conn()?, query)
    }

    fn report_termination(&self, t: &Termination) -> Result<PolicyTermination, ArchiveError> {
        write::report_termination(&mut *self.conn()?, t)
    }

    fn append_sms(&self, sms: &NewSms) -> Result<u64, ArchiveError> {
        write::append_sms(&mut *self.conn()?, sms)
    }

    fn recent_sms(&self, phone: &Phone, limit: u32) -> Result<Vec<StoredSms>, ArchiveError> {
        read::recent_sms(&mut *self.conn()?, phone, limit)
    }

    fn rows(
        &self,
        filter: &RowFilter,
        cursor: RowCursor,
        limit: u32,
    ) -> Result<Vec<ArchivedRow>, ArchiveError> {
        read::rows(&mut *self.conn()?, filter, cursor, limit)
    }

    fn seq_range_received(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Option<(u64, u64)>, ArchiveError> {
        read::received_seq_range(&mut *self.conn()?, from, to)
    }

    fn head(&self) -> Result<Option<(u64, String)>, ArchiveError> {
        read::head(&mut *self.conn()?)
    }
}

/// The case log lives in the archive's database, so that a record and the cases it opens are
/// stored in one transaction.
impl CaseStore for PgArchive {
    fn case_log(&self, id: &CaseId) -> Result<Vec<LoggedEntry>, ArchiveError> {
        cases::case_log(&mut *self.conn()?, id)
    }

    fn open_case_logs(&self) -> Result<Vec<(CaseId, Vec<LoggedEntry>)>, ArchiveError> {
        cases::open_case_logs(&mut *self.conn()?)
    }

    fn append(&self, id: &CaseId, after: u64, entries: &[Entry]) -> Result<Appended, ArchiveError> {
        cases::append(&mut *self.conn()?, id, after, entries)
    }

    fn case_log_rows(&self, after_seq: u64, limit: u32) -> Result<Vec<CaseLogRow>, ArchiveError> {
        cases::case_log_rows(&mut *self.conn()?, after_seq, limit)
    }
}

/// The console's staff, sessions and staff log, in the archive's database too.
impl StaffStore for PgArchive {
    fn add_staff(&self, account: &StaffAccount, now: Timestamp) -> Result<bool, ArchiveError> {
        staff::add_staff(&mut *self.conn()?, account, now)
    }

    fn staff(&self, staff_id: &str) -> Result<Option<StaffAccount>, ArchiveError> {
        staff::staff(&mut *self.conn()?, staff_id)
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
            &mut *self.conn()?,
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
        staff::session(&mut *self.conn()?, id_sha256, now)
    }

    fn end_session(&self, id_sha256: &str, now: Timestamp) -> Result<(), ArchiveError> {
        staff::end_session(&mut *self.conn()?, id_sha256, now)
    }

    fn log_staff_action(&self, entry: &StaffLogEntry) -> Result<(), ArchiveError> {
        staff::log_staff_action(&mut *self.conn()?, entry)
    }

    fn count_actions_since(
        &self,
        staff_id: &str,
        action: &str,
        since: Timestamp,
    ) -> Result<u32, ArchiveError> {
        staff::count_actions_since(&mut *self.conn()?, staff_id, action, since)
    }

    fn staff_log(&self, limit: u32) -> Result<Vec<StaffLogEntry>, ArchiveError> {
        staff::staff_log(&mut *self.conn()?, limit)
    }

    fn list_staff(&self) -> Result<Vec<StaffAccount>, ArchiveError> {
        staff::list_staff(&mut *self.conn()?)
    }

    fn set_role(
        &self,
        staff_id: &str,
        role: huifang_core::casework::Role,
    ) -> Result<bool, ArchiveError> {
        staff::set_role(&mut *self.conn()?, staff_id, role)
    }

    fn disable_staff(&self, staff_id: &str, now: Timestamp) -> Result<bool, ArchiveError> {
        staff::disable_staff(&mut *self.conn()?, staff_id, now)
    }
}

/// The sample log lives in the archive's database too: a run names the archive's head it read.
impl crate::sampling::SampleStore for PgArchive {
    fn heads(&self) -> Result<(u64, u64), ArchiveError> {
        sampling::heads(&mut *self.conn()?)
    }

    fn frame(
        &self,
        query: &crate::sampling::FrameQuery,
    ) -> Result<Vec<huifang_core::sampling::FrameEntry>, ArchiveError> {
        sampling::frame(&mut *self.conn()?, query)
    }

    fn append_new_run(
        &self,
        entry: &dyn Fn(&str) -> huifang_core::sample_run::RunEntry,
    ) -> Result<String, ArchiveError> {
        sampling::append_new_run(&mut *self.conn()?, entry)
    }

    fn append_run(
        &self,
        run_id: &str,
        after: u64,
        entry: &huifang_core::sample_run::RunEntry,
    ) -> Result<crate::sampling::RunAppended, ArchiveError> {
        sampling::append_run(&mut *self.conn()?, run_id, after, entry)
    }

    fn append_review(
        &self,
        run_id: &str,
        after: u64,
        opening: Option<&Entry>,
        review: &dyn Fn(Option<&str>) -> huifang_core::sample_run::RunEntry,
    ) -> Result<crate::sampling::RunAppended, ArchiveError> {
        sampling::append_review(&mut *self.conn()?, run_id, after, opening, review)
    }

    fn run_entries(
        &self,
        run_id: &str,
    ) -> Result<Vec<huifang_core::sample_run::RunEntry>, ArchiveError> {
        sampling::run_entries(&mut *self.conn()?, run_id)
    }

    fn runs(&self) -> Result<Vec<crate::sampling::RunSummary>, ArchiveError> {
        sampling::runs(&mut *self.conn()?)
    }

    fn sample_log_rows(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<crate::sampling::SampleLogRow>, ArchiveError> {
        sampling::sample_log_rows(&mut *self.conn()?, after_seq, limit)
    }
}

/// The statistics count from the facts kept in the archive's database.
impl crate::statistics::StatsStore for PgArchive {
    fn revisit_counts(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<huifang_core::statistics::RevisitCount>, ArchiveError> {
        facts::revisit_counts(&mut *self.conn()?, from, to)
    }

    fn case_counts(
        &self,
        from: &str,
        to: &str,
        now: Timestamp,
    ) -> Result<Vec<huifang_core::statistics::CaseCount>, ArchiveError> {
        facts::case_counts(&mut *self.conn()?, from, to, now)
    }

    fn finding_counts(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Vec<(huifang_core::statistics::GroupKey, u64)>, ArchiveError> {
        facts::finding_counts(&mut *self.conn()?, from, to)
    }

    fn first_revisit(&self) -> Result<Option<Timestamp>, ArchiveError> {
        facts::first_revisit(&mut *self.conn()?)
    }

    fn seen(&self) -> Result<crate::statistics::Seen, ArchiveError> {
        facts::seen(&mut *self.conn()?)
    }
}

/// The archive's tables as plain rows (`copy-archive`).
impl crate::archive::tables::Tables for PgArchive {
    fn read_rows(
        &self,
        table: &crate::archive::tables::Table,
        after: Option<&crate::archive::tables::Cell>,
        limit: u32,
    ) -> Result<Vec<Vec<crate::archive::tables::Cell>>, ArchiveError> {
        tables::read_rows(&mut *self.conn()?, table, after, limit)
    }

    fn write_rows(
        &self,
        table: &crate::archive::tables::Table,
        rows: &[Vec<crate::archive::tables::Cell>],
    ) -> Result<(), ArchiveError> {
        tables::write_rows(&mut *self.conn()?, table, rows)
    }

    fn count_rows(&self, table: &crate::archive::tables::Table) -> Result<u64, ArchiveError> {
        tables::count_rows(&mut *self.conn()?, table)
    }

    fn rows_written(&self, table: &crate::archive::tables::Table) -> Result<(), ArchiveError> {
        tables::rows_written(&mut *self.conn()?, table)
    }
}

#[cfg(test)]
mod tests;
