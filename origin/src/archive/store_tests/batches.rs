//! Group commit on either engine (issue 19): a batch is stored whole or not at all, a commit
//! that fails acknowledges nothing, and deliveries that share commits are each acknowledged only
//! when stored, stored once, and chained in the order they were handed in (R3, R4).

use super::fixture::{Engine, Fixture};
use super::records::record_for;
use crate::archive::chain::ChainWalk;
use crate::archive::{Archived, NewRecord, RowCursor, RowFilter};
use huifang_core::{RevisitId, Timestamp};

/// Record `n` (distinct revisit ids and hashes for up to 65,536 records).
fn numbered(n: u16) -> NewRecord {
    let mut id = [7u8; 12];
    id[10..].copy_from_slice(&n.to_be_bytes());
    NewRecord {
        revisit_id: RevisitId::from_random(id),
        record_hash: format!("{:064x}", u64::from(n) + 1_000),
        received_at: Timestamp(1_800_000_000_000 + u64::from(n)),
        ..record_for(1, "P2", 0)
    }
}

/// Every archived row, in seq order, after checking that the chain is whole (R4).
fn whole_chain(f: &Fixture) -> Vec<String> {
    let rows = f
        .store
        .rows(&RowFilter::default(), RowCursor::default(), 10_000)
        .unwrap();
    let mut walk = ChainWalk::from_genesis();
    for row in &rows {
        let breaks = row.chain_step(&mut walk);
        assert_eq!(breaks, [], "seq {}", row.seq);
    }
    rows.into_iter().map(|r| r.revisit_id).collect()
}

/// Makes the commit of any transaction that stored `victim` fail, the way a failing disk or a
/// lost server would: the engine refuses the COMMIT itself, after every statement succeeded (a
/// deferred constraint on SQLite, a deferred constraint trigger on PostgreSQL).
fn fail_commits_holding(f: &Fixture, victim: &RevisitId) {
    let statements = match f.engine {
        Engine::Sqlite => vec![
            "CREATE TABLE poison_parent (id TEXT PRIMARY KEY)".to_string(),
            "CREATE TABLE poison_child (id TEXT REFERENCES poison_parent (id) \
             DEFERRABLE INITIALLY DEFERRED)"
                .to_string(),
            format!(
                "CREATE TRIGGER poison AFTER INSERT ON records WHEN NEW.revisit_id = '{victim}' \
                 BEGIN INSERT INTO poison_child VALUES ('none'); END"
            ),
        ],
        Engine::Postgres => vec![
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'the commit fails'; END $$"
                .to_string(),
            format!(
                "CREATE CONSTRAINT TRIGGER poison AFTER INSERT ON records \
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW \
                 WHEN (NEW.revisit_id = '{victim}') EXECUTE FUNCTION poison()"
            ),
        ],
    };
    for sql in statements {
        f.execute(&sql).unwrap();
    }
}

// A batch is one transaction: its records chained in the order given, a record twice in it
// stored once (the second is a duplicate, as a redelivery is), every delivery logged.
pub(super) fn a_batch_is_stored_whole_and_chained_in_the_order_given(f: Fixture) {
    let (a, b, c) = (numbered(1), numbered(2), numbered(3));
    let answers = f.store.archive_records(&[&b, &a, &b, &c]).unwrap();
    use Archived::{Duplicate, Inserted};
    assert_eq!(answers, [Inserted, Inserted, Duplicate, Inserted]);
    let order: Vec<String> = [&b, &a, &c]
        .iter()
        .map(|r| r.revisit_id.to_string())
        .collect();
    assert_eq!(whole_chain(&f), order);
    assert_eq!(f.count("SELECT COUNT(*) FROM deliveries"), 4);
    // A redelivery after the batch gets the answer it always got.
    assert_eq!(f.store.archive_record(&a).unwrap(), Duplicate);
}

// R3: a batch whose commit fails stores nothing and acknowledges nothing; the group commit then
// stores every other record on its own, so that only the delivery that cannot be stored fails.
pub(super) fn a_commit_that_fails_acknowledges_nothing_of_its_batch(f: Fixture) {
    let records: Vec<NewRecord> = (1..=12).map(numbered).collect();
    let victim = &records[5];
    fail_commits_holding(&f, &victim.revisit_id);
    let all: Vec<&NewRecord> = records.iter().collect();
    assert!(f.store.archive_records(&all).is_err());
    assert_eq!(f.count("SELECT COUNT(*) FROM records"), 0);
    assert_eq!(f.count("SELECT COUNT(*) FROM deliveries"), 0);

    let answers: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = records
            .iter()
            .map(|r| scope.spawn(|| f.store.archive_record(r)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let stored = whole_chain(&f);
    for (r, answer) in records.iter().zip(&answers) {
        let is_stored = stored.contains(&r.revisit_id.to_string());
        if r.revisit_id == victim.revisit_id {
            assert!(answer.is_err() && !is_stored, "{answer:?}");
        } else {
            assert_eq!(answer.as_ref().ok(), Some(&Archived::Inserted));
            assert!(is_stored);
        }
    }
    assert_eq!(stored.len(), records.len() - 1);
}

// Many deliveries at once, each client sending its records one after another (as the edge's
// forwarders do) and then sending them all again: every one acknowledged, stored exactly once,
// and each client's records chained in the order it sent them.
pub(super) fn concurrent_deliveries_are_acknowledged_stored_once_and_in_order(f: Fixture) {
    const CLIENTS: u16 = 8;
    const EACH: u16 = 25;
    let client_records =
        |c: u16| -> Vec<NewRecord> { (0..EACH).map(|i| numbered(c * EACH + i)).collect() };
    for expected in [Archived::Inserted, Archived::Duplicate] {
        std::thread::scope(|scope| {
            for c in 0..CLIENTS {
                let store = &f.store;
                scope.spawn(move || {
                    for r in client_records(c) {
                        assert_eq!(store.archive_record(&r).unwrap(), expected);
                    }
                });
            }
        });
    }
    let stored = whole_chain(&f);
    assert_eq!(stored.len(), usize::from(CLIENTS * EACH));
    for c in 0..CLIENTS {
        let seqs: Vec<usize> = client_records(c)
            .iter()
            .map(|r| {
                let id = r.revisit_id.to_string();
                stored.iter().position(|s| *s == id).unwrap()
            })
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "client {c}: {seqs:?}");
    }
    assert_eq!(
        f.count("SELECT COUNT(*) FROM deliveries"),
        2 * i64::from(CLIENTS * EACH)
    );
}
