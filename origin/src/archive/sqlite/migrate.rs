//! The archive's schema as numbered migrations (`origin/migrations/sqlite/NNNN_*.sql`), applied in
//! order, each in one transaction, and tracked in SQLite's `user_version` (the number of the last
//! one applied). Tracking in `user_version`, as the archive always has, keeps the schema of an
//! existing archive as it is: no bookkeeping table is added to it.
//!
//! A file written before the migrations were numbered has the first layout at `user_version` 0;
//! `0001` is all `IF NOT EXISTS`, so applying it there changes nothing, and `0002` chains it. An
//! archive at the latest version is opened untouched; one of a newer version is refused.

use crate::archive::chain::next_link;
use crate::archive::sqlite::convert::{from_sql_int, to_sql_int};
use crate::archive::ArchiveError;
use huifang_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

/// Where a migration hands over to code for a step SQL cannot do, then goes on.
const CODE_STEP: &str = "-- @code ";

/// One numbered migration.
struct Migration {
    /// Its number: `user_version` once it is applied.
    version: i64,
    /// Its file under `origin/migrations/sqlite/`.
    file: &'static str,
    /// The file's text.
    sql: &'static str,
    /// The step at its `-- @code` marker, if it has one.
    code: Option<(&'static str, CodeStep)>,
}

/// A step of a migration done in code, inside its transaction; returns how many rows it moved.
type CodeStep = fn(&Transaction<'_>) -> Result<u64, ArchiveError>;

const MIGRATIONS: [Migration; 6] = [
    Migration {
        version: 1,
        file: "0001_archive.sql",
        sql: include_str!("../../../migrations/sqlite/0001_archive.sql"),
        code: None,
    },
    Migration {
        version: 2,
        file: "0002_chain.sql",
        sql: include_str!("../../../migrations/sqlite/0002_chain.sql"),
        code: Some(("chain_records", chain_records)),
    },
    Migration {
        version: 3,
        file: "0003_cases.sql",
        sql: include_str!("../../../migrations/sqlite/0003_cases.sql"),
        code: None,
    },
    Migration {
        version: 4,
        file: "0004_staff.sql",
        sql: include_str!("../../../migrations/sqlite/0004_staff.sql"),
        code: None,
    },
    Migration {
        version: 5,
        file: "0005_sampling.sql",
        sql: include_str!("../../../migrations/sqlite/0005_sampling.sql"),
        code: Some(("facts", super::facts::backfill)),
    },
    Migration {
        version: 6,
        file: "0006_staff_admin.sql",
        sql: include_str!("../../../migrations/sqlite/0006_staff_admin.sql"),
        code: None,
    },
];

/// The layout this build writes: the last migration's number.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

fn user_version(conn: &Connection) -> Result<i64, ArchiveError> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

fn has_table(conn: &Connection, name: &str) -> Result<bool, ArchiveError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Brings the file to [`SCHEMA_VERSION`], applying the migrations it has not had, in order.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), ArchiveError> {
    let version = user_version(conn)?;
    if version > SCHEMA_VERSION {
        return Err(ArchiveError::Format(format!(
            "the archive's layout is version {version}; this origin knows up to {SCHEMA_VERSION}: \
             use a newer huifang-origin"
        )));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    // A file with records before any migration ran is of the first, unnumbered layout.
    let had_records = has_table(conn, "records")?;
    // Foreign keys name `records`, which 0002 replaces: SQLite's documented procedure for changing
    // a table has them off (checked before each commit), and the legacy rename keeps the other
    // tables' references pointing at the name `records`.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    conn.pragma_update(None, "legacy_alter_table", "ON")?;
    let applied = apply_pending(conn);
    conn.pragma_update(None, "legacy_alter_table", "OFF")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    if let Some(chained) = applied?.filter(|_| had_records) {
        eprintln!(
            "origin: archive migrated to layout {SCHEMA_VERSION}: {chained} records chained in the order they were stored"
        );
    }
    Ok(())
}

/// Applies every migration above the file's version; returns how many records were chained, if
/// the chain migration ran.
fn apply_pending(conn: &mut Connection) -> Result<Option<u64>, ArchiveError> {
    let mut chained = None;
    for migration in &MIGRATIONS {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Read again inside the transaction: another process may have migrated meanwhile.
        if user_version(&tx)? >= migration.version {
            continue;
        }
        let moved = apply(&tx, migration)?;
        if migration.version == 2 {
            chained = Some(moved);
        }
        let dangling: i64 =
            tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?;
        if dangling != 0 {
            return Err(ArchiveError::Format(format!(
                "the archive cannot be migrated ({}): {dangling} rows refer to records that are \
                 missing",
                migration.file
            )));
        }
        tx.pragma_update(None, "user_version", migration.version)?;
        tx.commit()?;
    }
    Ok(chained)
}

/// Runs one migration's SQL, and its code step at the marker.
fn apply(tx: &Transaction<'_>, migration: &Migration) -> Result<u64, ArchiveError> {
    let Some((name, step)) = migration.code else {
        tx.execute_batch(migration.sql)?;
        return Ok(0);
    };
    let marker = format!("{CODE_STEP}{name}");
    let Some((before, after)) = migration.sql.split_once(&marker) else {
        return Err(ArchiveError::Format(format!(
            "{} has no `{marker}` line",
            migration.file
        )));
    };
    tx.execute_batch(before)?;
    let moved = step(tx)?;
    tx.execute_batch(after)?;
    Ok(moved)
}

/// 0002's step: the records set aside as `records_unchained` are copied into the chained
/// `records`, in the order they were stored, each linked to the one before. Their chain attests
/// that order as of the migration. Returns how many records were chained.
fn chain_records(tx: &Transaction<'_>) -> Result<u64, ArchiveError> {
    let rows: Vec<(i64, String, String, i64)> = {
        let mut stmt = tx.prepare(
            "SELECT rowid, revisit_id, record_hash, received_at FROM records_unchained \
             ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut head: Option<(u64, String)> = None;
    for (rowid, revisit_id, record_hash, received_at) in rows {
        let at = Timestamp::from_millis(from_sql_int(received_at)?);
        let link = next_link(
            head.as_ref().map(|(seq, chain)| (*seq, chain.as_str())),
            &record_hash,
            &revisit_id,
            at,
        );
        tx.execute(
            "INSERT INTO records (revisit_id, policy_number, outcome, record_hash, key_id, \
             received_at, sealed_json, seq, prev_chain, chain) \
             SELECT revisit_id, policy_number, outcome, record_hash, key_id, received_at, \
             sealed_json, ?2, ?3, ?4 FROM records_unchained WHERE rowid = ?1",
            params![rowid, to_sql_int(link.seq)?, link.prev_chain, link.chain],
        )?;
        head = Some((link.seq, link.chain));
    }
    Ok(head.map_or(0, |(seq, _)| seq))
}
