//! The revisit edge: a Cloudflare Worker that serves the policyholder's pages (static assets) and two
//! APIs, with one Durable Object per revisit holding the live session (R2: only while it is live).
//!
//! - insurer API (HMAC-signed): `POST /v1/revisits` creates a revisit and returns its one-time link;
//!   `GET /v1/revisits/{id}` tells its status; `POST …/cancel` and `POST …/reissue` end it or give it
//!   a new link;
//! - policyholder API (the link token as a bearer credential): `/v1/session…`;
//! - `GET /v1/openapi.json`: both APIs described (OpenAPI 3.1);
//! - every other path: the app's page and the shell's files, from the static assets (`shell`).
//!
//! Every rule is decided by `huifang_core`; this crate only translates HTTP and storage.

mod api_doc;
#[cfg(test)]
mod api_doc_constraints;
mod bench_probe;
mod config;
mod error;
mod face;
mod fallback;
mod headers;
mod http;
mod idempotency_object;
mod insurer;
mod origin_client;
mod policyholder;
mod revisit_call;
mod revisit_object;
mod send_throttle;
mod shell;

pub use idempotency_object::IdempotencyRecord;
pub use revisit_object::RevisitSession;
pub use send_throttle::SendThrottle;

use error::EdgeError;
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let head = req.method() == Method::Head;
    // A second handle to the same JavaScript request (not its `clone()`, which would copy the
    // body), to read what the route left of the body.
    let request = Request::from(<worker::web_sys::Request as Clone>::clone(req.inner()));
    let resp = route(req, env)
        .await
        .unwrap_or_else(EdgeError::into_response);
    drain(request).await;
    // HEAD answers wherever GET does, with GET's status and headers and no body (RFC 9110 §9.3.2).
    Ok(if head { without_body(resp)? } else { resp })
}

/// Most a refused request's unread body is read to keep its connection (well above every limit).
const DRAIN_LIMIT: usize = 1024 * 1024;

/// Reads and drops what is left of the request's body, up to `DRAIN_LIMIT`. A route that refuses
/// a request before reading its body (a 405, a missing link, the wrong media type) leaves it
/// unread, and the self-hosted workerd then closes the keep-alive connection after the answer
/// without saying so: a client that sent its next request on it got no answer at all (found by
/// e2e/tests/methods.spec.mjs on workerd). Past the limit the connection may close: no client of
/// ours sends that much to be refused.
async fn drain(mut request: Request) {
    use futures_util::StreamExt;
    if request.inner().body_used() {
        return;
    }
    let Ok(mut body) = request.stream() else {
        return;
    };
    let mut read = 0;
    while let Some(Ok(chunk)) = body.next().await {
        read += chunk.len();
        if read > DRAIN_LIMIT {
            break;
        }
    }
}

/// `resp` with its status and headers and no body.
fn without_body(resp: Response) -> Result<Response> {
    let headers = resp.headers().clone();
    Ok(Response::empty()?
        .with_status(resp.status_code())
        .with_headers(headers))
}

async fn route(req: Request, env: Env) -> std::result::Result<Response, EdgeError> {
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // HEAD is routed as GET; `fetch` drops the body.
    let method = match req.method() {
        Method::Head => Method::Get,
        other => other,
    };
    match (method, segments.as_slice()) {
        (Method::Post, ["v1", "revisits"]) => insurer::create_revisit(req, &env).await,
        (_, ["v1", "revisits"]) => Err(EdgeError::MethodNotAllowed { allow: "POST" }),
        (Method::Get, ["v1", "revisits", id]) => insurer::status(req, &env, id).await,
        (Method::Get, ["v1", "revisits", id, "storage"]) => insurer::storage(req, &env, id).await,
        (Method::Post, ["v1", "revisits", id, "cancel"]) => insurer::cancel(req, &env, id).await,
        (Method::Post, ["v1", "revisits", id, "reissue"]) => insurer::reissue(req, &env, id).await,
        (_, ["v1", "revisits", ..]) => Err(EdgeError::NotFound),
        (Method::Post, ["v1", "session", "phone-form", token]) => {
            Ok(fallback::switch_to_phone(req, &env, token).await)
        }
        (Method::Get, ["v1", "session", "open", token]) => {
            policyholder::open_by_path(req, &env, token).await
        }
        (_, ["v1", "session", "open", _]) => {
            Err(EdgeError::MethodNotAllowed { allow: "GET, HEAD" })
        }
        (_, ["v1", "session", ..]) => policyholder::forward(req, &env).await,
        (Method::Get, ["v1", "openapi.json"]) => api_doc::document(),
        (_, ["v1", "openapi.json"]) => Err(EdgeError::MethodNotAllowed { allow: "GET, HEAD" }),
        (Method::Get, ["v1", "bench", "do-read"]) => bench_probe::do_read(req, &env).await,
        (_, ["v1", ..]) => Err(EdgeError::NotFound),
        (Method::Post, ["r", token]) => Ok(fallback::switch_to_phone(req, &env, token).await),
        (Method::Get, _) => shell::serve(req, &env).await,
        (_, ["r", _]) => Err(EdgeError::MethodNotAllowed {
            allow: "GET, HEAD, POST",
        }),
        _ => Err(EdgeError::MethodNotAllowed { allow: "GET, HEAD" }),
    }
}
