//! Reading the archive back: one record with its neighbours, the insurer's list, the outbox, and
//! the rows as stored for the auditors' walk along the chain. On PostgreSQL a record's row id is
//! its seq (unique, in insertion order), so the walk's cursor is the seq alone.

use crate::archive::postgres::convert::{from_sql_int, to_sql_int, Params};
use crate::archive::{
    ArchiveError, ArchivedRow, RecordQuery, RecordSummary, RowCursor, RowFilter, StoredRecord,
    StoredSms,
};
use huifang_core::{Phone, RevisitId, Timestamp};
use postgres::{Client, Row};

const ROW_COLUMNS: &str = "seq, revisit_id, policy_number, outcome, record_hash, key_id, \
                           received_at, sealed_json, prev_chain, chain";

fn archived_row(row: &Row) -> Result<ArchivedRow, ArchiveError> {
    let seq: i64 = row.try_get(0)?;
    Ok(ArchivedRow {
        rowid: seq,
        seq: from_sql_int(seq)?,
        revisit_id: row.try_get(1)?,
        policy_number: row.try_get(2)?,
        outcome: row.try_get(3)?,
        record_hash: row.try_get(4)?,
        key_id: row.try_get(5)?,
        received_at: Timestamp::from_millis(from_sql_int(row.try_get(6)?)?),
        sealed_json: row.try_get(7)?,
        prev_chain: row.try_get(8)?,
        chain: row.try_get(9)?,
    })
}

pub(super) fn record(
    client: &mut Client,
    revisit_id: &RevisitId,
) -> Result<Option<StoredRecord>, ArchiveError> {
    let found = client.query_opt(
        &format!("SELECT {ROW_COLUMNS} FROM records WHERE revisit_id = $1"),
        &[&revisit_id.as_str()],
    )?;
    let Some(row) = found.as_ref().map(archived_row).transpose()? else {
        return Ok(None);
    };
    let counts = client.query_one(
        "SELECT (SELECT COUNT(*) FROM problem_cases WHERE revisit_id = $1), \
         (SELECT COUNT(*) FROM deliveries WHERE revisit_id = $1), \
         (SELECT MAX(terminated_at) FROM terminations WHERE policy_number = $2)",
        &[&row.revisit_id, &row.policy_number],
    )?;
    let seq = to_sql_int(row.seq)?;
    let mut neighbour = |sql: &str| -> Result<Option<ArchivedRow>, ArchiveError> {
        client
            .query_opt(&format!("SELECT {ROW_COLUMNS} FROM records {sql}"), &[&seq])?
            .as_ref()
            .map(archived_row)
            .transpose()
    };
    let before = neighbour("WHERE seq < $1 ORDER BY seq DESC LIMIT 1")?;
    let after = neighbour("WHERE seq > $1 ORDER BY seq LIMIT 1")?;
    let terminated_at: Option<i64> = counts.try_get(2)?;
    Ok(Some(StoredRecord {
        row,
        problem_cases: from_sql_int(counts.try_get(0)?)?,
        deliveries: from_sql_int(counts.try_get(1)?)?,
        terminated_at: terminated_at
            .map(from_sql_int)
            .transpose()?
            .map(Timestamp::from_millis),
        before,
        after,
    }))
}

pub(super) fn find_records(
    client: &mut Client,
    q: &RecordQuery,
) -> Result<Vec<RecordSummary>, ArchiveError> {
    // Every record received in the time range lies between the first and the last seq received
    // in it: those bounds (from the received_at index) let the seq index skip the rest.
    let mut after = q.after_seq;
    let mut upto = None;
    if q.from.is_some() || q.to.is_some() {
        match received_seq_range(client, q.from, q.to)? {
            None => return Ok(Vec::new()),
            Some((first, last)) => {
                after = after.max(first.saturating_sub(1));
                upto = Some(last);
            }
        }
    }
    let mut p = Params::default();
    // Flags are counted in the sealed JSON itself: nothing outside the sealed record is needed.
    let mut sql = format!(
        "SELECT r.seq, r.revisit_id, r.policy_number, r.outcome, r.record_hash, r.received_at, \
         COALESCE(jsonb_array_length(CASE WHEN jsonb_typeof(r.sealed_json::jsonb #> \
         '{{record,flags}}') = 'array' THEN r.sealed_json::jsonb #> '{{record,flags}}' END), 0), \
         (SELECT COUNT(*) FROM problem_cases p WHERE p.revisit_id = r.revisit_id), \
         (SELECT MAX(t.terminated_at) FROM terminations t \
          WHERE t.policy_number = r.policy_number) \
         FROM records r WHERE r.seq > {}",
        p.bind(to_sql_int(after)?)
    );
    if let Some(last) = upto {
        sql.push_str(&format!(" AND r.seq <= {}", p.bind(to_sql_int(last)?)));
    }
    if let Some(policy) = &q.policy_number {
        sql.push_str(&format!(
            " AND r.policy_number = {}",
            p.bind(policy.clone())
        ));
    }
    if let Some(from) = q.from {
        sql.push_str(&format!(
            " AND r.received_at >= {}",
            p.bind(to_sql_int(from.millis())?)
        ));
    }
    if let Some(to) = q.to {
        sql.push_str(&format!(
            " AND r.received_at < {}",
            p.bind(to_sql_int(to.millis())?)
        ));
    }
    sql.push_str(&format!(
        " ORDER BY r.seq LIMIT {}",
        p.bind(i64::from(q.limit))
    ));
    let rows = client.query(&sql, &p.refs())?;
    rows.iter()
        .map(|row| {
            let int = |i: usize| -> Result<u64, ArchiveError> {
                let v: i64 = row.try_get(i)?;
                from_sql_int(v)
            };
            let flags: i32 = row.try_get(6)?;
            let terminated_at: Option<i64> = row.try_get(8)?;
            Ok(RecordSummary {
                seq: int(0)?,
                revisit_id: row.try_get(1)?,
                policy_number: row.try_get(2)?,
                outcome: row.try_get(3)?,
                record_hash: row.try_get(4)?,
                received_at: Timestamp::from_millis(int(5)?),
                flags: u64::try_from(flags)
                    .map_err(|_| ArchiveError::Corrupt(format!("flags {flags}")))?,
                problem_cases: int(7)?,
                terminated_at: terminated_at
                    .map(from_sql_int)
                    .transpose()?
                    .map(Timestamp::from_millis),
            })
        })
        .collect()
}

pub(super) fn recent_sms(
    client: &mut Client,
    phone: &Phone,
    limit: u32,
) -> Result<Vec<StoredSms>, ArchiveError> {
    let rows = client.query(
        "SELECT message_id, revisit_id, phone, text, received_at FROM sms_outbox \
         WHERE phone = $1 ORDER BY message_id DESC LIMIT $2",
        &[&phone.as_str(), &i64::from(limit)],
    )?;
    rows.iter()
        .map(|row| {
            Ok(StoredSms {
                message_id: from_sql_int(row.try_get(0)?)?,
                revisit_id: row.try_get(1)?,
                phone: row.try_get(2)?,
                text: row.try_get(3)?,
                received_at: Timestamp::from_millis(from_sql_int(row.try_get(4)?)?),
            })
        })
        .collect()
}

/// Up to `limit` archived rows after `cursor` that match `filter`, in chain (seq) order.
pub(super) fn rows(
    client: &mut Client,
    filter: &RowFilter,
    cursor: RowCursor,
    limit: u32,
) -> Result<Vec<ArchivedRow>, ArchiveError> {
    let mut p = Params::default();
    let mut sql = format!(
        "SELECT {ROW_COLUMNS} FROM records WHERE seq > {}",
        p.bind(to_sql_int(cursor.seq)?)
    );
    if let Some(policy) = &filter.policy_number {
        sql.push_str(&format!(" AND policy_number = {}", p.bind(policy.clone())));
    }
    if let Some(from) = filter.from {
        sql.push_str(&format!(
            " AND received_at >= {}",
            p.bind(to_sql_int(from.millis())?)
        ));
    }
    if let Some(to) = filter.to {
        sql.push_str(&format!(
            " AND received_at < {}",
            p.bind(to_sql_int(to.millis())?)
        ));
    }
    if let Some((first, last)) = filter.seqs {
        sql.push_str(&format!(
            " AND seq BETWEEN {} AND {}",
            p.bind(to_sql_int(first)?),
            p.bind(to_sql_int(last)?)
        ));
    }
    sql.push_str(&format!(" ORDER BY seq LIMIT {}", p.bind(i64::from(limit))));
    let rows = client.query(&sql, &p.refs())?;
    rows.iter().map(archived_row).collect()
}

/// The last record's seq and chain.
pub(super) fn head(client: &mut Client) -> Result<Option<(u64, String)>, ArchiveError> {
    client
        .query_opt(
            "SELECT seq, chain FROM records ORDER BY seq DESC LIMIT 1",
            &[],
        )?
        .map(|row| Ok((from_sql_int(row.try_get(0)?)?, row.try_get(1)?)))
        .transpose()
}

/// The first and last seq of the records received from `from` (inclusive) to `to` (exclusive).
pub(super) fn received_seq_range(
    client: &mut Client,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<Option<(u64, u64)>, ArchiveError> {
    let from = to_sql_int(from.map_or(0, Timestamp::millis))?;
    let to = to.map(|t| to_sql_int(t.millis())).transpose()?;
    let row = client.query_one(
        "SELECT MIN(seq), MAX(seq) FROM records \
         WHERE received_at >= $1 AND ($2::bigint IS NULL OR received_at < $2)",
        &[&from, &to],
    )?;
    match (
        row.try_get::<_, Option<i64>>(0)?,
        row.try_get::<_, Option<i64>>(1)?,
    ) {
        (Some(first), Some(last)) => Ok(Some((from_sql_int(first)?, from_sql_int(last)?))),
        _ => Ok(None),
    }
}
