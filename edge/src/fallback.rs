//! The fallback form of the revisit link, for every browser (`GET /r/<token>` is the app's page,
//! `shell.rs`): `POST /r/<token>` is the phone switch of the fallback page (R7), a plain `<form>`
//! that works without JavaScript or WebAssembly: one call to the revisit's Durable Object opens the
//! session exactly as the JSON API would and switches it to phone; the worker answers with a small
//! server-rendered page.

use crate::error::{self, EdgeError};
use crate::headers;
use crate::http::header;
use crate::policyholder;
use crate::revisit_call::{self, Action, Call, Reply};
use huifang_core::html::escape;
use huifang_core::script::Lang;
use huifang_core::words::{self, FallbackPage, PageWords};
use huifang_core::{CodeClass, ErrorCode, LinkToken};
use worker::url::form_urlencoded;
use worker::{console_error, Env, Headers, Request, Response};

/// The form's only field is `action=switch_to_phone`; anything much larger is not our form.
pub const MAX_FORM_BODY: usize = 1024;
/// The value of the form's hidden `action` field.
pub const SWITCH_ACTION: &str = "switch_to_phone";
/// `POST /r/<token>` from the fallback page: switch this revisit to a phone revisit. Always answers
/// with an HTML page, never JSON: the person sees the outcome, or the refusal in words. Where the
/// page runs scripts, boot.js points the form at `POST /v1/session/phone-form/<token>` instead
/// (the same handler), so that a browser the app already bound sends its device cookie, whose path
/// is `/v1/session`; a browser without scripts never ran the app, and its own binding from this
/// form is copied to `/r`.
pub async fn switch_to_phone(mut req: Request, env: &Env, token: &str) -> Response {
    let mut cookies = Vec::new();
    let outcome = match LinkToken::parse(token) {
        Ok(token) => switch(&mut req, env, &token, &mut cookies).await,
        Err(_) => Err(Problem::new(ErrorCode::LinkNotFound)),
    };
    let page = match outcome {
        Ok(done) => done.page(),
        Err(problem) => problem.page(),
    };
    respond(page, &cookies).unwrap_or_else(|e| {
        console_error!("fallback page could not be built: {}", e.detail());
        Response::builder().with_status(500).empty()
    })
}

/// How a switch ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    /// The switch happened now.
    Switched,
    /// This browser had already switched (a reload or a second tap).
    AlreadySwitched,
}

/// Why a switch did not happen: the HTTP status and the API's stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Problem {
    status: u16,
    code: ErrorCode,
}

impl Problem {
    /// A refusal of the worker's own, with the status the API gives its code.
    fn new(code: ErrorCode) -> Self {
        Self {
            status: error::status(code),
            code,
        }
    }

    fn internal(detail: &str) -> Self {
        console_error!("fallback switch failed: {detail}");
        Self::new(ErrorCode::Internal)
    }
}

impl From<EdgeError> for Problem {
    fn from(e: EdgeError) -> Self {
        match e {
            EdgeError::Internal(detail) => Self::internal(&detail),
            EdgeError::Misconfigured(name) => Self::internal(&format!("{name} is missing")),
            other => Self::new(other.code()),
        }
    }
}

async fn switch(
    req: &mut Request,
    env: &Env,
    token: &LinkToken,
    cookies: &mut Vec<String>,
) -> Result<Done, Problem> {
    let content_type = header(req, "content-type").unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(Problem::new(ErrorCode::UnsupportedMediaType));
    }
    let declared = header(req, "content-length").and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_FORM_BODY) {
        return Err(Problem::new(ErrorCode::PayloadTooLarge));
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| Problem::new(ErrorCode::BadBody))?;
    if body.len() > MAX_FORM_BODY {
        return Err(Problem::new(ErrorCode::PayloadTooLarge));
    }
    parse_form(&body)?;

    // One call: the object opens the link exactly as the app's first `GET /v1/session` would
    // (binding it to this browser, R10, or refusing a browser other than the bound one), then
    // switches to phone.
    let caller = policyholder::caller(req, env, token).map_err(Problem::from)?;
    let call = Call::Policyholder {
        caller,
        action: Action::FallbackSwitch,
        body: String::new(),
    };
    let reply = revisit_call::call(env, token.revisit_id(), &call)
        .await
        .map_err(Problem::from)?;
    match reply {
        Reply::Switched {
            already,
            new_device,
        } => {
            if let Some(device) = new_device {
                // The cookie covers the JSON API; a copy on `/r` lets this form see it again.
                cookies.push(device.header("/r"));
                cookies.push(device.header("/v1/session"));
            }
            Ok(if already {
                Done::AlreadySwitched
            } else {
                Done::Switched
            })
        }
        Reply::Refused { status, error } => Err(Problem {
            status,
            code: error.code,
        }),
        // Named, not printed: a reply may carry the session's (masked) personal data.
        Reply::Created { .. } | Reply::Status(_) | Reply::Storage(_) | Reply::Session { .. } => {
            Err(Problem::internal(
                "the fallback switch had an answer of another call",
            ))
        }
    }
}

/// Checks the form: exactly one field, `action=switch_to_phone`.
fn parse_form(body: &[u8]) -> Result<(), Problem> {
    let mut action = None;
    for (name, value) in form_urlencoded::parse(body) {
        match name.as_ref() {
            "action" if action.is_none() => action = Some(value.into_owned()),
            _ => return Err(Problem::new(ErrorCode::BadForm)),
        }
    }
    match action.as_deref() {
        Some(SWITCH_ACTION) => Ok(()),
        _ => Err(Problem::new(ErrorCode::BadForm)),
    }
}

/// The fallback pages are in Chinese: the language of the link's SMS, for browsers where the app,
/// which offers English, does not run.
const LANG: Lang = Lang::ZhCn;

/// A page to show: status, words, and the stable code when refused.
struct Page {
    status: u16,
    words: PageWords,
    code: Option<ErrorCode>,
}

impl Done {
    fn page(self) -> Page {
        let page = match self {
            Done::Switched => FallbackPage::Switched,
            Done::AlreadySwitched => FallbackPage::AlreadySwitched,
        };
        Page {
            status: 200,
            words: words::edge(LANG).fallback.page(page),
            code: None,
        }
    }
}

impl Problem {
    /// Which page tells the person about this refusal: a dead link's own page, else by what can
    /// be done about it (tap again, or come back later).
    fn fallback_page(self) -> FallbackPage {
        match self.code {
            ErrorCode::LinkInUse => FallbackPage::LinkInUse,
            // `not_opened`: a revisit that ended (e.g. cancelled by the insurer) before anyone opened it.
            ErrorCode::RevisitFinished | ErrorCode::NotOpened => FallbackPage::Ended,
            ErrorCode::LinkExpired => FallbackPage::Expired,
            ErrorCode::LinkNotFound | ErrorCode::InvalidLink | ErrorCode::LinkMissing => {
                FallbackPage::LinkInvalid
            }
            other => match other.class() {
                // The form as sent was refused: our form, sent again, is not.
                CodeClass::Refused => FallbackPage::Unrecognised,
                CodeClass::Transient | CodeClass::Stale | CodeClass::DeadLink => {
                    FallbackPage::Unavailable
                }
            },
        }
    }

    fn page(self) -> Page {
        Page {
            status: self.status,
            words: words::edge(LANG).fallback.page(self.fallback_page()),
            code: Some(self.code),
        }
    }
}

impl Page {
    fn html(&self) -> String {
        let mut body = String::new();
        for line in self.words.lines {
            body.push_str(&format!("<p class=\"lead\">{}</p>\n", escape(line)));
        }
        if let Some(code) = self.code {
            body.push_str(&format!(
                "<p class=\"hint\">{label}<code>{code}</code></p>\n",
                label = escape(words::edge(LANG).error_code_label),
            ));
        }
        format!(
            "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n\
             <meta name=\"robots\" content=\"noindex, nofollow\">\n\
             <meta name=\"format-detection\" content=\"telephone=no\">\n\
             <title>{title} - {site}</title>\n<link rel=\"icon\" href=\"data:,\">\n\
             <link rel=\"stylesheet\" href=\"/fallback.css\">\n</head>\n<body>\n\
             <main class=\"shell fallback\">\n<section class=\"page fallback-result\">\n\
             <h1>{title}</h1>\n{body}</section>\n</main>\n</body>\n</html>\n",
            lang = LANG.as_str(),
            title = escape(self.words.heading),
            site = escape(words::of(LANG).doc_title),
        )
    }
}

fn respond(page: Page, cookies: &[String]) -> Result<Response, EdgeError> {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers::apply(&headers, headers::Kind::FallbackPage)?;
    for cookie in cookies {
        headers.append("set-cookie", cookie)?;
    }
    Ok(Response::from_html(page.html())?
        .with_status(page.status)
        .with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policyholder::cookie;

    #[test]
    fn the_form_is_exactly_one_switch_action() {
        assert!(parse_form(b"action=switch_to_phone").is_ok());
        for bad in [
            &b""[..],
            b"action=",
            b"action=complete",
            b"action=switch_to_phone&action=switch_to_phone",
            b"action=switch_to_phone&x=1",
            b"\xff\xfe=\x00",
        ] {
            assert_eq!(
                parse_form(bad).unwrap_err().code,
                ErrorCode::BadForm,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_device_cookie_is_read_and_written_for_the_link_path() {
        let device = crate::revisit_call::DeviceCookie {
            name: "hf_dev_abc".into(),
            secret: "s3cr3t".into(),
            max_age_secs: 60,
            secure: false,
        };
        assert_eq!(
            device.header("/v1/session"),
            "hf_dev_abc=s3cr3t; Path=/v1/session; Max-Age=60; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            device.header("/r"),
            "hf_dev_abc=s3cr3t; Path=/r; Max-Age=60; HttpOnly; SameSite=Strict"
        );
        let secure = crate::revisit_call::DeviceCookie {
            secure: true,
            ..device
        };
        assert!(secure.header("/r").ends_with("; SameSite=Strict; Secure"));
        assert_eq!(
            cookie("a=1; hf_dev_abc=s3cr3t ; b=2", "hf_dev_abc").as_deref(),
            Some("s3cr3t")
        );
        assert_eq!(cookie("hf_dev_abcd=x", "hf_dev_abc"), None);
    }

    #[test]
    fn pages_name_the_code_and_hold_no_script() {
        let refused = Problem {
            status: 403,
            code: ErrorCode::LinkInUse,
        }
        .page();
        assert_eq!(refused.status, 403);
        assert!(refused.html().contains("此链接已在另一台设备上打开"));
        assert!(refused
            .html()
            .contains("错误代码：<code>link_in_use</code>"));
        let done = Done::Switched.page().html();
        assert!(done.contains("<title>已为您改为电话回访 - 保单回访</title>"));
        assert!(done.contains("保险公司将在犹豫期内致电"));
        assert!(done.contains("<html lang=\"zh-CN\">"));
        assert!(!done.contains("<script") && !done.contains("错误代码"));
        for code in ErrorCode::ALL.iter().copied() {
            let html = Problem::new(code).page().html();
            assert!(!html.contains("<script"), "{code}");
            assert!(html.contains(&format!("<code>{code}</code>")), "{code}");
        }
    }

    #[test]
    fn the_worker_refuses_with_the_status_of_the_code_and_the_page_of_its_class() {
        let page = |code| {
            let p = Problem::new(code);
            (p.status, p.fallback_page())
        };
        use FallbackPage::*;
        assert_eq!(page(ErrorCode::LinkNotFound), (404, LinkInvalid));
        assert_eq!(page(ErrorCode::UnsupportedMediaType), (415, Unrecognised));
        assert_eq!(page(ErrorCode::PayloadTooLarge), (413, Unrecognised));
        assert_eq!(page(ErrorCode::BadBody), (400, Unrecognised));
        assert_eq!(page(ErrorCode::BadForm), (400, Unrecognised));
        assert_eq!(page(ErrorCode::LinkExpired), (410, Expired));
        assert_eq!(page(ErrorCode::RevisitFinished), (410, Ended));
        assert_eq!(page(ErrorCode::NotOpened), (409, Ended));
        assert_eq!(page(ErrorCode::LinkInUse), (403, LinkInUse));
        assert_eq!(page(ErrorCode::Internal), (500, Unavailable));
        assert_eq!(page(ErrorCode::RateLimited), (429, Unavailable));
    }
}
