//! The edge's one error type, mapped to an HTTP status and an `ApiError` body in exactly one place.
//! People get a stable code and a sentence; internals go to the log, never to the response.

use huifang_core::domain::DomainError;
use huifang_core::session::Refusal;
use huifang_core::signing::SignatureError;
use huifang_core::wire::{ApiError, CreateError};
use worker::{console_error, Headers, Response};

#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Create(#[from] CreateError),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("the body is not valid JSON for this request: {0}")]
    BadJson(String),
    #[error("the request body could not be read")]
    BadBody,
    #[error("the body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("no such resource")]
    NotFound,
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    #[error("the link is not valid")]
    LinkNotFound,
    #[error("a revisit link is required (Authorization: Bearer <token>)")]
    LinkMissing,
    #[error("this revisit already exists")]
    Conflict,
    #[error("the SMS could not be sent just now; please try again")]
    SmsUnavailable,
    #[error("the service is not configured correctly")]
    Misconfigured(&'static str),
    #[error("something went wrong on our side; please try again")]
    Internal(String),
}

impl From<worker::Error> for EdgeError {
    fn from(e: worker::Error) -> Self {
        EdgeError::Internal(e.to_string())
    }
}

impl EdgeError {
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::Refused(r) => match r {
                Refusal::Expired | Refusal::Finished => 410,
                Refusal::LinkInUse => 403,
                Refusal::SessionLocked { .. } => 423,
                Refusal::ResendTooSoon { .. }
                | Refusal::SmsDailyLimit { .. }
                | Refusal::RateLimited { .. } => 429,
                Refusal::WrongCode { .. }
                | Refusal::WrongIdNumber
                | Refusal::BadSignature(_)
                | Refusal::CodeExpired
                | Refusal::CommentTooLong => 422,
                Refusal::NoSuchItem(_) => 404,
                _ => 409,
            },
            Self::Signature(_) => 401,
            // The shipped script failing to parse is our fault, not the request's.
            Self::Create(CreateError::NoDefaultScript) => 500,
            Self::Create(_) | Self::Domain(_) => 422,
            Self::BadJson(_) | Self::BadBody => 400,
            Self::UnsupportedMediaType => 415,
            Self::PayloadTooLarge { .. } => 413,
            Self::NotFound | Self::LinkNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::LinkMissing => 401,
            Self::Conflict => 409,
            Self::SmsUnavailable => 503,
            Self::Misconfigured(_) | Self::Internal(_) => 500,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Refused(r) => r.code(),
            Self::Signature(e) => e.code(),
            Self::Create(e) => e.code(),
            Self::Domain(e) => e.code(),
            Self::BadJson(_) => "bad_json",
            Self::BadBody => "bad_body",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::LinkNotFound => "link_not_found",
            Self::LinkMissing => "link_missing",
            Self::Conflict => "conflict",
            Self::SmsUnavailable => "sms_unavailable",
            Self::Misconfigured(_) => "misconfigured",
            Self::Internal(_) => "internal",
        }
    }

    pub fn body(&self) -> ApiError {
        let mut body = ApiError::new(self.code(), self.to_string());
        if let Self::Refused(r) = self {
            body.retry_after_secs = r.retry_after_secs();
            body.tries_left = r.tries_left();
        }
        body
    }

    /// For the log: the internal detail where there is one, else the public message.
    pub fn detail(&self) -> String {
        match self {
            Self::Internal(detail) => detail.clone(),
            other => other.to_string(),
        }
    }

    /// The response for this error. Server faults are logged (without personal data).
    pub fn into_response(self) -> Response {
        self.log();
        error_response(self.status(), &self.body())
    }

    /// Logs a server fault (an internal error or a missing setting); refusals are not logged.
    pub fn log(&self) {
        match self {
            Self::Internal(detail) => console_error!("internal error: {detail}"),
            Self::Misconfigured(name) => {
                console_error!("misconfigured: {name} is missing or invalid")
            }
            _ => {}
        }
    }
}

/// An error's HTTP answer: the status, `ApiError` as JSON, never cached, with `Retry-After` where
/// trying again later can succeed.
pub fn error_response(status: u16, body: &ApiError) -> Response {
    let headers = Headers::new();
    // Setting a valid ASCII header cannot fail.
    let _ = headers.set("cache-control", "no-store");
    if let Some(secs) = body.retry_after_secs {
        let _ = headers.set("retry-after", &secs.to_string());
    }
    let builder = Response::builder()
        .with_status(status)
        .with_headers(headers);
    // Serialising `ApiError` cannot fail; an empty body with the right status is the fallback.
    builder
        .from_json(body)
        .unwrap_or_else(|_| Response::builder().with_status(status).empty())
}
