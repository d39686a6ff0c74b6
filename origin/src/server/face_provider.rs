//! The face check provider the origin hands the edge's face calls to (R8): the insurer's own
//! (its H5 flow: a page the browser is sent to, a ticket it comes back with, a result the insurer's
//! server asks for), or dev mode's simulation (`dev::face_sim`). The seam only: the routes are in
//! `server::face`, and nothing here knows the server's state or errors.

use huifang_core::script::Lang;
use huifang_core::session::FaceResult;
use huifang_core::wire::{FaceResultRequest, FaceStartAnswer};
use huifang_core::{RevisitId, Timestamp};

/// Longest return URL taken from the edge.
const MAX_RETURN_URL: usize = 1024;

/// A check to start, as the provider needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaceOrder {
    pub revisit_id: RevisitId,
    /// The edge's page to send the browser back to (validated: http(s), no query, no fragment).
    pub return_url: String,
    pub lang: Lang,
    /// This origin's own base URL as the edge reached it (`http://host:port`), for a provider
    /// page served by the origin itself (the simulation).
    pub origin_base: String,
}

/// Why a provider could not start a check or answer for one. Each has a stable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FaceError {
    #[error("no face check provider is configured on this origin")]
    NoProvider,
    #[error("the return URL must be an http(s) URL without a query or fragment, at most 1024 characters")]
    BadReturnUrl,
    #[error("no face check was started with this reference")]
    UnknownReference,
    #[error("this reference was started for another revisit")]
    ForeignReference,
    #[error("the ticket does not match the provider's")]
    TicketInvalid,
    #[error("the provider has no verdict for this check yet")]
    Pending,
    #[error("the result of this check was already taken")]
    Used,
    #[error("this check is too old")]
    Expired,
    #[error("too many face checks are open; try again later")]
    Busy,
}

impl FaceError {
    /// The stable code and the status the API answers with.
    pub fn status_and_code(self) -> (axum::http::StatusCode, &'static str) {
        use axum::http::StatusCode as S;
        match self {
            Self::NoProvider => (S::SERVICE_UNAVAILABLE, "face_provider_unavailable"),
            Self::Busy => (S::SERVICE_UNAVAILABLE, "face_provider_busy"),
            Self::BadReturnUrl => (S::BAD_REQUEST, "invalid_return_url"),
            Self::UnknownReference => (S::NOT_FOUND, "face_reference_unknown"),
            Self::ForeignReference => (S::CONFLICT, "face_reference_foreign"),
            Self::TicketInvalid => (S::FORBIDDEN, "face_ticket_invalid"),
            Self::Pending => (S::CONFLICT, "face_pending"),
            Self::Used => (S::CONFLICT, "face_reference_used"),
            Self::Expired => (S::GONE, "face_reference_expired"),
        }
    }
}

/// The insurer's face check provider. Called from a blocking thread, so an implementation may
/// block (on the provider's own API).
pub trait FaceProvider: Send + Sync {
    /// Starts a check: the provider's page for the browser, and an opaque reference of at most
    /// 128 characters of `A–Z a–z 0–9 . _ : -` (the edge refuses any other).
    fn start(&self, order: &FaceOrder, now: Timestamp) -> Result<FaceStartAnswer, FaceError>;
    /// The result of a check, once: only for the revisit it was started for, only with the
    /// ticket the provider handed back.
    fn result(&self, request: &FaceResultRequest, now: Timestamp) -> Result<FaceResult, FaceError>;
}

/// The edge's return URL, if it is one a browser may be sent back to.
pub fn return_url_ok(url: &str) -> bool {
    url.len() <= MAX_RETURN_URL
        && (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(['?', '#'])
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}
