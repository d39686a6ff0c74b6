//! The sample log and the statistics' facts, on either engine (issue 14 on issue 17's engines;
//! R13-R15): a run drawn over the archive is redrawn the same, its reviews are refused on a stale
//! run, a finding opens its problem case in the review's transaction, the log is append-only and
//! chained; the statistics count what the records and cases say.

use super::cases::{clock, switched, with_a_no};
use super::fixture::Fixture;
use crate::archive::NewRecord;
use crate::casework::open::openings;
use crate::casework::CaseId;
use crate::sampling::log::chain_breaks;
use crate::sampling::redraw::redraw;
use crate::sampling::run::{draw_run, DrawRequest};
use crate::sampling::RunAppended;
use crate::statistics::statistics;
use huifang_core::casework::{CaseEvent, Entry, Resolution};
use huifang_core::fixtures::finished_session;
use huifang_core::record::{Record, SealedRecord};
use huifang_core::sample_run::{RunEntry, RunEvent, Verdict};
use huifang_core::sampling::{Method, PickReason, SampleSpec, Strata};
use huifang_core::session::AnswerKind;
use huifang_core::statistics::period_of;
use huifang_core::working_days::WorkingCalendar;
use huifang_core::{RevisitId, Timestamp};

const ALL_YES: [AnswerKind; 3] = [AnswerKind::Yes; 3];

/// Record `i`: a "no" (a problem case) every seventh, each on a policy of its own.
pub(super) fn sealed(i: u8) -> SealedRecord {
    if i.is_multiple_of(7) {
        return with_a_no(i);
    }
    let session = finished_session(RevisitId::from_random([i; 12]), &ALL_YES);
    let mut record = Record::of(&session, "test").unwrap();
    record.policy_number =
        huifang_core::PolicyNumber::parse(&format!("P2026{:04}", (u32::from(i) * 37) % 1000))
            .unwrap();
    record.seal(&super::cases::edge_key())
}

/// Archives `sealed` with the cases it opens.
pub(super) fn archive(f: &Fixture, sealed: &SealedRecord) {
    let calendar = WorkingCalendar::shipped().unwrap();
    let cases = openings(&sealed.record, clock(), &calendar);
    let entry = NewRecord::of(sealed, clock()).unwrap().opening(cases);
    f.store.archive_record(&entry).unwrap();
}

pub(super) fn request() -> DrawRequest {
    DrawRequest {
        from: Timestamp(clock().millis() - 1_000),
        to: Timestamp(clock().millis() + 1_000),
        outcome: "completed".into(),
        spec: SampleSpec {
            ratio_bp: 50,
            minimum: 8,
            strata: Strata::ChannelAndProductType,
            method: Method::EqualInterval,
            seed: String::new(),
        },
    }
}

fn review(run: &str, revisit: &RevisitId, case_id: Option<&str>) -> RunEntry {
    RunEntry {
        run_id: run.into(),
        at: clock(),
        by: "rev-1".into(),
        event: RunEvent::Reviewed {
            revisit_id: revisit.to_string(),
            checks: Vec::new(),
            verdict: Verdict::Finding,
            note: "签名与身份证明不符".into(),
            case_id: case_id.map(str::to_string),
        },
    }
}

// R13: drawn, redrawn the same after more records came, reviewed (a finding opens its case with
// it, a stale review opens nothing), signed off; append-only and chained.
pub(super) fn a_sample_run_is_redrawn_reviewed_and_kept_append_only(f: Fixture) {
    for i in 1..=20 {
        archive(&f, &sealed(i));
    }
    let (run, sample) = draw_run(&*f.store, request(), "sup-1", clock()).unwrap();
    assert_eq!(run, "S0001");
    assert_eq!(sample.frame_size, 20);
    let drawn = sample
        .picks
        .iter()
        .filter(|p| p.reason == PickReason::Drawn)
        .count();
    assert_eq!(drawn, 8);
    for i in [7u8, 14] {
        let id = RevisitId::from_random([i; 12]).to_string();
        assert!(
            sample.picks.iter().any(|p| p.revisit_id == id),
            "problem {i}"
        );
    }
    // More records in the period afterwards: the redraw reads the archive as the run did.
    for i in 21..=23 {
        archive(&f, &sealed(i));
    }
    assert_eq!(f.store.heads().unwrap().0, 23);
    let again = redraw(&*f.store, &run).unwrap();
    assert!(again.matches, "{:?}", again.differences);
    assert!(again.chain_breaks.is_empty());

    // A review decided on a stale run changes nothing; a finding opens the revisit's next case
    // in the review's transaction, and a stale one opens none.
    let seven = RevisitId::from_random([7; 12]);
    let calendar = WorkingCalendar::shipped().unwrap();
    let opening = Entry {
        at: clock(),
        by: "rev-1".into(),
        event: CaseEvent::Opened(openings(&sealed(7).record, clock(), &calendar).remove(0)),
    };
    let stale = f
        .store
        .append_review(&run, 0, Some(&opening), &|c| review(&run, &seven, c))
        .unwrap();
    assert!(matches!(stale, RunAppended::Stale { last: 1 }));
    assert!(f.store.case_log(&CaseId::of(&seven, 2)).unwrap().is_empty());
    let done = f
        .store
        .append_review(&run, 1, Some(&opening), &|c| review(&run, &seven, c))
        .unwrap();
    assert!(matches!(done, RunAppended::Appended { run_seq: 2 }));
    assert_eq!(f.store.case_log(&CaseId::of(&seven, 2)).unwrap().len(), 1);
    let entries = f.store.run_entries(&run).unwrap();
    let RunEvent::Reviewed { case_id, .. } = &entries[1].event else {
        panic!("a review second: {entries:?}");
    };
    assert_eq!(case_id.as_deref(), Some(CaseId::of(&seven, 2).as_str()));
    let again = f
        .store
        .append_review(&run, 1, None, &|c| review(&run, &seven, c))
        .unwrap();
    assert!(matches!(again, RunAppended::Stale { last: 2 }));
    let signed = RunEntry {
        run_id: run.clone(),
        at: clock(),
        by: "sup-1".into(),
        event: RunEvent::SignedOff {
            note: "done".into(),
        },
    };
    assert!(matches!(
        f.store.append_run(&run, 2, &signed).unwrap(),
        RunAppended::Appended { run_seq: 3 }
    ));
    assert!(matches!(
        f.store.append_run("S0009", 0, &signed).unwrap(),
        RunAppended::Stale { last: 0 }
    ));
    let runs = f.store.runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].entries, runs[0].signed_off), (3, true));
    assert_eq!(runs[0].drawn_by, "sup-1");

    // The finding counts in the statistics of its revisit's group.
    let findings: u64 = f
        .store
        .finding_counts("0000-01", "9999-12")
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(findings, 1);

    // Chained; the engine itself refuses a change; with its triggers off, the chain finds it.
    let rows = f.store.sample_log_rows(0, 100).unwrap();
    assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(chain_breaks(&rows).is_empty());
    for sql in [
        "UPDATE sample_log SET actor = 'x'",
        "DELETE FROM sample_log",
    ] {
        let error = f.execute(sql).expect_err(sql);
        assert!(
            error.contains("the sample log is append-only"),
            "{sql}: {error}"
        );
    }
    assert_eq!(f.count("SELECT COUNT(*) FROM sample_log"), 3);
    f.drop_append_only("sample_log");
    f.execute("UPDATE sample_log SET actor = 'x' WHERE seq = 2")
        .unwrap();
    f.execute(
        "UPDATE sample_log SET entry_json = replace(entry_json, '签名', '印章') WHERE seq = 2",
    )
    .unwrap();
    let breaks = chain_breaks(&f.store.sample_log_rows(0, 100).unwrap());
    assert!(breaks.iter().any(|b| b.contains("seq 2")), "{breaks:?}");
}

// R14, R15: the figures agree with what the records and cases say; a fallback case closed by
// phone counts as completed by phone.
pub(super) fn the_statistics_agree_with_the_records(f: Fixture) {
    for i in 1..=30 {
        archive(&f, &sealed(i));
    }
    for i in 100..104 {
        archive(&f, &switched(i));
    }
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
    f.store.append(&task, 1, &[closed]).unwrap();
    let records: Vec<Record> = (1..=30u8)
        .chain(100..104)
        .map(|i| {
            let stored = f
                .store
                .record(&RevisitId::from_random([i; 12]))
                .unwrap()
                .unwrap();
            stored.sealed().unwrap().record
        })
        .collect();
    let period = period_of(records[0].created_at);
    let year: i32 = period[..4].parse().unwrap();
    let in_time = records
        .iter()
        .filter(|r| r.outcome.as_str() == "completed" && r.finished_at <= r.cooling_off_ends_at)
        .count() as u64;
    let total = statistics(&*f.store, year, clock()).unwrap().total();
    assert_eq!(total.issued, 34);
    assert_eq!(total.completed_electronic_in_cooling_off, in_time);
    assert_eq!(in_time, 30);
    assert_eq!(total.switched_to_phone, 4);
    assert_eq!(total.completed_by_phone, 1);
    assert_eq!(total.not_completed_in_progress, 3);
    assert_eq!(total.problem_cases_opened, 4);
    // What the first-use report lists: every record seen once, from its first revisit.
    let seen = f.store.seen().unwrap();
    assert_eq!(seen.regions.iter().map(|(_, n)| n).sum::<u64>(), 34);
    assert_eq!(seen.scripts.iter().map(|(_, n)| n).sum::<u64>(), 34);
    let first = records.iter().map(|r| r.created_at).min();
    assert_eq!(f.store.first_revisit().unwrap(), first);
    // A year with nothing in it counts nothing.
    assert_eq!(
        statistics(&*f.store, year + 5, clock())
            .unwrap()
            .total()
            .issued,
        0
    );
}

// Several supervisors (or origins on one PostgreSQL) at once: each draw gets a run id of its own,
// of the reviews decided on the same state exactly one lands, and the sample log's chain stays
// whole (its appends are serialised by the `sample_log` lock on PostgreSQL).
pub(super) fn concurrent_runs_get_their_own_ids_and_one_review_of_a_state_lands(f: Fixture) {
    const WORKERS: usize = 4;
    for i in 1..=10 {
        archive(&f, &sealed(i));
    }
    let runs: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let store = &f.store;
                scope.spawn(move || {
                    draw_run(&**store, request(), &format!("sup-{w}"), clock())
                        .unwrap()
                        .0
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut ids = runs.clone();
    ids.sort();
    assert_eq!(ids, ["S0001", "S0002", "S0003", "S0004"]);
    let seven = RevisitId::from_random([7; 12]);
    let landed: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let (store, seven) = (&f.store, &seven);
                scope.spawn(move || {
                    let appended = store
                        .append_review("S0001", 1, None, &|c| review("S0001", seven, c))
                        .unwrap();
                    usize::from(matches!(appended, RunAppended::Appended { run_seq: 2 }))
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(landed, 1);
    let rows = f.store.sample_log_rows(0, 100).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=5).collect::<Vec<u64>>()
    );
    assert!(chain_breaks(&rows).is_empty());
    for run in &runs {
        assert!(redraw(&*f.store, run).unwrap().matches, "{run}");
    }
}

// A PostgreSQL database written at layout 4 (records and cases, no facts) gets its facts when
// 0005 is applied, as SQLite's migration back-fills them: the figures are the same after.
#[test]
fn a_layout_4_postgresql_archive_gets_its_facts_on_migration() {
    let Some(f) = super::fixture::postgres("facts_backfill") else {
        return;
    };
    for i in 1..=14 {
        archive(&f, &sealed(i));
    }
    archive(&f, &switched(100));
    let year: i32 = period_of(sealed(1).record.created_at)[..4].parse().unwrap();
    let before = statistics(&*f.store, year, clock()).unwrap().total();
    assert_eq!((before.issued, before.problem_cases_opened), (15, 2));
    f.execute("ALTER TABLE chain_locks DISABLE TRIGGER USER")
        .unwrap();
    for sql in [
        "DROP TABLE revisit_facts, case_facts, sample_log",
        "DROP INDEX case_log_by_event_seq",
        "ALTER TABLE staff DROP COLUMN disabled_at",
        "DELETE FROM chain_locks WHERE chain = 'sample_log'",
        "ALTER TABLE chain_locks ENABLE TRIGGER USER",
        "DELETE FROM schema_migrations WHERE version >= 5",
    ] {
        f.execute(sql).unwrap();
    }
    let again = crate::archive::postgres::PgArchive::open(&f.db).unwrap();
    assert_eq!(statistics(&again, year, clock()).unwrap().total(), before);
    assert_eq!(f.count("SELECT COUNT(*) FROM revisit_facts"), 15);
}
