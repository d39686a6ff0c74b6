//! Request signatures across the trust boundaries, and keyed hashes.
//!
//! One string to sign for every signed HTTP request:
//!
//! ```text
//! METHOD \n PATH \n TIMESTAMP \n hex(SHA-256(body))
//! ```
//!
//! - insurer → edge: `X-Huifang-Signature: v1=hex(HMAC-SHA256(shared secret, string))`;
//! - edge → origin: `X-Huifang-Signature: ed25519=hex(signature)` with `X-Huifang-Key-Id`.
//!
//! `X-Huifang-Timestamp` is Unix seconds; a request outside ±5 minutes of the receiver's clock is
//! refused.

use crate::error_code::ErrorCode;
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const HEADER_TIMESTAMP: &str = "x-huifang-timestamp";
pub const HEADER_SIGNATURE: &str = "x-huifang-signature";
pub const HEADER_KEY_ID: &str = "x-huifang-key-id";
/// Requests older or newer than this, by the receiver's clock, are refused.
pub const CLOCK_WINDOW_SECS: u64 = 300;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request is not signed: the X-Huifang-Timestamp and X-Huifang-Signature headers are required")]
    Missing,
    #[error("the X-Huifang-Timestamp header must be Unix seconds")]
    BadTimestamp,
    #[error("the request's timestamp is more than 5 minutes from the server's clock")]
    OutsideWindow,
    #[error("the signature does not match the request")]
    Mismatch,
    #[error("the signing key is not known")]
    UnknownKey,
    #[error("the key is not valid")]
    BadKey,
}

impl SignatureError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Missing => ErrorCode::SignatureMissing,
            Self::BadTimestamp => ErrorCode::BadTimestamp,
            Self::OutsideWindow => ErrorCode::TimestampOutsideWindow,
            Self::Mismatch => ErrorCode::SignatureMismatch,
            Self::UnknownKey => ErrorCode::UnknownKey,
            Self::BadKey => ErrorCode::BadKey,
        }
    }
}

/// The canonical string both sides sign.
pub fn string_to_sign(method: &str, path: &str, timestamp: u64, body: &[u8]) -> String {
    format!(
        "{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        path,
        timestamp,
        sha256_hex(body)
    )
}

/// Hex SHA-256: the form every digest in records, traces, signatures and requests takes.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes.as_ref()))
}

fn check_window(timestamp: &str, now_secs: u64) -> Result<u64, SignatureError> {
    let ts: u64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    if ts.abs_diff(now_secs) > CLOCK_WINDOW_SECS {
        return Err(SignatureError::OutsideWindow);
    }
    Ok(ts)
}

/// The parts of an incoming request that a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

/// `v1=…` header value for an insurer request.
pub fn insurer_signature(secret: &[u8], method: &str, path: &str, ts: u64, body: &[u8]) -> String {
    let mut mac = hmac_with(secret);
    mac.update(string_to_sign(method, path, ts, body).as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn hmac_with(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

/// Checks an insurer request's HMAC signature and clock window (constant-time comparison).
pub fn verify_insurer_request(
    secret: &[u8],
    req: SignedRequest<'_>,
    now_secs: u64,
) -> Result<(), SignatureError> {
    let (Some(ts), Some(sig)) = (req.timestamp, req.signature) else {
        return Err(SignatureError::Missing);
    };
    let ts = check_window(ts, now_secs)?;
    let given = sig
        .trim()
        .strip_prefix("v1=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureError::Mismatch)?;
    let mut mac = hmac_with(secret);
    mac.update(string_to_sign(req.method, req.path, ts, req.body).as_bytes());
    mac.verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch)
}

/// Hex SHA-256 of a secret, the form in which the edge keeps link and device secrets.
pub fn secret_digest(secret: &str) -> String {
    sha256_hex(secret)
}

/// Keyed hash (HMAC-SHA256, hex) of a sensitive value such as an ID number: comparable, not reversible
/// without the key (R6).
pub fn keyed_digest(key: &[u8], value: &str) -> String {
    let mut mac = hmac_with(key);
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The edge's Ed25519 key, with the id the origin knows it by (keys rotate: the origin accepts several).
pub struct EdgeKey {
    pub key_id: String,
    signing: SigningKey,
}

impl EdgeKey {
    /// From a 32-byte seed in hex (the form kept in a wrangler secret).
    pub fn from_seed_hex(key_id: &str, seed_hex: &str) -> Result<Self, SignatureError> {
        let seed: [u8; 32] = hex::decode(seed_hex.trim())
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or(SignatureError::BadKey)?;
        Ok(Self {
            key_id: key_id.to_string(),
            signing: SigningKey::from_bytes(&seed),
        })
    }

    pub fn public_key_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().to_bytes())
    }

    /// Hex Ed25519 signature over raw bytes.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.signing.sign(message).to_bytes())
    }

    /// `ed25519=…` header value for a request to the origin.
    pub fn sign_request(&self, method: &str, path: &str, ts: u64, body: &[u8]) -> String {
        format!(
            "ed25519={}",
            self.sign(string_to_sign(method, path, ts, body).as_bytes())
        )
    }
}

/// The public keys a receiver accepts, by key id.
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    keys: Vec<(String, VerifyingKey)>,
}

impl TrustedKeys {
    /// Parses `kid=hex,kid2=hex` (the origin's configuration form).
    pub fn parse(list: &str) -> Result<Self, SignatureError> {
        let mut keys = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, hex_key) = entry.split_once('=').ok_or(SignatureError::BadKey)?;
            keys.push((kid.trim().to_string(), parse_public_key(hex_key)?));
        }
        Ok(Self { keys })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks a hex Ed25519 signature over `message` by the key named `key_id`.
    pub fn verify(
        &self,
        key_id: &str,
        message: &[u8],
        sig_hex: &str,
    ) -> Result<(), SignatureError> {
        let key = self
            .keys
            .iter()
            .find(|(kid, _)| kid == key_id)
            .map(|(_, k)| k)
            .ok_or(SignatureError::UnknownKey)?;
        let sig: [u8; 64] = hex::decode(sig_hex.trim())
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or(SignatureError::Mismatch)?;
        key.verify(message, &ed25519_dalek::Signature::from_bytes(&sig))
            .map_err(|_| SignatureError::Mismatch)
    }

    /// Checks an edge request's `ed25519=` signature, key id and clock window.
    pub fn verify_request(
        &self,
        key_id: Option<&str>,
        req: SignedRequest<'_>,
        now_secs: u64,
    ) -> Result<(), SignatureError> {
        let (Some(kid), Some(ts), Some(sig)) = (key_id, req.timestamp, req.signature) else {
            return Err(SignatureError::Missing);
        };
        let ts = check_window(ts, now_secs)?;
        let sig = sig
            .trim()
            .strip_prefix("ed25519=")
            .ok_or(SignatureError::Mismatch)?;
        let message = string_to_sign(req.method, req.path, ts, req.body);
        self.verify(kid, message.as_bytes(), sig)
    }
}

fn parse_public_key(hex_key: &str) -> Result<VerifyingKey, SignatureError> {
    let bytes: [u8; 32] = hex::decode(hex_key.trim())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(SignatureError::BadKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| SignatureError::BadKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn req<'a>(ts: &'a str, sig: &'a str, body: &'a [u8]) -> SignedRequest<'a> {
        SignedRequest {
            method: "POST",
            path: "/v1/revisits",
            timestamp: Some(ts),
            signature: Some(sig),
            body,
        }
    }

    #[test]
    fn the_string_to_sign_is_exact() {
        assert_eq!(
            string_to_sign("post", "/v1/revisits", 1_800_000_000, b""),
            "POST\n/v1/revisits\n1800000000\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn an_insurer_signature_verifies_and_any_change_breaks_it() {
        let body = br#"{"policy_number":"P1"}"#;
        let sig = insurer_signature(b"secret", "POST", "/v1/revisits", NOW, body);
        let ts = NOW.to_string();
        assert_eq!(
            verify_insurer_request(b"secret", req(&ts, &sig, body), NOW),
            Ok(())
        );
        assert_eq!(
            verify_insurer_request(b"other", req(&ts, &sig, body), NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_insurer_request(b"secret", req(&ts, &sig, b"{}"), NOW),
            Err(SignatureError::Mismatch)
        );
        let later = (NOW + 1).to_string();
        assert_eq!(
            verify_insurer_request(b"secret", req(&later, &sig, body), NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_clock_window_is_five_minutes_each_way() {
        let body = b"x";
        for (ts, ok) in [
            (NOW - 300, true),
            (NOW + 300, true),
            (NOW - 301, false),
            (NOW + 301, false),
        ] {
            let sig = insurer_signature(b"k", "POST", "/v1/revisits", ts, body);
            let got = verify_insurer_request(b"k", req(&ts.to_string(), &sig, body), NOW);
            assert_eq!(got.is_ok(), ok, "ts offset {}", ts as i64 - NOW as i64);
            if !ok {
                assert_eq!(got, Err(SignatureError::OutsideWindow));
            }
        }
    }

    #[test]
    fn missing_or_malformed_headers_are_named() {
        let mut r = req("1", "v1=00", b"");
        r.signature = None;
        assert_eq!(
            verify_insurer_request(b"k", r, NOW),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_insurer_request(b"k", req("soon", "v1=00", b""), NOW),
            Err(SignatureError::BadTimestamp)
        );
        let ts = NOW.to_string();
        assert_eq!(
            verify_insurer_request(b"k", req(&ts, "v2=00", b""), NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn edge_requests_verify_only_with_a_trusted_key() {
        let key = EdgeKey::from_seed_hex("edge-1", &"07".repeat(32)).unwrap();
        let old = EdgeKey::from_seed_hex("old", &"08".repeat(32)).unwrap();
        let list = format!(
            "old = {} , edge-1={}",
            old.public_key_hex(),
            key.public_key_hex()
        );
        let trusted = TrustedKeys::parse(&list).unwrap();
        let sig = key.sign_request("POST", "/sms", NOW, b"hi");
        let ts = NOW.to_string();
        let r = SignedRequest {
            method: "POST",
            path: "/sms",
            timestamp: Some(&ts),
            signature: Some(&sig),
            body: b"hi",
        };
        assert_eq!(trusted.verify_request(Some("edge-1"), r, NOW), Ok(()));
        assert_eq!(
            trusted.verify_request(Some("edge-9"), r, NOW),
            Err(SignatureError::UnknownKey)
        );
        let tampered = SignedRequest { body: b"ho", ..r };
        assert_eq!(
            trusted.verify_request(Some("edge-1"), tampered, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn keyed_digests_depend_on_the_key() {
        let a = keyed_digest(b"k1", "11010519491231002X");
        assert_eq!(a, keyed_digest(b"k1", "11010519491231002X"));
        assert_ne!(a, keyed_digest(b"k2", "11010519491231002X"));
        assert!(!a.contains("0105"));
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!(
            EdgeKey::from_seed_hex("k", "abcd").err(),
            Some(SignatureError::BadKey)
        );
        assert_eq!(
            TrustedKeys::parse("nokey").err(),
            Some(SignatureError::BadKey)
        );
    }
}
