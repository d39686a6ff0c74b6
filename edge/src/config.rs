//! The worker's configuration: vars from `wrangler.toml`, secrets from `wrangler secret put`
//! (locally `.dev.vars`). A missing secret is a deployment fault, reported without its value.

use crate::error::EdgeError;
use huifang_core::custody::{CustodyPolicy, RetryPolicy, REMIND_BEFORE_MS};
use huifang_core::signing::EdgeKey;
use worker::Env;

/// The Durable Object namespace binding holding one object per revisit.
pub const REVISITS_BINDING: &str = "REVISITS";
/// The Durable Object namespace of SMS send throttles, one object per phone number and per IP.
pub const THROTTLES_BINDING: &str = "THROTTLES";
/// The Durable Object namespace of idempotency records, one per insurer credential and key.
pub const IDEMPOTENCY_BINDING: &str = "IDEMPOTENCY";

/// A required secret or var, as text.
pub fn required(env: &Env, name: &'static str) -> Result<String, EdgeError> {
    env.var(name)
        .map(|v| v.to_string())
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(EdgeError::Misconfigured(name))
}

/// An optional var; empty counts as absent.
pub fn optional(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|v| !v.trim().is_empty())
}

/// An optional numeric var, with a default.
pub fn number(env: &Env, name: &str, default: u64) -> u64 {
    optional(env, name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The key the edge seals records and signs origin requests with (R4).
pub fn edge_key(env: &Env) -> Result<EdgeKey, EdgeError> {
    let kid = required(env, "EDGE_KEY_ID")?;
    let seed = required(env, "EDGE_SIGNING_KEY")?;
    EdgeKey::from_seed_hex(&kid, &seed).map_err(|_| EdgeError::Misconfigured("EDGE_SIGNING_KEY"))
}

/// How deliveries to the origin are retried: `FORWARD_RETRY_BASE_MS` doubling up to
/// `FORWARD_RETRY_MAX_MS` (defaults: one second, ten minutes).
pub fn retry_policy(env: &Env) -> RetryPolicy {
    let default = RetryPolicy::default();
    RetryPolicy {
        base_ms: number(env, "FORWARD_RETRY_BASE_MS", default.base_ms),
        max_ms: number(env, "FORWARD_RETRY_MAX_MS", default.max_ms),
    }
}

/// The custody's timing: the delivery retries, and how long before the cooling-off end an
/// unfinished revisit is reminded (`REMIND_BEFORE_MS`, default 3 days; tests shorten it).
pub fn custody_policy(env: &Env) -> CustodyPolicy {
    CustodyPolicy {
        retry: retry_policy(env),
        remind_before_ms: number(env, "REMIND_BEFORE_MS", REMIND_BEFORE_MS),
    }
}

/// Base URL of the insurer's origin, without a trailing slash.
pub fn origin_url(env: &Env) -> Result<String, EdgeError> {
    Ok(required(env, "ORIGIN_URL")?
        .trim_end_matches('/')
        .to_string())
}

/// The SMS signature of this region's messages (`SMS_SIGNATURE`, e.g. `【某某人寿北京分公司】`): the
/// sender's name that Chinese SMS gateways require at the start of every message. Absent locally.
pub fn sms_signature(env: &Env) -> Option<String> {
    optional(env, "SMS_SIGNATURE").map(|s| s.trim().to_string())
}

/// The text as sent: the region's signature, if any, then the message.
pub fn signed_sms_text(signature: Option<&str>, text: &str) -> String {
    match signature {
        Some(sig) => format!("{sig}{text}"),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sms_signature_goes_first_when_set() {
        assert_eq!(
            signed_sms_text(Some("【某某人寿北京分公司】"), "验证码123456"),
            "【某某人寿北京分公司】验证码123456"
        );
        assert_eq!(signed_sms_text(None, "验证码123456"), "验证码123456");
    }
}
