//! `huifang-origin bench-archive` (feature `bench`, for `make bench`; issue 19): an archive of N
//! synthetic records sealed by the benchmark's test key, for timing `verify-archive` at a
//! million records. The records are the ingest benchmark's ([`sealed_record`]: the default
//! script, about 8 KB each), made on every core and stored in bulk through the store's own batch
//! path ([`Archive::archive_records`], thousands to a transaction): the same rows, chain, facts
//! and cases a delivery makes, without a commit per record.
//!
//! Deterministic: record `n` and its receipt time depend only on `n` (Ed25519 signatures are
//! deterministic), so the archive's head is the same on every build of the same shape. What
//! shapes it is written beside it (`FILE.shape`); an archive whose shape matches and which holds
//! N records is reused, any other is removed and built again, and the report says which.

use crate::archive::{Db, NewRecord};
use crate::dev::bench::{bench_key, bench_key_list, sealed_record, BenchError, BENCH_KEY_ID};
use huifang_core::script::Script;
use huifang_core::Timestamp;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

const DEFAULT_SCRIPT: &str = include_str!("../../../scripts/default.json");
/// Records per transaction.
const BATCH: usize = 2_000;
/// The revisit ids' run prefix: fixed, so that every build makes the same records.
const RUN: [u8; 4] = *b"1MAR";
/// Bumped whenever the way records are made here changes.
const MAKER: u32 = 1;
/// Receipt times: from here, one millisecond apart.
const RECEIVED_FROM: u64 = 1_790_000_000_000;

/// `bench-archive`'s options.
#[derive(Debug, clap::Args)]
pub struct ArchiveOptions {
    /// The SQLite file to build (or reuse, when its shape matches).
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// How many records.
    #[arg(long, value_name = "N", default_value_t = 1_000_000,
          value_parser = clap::builder::RangedU64ValueParser::<u64>::new().range(1..))]
    pub records: u64,
    /// Threads that make records (the store takes them on one more).
    #[arg(long, value_name = "N", default_value_t = crate::args::default_threads(),
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: usize,
}

pub const EXAMPLES: &str = "\
Examples:
  huifang-origin bench-archive --db .state/bench/archive-1000000.sqlite3 --records 1000000

Prints one JSON object: records, rebuilt, build_seconds, bytes, edge_keys, head_seq, shape.
Exit: 0 built or reused, 1 failed, 2 bad usage.";

/// What shapes the archive: when any of it changes, a cached archive is built again.
pub fn shape(records: u64, script: &Script) -> String {
    format!(
        "records={records} schema={} record_format={} script={} key={BENCH_KEY_ID} maker={MAKER}",
        crate::archive::sqlite::SCHEMA_VERSION,
        huifang_core::record::RECORD_FORMAT,
        script.content_hash(),
    )
}

fn files(db: &Path) -> [PathBuf; 4] {
    let with = |suffix: &str| {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [db.to_path_buf(), with("-wal"), with("-shm"), with(".shape")]
}

/// Makes records `from..to` on `threads` threads, in order.
fn make(
    from: u64,
    to: u64,
    threads: usize,
    script: &Script,
    key: &huifang_core::signing::EdgeKey,
) -> Result<Vec<NewRecord>, BenchError> {
    let per = (to - from).div_ceil(threads as u64).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = (from..to)
            .step_by(per as usize)
            .map(|start| {
                scope.spawn(move || {
                    (start..(start + per).min(to))
                        .map(|n| {
                            let sealed = sealed_record(n, RUN, script, key)?;
                            let at = Timestamp::from_millis(RECEIVED_FROM + n);
                            NewRecord::of(&sealed, at).map_err(|e| BenchError::Record {
                                index: n as usize,
                                reason: e.to_string(),
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut all = Vec::new();
        for part in parts {
            all.extend(
                part.join()
                    .map_err(|_| BenchError::Setup("a maker thread panicked".into()))??,
            );
        }
        Ok(all)
    })
}

/// Builds (or reuses) the archive; returns the report.
pub fn build(options: &ArchiveOptions) -> Result<serde_json::Value, BenchError> {
    let script: Script =
        serde_json::from_str(DEFAULT_SCRIPT).map_err(|e| BenchError::Setup(e.to_string()))?;
    let key = bench_key()?;
    let wanted = shape(options.records, &script);
    let [db, wal, shm, shape_file] = files(&options.db);
    let db_spec = Db::Sqlite(db.clone());
    let cached = std::fs::read_to_string(&shape_file).is_ok_and(|s| s.trim() == wanted)
        && db_spec
            .open_existing()
            .and_then(|a| a.head())
            .is_ok_and(|h| h.map(|h| h.0) == Some(options.records));
    let started = Instant::now();
    if !cached {
        for f in [&shape_file, &db, &wal, &shm] {
            let _ = std::fs::remove_file(f);
        }
        let archive = db_spec.open()?;
        let total = options.records;
        // The next batch is made while this one is stored.
        let (batches, to_store) = sync_channel::<Result<Vec<NewRecord>, BenchError>>(1);
        let (script, key) = (&script, &key);
        std::thread::scope(|scope| {
            // Moves the sender in: when the maker stops, the store's loop ends.
            scope.spawn(move || {
                let mut n = 0;
                while n < total {
                    let end = (n + BATCH as u64).min(total);
                    let made = make(n, end, options.threads, script, key);
                    let failed = made.is_err();
                    if batches.send(made).is_err() || failed {
                        return;
                    }
                    n = end;
                }
            });
            let mut stored = 0u64;
            for made in to_store {
                let made = made?;
                let refs: Vec<&NewRecord> = made.iter().collect();
                archive.archive_records(&refs)?;
                stored += made.len() as u64;
                if stored % 100_000 < BATCH as u64 {
                    eprintln!(
                        "[bench-archive] {stored} records ({:.0} s)",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
            Ok::<_, BenchError>(())
        })?;
        drop(archive);
        std::fs::write(&shape_file, format!("{wanted}\n"))
            .map_err(|e| BenchError::Setup(format!("{}: {e}", shape_file.display())))?;
    }
    let head = db_spec.open_existing()?.head()?;
    let bytes: u64 = [&db, &wal]
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    Ok(serde_json::json!({
        "records": head.as_ref().map_or(0, |h| h.0),
        "rebuilt": !cached,
        "build_seconds": if cached { 0.0 } else { started.elapsed().as_secs_f64() },
        "bytes": bytes,
        "edge_keys": bench_key_list()?,
        "head_seq": head.as_ref().map(|h| h.0),
        "head_chain": head.as_ref().map(|h| h.1.clone()),
        "shape": wanted,
    }))
}

/// `huifang-origin bench-archive`.
pub fn cli(options: &ArchiveOptions) -> ExitCode {
    match build(options) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("huifang-origin: bench-archive: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The archive is the same on every build: a second build of the same shape is reused, and
    // the records verify (R4).
    #[test]
    fn a_built_archive_verifies_and_is_reused_while_its_shape_holds() {
        let dir =
            std::env::temp_dir().join(format!("huifang-bench-archive-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let options = ArchiveOptions {
            db: dir.join("a.sqlite3"),
            records: 5,
            threads: 2,
        };
        let first = build(&options).unwrap();
        assert_eq!(
            (first["records"].as_u64(), first["rebuilt"].as_bool()),
            (Some(5), Some(true))
        );
        let again = build(&options).unwrap();
        assert_eq!(again["rebuilt"].as_bool(), Some(false));
        assert_eq!(again["head_chain"], first["head_chain"]);
        let archive = Db::Sqlite(options.db.clone()).open_existing().unwrap();
        let keys = huifang_core::signing::TrustedKeys::parse(&bench_key_list().unwrap()).unwrap();
        let report = crate::audit::verify_archive::verify_archive(&*archive, &keys, 2).unwrap();
        assert_eq!((report.records, report.failures.len()), (5, 0));
        // Another shape (here: another count) is built again.
        let more = ArchiveOptions {
            records: 6,
            ..options
        };
        assert_eq!(build(&more).unwrap()["rebuilt"].as_bool(), Some(true));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
