//! The one table of the headers each kind of answer of the edge carries (issue 12, OWASP ASVS
//! V14.4): the policyholder's page and the shell's files (`shell.rs`), the fallback pages, the API.
//! e2e/tests/headers.spec.mjs checks every kind on both runtimes against a table of its own.

use worker::Headers;

/// The app's page and the shell's files: only our own files; the app's WebAssembly may be compiled
/// (`'wasm-unsafe-eval'`, which allows no JavaScript `eval`); the API and the service worker on
/// this origin; one inline script and one inline stylesheet only, each by its hash (no style
/// attribute): index.html's first screen (issue 19), inline so that the session is asked for while
/// the page is parsed, a round trip sooner than any file could, and style/app.css, inline so that
/// the first paint waits for no second file (a changed script or stylesheet does not apply until
/// its hash is here: the tests below say which); the fallback form posts to this origin; never
/// framed.
pub const APP_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' \
                           'sha256-KK7TyI3url1O+CkZLq8OOYUOocP07q8fAAoxwJPM4JQ='; \
                           style-src 'self' 'sha256-3iVpaCFxvBreF4k+B8O3r+4fkTsJas+isjk1M05mzyg='; \
                           img-src 'self' data:; font-src 'self'; \
                           connect-src 'self'; manifest-src 'self'; worker-src 'self'; \
                           form-action 'self'; base-uri 'none'; object-src 'none'; \
                           frame-ancestors 'none'";

/// The server-rendered fallback pages: our own stylesheet and nothing else: no script, no frame,
/// no other origin (the empty `data:,` icon keeps browsers from asking for /favicon.ico).
pub const FALLBACK_CSP: &str = "default-src 'none'; style-src 'self'; img-src data:; \
                                form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The versioned shell files are asked for as `/file?v=BUILD` (tools/build-app.sh stamps the
/// build), so they never change under their URL; the service worker is checked on every visit.
/// Other files keep the assets' `public, max-age=0, must-revalidate`.
const SHELL_CACHE: [(&str, &str); 5] = [
    ("/app.js", IMMUTABLE),
    ("/app_bg.wasm", IMMUTABLE),
    ("/boot.js", IMMUTABLE),
    ("/start.js", IMMUTABLE),
    ("/sw.js", "no-cache"),
];
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// What kind of answer a response is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `/r/<token>`: the app's page at a URL that holds the link token (never stored by a cache: R6).
    AppPage,
    /// A file of the shell, or the app's page at a path without a token; its caching is the
    /// file's own (`shell_cache`).
    ShellFile,
    /// A server-rendered fallback page (R7): the outcome of the phone switch.
    FallbackPage,
    /// A JSON answer of the API, success or refusal: may hold personal data.
    Api,
    /// The OpenAPI document: the same for every caller.
    Document,
}

/// Every page and shell file: never framed (a framing page could click the confirmations through
/// for the policyholder: R9, R10), never sniffed into another type, no referrer (a page address
/// holds the link token, the one secret allowed in a URL: R6).
const PAGE: [(&str, &str); 3] = [
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
];

/// The headers of `kind`, by lower-case name.
pub fn of(kind: Kind) -> Vec<(&'static str, &'static str)> {
    let mut table = Vec::new();
    match kind {
        Kind::AppPage | Kind::ShellFile => {
            table.push(("content-security-policy", APP_CSP));
            table.extend(PAGE);
        }
        Kind::FallbackPage => {
            table.push(("content-security-policy", FALLBACK_CSP));
            table.extend(PAGE);
        }
        Kind::Api | Kind::Document => table.push(("x-content-type-options", "nosniff")),
    }
    match kind {
        Kind::AppPage | Kind::FallbackPage | Kind::Api => table.push(("cache-control", "no-store")),
        Kind::Document => table.push(("cache-control", "public, max-age=300")),
        Kind::ShellFile => {}
    }
    table
}

/// The `Cache-Control` of the shell file at `path`, where it has its own.
pub fn shell_cache(path: &str) -> Option<&'static str> {
    SHELL_CACHE
        .iter()
        .find(|(file, _)| *file == path)
        .map(|(_, cache)| *cache)
}

/// Sets the headers of `kind` on `headers`, replacing any of the same name.
pub fn apply(headers: &Headers, kind: Kind) -> worker::Result<()> {
    for (name, value) in of(kind) {
        headers.set(name, value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(kind: Kind, name: &str) -> Option<&'static str> {
        of(kind)
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    #[test]
    fn pages_are_never_framed_or_sniffed_and_load_nothing_from_elsewhere() {
        for kind in [Kind::AppPage, Kind::ShellFile, Kind::FallbackPage] {
            assert_eq!(value(kind, "x-frame-options"), Some("DENY"), "{kind:?}");
            assert_eq!(value(kind, "x-content-type-options"), Some("nosniff"));
            assert_eq!(value(kind, "referrer-policy"), Some("no-referrer"));
            let csp = value(kind, "content-security-policy").unwrap();
            assert!(csp.starts_with("default-src 'none';"), "{kind:?}");
            assert!(csp.ends_with("frame-ancestors 'none'"), "{kind:?}");
            assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
            assert!(
                !csp.contains("http") && !csp.contains('*'),
                "no other origin: {csp}"
            );
        }
        assert!(
            !FALLBACK_CSP.contains("script-src"),
            "the fallback runs no script"
        );
    }

    #[test]
    fn the_token_url_and_the_api_are_never_stored_and_versioned_files_are_kept() {
        assert_eq!(value(Kind::AppPage, "cache-control"), Some("no-store"));
        assert_eq!(value(Kind::FallbackPage, "cache-control"), Some("no-store"));
        assert_eq!(
            of(Kind::Api),
            vec![
                ("x-content-type-options", "nosniff"),
                ("cache-control", "no-store")
            ]
        );
        assert_eq!(value(Kind::ShellFile, "cache-control"), None);
        assert_eq!(shell_cache("/app_bg.wasm"), Some(IMMUTABLE));
        assert_eq!(shell_cache("/sw.js"), Some("no-cache"));
        assert_eq!(shell_cache("/"), None);
        assert_eq!(shell_cache("/r/abc"), None);
    }
}

#[cfg(test)]
mod first_screen_tests {
    use super::APP_CSP;
    use base64::Engine;
    use sha2::{Digest, Sha256};

    /// The CSP allows index.html's one inline script by its sha256, and nothing else inline.
    #[test]
    fn the_csp_names_the_hash_of_the_pages_one_inline_script() {
        let page = include_str!("../../app/index.html");
        let inline: Vec<&str> = page
            .split("<script>")
            .skip(1)
            .map(|rest| &rest[..rest.find("</script>").expect("closed")])
            .collect();
        assert_eq!(inline.len(), 1, "one inline script");
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(inline[0]));
        let source = format!("'sha256-{hash}'");
        assert!(APP_CSP.contains(&source), "put {source} in APP_CSP");
        assert_eq!(
            APP_CSP.matches("'sha256-").count(),
            2,
            "the script's and the stylesheet's"
        );
        assert!(!APP_CSP.contains("unsafe-inline"));
    }

    /// The CSP allows the stylesheet tools/build-app.sh puts inside the page by its sha256: the
    /// hash of style/app.css byte for byte, in style-src only.
    #[test]
    fn the_csp_names_the_hash_of_the_inline_stylesheet() {
        let page = include_str!("../../app/index.html");
        assert_eq!(page.matches("<style>/*app.css*/</style>").count(), 1);
        assert_eq!(page.matches("<style").count(), 1, "one inline stylesheet");
        let css = include_str!("../../style/app.css");
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(css));
        let source = format!("'sha256-{hash}'");
        let style_src = APP_CSP
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("style-src "))
            .expect("style-src");
        assert!(
            style_src.contains(&source),
            "put {source} in APP_CSP's style-src"
        );
    }
}
