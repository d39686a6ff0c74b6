//! `GET /v1/openapi.json`: the OpenAPI 3.1 description of the insurer and policyholder APIs
//! (`edge/openapi.json`), built into the worker so that the document served is the one this build
//! answers to. `e2e/tests/openapi.spec.mjs` checks real responses against it.

use crate::error::EdgeError;
use worker::Response;

/// The document, exactly as in the repository.
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// The document as JSON; the same for every caller, so caches may keep it for a few minutes.
pub fn document() -> Result<Response, EdgeError> {
    let mut resp = Response::ok(DOCUMENT)?;
    let headers = resp.headers_mut();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "public, max-age=300")?;
    Ok(resp)
}
