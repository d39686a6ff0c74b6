//! What only the PostgreSQL archive has: its migrations, applied once however many origins start
//! together, and a database of a newer layout refused. What both engines guarantee is the store
//! suite's (`archive::store_tests`).

use super::*;
use crate::archive::store_tests::fixture::{drop_schema, fresh_schema, test_database};

#[test]
fn origins_starting_together_migrate_once_and_a_newer_layout_is_refused() {
    let Some(base) = test_database() else { return };
    let (url, schema) = fresh_schema(&base, "pg_migrate");
    let opened: Vec<_> = std::thread::scope(|scope| {
        let starts: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| PgArchive::open(&url)))
            .collect();
        starts.into_iter().map(|s| s.join().unwrap()).collect()
    });
    assert!(opened.iter().all(Result::is_ok));
    let archive = opened.into_iter().next().unwrap().unwrap();
    let rows = archive
        .raw()
        .query(
            "SELECT version, file FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap();
    let applied: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        applied,
        [
            (1, "0001_archive.sql".to_string()),
            (2, "0002_chain.sql".to_string()),
            (3, "0003_cases.sql".to_string()),
            (4, "0004_staff.sql".to_string()),
            (5, "0005_sampling.sql".to_string()),
            (6, "0006_staff_admin.sql".to_string()),
        ]
    );
    // The same layout number as SQLite's: the same tables and columns (copy-archive relies on it).
    assert_eq!(
        i64::from(SCHEMA_VERSION),
        crate::archive::sqlite::SCHEMA_VERSION
    );
    assert_eq!(SCHEMA_VERSION, 6);
    // Opening again changes nothing.
    drop(PgArchive::open(&url).unwrap());
    let count: i64 = archive
        .raw()
        .query_one("SELECT COUNT(*) FROM schema_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(count, 6);
    // A layout this build does not know: refused, with what to do.
    archive
        .raw()
        .execute(
            "INSERT INTO schema_migrations (version, file) VALUES ($1, 'from the future')",
            &[&(SCHEMA_VERSION + 1)],
        )
        .unwrap();
    drop(archive);
    let Err(e) = PgArchive::open(&url) else {
        panic!("a newer layout was opened")
    };
    assert!(e.to_string().contains("use a newer huifang-origin"), "{e}");
    drop_schema(&base, &schema);
}

#[test]
fn a_checker_does_not_create_an_archive_where_there_is_none() {
    let Some(base) = test_database() else { return };
    let (url, schema) = fresh_schema(&base, "pg_existing");
    let Err(e) = PgArchive::open_existing(&url) else {
        panic!("an empty schema was opened as an archive")
    };
    assert!(e.to_string().contains("no archive"), "{e}");
    let mut admin = postgres::Client::connect(&url, NoTls).unwrap();
    let tables: i64 = admin
        .query_one(
            "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0);
    drop(admin);
    drop_schema(&base, &schema);
}
