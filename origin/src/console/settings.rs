//! The console's settings and fixed numbers: what every other file of the console may read, and
//! which reads nothing of the console itself.

use std::path::PathBuf;

/// The console's settings.
#[derive(Clone, Debug, Default)]
pub struct ConsoleSettings {
    /// The origin is reached over HTTPS: the session cookie is `Secure`.
    pub secure_cookie: bool,
    /// Where uploaded receipts are kept, each under its SHA-256; `None` refuses uploads.
    pub receipts_dir: Option<PathBuf>,
}

/// Where the console lives.
pub const CONSOLE: &str = "/console";

/// The console's pages load our stylesheet and nothing else, run no script, are never framed, and
/// post only to themselves.
pub const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Largest receipt upload accepted (a scanned page or two).
pub const MAX_RECEIPT_BODY: usize = 8 * 1024 * 1024;
/// Largest form body accepted.
pub const MAX_FORM_BODY: usize = 16 * 1024;
