//! Login, logout and the session: a random 256-bit session id in an `HttpOnly; SameSite=Strict;
//! Path=/console` cookie (`Secure` over HTTPS), kept by the store only as its SHA-256; a per-session
//! CSRF token every form carries; at most [`MAX_LOGIN_FAILURES`] failed logins per account in
//! [`THROTTLE_WINDOW_MS`]. Every login, failed login, throttled login and logout is in the staff
//! log.

use crate::console::accounts::{
    is_staff_id, password_matches, random_token, session_key, LiveSession, StaffAccount,
};
use crate::console::error::ConsoleError;
use crate::console::settings::CONSOLE;
use crate::console::view::{self, html};
use crate::server::state::{blocking, AppState};
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use huifang_core::time::{HOUR_MS, MINUTE_MS};
use serde::Deserialize;
use std::sync::{Arc, OnceLock};

/// The session cookie.
pub const SESSION_COOKIE: &str = "huifang_staff";
/// The cookie that binds the login form to the browser that asked for it (login CSRF).
pub const LOGIN_COOKIE: &str = "huifang_login";
/// A session lasts one working shift.
pub const SESSION_MS: u64 = 10 * HOUR_MS;
/// Failed logins per account allowed in [`THROTTLE_WINDOW_MS`].
pub const MAX_LOGIN_FAILURES: u32 = 5;
/// The throttle's window.
pub const THROTTLE_WINDOW_MS: u64 = 15 * MINUTE_MS;

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

fn set_cookie(app: &AppState, name: &str, value: &str, max_age_secs: u64) -> HeaderValue {
    let secure = if app.console.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{name}={value}; Path={CONSOLE}; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    );
    // Our own names and hex values: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(""))
}

/// A logged-in member of staff: what every console page but the login starts from.
pub struct StaffSession(pub LiveSession);

impl FromRequestParts<AppState> for StaffSession {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ConsoleError> {
        let id = cookie(&parts.headers, SESSION_COOKIE)
            .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or(ConsoleError::LoginNeeded)?;
        let key = session_key(id);
        let store = Arc::clone(&app.staff);
        let now = app.now();
        let live = blocking(move || store.session(&key, now)).await??;
        live.map(Self).ok_or(ConsoleError::LoginNeeded)
    }
}

impl StaffSession {
    /// Checks a form's CSRF token against the session's; a mismatch is logged and refused.
    pub async fn check_csrf(&self, app: &AppState, given: &str) -> Result<(), ConsoleError> {
        if same(given.as_bytes(), self.0.csrf_token.as_bytes()) {
            return Ok(());
        }
        log_action(
            app,
            &self.0.account.staff_id,
            "csrf_refused",
            None,
            "refused",
        )
        .await?;
        Err(ConsoleError::Csrf)
    }
}

/// Equality that takes the same time wherever the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /console/login`: the form, bound to this browser by a fresh login cookie.
pub async fn login_page(State(app): State<AppState>) -> Result<Response, ConsoleError> {
    login_form(&app, StatusCode::OK, None)
}

fn login_form(
    app: &AppState,
    status: StatusCode,
    message: Option<&str>,
) -> Result<Response, ConsoleError> {
    let token = random_token()?;
    let mut response = html(status, view::login_page(&token, message));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(app, LOGIN_COOKIE, &token, 3_600),
    );
    Ok(response)
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    staff_id: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

/// What checking a login found.
enum LoginCheck {
    Ok(StaffAccount),
    Wrong,
    Throttled,
}

/// A PHC string of a password nobody has: an unknown account takes as long to refuse as a known one.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        crate::console::accounts::hash_password("decoy-password-never-used").unwrap_or_default()
    })
}

/// `POST /console/login`.
pub async fn login(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Ok(Form(form)) = form else {
        return login_form(&app, StatusCode::BAD_REQUEST, Some("请填写工号和密码。"));
    };
    let bound =
        cookie(&headers, LOGIN_COOKIE).is_some_and(|c| same(c.as_bytes(), form.csrf.as_bytes()));
    if !bound {
        return login_form(
            &app,
            StatusCode::FORBIDDEN,
            Some("登录表单已失效，请重新输入。"),
        );
    }
    let name = form.staff_id.trim().to_string();
    // A name that is not an id may be a password typed in the wrong box: never logged.
    let logged_name = if is_staff_id(&name) {
        name.clone()
    } else {
        "?".into()
    };
    let store = Arc::clone(&app.staff);
    let now = app.now();
    let since =
        huifang_core::Timestamp::from_millis(now.millis().saturating_sub(THROTTLE_WINDOW_MS));
    let key = logged_name.clone();
    let check = blocking(move || -> Result<LoginCheck, ConsoleError> {
        if store.count_actions_since(&key, "login_failed", since)? >= MAX_LOGIN_FAILURES {
            return Ok(LoginCheck::Throttled);
        }
        let account = if is_staff_id(&name) {
            store.staff(&name)?
        } else {
            None
        };
        let phc = account
            .as_ref()
            .map_or(decoy_hash(), |a| a.password_hash.as_str());
        let matches = password_matches(&form.password, phc);
        Ok(match account {
            // A disabled account hears what a wrong password hears.
            Some(account) if matches && !account.disabled => LoginCheck::Ok(account),
            _ => LoginCheck::Wrong,
        })
    })
    .await??;
    match check {
        LoginCheck::Throttled => {
            log_action(&app, &logged_name, "login_throttled", None, "refused").await?;
            login_form(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                Some("该账号登录失败次数过多，请15分钟后再试。"),
            )
        }
        LoginCheck::Wrong => {
            log_action(&app, &logged_name, "login_failed", None, "refused").await?;
            login_form(&app, StatusCode::UNAUTHORIZED, Some("用户名或密码错误。"))
        }
        LoginCheck::Ok(account) => start(&app, account).await,
    }
}

async fn start(app: &AppState, account: StaffAccount) -> Result<Response, ConsoleError> {
    let id = random_token()?;
    let csrf = random_token()?;
    let store = Arc::clone(&app.staff);
    let now = app.now();
    let (key, staff_id) = (session_key(&id), account.staff_id.clone());
    blocking(move || store.start_session(&key, &staff_id, &csrf, now, now.plus_millis(SESSION_MS)))
        .await??;
    log_action(app, &account.staff_id, "login", None, "ok").await?;
    let mut response = Redirect::to("/console/queue").into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(app, SESSION_COOKIE, &id, SESSION_MS / 1_000),
    );
    headers.append(header::SET_COOKIE, set_cookie(app, LOGIN_COOKIE, "", 0));
    Ok(response)
}

/// A form that carries only the CSRF token.
#[derive(Deserialize)]
pub struct TokenForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
}

/// `POST /console/logout`.
pub async fn logout(
    State(app): State<AppState>,
    session: StaffSession,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let form = form.map(|Form(f)| f).unwrap_or(TokenForm {
        csrf: String::new(),
    });
    session.check_csrf(&app, &form.csrf).await?;
    let store = Arc::clone(&app.staff);
    let now = app.now();
    let key = session.0.id_sha256.clone();
    blocking(move || store.end_session(&key, now)).await??;
    log_action(&app, &session.0.account.staff_id, "logout", None, "ok").await?;
    let mut response = Redirect::to("/console/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&app, SESSION_COOKIE, "", 0));
    Ok(response)
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
    let entry = crate::console::accounts::StaffLogEntry {
        at: app.now(),
        staff_id: staff_id.to_string(),
        action: action.to_string(),
        target: target.map(str::to_string),
        outcome: outcome.to_string(),
    };
    crate::server::state::blocking(move || store.log_staff_action(&entry)).await??;
    Ok(())
}
