//! The origin's one error type and the one place where each error becomes an HTTP status and an
//! `ApiError` body. Internal details go to the stderr log, never into the response.

use crate::archive::ArchiveError;
use crate::server::gateway::GatewayError;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use huifang_core::casework::CaseRefusal;
use huifang_core::domain::DomainError;
use huifang_core::record::RecordError;
use huifang_core::signing::SignatureError;
use huifang_core::wire::ApiError;

/// Everything a request to the origin can fail with.
#[derive(Debug, thiserror::Error)]
pub enum OriginError {
    /// The body is not JSON of the expected shape.
    #[error("the body is not valid JSON of the expected shape: {0}")]
    BadJson(String),
    /// The body is larger than the route allows.
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The route's limit in bytes.
        limit: usize,
    },
    /// The request did not say `Content-Type: application/json`.
    #[error("the body must be sent with Content-Type: application/json")]
    UnsupportedMediaType,
    /// The body could not be read for another reason (e.g. the client went away).
    #[error("the request body could not be read")]
    UnreadableBody,
    /// A query string or path parameter that could not be parsed.
    #[error("{0}")]
    BadRequest(&'static str),
    /// The edge's request signature did not verify.
    #[error("{0}")]
    Signature(#[from] SignatureError),
    /// A value from outside that is not well-formed (a phone number, a policy number).
    #[error("{0}")]
    Domain(DomainError),
    /// `limit` outside 1..=100 or not a number.
    #[error("limit must be a whole number from 1 to 100")]
    BadLimit,
    /// `after` is not a whole number (a seq).
    #[error("after must be the seq of the last record of the previous page")]
    BadCursor,
    /// A time in the query or body that is not RFC 3339, or a range that ends before it starts.
    #[error("{0}")]
    BadTime(&'static str),
    /// A contract termination later than now (R5).
    #[error("terminated_at is in the future; report a termination once it has happened")]
    TerminationInFuture,
    /// The insurer's admin calls are off: no admin token is configured.
    #[error(
        "the admin API is off: start the origin with --admin-token or HUIFANG_ORIGIN_ADMIN_TOKEN"
    )]
    AdminDisabled,
    /// No `Authorization: Bearer` admin token was sent.
    #[error("this call needs Authorization: Bearer <admin token>")]
    AdminTokenMissing,
    /// The admin token sent is not the configured one.
    #[error("the admin token is not valid")]
    AdminTokenInvalid,
    /// The sealed record did not verify; nothing was stored (R4).
    #[error("the record was refused: {0}")]
    Record(#[from] RecordError),
    /// A different record is already archived for this revisit; the first stays (R4).
    #[error("a different record is already archived for this revisit")]
    RecordConflict,
    /// No record is archived under this revisit id.
    #[error("no record is archived for this revisit")]
    RecordNotFound,
    /// The staff headers are missing or malformed (`extract::Staff`).
    #[error("{0}")]
    Staff(&'static str),
    /// `queue` is missing (for a role without a queue of its own) or not a queue.
    #[error("queue must be reviewer, call_agent or branch")]
    BadQueue,
    /// The caller's role does not work this queue.
    #[error("your role does not work this queue")]
    QueueNotYours,
    /// No such case, or not one the caller may see.
    #[error("there is no such case")]
    CaseNotFound,
    /// The case rules refused the action; nothing was appended.
    #[error("{0}")]
    CaseRefused(CaseRefusal),
    /// The case changed between reading and appending; nothing was appended.
    #[error("the case changed meanwhile; read it again and retry")]
    CaseChanged,
    /// No such route.
    #[error("there is nothing here")]
    NotFound,
    /// The route exists but not for this method.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The archive failed; details are logged.
    #[error("the archive is unavailable")]
    Archive(#[from] ArchiveError),
    /// The SMS gateway failed; details are logged.
    #[error("the SMS gateway is unavailable")]
    Gateway(#[from] GatewayError),
    /// The face check provider refused or cannot answer (R8).
    #[error("{0}")]
    Face(crate::server::face_provider::FaceError),
    /// A blocking task failed to run to completion; details are logged.
    #[error("internal error")]
    Internal(String),
}

impl OriginError {
    /// Converts axum's body rejection (size limit and read failures) into our error.
    pub fn from_body_rejection(rejection: BytesRejection, limit: usize) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge { limit },
            _ => Self::UnreadableBody,
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadJson(_) => (StatusCode::BAD_REQUEST, "bad_json"),
            Self::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::UnreadableBody => (StatusCode::BAD_REQUEST, "unreadable_body"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Signature(e) => (StatusCode::UNAUTHORIZED, e.code().as_str()),
            Self::Domain(e) => (StatusCode::BAD_REQUEST, e.code().as_str()),
            Self::BadLimit => (StatusCode::BAD_REQUEST, "invalid_limit"),
            Self::BadCursor => (StatusCode::BAD_REQUEST, "invalid_cursor"),
            Self::BadTime(_) => (StatusCode::BAD_REQUEST, "invalid_time"),
            Self::TerminationInFuture => {
                (StatusCode::UNPROCESSABLE_ENTITY, "termination_in_future")
            }
            Self::AdminDisabled => (StatusCode::FORBIDDEN, "admin_api_disabled"),
            Self::AdminTokenMissing => (StatusCode::UNAUTHORIZED, "admin_token_missing"),
            Self::AdminTokenInvalid => (StatusCode::UNAUTHORIZED, "admin_token_invalid"),
            Self::Record(e) => (StatusCode::UNPROCESSABLE_ENTITY, e.code()),
            Self::RecordConflict => (StatusCode::CONFLICT, "record_conflict"),
            Self::RecordNotFound => (StatusCode::NOT_FOUND, "record_not_found"),
            Self::Staff(_) => (StatusCode::BAD_REQUEST, "invalid_staff"),
            Self::BadQueue => (StatusCode::BAD_REQUEST, "invalid_queue"),
            Self::QueueNotYours => (StatusCode::FORBIDDEN, "queue_not_yours"),
            Self::CaseNotFound => (StatusCode::NOT_FOUND, "case_not_found"),
            Self::CaseRefused(refusal) => (refusal_status(refusal), refusal.code()),
            Self::CaseChanged => (StatusCode::CONFLICT, "case_changed"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Archive(_) => (StatusCode::SERVICE_UNAVAILABLE, "archive_unavailable"),
            Self::Gateway(_) => (StatusCode::SERVICE_UNAVAILABLE, "sms_gateway_unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
            Self::Face(e) => e.status_and_code(),
        }
    }
}

/// A case refusal's status: who may not act (403), what the case's state does not allow now
/// (409), what the command itself gets wrong (422).
pub(crate) fn refusal_status(refusal: &CaseRefusal) -> StatusCode {
    match refusal {
        CaseRefusal::ReadOnly
        | CaseRefusal::OwnSale
        | CaseRefusal::NotYourWork
        | CaseRefusal::SecondPersonRequired => StatusCode::FORBIDDEN,
        CaseRefusal::Closed
        | CaseRefusal::AwaitingApproval
        | CaseRefusal::OutsideCallHours
        | CaseRefusal::NoCallAttemptsLeft
        | CaseRefusal::NothingProposed
        | CaseRefusal::ReceiptMissing => StatusCode::CONFLICT,
        CaseRefusal::ResolutionDoesNotFit | CaseRefusal::BadInput(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

impl From<crate::casework::work::WorkError> for OriginError {
    fn from(e: crate::casework::work::WorkError) -> Self {
        use crate::casework::work::WorkError;
        match e {
            WorkError::NotFound => Self::CaseNotFound,
            WorkError::Refused(refusal) => Self::CaseRefused(refusal),
            WorkError::Changed => Self::CaseChanged,
            WorkError::Store(e) => Self::Archive(e),
        }
    }
}

impl From<QueryRejection> for OriginError {
    fn from(_: QueryRejection) -> Self {
        Self::BadRequest("the query string could not be parsed")
    }
}

impl From<PathRejection> for OriginError {
    fn from(_: PathRejection) -> Self {
        Self::BadRequest("the path could not be parsed")
    }
}

impl IntoResponse for OriginError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        // Internal failures: the detail goes to the log, the caller gets only the generic sentence.
        match &self {
            Self::Archive(e) => eprintln!("origin: archive error: {e}"),
            Self::Gateway(e) => eprintln!("origin: sms gateway error: {e}"),
            Self::Internal(detail) => eprintln!("origin: internal error: {detail}"),
            _ => {}
        }
        let mut response = (status, Json(ApiError::new(code, self.to_string()))).into_response();
        if status == StatusCode::UNAUTHORIZED && code.starts_with("admin_token") {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"huifang-origin\""),
            );
        }
        response
    }
}
