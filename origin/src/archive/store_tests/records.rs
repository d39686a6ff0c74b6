//! The archive's store, on either engine: append-only (R4, enforced by the engine itself),
//! idempotent, chained, and its reads.

use super::fixture::{Engine, Fixture};
use crate::archive::chain::{self, ChainWalk, GENESIS};
use crate::archive::{
    Archived, NewRecord, NewSms, PolicyTermination, ProblemCase, RecordQuery, RowCursor, RowFilter,
    Termination,
};
use huifang_core::{Phone, RevisitId, Timestamp};

pub(super) fn record(hash: &str) -> NewRecord {
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

pub(super) fn record_for(id: u8, policy: &str, at_secs: u64) -> NewRecord {
    NewRecord {
        revisit_id: RevisitId::from_random([id; 12]),
        policy_number: policy.into(),
        record_hash: format!("{id:064x}"),
        received_at: Timestamp(1_800_000_000_000 + at_secs * 1_000),
        problem_cases: vec![],
        ..record("unused")
    }
}

/// Asserts that the engine refuses `sql` with `message`, and changes nothing.
fn refused(f: &Fixture, sql: &str, message: &str) {
    let error = f.execute(sql).expect_err(sql);
    assert!(error.contains(message), "{sql}: {error}");
}

// R4: even a direct UPDATE, DELETE (or on PostgreSQL TRUNCATE) is refused by the engine itself,
// on the records and on the case log.
pub(super) fn archived_records_cannot_be_updated_or_deleted(f: Fixture) {
    let mut first = record("aa");
    first.cases = super::cases::a_case();
    assert_eq!(f.store.archive_record(&first).unwrap(), Archived::Inserted);
    assert_eq!(f.count("SELECT COUNT(*) FROM case_log"), 1);
    refused(
        &f,
        "UPDATE records SET outcome = 'expired'",
        "archived records are append-only",
    );
    refused(
        &f,
        "DELETE FROM records",
        "archived records are append-only",
    );
    refused(
        &f,
        "UPDATE case_log SET actor = 'someone'",
        "the case log is append-only",
    );
    refused(&f, "DELETE FROM case_log", "the case log is append-only");
    if f.engine == Engine::Postgres {
        refused(
            &f,
            "TRUNCATE records CASCADE",
            "archived records are append-only",
        );
        refused(&f, "TRUNCATE case_log", "the case log is append-only");
    }
    assert_eq!(
        f.count("SELECT COUNT(*) FROM records WHERE outcome = 'completed'"),
        1
    );
    assert_eq!(f.count("SELECT COUNT(*) FROM case_log"), 1);
}

pub(super) fn a_second_record_for_a_revisit_changes_nothing(f: Fixture) {
    let id = RevisitId::from_random([9; 12]);
    let store = &f.store;
    assert_eq!(
        store.archive_record(&record("aa")).unwrap(),
        Archived::Inserted
    );
    assert_eq!(
        store.archive_record(&record("aa")).unwrap(),
        Archived::Duplicate
    );
    assert_eq!(
        store.archive_record(&record("bb")).unwrap(),
        Archived::Conflict
    );
    let stored = store.record(&id).unwrap().unwrap();
    // R12: the problem case was inserted once, not once per delivery.
    assert_eq!(stored.problem_cases, 1);
    assert_eq!(stored.deliveries, 3);
    assert_eq!(stored.row.received_at, Timestamp(1_800_000_000_000));
    assert_eq!(stored.row.seq, 1);
    assert_eq!(stored.row.record_hash, "aa");
}

pub(super) fn the_outbox_returns_a_phones_messages_newest_first(f: Fixture) {
    let phone = Phone::parse("13812345678").unwrap();
    let other = Phone::parse("13900000000").unwrap();
    let mut ids = Vec::new();
    for (to, text) in [(&phone, "one"), (&other, "other"), (&phone, "two")] {
        ids.push(
            f.store
                .append_sms(&NewSms {
                    revisit_id: RevisitId::from_random([1; 12]),
                    phone: to.clone(),
                    text: text.into(),
                    received_at: Timestamp(1),
                })
                .unwrap(),
        );
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let texts: Vec<_> = f
        .store
        .recent_sms(&phone, 10)
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, ["two", "one"]);
    assert_eq!(f.store.recent_sms(&phone, 1).unwrap().len(), 1);
}

// R4: each record gets the next seq and a chain linked to the one before.
pub(super) fn records_are_chained_in_the_order_they_are_stored(f: Fixture) {
    for i in 1..=3 {
        f.store.archive_record(&record_for(i, "P1", 0)).unwrap();
    }
    // A duplicate or a conflict takes no seq.
    f.store.archive_record(&record_for(2, "P1", 0)).unwrap();
    let rows = f
        .store
        .rows(&RowFilter::default(), RowCursor::default(), 10)
        .unwrap();
    assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(rows[0].prev_chain, GENESIS);
    let mut prev = GENESIS.to_string();
    for row in &rows {
        assert_eq!(row.prev_chain, prev);
        let expected = chain::link(&prev, &row.record_hash, &row.revisit_id, &row.chain_time());
        assert_eq!(row.chain, expected);
        prev = row.chain.clone();
    }
    assert_eq!(f.store.head().unwrap(), Some((3, prev)));
    // The same records give the same head on every engine.
    assert_eq!(f.store.head().unwrap().unwrap().1, expected_head_of_three());
    let middle = f
        .store
        .record(&RevisitId::from_random([2; 12]))
        .unwrap()
        .unwrap();
    assert_eq!(middle.before.map(|r| r.seq), Some(1));
    assert_eq!(middle.after.map(|r| r.seq), Some(3));
    // A page at a time, from a cursor.
    let page = f
        .store
        .rows(&RowFilter::default(), RowCursor::after(&rows[0]), 1)
        .unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), [2]);
}

/// The head of records 1, 2, 3 of [`record_for`] (policy P1, received at the same instant),
/// computed here by the domain alone: what both engines must store.
fn expected_head_of_three() -> String {
    let mut head: Option<(u64, String)> = None;
    for i in 1..=3u8 {
        let r = record_for(i, "P1", 0);
        let link = chain::next_link(
            head.as_ref().map(|(s, c)| (*s, c.as_str())),
            &r.record_hash,
            r.revisit_id.as_str(),
            r.received_at,
        );
        head = Some((link.seq, link.chain));
    }
    head.unwrap().1
}

// R5: terminations are appended, never updated; the latest date counts.
pub(super) fn terminations_are_append_only_and_the_latest_date_counts(f: Fixture) {
    f.store.archive_record(&record_for(1, "P1", 0)).unwrap();
    let report = |secs: u64| Termination {
        policy_number: "P1".into(),
        terminated_at: Timestamp(secs * 1_000),
        reported_at: Timestamp(9),
    };
    let first = f.store.report_termination(&report(2_000_000_000)).unwrap();
    assert_eq!(
        first,
        PolicyTermination {
            recorded: true,
            terminated_at: Timestamp(2_000_000_000_000),
            records: 1
        }
    );
    assert!(
        !f.store
            .report_termination(&report(2_000_000_000))
            .unwrap()
            .recorded
    );
    // An earlier date is kept as reported but cannot shorten retention.
    let earlier = f.store.report_termination(&report(1_900_000_000)).unwrap();
    assert_eq!(
        (earlier.recorded, earlier.terminated_at),
        (true, Timestamp(2_000_000_000_000))
    );
    let stored = f
        .store
        .record(&RevisitId::from_random([1; 12]))
        .unwrap()
        .unwrap();
    assert_eq!(stored.terminated_at, Some(Timestamp(2_000_000_000_000)));
    refused(
        &f,
        "UPDATE terminations SET terminated_at = 0",
        "append-only",
    );
    refused(&f, "DELETE FROM terminations", "append-only");
    assert_eq!(f.count("SELECT COUNT(*) FROM terminations"), 2);
}

pub(super) fn records_are_found_by_policy_or_time_a_page_at_a_time(f: Fixture) {
    for (id, policy, at) in [(1, "P1", 10), (2, "P2", 20), (3, "P1", 30), (4, "P1", 40)] {
        f.store.archive_record(&record_for(id, policy, at)).unwrap();
    }
    let seqs = |q: RecordQuery| -> Vec<u64> {
        f.store
            .find_records(&q)
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect()
    };
    let p1 = RecordQuery {
        policy_number: Some("P1".into()),
        limit: 2,
        ..RecordQuery::default()
    };
    assert_eq!(seqs(p1.clone()), [1, 3]);
    assert_eq!(seqs(RecordQuery { after_seq: 3, ..p1 }), [4]);
    let at = |secs: u64| Some(Timestamp(1_800_000_000_000 + secs * 1_000));
    let window = RecordQuery {
        from: at(20),
        to: at(40),
        limit: 100,
        ..RecordQuery::default()
    };
    assert_eq!(seqs(window), [2, 3]);
    let first = &f
        .store
        .find_records(&RecordQuery {
            limit: 1,
            ..RecordQuery::default()
        })
        .unwrap()[0];
    assert_eq!(
        (first.flags, first.problem_cases, first.terminated_at),
        (0, 0, None)
    );
    assert_eq!(
        f.store.seq_range_received(at(15), at(35)).unwrap(),
        Some((2, 3))
    );
    assert_eq!(f.store.seq_range_received(at(41), None).unwrap(), None);
    // The rows as stored, filtered as the auditors' tools filter them.
    let policy_rows = f
        .store
        .rows(
            &RowFilter {
                policy_number: Some("P1".into()),
                ..RowFilter::default()
            },
            RowCursor::default(),
            10,
        )
        .unwrap();
    assert_eq!(
        policy_rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [1, 3, 4]
    );
}

// Several deliveries of the same records at once (R4): each stored once, one delivery logged per
// call, seq numbers consecutive and the chain whole, whatever the interleaving.
pub(super) fn concurrent_deliveries_store_each_record_once_and_keep_the_chain_whole(f: Fixture) {
    const RECORDS: u8 = 30;
    const WORKERS: u8 = 6;
    std::thread::scope(|scope| {
        for w in 0..WORKERS {
            let store = &f.store;
            scope.spawn(move || {
                // Each worker in its own order.
                for i in 0..RECORDS {
                    let id = (i + w * 7) % RECORDS + 1;
                    let archived = store
                        .archive_record(&record_for(id, "P1", id.into()))
                        .unwrap();
                    assert_ne!(archived, Archived::Conflict);
                }
            });
        }
    });
    let rows = f
        .store
        .rows(&RowFilter::default(), RowCursor::default(), 1_000)
        .unwrap();
    assert_eq!(rows.len(), usize::from(RECORDS));
    let mut walk = ChainWalk::from_genesis();
    for row in &rows {
        let breaks = row.chain_step(&mut walk);
        assert_eq!(breaks, [], "seq {}", row.seq);
    }
    assert_eq!(
        f.store.head().unwrap().map(|h| h.0),
        Some(u64::from(RECORDS))
    );
    assert_eq!(
        f.count("SELECT COUNT(*) FROM deliveries"),
        i64::from(RECORDS) * i64::from(WORKERS)
    );
    assert_eq!(
        f.count("SELECT COUNT(*) FROM deliveries WHERE outcome = 'inserted'"),
        i64::from(RECORDS)
    );
}
