//! The staff console (issue 13, item 6): server-rendered pages in Simplified Chinese under
//! `/console` for the people who work the queues (R11, R12). Login with argon2 password hashes and
//! a session cookie (`HttpOnly; SameSite=Strict; Path=/console`, `Secure` over HTTPS); every form
//! carries the session's CSRF token; every page is served with a CSP that loads nothing but our own
//! stylesheet and runs no script. Every decision on a case is the core's (`Case::decide`), every
//! staff action goes into the append-only staff log, and nothing here can show a link token or an
//! SMS code: the records, the case log and the staff log hold neither.
//!
//! - [`settings`]: the console's settings and fixed numbers; [`view`]: the layout, the message and
//!   login pages and the headers of every page; [`error`]: every failure as a page, in one place;
//! - [`accounts`]: accounts, sessions, the staff log's store, password hashing;
//! - [`session`]: login, logout, throttling, the [`session::StaffSession`] extractor, CSRF and the
//!   staff log's `log_action`;
//! - [`pages`]: the queue page and its CSV export;
//! - [`case_page`]: a case, its timeline and a form per allowed action, and its evidence report;
//! - [`actions`]: the actions those forms post: decided by the core, logged, refusals shown;
//! - [`sample_pages`], [`sample_review`]: quality sampling (R13): runs, drawing, a pick's checklist
//!   and review, the sign-off;
//! - [`words`]: the console's Chinese words for the core's types;
//! - [`staff_cli`]: `huifang-origin staff add`, which creates the first user.

pub mod accounts;
pub mod actions;
pub mod case_page;
pub mod error;
pub mod pages;
pub mod re_revisit;
pub mod re_revisit_request;
pub mod sample_pages;
pub mod sample_review;
pub mod session;
pub mod settings;
pub mod staff_admin;
pub mod staff_cli;
pub mod view;
pub mod words;

pub use error::ConsoleError;
pub use settings::{ConsoleSettings, CONSOLE, CONSOLE_CSP, MAX_FORM_BODY, MAX_RECEIPT_BODY};

use crate::server::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

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
        .route(
            "/console/staff",
            get(staff_admin::page).post(staff_admin::act),
        )
        .route("/console/cases/{case_id}", get(case_page::show))
        .route("/console/cases/{case_id}/actions", post(actions::act))
        .route("/console/cases/{case_id}/reveal", post(actions::reveal))
        .route(
            "/console/cases/{case_id}/re-revisit",
            post(re_revisit_request::request),
        )
        .route(
            "/console/cases/{case_id}/receipt",
            post(actions::receipt).layer(DefaultBodyLimit::max(MAX_RECEIPT_BODY)),
        )
        .route(
            "/console/sampling",
            get(sample_pages::runs_page).post(sample_pages::draw),
        )
        .route("/console/sampling/{run}", get(sample_pages::run_page))
        .route("/console/statistics", get(crate::statistics::page::show))
        .route(
            "/console/first-use-report",
            get(crate::statistics::first_use::show),
        )
        .route("/console/statistics.csv", get(crate::statistics::page::csv))
        .route(
            "/console/statistics.xlsx",
            get(crate::statistics::page::xlsx),
        )
        .route(
            "/console/sampling/{run}/sign-off",
            post(sample_pages::sign_off),
        )
        .route(
            "/console/sampling/{run}/picks/{revisit}",
            get(sample_review::show).post(sample_review::review),
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
