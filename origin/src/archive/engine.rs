//! Which engine keeps the archive, chosen once from `--db` / `HUIFANG_ORIGIN_DB` (issue 17):
//! `sqlite:FILE` or a plain `FILE` (the embedded default, as before), or `postgres://…` /
//! `postgresql://…` (a PostgreSQL server). [`Db::open`] gives the one [`Store`] every handler and
//! command then uses through its traits.

use crate::archive::postgres::PgArchive;
use crate::archive::sqlite::SqliteArchive;
use crate::archive::tables::Tables;
use crate::archive::{Archive, ArchiveError};
use crate::casework::CaseStore;
use crate::console::accounts::StaffStore;
use crate::sampling::SampleStore;
use crate::statistics::StatsStore;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything the origin keeps, behind one engine: the archive, the case log, the staff tables,
/// the sample log, the statistics' facts, and the same as plain rows (for `copy-archive`).
pub trait Store: Archive + CaseStore + StaffStore + SampleStore + StatsStore + Tables {}

impl<T: Archive + CaseStore + StaffStore + SampleStore + StatsStore + Tables + ?Sized> Store for T {}

/// Where the archive is.
#[derive(Clone, PartialEq, Eq)]
pub enum Db {
    /// An SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://user[:password]@host[:port]/database`).
    Postgres(String),
}

/// What `--db` must be, for help and errors.
pub const DB_FORMS: &str = "FILE, sqlite:FILE or postgres://user@host:port/database";

impl std::str::FromStr for Db {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            // Refused here, as a usage error, rather than when the server is first reached.
            text.parse::<postgres::Config>()
                .map_err(|e| format!("not a PostgreSQL URL ({e}); must be {DB_FORMS}"))?;
            return Ok(Self::Postgres(text.to_string()));
        }
        let file = text.strip_prefix("sqlite:").unwrap_or(text);
        if file.is_empty() {
            return Err(format!("must be {DB_FORMS}"));
        }
        Ok(Self::Sqlite(PathBuf::from(file)))
    }
}

/// Shown in messages and reports: the file, or the server and database without any password.
impl fmt::Display for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => {
                let Ok(config) = url.parse::<postgres::Config>() else {
                    return write!(f, "postgres://?");
                };
                let user = config.get_user().unwrap_or("");
                let host = match config.get_hosts().first() {
                    Some(postgres::config::Host::Tcp(host)) => host.clone(),
                    _ => String::new(),
                };
                let port = config.get_ports().first().copied().unwrap_or(5432);
                let db = config.get_dbname().unwrap_or("");
                write!(f, "postgres://{user}@{host}:{port}/{db}")
            }
        }
    }
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Db({self})")
    }
}

impl Db {
    /// Opens the store (creating the file or the tables if missing), at the latest layout.
    /// Blocking: an async caller runs it in `spawn_blocking`.
    pub fn open(&self) -> Result<Arc<dyn Store>, ArchiveError> {
        Ok(match self {
            Self::Sqlite(path) => Arc::new(SqliteArchive::open(path)?),
            Self::Postgres(url) => Arc::new(PgArchive::open(url)?),
        })
    }

    /// Opens a store that must already exist (a checker must not create an empty one).
    pub fn open_existing(&self) -> Result<Arc<dyn Store>, ArchiveError> {
        Ok(match self {
            Self::Sqlite(path) => Arc::new(SqliteArchive::open_existing(path)?),
            Self::Postgres(url) => Arc::new(PgArchive::open_existing(url)?),
        })
    }

    /// The SQLite file's folder (`None` on PostgreSQL).
    pub fn folder(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(path) => Some(path.parent().unwrap_or(Path::new("."))),
            Self::Postgres(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_db_forms_select_the_engine() {
        let db = |text: &str| text.parse::<Db>();
        assert_eq!(
            db("origin.sqlite3"),
            Ok(Db::Sqlite("origin.sqlite3".into()))
        );
        assert_eq!(db("sqlite:/var/a.db"), Ok(Db::Sqlite("/var/a.db".into())));
        let url = "postgres://huifang:secret@127.0.0.1:25432/huifang";
        assert_eq!(db(url), Ok(Db::Postgres(url.into())));
        assert!(matches!(db("postgresql://h/d"), Ok(Db::Postgres(_))));
        assert!(db("").is_err());
        assert!(db("sqlite:").is_err());
        assert!(db("postgres://h:notaport/d")
            .unwrap_err()
            .contains("PostgreSQL URL"));
    }

    #[test]
    fn a_server_that_cannot_be_reached_is_named_at_once_without_the_password() {
        let db: Db = "postgres://huifang:secret@127.0.0.1:1/huifang"
            .parse()
            .unwrap();
        let started = std::time::Instant::now();
        let Err(e) = db.open() else {
            panic!("nothing listens on port 1")
        };
        let text = e.to_string();
        assert!(text.contains("Connection refused"), "{text}");
        assert!(!text.contains("secret"), "{text}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn a_password_is_never_shown() {
        let db: Db = "postgres://huifang:secret@db.example:6000/archive?password=again"
            .parse()
            .unwrap();
        assert_eq!(db.to_string(), "postgres://huifang@db.example:6000/archive");
        assert!(!format!("{db:?}").contains("secret"));
        assert!(!format!("{db:?}").contains("again"));
    }
}
