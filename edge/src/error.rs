//! The edge's one error type: each error has its code in [`EdgeError::code`] and each code its HTTP
//! status in [`status`], so that one code never answers with two statuses. People get a stable code
//! and a sentence; internals go to the log, never to the response.

use crate::headers;
use huifang_core::domain::DomainError;
use huifang_core::idempotency::IdempotencyError;
use huifang_core::session::Refusal;
use huifang_core::signing::SignatureError;
use huifang_core::wire::{ApiError, CreateError};
use huifang_core::ErrorCode;
use worker::{console_error, Headers, Response};

/// The one table of statuses: a code always answers with the same status, as `edge/openapi.json`
/// lists them (`api_doc`'s tests hold the two together).
pub fn status(code: ErrorCode) -> u16 {
    use ErrorCode::*;
    match code {
        BadJson | BadBody | BadForm | UnexpectedBody | InvalidIdempotencyKey => 400,
        SignatureMissing
        | BadTimestamp
        | TimestampOutsideWindow
        | SignatureMismatch
        | UnknownKey
        | BadKey
        | LinkMissing => 401,
        LinkInUse => 403,
        NotFound | LinkNotFound | NoSuchItem => 404,
        MethodNotAllowed => 405,
        Conflict
        | NotOpened
        | AlreadyVerified
        | NoCodeSent
        | NotVerified
        | AlreadyAnswered
        | ItemOutOfOrder
        | ItemsRemaining
        | NotDue
        | FaceReferenceUsed
        | FaceTriesUsed
        | WrongStep
        | SignatureRequired
        | AnsweredTooSoon
        | IdempotencyKeyReused
        | IdempotencyKeyInProgress => 409,
        LinkExpired | RevisitFinished => 410,
        PayloadTooLarge => 413,
        UnsupportedMediaType => 415,
        WrongCode | CodeExpired | CommentTooLong | WrongIdNumber | SignatureTooShort
        | SignatureTooLarge | SignatureOutOfPad | SignatureBadImage | InvalidPolicyNumber
        | InvalidPhone | InvalidIdNumber | IdNumberChecksum | InvalidName | InvalidLink
        | InvalidCodeFormat | InvalidRevisitId | InvalidProduct | InvalidTimestamp
        | CoolingOffEnded | InvalidScript | InvalidChannel | InvalidSellerCode
        | FaceReferenceUnknown | FaceReferenceExpired | FaceReturnRefused | FaceFailed => 422,
        SessionLocked => 423,
        ResendTooSoon | SmsDailyLimit | RateLimited => 429,
        // A code the edge does not know is not one it sends; were it to, it would be a bug.
        Misconfigured | Internal | Unknown => 500,
        SmsUnavailable | FaceUnavailable => 503,
    }
}

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
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
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
    MethodNotAllowed {
        /// The methods that are, for the `Allow` header (RFC 9110 §15.5.6).
        allow: &'static str,
    },
    #[error("this request takes no body (send none, or {{}})")]
    UnexpectedBody,
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
    /// The one map of the edge's errors to their codes.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::Signature(e) => e.code(),
            Self::Create(e) => e.code(),
            Self::Domain(e) => e.code(),
            Self::Idempotency(e) => e.code(),
            Self::BadJson(_) => ErrorCode::BadJson,
            Self::BadBody => ErrorCode::BadBody,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::NotFound => ErrorCode::NotFound,
            Self::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            Self::UnexpectedBody => ErrorCode::UnexpectedBody,
            Self::LinkNotFound => ErrorCode::LinkNotFound,
            Self::LinkMissing => ErrorCode::LinkMissing,
            Self::Conflict => ErrorCode::Conflict,
            Self::SmsUnavailable => ErrorCode::SmsUnavailable,
            Self::Misconfigured(_) => ErrorCode::Misconfigured,
            // Includes the shipped script failing to parse: our fault, not the request's.
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn status(&self) -> u16 {
        status(self.code())
    }

    pub fn body(&self) -> ApiError {
        let mut body = ApiError::new(self.code(), self.to_string());
        if let Self::Refused(r) = self {
            body.retry_after_secs = r.retry_after_secs();
            body.tries_left = r.tries_left();
        }
        if let Self::Idempotency(e) = self {
            body.retry_after_secs = e.retry_after_secs();
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
        let mut resp = error_response(self.status(), &self.body());
        if let Self::MethodNotAllowed { allow } = self {
            // Setting a valid ASCII header cannot fail.
            let _ = resp.headers_mut().set("allow", allow);
        }
        resp
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

/// An error's HTTP answer: the status, `ApiError` as JSON, with the API's headers (never cached,
/// never sniffed), and `Retry-After` where trying again later can succeed.
pub fn error_response(status: u16, body: &ApiError) -> Response {
    let headers = Headers::new();
    // Setting valid ASCII headers cannot fail.
    let _ = headers::apply(&headers, headers::Kind::Api);
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
