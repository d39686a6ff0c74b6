//! `RevisitSession`: the Durable Object that holds one live revisit. It is the only writer of its
//! session, so every rule in `huifang_core::session` holds exactly, whatever the concurrency: each
//! request loads, applies one event and stores before any other I/O (input gates make that atomic).
//!
//! Storage keys: `session` (the live `Session`, JSON), `outbox` (the sealed record awaiting the
//! origin's acknowledgement), `tombstone` (what is left after acknowledgement, R2).
//! One alarm drives expiry at the cooling-off end (R1), delivery retries, and the final erase.

use crate::config::{self, REVISITS_BINDING};
use crate::error::EdgeError;
use crate::http::{json, now, parse_json, random_bytes};
use crate::origin_client;
use crate::policyholder::device_cookie_name;
use crate::send_throttle;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use huifang_core::record::{Outcome, Record, SealedRecord};
use huifang_core::script::Lang;
use huifang_core::session::{ClientInfo, Effect, Event, Refusal, Revisit, Session};
use huifang_core::signing::{keyed_digest, secret_digest};
use huifang_core::throttle::{Limit, SENDS_PER_IP, SENDS_PER_PHONE};
use huifang_core::time::{MINUTE_MS, SECOND_MS};
use huifang_core::wire::{
    AnswerItem, ChooseLanguage, RevisitStatus, SessionView, SmsRequest, SubmitCode, SubmitIdNumber,
    SwitchToPhone,
};
use huifang_core::{IdNumber, LinkToken, OtpCode, RevisitId, Timestamp};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::time::Duration;
use worker::wasm_bindgen::{self, JsValue};
use worker::{
    console_error, console_log, durable_object, DurableObject, Env, Headers, Method, Request,
    RequestInit, Response, Result, State,
};

const KEY_SESSION: &str = "session";
const KEY_OUTBOX: &str = "outbox";
const KEY_TOMBSTONE: &str = "tombstone";
/// Internal headers from the worker to the object (the object is not reachable from outside).
const LINK_DIGEST_HEADER: &str = "x-link-digest";
const DEVICE_DIGEST_HEADER: &str = "x-device-digest";
const IP_KEY_HEADER: &str = "x-ip-key";
const HTTPS_HEADER: &str = "x-https";
const CLIENT_IP_HEADER: &str = "x-client-ip";
const USER_AGENT_HEADER: &str = "x-client-user-agent";
const LANG_HEADER: &str = "x-client-lang";

/// Who is calling, as the worker saw it: digests only, never the clear values (R6).
pub struct Caller {
    /// Digest of the device cookie's secret, if the browser sent one.
    pub device: Option<String>,
    /// Keyed hash of the client's IP address, naming its send throttle.
    pub ip_key: String,
    /// Whether the request came over HTTPS (the device cookie is `Secure` then).
    pub https: bool,
    /// The client's IP address (the object keeps only its network) and user agent (R10).
    pub ip: String,
    pub user_agent: String,
    /// The browser's preferred language among ours (`Accept-Language`), for the first open.
    pub lang: Option<Lang>,
}

/// Who sent an event, as far as the object needs it: the IP throttle's key and the trace stamp.
#[derive(Default)]
struct Sender {
    ip_key: String,
    client: Option<ClientInfo>,
}

/// A sealed record waiting for the origin, and how many deliveries have failed.
#[derive(Serialize, Deserialize)]
struct Outbox {
    sealed: SealedRecord,
    attempts: u32,
}

/// How long a tombstone outlives the link, so that a late click still hears "ended", not "unknown".
const TOMBSTONE_GRACE_MS: u64 = 30 * huifang_core::time::DAY_MS;

/// What remains after the origin acknowledged the record: no personal field (R2, R6).
#[derive(Serialize, Deserialize)]
struct Tombstone {
    revisit_id: RevisitId,
    link_digest: String,
    outcome: Outcome,
    record_hash: String,
    delivered_at: Timestamp,
    link_expires_at: Timestamp,
}

// ---- called by the worker ----------------------------------------------------------------------

fn stub(env: &Env, id: &RevisitId) -> std::result::Result<worker::Stub, EdgeError> {
    Ok(env
        .durable_object(REVISITS_BINDING)?
        .id_from_name(id.as_str())?
        .get_stub()?)
}

async fn send(
    env: &Env,
    id: &RevisitId,
    method: Method,
    path: &str,
    headers: Headers,
    body: Option<String>,
) -> std::result::Result<Response, EdgeError> {
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers);
    if let Some(body) = body {
        init.with_body(Some(JsValue::from_str(&body)));
    }
    // Stub fetches need an absolute URL; the host is never resolved.
    let req = Request::new_with_init(&format!("https://revisit{path}"), &init)?;
    Ok(stub(env, id)?.fetch_with_request(req).await?)
}

/// Creates the revisit's object. Fails with `Conflict` if it already exists.
pub async fn create(env: &Env, revisit: &Revisit) -> std::result::Result<(), EdgeError> {
    let body = serde_json::to_string(revisit).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let resp = send(
        env,
        &revisit.id,
        Method::Post,
        "/create",
        Headers::new(),
        Some(body),
    )
    .await?;
    match resp.status_code() {
        201 => Ok(()),
        409 => Err(EdgeError::Conflict),
        s => Err(EdgeError::Internal(format!("create answered {s}"))),
    }
}

/// Forwards a policyholder request (`/session…`) to the revisit's object.
pub async fn call(
    env: &Env,
    token: &LinkToken,
    caller: &Caller,
    method: Method,
    action: &str,
    body: Vec<u8>,
) -> std::result::Result<Response, EdgeError> {
    let headers = Headers::new();
    headers.set(LINK_DIGEST_HEADER, &token.secret_digest())?;
    if let Some(device) = &caller.device {
        headers.set(DEVICE_DIGEST_HEADER, device)?;
    }
    headers.set(IP_KEY_HEADER, &caller.ip_key)?;
    headers.set(HTTPS_HEADER, if caller.https { "1" } else { "0" })?;
    headers.set(CLIENT_IP_HEADER, &caller.ip)?;
    headers.set(USER_AGENT_HEADER, &caller.user_agent)?;
    if let Some(lang) = caller.lang {
        headers.set(LANG_HEADER, lang.as_str())?;
    }
    let body = if body.is_empty() {
        None
    } else {
        Some(String::from_utf8(body).map_err(|_| EdgeError::BadJson("not UTF-8".into()))?)
    };
    send(env, token.revisit_id(), method, action, headers, body).await
}

/// Forwards an (already authenticated) insurer request to the revisit's object.
pub async fn insurer_call(
    env: &Env,
    id: &RevisitId,
    method: Method,
    action: &str,
    body: Option<String>,
) -> std::result::Result<Response, EdgeError> {
    send(env, id, method, action, Headers::new(), body).await
}

// ---- the object --------------------------------------------------------------------------------

#[durable_object]
pub struct RevisitSession {
    state: State,
    env: Env,
}

impl DurableObject for RevisitSession {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        Ok(self
            .handle(req)
            .await
            .unwrap_or_else(EdgeError::into_response))
    }

    async fn alarm(&self) -> Result<Response> {
        if let Err(e) = self.on_alarm().await {
            console_error!("alarm failed: {}; retrying in a minute", e.detail());
            self.state
                .storage()
                .set_alarm(Duration::from_millis(MINUTE_MS))
                .await?;
        }
        Response::ok("")
    }
}

/// What a request handler inside the object returns.
type Reply = std::result::Result<Response, EdgeError>;

impl RevisitSession {
    async fn load<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> std::result::Result<Option<T>, EdgeError> {
        let text: Option<String> = self.state.storage().get(key).await?;
        text.map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| EdgeError::Internal(format!("stored {key} unreadable: {e}")))
    }

    async fn store<T: Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> std::result::Result<(), EdgeError> {
        let text = serde_json::to_string(value).map_err(|e| EdgeError::Internal(e.to_string()))?;
        self.state.storage().put(key, text).await?;
        Ok(())
    }

    async fn alarm_at(&self, at: Timestamp, now: Timestamp) -> std::result::Result<(), EdgeError> {
        let delay = at.since(now);
        self.state
            .storage()
            .set_alarm(Duration::from_millis(delay))
            .await?;
        Ok(())
    }

    async fn handle(&self, mut req: Request) -> Reply {
        let now = now();
        let path = req.path();
        match (req.method(), path.as_str()) {
            (Method::Post, "/create") => {
                let body = req.text().await.map_err(|_| EdgeError::BadBody)?;
                self.create(&body, now).await
            }
            (Method::Get, "/insurer/status") => self.status().await,
            (Method::Get, "/insurer/storage") => self.storage_dump().await,
            (Method::Post, "/insurer/cancel") => self.insurer_event(Event::Cancel, now).await,
            (Method::Post, "/insurer/reissue") => {
                let link_digest = req.text().await.map_err(|_| EdgeError::BadBody)?;
                self.insurer_event(Event::ReissueLink { link_digest }, now)
                    .await
            }
            _ => self.policyholder(req, path, now).await,
        }
    }

    async fn policyholder(&self, mut req: Request, path: String, now: Timestamp) -> Reply {
        let header = |name: &str| req.headers().get(name).ok().flatten();
        let digest = header(LINK_DIGEST_HEADER).ok_or(EdgeError::LinkNotFound)?;
        let device = header(DEVICE_DIGEST_HEADER);
        let sender = Sender {
            ip_key: header(IP_KEY_HEADER).unwrap_or_default(),
            client: Some(ClientInfo::new(
                &header(CLIENT_IP_HEADER).unwrap_or_default(),
                &header(USER_AGENT_HEADER).unwrap_or_default(),
            )),
        };
        let https = header(HTTPS_HEADER).as_deref() == Some("1");
        // The worker sends the tag of the language it picked (`Lang::as_str`).
        let lang = header(LANG_HEADER).and_then(|l| Lang::from_tag(&l));
        // Read the body before loading the session: from the load to the store there must be no
        // await but storage, or a concurrent request could apply its event to the same old state.
        let body = req.text().await.map_err(|_| EdgeError::BadBody)?;
        let Some(session) = self.load::<Session>(KEY_SESSION).await? else {
            return Err(self.finished_link(&digest).await?);
        };
        if session.revisit.link_digest != digest {
            return Err(EdgeError::LinkNotFound);
        }
        if req.method() == Method::Get && path == "/session" {
            return self.open(session, device, lang, https, &sender, now).await;
        }
        // R10: every other request must come from the device the link is bound to.
        session.check_device(device.as_deref())?;
        let event = match (req.method(), path.as_str()) {
            (Method::Post, "/session/code") => Event::IssueCode {
                code: OtpCode::from_random(u64::from_le_bytes(random_bytes()?)),
                salt: random_bytes()?,
            },
            (Method::Post, "/session/verify") => {
                let SubmitCode { code } = parse_json(body.as_bytes())?;
                Event::SubmitCode {
                    code: OtpCode::parse(&code)?,
                }
            }
            (Method::Post, "/session/id-number") => {
                let SubmitIdNumber { id_number } = parse_json(body.as_bytes())?;
                // GB 11643 is checked before any comparison; a typo is not a wrong try.
                let id_number = IdNumber::parse(&id_number)?;
                let key = config::required(&self.env, "ID_HASH_KEY")?;
                Event::SubmitIdNumber {
                    digest: keyed_digest(key.as_bytes(), id_number.as_str()),
                }
            }
            (Method::Post, p) if p.starts_with("/session/items/") => {
                let index = p["/session/items/".len()..]
                    .parse::<usize>()
                    .map_err(|_| EdgeError::NotFound)?;
                let AnswerItem { answer, comment } = parse_json(body.as_bytes())?;
                Event::Answer {
                    index,
                    answer,
                    comment,
                }
            }
            (Method::Post, "/session/signature") => Event::Sign {
                submission: parse_json(body.as_bytes())?,
            },
            (Method::Post, "/session/complete") => Event::Complete,
            (Method::Post, "/session/language") => {
                let ChooseLanguage { lang } = parse_json(body.as_bytes())?;
                Event::ChooseLanguage { lang }
            }
            (Method::Post, "/session/switch") => {
                let SwitchToPhone { reason } = parse_json(body.as_bytes())?;
                Event::SwitchToPhone { reason }
            }
            (
                _,
                "/session/code" | "/session/verify" | "/session/id-number" | "/session/signature"
                | "/session/complete" | "/session/switch" | "/session/language",
            ) => return Err(EdgeError::MethodNotAllowed),
            _ => return Err(EdgeError::NotFound),
        };
        self.step(session, event, &sender, now).await
    }

    /// `GET /session`: the first open binds the link to this browser with a fresh device secret in
    /// an HttpOnly, SameSite=Strict cookie (Secure over HTTPS); any other browser is refused (R10).
    async fn open(
        &self,
        session: Session,
        device: Option<String>,
        lang: Option<Lang>,
        https: bool,
        sender: &Sender,
        now: Timestamp,
    ) -> Reply {
        if session.stage.is_finished() {
            // A reload after the end shows the end (to the bound device), until the record is erased.
            session.check_device(device.as_deref())?;
            return json(200, &SessionView::of(&session, now));
        }
        let (device, new_secret) = match (device, &session.device_digest) {
            (Some(d), _) => (d, None),
            (None, None) => {
                let secret = URL_SAFE_NO_PAD.encode(random_bytes::<16>()?);
                (secret_digest(&secret), Some(secret))
            }
            (None, Some(_)) => return Err(Refusal::LinkInUse.into()),
        };
        let expires = session.revisit.cooling_off_ends_at;
        let name = device_cookie_name(&session.revisit.id);
        let mut resp = self
            .step(session, Event::Open { device, lang }, sender, now)
            .await?;
        if let Some(secret) = new_secret {
            let max_age = expires.since(now) / SECOND_MS;
            let secure = if https { "; Secure" } else { "" };
            let cookie = format!(
                "{name}={secret}; Path=/v1/session; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
            );
            resp.headers_mut().set("set-cookie", &cookie)?;
        }
        Ok(resp)
    }

    /// The insurer's view of the revisit: live, or delivered and erased.
    async fn status(&self) -> Reply {
        if let Some(session) = self.load::<Session>(KEY_SESSION).await? {
            let pending = self.load::<Outbox>(KEY_OUTBOX).await?;
            let hash = pending.map(|o| o.sealed.seal.record_hash);
            return json(200, &RevisitStatus::of(&session, hash));
        }
        match self.load::<Tombstone>(KEY_TOMBSTONE).await? {
            Some(t) => json(
                200,
                &RevisitStatus {
                    revisit_id: t.revisit_id,
                    stage: t.outcome.stage(),
                    expires_at: t.link_expires_at.to_rfc3339(),
                    items_answered: None,
                    item_count: None,
                    delivered: true,
                    record_hash: Some(t.record_hash),
                },
            ),
            None => Err(EdgeError::NotFound),
        }
    }

    /// Every key and value in this object's storage, for tests that check what is kept (R2, R6).
    /// Reached only through the insurer API, and only where the var `STORAGE_INSPECTION` is `1`.
    async fn storage_dump(&self) -> Reply {
        let map = self.state.storage().list().await?;
        let mut dump = serde_json::Map::new();
        for entry in map.entries() {
            let pair: worker::js_sys::Array = entry.map_err(worker::Error::from)?.into();
            let key = pair.get(0).as_string().unwrap_or_default();
            let value = pair
                .get(1)
                .as_string()
                .unwrap_or_else(|| "<not text>".into());
            dump.insert(key, serde_json::Value::String(value));
        }
        json(200, &dump)
    }

    /// Cancel or re-issue: applied like any event; answers with the status.
    async fn insurer_event(&self, event: Event, now: Timestamp) -> Reply {
        let Some(session) = self.load::<Session>(KEY_SESSION).await? else {
            return match self.load::<Tombstone>(KEY_TOMBSTONE).await? {
                Some(_) => Err(Refusal::Finished.into()),
                None => Err(EdgeError::NotFound),
            };
        };
        self.step(session, event, &Sender::default(), now).await?;
        self.status().await
    }

    /// A link whose session was delivered and erased: say it has ended, without any detail.
    async fn finished_link(&self, digest: &str) -> std::result::Result<EdgeError, EdgeError> {
        Ok(match self.load::<Tombstone>(KEY_TOMBSTONE).await? {
            Some(t) if t.link_digest == digest => EdgeError::Refused(match t.outcome {
                Outcome::Expired => Refusal::Expired,
                _ => Refusal::Finished,
            }),
            _ => EdgeError::LinkNotFound,
        })
    }

    async fn create(&self, body: &str, now: Timestamp) -> Reply {
        let revisit: Revisit =
            serde_json::from_str(body).map_err(|e| EdgeError::Internal(e.to_string()))?;
        let exists = self.load::<Session>(KEY_SESSION).await?.is_some()
            || self.load::<Tombstone>(KEY_TOMBSTONE).await?.is_some();
        if exists {
            return Err(EdgeError::Conflict);
        }
        let ends = revisit.cooling_off_ends_at;
        self.store(KEY_SESSION, &Session::new(revisit)).await?;
        // R1: wake at the cooling-off end to expire the link and forward what happened.
        self.alarm_at(ends, now).await?;
        Ok(Response::empty()?.with_status(201))
    }

    /// Applies one event; stores the result whatever the outcome; carries out the effect.
    async fn step(&self, session: Session, event: Event, sender: &Sender, now: Timestamp) -> Reply {
        let was_finished = session.stage.is_finished();
        let (next, outcome) = session.apply_from(event, now, sender.client.clone());
        self.store(KEY_SESSION, &next).await?;
        if !was_finished && next.stage.is_finished() {
            self.seal_and_queue(&next, now).await?;
        }
        for effect in outcome? {
            let Effect::SendSms { to, text } = effect;
            {
                if let Err(refusal) = self.take_send_slots(to.as_str(), &sender.ip_key).await {
                    self.undeliverable_code(&next).await?;
                    return Err(refusal);
                }
                let sms = SmsRequest {
                    revisit_id: next.revisit.id.clone(),
                    phone: to.as_str().to_string(),
                    text,
                };
                if let Err(e) = origin_client::send_sms(&self.env, &sms).await {
                    self.undeliverable_code(&next).await?;
                    return Err(e);
                }
            }
        }
        json(200, &SessionView::of(&next, now))
    }

    /// Counts the send against the phone number's and the client IP's daily caps (across all
    /// sessions), each held by its own `SendThrottle` object.
    async fn take_send_slots(
        &self,
        phone: &str,
        ip_key: &str,
    ) -> std::result::Result<(), EdgeError> {
        let key = config::required(&self.env, "ID_HASH_KEY")?;
        let ip_limit = Limit {
            limit: config::number(
                &self.env,
                "SENDS_PER_IP_PER_HOUR",
                u64::from(SENDS_PER_IP.limit),
            )
            .try_into()
            .unwrap_or(SENDS_PER_IP.limit),
            ..SENDS_PER_IP
        };
        let ip_name = format!("ip:{ip_key}");
        if let Err(retry_after_secs) = send_throttle::take(&self.env, &ip_name, ip_limit).await? {
            return Err(Refusal::RateLimited { retry_after_secs }.into());
        }
        let phone_name = format!(
            "phone:{}",
            keyed_digest(key.as_bytes(), &format!("phone:{phone}"))
        );
        if let Err(retry_after_secs) =
            send_throttle::take(&self.env, &phone_name, SENDS_PER_PHONE).await?
        {
            return Err(Refusal::SmsDailyLimit { retry_after_secs }.into());
        }
        Ok(())
    }

    /// The gateway refused the code just issued: free the resend slot so the person can retry now.
    async fn undeliverable_code(&self, issued: &Session) -> std::result::Result<(), EdgeError> {
        let Some(sent_at) = issued.code.as_ref().map(|c| c.sent_at) else {
            return Ok(());
        };
        if let Some(current) = self.load::<Session>(KEY_SESSION).await? {
            let (next, _) = current.apply(Event::CodeUndelivered { sent_at }, now());
            self.store(KEY_SESSION, &next).await?;
        }
        Ok(())
    }

    /// Seals the finished session's record (R4) and queues it for the origin.
    async fn seal_and_queue(
        &self,
        session: &Session,
        now: Timestamp,
    ) -> std::result::Result<(), EdgeError> {
        let region = config::optional(&self.env, "REGION").unwrap_or_else(|| "local".into());
        let record =
            Record::of(session, &region).map_err(|e| EdgeError::Internal(e.to_string()))?;
        let sealed = record.seal(&config::edge_key(&self.env)?);
        console_log!(
            "revisit {} finished ({:?}); record {} queued",
            session.revisit.id,
            sealed.record.outcome,
            sealed.seal.record_hash
        );
        self.store(
            KEY_OUTBOX,
            &Outbox {
                sealed,
                attempts: 0,
            },
        )
        .await?;
        self.alarm_at(now, now).await
    }

    async fn on_alarm(&self) -> std::result::Result<(), EdgeError> {
        let now = now();
        if let Some(outbox) = self.load::<Outbox>(KEY_OUTBOX).await? {
            return self.deliver(outbox, now).await;
        }
        if let Some(session) = self.load::<Session>(KEY_SESSION).await? {
            if session.stage.is_finished() {
                return Ok(());
            }
            let ends = session.revisit.cooling_off_ends_at;
            if now < ends {
                return self.alarm_at(ends, now).await;
            }
            let (next, outcome) = session.apply(Event::Expire, now);
            self.store(KEY_SESSION, &next).await?;
            if outcome.is_ok() {
                self.seal_and_queue(&next, now).await?;
            }
            return Ok(());
        }
        if let Some(t) = self.load::<Tombstone>(KEY_TOMBSTONE).await? {
            let erase_at = t.link_expires_at.plus_millis(TOMBSTONE_GRACE_MS);
            if now >= erase_at {
                self.state.storage().delete_all().await?;
            } else {
                self.alarm_at(erase_at, now).await?;
            }
        }
        Ok(())
    }

    /// Delivers the sealed record; on acknowledgement erases the session (R2), else retries with
    /// capped exponential backoff. Nothing is ever dropped.
    async fn deliver(
        &self,
        mut outbox: Outbox,
        now: Timestamp,
    ) -> std::result::Result<(), EdgeError> {
        match origin_client::deliver_record(&self.env, &outbox.sealed).await {
            Ok(ack) => {
                let record = &outbox.sealed.record;
                let session: Option<Session> = self.load(KEY_SESSION).await?;
                let link_digest = session.map(|s| s.revisit.link_digest).unwrap_or_default();
                let tombstone = Tombstone {
                    revisit_id: record.revisit_id.clone(),
                    link_digest,
                    outcome: record.outcome,
                    record_hash: ack.record_hash,
                    delivered_at: now,
                    link_expires_at: record.cooling_off_ends_at,
                };
                self.store(KEY_TOMBSTONE, &tombstone).await?;
                self.state.storage().delete(KEY_SESSION).await?;
                self.state.storage().delete(KEY_OUTBOX).await?;
                console_log!(
                    "revisit {} delivered{}; personal data erased",
                    tombstone.revisit_id,
                    if ack.duplicate { " (duplicate)" } else { "" }
                );
                let erase_at = tombstone.link_expires_at.plus_millis(TOMBSTONE_GRACE_MS);
                self.alarm_at(erase_at, now).await
            }
            Err(reason) => {
                outbox.attempts += 1;
                let base = config::number(&self.env, "FORWARD_RETRY_BASE_MS", SECOND_MS);
                let cap = config::number(&self.env, "FORWARD_RETRY_MAX_MS", 10 * MINUTE_MS);
                let delay = base
                    .saturating_mul(1u64 << outbox.attempts.min(20))
                    .min(cap);
                console_error!(
                    "delivery of revisit {} failed (attempt {}): {reason}; next try in {delay} ms",
                    outbox.sealed.record.revisit_id,
                    outbox.attempts
                );
                self.store(KEY_OUTBOX, &outbox).await?;
                self.alarm_at(now.plus_millis(delay), now).await
            }
        }
    }
}
