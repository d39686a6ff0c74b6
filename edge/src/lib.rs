//! The revisit edge: a Cloudflare Worker that serves the policyholder's pages (static assets) and two
//! APIs, with one Durable Object per revisit holding the live session (R2: only while it is live).
//!
//! - insurer API (HMAC-signed): `POST /v1/revisits` creates a revisit and returns its one-time link;
//! - policyholder API (the link token as a bearer credential): `/v1/session…`.
//!
//! Every rule is decided by `huifang_core`; this crate only translates HTTP and storage.

mod config;
mod error;
mod http;
mod insurer;
mod origin_client;
mod policyholder;
mod revisit_object;

pub use revisit_object::RevisitSession;

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
        (_, ["v1", "session", ..]) => policyholder::forward(req, &env).await,
        _ => Err(EdgeError::NotFound),
    }
}
