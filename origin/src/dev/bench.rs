//! `huifang-origin bench-ingest` (feature `bench`, for `make bench`): how many sealed records per
//! second the origin verifies and stores. In process, without HTTP: N distinct records, each in its
//! wire form (JSON), go through what `POST /records` does after reading the body: parse, verify the
//! seal (R4), build the archive entry, archive it in its own transaction (R3). The records are made
//! before the clock starts, with the repository's default script (`scripts/default.json`).

use crate::archive::{Archived, Db, NewRecord};
use crate::args::default_threads;
use crate::clock::system_clock;
use huifang_core::fixtures::finished_session;
use huifang_core::record::{ItemBody, Record, RecordItem, SealedRecord};
use huifang_core::script::{Lang, Script};
use huifang_core::session::AnswerKind;
use huifang_core::signing::{EdgeKey, TrustedKeys};
use huifang_core::RevisitId;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The script every benchmark record carries (seven items, as a real revisit).
const DEFAULT_SCRIPT: &str = include_str!("../../../scripts/default.json");
/// The benchmark's edge key id; its seed is fixed so that any run can be re-verified.
pub const BENCH_KEY_ID: &str = "bench-1";
const BENCH_KEY_SEED: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The built-in script or key is unusable (a build defect).
    #[error("setup: {0}")]
    Setup(String),
    /// A record was refused or the archive failed.
    #[error("record {index}: {reason}")]
    Record {
        /// Which record.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The archive could not be opened.
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
}

/// The key the benchmark seals with.
pub fn bench_key() -> Result<EdgeKey, BenchError> {
    EdgeKey::from_seed_hex(BENCH_KEY_ID, BENCH_KEY_SEED)
        .map_err(|e| BenchError::Setup(e.to_string()))
}

/// `kid=hex` of the benchmark key, as `--edge-keys` takes it.
pub fn bench_key_list() -> Result<String, BenchError> {
    let key = bench_key()?;
    Ok(format!("{}={}", key.key_id, key.public_key_hex()))
}

/// Record `n` of run `run`: a distinct revisit id, the default script's items answered 30 s apart,
/// every tenth record with one "no" and a comment (a problem case, R12), sealed by `key`.
pub fn sealed_record(
    n: u64,
    run: [u8; 4],
    script: &Script,
    key: &EdgeKey,
) -> Result<SealedRecord, BenchError> {
    let mut id = [0u8; 12];
    id[..4].copy_from_slice(&run);
    id[4..].copy_from_slice(&n.to_be_bytes());
    let session = finished_session(RevisitId::from_random(id), &[AnswerKind::Yes; 3]);
    let mut record = Record::of(&session, "bench").map_err(|e| BenchError::Setup(e.to_string()))?;
    let start = record.created_at;
    record.items = script
        .items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let no = n.is_multiple_of(10) && index == 2;
            let text = &item.text.zh_cn;
            RecordItem {
                index,
                id: item.id.clone(),
                lang: Some(Lang::ZhCn),
                title: text.title.clone(),
                body: ItemBody::Paragraphs(text.body.clone()),
                content_hash: text.content_hash(),
                problem_on_no: Some(item.problem_on_no),
                answer: Some(if no { AnswerKind::No } else { AnswerKind::Yes }),
                comment: no.then(|| "产品说明书还没有收到，请安排人员联系我。".to_string()),
                answered_at: Some(start.plus_millis(60_000 + index as u64 * 30_000)),
            }
        })
        .collect();
    record.script_id = script.id.clone();
    record.script_version = script.version.clone();
    record.script_hash = script.content_hash();
    Ok(record.seal(key))
}

/// `bench-ingest`'s options.
#[derive(Debug, clap::Args)]
pub struct IngestOptions {
    /// The archive to fill (created if needed): an SQLite file or postgres://….
    #[arg(long, value_name = "DB")]
    pub db: Db,
    /// How many records.
    #[arg(long, value_name = "N", default_value_t = 10_000,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub records: usize,
    /// Threads that make the records before the clock starts.
    #[arg(long, value_name = "N", default_value_t = default_threads(),
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: usize,
    /// Deliveries in flight at once, as concurrent `POST /records` (each parses, verifies, then
    /// waits for the group commit that stores its record; issue 19).
    #[arg(long, value_name = "N", default_value_t = 32,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub in_flight: usize,
    /// Print one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// `bench-ingest`'s examples, shown after its `--help`.
pub const EXAMPLES: &str = "\
Examples:
  huifang-origin bench-ingest --db /tmp/bench.sqlite3 --records 5000 --json
  huifang-origin bench-ingest --db postgres://huifang@127.0.0.1:25432/bench --records 5000

Exit: 0 measured, 1 a record failed, 2 bad usage.";

/// What a run measured.
#[derive(Debug, serde::Serialize)]
pub struct IngestReport {
    /// Records verified and stored.
    pub records: usize,
    /// Threads that made the records.
    pub threads: usize,
    /// Deliveries in flight at once.
    pub in_flight: usize,
    /// Mean size of a record's wire form, bytes.
    pub mean_record_bytes: usize,
    /// Wall time of the timed part.
    pub elapsed_ms: f64,
    /// `records / elapsed`.
    pub records_per_sec: f64,
    /// Summed over deliveries: parsing, seal verification and building the entry, per record.
    pub verify_us_per_record: f64,
    /// Summed over deliveries: `archive_record` per record, including the wait for the group
    /// commit holding it (one transaction, synchronous=FULL, for all the records then waiting).
    pub store_us_per_record: f64,
    /// The key to pass to `verify-archive --edge-keys`.
    pub edge_keys: String,
    /// Wall time to make the records before the clock started.
    pub prepare_ms: f64,
    /// CPU time of the whole process (every thread, user + system) during the timed part, per
    /// record: what a record costs whatever else the machine runs (Linux; `None` elsewhere).
    pub cpu_us_per_record: Option<f64>,
}

/// This process's CPU time so far (user + system, every thread), from `/proc/self/stat`.
fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name in parentheses: state is field 3, utime 14, stime 15 (clock ticks,
    // 100 a second on Linux).
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 2..)?
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

fn in_parallel<T: Send>(
    threads: usize,
    work: impl Fn() -> Result<T, BenchError> + Sync,
) -> Result<Vec<T>, BenchError> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1)).map(|_| scope.spawn(&work)).collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .map_err(|_| BenchError::Setup("a worker thread panicked".into()))?
            })
            .collect()
    })
}

/// Makes the records, then times verifying and storing them into `options.db`.
pub fn ingest(options: &IngestOptions) -> Result<IngestReport, BenchError> {
    let script: Script =
        serde_json::from_str(DEFAULT_SCRIPT).map_err(|e| BenchError::Setup(e.to_string()))?;
    script
        .validate()
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let key = bench_key()?;
    let keys =
        TrustedKeys::parse(&bench_key_list()?).map_err(|e| BenchError::Setup(e.to_string()))?;
    let mut run = [0u8; 4];
    getrandom::fill(&mut run).map_err(|e| BenchError::Setup(format!("getrandom: {e}")))?;
    let archive = options.db.open()?;

    // Untimed: every record in its wire form, made on all threads.
    let prepare = Instant::now();
    let next = AtomicUsize::new(0);
    let parts = in_parallel(options.threads, || {
        let mut made = Vec::new();
        loop {
            let n = next.fetch_add(1, Ordering::Relaxed);
            if n >= options.records {
                return Ok(made);
            }
            let sealed = sealed_record(n as u64, run, &script, &key)?;
            let wire = serde_json::to_vec(&sealed)
                .map_err(|e| BenchError::Setup(format!("record {n}: {e}")))?;
            made.push(wire);
        }
    })?;
    let wires: Vec<Vec<u8>> = parts.into_iter().flatten().collect();
    let prepare_ms = prepare.elapsed().as_secs_f64() * 1e3;
    let mean_record_bytes = wires.iter().map(Vec::len).sum::<usize>() / wires.len().max(1);

    // Timed: what `POST /records` does once it has the body.
    let next = AtomicUsize::new(0);
    let cpu_before = process_cpu_secs();
    let started = Instant::now();
    let spent = in_parallel(options.in_flight, || {
        let (mut verify, mut store) = (Duration::ZERO, Duration::ZERO);
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(wire) = wires.get(index) else {
                return Ok((verify, store));
            };
            let failed = |reason: String| BenchError::Record { index, reason };
            let t0 = Instant::now();
            let sealed: SealedRecord =
                serde_json::from_slice(wire).map_err(|e| failed(e.to_string()))?;
            sealed.verify(&keys).map_err(|e| failed(e.to_string()))?;
            let entry =
                NewRecord::of(&sealed, system_clock()).map_err(|e| failed(e.to_string()))?;
            let t1 = Instant::now();
            let archived = archive
                .archive_record(&entry)
                .map_err(|e| failed(e.to_string()))?;
            store += t1.elapsed();
            verify += t1 - t0;
            if archived != Archived::Inserted {
                return Err(failed(format!("archived as {archived:?}, not inserted")));
            }
        }
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_before
        .zip(process_cpu_secs())
        .map(|(before, after)| (after - before) * 1e6 / wires.len().max(1) as f64);
    let per_record = |d: Duration| d.as_secs_f64() * 1e6 / wires.len().max(1) as f64;
    Ok(IngestReport {
        records: wires.len(),
        threads: options.threads,
        in_flight: options.in_flight,
        mean_record_bytes,
        elapsed_ms: elapsed * 1e3,
        records_per_sec: wires.len() as f64 / elapsed.max(f64::EPSILON),
        verify_us_per_record: per_record(spent.iter().map(|s| s.0).sum()),
        store_us_per_record: per_record(spent.iter().map(|s| s.1).sum()),
        edge_keys: bench_key_list()?,
        prepare_ms,
        cpu_us_per_record: cpu,
    })
}

/// Runs `bench-ingest`: exit 0 on success, 1 when a record failed, 2 on bad usage.
pub fn cli(options: &IngestOptions) -> ExitCode {
    match ingest(options) {
        Ok(report) if options.json => match serde_json::to_string(&report) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("huifang-origin bench-ingest: {e}");
                ExitCode::from(1)
            }
        },
        Ok(r) => {
            println!(
                "bench-ingest: {} records of {} bytes in {:.3} s: {:.0} records/s on {} threads \
                 (per record: verify {:.0} µs, store {:.0} µs); verify with --edge-keys {}",
                r.records,
                r.mean_record_bytes,
                r.elapsed_ms / 1e3,
                r.records_per_sec,
                r.threads,
                r.verify_us_per_record,
                r.store_us_per_record,
                r.edge_keys
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("huifang-origin bench-ingest: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::verify_archive::verify_archive;

    #[test]
    fn ingested_records_are_distinct_stored_and_verify() {
        let dir = std::env::temp_dir().join(format!("huifang-origin-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let options = IngestOptions {
            db: Db::Sqlite(dir.join("bench.sqlite3")),
            records: 25,
            threads: 2,
            in_flight: 8,
            json: true,
        };
        let report = ingest(&options).unwrap();
        assert_eq!(report.records, 25);
        assert!(report.mean_record_bytes > 3_000, "{report:?}");
        let archive = options.db.open_existing().unwrap();
        let keys = TrustedKeys::parse(&report.edge_keys).unwrap();
        let checked = verify_archive(&*archive, &keys, 2).unwrap();
        assert_eq!((checked.records, checked.failures.len()), (25, 0));
        // A second run adds 25 more (a fresh run prefix), rather than colliding.
        ingest(&options).unwrap();
        let checked = verify_archive(&*archive, &keys, 1).unwrap();
        assert_eq!(checked.records, 50);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn every_tenth_record_raises_a_problem_case() {
        let script: Script = serde_json::from_str(DEFAULT_SCRIPT).unwrap();
        let key = bench_key().unwrap();
        let problems = |n| {
            sealed_record(n, [1; 4], &script, &key)
                .unwrap()
                .record
                .problem_items()
                .count()
        };
        assert_eq!((problems(10), problems(11)), (1, 0));
        let a = sealed_record(1, [1; 4], &script, &key).unwrap();
        let b = sealed_record(2, [1; 4], &script, &key).unwrap();
        assert_ne!(a.record.revisit_id, b.record.revisit_id);
        assert_eq!(a.record.items.len(), script.items.len());
    }
}
