//! Writing to the archive: a verified record with what it raises, a termination report, an SMS.
//! Nothing here updates or deletes (R4); the chain link is the domain's ([`next_link`]).

use crate::archive::chain::next_link;
use crate::archive::sqlite::cases::insert_entries;
use crate::archive::sqlite::convert::{from_sql_int, to_sql_int};
use crate::archive::{ArchiveError, Archived, NewRecord, NewSms, PolicyTermination, Termination};
use crate::casework::log::SYSTEM;
use crate::casework::CaseId;
use huifang_core::casework::{CaseEvent, Entry};
use huifang_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

pub(super) fn archive_record(
    conn: &mut Connection,
    r: &NewRecord,
) -> Result<Archived, ArchiveError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let archived = insert_record(&tx, r)?;
    tx.commit()?;
    Ok(archived)
}

/// Stores `records` in one transaction, each as [`archive_record`] would, in order: all of them
/// or, if anything fails, none (the group commit's batch; issue 19, R3).
pub(super) fn archive_records(
    conn: &mut Connection,
    records: &[&NewRecord],
) -> Result<Vec<Archived>, ArchiveError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let answers = records
        .iter()
        .map(|r| insert_record(&tx, r))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit()?;
    Ok(answers)
}

/// Archives many records in one transaction, each exactly as [`archive_record`] would, then
/// appends the given case entries (after the openings): how the scale bench writes a million
/// synthetic records without a commit per record.
#[cfg(feature = "bench")]
pub(super) fn archive_batch(
    conn: &mut Connection,
    records: &[NewRecord],
    entries: &[(CaseId, u64, Entry)],
) -> Result<(), ArchiveError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for r in records {
        insert_record(&tx, r)?;
    }
    for (id, case_seq, entry) in entries {
        insert_entries(&tx, id, *case_seq, std::slice::from_ref(entry))?;
    }
    tx.commit()?;
    Ok(())
}

/// The body of [`archive_record`], inside the caller's transaction.
fn insert_record(tx: &rusqlite::Transaction<'_>, r: &NewRecord) -> Result<Archived, ArchiveError> {
    let existing: Option<String> = tx
        .prepare_cached("SELECT record_hash FROM records WHERE revisit_id = ?1")?
        .query_row([r.revisit_id.as_str()], |row| row.get(0))
        .optional()?;
    let received_at = to_sql_int(r.received_at.millis())?;
    let archived = match existing {
        None => Archived::Inserted,
        Some(hash) if hash == r.record_hash => Archived::Duplicate,
        Some(_) => Archived::Conflict,
    };
    let outcome = match archived {
        Archived::Inserted => "inserted",
        Archived::Duplicate => "duplicate",
        Archived::Conflict => "conflict",
    };
    tx.prepare_cached(
        "INSERT INTO deliveries (revisit_id, record_hash, received_at, outcome) \
             VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        r.revisit_id.as_str(),
        r.record_hash,
        received_at,
        outcome
    ])?;
    if archived != Archived::Inserted {
        return Ok(archived);
    }
    // R4: the next link of the archive chain, inside the same transaction as the insert, so
    // that concurrent deliveries get distinct, consecutive seq numbers.
    let last: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, chain FROM records ORDER BY seq DESC LIMIT 1")?
        .query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let head = last
        .map(|(seq, chain)| from_sql_int(seq).map(|seq| (seq, chain)))
        .transpose()?;
    let link = next_link(
        head.as_ref().map(|(seq, chain)| (*seq, chain.as_str())),
        &r.record_hash,
        r.revisit_id.as_str(),
        r.received_at,
    );
    tx.prepare_cached(
        "INSERT INTO records (revisit_id, policy_number, outcome, record_hash, key_id, \
             received_at, sealed_json, seq, prev_chain, chain) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        r.revisit_id.as_str(),
        r.policy_number,
        r.outcome,
        r.record_hash,
        r.key_id,
        received_at,
        r.sealed_json,
        to_sql_int(link.seq)?,
        link.prev_chain,
        link.chain
    ])?;
    // The statistics' facts (R14, R15), before the cases, which take their grouping from them.
    super::facts::insert_revisit(tx, r.revisit_id.as_str(), &r.sealed_json)?;
    for case in &r.problem_cases {
        let answered_at = case
            .answered_at
            .map(|t| to_sql_int(t.millis()))
            .transpose()?;
        tx.prepare_cached(
            "INSERT INTO problem_cases (revisit_id, policy_number, item_index, item_id, \
                 comment, answered_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            r.revisit_id.as_str(),
            r.policy_number,
            to_sql_int(case.item_index as u64)?,
            case.item_id,
            case.comment,
            answered_at,
            received_at
        ])?;
    }
    // R11, R12: the cases the record opens, with it or not at all.
    for (number, opening) in (1..).zip(&r.cases) {
        // Opened when discovered: at the record's receipt (the casework's time, which only a
        // test moves, `serve --test-casework-time`).
        let opened = Entry {
            at: opening.discovered_at,
            by: SYSTEM.to_string(),
            event: CaseEvent::Opened(opening.clone()),
        };
        insert_entries(tx, &CaseId::of(&r.revisit_id, number), 1, &[opened])?;
    }
    if let Some(task) = &r.phone_task {
        tx.prepare_cached(
            "INSERT INTO phone_tasks (revisit_id, policy_number, reason, due_by, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            r.revisit_id.as_str(),
            r.policy_number,
            task.reason,
            to_sql_int(task.due_by.millis())?,
            received_at
        ])?;
    }
    Ok(Archived::Inserted)
}

pub(super) fn report_termination(
    conn: &mut Connection,
    t: &Termination,
) -> Result<PolicyTermination, ArchiveError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let terminated_at = to_sql_int(t.terminated_at.millis())?;
    let known = tx
        .query_row(
            "SELECT 1 FROM terminations WHERE policy_number = ?1 AND terminated_at = ?2",
            params![t.policy_number, terminated_at],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !known {
        tx.execute(
            "INSERT INTO terminations (policy_number, terminated_at, reported_at) \
                 VALUES (?1, ?2, ?3)",
            params![
                t.policy_number,
                terminated_at,
                to_sql_int(t.reported_at.millis())?
            ],
        )?;
    }
    let (latest, records): (i64, i64) = tx.query_row(
        "SELECT (SELECT MAX(terminated_at) FROM terminations WHERE policy_number = ?1), \
             (SELECT COUNT(*) FROM records WHERE policy_number = ?1)",
        [&t.policy_number],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    tx.commit()?;
    Ok(PolicyTermination {
        recorded: !known,
        terminated_at: Timestamp::from_millis(from_sql_int(latest)?),
        records: from_sql_int(records)?,
    })
}

pub(super) fn append_sms(conn: &Connection, sms: &NewSms) -> Result<u64, ArchiveError> {
    conn.execute(
        "INSERT INTO sms_outbox (revisit_id, phone, text, received_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            sms.revisit_id.as_str(),
            sms.phone.as_str(),
            sms.text,
            to_sql_int(sms.received_at.millis())?
        ],
    )?;
    from_sql_int(conn.last_insert_rowid())
}
