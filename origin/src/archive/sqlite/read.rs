//! Reading the archive back: one record with its neighbours, the insurer's list, the outbox, and
//! the rows as stored for the auditors' walk along the chain.

use crate::archive::sqlite::convert::{from_sql_int, to_sql_int};
use crate::archive::{
    ArchiveError, ArchivedRow, RecordQuery, RecordSummary, RowCursor, RowFilter, StoredRecord,
    StoredSms,
};
use huifang_core::{Phone, RevisitId, Timestamp};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

const ROW_COLUMNS: &str = "rowid, seq, revisit_id, policy_number, outcome, record_hash, key_id, \
                           received_at, sealed_json, prev_chain, chain";

fn archived_row(row: &Row<'_>) -> rusqlite::Result<ArchivedRow> {
    let int = |i: usize| -> rusqlite::Result<u64> {
        let v: i64 = row.get(i)?;
        u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    Ok(ArchivedRow {
        rowid: row.get(0)?,
        seq: int(1)?,
        revisit_id: row.get(2)?,
        policy_number: row.get(3)?,
        outcome: row.get(4)?,
        record_hash: row.get(5)?,
        key_id: row.get(6)?,
        received_at: Timestamp::from_millis(int(7)?),
        sealed_json: row.get(8)?,
        prev_chain: row.get(9)?,
        chain: row.get(10)?,
    })
}

pub(super) fn record(
    conn: &Connection,
    revisit_id: &RevisitId,
) -> Result<Option<StoredRecord>, ArchiveError> {
    let row = conn
        .query_row(
            &format!("SELECT {ROW_COLUMNS} FROM records WHERE revisit_id = ?1"),
            [revisit_id.as_str()],
            archived_row,
        )
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let (problem_cases, deliveries, terminated_at): (i64, i64, Option<i64>) = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM problem_cases WHERE revisit_id = ?1), \
             (SELECT COUNT(*) FROM deliveries WHERE revisit_id = ?1), \
             (SELECT MAX(terminated_at) FROM terminations WHERE policy_number = ?2)",
        params![row.revisit_id, row.policy_number],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let seq = to_sql_int(row.seq)?;
    let neighbour = |sql: &str| {
        conn.query_row(
            &format!("SELECT {ROW_COLUMNS} FROM records {sql}"),
            [seq],
            archived_row,
        )
        .optional()
    };
    let before = neighbour("WHERE seq < ?1 ORDER BY seq DESC LIMIT 1")?;
    let after = neighbour("WHERE seq > ?1 ORDER BY seq LIMIT 1")?;
    Ok(Some(StoredRecord {
        row,
        problem_cases: from_sql_int(problem_cases)?,
        deliveries: from_sql_int(deliveries)?,
        terminated_at: terminated_at
            .map(from_sql_int)
            .transpose()?
            .map(Timestamp::from_millis),
        before,
        after,
    }))
}

pub(super) fn find_records(
    conn: &Connection,
    q: &RecordQuery,
) -> Result<Vec<RecordSummary>, ArchiveError> {
    // Flags are counted in the sealed JSON itself (SQLite's JSON functions): nothing outside
    // the sealed record is needed.
    let mut sql = String::from(
        "SELECT r.seq, r.revisit_id, r.policy_number, r.outcome, r.record_hash, \
             r.received_at, COALESCE(json_array_length(r.sealed_json, '$.record.flags'), 0), \
             (SELECT COUNT(*) FROM problem_cases p WHERE p.revisit_id = r.revisit_id), \
             (SELECT MAX(t.terminated_at) FROM terminations t \
              WHERE t.policy_number = r.policy_number) \
             FROM records r WHERE r.seq > ?",
    );
    // Every record received in the time range lies between the first and the last seq
    // received in it: those bounds (from the received_at index) let the seq index skip the
    // rest of the archive.
    let mut after = q.after_seq;
    let mut upto = None;
    if q.from.is_some() || q.to.is_some() {
        match received_seq_range(conn, q.from, q.to)? {
            None => return Ok(Vec::new()),
            Some((first, last)) => {
                after = after.max(first.saturating_sub(1));
                upto = Some(last);
            }
        }
    }
    let mut values = vec![Value::Integer(to_sql_int(after)?)];
    if let Some(last) = upto {
        sql.push_str(" AND r.seq <= ?");
        values.push(Value::Integer(to_sql_int(last)?));
    }
    if let Some(policy) = &q.policy_number {
        sql.push_str(" AND r.policy_number = ?");
        values.push(Value::Text(policy.clone()));
    }
    if let Some(from) = q.from {
        sql.push_str(" AND r.received_at >= ?");
        values.push(Value::Integer(to_sql_int(from.millis())?));
    }
    if let Some(to) = q.to {
        sql.push_str(" AND r.received_at < ?");
        values.push(Value::Integer(to_sql_int(to.millis())?));
    }
    sql.push_str(" ORDER BY r.seq LIMIT ?");
    values.push(Value::Integer(i64::from(q.limit)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), summary)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn recent_sms(
    conn: &Connection,
    phone: &Phone,
    limit: u32,
) -> Result<Vec<StoredSms>, ArchiveError> {
    let mut stmt = conn.prepare_cached(
        "SELECT message_id, revisit_id, phone, text, received_at FROM sms_outbox \
             WHERE phone = ?1 ORDER BY message_id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![phone.as_str(), limit], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, i64>(4)?,
        ))
    })?;
    rows.map(|row| {
        let (message_id, revisit_id, phone, text, received_at) = row?;
        Ok(StoredSms {
            message_id: from_sql_int(message_id)?,
            revisit_id,
            phone,
            text,
            received_at: Timestamp::from_millis(from_sql_int(received_at)?),
        })
    })
    .collect()
}

/// Up to `limit` archived rows after `cursor` that match `filter`, in chain (seq) order.
pub(super) fn rows(
    conn: &Connection,
    filter: &RowFilter,
    cursor: RowCursor,
    limit: u32,
) -> Result<Vec<ArchivedRow>, ArchiveError> {
    let mut sql = format!("SELECT {ROW_COLUMNS} FROM records WHERE (seq, rowid) > (?, ?)");
    let mut values = vec![
        Value::Integer(to_sql_int(cursor.seq)?),
        Value::Integer(cursor.rowid),
    ];
    if let Some(policy) = &filter.policy_number {
        sql.push_str(" AND policy_number = ?");
        values.push(Value::Text(policy.clone()));
    }
    if let Some(from) = filter.from {
        sql.push_str(" AND received_at >= ?");
        values.push(Value::Integer(to_sql_int(from.millis())?));
    }
    if let Some(to) = filter.to {
        sql.push_str(" AND received_at < ?");
        values.push(Value::Integer(to_sql_int(to.millis())?));
    }
    if let Some((first, last)) = filter.seqs {
        sql.push_str(" AND seq BETWEEN ? AND ?");
        values.push(Value::Integer(to_sql_int(first)?));
        values.push(Value::Integer(to_sql_int(last)?));
    }
    sql.push_str(" ORDER BY seq, rowid LIMIT ?");
    values.push(Value::Integer(i64::from(limit)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), archived_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The last record's seq and chain.
pub(super) fn head(conn: &Connection) -> Result<Option<(u64, String)>, ArchiveError> {
    let head: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, chain FROM records ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    head.map(|(seq, chain)| Ok((from_sql_int(seq)?, chain)))
        .transpose()
}

/// The first and last seq of the records received from `from` (inclusive) to `to` (exclusive).
pub(super) fn received_seq_range(
    conn: &Connection,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<Option<(u64, u64)>, ArchiveError> {
    let from = to_sql_int(from.map_or(0, Timestamp::millis))?;
    let to = to.map(|t| to_sql_int(t.millis())).transpose()?;
    let range: (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT MIN(seq), MAX(seq) FROM records INDEXED BY records_by_received_at \
         WHERE received_at >= ?1 AND (?2 IS NULL OR received_at < ?2)",
        params![from, to],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    match range {
        (Some(first), Some(last)) => Ok(Some((from_sql_int(first)?, from_sql_int(last)?))),
        _ => Ok(None),
    }
}

fn summary(row: &Row<'_>) -> rusqlite::Result<RecordSummary> {
    let int = |i: usize| -> rusqlite::Result<u64> {
        let v: i64 = row.get(i)?;
        u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    let terminated_at: Option<i64> = row.get(8)?;
    Ok(RecordSummary {
        seq: int(0)?,
        revisit_id: row.get(1)?,
        policy_number: row.get(2)?,
        outcome: row.get(3)?,
        record_hash: row.get(4)?,
        received_at: Timestamp::from_millis(int(5)?),
        flags: int(6)?,
        problem_cases: int(7)?,
        terminated_at: terminated_at
            .map(|v| u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(8, v)))
            .transpose()?
            .map(Timestamp::from_millis),
    })
}
