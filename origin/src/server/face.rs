//! The face check seam (R8): `POST /face/start` and `POST /face/result`, signed by the edge like
//! the SMS hook. The origin hands each call to a [`FaceProvider`]: in production the insurer's own
//! provider (its H5 flow: a page the browser is sent to, a ticket it comes back with, a result the
//! insurer's server asks for), here the one implementation is the simulated provider of dev mode
//! ([`crate::dev::face_sim`]). Without a provider, both calls answer `face_provider_unavailable`.
//!
//! No image and no provider secret ever leaves the origin: the result is a verdict, the
//! provider's name, a score band and the provider's evidence id.

use crate::server::error::OriginError;
use crate::server::extract::EdgeSigned;
use crate::server::state::{blocking, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use huifang_core::script::Lang;
use huifang_core::session::FaceResult;
use huifang_core::wire::{FaceResultRequest, FaceStartAnswer, FaceStartRequest};
use huifang_core::{RevisitId, Timestamp};
use std::sync::Arc;

/// Largest body of either call.
pub const MAX_FACE_BODY: usize = 8 * 1024;
/// The paths the edge signs.
pub const FACE_START_PATH: &str = "/face/start";
pub const FACE_RESULT_PATH: &str = "/face/result";
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
    /// The simulated provider of dev mode, whose page the origin serves itself.
    fn as_simulation(&self) -> Option<&crate::dev::face_sim::SimulatedFace> {
        None
    }
}

/// The edge's return URL, if it is one a browser may be sent back to.
pub fn return_url_ok(url: &str) -> bool {
    url.len() <= MAX_RETURN_URL
        && (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(['?', '#'])
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn provider(app: &AppState) -> Result<Arc<dyn FaceProvider>, OriginError> {
    app.face
        .clone()
        .ok_or(OriginError::Face(FaceError::NoProvider))
}

/// `POST /face/start`: the edge's signature verified, the provider starts a check.
pub async fn start(
    State(app): State<AppState>,
    headers: HeaderMap,
    EdgeSigned(request): EdgeSigned<FaceStartRequest, MAX_FACE_BODY>,
) -> Result<Json<FaceStartAnswer>, OriginError> {
    let provider = provider(&app)?;
    if !return_url_ok(&request.return_url) {
        return Err(OriginError::Face(FaceError::BadReturnUrl));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".:-[]".contains(&c))
        })
        .unwrap_or("localhost");
    let order = FaceOrder {
        revisit_id: request.revisit_id,
        return_url: request.return_url,
        lang: request.lang,
        origin_base: format!("http://{host}"),
    };
    let now = app.now();
    let revisit_id = order.revisit_id.clone();
    let answer = blocking(move || provider.start(&order, now))
        .await?
        .map_err(OriginError::Face)?;
    eprintln!("origin: face check started revisit_id={revisit_id}");
    Ok(Json(answer))
}

/// `POST /face/result`: the edge's signature verified, the provider's result for the reference.
pub async fn result(
    State(app): State<AppState>,
    EdgeSigned(request): EdgeSigned<FaceResultRequest, MAX_FACE_BODY>,
) -> Result<Json<FaceResult>, OriginError> {
    let provider = provider(&app)?;
    let now = app.now();
    let revisit_id = request.revisit_id.clone();
    let answer = blocking(move || provider.result(&request, now)).await?;
    match answer {
        Ok(result) => {
            eprintln!(
                "origin: face check result revisit_id={revisit_id} outcome={:?} evidence_id={}",
                result.outcome, result.evidence_id
            );
            Ok(Json(result))
        }
        Err(e) => {
            eprintln!(
                "origin: face check result refused revisit_id={revisit_id}: {}",
                e.status_and_code().1
            );
            Err(OriginError::Face(e))
        }
    }
}
