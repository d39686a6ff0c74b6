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
use huifang_core::LinkToken;
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
const BROTLI: [(&str, &str); 5] = [
    ("/index.html", "text/html; charset=utf-8"),
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
    ours(&headers, &req, url.path())?;
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
    ours(&headers, req, url.path())?;
    Ok(Some(
        resp.with_headers(headers)
            .with_encode_body(EncodeBody::Manual),
    ))
}

/// The header table's headers for the page or shell file at `path`; on the app's page, the
/// session's preload hint for a browser that runs the app.
fn ours(headers: &Headers, req: &Request, path: &str) -> Result<(), EdgeError> {
    if path.starts_with("/r/") {
        headers::apply(headers, Kind::AppPage)?;
        let navigation = header(req, "sec-fetch-dest").as_deref() == Some("document");
        let user_agent = header(req, "user-agent").unwrap_or_default();
        if let Some(link) = session_preload(path, navigation, &user_agent) {
            headers.set("link", &link)?;
        }
    } else {
        headers::apply(headers, Kind::ShellFile)?;
        if let Some(cache) = headers::shell_cache(path) {
            headers.set("cache-control", cache)?;
        }
    }
    Ok(())
}

/// The `Link` header that has the browser ask for the session (`GET /v1/session/open/<token>`,
/// policyholder.rs) as soon as the page's headers arrive, a round trip sooner than the page's
/// first script could (issue 19: the script runs only once the document is set up, about as long
/// again on a slow phone), and which the script's own request then takes over. Like the script's
/// request, it opens the link and so binds it to this browser (R10); so it goes only where the
/// script's request would go too: to a browser's navigation (`Sec-Fetch-Dest: document`; a
/// link-preview bot sends none, and the page's GET itself still binds nothing) from a browser that
/// runs the app, which otherwise gets the fallback (R7) without the link being bound, so that it
/// can still be opened in another browser on the phone. Anything else gets no hint and the
/// script asks, as before.
fn session_preload(path: &str, navigation: bool, user_agent: &str) -> Option<String> {
    let token = path.strip_prefix("/r/")?.trim_end_matches('/');
    LinkToken::parse(token).ok()?;
    (navigation && runs_the_app(user_agent))
        .then(|| format!("</v1/session/open/{token}>; rel=preload; as=fetch; crossorigin"))
}

/// Whether a user agent names a browser with every WebAssembly feature the page checks before it
/// starts the app (app/index.html: reference types came last, in Chromium 96, Firefox 79 and
/// Safari 15). Chromium-based browsers (Android's WebView and the in-app browsers built on it
/// included) name `Chrome/<major>`; Safari its `Version/<major>`. Unknown means no.
fn runs_the_app(user_agent: &str) -> bool {
    let major = |key: &str| -> Option<u32> {
        let after = user_agent.split(key).nth(1)?;
        after
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    if let Some(chrome) = major("Chrome/") {
        return chrome >= 96;
    }
    if let Some(firefox) = major("Firefox/") {
        return firefox >= 90;
    }
    user_agent.contains("AppleWebKit/") && major("Version/").is_some_and(|safari| safari >= 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const PIXEL: &str =
        "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) \
                         Chrome/156.0.0.0 Mobile Safari/537.36";

    #[test]
    fn the_session_is_preloaded_only_for_a_browser_that_runs_the_app() {
        let page = format!("/r/{TOKEN}");
        assert_eq!(
            session_preload(&page, true, PIXEL).as_deref(),
            Some(
                format!("</v1/session/open/{TOKEN}>; rel=preload; as=fetch; crossorigin").as_str()
            )
        );
        // Not a navigation: a link-preview bot's fetch, or anything else that is not a browser
        // opening the page.
        assert_eq!(session_preload(&page, false, PIXEL), None);
        // Not a link.
        assert_eq!(session_preload("/r/not-a-token", true, PIXEL), None);
        assert_eq!(session_preload("/index.html", true, PIXEL), None);
        // Browsers that cannot run the app get the fallback with the link unbound.
        for old in [
            // Chromium 86 (no reference types): an older Android WebView.
            "Mozilla/5.0 (Linux; Android 10; V1938T) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/86.0.4240.99 Mobile Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 14_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, \
             like Gecko) Version/14.1.2 Mobile/15E148 Safari/604.1",
            // Safari's in-app web views name no version: not known, so no.
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, \
             like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI",
            "Mozilla/5.0 (Android 9; Mobile; rv:68.0) Gecko/68.0 Firefox/68.0",
            "WhatsApp/2.23.20.0",
            "",
        ] {
            assert_eq!(session_preload(&page, true, old), None, "{old}");
        }
        for new in [
            // WeChat's in-app browser on Android (XWeb, Chromium-based).
            "Mozilla/5.0 (Linux; Android 13; V2183A) AppleWebKit/537.36 (KHTML, like Gecko) \
             Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20240301 \
             MicroMessenger/8.0.48.2580(0x28003035) WeChat/arm64",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, \
             like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0",
        ] {
            assert!(session_preload(&page, true, new).is_some(), "{new}");
        }
    }

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
