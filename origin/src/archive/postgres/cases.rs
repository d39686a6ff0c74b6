//! The case log in the archive's database (`0003_cases.sql`): appends chained as
//! [`next_entry_link`] decides, each in one transaction under the `case_log` chain lock, refused
//! when the case has moved on; reads of one case, of the open cases, and of the whole log for the
//! verifier. Nothing here updates or deletes.

use crate::archive::postgres::convert::{from_sql_int, to_sql_int};
use crate::archive::postgres::locks::lock_chain;
use crate::archive::ArchiveError;
use crate::casework::log::{next_entry_link, parse_entry, EntryToStore};
use crate::casework::{Appended, CaseId, CaseLogRow, LoggedEntry};
use huifang_core::casework::Entry;
use postgres::{Client, Transaction};

/// Appends `entries` to case `id` from `case_seq` `first` on, linked after the log's head, inside
/// the caller's transaction (the archive opens cases with their record in its own).
pub(super) fn insert_entries(
    tx: &mut Transaction<'_>,
    id: &CaseId,
    first: u64,
    entries: &[Entry],
) -> Result<(), ArchiveError> {
    lock_chain(tx, "case_log")?;
    let mut head: Option<(u64, String)> = tx
        .query_opt(
            "SELECT seq, chain FROM case_log ORDER BY seq DESC LIMIT 1",
            &[],
        )?
        .map(|row| Ok::<_, ArchiveError>((from_sql_int(row.try_get(0)?)?, row.try_get(1)?)))
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
             prev_chain, chain) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &to_sql_int(link.seq)?,
                &stored.case_id,
                &to_sql_int(stored.case_seq)?,
                &stored.event,
                &to_sql_int(stored.at.millis())?,
                &stored.by,
                &stored.json,
                &link.prev_chain,
                &link.chain,
            ],
        )?;
        // The statistics' facts of the case, in the same transaction.
        super::facts::on_case_entry(tx, id.as_str(), entry)?;
        head = Some((link.seq, link.chain));
    }
    Ok(())
}

pub(super) fn append(
    client: &mut Client,
    id: &CaseId,
    after: u64,
    entries: &[Entry],
) -> Result<Appended, ArchiveError> {
    let mut tx = client.transaction()?;
    // The check of the case's last entry and the append happen under the log's lock.
    lock_chain(&mut tx, "case_log")?;
    let last: Option<i64> = tx
        .query_one(
            "SELECT MAX(case_seq) FROM case_log WHERE case_id = $1",
            &[&id.as_str()],
        )?
        .try_get(0)?;
    let Some(last) = last.map(from_sql_int).transpose()? else {
        return Ok(Appended::NoSuchCase);
    };
    if last != after {
        return Ok(Appended::Stale { last });
    }
    insert_entries(&mut tx, id, last + 1, entries)?;
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

pub(super) fn case_log(client: &mut Client, id: &CaseId) -> Result<Vec<LoggedEntry>, ArchiveError> {
    let rows = client.query(
        "SELECT entry_json FROM case_log WHERE case_id = $1 ORDER BY case_seq",
        &[&id.as_str()],
    )?;
    rows.iter().map(|row| logged(row.try_get(0)?)).collect()
}

pub(super) fn open_case_logs(
    client: &mut Client,
) -> Result<Vec<(CaseId, Vec<LoggedEntry>)>, ArchiveError> {
    let rows = client.query(
        "SELECT case_id, entry_json FROM case_log WHERE case_id NOT IN \
         (SELECT case_id FROM case_log WHERE event = 'closed') ORDER BY case_id, case_seq",
        &[],
    )?;
    let mut cases: Vec<(CaseId, Vec<LoggedEntry>)> = Vec::new();
    for row in &rows {
        let case_id: &str = row.try_get(0)?;
        let entry = logged(row.try_get(1)?)?;
        match cases.last_mut() {
            Some((id, entries)) if id.as_str() == case_id => entries.push(entry),
            _ => {
                let id = CaseId::parse(case_id)
                    .ok_or_else(|| ArchiveError::Corrupt(format!("case id {case_id:?}")))?;
                cases.push((id, vec![entry]));
            }
        }
    }
    Ok(cases)
}

pub(super) fn case_log_rows(
    client: &mut Client,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<CaseLogRow>, ArchiveError> {
    let rows = client.query(
        "SELECT id, seq, case_id, case_seq, event, at, actor, entry_json, prev_chain, chain \
         FROM case_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        &[&to_sql_int(after_seq)?, &i64::from(limit)],
    )?;
    rows.iter()
        .map(|row| {
            Ok(CaseLogRow {
                rowid: row.try_get(0)?,
                seq: from_sql_int(row.try_get(1)?)?,
                case_id: row.try_get(2)?,
                case_seq: from_sql_int(row.try_get(3)?)?,
                event: row.try_get(4)?,
                at: from_sql_int(row.try_get(5)?)?,
                actor: row.try_get(6)?,
                entry_json: row.try_get(7)?,
                prev_chain: row.try_get(8)?,
                chain: row.try_get(9)?,
            })
        })
        .collect()
}
