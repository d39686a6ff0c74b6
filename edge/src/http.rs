//! Small HTTP helpers: the clock, random bytes, bounded JSON bodies, JSON responses.

use crate::error::EdgeError;
use crate::headers;
use huifang_core::Timestamp;
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Request, Response};

/// Largest insurer request body (a script of 30 long items fits comfortably).
pub const MAX_INSURER_BODY: usize = 512 * 1024;
/// Largest policyholder request body.
pub const MAX_POLICYHOLDER_BODY: usize = 8 * 1024;
/// Largest signature body: a 64 KiB PNG in base64 and its strokes.
pub const MAX_SIGNATURE_BODY: usize = 160 * 1024;

/// The edge's clock. In a Worker it advances only across I/O, which is all a stamp needs.
pub fn now() -> Timestamp {
    Timestamp::from_millis(worker::Date::now().as_millis())
}

/// `N` bytes from the platform CSPRNG (`crypto.getRandomValues`).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], EdgeError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| EdgeError::Internal(format!("getrandom: {e}")))?;
    Ok(buf)
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Reads the body, refusing more than `limit` bytes. An empty body is allowed (returned empty).
pub async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, EdgeError> {
    let declared = header(req, "content-length").and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(EdgeError::PayloadTooLarge { limit });
    }
    let body = req.bytes().await.map_err(|_| EdgeError::BadBody)?;
    if body.len() > limit {
        return Err(EdgeError::PayloadTooLarge { limit });
    }
    if !body.is_empty() {
        let json = header(req, "content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
        if !json {
            return Err(EdgeError::UnsupportedMediaType);
        }
    }
    Ok(body)
}

/// Reads the body as `read_body` does, as text: a body that is not UTF-8 is refused as `bad_json`
/// (every body the API takes is JSON).
pub async fn read_text_body(req: &mut Request, limit: usize) -> Result<String, EdgeError> {
    let body = read_body(req, limit).await?;
    String::from_utf8(body).map_err(|_| EdgeError::BadJson("not UTF-8".into()))
}

/// Parses a JSON object; an empty body parses as `{}` so that bodies with only optional fields may
/// be omitted. Every body the API takes is an object: anything else (an array, which serde would
/// otherwise read field by field into a struct, a string, a number) is refused (issue 12, item 6).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, EdgeError> {
    let body: &[u8] = if body.is_empty() { b"{}" } else { body };
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(EdgeError::BadJson("the body must be a JSON object".into()));
    }
    serde_json::from_slice(body).map_err(|e| EdgeError::BadJson(e.to_string()))
}

/// For a route that takes no body: refuses any body but none or the empty object `{}` (which the
/// app sends to its body-less routes), so that a request the document does not describe is not
/// taken as another (issue 12, item 6).
pub fn no_body(body: &[u8]) -> Result<(), EdgeError> {
    if body.is_empty() {
        return Ok(());
    }
    match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body) {
        Ok(fields) if fields.is_empty() => Ok(()),
        _ => Err(EdgeError::UnexpectedBody),
    }
}

/// A JSON answer of the API with its headers (never cached, never sniffed).
pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Response, EdgeError> {
    let mut resp = Response::from_json(value)?.with_status(status);
    headers::apply(resp.headers_mut(), headers::Kind::Api)?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Reason {
        #[allow(dead_code)]
        reason: Option<String>,
    }

    #[test]
    fn a_body_is_an_object_or_nothing() {
        assert!(parse_json::<Reason>(b"").is_ok());
        assert!(parse_json::<Reason>(b" {\"reason\":\"x\"}").is_ok());
        for bad in [
            &b"[]"[..],
            b"[\"x\"]",
            b"null",
            b"1",
            b"\"x\"",
            b"{\"reason\": ",
        ] {
            assert_eq!(
                parse_json::<Reason>(bad).unwrap_err().code(),
                huifang_core::ErrorCode::BadJson,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_body_less_route_takes_none_or_the_empty_object() {
        for ok in [&b""[..], b"{}", b" { } \n"] {
            assert!(no_body(ok).is_ok(), "{ok:?}");
        }
        for bad in [&b"{\"reason\": "[..], b"[]", b"{\"a\":1}", b"null", b"x"] {
            assert_eq!(
                no_body(bad).unwrap_err().code(),
                huifang_core::ErrorCode::UnexpectedBody,
                "{bad:?}"
            );
        }
    }
}
