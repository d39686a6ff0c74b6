//! A fresh store on each engine for one test: an SQLite file in its own folder, or a PostgreSQL
//! schema of its own in the database `HUIFANG_TEST_PG` names (tools/pg.sh starts one). Each is
//! removed when the test ends.
//!
//! Without `HUIFANG_TEST_PG` the PostgreSQL half of the suite cannot run: under `make test`
//! (`HUIFANG_TEST_PG_REQUIRED=1`) that fails the test; a plain `cargo test` prints a notice and
//! skips it.

use crate::archive::postgres::PgArchive;
use crate::archive::sqlite::SqliteArchive;
use crate::archive::Store;
use std::sync::Arc;

/// Which engine a fixture runs on (for the few statements that differ, e.g. disabling triggers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

/// A fresh store, and a way to run SQL on it directly (what the store's API never does).
pub(crate) struct Fixture {
    pub store: Arc<dyn Store>,
    pub engine: Engine,
    /// The `--db` of this store.
    pub db: String,
    raw: Raw,
    cleanup: Option<Box<dyn FnOnce()>>,
}

enum Raw {
    Sqlite(Arc<SqliteArchive>),
    Postgres(Arc<PgArchive>),
}

impl Fixture {
    /// Runs one statement directly against the engine; the rows it changed, or the engine's error.
    pub fn execute(&self, sql: &str) -> Result<u64, String> {
        match &self.raw {
            Raw::Sqlite(a) => a
                .raw()
                .execute(sql, [])
                .map(|n| n as u64)
                .map_err(|e| e.to_string()),
            Raw::Postgres(a) => a
                .raw()
                .execute(sql, &[])
                .map_err(|e| crate::archive::ArchiveError::from(e).to_string()),
        }
    }

    /// One integer a query returns.
    pub fn count(&self, sql: &str) -> i64 {
        match &self.raw {
            Raw::Sqlite(a) => a.raw().query_row(sql, [], |r| r.get(0)).unwrap(),
            Raw::Postgres(a) => a.raw().query_one(sql, &[]).unwrap().get(0),
        }
    }

    /// Turns the append-only triggers of `table` off, as someone with the owner's rights could:
    /// what the tamper tests need to show that the chain still finds the change.
    pub fn drop_append_only(&self, table: &str) {
        match self.engine {
            Engine::Sqlite => {
                for kind in ["update", "delete"] {
                    self.execute(&format!("DROP TRIGGER {table}_no_{kind}"))
                        .unwrap();
                }
            }
            Engine::Postgres => {
                self.execute(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
                    .unwrap();
            }
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(cleanup) = self.cleanup.take() {
            cleanup();
        }
    }
}

/// A store in a fresh SQLite file.
pub(crate) fn sqlite(name: &str) -> Fixture {
    let dir = std::env::temp_dir().join(format!(
        "huifang-origin-store-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("nested").join("a.sqlite3");
    let archive = Arc::new(SqliteArchive::open(&path).unwrap());
    Fixture {
        store: Arc::clone(&archive) as Arc<dyn Store>,
        engine: Engine::Sqlite,
        db: path.display().to_string(),
        raw: Raw::Sqlite(archive),
        cleanup: Some(Box::new(move || {
            let _ = std::fs::remove_dir_all(dir);
        })),
    }
}

/// The database the PostgreSQL half of the suite uses, if one is configured.
pub(crate) fn test_database() -> Option<String> {
    match std::env::var("HUIFANG_TEST_PG") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            let required = std::env::var("HUIFANG_TEST_PG_REQUIRED").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "HUIFANG_TEST_PG is not set: the store suite must run on PostgreSQL too \
                 (tools/pg.sh start prints the URL)"
            );
            eprintln!(
                "NOTICE: HUIFANG_TEST_PG is not set: the PostgreSQL half of the store suite is \
                 skipped (run `tools/pg.sh start` and set it; `make test` always runs it)"
            );
            None
        }
    }
}

/// `url` with its search path set to `schema`: a store of its own in a shared database.
pub(crate) fn in_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// A fresh schema `name` in the test database (dropped first if a run left it); its URL.
pub(crate) fn fresh_schema(base: &str, name: &str) -> (String, String) {
    let mut schema: String = format!("t_{}_{name}", std::process::id())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    schema.truncate(63);
    let mut admin = postgres::Client::connect(base, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .unwrap();
    (in_schema(base, &schema), schema)
}

/// Drops a schema made by [`fresh_schema`].
pub(crate) fn drop_schema(base: &str, schema: &str) {
    if let Ok(mut admin) = postgres::Client::connect(base, postgres::NoTls) {
        let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
}

/// A store in a fresh schema of the test database; `None` (with a notice) when there is none.
pub(crate) fn postgres(name: &str) -> Option<Fixture> {
    let base = test_database()?;
    let (url, schema) = fresh_schema(&base, name);
    let archive = Arc::new(PgArchive::open(&url).unwrap());
    Some(Fixture {
        store: Arc::clone(&archive) as Arc<dyn Store>,
        engine: Engine::Postgres,
        db: url,
        raw: Raw::Postgres(archive),
        cleanup: Some(Box::new(move || drop_schema(&base, &schema))),
    })
}
