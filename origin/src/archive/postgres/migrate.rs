//! The PostgreSQL schema as numbered migrations (`origin/migrations/postgres/NNNN_*.sql`), numbered
//! as SQLite's are (the same layout number means the same tables and columns), applied in order and
//! tracked in `schema_migrations`. PostgreSQL's DDL is transactional: every pending migration is
//! applied in one transaction, under an advisory lock, so that origins starting together on one
//! database migrate it once. A database of a newer layout is refused.

use crate::archive::ArchiveError;
use postgres::Client;

/// One numbered migration.
struct Migration {
    /// Its number.
    version: i32,
    /// Its file under `origin/migrations/postgres/`.
    file: &'static str,
    /// The file's text.
    sql: &'static str,
}

const MIGRATIONS: [Migration; 6] = [
    Migration {
        version: 1,
        file: "0001_archive.sql",
        sql: include_str!("../../../migrations/postgres/0001_archive.sql"),
    },
    Migration {
        version: 2,
        file: "0002_chain.sql",
        sql: include_str!("../../../migrations/postgres/0002_chain.sql"),
    },
    Migration {
        version: 3,
        file: "0003_cases.sql",
        sql: include_str!("../../../migrations/postgres/0003_cases.sql"),
    },
    Migration {
        version: 4,
        file: "0004_staff.sql",
        sql: include_str!("../../../migrations/postgres/0004_staff.sql"),
    },
    Migration {
        version: 5,
        file: "0005_sampling.sql",
        sql: include_str!("../../../migrations/postgres/0005_sampling.sql"),
    },
    Migration {
        version: 6,
        file: "0006_staff_admin.sql",
        sql: include_str!("../../../migrations/postgres/0006_staff_admin.sql"),
    },
];

/// The layout this build writes: the last migration's number.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The advisory lock key the migrations run under ("huifang" in ASCII).
const MIGRATION_LOCK: i64 = 0x0068_7569_6661_6e67;

/// Brings the database (the first schema of its search path) to [`SCHEMA_VERSION`].
pub(super) fn migrate(client: &mut Client) -> Result<(), ArchiveError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             file       TEXT NOT NULL,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )?;
    let version: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )?
        .get(0);
    if version > SCHEMA_VERSION {
        return Err(ArchiveError::Format(format!(
            "the archive's layout is version {version}; this origin knows up to {SCHEMA_VERSION}: \
             use a newer huifang-origin"
        )));
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > version) {
        tx.batch_execute(migration.sql).map_err(|e| {
            ArchiveError::Format(format!(
                "migration {}: {}",
                migration.file,
                ArchiveError::from(e)
            ))
        })?;
        if migration.version == 5 {
            // As SQLite's 0005: the facts of what a layout-4 database already holds (nothing in
            // a new one), so that its statistics are never short.
            super::facts::backfill(&mut tx)?;
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, file) VALUES ($1, $2)",
            &[&migration.version, &migration.file],
        )?;
    }
    tx.commit()?;
    Ok(())
}
