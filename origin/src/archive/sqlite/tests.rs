//! The SQLite archive: append-only, idempotent, chained, migrated from every layout it ever had.

use super::convert::to_sql_int;
use super::*;
use crate::archive::ProblemCase;
use rusqlite::params;

/// A fresh folder and the archive file in it (not yet created).
fn temp_path(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "huifang-origin-archive-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.sqlite3");
    (dir, path)
}

fn record(hash: &str) -> NewRecord {
    NewRecord {
        revisit_id: RevisitId::from_random([9; 12]),
        policy_number: "P20260001".into(),
        outcome: "completed".into(),
        record_hash: hash.into(),
        key_id: "edge-1".into(),
        received_at: Timestamp(1_800_000_000_000),
        sealed_json: "{}".into(),
        problem_cases: vec![ProblemCase {
            item_index: 2,
            item_id: "q3".into(),
            comment: None,
            answered_at: None,
        }],
        phone_task: None,
        cases: Vec::new(),
    }
}

fn record_for(id: u8, policy: &str, at_secs: u64) -> NewRecord {
    NewRecord {
        revisit_id: RevisitId::from_random([id; 12]),
        policy_number: policy.into(),
        record_hash: format!("{id:064x}"),
        received_at: Timestamp(1_800_000_000_000 + at_secs * 1_000),
        problem_cases: vec![],
        ..record("unused")
    }
}

/// The first layout, before the chain.
const FIRST_LAYOUT: &str = "
    CREATE TABLE records (revisit_id TEXT PRIMARY KEY NOT NULL, policy_number TEXT NOT NULL,
        outcome TEXT NOT NULL, record_hash TEXT NOT NULL, key_id TEXT NOT NULL,
        received_at INTEGER NOT NULL, sealed_json TEXT NOT NULL) STRICT;
    CREATE INDEX records_by_policy ON records (policy_number);
    CREATE TRIGGER records_no_update BEFORE UPDATE ON records
    BEGIN SELECT RAISE(ABORT, 'archived records are append-only'); END;
    CREATE TRIGGER records_no_delete BEFORE DELETE ON records
    BEGIN SELECT RAISE(ABORT, 'archived records are append-only'); END;
    CREATE TABLE problem_cases (id INTEGER PRIMARY KEY,
        revisit_id TEXT NOT NULL REFERENCES records (revisit_id), policy_number TEXT NOT NULL,
        item_index INTEGER NOT NULL, item_id TEXT NOT NULL, comment TEXT, answered_at INTEGER,
        created_at INTEGER NOT NULL, UNIQUE (revisit_id, item_index)) STRICT;";

#[test]
fn a_first_layout_archive_is_chained_on_open_and_keeps_everything() {
    let (dir, path) = temp_path("migrate");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(FIRST_LAYOUT).unwrap();
        for (id, at) in [(7u8, 30u64), (5, 10), (6, 20)] {
            let r = record_for(id, "P1", at);
            conn.execute(
                "INSERT INTO records VALUES (?1, ?2, 'completed', ?3, 'edge-1', ?4, '{}')",
                params![
                    r.revisit_id.as_str(),
                    r.policy_number,
                    r.record_hash,
                    to_sql_int(r.received_at.millis()).unwrap()
                ],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO problem_cases VALUES (1, ?1, 'P1', 0, 'q1', NULL, NULL, 0)",
            [RevisitId::from_random([5; 12]).as_str()],
        )
        .unwrap();
    }
    let archive = SqliteArchive::open(&path).unwrap();
    let rows = archive
        .rows(&RowFilter::default(), RowCursor::default(), 10)
        .unwrap();
    // Chained in the order they were stored, not by time.
    let order: Vec<_> = rows.iter().map(|r| (r.seq, r.revisit_id.clone())).collect();
    assert_eq!(
        order,
        [7u8, 5, 6]
            .iter()
            .enumerate()
            .map(|(i, b)| (i as u64 + 1, RevisitId::from_random([*b; 12]).to_string()))
            .collect::<Vec<_>>()
    );
    let stored = archive
        .record(&RevisitId::from_random([5; 12]))
        .unwrap()
        .unwrap();
    assert_eq!(stored.problem_cases, 1);
    // Still append-only, and new records continue the chain.
    let conn = archive.conn();
    assert!(conn
        .execute("DELETE FROM records", [])
        .unwrap_err()
        .to_string()
        .contains("append-only"));
    drop(conn);
    archive.archive_record(&record_for(8, "P1", 40)).unwrap();
    assert_eq!(archive.head().unwrap().map(|h| h.0), Some(4));
    drop(archive);
    // Opening again changes nothing.
    let again = SqliteArchive::open(&path).unwrap();
    assert_eq!(again.head().unwrap().map(|h| h.0), Some(4));
    // Migrated, it has the schema of a fresh archive, object for object (but for problem_cases,
    // which this test wrote in its own words).
    let fresh = Connection::open_in_memory().unwrap();
    latest_layout(&fresh);
    let own_words = |schema: Vec<(String, String, String, Option<String>)>| {
        schema
            .into_iter()
            .filter(|(kind, name, ..)| (kind.as_str(), name.as_str()) != ("table", "problem_cases"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        own_words(schema_of(&again.conn())),
        own_words(schema_of(&fresh))
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_archive_of_a_newer_layout_is_refused_with_a_reason() {
    let (dir, path) = temp_path("newer");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let Err(e) = SqliteArchive::open(&path) else {
        panic!("a newer layout was opened")
    };
    assert!(e.to_string().contains("use a newer huifang-origin"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Every object of the file's schema as SQLite keeps it (type, name, table, SQL), in name order.
fn schema_of(conn: &Connection) -> Vec<(String, String, String, Option<String>)> {
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// The SQL the origin ran on a fresh archive before its migrations were numbered.
const LAYOUT_2: &str = include_str!("testdata/layout_2.sql");

/// Layout 2, the case log (layout 3), the console's staff tables (layout 4), the sample log
/// (layout 5) and the disabled accounts (layout 6): what every migration up to now makes of an
/// empty file.
fn latest_layout(conn: &Connection) {
    conn.execute_batch(LAYOUT_2).unwrap();
    conn.execute_batch(include_str!("../../../migrations/sqlite/0003_cases.sql"))
        .unwrap();
    conn.execute_batch(include_str!("../../../migrations/sqlite/0004_staff.sql"))
        .unwrap();
    conn.execute_batch(include_str!("../../../migrations/sqlite/0005_sampling.sql"))
        .unwrap();
    conn.execute_batch(include_str!(
        "../../../migrations/sqlite/0006_staff_admin.sql"
    ))
    .unwrap();
}

#[test]
fn a_fresh_archive_has_exactly_the_schema_the_unnumbered_code_made_and_the_case_log() {
    let (dir, path) = temp_path("fresh-schema");
    let before = Connection::open_in_memory().unwrap();
    latest_layout(&before);
    let archive = SqliteArchive::open(&path).unwrap();
    let conn = archive.conn();
    assert_eq!(schema_of(&conn), schema_of(&before));
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    drop(conn);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_archive_made_before_the_numbered_migrations_opens_untouched_and_goes_on() {
    let (dir, path) = temp_path("layout-2");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(LAYOUT_2).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
    }
    // Records stored by that code, through the same store (layout 2 is the current layout).
    let archive = SqliteArchive::open(&path).unwrap();
    let schema = schema_of(&archive.conn());
    archive.archive_record(&record_for(1, "P1", 10)).unwrap();
    archive.archive_record(&record_for(2, "P1", 20)).unwrap();
    let head = archive.head().unwrap();
    drop(archive);
    let again = SqliteArchive::open(&path).unwrap();
    assert_eq!(schema_of(&again.conn()), schema);
    assert_eq!(again.head().unwrap(), head);
    again.archive_record(&record_for(3, "P1", 30)).unwrap();
    assert_eq!(again.head().unwrap().map(|h| h.0), Some(3));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_disabled_account_keeps_its_row_loses_its_sessions_and_its_role_is_frozen() {
    use crate::console::accounts::{StaffAccount, StaffStore};
    use huifang_core::casework::Role;
    let (dir, path) = temp_path("staff-admin");
    let archive = SqliteArchive::open(&path).unwrap();
    let now = Timestamp::from_millis(1_800_000_000_000);
    let later = now.plus_millis(60_000);
    for id in ["b-agent", "a-admin"] {
        let account = StaffAccount {
            staff_id: id.into(),
            display_name: id.into(),
            role: Role::CallAgent,
            seller_code: None,
            password_hash: "x".into(),
            disabled: false,
        };
        assert!(archive.add_staff(&account, now).unwrap());
    }
    let ids: Vec<String> = archive
        .list_staff()
        .unwrap()
        .into_iter()
        .map(|a| a.staff_id)
        .collect();
    assert_eq!(ids, ["a-admin", "b-agent"]);
    archive
        .start_session(
            "s1",
            "b-agent",
            "csrf",
            now,
            later.plus_millis(huifang_core::time::DAY_MS),
        )
        .unwrap();
    assert!(archive.session("s1", now).unwrap().is_some());
    assert!(archive.set_role("b-agent", Role::Reviewer).unwrap());
    assert_eq!(
        archive.session("s1", now).unwrap().unwrap().account.role,
        Role::Reviewer,
        "a live session sees the new role at once"
    );
    assert!(!archive.set_role("nobody", Role::Reviewer).unwrap());
    assert!(archive.disable_staff("b-agent", later).unwrap());
    assert!(
        archive.session("s1", later).unwrap().is_none(),
        "its session ends"
    );
    let kept = archive.staff("b-agent").unwrap().unwrap();
    assert!(
        kept.disabled && kept.role == Role::Reviewer,
        "the row is kept"
    );
    assert!(!archive.disable_staff("b-agent", later).unwrap(), "once");
    assert!(
        !archive.set_role("b-agent", Role::Admin).unwrap(),
        "a disabled role is frozen"
    );
    assert!(!archive.staff("a-admin").unwrap().unwrap().disabled);
    drop(archive);
    let _ = std::fs::remove_dir_all(dir);
}
