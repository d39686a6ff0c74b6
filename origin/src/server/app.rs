//! The router: every route of the origin's API and its body limit, in one place.

use crate::server::error::OriginError;
use crate::server::state::AppState;
use crate::server::{cases, face, policies, records, report, sms};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;

/// `{"ok":true}`
#[derive(serde::Serialize)]
struct Health {
    ok: bool,
}

async fn healthz() -> Json<Health> {
    Json(Health { ok: true })
}

async fn not_found() -> OriginError {
    OriginError::NotFound
}

async fn method_not_allowed() -> OriginError {
    OriginError::MethodNotAllowed
}

/// Every answer of the origin carries personal data or evidence: never cached, never sniffed into
/// another type (issue 12, OWASP ASVS V14.4). A route that sets its own policy (the report) keeps it.
async fn protective_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The origin's router.
pub fn app(mut state: AppState) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route(
            sms::SMS_PATH,
            post(sms::send).layer(DefaultBodyLimit::max(sms::MAX_SMS_BODY)),
        )
        .route(
            "/records",
            post(records::receive).layer(DefaultBodyLimit::max(records::MAX_RECORD_BODY)),
        )
        .route(
            face::FACE_START_PATH,
            post(face::start).layer(DefaultBodyLimit::max(face::MAX_FACE_BODY)),
        )
        .route(
            face::FACE_RESULT_PATH,
            post(face::result).layer(DefaultBodyLimit::max(face::MAX_FACE_BODY)),
        )
        .route("/records", get(records::list))
        .route("/records/{revisit_id}", get(records::show))
        .route("/records/{revisit_id}/report", get(report::show))
        .route("/cases", get(cases::list))
        .route("/cases/{case_id}", get(cases::show))
        .route(
            "/cases/{case_id}/actions",
            post(cases::act).layer(DefaultBodyLimit::max(cases::MAX_ACTION_BODY)),
        )
        .route(
            "/policies/{policy_number}/termination",
            post(policies::terminate).layer(DefaultBodyLimit::max(policies::MAX_TERMINATION_BODY)),
        );
    if state.settings.dev_mode {
        // R8: dev mode's face checks go to the simulated provider (its page says so) unless one
        // was plugged in; the page's routes and the face calls share the one simulation.
        router = router.route("/sms/outbox", get(sms::outbox));
        if state.face.is_none() {
            let sim = Arc::new(crate::dev::face_sim::SimulatedFace::default());
            router = router.merge(crate::dev::face_sim::routes(Arc::clone(&sim)));
            state = state.with_face(sim);
        }
    }
    router
        .merge(crate::console::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(map_response(protective_headers))
        .with_state(state)
}
