//! The statistics' facts in the archive's file (`0005_sampling.sql`): a row per record, written in
//! the record's transaction, and a row per case, written with its `opened` entry and completed
//! with its `closed` one; the grouped counts the statistics read; and the migration's backfill of
//! what was archived before. Derived data: the sealed records and the case log stay the evidence.

use crate::archive::facts::facts_to_insert;
use crate::archive::sqlite::convert::{from_sql_int, to_sql_int};
use crate::archive::ArchiveError;
use crate::casework::log::parse_entry;
use huifang_core::casework::{CaseEvent, CaseKind, Entry};
use huifang_core::statistics::{resolution_name, standing_of, CaseCount, GroupKey, RevisitCount};
use huifang_core::Timestamp;
use rusqlite::{params, Connection, Transaction};

/// Writes a record's facts (in the record's transaction).
pub(super) fn insert_revisit(
    tx: &Transaction<'_>,
    revisit_id: &str,
    sealed_json: &str,
) -> Result<(), ArchiveError> {
    let Some((f, script)) = facts_to_insert(revisit_id, sealed_json) else {
        return Ok(());
    };
    tx.prepare_cached(
        "INSERT OR IGNORE INTO revisit_facts (revisit_id, period, region, channel, product_type, \
         outcome, in_cooling_off, created_at, finished_at, cooling_off_ends_at, script) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        revisit_id,
        f.key.period,
        f.key.region,
        f.key.channel,
        f.key.product_type,
        f.outcome,
        f.in_cooling_off(),
        to_sql_int(f.created_at.millis())?,
        to_sql_int(f.finished_at.millis())?,
        to_sql_int(f.cooling_off_ends_at.millis())?,
        script
    ])?;
    Ok(())
}

/// Keeps a case's facts with its entry (in the entry's transaction): the opening writes the row
/// with its revisit's grouping, the closing its time and resolution.
pub(super) fn on_case_entry(
    tx: &Transaction<'_>,
    case_id: &str,
    entry: &Entry,
) -> Result<(), ArchiveError> {
    match &entry.event {
        CaseEvent::Opened(o) => {
            let kind = match o.kind {
                CaseKind::Problem { .. } => "problem",
                CaseKind::Fallback { .. } => "fallback",
            };
            tx.prepare_cached(
                "INSERT OR IGNORE INTO case_facts (case_id, revisit_id, kind, period, region, \
                 channel, product_type, opened_at, due_at) \
                 SELECT ?1, revisit_id, ?2, period, region, channel, product_type, ?3, ?4 \
                 FROM revisit_facts WHERE revisit_id = ?5",
            )?
            .execute(params![
                case_id,
                kind,
                to_sql_int(entry.at.millis())?,
                to_sql_int(o.due_at.millis())?,
                o.revisit_id.as_str()
            ])?;
        }
        CaseEvent::Closed { resolution, .. } => {
            tx.prepare_cached(
                "UPDATE case_facts SET closed_at = ?1, resolution = ?2 WHERE case_id = ?3",
            )?
            .execute(params![
                to_sql_int(entry.at.millis())?,
                resolution_name(resolution),
                case_id
            ])?;
        }
        _ => {}
    }
    Ok(())
}

/// 0005's step: the facts of every record and case archived before it. Returns how many records.
pub(super) fn backfill(tx: &Transaction<'_>) -> Result<u64, ArchiveError> {
    let rows: Vec<(String, String)> = {
        let mut stmt = tx.prepare("SELECT revisit_id, sealed_json FROM records ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (id, json) in &rows {
        insert_revisit(tx, id, json)?;
    }
    let entries: Vec<(String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT case_id, entry_json FROM case_log WHERE event IN ('opened', 'closed') \
             ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (case_id, json) in &entries {
        let entry = parse_entry(json)
            .map_err(|e| ArchiveError::Corrupt(format!("case {case_id}: {e}")))?
            .logged()
            .entry;
        on_case_entry(tx, case_id, &entry)?;
    }
    Ok(rows.len() as u64)
}

fn key(r: &rusqlite::Row<'_>) -> rusqlite::Result<GroupKey> {
    Ok(GroupKey {
        period: r.get(0)?,
        region: r.get(1)?,
        channel: r.get(2)?,
        product_type: r.get(3)?,
    })
}

/// Revisits issued in the periods `from..=to` (`YYYY-MM`), counted by group, outcome and
/// whether they finished in the cooling-off period: read from the covering index alone.
pub(super) fn revisit_counts(
    conn: &Connection,
    from: &str,
    to: &str,
) -> Result<Vec<RevisitCount>, ArchiveError> {
    let mut stmt = conn.prepare(
        "SELECT period, region, channel, product_type, outcome, in_cooling_off, COUNT(*) \
         FROM revisit_facts WHERE period >= ?1 AND period <= ?2 \
         GROUP BY period, region, channel, product_type, outcome, in_cooling_off",
    )?;
    let rows = stmt.query_map([from, to], |r| {
        Ok(RevisitCount {
            key: key(r)?,
            outcome: r.get(4)?,
            in_cooling_off: r.get(5)?,
            count: r.get::<_, i64>(6)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Cases of revisits issued in `from..=to`, counted by group, kind, resolution and the store's
/// comparisons of their times with their due time and `now` (the core says what they mean).
pub(super) fn case_counts(
    conn: &Connection,
    from: &str,
    to: &str,
    now: Timestamp,
) -> Result<Vec<CaseCount>, ArchiveError> {
    let mut stmt = conn.prepare(
        "SELECT period, region, channel, product_type, kind, resolution, \
         closed_at IS NOT NULL, COALESCE(closed_at <= due_at, 0), ?3 > due_at, COUNT(*) \
         FROM case_facts WHERE period >= ?1 AND period <= ?2 \
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
    )?;
    let rows = stmt.query_map(params![from, to, to_sql_int(now.millis())?], |r| {
        Ok(CaseCount {
            key: key(r)?,
            kind: r.get(4)?,
            resolution: r.get(5)?,
            standing: standing_of(r.get(6)?, r.get(7)?, r.get(8)?),
            count: r.get::<_, i64>(9)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Sampling findings (reviews with the verdict `finding`) by the group of their revisit, for
/// revisits issued in `from..=to`.
pub(super) fn finding_counts(
    conn: &Connection,
    from: &str,
    to: &str,
) -> Result<Vec<(GroupKey, u64)>, ArchiveError> {
    let mut stmt = conn.prepare(
        "SELECT f.period, f.region, f.channel, f.product_type, COUNT(*) \
         FROM sample_log s JOIN revisit_facts f \
           ON f.revisit_id = json_extract(s.entry_json, '$.event.revisit_id') \
         WHERE s.event = 'reviewed' AND json_extract(s.entry_json, '$.event.verdict') = 'finding' \
           AND f.period >= ?1 AND f.period <= ?2 \
         GROUP BY 1, 2, 3, 4",
    )?;
    let rows = stmt.query_map([from, to], |r| {
        Ok((key(r)?, from_sql_int(r.get(4)?).unwrap_or(0)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn first_revisit(conn: &Connection) -> Result<Option<Timestamp>, ArchiveError> {
    let t: Option<i64> = conn.query_row("SELECT MIN(created_at) FROM revisit_facts", [], |r| {
        r.get(0)
    })?;
    Ok(t.map(from_sql_int).transpose()?.map(Timestamp::from_millis))
}

pub(super) fn seen(conn: &Connection) -> Result<crate::statistics::Seen, ArchiveError> {
    let count_by = |column: &str| -> Result<Vec<(String, u64)>, ArchiveError> {
        let mut stmt = conn.prepare(&format!(
            "SELECT {column}, COUNT(*) FROM revisit_facts GROUP BY {column} ORDER BY {column}"
        ))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    Ok(crate::statistics::Seen {
        regions: count_by("region")?,
        channels: count_by("channel")?,
        product_types: count_by("product_type")?,
        scripts: count_by("script")?,
    })
}
