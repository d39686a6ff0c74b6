//! The chains' locks: one row per chain in `chain_locks`, taken `FOR UPDATE` by every append, so
//! that origins sharing one database never fork a chain (issue 17).

use crate::archive::ArchiveError;
use postgres::Transaction;

/// Takes the lock of chain `name` (`records`, `case_log` or `sample_log`) until the transaction
/// ends: the head read after it is the head the append links to, whichever origin appends next.
/// Taken in that order (records, case_log, sample_log) by every writer, so that two writers never
/// wait on each other.
pub(super) fn lock_chain(tx: &mut Transaction<'_>, name: &str) -> Result<(), ArchiveError> {
    let locked = tx.query_opt(
        "SELECT chain FROM chain_locks WHERE chain = $1 FOR UPDATE",
        &[&name],
    )?;
    match locked {
        Some(_) => Ok(()),
        None => Err(ArchiveError::Corrupt(format!(
            "chain_locks has no row {name:?}: appends are refused rather than unserialised"
        ))),
    }
}
