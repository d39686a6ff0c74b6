//! The staff console (issue 13, item 6): server-rendered pages in Simplified Chinese under
//! `/console` for the people who work the queues (R11, R12). Login with argon2 password hashes and
//! a session cookie (`HttpOnly; SameSite=Strict; Path=/console`, `Secure` over HTTPS); every form
//! carries the session's CSRF token; every page is served with a CSP that loads nothing but our own
//! stylesheet and runs no script. Every decision on a case is the core's (`Case::decide`), every
//! staff action goes into the append-only staff log, and nothing here can show a link token or an
//! SMS code: the records, the case log and the staff log hold neither.
//!
//! - [`accounts`]: accounts, sessions, the staff log's store, password hashing;
//! - [`session`]: login, logout, throttling, the [`session::StaffSession`] extractor and CSRF;
//! - [`pages`]: the layout, the queue page and its CSV export;
//! - [`case_page`]: a case, its timeline and a form per allowed action, and its evidence report;
//! - [`actions`]: the actions those forms post: decided by the core, logged, refusals shown;
//! - [`words`]: the console's Chinese words for the core's types;
//! - [`staff_cli`]: `huifang-origin staff add`, which creates the first user.

pub mod accounts;
pub mod actions;
pub mod case_page;
pub mod pages;
pub mod session;
pub mod staff_cli;
pub mod words;

use crate::archive::ArchiveError;
use crate::server::error::OriginError;
use crate::server::state::AppState;
use accounts::StaffLogEntry;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
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

const STYLESHEET: &str = include_str!("console.css");

/// The console's routes, mounted by the origin's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(CONSOLE, get(|| async { Redirect::to("/console/queue") }))
        .route("/console/console.css", get(stylesheet))
        .route(
            "/console/login",
            get(session::login_page).post(session::login),
        )
        .route("/console/logout", post(session::logout))
        .route("/console/queue", get(pages::queue_page))
        .route("/console/queue.csv", get(pages::queue_csv))
        .route("/console/cases/{case_id}", get(case_page::show))
        .route("/console/cases/{case_id}/actions", post(actions::act))
        .route("/console/cases/{case_id}/reveal", post(actions::reveal))
        .route(
            "/console/cases/{case_id}/receipt",
            post(actions::receipt).layer(DefaultBodyLimit::max(MAX_RECEIPT_BODY)),
        )
        .route(
            "/console/records/{revisit_id}/report",
            get(case_page::report),
        )
        .layer(DefaultBodyLimit::max(MAX_FORM_BODY))
}

async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// An HTML page of the console with its headers.
pub fn html(status: StatusCode, markup: maud::Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONSOLE_CSP),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Why a console request failed. Each becomes a page (or the way to the login) in one place.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: the caller is sent to the login page.
    #[error("login needed")]
    LoginNeeded,
    /// The form's CSRF token is missing or wrong: nothing was done.
    #[error("the form's token is missing or wrong")]
    Csrf,
    /// No such page or case, or one the caller may not see.
    #[error("not found")]
    NotFound,
    /// A form or query that cannot be read.
    #[error("{0}")]
    BadRequest(&'static str),
    /// The store failed; details are logged.
    #[error(transparent)]
    Store(#[from] ArchiveError),
    /// Anything else that failed inside; details are logged.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<OriginError> for ConsoleError {
    fn from(e: OriginError) -> Self {
        match e {
            OriginError::RecordNotFound | OriginError::CaseNotFound => Self::NotFound,
            OriginError::Archive(e) => Self::Store(e),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            Self::LoginNeeded => {
                let mut response = Redirect::to("/console/login").into_response();
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                return response;
            }
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "表单已失效或来源不明，未做任何更改。请返回页面刷新后重试。",
            ),
            Self::NotFound => (StatusCode::NOT_FOUND, "没有找到该页面或案件。"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "请求无法识别，未做任何更改。"),
            Self::Store(e) => {
                eprintln!("origin: console: store error: {e}");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "系统暂时不可用，请稍后重试。",
                )
            }
            Self::Internal(detail) => {
                eprintln!("origin: console: internal error: {detail}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "系统内部错误，请稍后重试。",
                )
            }
        };
        html(status, pages::message_page(message))
    }
}

/// Appends a line to the staff log off the async threads. A failure to log is a failure of the
/// request: an action that cannot be logged is not done silently.
pub(crate) async fn log_action(
    app: &AppState,
    staff_id: &str,
    action: &str,
    target: Option<&str>,
    outcome: &str,
) -> Result<(), ConsoleError> {
    let store = std::sync::Arc::clone(&app.staff);
    let entry = StaffLogEntry {
        at: app.now(),
        staff_id: staff_id.to_string(),
        action: action.to_string(),
        target: target.map(str::to_string),
        outcome: outcome.to_string(),
    };
    crate::server::state::blocking(move || store.log_staff_action(&entry)).await??;
    Ok(())
}
