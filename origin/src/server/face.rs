//! The face check seam (R8): `POST /face/start` and `POST /face/result`, signed by the edge like
//! the SMS hook. The origin hands each call to a [`FaceProvider`] (`server::face_provider`): the
//! insurer's own, or in dev mode the simulated one the router plugs in (`dev::face_sim`). Without
//! a provider, both calls answer `face_provider_unavailable`.
//!
//! No image and no provider secret ever leaves the origin: the result is a verdict, the
//! provider's name, a score band and the provider's evidence id.

use crate::server::error::OriginError;
use crate::server::extract::EdgeSigned;
pub use crate::server::face_provider::{return_url_ok, FaceError, FaceOrder, FaceProvider};
use crate::server::state::{blocking, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::Json;
use huifang_core::session::FaceResult;
use huifang_core::wire::{FaceResultRequest, FaceStartAnswer, FaceStartRequest};
use std::sync::Arc;

/// Largest body of either call.
pub const MAX_FACE_BODY: usize = 8 * 1024;
/// The paths the edge signs.
pub const FACE_START_PATH: &str = "/face/start";
pub const FACE_RESULT_PATH: &str = "/face/result";

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
