//! The typed client of the policyholder API (same origin, `Authorization: Bearer <token>`), and
//! what the policyholder reads when a call fails (the words are the core's, per language).
//!
//! The API's own `message` is English for developers; we show our own words per `code`.

use crate::i18n::Lang;
use crate::json;
use huifang_core::session::{AnswerKind, Stage};
use huifang_core::signature::SignatureSubmission;
use huifang_core::wire::{
    AnswerItem, ApiError, ChooseLanguage, SessionView, SubmitCode, SubmitIdNumber, SwitchToPhone,
};
use huifang_core::{words, CodeClass, ErrorCode, IdNumber, LinkToken, OtpCode};
use std::time::Duration;

/// A call that has had no answer after this long is treated as a network failure.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Why a call did not return a `SessionView`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer: offline, timed out, or the connection dropped.
    Network,
    /// An answer that is neither a `SessionView` nor an `ApiError` (a proxy's error page, say).
    Unreadable { status: u16 },
    /// The API refused the call and said why.
    Refused(ApiError),
}

impl Failure {
    /// A refusal decided here without asking the API (same codes as the API's).
    pub fn local(code: ErrorCode) -> Self {
        Self::Refused(ApiError::new(code, "refused by the app"))
    }

    /// The API's machine-readable code, if it sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Refused(e) => Some(e.code),
            _ => None,
        }
    }

    /// What the policyholder can do about it.
    pub fn class(&self) -> CodeClass {
        match self {
            // No answer, or a proxy's or a captive portal's page: the call never reached the API.
            Self::Network | Self::Unreadable { .. } => CodeClass::Transient,
            Self::Refused(e) => e.code.class(),
        }
    }

    /// True when sending the very same call again may succeed (the fault was in transit or the server).
    pub fn is_transient(&self) -> bool {
        self.class() == CodeClass::Transient
    }

    /// What the policyholder reads, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let w = words::of(lang);
        match self {
            Self::Network => w.network.to_string(),
            Self::Unreadable { status } if *status >= 500 => {
                w.refusals.of(ErrorCode::Internal).to_string()
            }
            Self::Unreadable { .. } => w.network.to_string(),
            // Unknown codes get a generic line, never the API's message (which is for developers).
            Self::Refused(e) => w.refusal_text(e),
        }
    }
}

/// Turns an HTTP answer into a view or a failure. Pure, so it is tested on the host.
pub fn interpret(status: u16, body: &str) -> Result<SessionView, Failure> {
    if (200..300).contains(&status) {
        json::from_str(body).ok_or(Failure::Unreadable { status })
    } else {
        match json::from_str::<ApiError>(body) {
            Some(e) => Err(Failure::Refused(e)),
            None => Err(Failure::Unreadable { status }),
        }
    }
}

/// The token is the last segment of `/r/<token>`.
pub fn token_from_path(path: &str) -> Option<&str> {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|t| !t.is_empty())
}

/// The client for one revisit link. Calls that need a verified policyholder live on [`VerifiedApi`].
#[derive(Clone, Debug)]
pub struct RevisitApi {
    token: LinkToken,
}

/// The client once the session is verified: the only one that can answer items and complete (R8 before R9).
/// Only [`RevisitApi::verified`] makes one.
#[derive(Clone, Copy, Debug)]
pub struct VerifiedApi {
    _seen_verified: (),
}

/// The body of a call that takes none: `{}`.
#[derive(serde::Serialize)]
struct NoBody {}

enum Method {
    Get,
    Post(String),
}

/// A call ready to go: its path under `/v1/session` and its method, with the JSON body. Built
/// before it is sent, so that one [`RevisitApi::send`] future serves every call: the wasm carries
/// one copy of the fetch state machine instead of one per kind of call (issue 19).
pub struct Call {
    path: String,
    method: Method,
}

impl RevisitApi {
    /// The client for the link in this page's path; `invalid_link` when there is none.
    pub fn for_path(path: &str) -> Result<Self, Failure> {
        token_from_path(path)
            .and_then(|t| LinkToken::parse(t).ok())
            .map(|token| Self { token })
            .ok_or_else(|| Failure::local(ErrorCode::InvalidLink))
    }

    /// `GET /v1/session`: the current view (the first call also marks the link opened).
    pub fn session(&self) -> Result<Call, Failure> {
        Ok(Call {
            path: String::new(),
            method: Method::Get,
        })
    }

    /// `POST /v1/session/code`: text a code to the policyholder's phone.
    pub fn send_code(&self) -> Result<Call, Failure> {
        post("/code", &NoBody {})
    }

    /// `POST /v1/session/verify`.
    pub fn verify(&self, code: &OtpCode) -> Result<Call, Failure> {
        let body = SubmitCode {
            code: code.as_str().to_string(),
        };
        post("/verify", &body)
    }

    /// `POST /v1/session/id-number`: the ID number, already checked against GB 11643 here; the
    /// edge checks it again and compares keyed hashes (R8).
    pub fn verify_id_number(&self, id_number: &IdNumber) -> Result<Call, Failure> {
        let body = SubmitIdNumber {
            id_number: id_number.as_str().to_string(),
        };
        post("/id-number", &body)
    }

    /// `POST /v1/session/face/start`: the edge asks the insurer's provider to start a face check
    /// (R8); the view's `face.redirect_url` is the provider's page.
    pub fn start_face(&self) -> Result<Call, Failure> {
        post("/face/start", &NoBody {})
    }

    /// `POST /v1/session/face/result`: what the provider sent the browser back with.
    pub fn face_result(&self, reference: &str, ticket: &str) -> Result<Call, Failure> {
        let body = huifang_core::wire::FaceReturn {
            reference: reference.to_string(),
            ticket: ticket.to_string(),
        };
        post("/face/result", &body)
    }

    /// `POST /v1/session/face/decline`: the script's alternative instead of the face check.
    pub fn decline_face(&self) -> Result<Call, Failure> {
        post("/face/decline", &NoBody {})
    }

    /// `POST /v1/session/switch`: stop the electronic revisit; the insurer phones instead (R7, R11).
    pub fn switch_to_phone(&self, reason: Option<String>) -> Result<Call, Failure> {
        post("/switch", &SwitchToPhone { reason })
    }

    /// `POST /v1/session/language`: the session's language; the view comes back with the items in it.
    pub fn set_language(&self, lang: Lang) -> Result<Call, Failure> {
        post("/language", &ChooseLanguage { lang })
    }

    /// The verified client, if this view says the policyholder is verified.
    pub fn verified(&self, view: &SessionView) -> Option<VerifiedApi> {
        (view.stage == Stage::Verified).then_some(VerifiedApi { _seen_verified: () })
    }

    /// Sends `call`: its view, or why there is none.
    pub async fn send(&self, call: Call) -> Result<SessionView, Failure> {
        use leptos::prelude::set_timeout_with_handle;

        let controller = web_sys::AbortController::new().ok();
        let request = self.request(&call.path, call.method, controller.as_ref())?;
        // A call stuck on a weak mobile signal must end in the network message, not a spinner forever.
        let timer =
            controller.and_then(|c| set_timeout_with_handle(move || c.abort(), TIMEOUT).ok());
        let result = async {
            let (status, body) = send(&request).await.ok_or(Failure::Network)?;
            interpret(status, &body)
        }
        .await;
        if let Some(timer) = timer {
            timer.clear();
        }
        result
    }

    /// The `fetch` request of a call: the link as the bearer credential, never from the HTTP cache.
    /// Built on `web_sys` directly (no HTTP client crate: its request types and JSON layer cost the
    /// wasm more than these lines, issue 19).
    fn request(
        &self,
        path: &str,
        method: Method,
        controller: Option<&web_sys::AbortController>,
    ) -> Result<web_sys::Request, Failure> {
        let headers = web_sys::Headers::new().map_err(|_| Failure::Network)?;
        let auth = format!("Bearer {}", self.token.as_string());
        headers
            .set("Authorization", &auth)
            .map_err(|_| Failure::Network)?;
        let init = web_sys::RequestInit::new();
        init.set_cache(web_sys::RequestCache::NoStore);
        match method {
            Method::Get => init.set_method("GET"),
            Method::Post(json) => {
                init.set_method("POST");
                headers
                    .set("Content-Type", "application/json")
                    .map_err(|_| Failure::Network)?;
                init.set_body(&wasm_bindgen::JsValue::from_str(&json));
            }
        }
        init.set_headers(&headers);
        if let Some(controller) = controller {
            init.set_signal(Some(&controller.signal()));
        }
        web_sys::Request::new_with_str_and_init(&format!("/v1/session{path}"), &init)
            .map_err(|_| Failure::Network)
    }
}

/// A `POST` of `body` as JSON to `path`.
fn post<T: serde::Serialize>(path: &str, body: &T) -> Result<Call, Failure> {
    // Our own wire types always serialise; were one not to, it is a request the API would
    // refuse as bad JSON.
    let json = json::to_string(body).ok_or_else(|| Failure::local(ErrorCode::BadJson))?;
    Ok(Call {
        path: path.to_string(),
        method: Method::Post(json),
    })
}

/// Sends `request`; its status and body text, or `None` when no answer came.
async fn send(request: &web_sys::Request) -> Option<(u16, String)> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let answer = JsFuture::from(leptos::prelude::window().fetch_with_request(request))
        .await
        .ok()?;
    let response: web_sys::Response = answer.dyn_into().ok()?;
    let text = JsFuture::from(response.text().ok()?).await.ok()?;
    Some((response.status(), text.as_string()?))
}

impl VerifiedApi {
    /// `POST /v1/session/items/{index}`: only the next unanswered item is accepted (R9).
    pub fn answer(
        self,
        index: usize,
        answer: AnswerKind,
        comment: Option<String>,
    ) -> Result<Call, Failure> {
        let body = AnswerItem { answer, comment };
        post(&format!("/items/{index}"), &body)
    }

    /// `POST /v1/session/signature`: the strokes and the pad's PNG (R8).
    pub fn sign(self, submission: &SignatureSubmission) -> Result<Call, Failure> {
        post("/signature", submission)
    }

    /// `POST /v1/session/complete`.
    pub fn complete(self) -> Result<Call, Failure> {
        post("/complete", &NoBody {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: ErrorCode, message: &str) -> Failure {
        Failure::Refused(ApiError::new(code, message))
    }

    #[test]
    fn wrong_code_says_how_many_tries_are_left() {
        let with_tries = |n: Option<u8>| {
            let mut e = ApiError::new(ErrorCode::WrongCode, "the code is wrong");
            e.tries_left = n;
            Failure::Refused(e).text(Lang::ZhCn)
        };
        assert_eq!(with_tries(Some(3)), "验证码不正确，您还可以再试 3 次。");
        assert!(with_tries(Some(0)).contains("重新发送"));
        assert_eq!(with_tries(None), "验证码不正确，请核对后重新输入。");
    }

    #[test]
    fn resend_too_soon_uses_the_wait() {
        let mut e = ApiError::new(ErrorCode::ResendTooSoon, "wait");
        e.retry_after_secs = Some(42);
        assert!(Failure::Refused(e.clone())
            .text(Lang::ZhCn)
            .contains("42 秒"));
        assert!(Failure::Refused(e.clone())
            .text(Lang::En)
            .contains("42 seconds"));
        e.retry_after_secs = None;
        assert!(!Failure::Refused(e).text(Lang::ZhCn).contains("秒后"));
    }

    #[test]
    fn every_code_reads_as_our_words_never_the_apis_message() {
        for lang in Lang::ALL {
            let w = words::of(lang);
            for code in ErrorCode::ALL.iter().copied() {
                let text = refused(code, "for developers").text(lang);
                assert_eq!(text, w.refusals.of(code), "{code}");
                assert!(!text.contains("developers"), "{code}");
            }
        }
    }

    #[test]
    fn every_listed_code_has_its_own_text_in_each_language() {
        let codes = [
            ErrorCode::LinkExpired,
            ErrorCode::RevisitFinished,
            ErrorCode::CodeExpired,
            ErrorCode::NoCodeSent,
            ErrorCode::NotVerified,
            ErrorCode::ItemOutOfOrder,
            ErrorCode::ItemsRemaining,
            ErrorCode::InvalidCodeFormat,
            ErrorCode::InvalidLink,
            ErrorCode::LinkNotFound,
            ErrorCode::LinkInUse,
            ErrorCode::CommentTooLong,
            ErrorCode::SessionLocked,
            ErrorCode::SmsDailyLimit,
            ErrorCode::RateLimited,
        ];
        for lang in Lang::ALL {
            let generic = refused(ErrorCode::Unknown, "x").text(lang);
            let mut seen = std::collections::HashSet::new();
            for code in codes {
                let text = refused(code, "for developers").text(lang);
                assert_ne!(text, generic, "{code}");
                assert!(seen.insert(text), "{code} shares its text");
            }
        }
        // The words the e2e suite and the screenshots hold.
        assert_eq!(
            refused(ErrorCode::LinkInUse, "").text(Lang::ZhCn),
            "该回访链接已在另一台设备上打开。为保护您的信息，回访只能在首次打开链接的设备上继续。如需改为电话回访，请在该设备上操作，或直接联系您的保险公司。"
        );
        assert!(refused(ErrorCode::IdNumberChecksum, "")
            .text(Lang::ZhCn)
            .contains("校验位不符"));
        assert!(refused(ErrorCode::WrongIdNumber, "")
            .text(Lang::ZhCn)
            .contains("与投保信息不一致"));
        assert!(refused(ErrorCode::SignatureTooShort, "")
            .text(Lang::ZhCn)
            .starts_with("签名过短"));
    }

    #[test]
    fn network_and_server_failures_are_transient_and_refusals_are_not() {
        assert_eq!(
            Failure::Network.text(Lang::ZhCn),
            "网络不稳定，请稍后重试。"
        );
        assert_eq!(Failure::Network.text(Lang::En), words::of(Lang::En).network);
        assert!(Failure::Network.is_transient());
        assert!(Failure::Unreadable { status: 502 }.is_transient());
        assert_eq!(
            Failure::Unreadable { status: 502 }.text(Lang::ZhCn),
            "服务暂时不可用，请稍后重试。"
        );
        // A wifi login page answering instead of the API.
        let portal = Failure::Unreadable { status: 200 };
        assert!(portal.is_transient());
        assert_eq!(portal.text(Lang::ZhCn), words::of(Lang::ZhCn).network);
        assert!(!refused(ErrorCode::WrongCode, "").is_transient());
        assert!(!refused(ErrorCode::LinkNotFound, "").is_transient());
        assert!(!refused(ErrorCode::Unknown, "").is_transient());
        assert!(refused(ErrorCode::SmsUnavailable, "").is_transient());
        assert!(refused(ErrorCode::Internal, "").is_transient());
        assert!(refused(ErrorCode::RateLimited, "").is_transient());
    }

    #[test]
    fn interpret_reads_views_errors_and_garbage() {
        let err = r#"{"code":"link_expired","message":"over"}"#;
        assert_eq!(
            interpret(410, err).unwrap_err().code(),
            Some(ErrorCode::LinkExpired)
        );
        // A code from a newer edge: read, shown as the generic line, not retried blindly.
        let newer = interpret(429, r#"{"code":"slow_down","message":"x"}"#).unwrap_err();
        assert_eq!(newer.code(), Some(ErrorCode::Unknown));
        assert_eq!(newer.text(Lang::ZhCn), "操作未成功，请稍后重试。");
        assert!(!newer.is_transient());
        assert_eq!(
            interpret(502, "<html>Bad gateway</html>").unwrap_err(),
            Failure::Unreadable { status: 502 }
        );
        assert_eq!(
            interpret(200, "{}").unwrap_err(),
            Failure::Unreadable { status: 200 }
        );
        let view = r#"{"stage":"opened","lang":"en","policy_masked":"P2***0001","holder_masked":"张*",
            "phone_masked":"138****5678","product":"鑫享人生","expires_at":"2027-01-15T15:59:59.000Z",
            "resend_after_secs":0,"item_count":7,"items":[]}"#;
        let v = interpret(200, view).unwrap();
        assert_eq!(v.stage, Stage::Opened);
        assert_eq!(v.item_count, 7);
        assert_eq!(v.lang, Lang::En);
    }

    #[test]
    fn the_token_is_the_last_path_segment() {
        assert_eq!(token_from_path("/r/abc"), Some("abc"));
        assert_eq!(token_from_path("/r/abc/"), Some("abc"));
        assert_eq!(token_from_path("/"), None);
        let good = "/r/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(RevisitApi::for_path(good).is_ok());
        let bad = RevisitApi::for_path("/r/short").unwrap_err();
        assert_eq!(bad.code(), Some(ErrorCode::InvalidLink));
        assert!(!bad.is_transient());
    }
}
