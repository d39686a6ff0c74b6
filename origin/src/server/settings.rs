//! The origin's typed settings, read once at startup (`huifang-origin serve`): each from its flag,
//! else its environment variable, else a default. [`Settings`] is handed to `serve`, which passes
//! its [`ApiSettings`] down to every handler; nothing reads the environment after this.

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
    /// The archive's SQLite file.
    pub db: PathBuf,
    /// What the handlers need.
    pub api: ApiSettings,
    /// The origin is reached over HTTPS (`HUIFANG_ORIGIN_HTTPS=1`, e.g. behind a TLS proxy): the
    /// staff console's session cookie is then `Secure`.
    pub https: bool,
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

/// Why the options were refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `--help` was asked for.
    #[error("help requested")]
    Help,
    /// A flag this command does not know.
    #[error("unknown option {0}")]
    UnknownOption(String),
    /// A flag that takes a value was last.
    #[error("{0} needs a value")]
    MissingValue(&'static str),
    /// An empty listen address.
    #[error("--listen / HUIFANG_ORIGIN_LISTEN must be host:port")]
    Listen,
    /// No trusted edge keys.
    #[error(
        "no edge public keys: set --edge-keys or HUIFANG_EDGE_PUBLIC_KEYS to kid=hex[,kid2=hex]"
    )]
    NoEdgeKeys,
    /// Edge keys that do not parse.
    #[error("--edge-keys / HUIFANG_EDGE_PUBLIC_KEYS must be kid=hex[,kid2=hex] with 32-byte Ed25519 public keys")]
    BadEdgeKeys,
    /// A `HUIFANG_SMS_OUTBOX` value that is neither on nor off.
    #[error("HUIFANG_SMS_OUTBOX must be 1 or 0")]
    BadOutboxFlag,
    /// A `HUIFANG_ORIGIN_HTTPS` value that is neither on nor off.
    #[error("HUIFANG_ORIGIN_HTTPS must be 1 or 0")]
    BadHttpsFlag,
    /// An admin token too short to be a secret.
    #[error("--admin-token / HUIFANG_ORIGIN_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_CHARS} printable characters (e.g. openssl rand -hex 16)")]
    WeakAdminToken,
}

const VALUE_FLAGS: [(&str, &str); 4] = [
    ("--listen", "HUIFANG_ORIGIN_LISTEN"),
    ("--db", "HUIFANG_ORIGIN_DB"),
    ("--edge-keys", "HUIFANG_EDGE_PUBLIC_KEYS"),
    ("--admin-token", "HUIFANG_ORIGIN_ADMIN_TOKEN"),
];

impl Settings {
    /// Parses `serve`'s arguments (after the subcommand), looking up unset options with `env`.
    pub fn from_args(
        args: &[String],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut values: [Option<String>; 4] = Default::default();
        let mut sms_outbox = false;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                return Err(ConfigError::Help);
            }
            if arg == "--sms-outbox" {
                sms_outbox = true;
                continue;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag, Some(value.to_string())),
                None => (arg.as_str(), None),
            };
            let Some(slot) = VALUE_FLAGS.iter().position(|(f, _)| *f == flag) else {
                return Err(ConfigError::UnknownOption(arg.clone()));
            };
            let value = match inline {
                Some(v) => v,
                None => args
                    .next()
                    .cloned()
                    .ok_or(ConfigError::MissingValue(VALUE_FLAGS[slot].0))?,
            };
            values[slot] = Some(value);
        }
        let [listen, db, keys, admin_token] = values;
        let pick = |given: Option<String>, slot: usize| given.or_else(|| env(VALUE_FLAGS[slot].1));

        let listen = pick(listen, 0).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        if listen.trim().is_empty() {
            return Err(ConfigError::Listen);
        }
        let db = PathBuf::from(pick(db, 1).unwrap_or_else(|| DEFAULT_DB.to_string()));
        let keys = pick(keys, 2).unwrap_or_default();
        let edge_keys = TrustedKeys::parse(&keys).map_err(|_| ConfigError::BadEdgeKeys)?;
        if edge_keys.is_empty() {
            return Err(ConfigError::NoEdgeKeys);
        }
        if !sms_outbox {
            sms_outbox = match env("HUIFANG_SMS_OUTBOX").as_deref().map(str::trim) {
                None | Some("" | "0" | "false") => false,
                Some("1" | "true") => true,
                Some(_) => return Err(ConfigError::BadOutboxFlag),
            };
        }
        let admin_token = pick(admin_token, 3)
            .filter(|t| !t.trim().is_empty())
            .map(|t| AdminToken::parse(&t).map_err(|_| ConfigError::WeakAdminToken))
            .transpose()?;
        let https = match env("HUIFANG_ORIGIN_HTTPS").as_deref().map(str::trim) {
            None | Some("" | "0" | "false") => false,
            Some("1" | "true") => true,
            Some(_) => return Err(ConfigError::BadHttpsFlag),
        };
        Ok(Self {
            https,
            listen: listen.trim().to_string(),
            db,
            api: ApiSettings {
                edge_keys,
                dev_mode: sms_outbox,
                admin_token,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::signing::EdgeKey;

    fn key_list() -> String {
        let key = EdgeKey::from_seed_hex("dev-1", &"11".repeat(32)).unwrap();
        format!("dev-1={}", key.public_key_hex())
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_win_over_env_which_wins_over_defaults() {
        let keys = key_list();
        let env = |name: &str| match name {
            "HUIFANG_EDGE_PUBLIC_KEYS" => Some(keys.clone()),
            "HUIFANG_ORIGIN_DB" => Some("/tmp/env.sqlite3".to_string()),
            "HUIFANG_ORIGIN_LISTEN" => Some("0.0.0.0:1".to_string()),
            _ => None,
        };
        let c = Settings::from_args(&args(&["--listen=127.0.0.1:9"]), env).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9");
        assert_eq!(c.db, PathBuf::from("/tmp/env.sqlite3"));
        assert!(!c.api.dev_mode);

        let only_keys = |name: &str| (name == "HUIFANG_EDGE_PUBLIC_KEYS").then(|| keys.clone());
        let c = Settings::from_args(&args(&["--db", "x.db", "--sms-outbox"]), only_keys).unwrap();
        assert_eq!(c.listen, DEFAULT_LISTEN);
        assert_eq!(c.db, PathBuf::from("x.db"));
        assert!(c.api.dev_mode);
    }

    #[test]
    fn the_admin_token_comes_from_the_flag_or_the_environment_and_must_be_long() {
        let keys = key_list();
        let token = "t".repeat(32);
        let env = |name: &str| match name {
            "HUIFANG_EDGE_PUBLIC_KEYS" => Some(keys.clone()),
            "HUIFANG_ORIGIN_ADMIN_TOKEN" => Some(token.clone()),
            _ => None,
        };
        let c = Settings::from_args(&[], env).unwrap();
        assert!(c.api.admin_token.unwrap().matches(&token));
        let only_keys = |name: &str| (name == "HUIFANG_EDGE_PUBLIC_KEYS").then(|| keys.clone());
        assert_eq!(
            Settings::from_args(&[], only_keys).unwrap().api.admin_token,
            None
        );
        assert_eq!(
            Settings::from_args(&args(&["--admin-token", "short"]), only_keys).unwrap_err(),
            ConfigError::WeakAdminToken
        );
    }

    #[test]
    fn the_outbox_can_be_enabled_from_the_environment() {
        let keys = key_list();
        let env = |name: &str| match name {
            "HUIFANG_EDGE_PUBLIC_KEYS" => Some(keys.clone()),
            "HUIFANG_SMS_OUTBOX" => Some("1".to_string()),
            _ => None,
        };
        assert!(Settings::from_args(&[], env).unwrap().api.dev_mode);
    }

    #[test]
    fn https_is_read_from_the_environment() {
        let keys = key_list();
        let with = |value: &'static str| {
            let keys = keys.clone();
            move |name: &str| match name {
                "HUIFANG_EDGE_PUBLIC_KEYS" => Some(keys.clone()),
                "HUIFANG_ORIGIN_HTTPS" => Some(value.to_string()),
                _ => None,
            }
        };
        assert!(Settings::from_args(&[], with("1")).unwrap().https);
        assert!(!Settings::from_args(&[], with("0")).unwrap().https);
        assert_eq!(
            Settings::from_args(&[], with("yes")).unwrap_err(),
            ConfigError::BadHttpsFlag
        );
    }

    #[test]
    fn missing_or_bad_keys_and_unknown_flags_are_refused() {
        let none = |_: &str| None;
        assert_eq!(
            Settings::from_args(&[], none).unwrap_err(),
            ConfigError::NoEdgeKeys
        );
        assert_eq!(
            Settings::from_args(&args(&["--edge-keys", "dev-1=abcd"]), none).unwrap_err(),
            ConfigError::BadEdgeKeys
        );
        assert_eq!(
            Settings::from_args(&args(&["--edge-keys"]), none).unwrap_err(),
            ConfigError::MissingValue("--edge-keys")
        );
        assert_eq!(
            Settings::from_args(&args(&["--port", "1"]), none).unwrap_err(),
            ConfigError::UnknownOption("--port".into())
        );
        assert_eq!(
            Settings::from_args(&args(&["--help"]), none).unwrap_err(),
            ConfigError::Help
        );
    }
}
