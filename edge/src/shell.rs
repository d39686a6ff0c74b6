//! The app's page and the shell's files (index.html, the wasm, its glue, the CSS, the boot scripts,
//! the service worker), read from the static assets and answered by the worker with the headers of
//! `headers.rs`: one table for both runtimes (wrangler's `[assets]` and the self-hosted edge's
//! assets.mjs). The worker runs first on every path (wrangler.toml) for two reasons found by
//! e2e/tests/methods.spec.mjs (issue 12, item 3): wrangler's asset server, handed a GET with a body,
//! left the next request of the edge hanging (or the edge down), and its 405 named no `Allow`.
//! Here the assets get a request of their own, without the browser's body.

use crate::error::EdgeError;
use crate::headers::{self, Kind};
use crate::http::header;
use worker::{Env, Headers, Request, RequestInit, Response};

/// The static-assets binding (`[assets] binding` in wrangler.toml).
const ASSETS_BINDING: &str = "ASSETS";

/// Request headers the static assets may use (conditional requests, encodings, the SPA rule's
/// navigation hint); nothing else of the browser's request goes on.
const FORWARDED: [&str; 5] = [
    "accept",
    "accept-encoding",
    "if-none-match",
    "if-modified-since",
    "sec-fetch-mode",
];

/// `GET`/`HEAD` of any path outside `/v1/`: the file, or the app's page (index.html, by the assets'
/// single-page-application rule) for `/r/<token>` and any path the build does not hold.
pub async fn serve(req: Request, env: &Env) -> Result<Response, EdgeError> {
    let forwarded = Headers::new();
    for name in FORWARDED {
        if let Some(value) = header(&req, name) {
            forwarded.set(name, &value)?;
        }
    }
    let mut init = RequestInit::new();
    init.with_method(req.method()).with_headers(forwarded);
    let url = req.url()?;
    let asset = Request::new_with_init(url.as_str(), &init)?;
    let resp = env.assets(ASSETS_BINDING)?.fetch_request(asset).await?;
    // The fetched answer's headers are immutable: a copy takes ours.
    let headers = resp.headers().clone();
    let path = url.path();
    if path.starts_with("/r/") {
        headers::apply(&headers, Kind::AppPage)?;
    } else {
        headers::apply(&headers, Kind::ShellFile)?;
        if let Some(cache) = headers::shell_cache(path) {
            headers.set("cache-control", cache)?;
        }
    }
    Ok(resp.with_headers(headers))
}
