//! Group commit (issue 19): deliveries that arrive while the archive is committing wait together
//! and are then stored in one transaction, so that one fsync (SQLite) or one commit round trip
//! (PostgreSQL) serves many records instead of one each.
//!
//! What a delivery is told stays exactly what was true before (R3, R4): its answer is given only
//! after the transaction holding its record has committed durably, so "acknowledged" still means
//! "durably stored"; records are chained in the order their deliveries joined the queue; a record
//! delivered twice (even twice in one batch) is stored once and both deliveries get the same
//! answer the one-at-a-time path gives. If a batch cannot be committed, none of it is stored and
//! none of it acknowledged: each of its records is then stored on its own, one transaction each,
//! so that one bad record fails only its own delivery.
//!
//! How: each delivery queues its record, then takes the writer's lock. Whoever holds it is the
//! leader: it takes every queued record (up to [`MAX_BATCH`]), stores them in one transaction,
//! writes each delivery's answer and lets go. A delivery whose answer was written meanwhile
//! returns it at once; otherwise it leads the next batch.

use crate::archive::{ArchiveError, Archived, NewRecord};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The most records one transaction takes: bounds a batch's time and a failed batch's retries.
pub const MAX_BATCH: usize = 512;

/// One delivery waiting for its answer.
struct Waiting {
    record: NewRecord,
    answer: Mutex<Option<Result<Archived, ArchiveError>>>,
}

/// The queue of deliveries and the writer's lock, one per open archive.
#[derive(Default)]
pub struct GroupCommit {
    queue: Mutex<VecDeque<Arc<Waiting>>>,
    writer: Mutex<()>,
    batches: AtomicU64,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic under these locks leaves no half-written state (the transaction rolls back, the
    // queue holds whole entries), so a poisoned lock is still safe to use.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl GroupCommit {
    /// Stores `record` in the next batch and returns its answer once that batch is committed.
    /// `batch` stores records in one transaction (all or none, answers in order); `one` stores a
    /// single record in its own transaction (used when a batch fails).
    pub fn submit(
        &self,
        record: &NewRecord,
        batch: impl Fn(&[&NewRecord]) -> Result<Vec<Archived>, ArchiveError>,
        one: impl Fn(&NewRecord) -> Result<Archived, ArchiveError>,
    ) -> Result<Archived, ArchiveError> {
        let me = Arc::new(Waiting {
            record: record.clone(),
            answer: Mutex::new(None),
        });
        locked(&self.queue).push_back(Arc::clone(&me));
        let _writer = locked(&self.writer);
        loop {
            if let Some(answer) = locked(&me.answer).take() {
                return answer;
            }
            let taken: Vec<Arc<Waiting>> = {
                let mut queue = locked(&self.queue);
                let n = queue.len().min(MAX_BATCH);
                queue.drain(..n).collect()
            };
            if taken.is_empty() {
                // Only if a leader that took this record panicked before answering.
                return Err(ArchiveError::Storage(
                    "the batch holding this record was not committed".into(),
                ));
            }
            self.batches.fetch_add(1, Ordering::Relaxed);
            let records: Vec<&NewRecord> = taken.iter().map(|w| &w.record).collect();
            match batch(&records) {
                Ok(answers) if answers.len() == taken.len() => {
                    for (w, a) in taken.iter().zip(answers) {
                        *locked(&w.answer) = Some(Ok(a));
                    }
                }
                // Nothing of the batch was stored: each record alone, each its own answer.
                _ => {
                    for w in &taken {
                        *locked(&w.answer) = Some(one(&w.record));
                    }
                }
            }
        }
    }

    /// Transactions committed (or tried) so far: records per batch = deliveries / this.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::fixtures::{finished_session, T0};
    use huifang_core::record::Record;
    use huifang_core::session::AnswerKind;
    use huifang_core::signing::EdgeKey;
    use huifang_core::RevisitId;
    use std::time::Duration;

    fn record(i: u8) -> NewRecord {
        let key = EdgeKey::from_seed_hex("edge-1", &"2a".repeat(32)).unwrap();
        let session = finished_session(RevisitId::from_random([i; 12]), &[AnswerKind::Yes; 3]);
        NewRecord::of(&Record::of(&session, "test").unwrap().seal(&key), T0).unwrap()
    }

    /// Deliveries that arrive while a commit is under way are committed together, each answered
    /// with its own record's answer, in the order they queued.
    #[test]
    fn deliveries_arriving_during_a_commit_share_the_next_one() {
        let group = GroupCommit::default();
        let committed: Mutex<Vec<Vec<String>>> = Mutex::default();
        let records: Vec<NewRecord> = (0..16).map(record).collect();
        std::thread::scope(|scope| {
            for r in &records {
                let (group, committed) = (&group, &committed);
                scope.spawn(move || {
                    let answer = group.submit(
                        r,
                        |batch| {
                            // A slow commit (an fsync), during which others queue.
                            std::thread::sleep(Duration::from_millis(30));
                            let ids = batch.iter().map(|r| r.revisit_id.to_string()).collect();
                            locked(committed).push(ids);
                            Ok(vec![Archived::Inserted; batch.len()])
                        },
                        |_| panic!("no batch fails here"),
                    );
                    assert_eq!(answer.unwrap(), Archived::Inserted);
                });
            }
        });
        let committed = committed.into_inner().unwrap();
        let mut all: Vec<String> = committed.iter().flatten().cloned().collect();
        assert_eq!(all.len(), 16, "every record committed exactly once");
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 16);
        assert!(
            committed.len() < 16 && committed.iter().any(|b| b.len() > 1),
            "some deliveries shared a commit: {:?}",
            committed.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert_eq!(group.batches(), committed.len() as u64);
    }

    /// A batch that fails is acknowledged for none of its records: each is then tried alone and
    /// gets its own answer (an error only for the one that cannot be stored).
    #[test]
    fn a_failed_batch_acknowledges_nothing_and_each_record_is_tried_alone() {
        let group = GroupCommit::default();
        let bad = record(7);
        let stored: Mutex<Vec<String>> = Mutex::default();
        let records: Vec<NewRecord> = (0..8).map(record).collect();
        std::thread::scope(|scope| {
            for r in &records {
                let (group, stored, bad) = (&group, &stored, &bad);
                scope.spawn(move || {
                    let answer = group.submit(
                        r,
                        |batch| {
                            std::thread::sleep(Duration::from_millis(20));
                            if batch.iter().any(|r| r.revisit_id == bad.revisit_id) {
                                return Err(ArchiveError::Storage("commit failed".into()));
                            }
                            let ids = batch.iter().map(|r| r.revisit_id.to_string());
                            locked(stored).extend(ids);
                            Ok(vec![Archived::Inserted; batch.len()])
                        },
                        |r| {
                            if r.revisit_id == bad.revisit_id {
                                return Err(ArchiveError::Storage("commit failed".into()));
                            }
                            locked(stored).push(r.revisit_id.to_string());
                            Ok(Archived::Inserted)
                        },
                    );
                    // Acknowledged only if stored; refused only for the bad record.
                    let is_stored = locked(stored).contains(&r.revisit_id.to_string());
                    match answer {
                        Ok(a) => assert!(is_stored && a == Archived::Inserted),
                        Err(_) => assert!(!is_stored && r.revisit_id == bad.revisit_id),
                    }
                });
            }
        });
        assert_eq!(stored.into_inner().unwrap().len(), 7);
    }
}
