//! The revisit edge: a Cloudflare Worker that serves the policyholder's pages (static assets) and two
//! APIs, with one Durable Object per revisit holding the live session (R2: only while it is live).
//!
//! - insurer API (HMAC-signed): `POST /v1/revisits` creates a revisit and returns its one-time link;
//!   `GET /v1/revisits/{id}` tells its status; `POST …/cancel` and `POST …/reissue` end it or give it
//!   a new link;
//! - policyholder API (the link token as a bearer credential): `/v1/session…`;
//! - `GET /v1/openapi.json`: both APIs described (OpenAPI 3.1).
//!
//! Every rule is decided by `huifang_core`; this crate only translates HTTP and storage.

mod api_doc;
#[cfg(test)]
mod api_doc_constraints;
mod bench_probe;
mod config;
mod error;
mod fallback;
mod http;
mod idempotency_object;
mod insurer;
mod origin_client;
mod policyholder;
mod revisit_call;
mod revisit_object;
mod send_throttle;

pub use idempotency_object::IdempotencyRecord;
pub use revisit_object::RevisitSession;
pub use send_throttle::SendThrottle;

use error::EdgeError;
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    Ok(route(req, env)
        .await
        .unwrap_or_else(EdgeError::into_response))
}

async fn route(req: Request, env: Env) -> std::result::Result<Response, EdgeError> {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (req.method(), segments.as_slice()) {
        (Method::Post, ["v1", "revisits"]) => insurer::create_revisit(req, &env).await,
        (_, ["v1", "revisits"]) => Err(EdgeError::MethodNotAllowed),
        (Method::Get, ["v1", "revisits", id]) => insurer::status(req, &env, id).await,
        (Method::Get, ["v1", "revisits", id, "storage"]) => insurer::storage(req, &env, id).await,
        (Method::Post, ["v1", "revisits", id, "cancel"]) => insurer::cancel(req, &env, id).await,
        (Method::Post, ["v1", "revisits", id, "reissue"]) => insurer::reissue(req, &env, id).await,
        (_, ["v1", "revisits", ..]) => Err(EdgeError::NotFound),
        (Method::Post, ["v1", "session", "phone-form", token]) => {
            Ok(fallback::switch_to_phone(req, &env, token).await)
        }
        (_, ["v1", "session", ..]) => policyholder::forward(req, &env).await,
        (Method::Get, ["v1", "openapi.json"]) => api_doc::document(),
        (_, ["v1", "openapi.json"]) => Err(EdgeError::MethodNotAllowed),
        (Method::Get, ["v1", "bench", "do-read"]) => bench_probe::do_read(req, &env).await,
        (Method::Post, ["r", token]) => Ok(fallback::switch_to_phone(req, &env, token).await),
        (Method::Get | Method::Head, ["r", ..]) => fallback::app_shell(req, &env).await,
        _ => Err(EdgeError::NotFound),
    }
}
