//! The archive's tables as plain rows on SQLite, for `copy-archive` ([`crate::archive::tables`]).

use crate::archive::tables::{Cell, Kind, Table};
use crate::archive::ArchiveError;
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection};

fn value(cell: &Cell) -> Value {
    match cell {
        Cell::Int(Some(v)) => Value::Integer(*v),
        Cell::Text(Some(v)) => Value::Text(v.clone()),
        Cell::Int(None) | Cell::Text(None) => Value::Null,
    }
}

pub(super) fn read_rows(
    conn: &Connection,
    table: &Table,
    after: Option<&Cell>,
    limit: u32,
) -> Result<Vec<Vec<Cell>>, ArchiveError> {
    let (columns, key) = (table.column_list(), table.key_name());
    let mut values = Vec::new();
    let filter = match after {
        Some(cell) => {
            values.push(value(cell));
            format!("WHERE {key} > ?1")
        }
        None => String::new(),
    };
    values.push(Value::Integer(i64::from(limit)));
    let sql = format!(
        "SELECT {columns} FROM {} {filter} ORDER BY {key} LIMIT ?{}",
        table.name,
        values.len()
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |row| {
        table
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| {
                Ok(match kind {
                    Kind::Int => Cell::Int(row.get(i)?),
                    Kind::Text => Cell::Text(row.get(i)?),
                })
            })
            .collect::<rusqlite::Result<Vec<_>>>()
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn write_rows(
    conn: &mut Connection,
    table: &Table,
    rows: &[Vec<Cell>],
) -> Result<(), ArchiveError> {
    let placeholders = (1..=table.columns.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({placeholders})",
        table.name,
        table.column_list()
    );
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare(&sql)?;
        for row in rows {
            stmt.execute(params_from_iter(row.iter().map(value)))?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn count_rows(conn: &Connection, table: &Table) -> Result<u64, ArchiveError> {
    let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {}", table.name), [], |r| {
        r.get(0)
    })?;
    super::convert::from_sql_int(n)
}
