//! The revisit link `/r/<token>` for every browser. `GET` serves the app shell from the static
//! assets; `POST` is the phone switch of the fallback page (R7), a plain `<form>` that works without
//! JavaScript or WebAssembly: one call to the revisit's Durable Object opens the session exactly as
//! the JSON API would and switches it to phone; the worker answers with a small server-rendered page.

use crate::error::EdgeError;
use crate::http::header;
use crate::policyholder;
use crate::revisit_call::{self, Action, Call, Reply};
use huifang_core::html::escape;
use huifang_core::LinkToken;
use worker::url::form_urlencoded;
use worker::{console_error, Env, Headers, Request, Response};

/// The static-assets binding (`[assets] binding` in wrangler.toml).
const ASSETS_BINDING: &str = "ASSETS";
/// The form's only field is `action=switch_to_phone`; anything much larger is not our form.
pub const MAX_FORM_BODY: usize = 1024;
/// The value of the form's hidden `action` field.
pub const SWITCH_ACTION: &str = "switch_to_phone";
/// Our own stylesheet and nothing else: no script, no frame, no other origin (the empty `data:,`
/// icon keeps browsers from asking for /favicon.ico).
const CSP: &str = "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; \
                   base-uri 'none'; frame-ancestors 'none'";

/// `GET`/`HEAD /r/…`: the app shell (index.html, by the assets' single-page-application rule). The
/// worker runs first on `/r/*` only so that the form's `POST` reaches it; reads go straight on.
pub async fn app_shell(req: Request, env: &Env) -> Result<Response, EdgeError> {
    Ok(env.assets(ASSETS_BINDING)?.fetch_request(req).await?)
}

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
        Err(_) => Err(Problem::new(404, "link_not_found")),
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
#[derive(Debug, Clone, PartialEq, Eq)]
struct Problem {
    status: u16,
    code: String,
}

impl Problem {
    fn new(status: u16, code: &str) -> Self {
        Self {
            status,
            code: code.to_string(),
        }
    }

    fn internal(detail: &str) -> Self {
        console_error!("fallback switch failed: {detail}");
        Self::new(500, "internal")
    }
}

impl From<EdgeError> for Problem {
    fn from(e: EdgeError) -> Self {
        match e {
            EdgeError::Internal(detail) => Self::internal(&detail),
            EdgeError::Misconfigured(name) => Self::internal(&format!("{name} is missing")),
            other => Self::new(500, &other.body().code),
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
        return Err(Problem::new(415, "unsupported_media_type"));
    }
    let declared = header(req, "content-length").and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_FORM_BODY) {
        return Err(Problem::new(413, "payload_too_large"));
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| Problem::new(400, "bad_body"))?;
    if body.len() > MAX_FORM_BODY {
        return Err(Problem::new(413, "payload_too_large"));
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
        Reply::Created | Reply::Status(_) | Reply::Storage(_) | Reply::Session { .. } => Err(
            Problem::internal("the fallback switch had an answer of another call"),
        ),
    }
}

/// Checks the form: exactly one field, `action=switch_to_phone`.
fn parse_form(body: &[u8]) -> Result<(), Problem> {
    let mut action = None;
    for (name, value) in form_urlencoded::parse(body) {
        match name.as_ref() {
            "action" if action.is_none() => action = Some(value.into_owned()),
            _ => return Err(Problem::new(400, "bad_form")),
        }
    }
    match action.as_deref() {
        Some(SWITCH_ACTION) => Ok(()),
        _ => Err(Problem::new(400, "bad_form")),
    }
}

/// A page to show: status, heading, what happened, what to do, and the stable code when refused.
struct Page {
    status: u16,
    heading: &'static str,
    lines: &'static [&'static str],
    code: Option<String>,
}

impl Done {
    fn page(self) -> Page {
        let heading = match self {
            Done::Switched => "已为您改为电话回访",
            Done::AlreadySwitched => "您已改为电话回访",
        };
        Page {
            status: 200,
            heading,
            lines: &[
                "本次线上回访已停止。保险公司将在犹豫期内致电您完成回访，请留意来电。",
                "您现在可以关闭此页面。",
            ],
            code: None,
        }
    }
}

impl Problem {
    fn page(self) -> Page {
        let (heading, lines): (&'static str, &'static [&'static str]) = match self.code.as_str() {
            "link_in_use" => (
                "此链接已在另一台设备上打开",
                &[
                    "为保护您的信息，回访链接只能在第一次打开它的手机或浏览器上使用。",
                    "如需改为电话回访，请在第一次打开链接的手机或浏览器上操作，或直接等待保险公司来电。",
                ],
            ),
            // `not_opened`: a revisit that ended (e.g. cancelled by the insurer) before anyone opened it.
            "revisit_finished" | "not_opened" => (
                "本次回访已经结束",
                &["本次回访已完成、已改为电话回访或已由保险公司取消，无需再操作。您可以关闭此页面。"],
            ),
            "link_expired" => (
                "回访链接已过期",
                &["犹豫期已经结束，此链接不能再使用。保险公司将通过电话或其他方式与您联系。"],
            ),
            "link_not_found" => (
                "回访链接无效",
                &["此链接不完整、有误或已被更换。请使用保险公司短信中最新的链接，或等待保险公司来电。"],
            ),
            "bad_form" | "bad_body" | "payload_too_large" | "unsupported_media_type" => (
                "无法识别您的请求",
                &["请返回上一页，再点一次“改为电话回访”。"],
            ),
            _ => (
                "暂时无法办理",
                &["系统暂时无法处理您的请求，请稍后返回上一页重试，或等待保险公司来电。"],
            ),
        };
        Page {
            status: self.status,
            heading,
            lines,
            code: Some(self.code),
        }
    }
}

impl Page {
    fn html(&self) -> String {
        let mut body = String::new();
        for line in self.lines {
            body.push_str(&format!("<p class=\"lead\">{}</p>\n", escape(line)));
        }
        if let Some(code) = &self.code {
            body.push_str(&format!(
                "<p class=\"hint\">错误代码：<code>{}</code></p>\n",
                escape(code)
            ));
        }
        format!(
            "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"referrer\" content=\"no-referrer\">\n\
             <meta name=\"robots\" content=\"noindex, nofollow\">\n\
             <meta name=\"format-detection\" content=\"telephone=no\">\n\
             <title>{title} - 保单回访</title>\n<link rel=\"icon\" href=\"data:,\">\n\
             <link rel=\"stylesheet\" href=\"/fallback.css\">\n</head>\n<body>\n\
             <main class=\"shell fallback\">\n<section class=\"page fallback-result\">\n\
             <h1>{title}</h1>\n{body}</section>\n</main>\n</body>\n</html>\n",
            title = escape(self.heading),
        )
    }
}

fn respond(page: Page, cookies: &[String]) -> Result<Response, EdgeError> {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    headers.set("content-security-policy", CSP)?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
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
            assert_eq!(parse_form(bad).unwrap_err().code, "bad_form", "{bad:?}");
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
    fn pages_escape_and_name_the_code() {
        let page = Problem::new(403, "<b>\"x\"&'").page().html();
        assert!(page.contains("&lt;b&gt;&quot;x&quot;&amp;&#39;"));
        assert!(!page.contains("<b>"));
        let refused = Problem::new(403, "link_in_use").page();
        assert_eq!(refused.status, 403);
        assert!(refused.html().contains("此链接已在另一台设备上打开"));
        assert!(refused.html().contains("<code>link_in_use</code>"));
        let done = Done::Switched.page().html();
        assert!(done.contains("已为您改为电话回访"));
        assert!(done.contains("保险公司将在犹豫期内致电"));
        assert!(!done.contains("<script"));
    }
}
