//! What several commands' arguments share, parsed once by clap: edge key lists, RFC 3339 times,
//! policy numbers and the default thread count. A value that does not parse is a usage error
//! (exit 2) that names the flag and says what it must be.

use huifang_core::signing::TrustedKeys;
use huifang_core::{PolicyNumber, Timestamp};

/// The edge public keys a command trusts, as given on the command line (`kid=hex[,kid2=hex]`).
#[derive(Clone, Debug)]
pub struct EdgeKeys {
    /// The keys, parsed.
    pub trusted: TrustedKeys,
    /// Each `kid=hex` entry as given, without spaces (what an export's header lists).
    pub entries: Vec<String>,
}

/// What `--edge-keys` must be, for help and errors.
pub const EDGE_KEYS_FORM: &str = "kid=hex[,kid2=hex] with 32-byte Ed25519 public keys";

/// Parses `kid=hex[,kid2=hex]`: at least one key, every one a 32-byte Ed25519 public key.
pub fn edge_keys(list: &str) -> Result<EdgeKeys, String> {
    let trusted = TrustedKeys::parse(list)
        .ok()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| format!("must be {EDGE_KEYS_FORM}"))?;
    let entries = list
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| e.replace(' ', ""))
        .collect();
    Ok(EdgeKeys { trusted, entries })
}

/// Parses an RFC 3339 date-time such as `2027-01-15T08:00:00+08:00`.
pub fn timestamp(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(text.trim())
        .map_err(|_| "must be an RFC 3339 date-time, e.g. 2027-01-15T08:00:00+08:00".to_string())
}

/// Parses a policy number by the core's rules.
pub fn policy_number(text: &str) -> Result<PolicyNumber, String> {
    PolicyNumber::parse(text).map_err(|e| e.to_string())
}

/// The default number of worker threads: the machine's cores.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::signing::EdgeKey;

    #[test]
    fn edge_keys_keep_their_entries_and_refuse_junk() {
        let key = EdgeKey::from_seed_hex("dev-1", &"11".repeat(32)).unwrap();
        let list = format!(" dev-1 = {} ,", key.public_key_hex());
        let parsed = edge_keys(&list).unwrap();
        assert!(!parsed.trusted.is_empty());
        assert_eq!(parsed.entries, [format!("dev-1={}", key.public_key_hex())]);
        for bad in ["", ",", "dev-1=abcd", "x"] {
            assert!(edge_keys(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn times_and_policies_parse_or_say_why() {
        assert!(timestamp(" 2027-01-15T08:00:00+08:00 ").is_ok());
        assert!(timestamp("2027-01-15").unwrap_err().contains("RFC 3339"));
        assert!(policy_number("P20260001").is_ok());
        assert!(policy_number("").is_err());
    }
}
