//! `huifang-origin redraw-sample RUN`: an auditor recomputes a stored run from the archive (R13)
//! and learns whether it matches: the frame read again as the run read it (the same period,
//! outcome and heads), drawn again with the stored parameters and seed, compared with the stored
//! frame digest, sizes and picks; and the sample log's chain walked, so that a run rewritten in
//! the file, chain and all, is caught too.

use crate::archive::ArchiveError;
use crate::sampling::log::chain_breaks;
use crate::sampling::run::frame_query;
use crate::sampling::SampleStore;
use huifang_core::sample_run::{compare, Difference, RunEvent};
use huifang_core::sampling::{draw, Sample};
use serde::Serialize;
use std::process::ExitCode;

/// What a redraw found.
#[derive(Debug, Serialize)]
pub struct Redraw {
    pub run_id: String,
    pub matches: bool,
    pub frame_size: u32,
    pub picks: usize,
    pub differences: Vec<Difference>,
    /// Where the sample log's chain breaks, if anywhere.
    pub chain_breaks: Vec<String>,
}

/// Why a redraw could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RedrawError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error("no sample run {0}")]
    NoSuchRun(String),
    #[error("run {0} does not start with its drawn entry")]
    NotDrawn(String),
    #[error("the stored parameters cannot be drawn again: {0}")]
    Spec(String),
}

/// Redraws run `run_id` from `store`.
pub fn redraw(store: &dyn SampleStore, run_id: &str) -> Result<Redraw, RedrawError> {
    let entries = store.run_entries(run_id)?;
    let first = entries
        .first()
        .ok_or_else(|| RedrawError::NoSuchRun(run_id.to_string()))?;
    let RunEvent::Drawn { params, sample } = &first.event else {
        return Err(RedrawError::NotDrawn(run_id.to_string()));
    };
    let frame = store.frame(&frame_query(params))?;
    let redrawn: Sample =
        draw(&frame, &params.spec).map_err(|e| RedrawError::Spec(e.to_string()))?;
    let differences = compare(sample, &redrawn);
    let mut rows = Vec::new();
    loop {
        let after = rows
            .last()
            .map_or(0, |r: &crate::sampling::SampleLogRow| r.seq);
        let page = store.sample_log_rows(after, 1_000)?;
        if page.is_empty() {
            break;
        }
        rows.extend(page);
    }
    let chain_breaks = chain_breaks(&rows);
    Ok(Redraw {
        run_id: run_id.to_string(),
        matches: differences.is_empty() && chain_breaks.is_empty(),
        frame_size: redrawn.frame_size,
        picks: redrawn.picks.len(),
        differences,
        chain_breaks,
    })
}

/// `huifang-origin redraw-sample`'s flags.
#[derive(Debug, clap::Args)]
pub struct RedrawArgs {
    /// The run's id (`S0001`).
    #[arg(value_name = "RUN")]
    pub run: String,
    /// The archive: an SQLite file (FILE or sqlite:FILE) or postgres://user@host:port/database.
    #[arg(long, value_name = "DB", env = "HUIFANG_ORIGIN_DB")]
    pub db: crate::archive::Db,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

pub const EXAMPLES: &str = "\
Examples:
  huifang-origin redraw-sample S0001 --db origin.sqlite3
  huifang-origin redraw-sample S0001 --db copy.sqlite3 --json

Exit: 0 the redraw matches, 1 it does not (each difference named), 2 bad usage, 3 no such run or
the archive cannot be read.";

/// `huifang-origin redraw-sample`.
pub fn cli(args: &RedrawArgs) -> ExitCode {
    let result = args
        .db
        .open_existing()
        .map_err(RedrawError::from)
        .and_then(|archive| redraw(&*archive, &args.run));
    let redraw = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("huifang-origin: {e}");
            return ExitCode::from(3);
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&redraw).unwrap_or_default()
        );
    } else if redraw.matches {
        println!(
            "{}: matches: {} picks from a frame of {}, the sample log's chain intact",
            redraw.run_id, redraw.picks, redraw.frame_size
        );
    } else {
        println!("{}: DOES NOT MATCH", redraw.run_id);
        for d in &redraw.differences {
            println!("  {d}");
        }
        for b in &redraw.chain_breaks {
            println!("  sample log {b}");
        }
    }
    if redraw.matches {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
