//! `huifang-origin copy-archive --from DB --to DB` (issue 17): moves a whole archive between engines
//! (SQLite to PostgreSQL, and back), row for row, chain fields untouched. The source's chains (the
//! records' and the case log's) are walked before anything is written; the target must be empty;
//! after the copy the target's chains are walked and every table counted: the same heads and the
//! same counts on both sides, or the command fails. Seals are not re-checked here (no keys are
//! needed): `verify-archive` on the target does that.

use crate::archive::chain::ChainWalk;
use crate::archive::tables::{Table, TABLES};
use crate::archive::{ArchiveError, Db, RowCursor, RowFilter, Store};
use crate::casework::verify::verify_case_log;
use crate::progress::Quiet;
use std::process::ExitCode;

/// Rows read and written at a time.
const PAGE_ROWS: u32 = 2_000;

/// `copy-archive`'s flags.
#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// The archive to copy: an SQLite file (FILE or sqlite:FILE) or postgres://user@host:port/db.
    #[arg(long, value_name = "DB")]
    pub from: Db,
    /// Where to copy it (created if missing, and must hold no rows): an SQLite file or postgres://….
    #[arg(long, value_name = "DB")]
    pub to: Db,
    #[command(flatten)]
    pub progress: Quiet,
}

/// `copy-archive`'s examples, shown after its `--help`.
pub const EXAMPLES: &str = "\
Examples:
  huifang-origin copy-archive --from origin.sqlite3 --to postgres://huifang@db.internal:5432/huifang
  huifang-origin copy-archive --from postgres://huifang@db.internal/huifang --to sqlite:/backup/origin.sqlite3

Exit: 0 copied and both sides verified with the same heads, 1 a chain breaks (source or copy) or
the two sides differ, 2 bad usage, 3 an archive cannot be read or written, or the target is not
empty.";

/// What one side's chains are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heads {
    /// Records, and the records chain's head.
    pub records: (u64, Option<(u64, String)>),
    /// Case log entries, and the case log's head.
    pub case_log: (u64, Option<(u64, String)>),
}

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// An archive could not be read or written.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The target holds rows already.
    #[error("the target is not empty: {table} has {rows} rows (copy into an empty archive)")]
    NotEmpty {
        /// The first table with rows.
        table: &'static str,
        /// How many.
        rows: u64,
    },
    /// A chain breaks (on the source, nothing was written; on the copy, it is not to be used).
    #[error("{side}: {problem}")]
    Broken {
        /// `source` or `copy`.
        side: &'static str,
        /// The first break.
        problem: String,
    },
    /// The two sides differ after the copy.
    #[error("the copy differs from the source: {0}")]
    Differs(String),
}

/// Walks the records chain from genesis and the case log; the heads, or the first break.
pub fn verify_chains(store: &dyn Store, side: &'static str) -> Result<Heads, CopyError> {
    let mut walk = ChainWalk::from_genesis();
    let mut cursor = RowCursor::default();
    let mut records = 0u64;
    loop {
        let rows = store.rows(&RowFilter::default(), cursor, PAGE_ROWS)?;
        let Some(last) = rows.last() else { break };
        cursor = RowCursor::after(last);
        for row in &rows {
            let breaks = row.chain_step(&mut walk);
            if let Some(problem) = breaks.first() {
                return Err(CopyError::Broken {
                    side,
                    problem: format!("records chain: {problem}"),
                });
            }
        }
        records += rows.len() as u64;
    }
    let cases = verify_case_log(store)?;
    if let Some(problem) = cases.failures.first() {
        return Err(CopyError::Broken {
            side,
            problem: problem.to_string(),
        });
    }
    Ok(Heads {
        records: (
            records,
            walk.last().map(|(seq, chain)| (seq, chain.to_string())),
        ),
        case_log: (cases.entries, cases.head),
    })
}

/// Copies every table of `from` into `to` (which must be empty), verifying both sides; the heads
/// both have. `copied` is told the rows of each page written.
pub fn copy_archive(
    from: &dyn Store,
    to: &dyn Store,
    copied: &dyn Fn(u64),
) -> Result<Heads, CopyError> {
    let source = verify_chains(from, "source")?;
    for table in TABLES {
        let rows = to.count_rows(table)?;
        if rows > 0 {
            return Err(CopyError::NotEmpty {
                table: table.name,
                rows,
            });
        }
    }
    for table in TABLES {
        copy_table(from, to, table, copied)?;
    }
    let copy = verify_chains(to, "copy")?;
    if copy != source {
        return Err(CopyError::Differs(format!(
            "source {source:?}, copy {copy:?}"
        )));
    }
    for table in TABLES {
        let (a, b) = (from.count_rows(table)?, to.count_rows(table)?);
        if a != b {
            return Err(CopyError::Differs(format!(
                "{}: {a} rows in the source, {b} in the copy",
                table.name
            )));
        }
    }
    Ok(copy)
}

fn copy_table(
    from: &dyn Store,
    to: &dyn Store,
    table: &Table,
    copied: &dyn Fn(u64),
) -> Result<(), CopyError> {
    let mut after = None;
    loop {
        let rows = from.read_rows(table, after.as_ref(), PAGE_ROWS)?;
        let Some(last) = rows.last() else { break };
        after = Some(last[table.key].clone());
        to.write_rows(table, &rows)?;
        copied(rows.len() as u64);
    }
    to.rows_written(table)?;
    Ok(())
}

/// Runs `copy-archive`: exit 0 copied and verified, 1 a chain breaks or the sides differ, 3 an
/// archive cannot be read or written or the target is not empty.
pub fn cli(args: &CopyArgs) -> ExitCode {
    let opened = args
        .from
        .open_existing()
        .and_then(|from| Ok((from, args.to.open()?)));
    let (from, to) = match opened {
        Ok(stores) => stores,
        Err(e) => {
            eprintln!("huifang-origin copy-archive: {e}");
            return ExitCode::from(3);
        }
    };
    let progress = crate::progress::bar("copy-archive", "rows", None, args.progress.quiet);
    let result = copy_archive(&*from, &*to, &|n| progress.inc(n));
    progress.finish_and_clear();
    match result {
        Ok(heads) => {
            let head = |h: &Option<(u64, String)>| {
                h.as_ref().map_or_else(
                    || "empty".to_string(),
                    |(seq, chain)| format!("seq {seq} chain {chain}"),
                )
            };
            println!(
                "copy-archive: {} → {}: {} records (head {}), {} case log entries (head {}); \
                 the same on both sides",
                args.from,
                args.to,
                heads.records.0,
                head(&heads.records.1),
                heads.case_log.0,
                head(&heads.case_log.1)
            );
            ExitCode::SUCCESS
        }
        Err(e @ (CopyError::Archive(_) | CopyError::NotEmpty { .. })) => {
            eprintln!("huifang-origin copy-archive: {e}");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("huifang-origin copy-archive: FAIL {e}");
            ExitCode::from(1)
        }
    }
}
