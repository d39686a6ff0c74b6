//! `huifang-origin verify-export`: an export checked fully offline, line by line, in small steps
//! over its typed lines: the header ([`Verifier::from_header`]), each record's seal, filter and
//! chain link ([`Verifier::check_record`]), the trailer ([`Verifier::check_trailer`]) and the
//! archive's head ([`Verifier::finish`]).

use crate::archive::chain::{ChainBreak, ChainWalk, Gaps, Link, GENESIS};
use crate::args::{edge_keys, EdgeKeys};
use crate::audit::export::format::{
    ExportFilter, ExportHeader, ExportRecord, ExportTrailer, EXPORT_FORMAT, EXPORT_VERSION,
};
use crate::progress::Quiet;
use huifang_core::record::RecordError;
use huifang_core::signing::TrustedKeys;
use huifang_core::Timestamp;
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Why a line of an export does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportProblem {
    /// The first line is not a header this verifier knows.
    #[error("bad_header: {0}")]
    Header(String),
    /// A line that is neither a record nor the trailer.
    #[error("unreadable_line: {0}")]
    Unreadable(String),
    /// The record's seal or trace does not verify.
    #[error("{code}: {detail}", code = .0.code(), detail = .0)]
    Seal(RecordError),
    /// The archive chain breaks here.
    #[error("{code}: {detail}", code = .0.code(), detail = .0)]
    Chain(ChainBreak),
    /// A record the header's filter excludes.
    #[error("outside_filter: {0}")]
    OutsideFilter(String),
    /// The trailer is missing, misplaced or does not match the file.
    #[error("bad_trailer: {0}")]
    Trailer(String),
    /// The last record is the archive's head at export, with another chain value.
    #[error(
        "head_mismatch: seq {seq} is the archive's head in the header, with another chain value"
    )]
    HeadMismatch {
        /// The head's seq.
        seq: u64,
    },
}

impl ExportProblem {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Header(_) => "bad_header",
            Self::Unreadable(_) => "unreadable_line",
            Self::Seal(e) => e.code(),
            Self::Chain(b) => b.code(),
            Self::OutsideFilter(_) => "outside_filter",
            Self::Trailer(_) => "bad_trailer",
            Self::HeadMismatch { .. } => "head_mismatch",
        }
    }
}

/// A failure and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFailure {
    /// 1-based line number in the file.
    pub line: usize,
    /// The record's seq, when the line is a readable record.
    pub seq: Option<u64>,
    /// The record's revisit id, when readable.
    pub revisit_id: Option<String>,
    /// What is wrong.
    pub problem: ExportProblem,
}

impl std::fmt::Display for ExportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        match (&self.seq, &self.revisit_id) {
            (Some(seq), Some(id)) => write!(f, " (seq {seq}, revisit_id {id})")?,
            (Some(seq), None) => write!(f, " (seq {seq})")?,
            _ => {}
        }
        write!(f, ": {}", self.problem)
    }
}

/// What `verify-export` found.
#[derive(Debug, Default)]
pub struct ExportReport {
    /// The header, when readable.
    pub header: Option<ExportHeader>,
    /// Record lines read.
    pub records: u64,
    /// Every failure, in file order.
    pub failures: Vec<ExportFailure>,
    /// First record's seq and `prev_chain`: where the export joins the archive's chain.
    pub starts_from: Option<(u64, String)>,
    /// Last record's seq and chain.
    pub ends_at: Option<(u64, String)>,
    /// Whether the seals were checked with keys given to the verifier rather than the header's.
    pub own_keys: bool,
}

fn header_problem(line: &[u8]) -> Result<ExportHeader, String> {
    let header: ExportHeader = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    if header.format != EXPORT_FORMAT {
        return Err(format!(
            "format {:?} is not {EXPORT_FORMAT:?}",
            header.format
        ));
    }
    if header.version != EXPORT_VERSION {
        return Err(format!(
            "version {} is not {EXPORT_VERSION}: use the huifang-origin that wrote it",
            header.version
        ));
    }
    Ok(header)
}

/// The export's keys and filter as the header states them, and the chain walked so far.
struct Verifier<'k> {
    /// The keys seals are checked with: the verifier's own, else the header's.
    keys: Option<std::borrow::Cow<'k, TrustedKeys>>,
    /// Which records the header says the export holds.
    filter: ExportFilter,
    /// The filter's time range, parsed.
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    /// The archive chain across the records so far.
    walk: ChainWalk,
    /// What was found.
    report: ExportReport,
}

/// A line after the header, read as what it is.
enum Line {
    /// A record line.
    Record(Box<ExportRecord>),
    /// The trailer.
    Trailer(ExportTrailer),
    /// Neither: why it is not a record.
    Unreadable(String),
}

impl Line {
    fn read(text: &[u8]) -> Self {
        if let Ok(trailer) = serde_json::from_slice::<ExportTrailer>(text) {
            return Self::Trailer(trailer);
        }
        match serde_json::from_slice::<ExportRecord>(text) {
            Ok(record) => Self::Record(Box::new(record)),
            Err(e) => Self::Unreadable(format!("not an export record: {e}")),
        }
    }
}

/// The trailer line: where it is, what it says, and the digest of every byte before it.
struct TrailerSeen {
    line: usize,
    trailer: ExportTrailer,
    digest: String,
}

impl<'k> Verifier<'k> {
    /// Reads the header (line 1) as far as it can; `own_keys` replaces the header's keys.
    fn from_header(
        header: Result<ExportHeader, String>,
        own_keys: Option<&'k TrustedKeys>,
    ) -> Self {
        let mut report = ExportReport {
            own_keys: own_keys.is_some(),
            ..ExportReport::default()
        };
        let header_keys = header.as_ref().ok().and_then(|h| {
            TrustedKeys::parse(&h.edge_keys.join(","))
                .ok()
                .filter(|k| !k.is_empty())
        });
        match header {
            Ok(h) => {
                if header_keys.is_none() && own_keys.is_none() {
                    report.fail_line(
                        1,
                        ExportProblem::Header(
                            "edge_keys must be kid=hex entries of 32-byte Ed25519 public keys"
                                .into(),
                        ),
                    );
                }
                report.header = Some(h);
            }
            Err(reason) => report.fail_line(1, ExportProblem::Header(reason)),
        }
        let keys = own_keys
            .map(std::borrow::Cow::Borrowed)
            .or(header_keys.map(std::borrow::Cow::Owned));
        let contiguous = report.header.as_ref().is_none_or(|h| h.contiguous);
        let filter = report
            .header
            .as_ref()
            .map(|h| h.filter.clone())
            .unwrap_or_default();
        let time = |t: &Option<String>| t.as_deref().and_then(|t| Timestamp::parse_rfc3339(t).ok());
        let (from, to) = (time(&filter.from), time(&filter.to));
        let walk = ChainWalk::from_anywhere(if contiguous {
            Gaps::Refused
        } else {
            Gaps::Allowed
        });
        Self {
            keys,
            filter,
            from,
            to,
            walk,
            report,
        }
    }

    /// Checks one record line's filter and its link in the chain; its seal is checked by a worker
    /// ([`check_seals`]).
    fn check_record(&mut self, line: usize, record: &ExportRecord) {
        self.report.records += 1;
        let mut problems = self.outside_filter(record);
        problems.extend(
            self.walk
                .step(&link_of(record))
                .into_iter()
                .map(ExportProblem::Chain),
        );
        for problem in problems {
            self.report.failures.push(ExportFailure {
                line,
                seq: Some(record.seq),
                revisit_id: Some(record.sealed.record.revisit_id.to_string()),
                problem,
            });
        }
    }

    /// Why a record is outside a policy export's filter: another policy, or received outside its
    /// time range. A sparse export is filtered by received_at exactly (a contiguous one is the
    /// run from the first such record to the last, checked by the chain).
    fn outside_filter(&self, record: &ExportRecord) -> Vec<ExportProblem> {
        let Some(policy) = &self.filter.policy_number else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        if record.sealed.record.policy_number.as_str() != policy {
            problems.push(ExportProblem::OutsideFilter(format!(
                "policy {} in an export of policy {policy}",
                record.sealed.record.policy_number
            )));
        }
        let at = Timestamp::parse_rfc3339(&record.received_at).ok();
        let before = self.from.zip(at).is_some_and(|(f, a)| a < f);
        let after = self.to.zip(at).is_some_and(|(t, a)| a >= t);
        if before || after {
            problems.push(ExportProblem::OutsideFilter(format!(
                "received_at {} is outside the export's time range",
                record.received_at
            )));
        }
        problems
    }

    /// Checks the trailer against the file: its name, its count, its digest. `last_line` is the
    /// file's last line number (a missing trailer is reported after it).
    fn check_trailer(&mut self, seen: Option<TrailerSeen>, last_line: usize) {
        let Some(TrailerSeen {
            line,
            trailer,
            digest,
        }) = seen
        else {
            self.report.fail_line(
                last_line + 1,
                ExportProblem::Trailer("no trailer line: the file is truncated".into()),
            );
            return;
        };
        if trailer.end != EXPORT_FORMAT {
            self.report.fail_line(
                line,
                ExportProblem::Trailer(format!("end {:?} is not {EXPORT_FORMAT:?}", trailer.end)),
            );
        }
        let held = self.report.records;
        if trailer.records != held {
            self.report.fail_line(
                line,
                ExportProblem::Trailer(format!(
                    "it counts {} records, the file holds {held}: lines were dropped or added",
                    trailer.records
                )),
            );
        }
        if trailer.sha256 != digest {
            self.report.fail_line(
                line,
                ExportProblem::Trailer(
                    "its sha256 does not match the lines before it: the file was changed after \
                     export"
                        .into(),
                ),
            );
        }
    }

    /// Where the records join the archive's chain and end; when the last one is the archive's
    /// head at export, its chain must be the header's.
    fn finish(mut self, last_line: usize) -> ExportReport {
        let report = &mut self.report;
        report.starts_from = self.walk.start().map(|(s, p)| (s, p.to_string()));
        report.ends_at = self.walk.last().map(|(s, c)| (s, c.to_string()));
        if let (Some(head), Some((last_seq, last_chain))) = (
            report.header.as_ref().and_then(|h| h.archive_head.as_ref()),
            &report.ends_at,
        ) {
            if head.seq == *last_seq && head.chain != *last_chain {
                let seq = head.seq;
                report.failures.push(ExportFailure {
                    line: last_line,
                    seq: Some(seq),
                    revisit_id: None,
                    problem: ExportProblem::HeadMismatch { seq },
                });
            }
        }
        // A line's seal failure first, then its filter and chain failures (a stable sort).
        report
            .failures
            .sort_by_key(|f| (f.line, !matches!(f.problem, ExportProblem::Seal(_))));
        self.report
    }
}

/// A record's chain fields as the walk checks them.
fn link_of(record: &ExportRecord) -> Link<'_> {
    Link {
        seq: record.seq,
        prev_chain: &record.prev_chain,
        chain: &record.chain,
        record_hash: &record.sealed.seal.record_hash,
        revisit_id: record.sealed.record.revisit_id.as_str(),
        received_at: &record.received_at,
    }
}

impl ExportReport {
    /// Records a failure of a line that is not a readable record.
    fn fail_line(&mut self, line: usize, problem: ExportProblem) {
        self.failures.push(ExportFailure {
            line,
            seq: None,
            revisit_id: None,
            problem,
        });
    }
}

/// Record lines handed to a worker at a time.
const SEAL_BATCH: usize = 256;
/// Batches read and waiting for a worker: the bound on what is held in memory.
const BATCHES_IN_FLIGHT: usize = 8;

/// Record lines waiting for their seals to be checked.
type SealWork = Vec<(usize, Box<ExportRecord>)>;

/// A worker: checks the seals of the batches it takes until the reader is done (R4).
fn check_seals(
    batches: &std::sync::Mutex<std::sync::mpsc::Receiver<SealWork>>,
    keys: Option<&TrustedKeys>,
    progress: &ProgressBar,
) -> Vec<ExportFailure> {
    let mut found = Vec::new();
    loop {
        let batch = batches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv();
        let Ok(batch) = batch else { return found };
        for (line, record) in &batch {
            if let Some(Err(e)) = keys.map(|k| record.sealed.verify(k)) {
                found.push(ExportFailure {
                    line: *line,
                    seq: Some(record.seq),
                    revisit_id: Some(record.sealed.record.revisit_id.to_string()),
                    problem: ExportProblem::Seal(e),
                });
            }
        }
        progress.inc(batch.len() as u64);
    }
}

/// Verifies an export read from `input`, advancing `progress` by each record line. `own_keys`
/// replaces the header's keys.
///
/// Streams (issue 19): this thread reads the lines in order (the trailer's digest, the filter,
/// the chain) while workers on every core check the seals of the lines already read; at most
/// [`BATCHES_IN_FLIGHT`] batches wait between them, so memory stays flat however long the file.
pub fn verify_export<R: Read>(
    input: R,
    own_keys: Option<&TrustedKeys>,
    progress: &ProgressBar,
) -> std::io::Result<ExportReport> {
    let mut reader = BufReader::new(input);
    // The trailer's digest covers every byte before it.
    let mut hash = Sha256::new();
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line)? == 0 {
        let mut report = ExportReport {
            own_keys: own_keys.is_some(),
            ..ExportReport::default()
        };
        report.fail_line(1, ExportProblem::Header("the file is empty".into()));
        return Ok(report);
    }
    hash.update(&line);
    let mut verifier = Verifier::from_header(header_problem(strip_newline(&line)), own_keys);
    let keys: Option<TrustedKeys> = verifier.keys.as_deref().cloned();
    let (to_workers, batches) = std::sync::mpsc::sync_channel::<SealWork>(BATCHES_IN_FLIGHT);
    let batches = std::sync::Mutex::new(batches);
    let (read, sealed) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..crate::args::default_threads().max(1))
            .map(|_| scope.spawn(|| check_seals(&batches, keys.as_ref(), progress)))
            .collect();
        // The sender moves in, so that the workers stop however the reading ends.
        let mut read = |to_workers: std::sync::mpsc::SyncSender<SealWork>| {
            let mut number = 1;
            let mut trailer: Option<TrailerSeen> = None;
            let mut pending: SealWork = Vec::with_capacity(SEAL_BATCH);
            loop {
                line.clear();
                if reader.read_until(b'\n', &mut line)? == 0 {
                    break;
                }
                number += 1;
                if let Some(seen) = &trailer {
                    let problem = format!("content after the trailer on line {}", seen.line);
                    verifier
                        .report
                        .fail_line(number, ExportProblem::Trailer(problem));
                    continue;
                }
                match Line::read(strip_newline(&line)) {
                    Line::Trailer(t) => {
                        trailer = Some(TrailerSeen {
                            line: number,
                            trailer: t,
                            digest: hex::encode(hash.clone().finalize()),
                        });
                    }
                    Line::Record(record) => {
                        hash.update(&line);
                        verifier.check_record(number, &record);
                        pending.push((number, record));
                        if pending.len() >= SEAL_BATCH {
                            let full =
                                std::mem::replace(&mut pending, Vec::with_capacity(SEAL_BATCH));
                            to_workers.send(full).map_err(std::io::Error::other)?;
                        }
                    }
                    Line::Unreadable(reason) => {
                        hash.update(&line);
                        verifier
                            .report
                            .fail_line(number, ExportProblem::Unreadable(reason));
                    }
                }
            }
            to_workers.send(pending).map_err(std::io::Error::other)?;
            Ok::<_, std::io::Error>((number, trailer))
        };
        let read = read(to_workers);
        let sealed = workers
            .into_iter()
            .map(|w| w.join())
            .collect::<Result<Vec<Vec<ExportFailure>>, _>>();
        (read, sealed)
    });
    let (number, trailer) = read?;
    // A worker that stopped would leave seals unchecked: that is an error, never a pass.
    let sealed = sealed.map_err(|_| std::io::Error::other("a verifying thread panicked"))?;
    verifier
        .report
        .failures
        .extend(sealed.into_iter().flatten());
    verifier.check_trailer(trailer, number);
    Ok(verifier.finish(number))
}

fn strip_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

/// `verify-export`'s arguments. No environment fallback for the keys, on purpose: an auditor
/// passes the keys they obtained themselves.
#[derive(Debug, clap::Args)]
pub struct VerifyExportArgs {
    /// The export file (JSON Lines, as `huifang-origin export` wrote it).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The edge public keys the auditor obtained from the insurer, kid=hex[,kid2=hex]. Without
    /// them the seals are checked with the keys in the export's own header, with a WARNING.
    #[arg(long, value_name = "KEYS", value_parser = edge_keys)]
    pub edge_keys: Option<EdgeKeys>,
    #[command(flatten)]
    pub progress: Quiet,
}

/// `verify-export`'s examples, shown after its `--help`.
pub const EXAMPLES: &str = "\
Examples:
  huifang-origin verify-export 2027-q1.jsonl --edge-keys edge-1=<hex>,edge-2=<hex>

Exit: 0 everything verifies, 1 a failure was found (one FAIL line each), 2 bad usage,
3 the file cannot be read.";

/// The record lines of an export (every line but the header and the trailer), counted ahead so that
/// the progress bar has a total; `None` when the file cannot be read (the verification says why).
fn count_records(path: &Path) -> Option<u64> {
    let mut reader = BufReader::with_capacity(1 << 16, std::fs::File::open(path).ok()?);
    let mut lines = 0u64;
    loop {
        let buf = reader.fill_buf().ok()?;
        if buf.is_empty() {
            break;
        }
        lines += buf.iter().filter(|b| **b == b'\n').count() as u64;
        let used = buf.len();
        reader.consume(used);
    }
    Some(lines.saturating_sub(2))
}

/// Runs `verify-export FILE [--edge-keys kid=hex,…]`: exit 0 when everything verifies, 1 on any
/// failure (one line each), 3 when the file cannot be read.
pub fn verify_cli(args: &VerifyExportArgs) -> ExitCode {
    let file = args.file.display().to_string();
    let own_keys = args.edge_keys.as_ref().map(|k| &k.trusted);
    // Counting reads the file once more: only worth it when the bar is seen.
    let total = crate::progress::visible(args.progress.quiet)
        .then(|| count_records(&args.file))
        .flatten();
    let progress = crate::progress::bar("verify-export", "records", total, args.progress.quiet);
    let report =
        std::fs::File::open(&args.file).and_then(|f| verify_export(f, own_keys, &progress));
    progress.finish_and_clear();
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("huifang-origin verify-export: {file}: {e}");
            return ExitCode::from(3);
        }
    };
    for failure in &report.failures {
        println!("FAIL {failure}");
    }
    print_summary(&file, &report);
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_summary(file: &str, report: &ExportReport) {
    let kind = match &report.header {
        Some(h) if h.contiguous => "contiguous",
        Some(_) => "sparse: one policy",
        None => "unknown",
    };
    println!(
        "verify-export: {file}: {} records ({kind}), {} failed",
        report.records,
        report.failures.len()
    );
    if let Some(h) = &report.header {
        let kids: Vec<&str> = h
            .edge_keys
            .iter()
            .map(|k| k.split_once('=').map_or(k.as_str(), |(kid, _)| kid))
            .collect();
        if report.own_keys {
            println!(
                "seals: checked with the keys given with --edge-keys; exported at {}",
                h.exported_at
            );
        } else {
            // Issue 12: keys read from the export prove only that the export agrees with itself:
            // whoever altered it could have re-signed every record with a key of their own and put
            // that key in the header.
            let warning = format!(
                "WARNING: no --edge-keys given: the seals were checked with the keys written in the \
                 export's own header ({}), which whoever altered the export could have replaced. \
                 This proves only that the export agrees with itself. Pass the edge keys you \
                 obtained yourself from the insurer: --edge-keys kid=hex[,kid=hex]",
                kids.join(", ")
            );
            eprintln!("{warning}");
            println!("{warning}");
            println!(
                "seals: checked with the header's own keys {}; exported at {}",
                kids.join(", "),
                h.exported_at
            );
        }
    }
    match &report.starts_from {
        None => println!("chain: no records"),
        Some((seq, prev)) if prev == GENESIS => {
            println!("chain: starts at seq {seq} from the genesis value (64 zeros)");
        }
        Some((seq, prev)) => println!(
            "chain: starts at seq {seq} from prev_chain {prev} (the chain of seq {}, not in this \
             export: compare it with the archive)",
            seq.saturating_sub(1)
        ),
    }
    if let Some((seq, chain)) = &report.ends_at {
        let head = report
            .header
            .as_ref()
            .and_then(|h| h.archive_head.as_ref())
            .map_or_else(String::new, |h| {
                format!(
                    "; the archive's head at export: seq {} chain {}",
                    h.seq, h.chain
                )
            });
        println!("chain: ends at seq {seq} with chain {chain}{head}");
    }
}
