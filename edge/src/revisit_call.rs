//! The one call between the worker and a revisit's Durable Object: who calls, what they ask and the
//! body, answered by one typed reply that the worker turns into HTTP. The object is reachable only
//! through its stub; the worker has checked the request's credentials' shape, size and media type.

use crate::config::REVISITS_BINDING;
use crate::error::{error_response, EdgeError};
use crate::headers;
use crate::http::json;
use huifang_core::script::Lang;
use huifang_core::session::{ClientInfo, Revisit};
use huifang_core::wire::{ApiError, LinkSms, RevisitStatus};
use huifang_core::RevisitId;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use worker::wasm_bindgen::JsValue;
use worker::{Env, Method, Request, RequestInit, Response};

/// The device cookie's name: one per revisit, so two revisits on one phone do not collide.
pub fn device_cookie_name(id: &RevisitId) -> String {
    format!("hf_dev_{id}")
}

/// Who is calling from the policyholder's side, as the worker saw it: digests only, never the
/// clear secrets (R6).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Caller {
    /// Digest of the link token's secret.
    pub link_digest: String,
    /// Digest of the device cookie's secret, if the browser sent one.
    pub device: Option<String>,
    /// Keyed hash of the client's IP address, naming its send throttle.
    pub ip_key: String,
    /// Whether the request came over HTTPS (the device cookie is `Secure` then).
    pub https: bool,
    /// The client's network and user agent, for the trace (R10).
    pub client: ClientInfo,
    /// The browser's preferred language among ours (`Accept-Language`), for the first open.
    pub lang: Option<Lang>,
    /// For `POST /session/face/start` only: the revisit page's own address (`/r/<link>` at this
    /// edge), for the insurer's provider to send the browser back to (R8). It goes to the
    /// insurer's origin, which issued the link; it is never stored or logged.
    #[serde(default)]
    pub face_return_url: Option<String>,
}

/// What the policyholder asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// `GET /session`: open the link (the first open binds it to this browser, R10).
    Open,
    /// The fallback page's form (R7): open, then switch to phone, in one go.
    FallbackSwitch,
    /// One session event; its body, where there is one, is read by the object after the link and
    /// the device are checked.
    Step(StepAction),
}

/// The policyholder's routes that are one session event each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepAction {
    /// `POST /session/code`
    SendCode,
    /// `POST /session/verify` with `SubmitCode`
    SubmitCode,
    /// `POST /session/id-number` with `SubmitIdNumber`
    SubmitIdNumber,
    /// `POST /session/items/{index}` with `AnswerItem`
    Answer { index: usize },
    /// `POST /session/signature` with a `SignatureSubmission`
    Sign,
    /// `POST /session/complete`
    Complete,
    /// `POST /session/language` with `ChooseLanguage`
    ChooseLanguage,
    /// `POST /session/switch` with `SwitchToPhone`
    SwitchToPhone,
    /// `POST /session/face/start` (R8)
    StartFace,
    /// `POST /session/face/result` with `FaceReturn`
    FaceResult,
    /// `POST /session/face/decline`
    DeclineFace,
}

impl Action {
    /// Whether the route takes a body; one that does not refuses any but none or `{}`.
    pub fn takes_body(self) -> bool {
        use StepAction::*;
        match self {
            Self::Open | Self::FallbackSwitch => false,
            Self::Step(SendCode | Complete | StartFace | DeclineFace) => false,
            Self::Step(
                SubmitCode
                | SubmitIdNumber
                | Answer { .. }
                | Sign
                | ChooseLanguage
                | SwitchToPhone
                | FaceResult,
            ) => true,
        }
    }

    /// The action of a policyholder route (`/session…`, without `/v1`).
    pub fn of_route(method: &Method, path: &str) -> Result<Self, EdgeError> {
        if path == "/session" && matches!(method, Method::Get | Method::Head) {
            return Ok(Self::Open);
        }
        let post = *method == Method::Post;
        let step = match path {
            "/session/code" if post => StepAction::SendCode,
            "/session/verify" if post => StepAction::SubmitCode,
            "/session/id-number" if post => StepAction::SubmitIdNumber,
            "/session/signature" if post => StepAction::Sign,
            "/session/complete" if post => StepAction::Complete,
            "/session/language" if post => StepAction::ChooseLanguage,
            "/session/switch" if post => StepAction::SwitchToPhone,
            "/session/face/start" if post => StepAction::StartFace,
            "/session/face/result" if post => StepAction::FaceResult,
            "/session/face/decline" if post => StepAction::DeclineFace,
            "/session/code"
            | "/session/verify"
            | "/session/id-number"
            | "/session/signature"
            | "/session/complete"
            | "/session/switch"
            | "/session/language"
            | "/session/face/start"
            | "/session/face/result"
            | "/session/face/decline" => return Err(EdgeError::MethodNotAllowed { allow: "POST" }),
            p if post && p.starts_with("/session/items/") => {
                let index = p["/session/items/".len()..]
                    .parse::<usize>()
                    .map_err(|_| EdgeError::NotFound)?;
                StepAction::Answer { index }
            }
            _ => return Err(EdgeError::NotFound),
        };
        Ok(Self::Step(step))
    }
}

/// One call to a revisit's object.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Call {
    /// The insurer created the revisit (already parsed and hashed by the worker), and, when it
    /// asked for it, the link to send by SMS (passed through, never stored).
    Create {
        revisit: Box<Revisit>,
        link_sms: Option<String>,
    },
    /// The insurer asks for the status.
    Status,
    /// The insurer asks for the raw storage (tests only, `STORAGE_INSPECTION`).
    Storage,
    /// The insurer cancels the revisit.
    Cancel,
    /// The insurer issues a new link (the digest of its secret).
    Reissue { link_digest: String },
    /// The policyholder's browser.
    Policyholder {
        caller: Caller,
        action: Action,
        body: String,
    },
}

/// A device cookie the object made for a browser's first open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCookie {
    pub name: String,
    pub secret: String,
    pub max_age_secs: u64,
    pub secure: bool,
}

impl DeviceCookie {
    /// The `Set-Cookie` line for `path`: HttpOnly, SameSite=Strict, Secure over HTTPS (R10).
    pub fn header(&self, path: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={}; Path={path}; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
            self.name, self.secret, self.max_age_secs
        )
    }
}

/// The object's one answer to a call.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Reply {
    /// Created; with what became of the link SMS, when one was asked for.
    Created {
        link_sms: Option<LinkSms>,
    },
    Status(RevisitStatus),
    Storage(serde_json::Map<String, serde_json::Value>),
    /// The session as the policyholder may see it, and the device cookie of a first open.
    Session {
        /// The `SessionView` as the object wrote it: passed through by the worker unparsed.
        view: Box<RawValue>,
        new_device: Option<DeviceCookie>,
    },
    /// The fallback switch happened now, or had already happened for this browser.
    Switched {
        already: bool,
        new_device: Option<DeviceCookie>,
    },
    /// Refused, with the HTTP status and body the API answers.
    Refused {
        status: u16,
        error: ApiError,
    },
}

impl Reply {
    /// The refusal for `e`. Server faults are logged (without personal data).
    pub fn refused(e: EdgeError) -> Self {
        e.log();
        Self::Refused {
            status: e.status(),
            error: e.body(),
        }
    }

    /// The API's HTTP answer. A device cookie is scoped to the JSON API (`/v1/session`).
    pub fn into_response(self) -> Result<Response, EdgeError> {
        self.into_response_with_cookie_on(&["/v1/session"])
    }

    /// The API's HTTP answer, a new device cookie set once for each of `paths`.
    pub fn into_response_with_cookie_on(self, paths: &[&str]) -> Result<Response, EdgeError> {
        match self {
            Self::Created { .. } => {
                let mut resp = Response::empty()?.with_status(201);
                headers::apply(resp.headers_mut(), headers::Kind::Api)?;
                Ok(resp)
            }
            Self::Status(status) => json(200, &status),
            Self::Storage(dump) => json(200, &dump),
            Self::Session { view, new_device } => {
                let mut resp = json(200, &view)?;
                if let Some(cookie) = new_device {
                    for path in paths {
                        resp.headers_mut()
                            .append("set-cookie", &cookie.header(path))?;
                    }
                }
                Ok(resp)
            }
            Self::Refused { status, error } => Ok(error_response(status, &error)),
            Self::Switched { .. } => Err(EdgeError::Internal(
                "a fallback switch answered an API call".into(),
            )),
        }
    }
}

/// JSON between the worker, the object and its storage that does not parse: a fault of ours. The
/// log names where and what kind, never the text (serde's message can quote a personal field).
pub fn unreadable(what: &str, e: &serde_json::Error) -> EdgeError {
    EdgeError::Internal(format!(
        "{what} unreadable: {:?} error at line {} column {}",
        e.classify(),
        e.line(),
        e.column()
    ))
}

/// Sends `call` to the object of revisit `id` and reads its reply.
pub async fn call(env: &Env, id: &RevisitId, call: &Call) -> Result<Reply, EdgeError> {
    call_object(env, id.as_str(), call).await
}

/// Sends `call` to the object named `name` (a revisit's id, or the benchmark's probe).
pub async fn call_object(env: &Env, name: &str, call: &Call) -> Result<Reply, EdgeError> {
    let body = serde_json::to_string(call).map_err(|e| unreadable("call", &e))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    // Stub fetches need an absolute URL; the host is never resolved.
    let req = Request::new_with_init("https://revisit/call", &init)?;
    let stub = env
        .durable_object(REVISITS_BINDING)?
        .id_from_name(name)?
        .get_stub()?;
    let mut resp = stub.fetch_with_request(req).await?;
    let text = resp.text().await?;
    if resp.status_code() != 200 {
        return Err(EdgeError::Internal(format!(
            "revisit object answered {}",
            resp.status_code()
        )));
    }
    serde_json::from_str(&text).map_err(|e| unreadable("reply", &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_policyholder_route_is_one_action() {
        let route = |m: Method, p: &str| Action::of_route(&m, p).map_err(|e| e.status());
        assert_eq!(route(Method::Get, "/session"), Ok(Action::Open));
        assert_eq!(route(Method::Head, "/session"), Ok(Action::Open));
        let steps = [
            ("/session/code", StepAction::SendCode),
            ("/session/verify", StepAction::SubmitCode),
            ("/session/id-number", StepAction::SubmitIdNumber),
            ("/session/items/3", StepAction::Answer { index: 3 }),
            ("/session/signature", StepAction::Sign),
            ("/session/complete", StepAction::Complete),
            ("/session/language", StepAction::ChooseLanguage),
            ("/session/switch", StepAction::SwitchToPhone),
        ];
        for (path, step) in steps {
            assert_eq!(route(Method::Post, path), Ok(Action::Step(step)), "{path}");
        }
        assert_eq!(route(Method::Get, "/session/code"), Err(405));
        assert_eq!(route(Method::Put, "/session/verify"), Err(405));
        assert_eq!(route(Method::Delete, "/session"), Err(404));
        assert_eq!(route(Method::Get, "/session/items/0"), Err(404));
        assert_eq!(route(Method::Post, "/session/items/first"), Err(404));
        assert_eq!(route(Method::Post, "/session/other"), Err(404));
    }

    #[test]
    fn a_call_and_a_reply_cross_as_json_unchanged() {
        let call = Call::Policyholder {
            caller: Caller {
                link_digest: "ab".repeat(32),
                device: Some("cd".repeat(32)),
                ip_key: "ef".repeat(32),
                https: true,
                client: ClientInfo::new("203.0.113.7", "Phone/1.0"),
                lang: Some(Lang::En),
                face_return_url: None,
            },
            action: Action::Step(StepAction::Answer { index: 2 }),
            body: r#"{"answer":"yes"}"#.into(),
        };
        let back: Call = serde_json::from_str(&serde_json::to_string(&call).unwrap()).unwrap();
        assert_eq!(format!("{back:?}"), format!("{call:?}"));
        let reply = Reply::Switched {
            already: false,
            new_device: Some(DeviceCookie {
                name: "hf_dev_x".into(),
                secret: "s".into(),
                max_age_secs: 9,
                secure: true,
            }),
        };
        let back: Reply = serde_json::from_str(&serde_json::to_string(&reply).unwrap()).unwrap();
        assert_eq!(format!("{back:?}"), format!("{reply:?}"));
    }
}
