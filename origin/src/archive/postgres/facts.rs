//! The statistics' facts in the archive's database (`0005_sampling.sql`), as [`super::super::sqlite`]
//! keeps them: a row per record, written in the record's transaction, and a row per case, written
//! with its `opened` entry and completed with its `closed` one; the grouped counts the
//! statistics read; and the migration's back-fill of what a layout-4 database already held. Derived data: the sealed records and the case log stay the evidence.

use crate::archive::facts::facts_to_insert;
use crate::archive::postgres::convert::{from_sql_int, to_sql_int};
use crate::archive::ArchiveError;
use crate::casework::log::parse_entry;
use huifang_core::casework::{CaseEvent, CaseKind, Entry};
use huifang_core::statistics::{resolution_name, standing_of, CaseCount, GroupKey, RevisitCount};
use huifang_core::Timestamp;
use postgres::{Client, Row, Transaction};

/// Writes a record's facts (in the record's transaction).
pub(super) fn insert_revisit(
    tx: &mut Transaction<'_>,
    revisit_id: &str,
    sealed_json: &str,
) -> Result<(), ArchiveError> {
    let Some((f, script)) = facts_to_insert(revisit_id, sealed_json) else {
        return Ok(());
    };
    tx.execute(
        "INSERT INTO revisit_facts (revisit_id, period, region, channel, product_type, \
         outcome, in_cooling_off, created_at, finished_at, cooling_off_ends_at, script) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        &[
            &revisit_id,
            &f.key.period,
            &f.key.region,
            &f.key.channel,
            &f.key.product_type,
            &f.outcome,
            &i64::from(f.in_cooling_off()),
            &to_sql_int(f.created_at.millis())?,
            &to_sql_int(f.finished_at.millis())?,
            &to_sql_int(f.cooling_off_ends_at.millis())?,
            &script,
        ],
    )?;
    Ok(())
}

/// Keeps a case's facts with its entry (in the entry's transaction): the opening writes the row
/// with its revisit's grouping, the closing its time and resolution.
pub(super) fn on_case_entry(
    tx: &mut Transaction<'_>,
    case_id: &str,
    entry: &Entry,
) -> Result<(), ArchiveError> {
    match &entry.event {
        CaseEvent::Opened(o) => {
            let kind = match o.kind {
                CaseKind::Problem { .. } => "problem",
                CaseKind::Fallback { .. } => "fallback",
            };
            tx.execute(
                "INSERT INTO case_facts (case_id, revisit_id, kind, period, region, \
                 channel, product_type, opened_at, due_at) \
                 SELECT $1, revisit_id, $2, period, region, channel, product_type, $3, $4 \
                 FROM revisit_facts WHERE revisit_id = $5 ON CONFLICT DO NOTHING",
                &[
                    &case_id,
                    &kind,
                    &to_sql_int(entry.at.millis())?,
                    &to_sql_int(o.due_at.millis())?,
                    &o.revisit_id.as_str(),
                ],
            )?;
        }
        CaseEvent::Closed { resolution, .. } => {
            tx.execute(
                "UPDATE case_facts SET closed_at = $1, resolution = $2 WHERE case_id = $3",
                &[
                    &to_sql_int(entry.at.millis())?,
                    &resolution_name(resolution),
                    &case_id,
                ],
            )?;
        }
        _ => {}
    }
    Ok(())
}

/// 0005's step: the facts of every record and case archived before it. Returns how many records.
pub(super) fn backfill(tx: &mut Transaction<'_>) -> Result<u64, ArchiveError> {
    let records = tx.query(
        "SELECT revisit_id, sealed_json FROM records ORDER BY seq",
        &[],
    )?;
    for row in &records {
        insert_revisit(tx, row.try_get(0)?, row.try_get(1)?)?;
    }
    let entries = tx.query(
        "SELECT case_id, entry_json FROM case_log WHERE event IN ('opened', 'closed') ORDER BY seq",
        &[],
    )?;
    for row in &entries {
        let case_id: &str = row.try_get(0)?;
        let entry = parse_entry(row.try_get(1)?)
            .map_err(|e| ArchiveError::Corrupt(format!("case {case_id}: {e}")))?
            .logged()
            .entry;
        on_case_entry(tx, case_id, &entry)?;
    }
    Ok(records.len() as u64)
}

fn key(r: &Row) -> Result<GroupKey, ArchiveError> {
    Ok(GroupKey {
        period: r.try_get(0)?,
        region: r.try_get(1)?,
        channel: r.try_get(2)?,
        product_type: r.try_get(3)?,
    })
}

/// Revisits issued in the periods `from..=to` (`YYYY-MM`), counted by group, outcome and
/// whether they finished in the cooling-off period.
pub(super) fn revisit_counts(
    client: &mut Client,
    from: &str,
    to: &str,
) -> Result<Vec<RevisitCount>, ArchiveError> {
    let rows = client.query(
        "SELECT period, region, channel, product_type, outcome, in_cooling_off, COUNT(*) \
         FROM revisit_facts WHERE period >= $1 AND period <= $2 \
         GROUP BY period, region, channel, product_type, outcome, in_cooling_off",
        &[&from, &to],
    )?;
    rows.iter()
        .map(|r| {
            Ok(RevisitCount {
                key: key(r)?,
                outcome: r.try_get(4)?,
                in_cooling_off: r.try_get::<_, i64>(5)? != 0,
                count: from_sql_int(r.try_get(6)?)?,
            })
        })
        .collect()
}

/// Cases of revisits issued in `from..=to`, counted by group, kind, resolution and the store's
/// comparisons of their times with their due time and `now` (the core says what they mean).
pub(super) fn case_counts(
    client: &mut Client,
    from: &str,
    to: &str,
    now: Timestamp,
) -> Result<Vec<CaseCount>, ArchiveError> {
    let rows = client.query(
        "SELECT period, region, channel, product_type, kind, resolution, \
         closed_at IS NOT NULL, COALESCE(closed_at <= due_at, false), $3 > due_at, COUNT(*) \
         FROM case_facts WHERE period >= $1 AND period <= $2 \
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
        &[&from, &to, &to_sql_int(now.millis())?],
    )?;
    rows.iter()
        .map(|r| {
            Ok(CaseCount {
                key: key(r)?,
                kind: r.try_get(4)?,
                resolution: r.try_get(5)?,
                standing: standing_of(r.try_get(6)?, r.try_get(7)?, r.try_get(8)?),
                count: from_sql_int(r.try_get(9)?)?,
            })
        })
        .collect()
}

/// Sampling findings (reviews with the verdict `finding`) by the group of their revisit, for
/// revisits issued in `from..=to`.
pub(super) fn finding_counts(
    client: &mut Client,
    from: &str,
    to: &str,
) -> Result<Vec<(GroupKey, u64)>, ArchiveError> {
    let rows = client.query(
        "SELECT f.period, f.region, f.channel, f.product_type, COUNT(*) \
         FROM sample_log s JOIN revisit_facts f \
           ON f.revisit_id = (s.entry_json::jsonb #>> '{event,revisit_id}') \
         WHERE s.event = 'reviewed' AND (s.entry_json::jsonb #>> '{event,verdict}') = 'finding' \
           AND f.period >= $1 AND f.period <= $2 \
         GROUP BY 1, 2, 3, 4",
        &[&from, &to],
    )?;
    rows.iter()
        .map(|r| Ok((key(r)?, from_sql_int(r.try_get(4)?)?)))
        .collect()
}

pub(super) fn first_revisit(client: &mut Client) -> Result<Option<Timestamp>, ArchiveError> {
    let t: Option<i64> = client
        .query_one("SELECT MIN(created_at) FROM revisit_facts", &[])?
        .try_get(0)?;
    Ok(t.map(from_sql_int).transpose()?.map(Timestamp::from_millis))
}

pub(super) fn seen(client: &mut Client) -> Result<crate::statistics::Seen, ArchiveError> {
    let mut count_by = |column: &str| -> Result<Vec<(String, u64)>, ArchiveError> {
        let rows = client.query(
            &format!(
                "SELECT {column}, COUNT(*) FROM revisit_facts GROUP BY {column} \
                 ORDER BY {column} COLLATE \"C\""
            ),
            &[],
        )?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, from_sql_int(r.try_get(1)?)?)))
            .collect()
    };
    Ok(crate::statistics::Seen {
        regions: count_by("region")?,
        channels: count_by("channel")?,
        product_types: count_by("product_type")?,
        scripts: count_by("script")?,
    })
}
