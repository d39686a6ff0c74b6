//! Quality sampling at the origin (R13, issue 14): sample runs drawn from the archive, sealed into
//! the append-only, chained sample log, redrawn by an auditor, and worked in the console.
//!
//! The core decides (`huifang_core::sampling` draws, `huifang_core::sample_run` compares, checks
//! and folds); here the frame is read from the archive ([`SampleStore`]), runs are drawn and
//! appended ([`run`]), and `redraw-sample` recomputes one ([`redraw`]).
//!
//! The frame of a run is the records archived in its period (`received_at` in `[from, to)`) with
//! its outcome, read as the archive was when the run was drawn (records up to the archive's head
//! seq then, problem cases up to the case log's head then), so that a redraw later reads the same
//! frame however much has been archived since. Channel: the record's own `channel` when it carries
//! one, else `unknown`, a stratum of its own; product type: from the items shown
//! (`sample_run::product_type`).

pub mod log;
pub mod redraw;
pub mod run;

use crate::archive::ArchiveError;
use huifang_core::sample_run::RunEntry;
use huifang_core::sampling::FrameEntry;
use huifang_core::Timestamp;

/// What a frame is read from: the period, the outcome, and the heads the run saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameQuery {
    pub from: Timestamp,
    pub to: Timestamp,
    pub outcome: String,
    pub records_head: u64,
    pub cases_head: u64,
}

/// A row of the sample log as stored, for the chain's verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleLogRow {
    pub seq: u64,
    pub run_id: String,
    pub run_seq: u64,
    pub entry_json: String,
    pub prev_chain: String,
    pub chain: String,
}

/// What an append did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunAppended {
    Appended {
        run_seq: u64,
    },
    /// The run has moved on since the caller read it (`last` is its last entry now).
    Stale {
        last: u64,
    },
}

/// One run in a list of runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunSummary {
    pub run_id: String,
    pub drawn_at: Timestamp,
    pub drawn_by: String,
    pub entries: u64,
    pub signed_off: bool,
}

/// The sample log and the frame, as the archive holds them.
pub trait SampleStore: Send + Sync {
    /// The archive's last record seq and the case log's last seq (0 when empty).
    fn heads(&self) -> Result<(u64, u64), ArchiveError>;
    /// The frame: every record `query` selects, with whether it opened a problem case.
    fn frame(&self, query: &FrameQuery) -> Result<Vec<FrameEntry>, ArchiveError>;
    /// Appends a new run's `drawn` entry under the next run id (`S0001`, `S0002`, …).
    fn append_new_run(&self, entry: &dyn Fn(&str) -> RunEntry) -> Result<String, ArchiveError>;
    /// Appends to run `run_id` after its entry `after` (refused as stale if it has moved on).
    fn append_run(
        &self,
        run_id: &str,
        after: u64,
        entry: &RunEntry,
    ) -> Result<RunAppended, ArchiveError>;
    /// Appends a review after entry `after` of run `run_id`, with the problem case its finding
    /// opens (`opening`, an `opened` case entry) in the same transaction; `review` is given the
    /// new case's id.
    fn append_review(
        &self,
        run_id: &str,
        after: u64,
        opening: Option<&huifang_core::casework::Entry>,
        review: &dyn Fn(Option<&str>) -> RunEntry,
    ) -> Result<RunAppended, ArchiveError>;
    /// A run's entries in order (empty when there is no such run).
    fn run_entries(&self, run_id: &str) -> Result<Vec<RunEntry>, ArchiveError>;
    /// Every run, newest first.
    fn runs(&self) -> Result<Vec<RunSummary>, ArchiveError>;
    /// Up to `limit` rows of the whole log after `after_seq`.
    fn sample_log_rows(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<SampleLogRow>, ArchiveError>;
}
