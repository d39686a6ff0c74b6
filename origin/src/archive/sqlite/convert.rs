//! Between the archive's integers and SQLite's: SQLite stores signed 64-bit integers, the archive
//! counts and times in unsigned ones.

use crate::archive::ArchiveError;

impl From<rusqlite::Error> for ArchiveError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

/// An unsigned value as SQLite stores it.
pub(super) fn to_sql_int(value: u64) -> Result<i64, ArchiveError> {
    i64::try_from(value).map_err(|_| ArchiveError::Storage(format!("{value} does not fit")))
}

/// A stored value read back as unsigned; a negative one is corrupt.
pub(super) fn from_sql_int(value: i64) -> Result<u64, ArchiveError> {
    u64::try_from(value).map_err(|_| ArchiveError::Corrupt(format!("negative value {value}")))
}
