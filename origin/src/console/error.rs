//! Why a console request failed, and the page each failure becomes, in one place.

use crate::archive::ArchiveError;
use crate::console::view::{html, message_page};
use crate::server::error::OriginError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

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
    /// A page only another role may open (the staff admin page is the admin's).
    #[error("forbidden")]
    Forbidden,
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
            Self::Forbidden => (StatusCode::FORBIDDEN, "只有管理员可以打开此页面。"),
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
        html(status, message_page(message))
    }
}
