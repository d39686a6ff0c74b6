//! Drawing a sample run (R13): the frame read from the archive as it is now, drawn by the core,
//! sealed into the sample log with its parameters, seed, heads, frame digest and picks.
//! `huifang-origin sample-run` and the console's "draw" form both come here.

use crate::archive::ArchiveError;
use crate::args::timestamp;
use crate::sampling::{FrameQuery, SampleStore};
use huifang_core::sample_run::{RunEntry, RunEvent, RunParams};
use huifang_core::sampling::{draw, Method, Sample, SampleError, SampleSpec, Strata};
use huifang_core::Timestamp;
use std::process::ExitCode;

/// Why a run could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("{0}")]
    Sample(#[from] SampleError),
    #[error("the period ends before it starts")]
    Period,
    #[error("the outcome must be completed, switched_to_phone, expired or cancelled")]
    Outcome,
    #[error("no randomness for the seed: {0}")]
    Seed(String),
}

/// What to draw: the period, the outcome, the parameters (an empty seed is chosen at random).
#[derive(Clone, Debug)]
pub struct DrawRequest {
    pub from: Timestamp,
    pub to: Timestamp,
    pub outcome: String,
    pub spec: SampleSpec,
}

const OUTCOMES: [&str; 4] = ["completed", "switched_to_phone", "expired", "cancelled"];

/// A fresh seed: 128 bits from the OS, as 32 hex digits.
pub fn random_seed() -> Result<String, RunError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| RunError::Seed(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// Draws a run over the archive as it is now and seals it; returns its id and the sample.
pub fn draw_run(
    store: &dyn SampleStore,
    mut request: DrawRequest,
    by: &str,
    now: Timestamp,
) -> Result<(String, Sample), RunError> {
    if request.to < request.from {
        return Err(RunError::Period);
    }
    if !OUTCOMES.contains(&request.outcome.as_str()) {
        return Err(RunError::Outcome);
    }
    if request.spec.seed.is_empty() {
        request.spec.seed = random_seed()?;
    }
    let (records_head, cases_head) = store.heads()?;
    let query = FrameQuery {
        from: request.from,
        to: request.to,
        outcome: request.outcome.clone(),
        records_head,
        cases_head,
    };
    let frame = store.frame(&query)?;
    let sample = draw(&frame, &request.spec)?;
    let params = RunParams {
        period_from: request.from,
        period_to: request.to,
        outcome: request.outcome,
        spec: request.spec,
        records_head,
        cases_head,
    };
    let run_id = store.append_new_run(&|run_id| RunEntry {
        run_id: run_id.to_string(),
        at: now,
        by: by.to_string(),
        event: RunEvent::Drawn {
            params: params.clone(),
            sample: sample.clone(),
        },
    })?;
    Ok((run_id, sample))
}

/// The frame query a stored run read.
pub fn frame_query(params: &RunParams) -> FrameQuery {
    FrameQuery {
        from: params.period_from,
        to: params.period_to,
        outcome: params.outcome.clone(),
        records_head: params.records_head,
        cases_head: params.cases_head,
    }
}

/// `huifang-origin sample-run`'s flags.
#[derive(Debug, clap::Args)]
pub struct SampleRunArgs {
    /// The archive: an SQLite file (FILE or sqlite:FILE) or postgres://user@host:port/database.
    #[arg(long, value_name = "DB", env = "HUIFANG_ORIGIN_DB")]
    pub db: crate::archive::Db,
    /// Records archived at or after this RFC 3339 time.
    #[arg(long, value_name = "T", value_parser = timestamp)]
    pub from: Timestamp,
    /// Records archived before this RFC 3339 time.
    #[arg(long, value_name = "T", value_parser = timestamp)]
    pub to: Timestamp,
    /// The outcome the frame holds.
    #[arg(long, default_value = "completed", value_name = "OUTCOME")]
    pub outcome: String,
    /// The ratio in basis points (50 = 0.5 %).
    #[arg(long, default_value_t = 50, value_name = "BP")]
    pub ratio_bp: u32,
    /// At least this many (all if the frame is smaller).
    #[arg(long, default_value_t = 1_200, value_name = "N")]
    pub minimum: u32,
    /// equal-interval (sorted by policy number) or seed-rank (SHA-256(seed ‖ revisit id)).
    #[arg(long, default_value = "equal-interval", value_parser = ["equal-interval", "seed-rank"])]
    pub method: String,
    /// channel-and-product-type, channel, product-type or none.
    #[arg(long, default_value = "channel-and-product-type",
          value_parser = ["channel-and-product-type", "channel", "product-type", "none"])]
    pub strata: String,
    /// The seed, 16 to 128 hex digits; chosen at random when absent.
    #[arg(long, value_name = "HEX")]
    pub seed: Option<String>,
    /// Who draws it, as the sample log records.
    #[arg(long, value_name = "STAFF")]
    pub by: String,
}

pub const EXAMPLES: &str = "\
Examples:
  huifang-origin sample-run --db origin.sqlite3 --by sup-1 \\
    --from 2026-11-01T00:00:00+08:00 --to 2026-12-01T00:00:00+08:00

Exit: 0 drawn and sealed (prints the run id), 1 refused, 2 bad usage, 3 the archive failed.";

fn spec_of(args: &SampleRunArgs) -> SampleSpec {
    SampleSpec {
        ratio_bp: args.ratio_bp,
        minimum: args.minimum,
        strata: match args.strata.as_str() {
            "channel" => Strata::Channel,
            "product-type" => Strata::ProductType,
            "none" => Strata::None,
            _ => Strata::ChannelAndProductType,
        },
        method: if args.method == "seed-rank" {
            Method::SeedRank
        } else {
            Method::EqualInterval
        },
        seed: args.seed.clone().unwrap_or_default(),
    }
}

/// `huifang-origin sample-run`.
pub fn cli(args: &SampleRunArgs) -> ExitCode {
    let archive = match args.db.open_existing() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("huifang-origin: {e}");
            return ExitCode::from(3);
        }
    };
    let request = DrawRequest {
        from: args.from,
        to: args.to,
        outcome: args.outcome.clone(),
        spec: spec_of(args),
    };
    let started = std::time::Instant::now();
    match draw_run(&*archive, request, &args.by, crate::clock::system_clock()) {
        Ok((run_id, sample)) => {
            println!(
                "{run_id}: {} picks from a frame of {} (digest {}) in {:.2} s",
                sample.picks.len(),
                sample.frame_size,
                sample.frame_digest,
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(RunError::Archive(e)) => {
            eprintln!("huifang-origin: {e}");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("huifang-origin: {e}");
            ExitCode::from(1)
        }
    }
}
