//! The archive's tables as plain rows on PostgreSQL, for `copy-archive`
//! ([`crate::archive::tables`]).

use crate::archive::postgres::convert::{from_sql_int, Params};
use crate::archive::tables::{Cell, Kind, Table};
use crate::archive::ArchiveError;
use postgres::Client;

fn bind(p: &mut Params, cell: &Cell) -> String {
    match cell {
        Cell::Int(v) => p.bind(*v),
        Cell::Text(v) => p.bind(v.clone()),
    }
}

pub(super) fn read_rows(
    client: &mut Client,
    table: &Table,
    after: Option<&Cell>,
    limit: u32,
) -> Result<Vec<Vec<Cell>>, ArchiveError> {
    let (columns, key) = (table.column_list(), table.key_name());
    let mut p = Params::default();
    let filter = match after {
        Some(cell) => format!("WHERE {key} > {}", bind(&mut p, cell)),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {columns} FROM {} {filter} ORDER BY {key} LIMIT {}",
        table.name,
        p.bind(i64::from(limit))
    );
    let rows = client.query(&sql, &p.refs())?;
    rows.iter()
        .map(|row| {
            table
                .columns
                .iter()
                .enumerate()
                .map(|(i, (_, kind))| {
                    Ok(match kind {
                        Kind::Int => Cell::Int(row.try_get(i)?),
                        Kind::Text => Cell::Text(row.try_get(i)?),
                    })
                })
                .collect()
        })
        .collect()
}

pub(super) fn write_rows(
    client: &mut Client,
    table: &Table,
    rows: &[Vec<Cell>],
) -> Result<(), ArchiveError> {
    let mut tx = client.transaction()?;
    // Several rows per statement (PostgreSQL takes up to 65,535 parameters): fewer round trips.
    for chunk in rows.chunks(500) {
        let mut p = Params::default();
        let tuples: Vec<String> = chunk
            .iter()
            .map(|row| {
                let values: Vec<String> = row.iter().map(|cell| bind(&mut p, cell)).collect();
                format!("({})", values.join(", "))
            })
            .collect();
        tx.execute(
            &format!(
                "INSERT INTO {} ({}) VALUES {}",
                table.name,
                table.column_list(),
                tuples.join(", ")
            ),
            &p.refs(),
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn count_rows(client: &mut Client, table: &Table) -> Result<u64, ArchiveError> {
    let n: i64 = client
        .query_one(&format!("SELECT COUNT(*) FROM {}", table.name), &[])?
        .try_get(0)?;
    from_sql_int(n)
}

/// Moves the identity sequence of `table`'s integer key (if it has one) past the rows copied in.
pub(super) fn rows_written(client: &mut Client, table: &Table) -> Result<(), ArchiveError> {
    let key = table.key_name();
    if table.columns[table.key].1 != Kind::Int || key == "seq" {
        return Ok(());
    }
    client.execute(
        &format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), MAX({key})) FROM {}",
            table.name
        ),
        &[&table.name, &key],
    )?;
    Ok(())
}
