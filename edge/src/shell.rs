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
use worker::{EncodeBody, Env, Headers, Request, RequestInit, Response};

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

/// The files the build also holds brotli-compressed as `<file>.br` (tools/build-app.sh), with their
/// types: what a first visit downloads. The self-hosted workerd compresses on the fly with gzip
/// only; brotli at its best level makes the wasm a fifth smaller again (issue 19). On Cloudflare
/// the edge would compress for the browser itself; a `.br` answer passes through as it is.
const BROTLI: [(&str, &str); 6] = [
    ("/index.html", "text/html; charset=utf-8"),
    ("/app.css", "text/css; charset=utf-8"),
    ("/boot.js", "text/javascript; charset=utf-8"),
    ("/start.js", "text/javascript; charset=utf-8"),
    ("/app.js", "text/javascript; charset=utf-8"),
    ("/app_bg.wasm", "application/wasm"),
];

/// Whether an `Accept-Encoding` value accepts brotli (`br`, not with `q=0`).
pub fn accepts_brotli(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        parts
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case("br"))
            && !parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            })
    })
}

/// The brotli file and type for a path, if the build has one: `/r/<token>` is the app's page.
fn brotli_file(path: &str) -> Option<(&'static str, &'static str)> {
    let file = if path.starts_with("/r/") {
        "/index.html"
    } else {
        path
    };
    BROTLI.into_iter().find(|(f, _)| *f == file)
}

/// `GET`/`HEAD` of any path outside `/v1/`: the file, or the app's page (index.html, by the assets'
/// single-page-application rule) for `/r/<token>` and any path the build does not hold.
pub async fn serve(req: Request, env: &Env) -> Result<Response, EdgeError> {
    if let Some(resp) = serve_brotli(&req, env).await? {
        return Ok(resp);
    }
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
    ours(&headers, url.path())?;
    Ok(resp.with_headers(headers))
}

/// The brotli file for `req`, when the browser takes brotli and the build holds one: sent as it is
/// (`encodeBody: manual`), with the plain file's type. `None` to serve the plain file.
async fn serve_brotli(req: &Request, env: &Env) -> Result<Option<Response>, EdgeError> {
    let accepted = header(req, "accept-encoding").is_some_and(|v| accepts_brotli(&v));
    let url = req.url()?;
    let Some((file, content_type)) = brotli_file(url.path()).filter(|_| accepted) else {
        return Ok(None);
    };
    // Conditional headers refer to the .br file's own validators; no Accept-Encoding, so that the
    // assets send its bytes as they are.
    let forwarded = Headers::new();
    for name in ["if-none-match", "if-modified-since"] {
        if let Some(value) = header(req, name) {
            forwarded.set(name, &value)?;
        }
    }
    let mut init = RequestInit::new();
    init.with_method(req.method()).with_headers(forwarded);
    let mut br_url = url.clone();
    br_url.set_path(&format!("{file}.br"));
    br_url.set_query(None);
    let asset = Request::new_with_init(br_url.as_str(), &init)?;
    let resp = env.assets(ASSETS_BINDING)?.fetch_request(asset).await?;
    // A build without the .br file answers the app's page (the single-page-application rule).
    let page = resp
        .headers()
        .get("content-type")?
        .is_some_and(|t| t.starts_with("text/html"));
    if page || !matches!(resp.status_code(), 200 | 304) {
        return Ok(None);
    }
    let headers = resp.headers().clone();
    headers.set("content-type", content_type)?;
    headers.set("content-encoding", "br")?;
    headers.set("vary", "accept-encoding")?;
    ours(&headers, url.path())?;
    Ok(Some(
        resp.with_headers(headers)
            .with_encode_body(EncodeBody::Manual),
    ))
}

/// The header table's headers for the page or shell file at `path`.
fn ours(headers: &Headers, path: &str) -> Result<(), EdgeError> {
    if path.starts_with("/r/") {
        headers::apply(headers, Kind::AppPage)?;
    } else {
        headers::apply(headers, Kind::ShellFile)?;
        if let Some(cache) = headers::shell_cache(path) {
            headers.set("cache-control", cache)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brotli_only_where_the_browser_takes_it() {
        assert!(accepts_brotli("gzip, deflate, br"));
        assert!(accepts_brotli("br;q=0.5, gzip"));
        assert!(accepts_brotli("BR"));
        assert!(!accepts_brotli("gzip, deflate"));
        assert!(!accepts_brotli("br;q=0, gzip"));
        assert!(!accepts_brotli("brotli"));
        assert!(!accepts_brotli(""));
    }

    #[test]
    fn the_app_page_and_the_first_load_files_have_brotli_copies() {
        assert_eq!(brotli_file("/r/abc").map(|f| f.0), Some("/index.html"));
        assert_eq!(
            brotli_file("/app_bg.wasm").map(|f| f.1),
            Some("application/wasm")
        );
        assert_eq!(brotli_file("/sw.js"), None);
        assert_eq!(brotli_file("/fallback.css"), None);
    }
}
