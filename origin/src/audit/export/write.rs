//! `huifang-origin export`: archived records, a page at a time, to one JSON Lines file whose
//! trailer counts and hashes what came before it.

use crate::archive::sqlite::SqliteArchive;
use crate::archive::{Archive, ArchiveError, ArchivedRow, RowCursor, RowFilter};
use crate::audit::export::format::{
    json_line, ChainHead, ExportFilter, ExportHeader, ExportTrailer, EXPORT_FORMAT, EXPORT_VERSION,
};
use crate::clock::system_clock;
use crate::flags::{FlagError, Flags};
use huifang_core::signing::TrustedKeys;
use huifang_core::{PolicyNumber, Timestamp};
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
    pub db: PathBuf,
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

/// Writes the export of `archive` to `out`, made at `now`.
pub fn export_to<W: Write>(
    archive: &dyn Archive,
    options: &ExportOptions,
    now: Timestamp,
    out: W,
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
    let written = export_to(archive, options, now, &file).and_then(|e| {
        file.sync_all().map_err(write_error)?;
        Ok(e)
    });
    if written.is_err() {
        // A partial file must not be mistaken for an export.
        let _ = std::fs::remove_file(&options.out);
    }
    written
}

fn key_entries(list: &str) -> Result<Vec<String>, FlagError> {
    let invalid = || FlagError::Invalid {
        flag: "--edge-keys",
        reason: "must be kid=hex[,kid2=hex] with 32-byte Ed25519 public keys".into(),
    };
    let keys = TrustedKeys::parse(list).map_err(|_| invalid())?;
    if keys.is_empty() {
        return Err(invalid());
    }
    Ok(list
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| e.replace(' ', ""))
        .collect())
}

fn time_flag(flags: &Flags, flag: &'static str) -> Result<Option<Timestamp>, FlagError> {
    flags
        .value(flag)
        .map(|t| {
            Timestamp::parse_rfc3339(t.trim()).map_err(|_| FlagError::Invalid {
                flag,
                reason: format!("{t:?} is not an RFC 3339 date-time"),
            })
        })
        .transpose()
}

impl ExportOptions {
    /// Parses `export`'s arguments; `env` supplies `HUIFANG_ORIGIN_DB` and
    /// `HUIFANG_EDGE_PUBLIC_KEYS` when the flags are absent.
    pub fn from_args(
        args: &[String],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, FlagError> {
        let flags = Flags::parse(
            args,
            &["--db", "--out", "--edge-keys", "--policy", "--from", "--to"],
            &[],
        )?;
        let db = flags.required_or_env("--db", "HUIFANG_ORIGIN_DB", &env)?;
        let keys = flags.required_or_env("--edge-keys", "HUIFANG_EDGE_PUBLIC_KEYS", &env)?;
        let policy_number = flags
            .value("--policy")
            .map(|p| {
                PolicyNumber::parse(p).map_err(|e| FlagError::Invalid {
                    flag: "--policy",
                    reason: e.to_string(),
                })
            })
            .transpose()?;
        let (from, to) = (time_flag(&flags, "--from")?, time_flag(&flags, "--to")?);
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                return Err(FlagError::Invalid {
                    flag: "--to",
                    reason: "is earlier than --from".into(),
                });
            }
        }
        Ok(Self {
            db: PathBuf::from(db),
            out: PathBuf::from(flags.required("--out")?),
            edge_keys: key_entries(&keys)?,
            policy_number,
            from,
            to,
        })
    }
}

/// Runs `export`: 0 when written, 2 on bad usage, 3 when the archive or the file failed.
pub fn export_cli(args: &[String]) -> ExitCode {
    let options = match ExportOptions::from_args(args, |name| std::env::var(name).ok()) {
        Ok(o) => o,
        Err(FlagError::Help) => {
            println!(
                "usage: huifang-origin export --db FILE --out FILE --edge-keys kid=hex[,kid=hex] \
                 [--policy P] [--from RFC3339] [--to RFC3339]"
            );
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("huifang-origin export: {e}");
            return ExitCode::from(2);
        }
    };
    let result = SqliteArchive::open_existing(&options.db)
        .map_err(ExportError::from)
        .and_then(|archive| export_file(&archive, &options, system_clock()));
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
