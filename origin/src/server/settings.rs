//! The origin's typed settings, read once at startup (`huifang-origin serve`): each from its flag,
//! else its environment variable, else a default (clap reads both, [`ServeArgs`]). [`Settings`] is handed to `serve`, which passes
//! its [`ApiSettings`] down to every handler; nothing reads the environment after this.

use crate::archive::Db;
use crate::args::edge_keys;
use crate::server::admin::{AdminToken, MIN_ADMIN_TOKEN_CHARS};
use huifang_core::signing::TrustedKeys;
use std::path::PathBuf;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8788";
/// Default archive file.
pub const DEFAULT_DB: &str = "origin.sqlite3";

/// Everything `serve` needs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `host:port` to listen on.
    pub listen: String,
    /// Where the archive is: an SQLite file or a PostgreSQL database.
    pub db: Db,
    /// Where the console keeps uploaded receipts.
    pub receipts: PathBuf,
    /// What the handlers need.
    pub api: ApiSettings,
    /// The origin is reached over HTTPS (`--https`, `HUIFANG_ORIGIN_HTTPS=1`, e.g. behind a TLS
    /// proxy): the staff console's session cookie is then `Secure`.
    pub https: bool,
    /// Tests only (dev mode): the casework's time at startup, running on from there.
    pub casework_time: Option<huifang_core::Timestamp>,
    /// The edge whose insurer API the console asks for new revisits, and the dotenv file with
    /// the insurer's secret (else the `INSURER_API_SECRET` variable, else `.dev.vars`).
    pub edge: Option<(String, Option<PathBuf>)>,
}

/// The settings every handler reads (through `AppState`).
#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// The edge public keys whose seals and request signatures are accepted.
    pub edge_keys: TrustedKeys,
    /// Dev mode (`--sms-outbox`, local and test use only): `GET /sms/outbox` is served, and the
    /// archived records and their evidence reports are served without the admin token.
    pub dev_mode: bool,
    /// The bearer token of the insurer's own calls (record list, terminations); `None` turns
    /// those calls off.
    pub admin_token: Option<AdminToken>,
}

/// `serve`'s flags, each with its environment variable: a flag wins over its variable, which wins
/// over the default. [`Settings::from_args`] checks what clap cannot and builds the [`Settings`].
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on, host:port.
    #[arg(long, env = "HUIFANG_ORIGIN_LISTEN", value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: String,
    /// The archive: an SQLite file (FILE or sqlite:FILE, created if missing) or a PostgreSQL
    /// database (postgres://user@host:port/database; the tables are created if missing).
    #[arg(long, env = "HUIFANG_ORIGIN_DB", value_name = "DB", default_value = DEFAULT_DB)]
    pub db: Db,
    /// Where the console keeps uploaded receipts (default: `receipts` beside the SQLite file, or
    /// in the working directory with PostgreSQL).
    #[arg(long, env = "HUIFANG_ORIGIN_RECEIPTS", value_name = "DIR")]
    pub receipts: Option<PathBuf>,
    /// The edge public keys to trust, kid=hex[,kid2=hex] (several while the edge's key rotates).
    #[arg(
        long,
        env = "HUIFANG_EDGE_PUBLIC_KEYS",
        value_name = "KEYS",
        value_parser = |list: &str| edge_keys(list).map(|k| k.trusted)
    )]
    pub edge_keys: TrustedKeys,
    /// The bearer token of the insurer's calls (record list, terminations, reports), at least 32
    /// characters; without it they are off. Prefer the variable: flags show in `ps`.
    #[arg(
        long,
        env = "HUIFANG_ORIGIN_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Dev mode, for local and test use only: serve GET /sms/outbox and open the evidence reports
    /// without the token (the variable takes 1 or 0).
    #[arg(
        long,
        env = "HUIFANG_SMS_OUTBOX",
        value_parser = on_off_switch,
        action = clap::ArgAction::SetTrue
    )]
    pub sms_outbox: bool,
    /// The origin is reached over HTTPS (behind a TLS proxy): the staff console's session cookie
    /// is then `Secure` (the variable takes 1 or 0).
    #[arg(
        long,
        env = "HUIFANG_ORIGIN_HTTPS",
        value_parser = on_off_switch,
        action = clap::ArgAction::SetTrue
    )]
    pub https: bool,
    /// Tests only, with --sms-outbox: the casework's time at startup (RFC 3339), running on from
    /// there, so that a test can work a fallback task days before its cooling-off end, at a set
    /// hour. Signatures, staff sessions and the archive keep the real clock.
    #[arg(
        long,
        env = "HUIFANG_TEST_CASEWORK_TIME",
        value_name = "TIME",
        value_parser = crate::args::timestamp
    )]
    pub test_casework_time: Option<huifang_core::Timestamp>,
    /// The edge whose insurer API the staff console calls for a problem case's new electronic
    /// revisit (https://host[:port], or http:// for a local one); without it that action is off.
    #[arg(long, env = "HUIFANG_EDGE_URL", value_name = "URL")]
    pub edge_url: Option<String>,
    /// A dotenv file with INSURER_API_SECRET for --edge-url [default: the INSURER_API_SECRET
    /// variable, else .dev.vars].
    #[arg(long, value_name = "PATH")]
    pub insurer_secret_file: Option<PathBuf>,
}

/// A switch's variable (`HUIFANG_SMS_OUTBOX`, `HUIFANG_ORIGIN_HTTPS`): `1`/`true` on, `0`/`false`
/// or empty off, anything else refused.
fn on_off_switch(value: &str) -> Result<bool, String> {
    match value.trim() {
        "" | "0" | "false" => Ok(false),
        "1" | "true" => Ok(true),
        _ => Err("must be 1 or 0".into()),
    }
}

/// `serve`'s examples, shown after its `--help`.
pub const EXAMPLES: &str = "\
Examples:
  huifang-origin serve --edge-keys \"$(huifang-origin public-key .dev.vars)\" --sms-outbox
  HUIFANG_EDGE_PUBLIC_KEYS=edge-1=<hex>,edge-2=<hex> HUIFANG_ORIGIN_ADMIN_TOKEN=$(openssl rand -hex 16) \\
    huifang-origin serve --listen 0.0.0.0:8788 --db /var/lib/huifang/origin.sqlite3
  HUIFANG_ORIGIN_DB=postgres://huifang@db.internal:5432/huifang huifang-origin serve --receipts /var/lib/huifang/receipts";

/// Why the options were refused (what clap does not check itself).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// An empty listen address.
    #[error("--listen / HUIFANG_ORIGIN_LISTEN must be host:port")]
    Listen,
    /// An admin token too short to be a secret.
    #[error("--admin-token / HUIFANG_ORIGIN_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_CHARS} printable characters (e.g. openssl rand -hex 16)")]
    WeakAdminToken,
    /// A moved casework clock outside dev mode.
    #[error("--test-casework-time is for tests only: it needs --sms-outbox (dev mode)")]
    CaseworkTimeOutsideDevMode,
}

impl Settings {
    /// The settings from `serve`'s parsed flags and variables.
    pub fn from_args(args: ServeArgs) -> Result<Self, ConfigError> {
        let listen = args.listen.trim().to_string();
        if listen.is_empty() {
            return Err(ConfigError::Listen);
        }
        let admin_token = args
            .admin_token
            .filter(|t| !t.trim().is_empty())
            .map(|t| AdminToken::parse(&t).map_err(|_| ConfigError::WeakAdminToken))
            .transpose()?;
        if args.test_casework_time.is_some() && !args.sms_outbox {
            return Err(ConfigError::CaseworkTimeOutsideDevMode);
        }
        Ok(Self {
            casework_time: args.test_casework_time,
            edge: args
                .edge_url
                .filter(|u| !u.trim().is_empty())
                .map(|u| (u.trim().to_string(), args.insurer_secret_file)),
            https: args.https,
            listen,
            receipts: args.receipts.unwrap_or_else(|| {
                args.db
                    .folder()
                    .unwrap_or(std::path::Path::new("."))
                    .join("receipts")
            }),
            db: args.db,
            api: ApiSettings {
                edge_keys: args.edge_keys,
                dev_mode: args.sms_outbox,
                admin_token,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use huifang_core::signing::EdgeKey;

    /// `serve`'s flags alone; the environment is the binary's test (origin/tests/it/cli.rs).
    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn key_list() -> String {
        let key = EdgeKey::from_seed_hex("dev-1", &"11".repeat(32)).unwrap();
        format!("dev-1={}", key.public_key_hex())
    }

    fn settings(flags: &[&str]) -> Result<Settings, String> {
        let argv = std::iter::once("serve").chain(flags.iter().copied());
        let args = Serve::try_parse_from(argv).map_err(|e| e.kind().to_string())?;
        Settings::from_args(args.args).map_err(|e| e.to_string())
    }

    #[test]
    fn flags_win_over_defaults() {
        let keys = key_list();
        let c = settings(&["--edge-keys", &keys, "--listen=127.0.0.1:9"]).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9");
        assert_eq!(c.db, Db::Sqlite(PathBuf::from(DEFAULT_DB)));
        assert_eq!(c.receipts, PathBuf::from("receipts"));
        assert!(!c.api.dev_mode);
        assert_eq!(c.api.admin_token, None);

        let c = settings(&["--edge-keys", &keys, "--db", "x.db", "--sms-outbox"]).unwrap();
        assert_eq!(c.listen, DEFAULT_LISTEN);
        assert_eq!(c.db, Db::Sqlite(PathBuf::from("x.db")));
        assert!(c.api.dev_mode);

        let url = "postgres://huifang@127.0.0.1:5432/huifang";
        let c = settings(&["--edge-keys", &keys, "--db", url]).unwrap();
        assert_eq!(c.db, Db::Postgres(url.into()));
        assert_eq!(c.receipts, PathBuf::from("./receipts"));
        let c = settings(&[
            "--edge-keys",
            &keys,
            "--db",
            "sqlite:/a/b.db",
            "--receipts",
            "/r",
        ])
        .unwrap();
        assert_eq!(
            (c.db, c.receipts),
            (Db::Sqlite("/a/b.db".into()), PathBuf::from("/r"))
        );
    }

    #[test]
    fn the_casework_time_is_for_tests_only() {
        let keys = key_list();
        let at = "2026-12-01T10:00:00+08:00";
        let refused = settings(&["--edge-keys", &keys, "--test-casework-time", at]).unwrap_err();
        assert!(refused.contains("--sms-outbox"), "{refused}");
        let c = settings(&[
            "--edge-keys",
            &keys,
            "--sms-outbox",
            "--test-casework-time",
            at,
        ])
        .unwrap();
        assert_eq!(
            c.casework_time,
            Some(huifang_core::Timestamp::parse_rfc3339(at).unwrap())
        );
        assert_eq!(
            settings(&["--edge-keys", &keys]).unwrap().casework_time,
            None
        );
        assert!(settings(&[
            "--edge-keys",
            &keys,
            "--sms-outbox",
            "--test-casework-time",
            "soon"
        ])
        .is_err());
    }

    #[test]
    fn the_admin_token_must_be_long() {
        let keys = key_list();
        let token = "t".repeat(32);
        let c = settings(&["--edge-keys", &keys, "--admin-token", &token]).unwrap();
        assert!(c.api.admin_token.unwrap().matches(&token));
        assert_eq!(
            settings(&["--edge-keys", &keys, "--admin-token", "short"]).unwrap_err(),
            ConfigError::WeakAdminToken.to_string()
        );
        assert_eq!(
            settings(&["--edge-keys", &keys, "--listen", " "]).unwrap_err(),
            ConfigError::Listen.to_string()
        );
    }

    #[test]
    fn missing_or_bad_keys_and_unknown_flags_are_refused() {
        let refused = |flags: &[&str]| settings(flags).unwrap_err();
        let missing = clap::error::ErrorKind::MissingRequiredArgument.to_string();
        let invalid = clap::error::ErrorKind::ValueValidation.to_string();
        let unknown = clap::error::ErrorKind::UnknownArgument.to_string();
        let no_value = clap::error::ErrorKind::InvalidValue.to_string();
        assert_eq!(refused(&[]), missing);
        assert_eq!(refused(&["--edge-keys", "dev-1=abcd"]), invalid);
        assert_eq!(refused(&["--edge-keys"]), no_value);
        assert_eq!(refused(&["--port", "1"]), unknown);
    }

    #[test]
    fn https_is_a_switch() {
        let keys = key_list();
        let on = settings(&["--edge-keys", &keys, "--https"]).unwrap();
        assert!(on.https);
        let off = settings(&["--edge-keys", &keys]).unwrap();
        assert!(!off.https);
    }

    #[test]
    fn the_outbox_variable_is_1_or_0() {
        assert_eq!(on_off_switch("1"), Ok(true));
        assert_eq!(on_off_switch(""), Ok(false));
        assert_eq!(on_off_switch("0"), Ok(false));
        assert!(on_off_switch("maybe").is_err());
    }
}
