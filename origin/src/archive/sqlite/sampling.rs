//! The sample log and the sampling frame in the archive's SQLite file (`0005_sampling.sql`).
//! Appends are chained as `sampling::log` decides, one transaction each; nothing here updates or
//! deletes.

use crate::archive::sqlite::convert::{from_sql_int, to_sql_int};
use crate::archive::ArchiveError;
use crate::casework::log::parse_entry;
use crate::casework::CaseId;
use crate::sampling::log::{entry_json, event_name, next_link};
use crate::sampling::{FrameQuery, RunAppended, RunSummary, SampleLogRow};
use huifang_core::casework::{CaseEvent, CaseKind, Entry};
use huifang_core::sample_run::{frame_entry, RunEntry, RunEvent};
use huifang_core::sampling::FrameEntry;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
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

pub(super) fn heads(conn: &Connection) -> Result<(u64, u64), ArchiveError> {
    let records: i64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM records", [], |r| {
        r.get(0)
    })?;
    let cases: i64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM case_log", [], |r| {
        r.get(0)
    })?;
    Ok((from_sql_int(records)?, from_sql_int(cases)?))
}

pub(super) fn frame(conn: &Connection, q: &FrameQuery) -> Result<Vec<FrameEntry>, ArchiveError> {
    let mut stmt = conn.prepare(
        "SELECT revisit_id, policy_number, sealed_json FROM records \
         WHERE received_at >= ?1 AND received_at < ?2 AND seq <= ?3 AND outcome = ?4",
    )?;
    let mut rows = stmt.query(params![
        to_sql_int(q.from.millis())?,
        to_sql_int(q.to.millis())?,
        to_sql_int(q.records_head)?,
        q.outcome
    ])?;
    let mut entries = Vec::new();
    while let Some(row) = rows.next()? {
        let revisit_id: String = row.get(0)?;
        let policy_number: String = row.get(1)?;
        let json = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        let view: SealedView = serde_json::from_str(json)
            .map_err(|e| ArchiveError::Corrupt(format!("record {revisit_id}: {e}")))?;
        let ids: Vec<&str> = view.record.items.iter().map(|i| i.id.as_str()).collect();
        entries.push(frame_entry(
            &revisit_id,
            &policy_number,
            view.record.channel.as_deref(),
            &ids,
            false,
        ));
    }
    // Every problem case opened by then (R12): its revisit is always in the sample.
    let in_frame: HashSet<&str> = entries.iter().map(|e| e.revisit_id.as_str()).collect();
    let mut problems = HashSet::new();
    let mut stmt = conn
        .prepare("SELECT case_id, entry_json FROM case_log WHERE event = 'opened' AND seq <= ?1")?;
    let mut rows = stmt.query([to_sql_int(q.cases_head)?])?;
    while let Some(row) = rows.next()? {
        let case_id: String = row.get(0)?;
        let revisit = case_id.rsplit_once('.').map_or("", |(r, _)| r);
        if !in_frame.contains(revisit) {
            continue;
        }
        let json: String = row.get(1)?;
        let entry = parse_entry(&json)
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

fn head(tx: &Transaction<'_>) -> Result<Option<(u64, String)>, ArchiveError> {
    tx.query_row(
        "SELECT seq, chain FROM sample_log ORDER BY seq DESC LIMIT 1",
        [],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
    )
    .optional()?
    .map(|(seq, chain)| from_sql_int(seq).map(|seq| (seq, chain)))
    .transpose()
}

fn insert(
    tx: &Transaction<'_>,
    run_id: &str,
    run_seq: u64,
    entry: &RunEntry,
) -> Result<(), ArchiveError> {
    let json = entry_json(entry).map_err(|e| ArchiveError::Storage(format!("run entry: {e}")))?;
    let head = head(tx)?;
    let link = next_link(head.as_ref().map(|(s, c)| (*s, c.as_str())), &json);
    tx.execute(
        "INSERT INTO sample_log (seq, run_id, run_seq, event, at, actor, entry_json, prev_chain, \
         chain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            to_sql_int(link.seq)?,
            run_id,
            to_sql_int(run_seq)?,
            event_name(&entry.event),
            to_sql_int(entry.at.millis())?,
            entry.by,
            json,
            link.prev_chain,
            link.chain
        ],
    )?;
    Ok(())
}

pub(super) fn append_new_run(
    conn: &mut Connection,
    entry: &dyn Fn(&str) -> RunEntry,
) -> Result<String, ArchiveError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let runs: i64 = tx.query_row(
        "SELECT COUNT(*) FROM sample_log WHERE event = 'drawn'",
        [],
        |r| r.get(0),
    )?;
    let run_id = format!("S{:04}", runs + 1);
    let e = entry(&run_id);
    if e.run_id != run_id || !matches!(e.event, RunEvent::Drawn { .. }) {
        return Err(ArchiveError::Storage(
            "a new run starts with its drawn entry".into(),
        ));
    }
    insert(&tx, &run_id, 1, &e)?;
    tx.commit()?;
    Ok(run_id)
}

pub(super) fn append_run(
    conn: &mut Connection,
    run_id: &str,
    after: u64,
    entry: &RunEntry,
) -> Result<RunAppended, ArchiveError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last: Option<i64> = tx.query_row(
        "SELECT MAX(run_seq) FROM sample_log WHERE run_id = ?1",
        [run_id],
        |r| r.get(0),
    )?;
    let last = last.map(from_sql_int).transpose()?.unwrap_or(0);
    if last != after || last == 0 {
        return Ok(RunAppended::Stale { last });
    }
    insert(&tx, run_id, last + 1, entry)?;
    tx.commit()?;
    Ok(RunAppended::Appended { run_seq: last + 1 })
}

pub(super) fn run_entries(conn: &Connection, run_id: &str) -> Result<Vec<RunEntry>, ArchiveError> {
    let mut stmt =
        conn.prepare("SELECT entry_json FROM sample_log WHERE run_id = ?1 ORDER BY run_seq")?;
    let rows = stmt.query_map([run_id], |r| r.get::<_, String>(0))?;
    rows.map(|json| {
        serde_json::from_str(&json?)
            .map_err(|e| ArchiveError::Corrupt(format!("sample log entry of {run_id}: {e}")))
    })
    .collect()
}

pub(super) fn runs(conn: &Connection) -> Result<Vec<RunSummary>, ArchiveError> {
    let mut stmt = conn.prepare(
        "SELECT d.run_id, d.at, d.actor, \
         (SELECT COUNT(*) FROM sample_log e WHERE e.run_id = d.run_id), \
         EXISTS (SELECT 1 FROM sample_log s WHERE s.run_id = d.run_id AND s.event = 'signed_off') \
         FROM sample_log d WHERE d.event = 'drawn' ORDER BY d.seq DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, bool>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (run_id, at, by, n, signed) = row?;
        out.push(RunSummary {
            run_id,
            drawn_at: huifang_core::Timestamp::from_millis(from_sql_int(at)?),
            drawn_by: by,
            entries: from_sql_int(n)?,
            signed_off: signed,
        });
    }
    Ok(out)
}

pub(super) fn sample_log_rows(
    conn: &Connection,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<SampleLogRow>, ArchiveError> {
    let mut stmt = conn.prepare(
        "SELECT seq, run_id, run_seq, entry_json, prev_chain, chain FROM sample_log \
         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![to_sql_int(after_seq)?, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, run_id, run_seq, entry_json, prev_chain, chain) = row?;
        out.push(SampleLogRow {
            seq: from_sql_int(seq)?,
            run_id,
            run_seq: from_sql_int(run_seq)?,
            entry_json,
            prev_chain,
            chain,
        });
    }
    Ok(out)
}

/// Appends a review to run `run_id` after its entry `after`, and with it, in the same
/// transaction, the problem case its finding opens (the revisit's next case id), so that a
/// finding is never recorded without its case nor a case without its review.
pub(super) fn append_review(
    conn: &mut Connection,
    run_id: &str,
    after: u64,
    opening: Option<&Entry>,
    review: &dyn Fn(Option<&str>) -> RunEntry,
) -> Result<RunAppended, ArchiveError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last: Option<i64> = tx.query_row(
        "SELECT MAX(run_seq) FROM sample_log WHERE run_id = ?1",
        [run_id],
        |r| r.get(0),
    )?;
    let last = last.map(from_sql_int).transpose()?.unwrap_or(0);
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
        let opened: i64 = tx.query_row(
            "SELECT COUNT(DISTINCT case_id) FROM case_log WHERE case_id LIKE ?1 || '.%'",
            [o.revisit_id.as_str()],
            |r| r.get(0),
        )?;
        let number =
            u32::try_from(opened + 1).map_err(|_| ArchiveError::Corrupt("case count".into()))?;
        let id = CaseId::of(&o.revisit_id, number);
        super::cases::insert_entries(&tx, &id, 1, std::slice::from_ref(entry))?;
        case_id = Some(id.to_string());
    }
    insert(&tx, run_id, last + 1, &review(case_id.as_deref()))?;
    tx.commit()?;
    Ok(RunAppended::Appended { run_seq: last + 1 })
}
