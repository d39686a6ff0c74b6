//! The sample log and the sampling frame in the archive's database (`0005_sampling.sql`), as
//! [`super::super::sqlite`] keeps them. Appends are chained as `sampling::log` decides, one
//! transaction each under the `sample_log` chain lock (taken after `case_log`'s when a review opens
//! a case, the order every writer keeps); nothing here updates or deletes.

use crate::archive::postgres::convert::{from_sql_int, to_sql_int};
use crate::archive::postgres::locks::lock_chain;
use crate::archive::ArchiveError;
use crate::casework::log::parse_entry;
use crate::casework::CaseId;
use crate::sampling::log::{entry_json, event_name, next_link};
use crate::sampling::{FrameQuery, RunAppended, RunSummary, SampleLogRow};
use huifang_core::casework::{CaseEvent, CaseKind, Entry};
use huifang_core::sample_run::{frame_entry, RunEntry, RunEvent};
use huifang_core::sampling::FrameEntry;
use postgres::{Client, Transaction};
use serde::Deserialize;
use std::collections::HashSet;

/// The little of a sealed record the frame needs; serde skips the rest of the JSON.
#[derive(Deserialize)]
struct SealedView {
    record: RecordView,
}

#[derive(Deserialize)]
struct RecordView {
    /// Absent from records sealed before the create body carried a channel.
    #[serde(default)]
    channel: Option<String>,
    items: Vec<ItemView>,
}

#[derive(Deserialize)]
struct ItemView {
    id: String,
}

pub(super) fn heads(client: &mut Client) -> Result<(u64, u64), ArchiveError> {
    let row = client.query_one(
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM records), \
         (SELECT COALESCE(MAX(seq), 0) FROM case_log)",
        &[],
    )?;
    Ok((
        from_sql_int(row.try_get(0)?)?,
        from_sql_int(row.try_get(1)?)?,
    ))
}

pub(super) fn frame(client: &mut Client, q: &FrameQuery) -> Result<Vec<FrameEntry>, ArchiveError> {
    let rows = client.query(
        "SELECT revisit_id, policy_number, sealed_json FROM records \
         WHERE received_at >= $1 AND received_at < $2 AND seq <= $3 AND outcome = $4",
        &[
            &to_sql_int(q.from.millis())?,
            &to_sql_int(q.to.millis())?,
            &to_sql_int(q.records_head)?,
            &q.outcome,
        ],
    )?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let revisit_id: &str = row.try_get(0)?;
        let policy_number: &str = row.try_get(1)?;
        let json: &str = row.try_get(2)?;
        let view: SealedView = serde_json::from_str(json)
            .map_err(|e| ArchiveError::Corrupt(format!("record {revisit_id}: {e}")))?;
        let ids: Vec<&str> = view.record.items.iter().map(|i| i.id.as_str()).collect();
        entries.push(frame_entry(
            revisit_id,
            policy_number,
            view.record.channel.as_deref(),
            &ids,
            false,
        ));
    }
    // Every problem case opened by then (R12): its revisit is always in the sample.
    let in_frame: HashSet<&str> = entries.iter().map(|e| e.revisit_id.as_str()).collect();
    let mut problems = HashSet::new();
    let rows = client.query(
        "SELECT case_id, entry_json FROM case_log WHERE event = 'opened' AND seq <= $1",
        &[&to_sql_int(q.cases_head)?],
    )?;
    for row in &rows {
        let case_id: &str = row.try_get(0)?;
        let revisit = case_id.rsplit_once('.').map_or("", |(r, _)| r);
        if !in_frame.contains(revisit) {
            continue;
        }
        let entry = parse_entry(row.try_get(1)?)
            .map_err(|e| ArchiveError::Corrupt(format!("case {case_id}: {e}")))?;
        if let CaseEvent::Opened(o) = entry.event {
            if matches!(o.kind, CaseKind::Problem { .. }) {
                problems.insert(o.revisit_id.as_str().to_string());
            }
        }
    }
    for e in &mut entries {
        e.problem = problems.contains(&e.revisit_id);
    }
    Ok(entries)
}

/// Appends `entry` as `run_id`'s `run_seq`, linked after the log's head (the caller holds the
/// `sample_log` lock).
fn insert(
    tx: &mut Transaction<'_>,
    run_id: &str,
    run_seq: u64,
    entry: &RunEntry,
) -> Result<(), ArchiveError> {
    let json = entry_json(entry).map_err(|e| ArchiveError::Storage(format!("run entry: {e}")))?;
    let head: Option<(u64, String)> = tx
        .query_opt(
            "SELECT seq, chain FROM sample_log ORDER BY seq DESC LIMIT 1",
            &[],
        )?
        .map(|row| Ok::<_, ArchiveError>((from_sql_int(row.try_get(0)?)?, row.try_get(1)?)))
        .transpose()?;
    let link = next_link(head.as_ref().map(|(s, c)| (*s, c.as_str())), &json);
    tx.execute(
        "INSERT INTO sample_log (seq, run_id, run_seq, event, at, actor, entry_json, prev_chain, \
         chain) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &to_sql_int(link.seq)?,
            &run_id,
            &to_sql_int(run_seq)?,
            &event_name(&entry.event),
            &to_sql_int(entry.at.millis())?,
            &entry.by,
            &json,
            &link.prev_chain,
            &link.chain,
        ],
    )?;
    Ok(())
}

pub(super) fn append_new_run(
    client: &mut Client,
    entry: &dyn Fn(&str) -> RunEntry,
) -> Result<String, ArchiveError> {
    let mut tx = client.transaction()?;
    lock_chain(&mut tx, "sample_log")?;
    let runs: i64 = tx
        .query_one("SELECT COUNT(*) FROM sample_log WHERE event = 'drawn'", &[])?
        .try_get(0)?;
    let run_id = format!("S{:04}", runs + 1);
    let e = entry(&run_id);
    if e.run_id != run_id || !matches!(e.event, RunEvent::Drawn { .. }) {
        return Err(ArchiveError::Storage(
            "a new run starts with its drawn entry".into(),
        ));
    }
    insert(&mut tx, &run_id, 1, &e)?;
    tx.commit()?;
    Ok(run_id)
}

/// The last `run_seq` of `run_id` (0 if none), read under the lock.
fn last_run_seq(tx: &mut Transaction<'_>, run_id: &str) -> Result<u64, ArchiveError> {
    let last: Option<i64> = tx
        .query_one(
            "SELECT MAX(run_seq) FROM sample_log WHERE run_id = $1",
            &[&run_id],
        )?
        .try_get(0)?;
    Ok(last.map(from_sql_int).transpose()?.unwrap_or(0))
}

pub(super) fn append_run(
    client: &mut Client,
    run_id: &str,
    after: u64,
    entry: &RunEntry,
) -> Result<RunAppended, ArchiveError> {
    let mut tx = client.transaction()?;
    lock_chain(&mut tx, "sample_log")?;
    let last = last_run_seq(&mut tx, run_id)?;
    if last != after || last == 0 {
        return Ok(RunAppended::Stale { last });
    }
    insert(&mut tx, run_id, last + 1, entry)?;
    tx.commit()?;
    Ok(RunAppended::Appended { run_seq: last + 1 })
}

pub(super) fn run_entries(
    client: &mut Client,
    run_id: &str,
) -> Result<Vec<RunEntry>, ArchiveError> {
    let rows = client.query(
        "SELECT entry_json FROM sample_log WHERE run_id = $1 ORDER BY run_seq",
        &[&run_id],
    )?;
    rows.iter()
        .map(|row| {
            serde_json::from_str(row.try_get(0)?)
                .map_err(|e| ArchiveError::Corrupt(format!("sample log entry of {run_id}: {e}")))
        })
        .collect()
}

pub(super) fn runs(client: &mut Client) -> Result<Vec<RunSummary>, ArchiveError> {
    let rows = client.query(
        "SELECT d.run_id, d.at, d.actor, \
         (SELECT COUNT(*) FROM sample_log e WHERE e.run_id = d.run_id), \
         EXISTS (SELECT 1 FROM sample_log s WHERE s.run_id = d.run_id AND s.event = 'signed_off') \
         FROM sample_log d WHERE d.event = 'drawn' ORDER BY d.seq DESC",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok(RunSummary {
                run_id: r.try_get(0)?,
                drawn_at: huifang_core::Timestamp::from_millis(from_sql_int(r.try_get(1)?)?),
                drawn_by: r.try_get(2)?,
                entries: from_sql_int(r.try_get(3)?)?,
                signed_off: r.try_get(4)?,
            })
        })
        .collect()
}

pub(super) fn sample_log_rows(
    client: &mut Client,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<SampleLogRow>, ArchiveError> {
    let rows = client.query(
        "SELECT seq, run_id, run_seq, entry_json, prev_chain, chain FROM sample_log \
         WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[&to_sql_int(after_seq)?, &i64::from(limit)],
    )?;
    rows.iter()
        .map(|r| {
            Ok(SampleLogRow {
                seq: from_sql_int(r.try_get(0)?)?,
                run_id: r.try_get(1)?,
                run_seq: from_sql_int(r.try_get(2)?)?,
                entry_json: r.try_get(3)?,
                prev_chain: r.try_get(4)?,
                chain: r.try_get(5)?,
            })
        })
        .collect()
}

/// Appends a review to run `run_id` after its entry `after`, and with it, in the same
/// transaction, the problem case its finding opens (the revisit's next case id), so that a
/// finding is never recorded without its case nor a case without its review.
pub(super) fn append_review(
    client: &mut Client,
    run_id: &str,
    after: u64,
    opening: Option<&Entry>,
    review: &dyn Fn(Option<&str>) -> RunEntry,
) -> Result<RunAppended, ArchiveError> {
    let mut tx = client.transaction()?;
    // The chains' lock order (records, case_log, sample_log): a review that opens a case takes
    // the case log's first.
    if opening.is_some() {
        lock_chain(&mut tx, "case_log")?;
    }
    lock_chain(&mut tx, "sample_log")?;
    let last = last_run_seq(&mut tx, run_id)?;
    if last != after || last == 0 {
        return Ok(RunAppended::Stale { last });
    }
    let mut case_id = None;
    if let Some(entry) = opening {
        let CaseEvent::Opened(o) = &entry.event else {
            return Err(ArchiveError::Storage(
                "a case starts with its opening".into(),
            ));
        };
        let opened: i64 = tx
            .query_one(
                "SELECT COUNT(DISTINCT case_id) FROM case_log WHERE case_id LIKE $1 || '.%'",
                &[&o.revisit_id.as_str()],
            )?
            .try_get(0)?;
        let number =
            u32::try_from(opened + 1).map_err(|_| ArchiveError::Corrupt("case count".into()))?;
        let id = CaseId::of(&o.revisit_id, number);
        super::cases::insert_entries(&mut tx, &id, 1, std::slice::from_ref(entry))?;
        case_id = Some(id.to_string());
    }
    insert(&mut tx, run_id, last + 1, &review(case_id.as_deref()))?;
    tx.commit()?;
    Ok(RunAppended::Appended { run_seq: last + 1 })
}
