//! Extractors that own authentication and parsing: a handler names what it needs (the admin
//! caller, a revisit id from the path, a JSON body, a request signed by the edge) and starts from
//! typed input; every refusal is an [`OriginError`]. Axum runs them in the handler's argument
//! order, which is the order the checks are made in (authentication before the path, the path
//! before the body).

use crate::console::accounts::{is_staff_id, parse_role};
use crate::server::error::OriginError;
use crate::server::settings::ApiSettings;
use crate::server::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use huifang_core::casework::Actor;
use huifang_core::signing::{SignedRequest, HEADER_KEY_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use huifang_core::{PolicyNumber, RevisitId};
use serde::de::DeserializeOwned;

/// The insurer's own call: `Authorization: Bearer <admin token>` matches the configured token.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = OriginError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OriginError> {
        check_admin(&app.settings, &parts.headers)?;
        Ok(Self)
    }
}

/// A reader of archived records: anyone in dev mode (`--sms-outbox`, local demo and tests),
/// otherwise the admin token only (R6: records hold personal data).
pub struct RecordReader;

impl FromRequestParts<AppState> for RecordReader {
    type Rejection = OriginError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OriginError> {
        if !app.settings.dev_mode {
            check_admin(&app.settings, &parts.headers)?;
        }
        Ok(Self)
    }
}

/// Who is acting, as the case rules need them ([`Actor`]).
///
/// The JSON API's caller is the insurer's back-office system holding the admin token, and says
/// which member of staff acts in `X-Huifang-Staff` (their id), `X-Huifang-Role` (`call_agent`,
/// `branch_handler`, `reviewer`, `supervisor`, `auditor`, `admin`) and, for staff who also sell,
/// `X-Huifang-Seller-Code`. People log in to the staff console instead, whose session
/// ([`crate::console::session::StaffSession`]) yields the same [`Actor`] from the staff table.
pub struct Staff(pub Actor);

/// The headers [`Staff`] reads.
pub const HEADER_STAFF: &str = "x-huifang-staff";
/// See [`Staff`].
pub const HEADER_ROLE: &str = "x-huifang-role";
/// See [`Staff`].
pub const HEADER_SELLER_CODE: &str = "x-huifang-seller-code";

impl FromRequestParts<AppState> for Staff {
    type Rejection = OriginError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OriginError> {
        check_admin(&app.settings, &parts.headers)?;
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .map(|v| v.to_str().map(str::trim).map_err(|_| ()))
        };
        let staff_id = match header(HEADER_STAFF) {
            Some(Ok(id)) if is_staff_id(id) => id.to_string(),
            _ => return Err(OriginError::Staff(
                "X-Huifang-Staff must name the member of staff: 1 to 64 letters, digits, '.', '_', '-' or '@' (not 'system')",
            )),
        };
        let role = match header(HEADER_ROLE) {
            Some(Ok(role)) => parse_role(role),
            _ => None,
        }
        .ok_or(OriginError::Staff(
            "X-Huifang-Role must be call_agent, branch_handler, reviewer, supervisor, auditor or admin",
        ))?;
        let seller_code =
            match header(HEADER_SELLER_CODE) {
                None => None,
                Some(Ok(code)) if is_staff_id(code) => Some(code.to_string()),
                Some(_) => return Err(OriginError::Staff(
                    "X-Huifang-Seller-Code must be 1 to 64 letters, digits, '.', '_', '-' or '@'",
                )),
            };
        Ok(Self(Actor {
            staff_id,
            role,
            seller_code,
        }))
    }
}

/// Checks the request's bearer token against the configured admin token.
fn check_admin(settings: &ApiSettings, headers: &HeaderMap) -> Result<(), OriginError> {
    let Some(token) = settings.admin_token.as_ref() else {
        return Err(OriginError::AdminDisabled);
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, value) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| value.trim())
        })
        .ok_or(OriginError::AdminTokenMissing)?;
    if token.matches(presented) {
        Ok(())
    } else {
        eprintln!("origin: admin call refused: wrong token");
        Err(OriginError::AdminTokenInvalid)
    }
}

/// The one path parameter, as text (a path that cannot be parsed is a bad request).
async fn path_text(parts: &mut Parts, app: &AppState) -> Result<String, OriginError> {
    let Path(text) = Path::<String>::from_request_parts(parts, app).await?;
    Ok(text)
}

/// The revisit id in the path. An id that cannot be a revisit id has no record: not found.
pub struct RevisitIdPath(pub RevisitId);

impl FromRequestParts<AppState> for RevisitIdPath {
    type Rejection = OriginError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OriginError> {
        let text = path_text(parts, app).await?;
        let id = RevisitId::parse(&text).map_err(|_| OriginError::RecordNotFound)?;
        Ok(Self(id))
    }
}

/// The case id in the path. An id that cannot be a case's has no case: not found.
pub struct CaseIdPath(pub crate::casework::CaseId);

impl FromRequestParts<AppState> for CaseIdPath {
    type Rejection = OriginError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OriginError> {
        let text = path_text(parts, app).await?;
        let id = crate::casework::CaseId::parse(&text).ok_or(OriginError::CaseNotFound)?;
        Ok(Self(id))
    }
}

/// The policy number in the path, well-formed.
pub struct PolicyPath(pub PolicyNumber);

impl FromRequestParts<AppState> for PolicyPath {
    type Rejection = OriginError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OriginError> {
        let text = path_text(parts, app).await?;
        let policy = PolicyNumber::parse(&text).map_err(OriginError::Domain)?;
        Ok(Self(policy))
    }
}

/// A page size from the query: `default` when absent, else a whole number from 1 to `max`.
pub fn page_limit(text: Option<&str>, default: u32, max: u32) -> Result<u32, OriginError> {
    match text {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or(OriginError::BadLimit),
    }
}

/// Whether the request says `Content-Type: application/json` (parameters allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// Parses a JSON request body, refusing any other content type.
fn json_body<T: DeserializeOwned>(json: bool, body: &[u8]) -> Result<T, OriginError> {
    if !json {
        return Err(OriginError::UnsupportedMediaType);
    }
    serde_json::from_slice(body).map_err(|e| OriginError::BadJson(e.to_string()))
}

/// The body's bytes, at most `limit` of them (the route's `DefaultBodyLimit` enforces it; the
/// limit here names it in the refusal).
async fn body_bytes(request: Request, app: &AppState, limit: usize) -> Result<Bytes, OriginError> {
    Bytes::from_request(request, app)
        .await
        .map_err(|r| OriginError::from_body_rejection(r, limit))
}

/// A JSON body of at most `LIMIT` bytes, sent as `application/json`: size first, then the
/// content type, then the shape.
pub struct JsonBody<T, const LIMIT: usize>(pub T);

impl<T: DeserializeOwned, const LIMIT: usize> FromRequest<AppState> for JsonBody<T, LIMIT> {
    type Rejection = OriginError;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, OriginError> {
        let json = is_json(request.headers());
        let body = body_bytes(request, app, LIMIT).await?;
        Ok(Self(json_body(json, &body)?))
    }
}

/// A JSON body of at most `LIMIT` bytes whose request the edge signed (R8: only the edge may ask
/// for an SMS). The signature is checked before the body is looked at.
pub struct EdgeSigned<T, const LIMIT: usize>(pub T);

impl<T: DeserializeOwned, const LIMIT: usize> FromRequest<AppState> for EdgeSigned<T, LIMIT> {
    type Rejection = OriginError;

    async fn from_request(request: Request, app: &AppState) -> Result<Self, OriginError> {
        let headers = request.headers().clone();
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let body = body_bytes(request, app, LIMIT).await?;
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        app.settings.edge_keys.verify_request(
            header(HEADER_KEY_ID),
            SignedRequest {
                method: method.as_str(),
                path: &path,
                timestamp: header(HEADER_TIMESTAMP),
                signature: header(HEADER_SIGNATURE),
                body: &body,
            },
            app.now().seconds(),
        )?;
        Ok(Self(json_body(is_json(&headers), &body)?))
    }
}
