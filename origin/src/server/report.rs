//! `GET /records/{revisit_id}/report`: the evidence report of one archived revisit (R3), rendered
//! by [`crate::audit::report`], served as a self-contained page that may run nothing.

use crate::audit::report::{render, verify_stored, ReportInput, CONTENT_SECURITY_POLICY};
use crate::server::error::OriginError;
use crate::server::extract::{RecordReader, RevisitIdPath};
use crate::server::page::html_page;
use crate::server::records::load;
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use huifang_core::RevisitId;

/// `GET /records/{revisit_id}/report`: the page, open in dev mode (`--sms-outbox`), otherwise for
/// the admin token only.
pub async fn show(
    State(app): State<AppState>,
    _reader: RecordReader,
    RevisitIdPath(revisit_id): RevisitIdPath,
) -> Result<Response, OriginError> {
    page(&app, revisit_id).await
}

/// The report of `revisit_id` as a page with its headers: served here and, to a logged-in member
/// of staff, by the console (`/console/records/{revisit_id}/report`).
pub async fn page(app: &AppState, revisit_id: RevisitId) -> Result<Response, OriginError> {
    let (stored, sealed) = load(app, revisit_id).await?;
    let problems = verify_stored(&stored, &app.settings.edge_keys);
    if !problems.is_empty() {
        let codes: Vec<_> = problems.iter().map(|p| p.code).collect();
        eprintln!(
            "origin: report of revisit_id={} does not verify: {codes:?}",
            sealed.record.revisit_id
        );
    }
    let page = render(&ReportInput {
        sealed: &sealed,
        stored: &stored,
        problems: &problems,
        generated_at: app.now(),
    });
    Ok(html_page(StatusCode::OK, page, CONTENT_SECURITY_POLICY))
}
