//! Sample runs at the origin (issue 14, item 2; R13): a run drawn over an archive, sealed into the
//! sample log, is redrawn by `huifang-origin redraw-sample` and matches, even after more records
//! were archived in its period; a copy of the file whose stored picks were altered (with the log's
//! trigger dropped, as someone with the file could) is reported as not matching, naming the picks,
//! whether or not the chain was recomputed to hide it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use huifang_core::sample_run::{RunEntry, RunEvent};
use huifang_core::sampling::{Method, PickReason, SampleSpec, Strata};
use huifang_core::working_days::WorkingCalendar;
use origin::archive::chain::chain_over;
use origin::archive::sqlite::SqliteArchive;
use origin::archive::{Archive, NewRecord};
use origin::casework::open::openings;
use origin::sampling::run::{draw_run, DrawRequest};
use origin::sampling::SampleStore;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::Command;

const NO_FIRST: [AnswerKind; 3] = [AnswerKind::No, AnswerKind::Yes, AnswerKind::Yes];

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("huifang-sampling-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Archives records `first..first + n`, every seventh with a "no" (a problem case opened with it).
fn archive_records(archive: &SqliteArchive, first: u8, n: u8) {
    let calendar = WorkingCalendar::shipped().unwrap();
    for i in first..first + n {
        let answers: &[AnswerKind] = if i % 7 == 0 { &NO_FIRST } else { &ALL_YES };
        let sealed = sealed_for_policy(
            i,
            &format!("P2026{:04}", (u32::from(i) * 37) % 1000),
            answers,
        );
        let cases = openings(&sealed.record, clock(), &calendar);
        let entry = NewRecord::of(&sealed, clock()).unwrap().opening(cases);
        archive.archive_record(&entry).unwrap();
    }
}

fn request() -> DrawRequest {
    DrawRequest {
        from: Timestamp(clock().millis() - 1_000),
        to: Timestamp(clock().millis() + 1_000),
        outcome: "completed".into(),
        spec: SampleSpec {
            ratio_bp: 50,
            minimum: 12,
            strata: Strata::ChannelAndProductType,
            method: Method::EqualInterval,
            seed: String::new(),
        },
    }
}

fn redraw(db: &Path, run: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
        .args(["redraw-sample", run, "--db"])
        .arg(db)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn verify_archive(db: &Path) -> (i32, String) {
    let keys = format!("edge-1={}", edge_key().public_key_hex());
    let out = Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
        .args(["verify-archive", "--quiet", "--edge-keys", &keys, "--db"])
        .arg(db)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Rewrites the run's `drawn` entry in a copy: its first drawn pick replaced by a revisit of the
/// frame that was not picked; with `rechain`, the chain recomputed over the altered entry.
fn alter_picks(db: &Path, outside: &str, rechain: bool) -> String {
    let conn = Connection::open(db).unwrap();
    conn.execute_batch("DROP TRIGGER sample_log_no_update")
        .unwrap();
    let (json, prev): (String, String) = conn
        .query_row(
            "SELECT entry_json, prev_chain FROM sample_log WHERE seq = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut entry: RunEntry = serde_json::from_str(&json).unwrap();
    let RunEvent::Drawn { sample, .. } = &mut entry.event else {
        panic!("drawn first");
    };
    let pick = sample
        .picks
        .iter_mut()
        .find(|p| p.reason == PickReason::Drawn)
        .unwrap();
    let replaced = std::mem::replace(&mut pick.revisit_id, outside.to_string());
    sample.picks.sort_by(|a, b| a.revisit_id.cmp(&b.revisit_id));
    let json = serde_jcs::to_string(&entry).unwrap();
    let chain = if rechain {
        chain_over(&prev, &[&json])
    } else {
        conn.query_row("SELECT chain FROM sample_log WHERE seq = 1", [], |r| {
            r.get(0)
        })
        .unwrap()
    };
    conn.execute(
        "UPDATE sample_log SET entry_json = ?1, chain = ?2 WHERE seq = 1",
        [&json, &chain],
    )
    .unwrap();
    replaced
}

#[test]
fn an_auditors_redraw_matches_and_altered_picks_do_not() {
    let dir = dir("redraw");
    let db = dir.join("origin.sqlite3");
    let archive = SqliteArchive::open(&db).unwrap();
    archive_records(&archive, 1, 40);
    let (run, sample) = draw_run(&archive, request(), "sup-1", clock()).unwrap();
    assert_eq!(run, "S0001");
    assert_eq!(sample.frame_size, 40);
    // 12 drawn (the minimum), and every problem case (7, 14, …, 35) in.
    let drawn = sample
        .picks
        .iter()
        .filter(|p| p.reason == PickReason::Drawn)
        .count();
    assert_eq!(drawn, 12);
    for i in [7u8, 14, 21, 28, 35] {
        let id = RevisitId::from_random([i; 12]).to_string();
        assert!(
            sample.picks.iter().any(|p| p.revisit_id == id),
            "problem {i}"
        );
    }
    assert!(sample.strata.iter().all(|s| s.stratum == "unknown × other"));
    let picked: Vec<String> = sample.picks.iter().map(|p| p.revisit_id.clone()).collect();
    let outside = (1..=40u8)
        .map(|i| RevisitId::from_random([i; 12]).to_string())
        .find(|id| !picked.contains(id))
        .unwrap();

    // More records archived in the period after the run: the redraw reads the archive as it was.
    archive_records(&archive, 41, 5);
    let (records_head, _) = archive.heads().unwrap();
    assert_eq!(records_head, 45);
    drop(archive);
    let (code, out) = redraw(&db, &run);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("S0001: matches"), "{out}");

    // Altered picks in a copy: not matching, the picks named, and the chain break.
    let copy = dir.join("copy.sqlite3");
    std::fs::copy(&db, &copy).unwrap();
    let replaced = alter_picks(&copy, &outside, false);
    let (code, out) = redraw(&copy, &run);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DOES NOT MATCH"), "{out}");
    assert!(
        out.contains(&format!("pick {outside}: stored, not redrawn")),
        "{out}"
    );
    assert!(
        out.contains(&format!("pick {replaced}: redrawn, not stored")),
        "{out}"
    );
    assert!(
        out.contains("sample log seq 1: chain does not cover its entry"),
        "{out}"
    );
    // verify-archive walks the sample log too: the original is intact, the copy is not.
    let (code, out) = verify_archive(&db);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("sample log: intact from seq 1 to seq 1 (1 runs)"),
        "{out}"
    );
    let (code, out) = verify_archive(&copy);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL sample log seq 1: chain does not cover its entry"),
        "{out}"
    );

    // Rechained to hide it: the chain is whole, the redraw still does not match.
    let copy2 = dir.join("copy2.sqlite3");
    std::fs::copy(&db, &copy2).unwrap();
    alter_picks(&copy2, &outside, true);
    let (code, out) = redraw(&copy2, &run);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("pick {outside}: stored, not redrawn")),
        "{out}"
    );
    assert!(!out.contains("chain does not cover"), "{out}");

    // The original still matches; an unknown run is exit 3.
    assert_eq!(redraw(&db, &run).0, 0);
    let (code, out) = redraw(&db, "S0009");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no sample run S0009"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_sample_log_is_append_only() {
    let dir = dir("append-only");
    let db = dir.join("origin.sqlite3");
    let archive = SqliteArchive::open(&db).unwrap();
    archive_records(&archive, 1, 3);
    draw_run(&archive, request(), "sup-1", clock()).unwrap();
    drop(archive);
    let conn = Connection::open(&db).unwrap();
    for sql in [
        "UPDATE sample_log SET actor = 'x'",
        "DELETE FROM sample_log",
    ] {
        let e = conn.execute(sql, []).unwrap_err().to_string();
        assert!(e.contains("append-only"), "{e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn switched(id_byte: u8) -> SealedRecord {
    use huifang_core::fixtures::{at, open, sample_revisit};
    use huifang_core::session::{Event, Session};
    let s = Session::new(sample_revisit(RevisitId::from_random([id_byte; 12])));
    let (s, _) = s.apply(open(), at(1));
    let (s, result) = s.apply(Event::SwitchToPhone { reason: None }, at(5));
    result.unwrap();
    Record::of(&s, "test").unwrap().seal(&edge_key())
}

/// R14, R15: the statistics' figures agree with what the records and cases say, counted here
/// from the records themselves; a fallback case closed by phone counts as completed by phone; the
/// facts of an archive written before layout 5 are filled in by the migration.
#[test]
fn the_statistics_agree_with_the_records() {
    use huifang_core::casework::{CaseEvent, Entry, Resolution};
    use huifang_core::statistics::period_of;
    use origin::casework::{CaseId, CaseStore};
    use origin::statistics::statistics;
    let dir = dir("statistics");
    let db = dir.join("origin.sqlite3");
    let archive = SqliteArchive::open(&db).unwrap();
    archive_records(&archive, 1, 30);
    let calendar = WorkingCalendar::shipped().unwrap();
    for i in 100..104u8 {
        let sealed = switched(i);
        let cases = openings(&sealed.record, clock(), &calendar);
        archive
            .archive_record(&NewRecord::of(&sealed, clock()).unwrap().opening(cases))
            .unwrap();
    }
    // One fallback closed by phone, by someone at the call centre.
    let task = CaseId::of(&RevisitId::from_random([100; 12]), 1);
    let closed = Entry {
        at: clock(),
        by: "agent-1".into(),
        event: CaseEvent::Closed {
            resolution: Resolution::CompletedByPhone {
                recording_ref: "REC-1".into(),
            },
            note: String::new(),
        },
    };
    archive.append(&task, 1, &[closed]).unwrap();
    // Counted from the records as an auditor would.
    let records: Vec<Record> = (1..=30u8)
        .chain(100..104)
        .map(|i| {
            let stored = archive
                .record(&RevisitId::from_random([i; 12]))
                .unwrap()
                .unwrap();
            stored.sealed().unwrap().record
        })
        .collect();
    let period = period_of(records[0].created_at);
    let year: i32 = period[..4].parse().unwrap();
    let completed_in_time = records
        .iter()
        .filter(|r| r.outcome.as_str() == "completed" && r.finished_at <= r.cooling_off_ends_at)
        .count() as u64;
    let problems = records
        .iter()
        .filter(|r| r.problem_items().next().is_some())
        .count() as u64;
    let stats = statistics(&archive, year, clock()).unwrap();
    let total = stats.total();
    assert_eq!(total.issued, 34);
    assert_eq!(total.completed_electronic_in_cooling_off, completed_in_time);
    assert_eq!(completed_in_time, 30);
    assert_eq!(total.switched_to_phone, 4);
    assert_eq!(total.completed_by_phone, 1);
    assert_eq!(total.not_completed_in_progress, 3);
    assert_eq!(total.problem_cases_opened, problems);
    assert_eq!(problems, 4);
    let month = stats
        .by_month()
        .into_iter()
        .find(|(p, _)| *p == period)
        .unwrap()
        .1;
    assert_eq!(month, total);
    drop(archive);

    // The same archive as layout 4 (facts dropped, the staff admin column too, version set back):
    // migrated, the same figures.
    let conn = Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TABLE revisit_facts; DROP TABLE case_facts; DROP TABLE sample_log; \
         DROP INDEX case_log_by_event_seq; ALTER TABLE staff DROP COLUMN disabled_at; \
         PRAGMA user_version = 4;",
    )
    .unwrap();
    drop(conn);
    let again = SqliteArchive::open(&db).unwrap();
    assert_eq!(statistics(&again, year, clock()).unwrap().total(), total);
    let _ = std::fs::remove_dir_all(&dir);
}
