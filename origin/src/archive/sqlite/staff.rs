//! The console's staff accounts, sessions and staff log in the archive's SQLite file
//! (`0004_staff.sql`). The staff log is only inserted into; its triggers refuse the rest.

use crate::archive::sqlite::convert::{from_sql_int, to_sql_int};
use crate::archive::ArchiveError;
use crate::console::accounts::{parse_role, role_name, LiveSession, StaffAccount, StaffLogEntry};
use huifang_core::casework::Role;
use huifang_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension, Row};

fn ms(t: Timestamp) -> Result<i64, ArchiveError> {
    to_sql_int(t.millis())
}

type AccountRow = (String, String, String, Option<String>, String, bool);

fn account(row: &Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

fn typed(
    (staff_id, display_name, role, seller_code, password_hash, disabled): AccountRow,
) -> Result<StaffAccount, ArchiveError> {
    let role = parse_role(&role)
        .ok_or_else(|| ArchiveError::Corrupt(format!("staff {staff_id}: unknown role")))?;
    Ok(StaffAccount {
        staff_id,
        display_name,
        role,
        seller_code,
        password_hash,
        disabled,
    })
}

const ACCOUNT_COLUMNS: &str = "s.staff_id, s.display_name, s.role, s.seller_code, \
     s.password_hash, s.disabled_at IS NOT NULL";

pub(super) fn add_staff(
    conn: &Connection,
    a: &StaffAccount,
    now: Timestamp,
) -> Result<bool, ArchiveError> {
    let added = conn.execute(
        "INSERT INTO staff (staff_id, display_name, role, seller_code, password_hash, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (staff_id) DO NOTHING",
        params![
            a.staff_id,
            a.display_name,
            role_name(a.role),
            a.seller_code,
            a.password_hash,
            ms(now)?
        ],
    )?;
    Ok(added == 1)
}

pub(super) fn staff(conn: &Connection, id: &str) -> Result<Option<StaffAccount>, ArchiveError> {
    conn.query_row(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM staff s WHERE s.staff_id = ?1"),
        [id],
        account,
    )
    .optional()?
    .map(typed)
    .transpose()
}

pub(super) fn start_session(
    conn: &Connection,
    id_sha256: &str,
    staff_id: &str,
    csrf_token: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), ArchiveError> {
    conn.execute(
        "INSERT INTO staff_sessions (id_sha256, staff_id, csrf_token, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id_sha256, staff_id, csrf_token, ms(now)?, ms(expires_at)?],
    )?;
    Ok(())
}

pub(super) fn session(
    conn: &Connection,
    id_sha256: &str,
    now: Timestamp,
) -> Result<Option<LiveSession>, ArchiveError> {
    let found = conn
        .query_row(
            &format!(
                "SELECT {ACCOUNT_COLUMNS}, x.csrf_token FROM staff_sessions x \
                 JOIN staff s ON s.staff_id = x.staff_id \
                 WHERE x.id_sha256 = ?1 AND x.ended_at IS NULL AND x.expires_at > ?2 \
                 AND s.disabled_at IS NULL"
            ),
            params![id_sha256, ms(now)?],
            |row| Ok((account(row)?, row.get::<_, String>(6)?)),
        )
        .optional()?;
    found
        .map(|(row, csrf_token)| {
            Ok(LiveSession {
                account: typed(row)?,
                csrf_token,
                id_sha256: id_sha256.to_string(),
            })
        })
        .transpose()
}

pub(super) fn end_session(
    conn: &Connection,
    id_sha256: &str,
    now: Timestamp,
) -> Result<(), ArchiveError> {
    conn.execute(
        "UPDATE staff_sessions SET ended_at = ?2 WHERE id_sha256 = ?1 AND ended_at IS NULL",
        params![id_sha256, ms(now)?],
    )?;
    Ok(())
}

pub(super) fn log_staff_action(conn: &Connection, e: &StaffLogEntry) -> Result<(), ArchiveError> {
    conn.execute(
        "INSERT INTO staff_log (at, staff_id, action, target, outcome) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![ms(e.at)?, e.staff_id, e.action, e.target, e.outcome],
    )?;
    Ok(())
}

pub(super) fn count_actions_since(
    conn: &Connection,
    staff_id: &str,
    action: &str,
    since: Timestamp,
) -> Result<u32, ArchiveError> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM staff_log WHERE staff_id = ?1 AND action = ?2 AND at >= ?3",
        params![staff_id, action, ms(since)?],
        |row| row.get(0),
    )?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub(super) fn staff_log(conn: &Connection, limit: u32) -> Result<Vec<StaffLogEntry>, ArchiveError> {
    let mut stmt = conn.prepare(
        "SELECT at, staff_id, action, target, outcome FROM staff_log ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
        ))
    })?;
    rows.map(|row| {
        let (at, staff_id, action, target, outcome) = row?;
        Ok(StaffLogEntry {
            at: Timestamp::from_millis(from_sql_int(at)?),
            staff_id,
            action,
            target,
            outcome,
        })
    })
    .collect()
}

pub(super) fn list_staff(conn: &Connection) -> Result<Vec<StaffAccount>, ArchiveError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM staff s ORDER BY s.staff_id"
    ))?;
    let rows = stmt.query_map([], account)?;
    rows.map(|row| typed(row?)).collect()
}

pub(super) fn set_role(conn: &Connection, id: &str, role: Role) -> Result<bool, ArchiveError> {
    let changed = conn.execute(
        "UPDATE staff SET role = ?2 WHERE staff_id = ?1 AND disabled_at IS NULL",
        params![id, role_name(role)],
    )?;
    Ok(changed == 1)
}

pub(super) fn disable_staff(
    conn: &mut Connection,
    id: &str,
    now: Timestamp,
) -> Result<bool, ArchiveError> {
    let tx = conn.transaction()?;
    let changed = tx.execute(
        "UPDATE staff SET disabled_at = ?2 WHERE staff_id = ?1 AND disabled_at IS NULL",
        params![id, ms(now)?],
    )?;
    tx.execute(
        "UPDATE staff_sessions SET ended_at = ?2 WHERE staff_id = ?1 AND ended_at IS NULL",
        params![id, ms(now)?],
    )?;
    tx.commit()?;
    Ok(changed == 1)
}
