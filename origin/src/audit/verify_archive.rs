//! `huifang-origin verify-archive`: re-verifies every archived record, offline, against the edge keys
//! trusted today (R3, R4): its seal, that the row's indexed columns (revisit id, policy number,
//! outcome, record hash, key id) say what the sealed record says, and the archive chain across the
//! records (seq 1, 2, … each linked to the one before). One precise line per failure; the first
//! seq where the chain breaks; the head (last seq and chain), which commits to the whole archive.
//! Then the case log beside it (`casework::verify`): its chain, its columns, each case's order;
//! and the sample log (`sampling::log`): its chain (R13).

use crate::archive::chain::{ChainBreak, ChainWalk};
use crate::archive::{Archive, ArchiveError, ArchivedRow, Db, RowCursor, RowFilter};
use crate::args::{default_threads, edge_keys, EdgeKeys};
use crate::casework::verify::verify_case_log;
use crate::progress::Quiet;
use huifang_core::record::{RecordError, SealedRecord};
use huifang_core::signing::TrustedKeys;
use indicatif::ProgressBar;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Rows read from the archive at a time.
const PAGE_ROWS: u32 = 2_048;
/// Rows a worker checks at a time.
const CHECK_ROWS: usize = 256;
/// Pieces of [`CHECK_ROWS`] read and waiting for a worker: the bound on what is held in memory.
const PAGES_IN_FLIGHT: usize = 8;

/// Why one archived row does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    /// The stored JSON is not a sealed record.
    #[error("unreadable_record: {0}")]
    Unreadable(String),
    /// An indexed column disagrees with the sealed record.
    #[error(
        "column_mismatch: column {column} is {stored:?} but the sealed record says {sealed:?}"
    )]
    ColumnMismatch {
        /// The column.
        column: &'static str,
        /// What the column holds.
        stored: String,
        /// What the sealed record holds.
        sealed: String,
    },
    /// The seal does not verify (format, hash or signature, or a key no longer trusted).
    #[error("{code}: {detail}", code = .0.code(), detail = .0)]
    Seal(#[from] RecordError),
    /// The archive chain breaks here (R4).
    #[error("{code}: {detail}", code = .0.code(), detail = .0)]
    Chain(#[from] ChainBreak),
}

impl RowProblem {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreadable(_) => "unreadable_record",
            Self::ColumnMismatch { .. } => "column_mismatch",
            Self::Seal(e) => e.code(),
            Self::Chain(e) => e.code(),
        }
    }
}

/// A row that failed, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The row's seq.
    pub seq: u64,
    /// SQLite row id.
    pub rowid: i64,
    /// The row's `revisit_id` column.
    pub revisit_id: String,
    /// What is wrong.
    pub problem: RowProblem,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seq {} (row {}) revisit_id={}: {}",
            self.seq, self.rowid, self.revisit_id, self.problem
        )
    }
}

/// What a run found.
#[derive(Debug)]
pub struct Report {
    /// Rows checked.
    pub records: u64,
    /// Rows that failed, in chain order.
    pub failures: Vec<Failure>,
    /// The first seq at which the archive chain breaks.
    pub first_chain_break: Option<u64>,
    /// The last row's seq and chain.
    pub head: Option<(u64, String)>,
    /// Wall time of the whole check, reads included.
    pub elapsed: Duration,
}

fn column(column: &'static str, stored: &str, sealed: &str) -> Result<(), RowProblem> {
    if stored == sealed {
        Ok(())
    } else {
        Err(RowProblem::ColumnMismatch {
            column,
            stored: stored.to_string(),
            sealed: sealed.to_string(),
        })
    }
}

/// Checks one row: it parses, its columns agree with the record, and the seal verifies.
pub fn check_row(row: &ArchivedRow, keys: &TrustedKeys) -> Result<(), RowProblem> {
    let sealed: SealedRecord = serde_json::from_str(&row.sealed_json)
        .map_err(|e| RowProblem::Unreadable(e.to_string()))?;
    let record = &sealed.record;
    column("revisit_id", &row.revisit_id, record.revisit_id.as_str())?;
    column(
        "policy_number",
        &row.policy_number,
        record.policy_number.as_str(),
    )?;
    column("outcome", &row.outcome, record.outcome.as_str())?;
    column("record_hash", &row.record_hash, &sealed.seal.record_hash)?;
    column("key_id", &row.key_id, &sealed.seal.key_id)?;
    sealed.verify(keys)?;
    Ok(())
}

fn failure(row: &ArchivedRow, problem: RowProblem) -> Failure {
    Failure {
        seq: row.seq,
        rowid: row.rowid,
        revisit_id: row.revisit_id.clone(),
        problem,
    }
}

fn check_rows(rows: &[ArchivedRow], keys: &TrustedKeys) -> Vec<Failure> {
    rows.iter()
        .filter_map(|row| check_row(row, keys).err().map(|p| failure(row, p)))
        .collect()
}

/// Re-verifies every record in the archive on `threads` threads.
pub fn verify_archive(
    archive: &dyn Archive,
    keys: &TrustedKeys,
    threads: usize,
) -> Result<Report, ArchiveError> {
    verify_archive_showing(archive, keys, threads, &ProgressBar::hidden())
}

/// [`verify_archive`], advancing `progress` by the records of each page as it is checked.
///
/// Streams (issue 19): this thread reads the archive a page at a time and walks the chain, which
/// must go in order, while `threads` workers check the seals of the pages already read; at most
/// [`PAGES_IN_FLIGHT`] pages wait between them, so memory stays flat however large the archive.
/// Failures are reported in chain order, as before.
pub fn verify_archive_showing(
    archive: &dyn Archive,
    keys: &TrustedKeys,
    threads: usize,
    progress: &ProgressBar,
) -> Result<Report, ArchiveError> {
    let started = Instant::now();
    let threads = threads.max(1);
    let mut records = 0u64;
    let mut breaks = Vec::new();
    let mut walk = ChainWalk::from_genesis();
    let (pages, to_check) = std::sync::mpsc::sync_channel::<Vec<ArchivedRow>>(PAGES_IN_FLIGHT);
    let to_check = std::sync::Mutex::new(to_check);
    let (read, checked) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let to_check = &to_check;
                scope.spawn(move || {
                    let mut found = Vec::new();
                    loop {
                        // The lock is held only to take the next page.
                        let page = to_check
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .recv();
                        let Ok(rows) = page else { return found };
                        found.extend(check_rows(&rows, keys));
                        progress.inc(rows.len() as u64);
                    }
                })
            })
            .collect();
        let read = (|| {
            let mut cursor = RowCursor::default();
            loop {
                let rows = archive.rows(&RowFilter::default(), cursor, PAGE_ROWS)?;
                let Some(last) = rows.last() else {
                    return Ok(());
                };
                cursor = RowCursor::after(last);
                records += rows.len() as u64;
                for row in &rows {
                    breaks.extend(
                        row.chain_step(&mut walk)
                            .into_iter()
                            .map(|b| failure(row, b.into())),
                    );
                }
                // Smaller pieces for the workers, so that both stay busy to the end.
                let mut rows = rows;
                while !rows.is_empty() {
                    let rest = rows.split_off(rows.len().min(CHECK_ROWS));
                    if pages.send(rows).is_err() {
                        return Err(ArchiveError::Storage("a verifying thread stopped".into()));
                    }
                    rows = rest;
                }
            }
        })();
        drop(pages);
        let checked = workers
            .into_iter()
            .map(|w| w.join())
            .collect::<Result<Vec<_>, _>>();
        (read, checked)
    });
    read?;
    let checked =
        checked.map_err(|_| ArchiveError::Storage("a verifying thread panicked".into()))?;
    let mut failures: Vec<Failure> = checked.into_iter().flatten().chain(breaks).collect();
    failures.sort_by_key(|f| (f.seq, f.rowid));
    let first_chain_break = failures
        .iter()
        .filter(|f| matches!(f.problem, RowProblem::Chain(_)))
        .map(|f| f.seq)
        .min();
    Ok(Report {
        records,
        failures,
        first_chain_break,
        head: walk.last().map(|(seq, chain)| (seq, chain.to_string())),
        elapsed: started.elapsed(),
    })
}

/// `verify-archive`'s options.
#[derive(Debug, clap::Args)]
pub struct VerifyOptions {
    /// The archive: an SQLite file (FILE or sqlite:FILE) or postgres://user@host:port/database.
    #[arg(long, env = "HUIFANG_ORIGIN_DB", value_name = "DB")]
    pub db: Db,
    /// The edge public keys to verify seals against, kid=hex[,kid2=hex].
    #[arg(
        long = "edge-keys",
        env = "HUIFANG_EDGE_PUBLIC_KEYS",
        value_name = "KEYS",
        value_parser = edge_keys
    )]
    pub keys: EdgeKeys,
    /// Worker threads verifying seals (default: the machine's cores).
    #[arg(long, value_name = "N", default_value_t = default_threads(),
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: usize,
    /// Print one JSON object instead of lines (for scripts and `make bench`).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub progress: Quiet,
}

/// `verify-archive`'s examples, shown after its `--help`.
pub const EXAMPLES: &str = "\
Examples:
  huifang-origin verify-archive --db origin.sqlite3 --edge-keys edge-1=<hex>,edge-2=<hex>
  huifang-origin verify-archive --db postgres://huifang@db.internal/huifang --edge-keys edge-1=<hex>
  HUIFANG_ORIGIN_DB=origin.sqlite3 HUIFANG_EDGE_PUBLIC_KEYS=edge-1=<hex> \\
    huifang-origin verify-archive --json --threads 8

Exit: 0 every record verifies, 1 a failure was found (one FAIL line each), 2 bad usage,
3 the archive cannot be read.";

/// `{"records", "failed", "elapsed_ms", "records_per_sec", "failures", …, "case_entries",
/// "case_failures", …}` for `--json`.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    records: u64,
    failed: usize,
    threads: usize,
    elapsed_ms: f64,
    records_per_sec: f64,
    failures: Vec<String>,
    first_chain_break: Option<u64>,
    head_seq: Option<u64>,
    head_chain: Option<&'a str>,
    case_entries: u64,
    case_failures: Vec<String>,
    case_head_seq: Option<u64>,
    case_head_chain: Option<&'a str>,
    /// R13: entries of the sample log, and where its chain breaks.
    sample_entries: u64,
    sample_failures: Vec<String>,
    db: &'a str,
}

/// Runs `verify-archive`: exit 0 when every record verifies, 1 when any fails (one line each),
/// 2 on bad usage, 3 when the archive cannot be read.
pub fn cli(options: &VerifyOptions) -> ExitCode {
    let reports = options.db.open_existing().and_then(|archive| {
        // The head's seq is the number of records in an intact archive.
        let total = archive.head()?.map_or(0, |(seq, _)| seq);
        let progress = crate::progress::bar(
            "verify-archive",
            "records",
            Some(total),
            options.progress.quiet,
        );
        let records =
            verify_archive_showing(&*archive, &options.keys.trusted, options.threads, &progress);
        progress.finish_and_clear();
        Ok((
            records?,
            verify_case_log(&*archive)?,
            crate::sampling::log::verify_sample_log(&*archive)?,
        ))
    });
    let (report, cases, samples) = match reports {
        Ok(r) => r,
        Err(e) => {
            eprintln!("huifang-origin verify-archive: {e}");
            return ExitCode::from(3);
        }
    };
    let secs = report.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        report.records as f64 / secs
    } else {
        0.0
    };
    if options.json {
        let json = JsonReport {
            records: report.records,
            failed: report.failures.len(),
            threads: options.threads,
            elapsed_ms: secs * 1e3,
            records_per_sec: rate,
            failures: report.failures.iter().map(ToString::to_string).collect(),
            first_chain_break: report.first_chain_break,
            head_seq: report.head.as_ref().map(|h| h.0),
            head_chain: report.head.as_ref().map(|h| h.1.as_str()),
            case_entries: cases.entries,
            case_failures: cases.failures.iter().map(ToString::to_string).collect(),
            case_head_seq: cases.head.as_ref().map(|h| h.0),
            case_head_chain: cases.head.as_ref().map(|h| h.1.as_str()),
            sample_entries: samples.entries,
            sample_failures: samples.failures.clone(),
            db: &options.db.to_string(),
        };
        match serde_json::to_string(&json) {
            Ok(line) => println!("{line}"),
            Err(e) => eprintln!("huifang-origin verify-archive: {e}"),
        }
    } else {
        for failure in &report.failures {
            println!("FAIL {failure}");
        }
        match (&report.head, report.first_chain_break) {
            (None, _) => println!("chain: the archive is empty"),
            (Some((seq, chain)), None) => {
                println!("chain: intact from seq 1 to seq {seq}; head {chain}");
            }
            (Some((seq, chain)), Some(first)) => {
                println!("chain: BROKEN, first at seq {first}; last seq {seq}, head {chain}");
            }
        }
        for failure in &cases.failures {
            println!("FAIL {failure}");
        }
        match &cases.head {
            None => println!("case log: empty"),
            Some((seq, chain)) if cases.failures.is_empty() => println!(
                "case log: intact from seq 1 to seq {seq} ({} cases); head {chain}",
                cases.cases
            ),
            Some((seq, chain)) => println!(
                "case log: {} entries failed; last seq {seq}, head {chain}",
                cases.failures.len()
            ),
        }
        // R13: the sample log, chained like the case log.
        for failure in &samples.failures {
            println!("FAIL sample log {failure}");
        }
        match &samples.head {
            None => println!("sample log: empty"),
            Some((seq, chain)) if samples.failures.is_empty() => println!(
                "sample log: intact from seq 1 to seq {seq} ({} runs); head {chain}",
                samples.runs
            ),
            Some((seq, chain)) => println!(
                "sample log: {} problems; last seq {seq}, head {chain}",
                samples.failures.len()
            ),
        }
        println!(
            "verify-archive: {} records, {} failed, {secs:.3} s ({rate:.0} records/s, {} threads)",
            report.records,
            report.failures.len(),
            options.threads
        );
    }
    if report.failures.is_empty() && cases.failures.is_empty() && samples.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::sqlite::SqliteArchive;
    use crate::archive::{Archive, Archived, NewRecord};
    use huifang_core::fixtures::{finished_session, T0};
    use huifang_core::record::Record;
    use huifang_core::session::AnswerKind;
    use huifang_core::signing::{EdgeKey, SignatureError};
    use huifang_core::RevisitId;
    use rusqlite::Connection;
    use std::path::Path;
    use std::path::PathBuf;

    fn key(kid: &str, byte: &str) -> EdgeKey {
        EdgeKey::from_seed_hex(kid, &byte.repeat(32)).unwrap()
    }

    fn trusted(key: &EdgeKey) -> TrustedKeys {
        TrustedKeys::parse(&format!("{}={}", key.key_id, key.public_key_hex())).unwrap()
    }

    /// An archive in a fresh folder holding `n` records sealed by `key`; returns it and its file.
    fn archive_with(name: &str, n: u8, key: &EdgeKey) -> (SqliteArchive, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "huifang-origin-verify-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("archive.sqlite3");
        let archive = SqliteArchive::open(&path).unwrap();
        for i in 0..n {
            let session = finished_session(
                RevisitId::from_random([i; 12]),
                &[AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes],
            );
            let sealed = Record::of(&session, "test").unwrap().seal(key);
            let entry = NewRecord::of(&sealed, T0).unwrap();
            assert_eq!(archive.archive_record(&entry).unwrap(), Archived::Inserted);
        }
        (archive, path)
    }

    /// What someone with write access to the file could do: the append-only triggers are in the
    /// file too, so they can be dropped first.
    fn tamper(path: &Path, sql: &str) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch("DROP TRIGGER IF EXISTS records_no_update;")
            .unwrap();
        assert_eq!(conn.execute(sql, []).unwrap(), 1, "{sql} changed one row");
    }

    fn cleanup(path: &Path) {
        if let Some(dir) = path.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    #[test]
    fn an_untouched_archive_verifies() {
        let edge = key("edge-1", "2a");
        let (archive, path) = archive_with("clean", 5, &edge);
        let report = verify_archive(&archive, &trusted(&edge), 2).unwrap();
        assert_eq!(report.records, 5);
        assert_eq!(report.failures, []);
        assert_eq!(report.first_chain_break, None);
        assert_eq!(report.head, archive.head().unwrap());
        assert_eq!(report.head.map(|h| h.0), Some(5));
        cleanup(&path);
    }

    /// The chain failures of a report, as (seq, code).
    fn chain_failures(report: &Report) -> Vec<(u64, &'static str)> {
        report
            .failures
            .iter()
            .filter(|f| matches!(f.problem, RowProblem::Chain(_)))
            .map(|f| (f.seq, f.problem.code()))
            .collect()
    }

    // R4: a deleted row is found by the chain, at the seq after it.
    #[test]
    fn a_deleted_record_breaks_the_chain_at_the_next_seq() {
        let edge = key("edge-1", "2a");
        let (archive, path) = archive_with("deleted", 5, &edge);
        let conn = Connection::open(&path).unwrap();
        // The problem cases that refer to it would stop the delete; an attacker turns that off too.
        conn.execute_batch("PRAGMA foreign_keys = OFF; DROP TRIGGER records_no_delete;")
            .unwrap();
        assert_eq!(
            conn.execute("DELETE FROM records WHERE seq = 3", [])
                .unwrap(),
            1
        );
        let report = verify_archive(&archive, &trusted(&edge), 2).unwrap();
        assert_eq!(report.records, 4);
        assert_eq!(chain_failures(&report), [(4, "chain_missing_records")]);
        assert_eq!(report.first_chain_break, Some(4));
        assert!(report.failures[0].to_string().contains(
            "chain_missing_records: seq 4 follows seq 2: 1 record(s) missing (seq 3..=3)"
        ));
        cleanup(&path);
    }

    #[test]
    fn reordered_records_break_the_chain_at_the_first_moved_seq() {
        let edge = key("edge-1", "2a");
        let (archive, path) = archive_with("reordered", 5, &edge);
        // Rows 2 and 4 trade seq numbers (through a free number, seq being unique).
        for sql in [
            "UPDATE records SET seq = 99 WHERE seq = 2",
            "UPDATE records SET seq = 2 WHERE seq = 4",
            "UPDATE records SET seq = 4 WHERE seq = 99",
        ] {
            tamper(&path, sql);
        }
        let report = verify_archive(&archive, &trusted(&edge), 2).unwrap();
        assert_eq!(report.first_chain_break, Some(2));
        assert_eq!(
            chain_failures(&report),
            [
                (2, "chain_broken_link"),
                (3, "chain_broken_link"),
                (4, "chain_broken_link"),
                (5, "chain_broken_link")
            ]
        );
        cleanup(&path);
    }

    #[test]
    fn a_changed_receipt_time_or_hash_column_is_an_altered_link() {
        let edge = key("edge-1", "2a");
        let (archive, path) = archive_with("altered", 4, &edge);
        tamper(
            &path,
            "UPDATE records SET received_at = received_at + 1 WHERE seq = 2",
        );
        let report = verify_archive(&archive, &trusted(&edge), 2).unwrap();
        assert_eq!(chain_failures(&report), [(2, "chain_altered")]);
        assert_eq!(report.first_chain_break, Some(2));
        cleanup(&path);
    }

    #[test]
    fn a_tampered_record_is_reported_with_its_row_and_reason() {
        let edge = key("edge-1", "2a");
        let (archive, path) = archive_with("tampered", 4, &edge);
        let victim = RevisitId::from_random([2; 12]);
        // One character of an item's text changed in the stored JSON.
        tamper(
            &path,
            &format!(
                "UPDATE records SET sealed_json = replace(sealed_json, '请完整阅读', '请完整閲读') \
                 WHERE revisit_id = '{victim}'"
            ),
        );
        let report = verify_archive(&archive, &trusted(&edge), 3).unwrap();
        assert_eq!(report.records, 4);
        assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
        let failure = &report.failures[0];
        assert_eq!(failure.revisit_id, victim.as_str());
        assert_eq!(failure.rowid, 3);
        assert_eq!(failure.problem, RowProblem::Seal(RecordError::HashMismatch));
        assert_eq!(
            failure.to_string(),
            format!(
                "seq 3 (row 3) revisit_id={victim}: record_hash_mismatch: the record hash does not match the record"
            )
        );
        cleanup(&path);
    }

    #[test]
    fn a_changed_index_column_is_reported() {
        let edge = key("edge-1", "2a");
        let (archive, path) = archive_with("column", 2, &edge);
        tamper(
            &path,
            "UPDATE records SET outcome = 'expired' WHERE rowid = 2",
        );
        let report = verify_archive(&archive, &trusted(&edge), 1).unwrap();
        assert_eq!(report.failures.len(), 1);
        assert_eq!(report.failures[0].problem.code(), "column_mismatch");
        assert!(report.failures[0]
            .to_string()
            .contains("column outcome is \"expired\" but the sealed record says \"completed\""));
        cleanup(&path);
    }

    #[test]
    fn unreadable_json_and_untrusted_keys_are_reported() {
        let edge = key("edge-1", "2a");
        let (archive, path) = archive_with("keys", 3, &edge);
        tamper(
            &path,
            "UPDATE records SET sealed_json = '{' WHERE rowid = 1",
        );
        let other = key("edge-2", "01");
        let report = verify_archive(&archive, &trusted(&other), 2).unwrap();
        let codes: Vec<_> = report.failures.iter().map(|f| f.problem.code()).collect();
        assert_eq!(codes, ["unreadable_record", "unknown_key", "unknown_key"]);
        assert_eq!(
            report.failures[1].problem,
            RowProblem::Seal(RecordError::Seal(SignatureError::UnknownKey))
        );
        cleanup(&path);
    }

    // The case log is checked with the records: a tampered entry fails the run.
    #[test]
    fn verify_archive_checks_the_case_log_too() {
        let edge = key("edge-1", "2a");
        let (archive, path) = archive_with("cases", 1, &edge);
        let session = finished_session(
            RevisitId::from_random([9; 12]),
            &[AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes],
        );
        let sealed = Record::of(&session, "test").unwrap().seal(&edge);
        let calendar = huifang_core::working_days::WorkingCalendar::shipped().unwrap();
        let cases = crate::casework::open::openings(&sealed.record, T0, &calendar);
        let entry = NewRecord::of(&sealed, T0).unwrap().opening(cases);
        archive.archive_record(&entry).unwrap();
        use clap::Parser;
        let cli_line = crate::cli::Cli::try_parse_from([
            "huifang-origin",
            "verify-archive",
            "--quiet",
            "--db",
            &path.to_string_lossy(),
            "--edge-keys",
            &format!("edge-1={}", edge.public_key_hex()),
        ])
        .unwrap();
        let crate::cli::Command::VerifyArchive(args) = cli_line.command else {
            panic!("parsed as another command")
        };
        assert_eq!(cli(&args), ExitCode::SUCCESS);
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("DROP TRIGGER case_log_no_update;")
            .unwrap();
        conn.execute(
            "UPDATE case_log SET entry_json = replace(entry_json, '没有', '没了') WHERE seq = 1",
            [],
        )
        .unwrap();
        let report = verify_case_log(&archive).unwrap();
        assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
        assert_eq!(report.failures[0].problem.code(), "chain_altered");
        assert_eq!(cli(&args), ExitCode::from(1));
        cleanup(&path);
    }

    #[test]
    fn a_missing_archive_is_an_error_not_an_empty_pass() {
        let path = std::env::temp_dir().join("huifang-origin-verify-missing/none.sqlite3");
        assert!(SqliteArchive::open_existing(&path).is_err());
        assert!(!path.exists());
    }
}
