//! Between the archive's values and PostgreSQL's: BIGINT is signed, the archive counts and times in
//! unsigned integers; the driver's and the pool's errors become [`ArchiveError`]s.

use crate::archive::ArchiveError;

impl From<postgres::Error> for ArchiveError {
    fn from(e: postgres::Error) -> Self {
        // The server's own message (e.g. "archived records are append-only") is in the source.
        match e.as_db_error() {
            Some(db) => Self::Storage(format!("postgres: {}: {}", db.code().code(), db.message())),
            None => {
                // The driver's own words and their causes (e.g. "error connecting to server:
                // Connection refused").
                let mut text = format!("postgres: {e}");
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    let more = c.to_string();
                    if !text.ends_with(&more) {
                        text.push_str(&format!(": {more}"));
                    }
                    cause = c.source();
                }
                Self::Storage(text)
            }
        }
    }
}

impl From<r2d2::Error> for ArchiveError {
    fn from(e: r2d2::Error) -> Self {
        Self::Storage(format!("postgres connection pool: {e}"))
    }
}

/// An unsigned value as BIGINT.
pub(super) fn to_sql_int(value: u64) -> Result<i64, ArchiveError> {
    i64::try_from(value).map_err(|_| ArchiveError::Storage(format!("{value} does not fit")))
}

/// A stored BIGINT read back as unsigned; a negative one is corrupt.
pub(super) fn from_sql_int(value: i64) -> Result<u64, ArchiveError> {
    u64::try_from(value).map_err(|_| ArchiveError::Corrupt(format!("negative value {value}")))
}

/// Parameters of a query built piece by piece: each value bound gets the next `$n`.
#[derive(Default)]
pub(super) struct Params {
    values: Vec<Box<dyn postgres::types::ToSql + Sync + Send>>,
}

impl Params {
    /// Binds `value`; returns its placeholder.
    pub(super) fn bind(
        &mut self,
        value: impl postgres::types::ToSql + Sync + Send + 'static,
    ) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    /// The values as the driver takes them.
    pub(super) fn refs(&self) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
        self.values
            .iter()
            .map(|v| v.as_ref() as &(dyn postgres::types::ToSql + Sync))
            .collect()
    }
}
