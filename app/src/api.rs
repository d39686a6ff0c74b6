//! The typed client of the policyholder API (same origin, `Authorization: Bearer <token>`), and the
//! text the policyholder sees for each way a call can fail, in Chinese and English.
//!
//! The API's own `message` is English for developers; we show our own words per `code`.

use crate::i18n::Lang;
use huifang_core::session::{AnswerKind, Stage};
use huifang_core::signature::SignatureSubmission;
use huifang_core::wire::{
    AnswerItem, ApiError, SessionView, SubmitCode, SubmitIdNumber, SwitchToPhone,
};
use huifang_core::{IdNumber, LinkToken, OtpCode};
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
    pub fn local(code: &str) -> Self {
        Self::Refused(ApiError::new(code, "refused by the app"))
    }

    /// The API's machine-readable code, if it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Refused(e) => Some(e.code.as_str()),
            _ => None,
        }
    }

    /// True when sending the very same call again may succeed (the fault was in transit or the server).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network => true,
            // A proxy's or a captive portal's page: the call never reached the API, so try again.
            Self::Unreadable { .. } => true,
            Self::Refused(e) => matches!(
                e.code.as_str(),
                "internal" | "misconfigured" | "sms_unavailable" | "unavailable" | "rate_limited"
            ),
        }
    }

    /// What the policyholder reads, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Self::Network => network_text(lang).to_string(),
            Self::Unreadable { status } if *status >= 500 => pick(lang, SERVER_TEXT).to_string(),
            Self::Unreadable { .. } => network_text(lang).to_string(),
            Self::Refused(e) => refusal_text(e, lang),
        }
    }
}

/// Shown when the network fails; the page offers 重试 next to it.
pub fn network_text(lang: Lang) -> &'static str {
    pick(lang, NETWORK_TEXT)
}

/// A pair of texts: Simplified Chinese, English.
type Both = (&'static str, &'static str);

fn pick(lang: Lang, (zh, en): Both) -> &'static str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

const NETWORK_TEXT: Both = (
    "网络不稳定，请稍后重试。",
    "The connection is unstable. Please try again in a moment.",
);
const SERVER_TEXT: Both = (
    "服务暂时不可用，请稍后重试。",
    "The service is unavailable for a moment. Please try again shortly.",
);
const GENERIC_TEXT: Both = (
    "操作未成功，请稍后重试。",
    "That did not work. Please try again shortly.",
);

/// Our text for each refusal code, in `lang`; unknown codes get a generic line, never the API's
/// message (which is for developers).
pub fn refusal_text(e: &ApiError, lang: Lang) -> String {
    let zh = lang == Lang::ZhCn;
    let text: Both = match e.code.as_str() {
        "link_expired" => (
            "回访链接已失效（犹豫期已结束）。保险公司将通过电话与您联系。",
            "This revisit link has expired (the cooling-off period is over). Your insurer will phone you.",
        ),
        "revisit_finished" => (
            "本次回访已结束，无需再次操作。",
            "This revisit has ended. There is nothing more to do.",
        ),
        "resend_too_soon" => {
            return match (e.retry_after_secs, zh) {
                (Some(secs), true) if secs > 0 => format!("获取验证码过于频繁，请 {secs} 秒后再试。"),
                (Some(secs), false) if secs > 0 => {
                    format!("A code was sent a moment ago. Please try again in {secs} seconds.")
                }
                (_, true) => "获取验证码过于频繁，请稍后再试。".to_string(),
                (_, false) => "A code was sent a moment ago. Please try again shortly.".to_string(),
            }
        }
        "wrong_code" => {
            return match (e.tries_left, zh) {
                (Some(0), true) => {
                    "验证码错误次数已达上限，请点击“重新发送”获取新的验证码。".to_string()
                }
                (Some(0), false) => {
                    "Too many wrong tries for this code. Please tap “Send again” for a new code."
                        .to_string()
                }
                (Some(n), true) => format!("验证码不正确，您还可以再试 {n} 次。"),
                (Some(1), false) => "The code is not right. You can try 1 more time.".to_string(),
                (Some(n), false) => format!("The code is not right. You can try {n} more times."),
                (None, true) => "验证码不正确，请核对后重新输入。".to_string(),
                (None, false) => "The code is not right. Please check it and try again.".to_string(),
            }
        }
        "code_expired" => (
            "验证码已失效，请点击“重新发送”获取新的验证码。",
            "This code has expired. Please tap “Send again” for a new code.",
        ),
        "no_code_sent" => ("请先获取短信验证码。", "Please ask for a text message code first."),
        "invalid_code_format" => (
            "请输入短信中的 6 位数字验证码。",
            "Please enter the 6-digit code from the text message.",
        ),
        "not_opened" => (
            "请重新打开短信中的回访链接。",
            "Please open the revisit link in the text message again.",
        ),
        "already_verified" => (
            "您已完成身份验证，请继续回访。",
            "Your identity is already confirmed. Please continue.",
        ),
        "not_verified" => (
            "请先完成短信验证码验证。",
            "Please confirm the text message code first.",
        ),
        "item_out_of_order" | "no_such_item" => (
            "请按顺序逐项确认，已为您显示当前应确认的事项。",
            "Items are answered in order. This is the item to answer now.",
        ),
        "already_answered" => (
            "该项已记录，已为您显示下一项。",
            "That answer was already recorded. Here is the next step.",
        ),
        "items_remaining" => (
            "还有未确认的事项，请逐项确认后再提交。",
            "Some items are not answered yet. Please answer each one before you submit.",
        ),
        "comment_too_long" => (
            "补充说明或原因最多 500 字，请删减后再提交。",
            "A comment or reason can be at most 500 characters. Please shorten it.",
        ),
        "invalid_link" | "link_missing" => (
            "链接不完整或有误，请从短信中的链接重新打开。",
            "The link is incomplete or wrong. Please open it again from the text message.",
        ),
        "signature_too_short" => (
            "签名过短，请用手指在框内完整签写您的姓名。",
            "The signature is too short. Please sign your full name in the box with your finger.",
        ),
        "signature_too_large" | "signature_out_of_pad" | "signature_bad_image" => (
            "签名无法保存，请点击“重写”后再签一次。",
            "The signature could not be saved. Please tap “Clear” and sign again.",
        ),
        "signature_required" => ("请先完成手写签名。", "Please sign first."),
        "wrong_id_number" => (
            "身份证号码与投保信息不一致，请核对后重新输入。",
            "The ID card number does not match the policy. Please check it and try again.",
        ),
        "invalid_id_number" => (
            "请输入 18 位身份证号码（最后一位可以是 X）。",
            "Please enter the 18-character ID card number (the last one may be X).",
        ),
        "id_number_checksum" => (
            "身份证号码有误（校验位不符），请核对后重新输入。",
            "The ID card number is not valid (its check digit is wrong). Please check it.",
        ),
        "wrong_step" => (
            "请按页面提示的顺序完成身份验证。",
            "Please confirm your identity in the order the page shows.",
        ),
        "link_in_use" => (
            "该回访链接已在另一台设备上打开。为保护您的信息，回访只能在首次打开链接的设备上继续。如需改为电话回访，请在该设备上操作，或直接联系您的保险公司。",
            "This revisit link was already opened on another device. To protect your information, the revisit can only continue on the device that opened it first. To switch to a phone call, use that device or contact your insurer.",
        ),
        "link_not_found" => (
            "找不到该回访，链接可能有误或已失效。如有疑问请联系保险公司。",
            "This revisit cannot be found; the link may be wrong or no longer valid. Please contact your insurer if in doubt.",
        ),
        "unauthorized" => (
            "无法确认此链接，请从短信中的链接重新打开。",
            "This link cannot be confirmed. Please open it again from the text message.",
        ),
        "rate_limited" | "too_many_requests" => (
            "操作过于频繁，请稍后再试。",
            "Too many requests. Please try again in a moment.",
        ),
        "session_locked" | "too_many_wrong_codes" => (
            "验证码错误次数过多，今日已无法继续电子化回访。您可以改为电话回访。",
            "Too many wrong codes: the online revisit cannot continue today. You can switch to a phone call.",
        ),
        "sms_unavailable" => (
            "短信暂时无法发送，请稍后重试。",
            "Text messages cannot be sent right now. Please try again shortly.",
        ),
        "sms_limit" | "sms_daily_limit" => (
            "今日获取验证码次数已达上限。您可以改为电话回访。",
            "No more codes can be sent today. You can switch to a phone call.",
        ),
        "internal" | "misconfigured" | "unavailable" => SERVER_TEXT,
        _ => GENERIC_TEXT,
    };
    pick(lang, text).to_string()
}

/// Turns an HTTP answer into a view or a failure. Pure, so it is tested on the host.
pub fn interpret(status: u16, body: &str) -> Result<SessionView, Failure> {
    if (200..300).contains(&status) {
        serde_json::from_str(body).map_err(|_| Failure::Unreadable { status })
    } else {
        match serde_json::from_str::<ApiError>(body) {
            Ok(e) => Err(Failure::Refused(e)),
            Err(_) => Err(Failure::Unreadable { status }),
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
#[derive(Clone, Copy, Debug)]
pub struct VerifiedApi<'a> {
    api: &'a RevisitApi,
}

enum Method {
    Get,
    Post(String),
}

impl RevisitApi {
    /// The client for the link in this page's path; `invalid_link` when there is none.
    pub fn for_path(path: &str) -> Result<Self, Failure> {
        token_from_path(path)
            .and_then(|t| LinkToken::parse(t).ok())
            .map(|token| Self { token })
            .ok_or_else(|| Failure::local("invalid_link"))
    }

    /// `GET /v1/session`: the current view (the first call also marks the link opened).
    pub async fn session(&self) -> Result<SessionView, Failure> {
        self.call("", Method::Get).await
    }

    /// `POST /v1/session/code`: text a code to the policyholder's phone.
    pub async fn send_code(&self) -> Result<SessionView, Failure> {
        self.post("/code", &serde_json::json!({})).await
    }

    /// `POST /v1/session/verify`.
    pub async fn verify(&self, code: &OtpCode) -> Result<SessionView, Failure> {
        let body = SubmitCode {
            code: code.as_str().to_string(),
        };
        self.post("/verify", &body).await
    }

    /// `POST /v1/session/id-number`: the ID number, already checked against GB 11643 here; the
    /// edge checks it again and compares keyed hashes (R8).
    pub async fn verify_id_number(&self, id_number: &IdNumber) -> Result<SessionView, Failure> {
        let body = SubmitIdNumber {
            id_number: id_number.as_str().to_string(),
        };
        self.post("/id-number", &body).await
    }

    /// `POST /v1/session/switch`: stop the electronic revisit; the insurer phones instead (R7, R11).
    pub async fn switch_to_phone(&self, reason: Option<String>) -> Result<SessionView, Failure> {
        self.post("/switch", &SwitchToPhone { reason }).await
    }

    /// `POST /v1/session/language`: the session's language; the view comes back with the items in it.
    pub async fn set_language(&self, lang: Lang) -> Result<SessionView, Failure> {
        self.post("/language", &serde_json::json!({ "lang": lang.as_str() }))
            .await
    }

    /// The verified client, if this view says the policyholder is verified.
    pub fn verified(&self, view: &SessionView) -> Option<VerifiedApi<'_>> {
        (view.stage == Stage::Verified).then_some(VerifiedApi { api: self })
    }

    async fn post<T: serde::Serialize>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<SessionView, Failure> {
        let json = serde_json::to_string(body).map_err(|_| Failure::local("bad_request"))?;
        self.call(path, Method::Post(json)).await
    }

    async fn call(&self, path: &str, method: Method) -> Result<SessionView, Failure> {
        use gloo_net::http::Request;
        use leptos::prelude::set_timeout_with_handle;

        let url = format!("/v1/session{path}");
        let auth = format!("Bearer {}", self.token.as_string());
        let builder = match method {
            Method::Get => Request::get(&url),
            Method::Post(_) => Request::post(&url),
        };
        let controller = web_sys::AbortController::new().ok();
        let builder = builder
            .header("Authorization", &auth)
            .cache(web_sys::RequestCache::NoStore)
            .abort_signal(controller.as_ref().map(|c| c.signal()).as_ref());
        let request = match method {
            Method::Get => builder.build(),
            Method::Post(json) => builder
                .header("Content-Type", "application/json")
                .body(json),
        }
        .map_err(|_| Failure::Network)?;
        // A call stuck on a weak mobile signal must end in the network message, not a spinner forever.
        let timer =
            controller.and_then(|c| set_timeout_with_handle(move || c.abort(), TIMEOUT).ok());
        let result = async {
            let response = request.send().await.map_err(|_| Failure::Network)?;
            let status = response.status();
            let body = response.text().await.map_err(|_| Failure::Network)?;
            interpret(status, &body)
        }
        .await;
        if let Some(timer) = timer {
            timer.clear();
        }
        result
    }
}

impl VerifiedApi<'_> {
    /// `POST /v1/session/items/{index}`: only the next unanswered item is accepted (R9).
    pub async fn answer(
        self,
        index: usize,
        answer: AnswerKind,
        comment: Option<String>,
    ) -> Result<SessionView, Failure> {
        let body = AnswerItem { answer, comment };
        self.api.post(&format!("/items/{index}"), &body).await
    }

    /// `POST /v1/session/signature`: the strokes and the pad's PNG (R8).
    pub async fn sign(self, submission: &SignatureSubmission) -> Result<SessionView, Failure> {
        self.api.post("/signature", submission).await
    }

    /// `POST /v1/session/complete`.
    pub async fn complete(self) -> Result<SessionView, Failure> {
        self.api.post("/complete", &serde_json::json!({})).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: &str, message: &str) -> Failure {
        Failure::Refused(ApiError::new(code, message))
    }

    #[test]
    fn wrong_code_says_how_many_tries_are_left() {
        let with_tries = |n: Option<u8>| {
            let mut e = ApiError::new("wrong_code", "the code is wrong");
            e.tries_left = n;
            Failure::Refused(e).text(Lang::ZhCn)
        };
        assert_eq!(with_tries(Some(3)), "验证码不正确，您还可以再试 3 次。");
        assert!(with_tries(Some(0)).contains("重新发送"));
        assert_eq!(with_tries(None), "验证码不正确，请核对后重新输入。");
    }

    #[test]
    fn resend_too_soon_uses_the_wait() {
        let mut e = ApiError::new("resend_too_soon", "wait");
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
    fn every_listed_code_has_its_own_text_in_each_language() {
        let codes = [
            "link_expired",
            "revisit_finished",
            "code_expired",
            "no_code_sent",
            "not_verified",
            "item_out_of_order",
            "items_remaining",
            "invalid_code_format",
            "invalid_link",
            "link_not_found",
            "link_in_use",
            "unauthorized",
            "comment_too_long",
        ];
        for lang in Lang::ALL {
            let generic = refused("something_new", "x").text(lang);
            let mut seen = std::collections::HashSet::new();
            for code in codes {
                let text = refused(code, "for developers").text(lang);
                assert_ne!(text, generic, "{code}");
                assert!(!text.contains("developers"), "{code}");
                assert!(seen.insert(text), "{code} shares its text");
            }
        }
    }

    #[test]
    fn network_and_server_failures_are_transient_and_refusals_are_not() {
        assert_eq!(
            Failure::Network.text(Lang::ZhCn),
            "网络不稳定，请稍后重试。"
        );
        assert_eq!(Failure::Network.text(Lang::En), network_text(Lang::En));
        assert!(Failure::Network.is_transient());
        assert!(Failure::Unreadable { status: 502 }.is_transient());
        // A wifi login page answering instead of the API.
        let portal = Failure::Unreadable { status: 200 };
        assert!(portal.is_transient());
        assert_eq!(portal.text(Lang::ZhCn), network_text(Lang::ZhCn));
        assert!(!refused("wrong_code", "").is_transient());
        assert!(!refused("link_not_found", "").is_transient());
        assert!(refused("sms_unavailable", "").is_transient());
        assert!(refused("internal", "").is_transient());
    }

    #[test]
    fn interpret_reads_views_errors_and_garbage() {
        let err = r#"{"code":"link_expired","message":"over"}"#;
        assert_eq!(
            interpret(410, err).unwrap_err().code(),
            Some("link_expired")
        );
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
        assert_eq!(bad.code(), Some("invalid_link"));
        assert!(!bad.is_transient());
    }
}
