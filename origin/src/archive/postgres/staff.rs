//! The console's staff accounts, sessions and staff log in the archive's database
//! (`0004_staff.sql`). The staff log is only inserted into; its triggers refuse the rest.

use crate::archive::postgres::convert::{from_sql_int, to_sql_int};
use crate::archive::ArchiveError;
use crate::console::accounts::{parse_role, role_name, LiveSession, StaffAccount, StaffLogEntry};
use huifang_core::casework::Role;
use huifang_core::Timestamp;
use postgres::{Client, Row};

fn ms(t: Timestamp) -> Result<i64, ArchiveError> {
    to_sql_int(t.millis())
}

const ACCOUNT_COLUMNS: &str = "s.staff_id, s.display_name, s.role, s.seller_code, \
     s.password_hash, s.disabled_at IS NOT NULL";

fn account(row: &Row) -> Result<StaffAccount, ArchiveError> {
    let staff_id: String = row.try_get(0)?;
    let role: &str = row.try_get(2)?;
    let role = parse_role(role)
        .ok_or_else(|| ArchiveError::Corrupt(format!("staff {staff_id}: unknown role")))?;
    Ok(StaffAccount {
        display_name: row.try_get(1)?,
        role,
        seller_code: row.try_get(3)?,
        password_hash: row.try_get(4)?,
        disabled: row.try_get(5)?,
        staff_id,
    })
}

pub(super) fn add_staff(
    client: &mut Client,
    a: &StaffAccount,
    now: Timestamp,
) -> Result<bool, ArchiveError> {
    let added = client.execute(
        "INSERT INTO staff (staff_id, display_name, role, seller_code, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (staff_id) DO NOTHING",
        &[
            &a.staff_id,
            &a.display_name,
            &role_name(a.role),
            &a.seller_code,
            &a.password_hash,
            &ms(now)?,
        ],
    )?;
    Ok(added == 1)
}

pub(super) fn staff(client: &mut Client, id: &str) -> Result<Option<StaffAccount>, ArchiveError> {
    client
        .query_opt(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM staff s WHERE s.staff_id = $1"),
            &[&id],
        )?
        .as_ref()
        .map(account)
        .transpose()
}

pub(super) fn start_session(
    client: &mut Client,
    id_sha256: &str,
    staff_id: &str,
    csrf_token: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), ArchiveError> {
    client.execute(
        "INSERT INTO staff_sessions (id_sha256, staff_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &id_sha256,
            &staff_id,
            &csrf_token,
            &ms(now)?,
            &ms(expires_at)?,
        ],
    )?;
    Ok(())
}

pub(super) fn session(
    client: &mut Client,
    id_sha256: &str,
    now: Timestamp,
) -> Result<Option<LiveSession>, ArchiveError> {
    let found = client.query_opt(
        &format!(
            "SELECT {ACCOUNT_COLUMNS}, x.csrf_token FROM staff_sessions x \
             JOIN staff s ON s.staff_id = x.staff_id \
             WHERE x.id_sha256 = $1 AND x.ended_at IS NULL AND x.expires_at > $2 \
             AND s.disabled_at IS NULL"
        ),
        &[&id_sha256, &ms(now)?],
    )?;
    found
        .map(|row| {
            Ok(LiveSession {
                account: account(&row)?,
                csrf_token: row.try_get(6)?,
                id_sha256: id_sha256.to_string(),
            })
        })
        .transpose()
}

pub(super) fn end_session(
    client: &mut Client,
    id_sha256: &str,
    now: Timestamp,
) -> Result<(), ArchiveError> {
    client.execute(
        "UPDATE staff_sessions SET ended_at = $2 WHERE id_sha256 = $1 AND ended_at IS NULL",
        &[&id_sha256, &ms(now)?],
    )?;
    Ok(())
}

pub(super) fn log_staff_action(client: &mut Client, e: &StaffLogEntry) -> Result<(), ArchiveError> {
    client.execute(
        "INSERT INTO staff_log (at, staff_id, action, target, outcome) VALUES ($1, $2, $3, $4, $5)",
        &[&ms(e.at)?, &e.staff_id, &e.action, &e.target, &e.outcome],
    )?;
    Ok(())
}

pub(super) fn count_actions_since(
    client: &mut Client,
    staff_id: &str,
    action: &str,
    since: Timestamp,
) -> Result<u32, ArchiveError> {
    let n: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM staff_log WHERE staff_id = $1 AND action = $2 AND at >= $3",
            &[&staff_id, &action, &ms(since)?],
        )?
        .try_get(0)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub(super) fn staff_log(
    client: &mut Client,
    limit: u32,
) -> Result<Vec<StaffLogEntry>, ArchiveError> {
    let rows = client.query(
        "SELECT at, staff_id, action, target, outcome FROM staff_log ORDER BY id DESC LIMIT $1",
        &[&i64::from(limit)],
    )?;
    rows.iter()
        .map(|row| {
            Ok(StaffLogEntry {
                at: Timestamp::from_millis(from_sql_int(row.try_get(0)?)?),
                staff_id: row.try_get(1)?,
                action: row.try_get(2)?,
                target: row.try_get(3)?,
                outcome: row.try_get(4)?,
            })
        })
        .collect()
}

pub(super) fn list_staff(client: &mut Client) -> Result<Vec<StaffAccount>, ArchiveError> {
    client
        .query(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM staff s ORDER BY s.staff_id COLLATE \"C\""),
            &[],
        )?
        .iter()
        .map(account)
        .collect()
}

pub(super) fn set_role(client: &mut Client, id: &str, role: Role) -> Result<bool, ArchiveError> {
    let changed = client.execute(
        "UPDATE staff SET role = $2 WHERE staff_id = $1 AND disabled_at IS NULL",
        &[&id, &role_name(role)],
    )?;
    Ok(changed == 1)
}

/// Disables the account and ends its sessions, in one transaction.
pub(super) fn disable_staff(
    client: &mut Client,
    id: &str,
    now: Timestamp,
) -> Result<bool, ArchiveError> {
    let mut tx = client.transaction()?;
    let changed = tx.execute(
        "UPDATE staff SET disabled_at = $2 WHERE staff_id = $1 AND disabled_at IS NULL",
        &[&id, &ms(now)?],
    )?;
    tx.execute(
        "UPDATE staff_sessions SET ended_at = $2 WHERE staff_id = $1 AND ended_at IS NULL",
        &[&id, &ms(now)?],
    )?;
    tx.commit()?;
    Ok(changed == 1)
}
