//! `huifang-origin bench-scale` (feature `bench`; issue 14, the scale requirement): on an archive of
//! a million synthetic records, how long a sample run over a month takes (≤ 10 s) and how long the
//! statistics page of a year takes to render (≤ 2 s), with where the time goes.
//!
//! The records are written straight through the store in bulk ([`SqliteArchive::archive_batch`]:
//! the same inserts as a delivery, thousands to a transaction), not through the edge: a year of
//! revisits spread evenly over 2026 (Beijing), three regions, three product types (by the items
//! shown), 85 % completed (every tenth with a "no", a problem case), 8 % switched to phone, 5 %
//! expired, 2 % cancelled; half the fallback cases closed by phone, a tenth by visit, some problem
//! cases closed. Each is a real sealed record (the default script's texts, Ed25519 over its
//! canonical JSON), made on every core. An archive that already holds enough records is reused.

use crate::archive::sqlite::SqliteArchive;
use crate::archive::{Archive, NewRecord};
use crate::args::default_threads;
use crate::casework::open::openings;
use crate::casework::CaseId;
use crate::dev::bench::{bench_key, BenchError};
use crate::sampling::run::{draw_run, frame_query, DrawRequest};
use crate::sampling::SampleStore;
use crate::statistics::{page, statistics};
use huifang_core::casework::{CaseEvent, Entry, ReceiptChannel, Resolution};
use huifang_core::fixtures::finished_session;
use huifang_core::record::{ItemBody, Outcome, Record, RecordItem};
use huifang_core::sampling::{draw, SampleSpec};
use huifang_core::script::{Lang, Script};
use huifang_core::session::AnswerKind;
use huifang_core::signing::EdgeKey;
use huifang_core::statistics::beijing_year_start;
use huifang_core::time::{DAY_MS, MINUTE_MS};
use huifang_core::working_days::WorkingCalendar;
use huifang_core::RevisitId;
use std::process::ExitCode;
use std::time::Instant;

const DEFAULT_SCRIPT: &str = include_str!("../../../scripts/default.json");
const REGIONS: [&str; 3] = ["beijing", "shanghai", "guangzhou"];
const BATCH: usize = 5_000;

/// `bench-scale`'s options.
#[derive(Debug, clap::Args)]
pub struct ScaleOptions {
    /// The archive (filled up to --records if it holds fewer): an SQLite file (FILE or
    /// sqlite:FILE); the bulk load is SQLite's, so a postgres:// archive is refused.
    #[arg(long, value_name = "DB")]
    pub db: crate::archive::Db,
    /// How many records the archive should hold.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub records: usize,
    /// The month sampled, 1 to 12, of 2026.
    #[arg(long, value_name = "M", default_value_t = 6)]
    pub month: u32,
    /// Threads that make records.
    #[arg(long, value_name = "N", default_value_t = default_threads())]
    pub threads: usize,
}

pub const EXAMPLES: &str = "\
Examples:
  huifang-origin bench-scale --db /tmp/scale.sqlite3 --records 1000000

Exit: 0 measured, 1 failed, 2 bad usage.";

/// Record `n` of `total`: its time in the year, outcome, product kinds and region.
fn synthetic(
    n: u64,
    total: u64,
    script: &Script,
    key: &EdgeKey,
    calendar: &WorkingCalendar,
) -> Result<(NewRecord, Option<Entry>), BenchError> {
    let mut id = [0u8; 12];
    id[..4].copy_from_slice(b"SCAL");
    id[4..].copy_from_slice(&n.to_be_bytes());
    let revisit = RevisitId::from_random(id);
    let year = beijing_year_start(2026).ok_or_else(|| BenchError::Setup("year".into()))?;
    // Spread over 1 January to mid-December, so that every problem case's deadline (15 working
    // days) falls inside the shipped holiday table.
    let created = year.plus_millis(n * (345 * DAY_MS) / total.max(1));
    let kind = n % 3;
    let outcome = match n % 100 {
        0..=84 => Outcome::Completed,
        85..=92 => Outcome::SwitchedToPhone,
        93..=97 => Outcome::Expired,
        _ => Outcome::Cancelled,
    };
    let no = outcome == Outcome::Completed && n.is_multiple_of(10);
    let session = finished_session(revisit, &[AnswerKind::Yes; 3]);
    let mut record = Record::of(&session, REGIONS[(n / 7 % 3) as usize])
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    record.policy_number =
        huifang_core::PolicyNumber::parse(&format!("P2026{:09}", (n * 7_919) % 1_000_000_007))
            .map_err(|e| BenchError::Setup(e.to_string()))?;
    record.outcome = outcome;
    record.created_at = created;
    record.finished_at = created.plus_millis(if outcome == Outcome::Expired {
        15 * DAY_MS
    } else {
        4 * MINUTE_MS
    });
    record.cooling_off_ends_at = created.plus_millis(15 * DAY_MS);
    let wanted = match kind {
        0 => Some("participating"),
        1 => Some("universal"),
        _ => None,
    };
    record.items = script
        .items
        .iter()
        .filter(|i| {
            let products = serde_json::to_value(&i.products).unwrap_or_default();
            let list = products.as_array().cloned().unwrap_or_default();
            list.is_empty() || wanted.is_some_and(|w| list.iter().any(|p| p == w))
        })
        .enumerate()
        .map(|(index, item)| {
            let text = &item.text.zh_cn;
            let answered = outcome == Outcome::Completed;
            let say_no = no && index == 2;
            RecordItem {
                index,
                id: item.id.clone(),
                lang: Some(Lang::ZhCn),
                title: text.title.clone(),
                body: ItemBody::Paragraphs(text.body.clone()),
                content_hash: text.content_hash(),
                problem_on_no: Some(item.problem_on_no),
                answer: answered.then_some(if say_no {
                    AnswerKind::No
                } else {
                    AnswerKind::Yes
                }),
                comment: say_no.then(|| "没有收到产品说明书。".to_string()),
                answered_at: answered.then(|| created.plus_millis(60_000 + index as u64 * 20_000)),
            }
        })
        .collect();
    record.script_id = script.id.clone();
    record.script_version = script.version.clone();
    record.script_hash = script.content_hash();
    let sealed = record.seal(key);
    let received = sealed.record.finished_at.plus_millis(1_000);
    let cases = openings(&sealed.record, received, calendar);
    // How some cases end: fallbacks by phone (half) or visit (a tenth), problems explained.
    let closing = match (outcome, n % 10) {
        (Outcome::Completed, _) if no && n.is_multiple_of(20) => {
            Some(Resolution::ExplainedAndConfirmed)
        }
        (Outcome::Completed, _) => None,
        (_, 0..=4) => Some(Resolution::CompletedByPhone {
            recording_ref: format!("REC-{n}"),
        }),
        (_, 5) => Some(Resolution::CompletedByReceipt {
            channel: ReceiptChannel::Visit,
            receipt_sha256: "0".repeat(64),
        }),
        _ => None,
    };
    let closed = closing
        .filter(|_| !cases.is_empty())
        .map(|resolution| Entry {
            at: received.plus_millis(3 * DAY_MS),
            by: "bench".into(),
            event: CaseEvent::Closed {
                resolution,
                note: String::new(),
            },
        });
    let entry = NewRecord::of(&sealed, received)
        .map_err(|e| BenchError::Setup(e.to_string()))?
        .opening(cases);
    Ok((entry, closed))
}

/// Fills the archive up to `options.records`; returns how many were added and the seconds taken.
fn fill(archive: &SqliteArchive, options: &ScaleOptions) -> Result<(u64, f64), BenchError> {
    let have = archive.head()?.map_or(0, |(seq, _)| seq);
    let total = options.records as u64;
    if have >= total {
        return Ok((0, 0.0));
    }
    let script: Script =
        serde_json::from_str(DEFAULT_SCRIPT).map_err(|e| BenchError::Setup(e.to_string()))?;
    let key = bench_key()?;
    let calendar = WorkingCalendar::shipped().map_err(|e| BenchError::Setup(e.to_string()))?;
    let started = Instant::now();
    let mut n = have;
    while n < total {
        let end = (n + BATCH as u64).min(total);
        let threads = options.threads.max(1) as u64;
        let made: Vec<Vec<(NewRecord, Option<Entry>)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (script, key, calendar) = (&script, &key, &calendar);
                    scope.spawn(move || {
                        (n + t..end)
                            .step_by(threads as usize)
                            .map(|i| synthetic(i, total, script, key, calendar))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .map_err(|_| BenchError::Setup("a worker panicked".into()))?
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        let mut records = Vec::new();
        let mut closings = Vec::new();
        for (r, closed) in made.into_iter().flatten() {
            if let Some(c) = closed {
                closings.push((CaseId::of(&r.revisit_id, 1), 2, c));
            }
            records.push(r);
        }
        archive.archive_batch(&records, &closings)?;
        n = end;
        if n % 100_000 < BATCH as u64 {
            eprintln!(
                "[bench-scale] {n} records ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok((total - have, started.elapsed().as_secs_f64()))
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// Fills, then measures the month's sample run and the year's statistics page.
pub fn scale(options: &ScaleOptions) -> Result<serde_json::Value, BenchError> {
    let crate::archive::Db::Sqlite(path) = &options.db else {
        return Err(BenchError::Setup(
            "bench-scale fills an SQLite file (--db FILE); PostgreSQL is not supported".into(),
        ));
    };
    let archive = SqliteArchive::open(path)?;
    let (added, fill_secs) = fill(&archive, options)?;
    let records = archive.head()?.map_or(0, |(seq, _)| seq);
    let db_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let month = options.month.clamp(1, 12);
    let from =
        huifang_core::Timestamp::parse_rfc3339(&format!("2026-{month:02}-01T00:00:00+08:00"))
            .map_err(|_| BenchError::Setup("month".into()))?;
    let to = if month == 12 {
        beijing_year_start(2027).ok_or_else(|| BenchError::Setup("year".into()))?
    } else {
        huifang_core::Timestamp::parse_rfc3339(&format!("2026-{:02}-01T00:00:00+08:00", month + 1))
            .map_err(|_| BenchError::Setup("month".into()))?
    };
    let request = DrawRequest {
        from,
        to,
        outcome: "completed".into(),
        spec: SampleSpec::default(),
    };
    let now = crate::clock::system_clock();

    // The sample run, whole (what the console's and the CLI's draw do), then its parts.
    let t = Instant::now();
    let (run, sample) = draw_run(&archive, request.clone(), "bench", now)
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let run_secs = secs(t);
    let (records_head, cases_head) = archive.heads()?;
    let params = huifang_core::sample_run::RunParams {
        period_from: from,
        period_to: to,
        outcome: "completed".into(),
        spec: SampleSpec {
            seed: "00112233445566778899aabbccddeeff".into(),
            ..SampleSpec::default()
        },
        records_head,
        cases_head,
    };
    let t = Instant::now();
    let frame = archive.frame(&frame_query(&params))?;
    let frame_secs = secs(t);
    let t = Instant::now();
    draw(&frame, &params.spec).map_err(|e| BenchError::Setup(e.to_string()))?;
    let draw_secs = secs(t);
    let t = Instant::now();
    let redraw = crate::sampling::redraw::redraw(&archive, &run)
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let redraw_secs = secs(t);

    // The statistics page of the year: the counts, the figures and the rendered HTML.
    let mut stats_runs = Vec::new();
    let mut html_bytes = 0;
    for _ in 0..2 {
        let t = Instant::now();
        let stats = statistics(&archive, 2026, now)?;
        let counted = secs(t);
        let html = page::body(&stats).into_string();
        html_bytes = html.len();
        stats_runs.push((counted, secs(t)));
    }
    let t = Instant::now();
    let stats = statistics(&archive, 2026, now)?;
    let xlsx = crate::statistics::export::xlsx(&stats).map_err(BenchError::Setup)?;
    let xlsx_secs = secs(t);
    Ok(serde_json::json!({
        "records": records,
        "added": added,
        "fill_seconds": fill_secs,
        "db_bytes": db_bytes,
        "sample_run": {
            "run_id": run, "month": format!("2026-{month:02}"), "frame": sample.frame_size,
            "picks": sample.picks.len(), "seconds": run_secs,
            "frame_read_seconds": frame_secs, "draw_seconds": draw_secs,
            "redraw_seconds": redraw_secs, "redraw_matches": redraw.matches,
        },
        "statistics_year": {
            "groups": stats.groups.len(), "issued": stats.total().issued,
            "first_count_seconds": stats_runs[0].0, "first_render_seconds": stats_runs[0].1,
            "second_count_seconds": stats_runs[1].0, "second_render_seconds": stats_runs[1].1,
            "html_bytes": html_bytes, "xlsx_seconds": xlsx_secs, "xlsx_bytes": xlsx.len(),
        },
    }))
}

/// `huifang-origin bench-scale`.
pub fn cli(options: &ScaleOptions) -> ExitCode {
    match scale(options) {
        Ok(report) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("huifang-origin: bench-scale: {e}");
            ExitCode::from(1)
        }
    }
}
