//! `huifang-origin export`: archived records, a page at a time, to one JSON Lines file whose
//! trailer counts and hashes what came before it.

use crate::archive::{Archive, ArchiveError, ArchivedRow, Db, RowCursor, RowFilter};
use crate::args::{edge_keys, policy_number, timestamp, EdgeKeys};
use crate::audit::export::format::{
    json_line, ChainHead, ExportFilter, ExportHeader, ExportTrailer, EXPORT_FORMAT, EXPORT_VERSION,
};
use crate::clock::system_clock;
use crate::progress::Quiet;
use huifang_core::{PolicyNumber, Timestamp};
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// How many rows are read from the archive at a time.
const PAGE_ROWS: u32 = 512;

/// What `export` does.
#[derive(Debug)]
pub struct ExportOptions {
    /// The archive.
    pub db: Db,
    /// The file to create (never overwritten).
    pub out: PathBuf,
    /// The edge keys the archive trusts, as given (`kid=hex,…`).
    pub edge_keys: Vec<String>,
    /// Only this policy's records.
    pub policy_number: Option<PolicyNumber>,
    /// Received at or after.
    pub from: Option<Timestamp>,
    /// Received before.
    pub to: Option<Timestamp>,
}

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The archive failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The output file could not be written.
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// An archived row cannot be exported as JSON (run verify-archive).
    #[error("seq {seq}: the archived record is not JSON on one line; run verify-archive")]
    Unexportable {
        /// The row.
        seq: u64,
    },
}

/// What an export wrote.
#[derive(Debug, PartialEq, Eq)]
pub struct Exported {
    /// Record lines.
    pub records: u64,
    /// First and last seq.
    pub seqs: Option<(u64, u64)>,
    /// Rows sealed by a key not among the export's keys: `verify-export` will fail them.
    pub unknown_keys: Vec<(u64, String)>,
}

/// A writer that hashes what it writes.
struct Hashing<W: Write> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Hashing<W> {
    fn line(&mut self, line: &str) -> std::io::Result<()> {
        self.hash.update(line.as_bytes());
        self.hash.update(b"\n");
        self.inner.write_all(line.as_bytes())?;
        self.inner.write_all(b"\n")
    }
}

fn record_line(row: &ArchivedRow) -> Result<String, ExportError> {
    // The sealed record goes out byte for byte as archived (its canonical JSON), checked to be one
    // JSON value on one line.
    let one_line = !row.sealed_json.contains('\n')
        && serde_json::from_str::<serde::de::IgnoredAny>(&row.sealed_json).is_ok();
    if !one_line {
        return Err(ExportError::Unexportable { seq: row.seq });
    }
    Ok(format!(
        "{{\"seq\":{},\"received_at\":{},\"prev_chain\":{},\"chain\":{},\"sealed\":{}}}",
        row.seq,
        json_line(&row.chain_time()),
        json_line(&row.prev_chain),
        json_line(&row.chain),
        row.sealed_json
    ))
}

/// Writes the export of `archive` to `out`, made at `now`, advancing `progress` by each page.
pub fn export_to<W: Write>(
    archive: &dyn Archive,
    options: &ExportOptions,
    now: Timestamp,
    out: W,
    progress: &ProgressBar,
) -> Result<Exported, ExportError> {
    let write_error = |source| ExportError::Write {
        path: options.out.display().to_string(),
        source,
    };
    let head = archive.head()?;
    let contiguous = options.policy_number.is_none();
    let mut filter = RowFilter {
        policy_number: options.policy_number.as_ref().map(|p| p.to_string()),
        ..RowFilter::default()
    };
    let mut empty = false;
    if contiguous {
        // A time range of the whole archive is the run of the chain from the first record
        // received in it to the last, so that it links without a gap.
        if options.from.is_some() || options.to.is_some() {
            match archive.seq_range_received(options.from, options.to)? {
                Some(range) => filter.seqs = Some(range),
                None => empty = true,
            }
        }
    } else {
        filter.from = options.from;
        filter.to = options.to;
    }
    let header = ExportHeader {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        exported_at: now.to_rfc3339(),
        edge_keys: options.edge_keys.clone(),
        filter: ExportFilter {
            policy_number: filter.policy_number.clone(),
            from: options.from.map(Timestamp::to_rfc3339),
            to: options.to.map(Timestamp::to_rfc3339),
        },
        contiguous,
        archive_head: head.map(|(seq, chain)| ChainHead { seq, chain }),
    };
    let known_kids: Vec<&str> = options
        .edge_keys
        .iter()
        .filter_map(|k| k.split_once('=').map(|(kid, _)| kid.trim()))
        .collect();
    let mut w = Hashing {
        inner: std::io::BufWriter::new(out),
        hash: Sha256::new(),
    };
    w.line(&json_line(&header)).map_err(write_error)?;
    let mut exported = Exported {
        records: 0,
        seqs: None,
        unknown_keys: Vec::new(),
    };
    let mut cursor = RowCursor::default();
    loop {
        let rows = if empty {
            Vec::new()
        } else {
            archive.rows(&filter, cursor, PAGE_ROWS)?
        };
        let Some(last) = rows.last() else { break };
        cursor = RowCursor::after(last);
        for row in &rows {
            w.line(&record_line(row)?).map_err(write_error)?;
            if !known_kids.contains(&row.key_id.as_str()) {
                exported.unknown_keys.push((row.seq, row.key_id.clone()));
            }
            exported.records += 1;
            exported.seqs = Some(
                exported
                    .seqs
                    .map_or((row.seq, row.seq), |(f, _)| (f, row.seq)),
            );
        }
        progress.inc(rows.len() as u64);
    }
    let trailer = ExportTrailer {
        end: EXPORT_FORMAT.into(),
        records: exported.records,
        sha256: hex::encode(w.hash.clone().finalize()),
    };
    w.line(&json_line(&trailer)).map_err(write_error)?;
    let file = w
        .inner
        .into_inner()
        .map_err(|e| write_error(e.into_error()))?;
    drop(file);
    Ok(exported)
}

/// Writes the export to a new file at `options.out` (never overwriting one), synced to disk.
pub fn export_file(
    archive: &dyn Archive,
    options: &ExportOptions,
    now: Timestamp,
    progress: &ProgressBar,
) -> Result<Exported, ExportError> {
    let write_error = |source| ExportError::Write {
        path: options.out.display().to_string(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&options.out)
        .map_err(write_error)?;
    let written = export_to(archive, options, now, &file, progress).and_then(|e| {
        file.sync_all().map_err(write_error)?;
        Ok(e)
    });
    if written.is_err() {
        // A partial file must not be mistaken for an export.
        let _ = std::fs::remove_file(&options.out);
    }
    written
}

/// `export`'s flags.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The archive: an SQLite file (FILE or sqlite:FILE) or postgres://user@host:port/database.
    #[arg(long, env = "HUIFANG_ORIGIN_DB", value_name = "DB")]
    pub db: Db,
    /// The export file to create (never overwritten).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The edge public keys the archive trusts, kid=hex[,kid2=hex], written in the header.
    #[arg(
        long,
        env = "HUIFANG_EDGE_PUBLIC_KEYS",
        value_name = "KEYS",
        value_parser = edge_keys
    )]
    pub edge_keys: EdgeKeys,
    /// Only this policy's records (a sparse export).
    #[arg(long = "policy", value_name = "P", value_parser = policy_number)]
    pub policy_number: Option<PolicyNumber>,
    /// Records received at or after this RFC 3339 time.
    #[arg(long, value_name = "T", value_parser = timestamp)]
    pub from: Option<Timestamp>,
    /// Records received before this RFC 3339 time.
    #[arg(long, value_name = "T", value_parser = timestamp)]
    pub to: Option<Timestamp>,
    #[command(flatten)]
    pub progress: Quiet,
}

/// `export`'s examples, shown after its `--help`.
pub const EXAMPLES: &str = "\
Examples:
  huifang-origin export --db origin.sqlite3 --out 2027-q1.jsonl --edge-keys edge-1=<hex> \\
    --from 2027-01-01T00:00:00+08:00 --to 2027-04-01T00:00:00+08:00
  huifang-origin export --db origin.sqlite3 --out P20260001.jsonl --edge-keys edge-1=<hex> --policy P20260001

Exit: 0 written, 2 bad usage, 3 the archive or the file failed.";

impl ExportArgs {
    /// The export's options, or why the flags do not go together.
    pub fn options(self) -> Result<(ExportOptions, bool), String> {
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if to < from {
                return Err("--to is earlier than --from".into());
            }
        }
        let options = ExportOptions {
            db: self.db,
            out: self.out,
            edge_keys: self.edge_keys.entries,
            policy_number: self.policy_number,
            from: self.from,
            to: self.to,
        };
        Ok((options, self.progress.quiet))
    }
}

/// How many records an export will hold, where the archive says so without reading them: the
/// whole archive or a contiguous run of it (a policy's records are not counted ahead).
fn expected_records(archive: &dyn Archive, options: &ExportOptions) -> Option<u64> {
    if options.policy_number.is_some() {
        return None;
    }
    let range = if options.from.is_some() || options.to.is_some() {
        archive.seq_range_received(options.from, options.to).ok()?
    } else {
        archive.head().ok()?.map(|(seq, _)| (1, seq))
    };
    Some(range.map_or(0, |(first, last)| last + 1 - first))
}

/// Runs `export`: 0 when written, 2 on bad usage, 3 when the archive or the file failed.
pub fn export_cli(args: ExportArgs) -> ExitCode {
    let (options, quiet) = match args.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("huifang-origin export: {e}");
            return ExitCode::from(2);
        }
    };
    let result = options
        .db
        .open_existing()
        .map_err(ExportError::from)
        .and_then(|archive| {
            let total = expected_records(&*archive, &options);
            let progress = crate::progress::bar("export", "records", total, quiet);
            let done = export_file(&*archive, &options, system_clock(), &progress);
            progress.finish_and_clear();
            done
        });
    match result {
        Ok(done) => {
            for (seq, kid) in &done.unknown_keys {
                eprintln!(
                    "huifang-origin export: warning: seq {seq} is sealed by key {kid}, which is not \
                     among --edge-keys: verify-export will report it"
                );
            }
            let range = done
                .seqs
                .map_or_else(String::new, |(a, b)| format!(" (seq {a}..={b})"));
            println!(
                "export: {} records{range} to {}",
                done.records,
                options.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("huifang-origin export: {e}");
            ExitCode::from(3)
        }
    }
}
