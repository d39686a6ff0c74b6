//! The case log in the archive's SQLite file (`0003_cases.sql`): appends chained as
//! [`next_entry_link`] decides, in one transaction each, refused when the case has moved on; reads
//! of one case, of the open cases, and of the whole log for the verifier. Nothing here updates or
//! deletes.

use crate::archive::sqlite::convert::{from_sql_int, to_sql_int};
use crate::archive::ArchiveError;
use crate::casework::log::{next_entry_link, parse_entry, EntryToStore};
use crate::casework::{Appended, CaseId, CaseLogRow, LoggedEntry};
use huifang_core::casework::Entry;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

/// Appends `entries` to case `id` from `case_seq` `first` on, linked after the log's head, inside
/// the caller's transaction (the archive opens cases with their record in its own).
pub(super) fn insert_entries(
    tx: &Transaction<'_>,
    id: &CaseId,
    first: u64,
    entries: &[Entry],
) -> Result<(), ArchiveError> {
    let mut head: Option<(u64, String)> = tx
        .query_row(
            "SELECT seq, chain FROM case_log ORDER BY seq DESC LIMIT 1",
            [],
            |row| Ok((row.get::<_, i64>(0)?, row.get(1)?)),
        )
        .optional()?
        .map(|(seq, chain)| from_sql_int(seq).map(|seq| (seq, chain)))
        .transpose()?;
    for (i, entry) in entries.iter().enumerate() {
        let stored = EntryToStore::of(id, first + i as u64, entry)
            .map_err(|e| ArchiveError::Storage(format!("case entry JSON: {e}")))?;
        let link = next_entry_link(
            head.as_ref().map(|(seq, chain)| (*seq, chain.as_str())),
            &stored.json,
        );
        tx.execute(
            "INSERT INTO case_log (seq, case_id, case_seq, event, at, actor, entry_json, \
             prev_chain, chain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                to_sql_int(link.seq)?,
                stored.case_id,
                to_sql_int(stored.case_seq)?,
                stored.event,
                to_sql_int(stored.at.millis())?,
                stored.by,
                stored.json,
                link.prev_chain,
                link.chain
            ],
        )?;
        // The statistics' facts of the case, in the same transaction.
        super::facts::on_case_entry(tx, id.as_str(), entry)?;
        head = Some((link.seq, link.chain));
    }
    Ok(())
}

fn last_case_seq(tx: &Transaction<'_>, id: &CaseId) -> Result<Option<u64>, ArchiveError> {
    let last: Option<i64> = tx.query_row(
        "SELECT MAX(case_seq) FROM case_log WHERE case_id = ?1",
        [id.as_str()],
        |row| row.get(0),
    )?;
    last.map(from_sql_int).transpose()
}

pub(super) fn append(
    conn: &mut Connection,
    id: &CaseId,
    after: u64,
    entries: &[Entry],
) -> Result<Appended, ArchiveError> {
    // Immediate: the check of the case's last entry and the append happen under one write lock.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(last) = last_case_seq(&tx, id)? else {
        return Ok(Appended::NoSuchCase);
    };
    if last != after {
        return Ok(Appended::Stale { last });
    }
    insert_entries(&tx, id, last + 1, entries)?;
    tx.commit()?;
    Ok(Appended::Appended {
        last: last + entries.len() as u64,
    })
}

fn logged(json: &str) -> Result<LoggedEntry, ArchiveError> {
    parse_entry(json)
        .map(|e| e.logged())
        .map_err(|e| ArchiveError::Corrupt(format!("case log entry: {e}")))
}

pub(super) fn case_log(conn: &Connection, id: &CaseId) -> Result<Vec<LoggedEntry>, ArchiveError> {
    let mut stmt =
        conn.prepare("SELECT entry_json FROM case_log WHERE case_id = ?1 ORDER BY case_seq")?;
    let rows = stmt.query_map([id.as_str()], |row| row.get::<_, String>(0))?;
    rows.map(|json| logged(&json?)).collect()
}

pub(super) fn open_case_logs(
    conn: &Connection,
) -> Result<Vec<(CaseId, Vec<LoggedEntry>)>, ArchiveError> {
    let mut stmt = conn.prepare(
        "SELECT case_id, entry_json FROM case_log WHERE case_id NOT IN \
         (SELECT case_id FROM case_log WHERE event = 'closed') ORDER BY case_id, case_seq",
    )?;
    let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get(1)?)))?;
    let mut cases: Vec<(CaseId, Vec<LoggedEntry>)> = Vec::new();
    for row in rows {
        let (case_id, json): (String, String) = row?;
        let entry = logged(&json)?;
        match cases.last_mut() {
            Some((id, entries)) if id.as_str() == case_id => entries.push(entry),
            _ => {
                let id = CaseId::parse(&case_id)
                    .ok_or_else(|| ArchiveError::Corrupt(format!("case id {case_id:?}")))?;
                cases.push((id, vec![entry]));
            }
        }
    }
    Ok(cases)
}

pub(super) fn case_log_rows(
    conn: &Connection,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<CaseLogRow>, ArchiveError> {
    let mut stmt = conn.prepare(
        "SELECT id, seq, case_id, case_seq, event, at, actor, entry_json, prev_chain, chain \
         FROM case_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![to_sql_int(after_seq)?, limit], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, i64>(5)?,
            row.get::<_, String>(6)?,
            row.get::<_, String>(7)?,
            row.get::<_, String>(8)?,
            row.get::<_, String>(9)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (rowid, seq, case_id, case_seq, event, at, actor, entry_json, prev_chain, chain) = row?;
        out.push(CaseLogRow {
            rowid,
            seq: from_sql_int(seq)?,
            case_id,
            case_seq: from_sql_int(case_seq)?,
            event,
            at: from_sql_int(at)?,
            actor,
            entry_json,
            prev_chain,
            chain,
        });
    }
    Ok(out)
}
