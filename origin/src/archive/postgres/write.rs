//! Writing to the archive: a verified record with what it raises, a termination report, an SMS.
//! Nothing here updates or deletes (R4); the chain link is the domain's ([`next_link`]).

use crate::archive::chain::next_link;
use crate::archive::postgres::cases::insert_entries;
use crate::archive::postgres::convert::{from_sql_int, to_sql_int};
use crate::archive::postgres::locks::lock_chain;
use crate::archive::{ArchiveError, Archived, NewRecord, NewSms, PolicyTermination, Termination};
use crate::casework::log::SYSTEM;
use crate::casework::CaseId;
use huifang_core::casework::{CaseEvent, Entry};
use huifang_core::Timestamp;
use postgres::{Client, Transaction};

/// What storing `r` would be, given what the archive holds for its revisit.
fn outcome_of(tx: &mut Transaction<'_>, r: &NewRecord) -> Result<Archived, ArchiveError> {
    let existing = tx.query_opt(
        "SELECT record_hash FROM records WHERE revisit_id = $1",
        &[&r.revisit_id.as_str()],
    )?;
    Ok(match existing.map(|row| row.get::<_, String>(0)) {
        None => Archived::Inserted,
        Some(hash) if hash == r.record_hash => Archived::Duplicate,
        Some(_) => Archived::Conflict,
    })
}

pub(super) fn archive_record(client: &mut Client, r: &NewRecord) -> Result<Archived, ArchiveError> {
    let mut tx = client.transaction()?;
    // A repeated delivery is answered without waiting for the chain; a new record is looked up
    // again under the chain's lock, as another origin may have stored it meanwhile.
    let mut archived = outcome_of(&mut tx, r)?;
    if archived == Archived::Inserted {
        lock_chain(&mut tx, "records")?;
        archived = outcome_of(&mut tx, r)?;
    }
    log_delivery(&mut tx, r, archived)?;
    if archived == Archived::Inserted {
        insert_new(&mut tx, r)?;
    }
    tx.commit()?;
    Ok(archived)
}

/// Stores `records` in one transaction under the chain's lock, each as [`archive_record`] would,
/// in order: all of them or, if anything fails (the commit included), none (the group commit's
/// batch; issue 19, R3).
pub(super) fn archive_records(
    client: &mut Client,
    records: &[&NewRecord],
) -> Result<Vec<Archived>, ArchiveError> {
    let mut tx = client.transaction()?;
    lock_chain(&mut tx, "records")?;
    let mut answers = Vec::with_capacity(records.len());
    for r in records {
        let archived = outcome_of(&mut tx, r)?;
        log_delivery(&mut tx, r, archived)?;
        if archived == Archived::Inserted {
            insert_new(&mut tx, r)?;
        }
        answers.push(archived);
    }
    tx.commit()?;
    Ok(answers)
}

/// Every delivery is logged, whatever its outcome.
fn log_delivery(
    tx: &mut Transaction<'_>,
    r: &NewRecord,
    archived: Archived,
) -> Result<(), ArchiveError> {
    let outcome = match archived {
        Archived::Inserted => "inserted",
        Archived::Duplicate => "duplicate",
        Archived::Conflict => "conflict",
    };
    tx.execute(
        "INSERT INTO deliveries (revisit_id, record_hash, received_at, outcome) \
         VALUES ($1, $2, $3, $4)",
        &[
            &r.revisit_id.as_str(),
            &r.record_hash,
            &to_sql_int(r.received_at.millis())?,
            &outcome,
        ],
    )?;
    Ok(())
}

/// A new record with what it raises, under the chain's lock (R4: the next link, read under the
/// lock and inserted in the same transaction).
fn insert_new(tx: &mut Transaction<'_>, r: &NewRecord) -> Result<(), ArchiveError> {
    let received_at = to_sql_int(r.received_at.millis())?;
    let head = tx
        .query_opt(
            "SELECT seq, chain FROM records ORDER BY seq DESC LIMIT 1",
            &[],
        )?
        .map(|row| from_sql_int(row.get(0)).map(|seq| (seq, row.get::<_, String>(1))))
        .transpose()?;
    let link = next_link(
        head.as_ref().map(|(seq, chain)| (*seq, chain.as_str())),
        &r.record_hash,
        r.revisit_id.as_str(),
        r.received_at,
    );
    tx.execute(
        "INSERT INTO records (revisit_id, policy_number, outcome, record_hash, key_id, \
         received_at, sealed_json, seq, prev_chain, chain) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            &r.revisit_id.as_str(),
            &r.policy_number,
            &r.outcome,
            &r.record_hash,
            &r.key_id,
            &received_at,
            &r.sealed_json,
            &to_sql_int(link.seq)?,
            &link.prev_chain,
            &link.chain,
        ],
    )?;
    // The statistics' facts (R14, R15), before the cases, which take their grouping from them.
    super::facts::insert_revisit(tx, r.revisit_id.as_str(), &r.sealed_json)?;
    for case in &r.problem_cases {
        let answered_at = case
            .answered_at
            .map(|t| to_sql_int(t.millis()))
            .transpose()?;
        tx.execute(
            "INSERT INTO problem_cases (revisit_id, policy_number, item_index, item_id, \
             comment, answered_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &r.revisit_id.as_str(),
                &r.policy_number,
                &to_sql_int(case.item_index as u64)?,
                &case.item_id,
                &case.comment,
                &answered_at,
                &received_at,
            ],
        )?;
    }
    // R11, R12: the cases the record opens, with it or not at all.
    for (number, opening) in (1..).zip(&r.cases) {
        let opened = Entry {
            at: r.received_at,
            by: SYSTEM.to_string(),
            event: CaseEvent::Opened(opening.clone()),
        };
        insert_entries(tx, &CaseId::of(&r.revisit_id, number), 1, &[opened])?;
    }
    if let Some(task) = &r.phone_task {
        tx.execute(
            "INSERT INTO phone_tasks (revisit_id, policy_number, reason, due_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &r.revisit_id.as_str(),
                &r.policy_number,
                &task.reason,
                &to_sql_int(task.due_by.millis())?,
                &received_at,
            ],
        )?;
    }
    Ok(())
}

pub(super) fn report_termination(
    client: &mut Client,
    t: &Termination,
) -> Result<PolicyTermination, ArchiveError> {
    let mut tx = client.transaction()?;
    let terminated_at = to_sql_int(t.terminated_at.millis())?;
    // The unique key stores a date once, however many origins receive the report at once.
    let recorded = tx.execute(
        "INSERT INTO terminations (policy_number, terminated_at, reported_at) \
         VALUES ($1, $2, $3) ON CONFLICT (policy_number, terminated_at) DO NOTHING",
        &[
            &t.policy_number,
            &terminated_at,
            &to_sql_int(t.reported_at.millis())?,
        ],
    )? == 1;
    let row = tx.query_one(
        "SELECT (SELECT MAX(terminated_at) FROM terminations WHERE policy_number = $1), \
         (SELECT COUNT(*) FROM records WHERE policy_number = $1)",
        &[&t.policy_number],
    )?;
    let latest: Option<i64> = row.get(0);
    let records: i64 = row.get(1);
    tx.commit()?;
    Ok(PolicyTermination {
        recorded,
        terminated_at: Timestamp::from_millis(from_sql_int(latest.unwrap_or(terminated_at))?),
        records: from_sql_int(records)?,
    })
}

pub(super) fn append_sms(client: &mut Client, sms: &NewSms) -> Result<u64, ArchiveError> {
    let row = client.query_one(
        "INSERT INTO sms_outbox (revisit_id, phone, text, received_at) \
         VALUES ($1, $2, $3, $4) RETURNING message_id",
        &[
            &sms.revisit_id.as_str(),
            &sms.phone.as_str(),
            &sms.text,
            &to_sql_int(sms.received_at.millis())?,
        ],
    )?;
    from_sql_int(row.get(0))
}
