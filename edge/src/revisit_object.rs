//! `RevisitSession`: the Durable Object that holds one revisit's record in custody. It is the only
//! writer of its storage, so every rule in `huifang_core::session` and `huifang_core::custody`
//! holds exactly, whatever the concurrency: each call loads, applies one input and stores before
//! any other I/O (input gates make that atomic). What to store, seal, deliver, erase and when to
//! wake is decided by `Custody::update`; the object only loads, applies, stores and runs effects.
//!
//! Storage keys: `session` (the `Session`, JSON), `outbox` (the sealed record awaiting the origin's
//! acknowledgement), `tombstone` (what is left after acknowledgement, R2). One alarm drives expiry
//! at the cooling-off end (R1), the code SMS's hand-off to the gateway and its retries (queued in
//! the session, off the request's path: issue 19), delivery retries, and the final erase.

use crate::config;
use crate::error::EdgeError;
use crate::face;
use crate::http::{no_body, now, parse_json, random_bytes};
use crate::revisit_call::{
    device_cookie_name, unreadable, Action, Call, Caller, DeviceCookie, Reply, StepAction,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::future::join_all;
use huifang_core::custody::{Custody, CustodyError, Effect, Input, Outbox, Tombstone, Write};
use huifang_core::session::{Event, Notice, Session, TraceEvent};
use huifang_core::signing::{keyed_digest, secret_digest};
use huifang_core::time::{MINUTE_MS, SECOND_MS};
use huifang_core::wire::{
    AnswerItem, ChooseLanguage, LinkSms, SessionView, SubmitCode, SubmitIdNumber, SwitchToPhone,
};
use huifang_core::{IdNumber, OtpCode, Timestamp};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::Duration;
use worker::wasm_bindgen::{self, JsValue};
use worker::{
    console_error, durable_object, js_sys, DurableObject, Env, Request, Response, Result, State,
};

mod outbound;

const KEY_SESSION: &str = "session";
const KEY_OUTBOX: &str = "outbox";
const KEY_TOMBSTONE: &str = "tombstone";

impl From<CustodyError> for EdgeError {
    fn from(e: CustodyError) -> Self {
        match e {
            CustodyError::Refused(refusal) => Self::Refused(refusal),
            CustodyError::Exists => Self::Conflict,
            CustodyError::Unknown => Self::NotFound,
            CustodyError::UnknownLink => Self::LinkNotFound,
        }
    }
}

#[durable_object]
pub struct RevisitSession {
    state: State,
    env: Env,
    /// The stored parts as last read or written here. The object is their only writer, so this is
    /// what its storage holds, and a call loads them with neither a storage read nor a JSON parse
    /// (that parse was the largest part of the object's CPU per call, issue 19). `None` until the
    /// first read, after a failed write, and whenever the runtime evicts the object.
    stored: RefCell<Option<Parts>>,
    /// How many code sends are between their held code and the caps' answer (`HoldSession` to
    /// `CodeCaps`). The alarm does not run meanwhile: it would hand off a code whose caps are not
    /// yet taken (R8).
    capping: Cell<u32>,
}

/// One code send between its held code and the caps' answer, counted in `capping` while it
/// lives (also if the call is dropped meanwhile).
struct Capping<'a>(&'a Cell<u32>);

impl<'a> Capping<'a> {
    fn start(count: &'a Cell<u32>) -> Self {
        count.set(count.get() + 1);
        Self(count)
    }
}

impl Drop for Capping<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

/// Puts a written session into the held copy (`store`'s `held`).
fn hold_session(parts: &mut Parts, session: Session) {
    parts.session = Some(session);
}

/// The custody's stored parts, parsed.
#[derive(Clone, Default)]
struct Parts {
    session: Option<Session>,
    outbox: Option<Outbox>,
    tombstone: Option<Tombstone>,
}

impl DurableObject for RevisitSession {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            stored: RefCell::new(None),
            capping: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let call = req
            .text()
            .await
            .map(|text| serde_json::from_str::<Call>(&text));
        let reply = match call {
            Ok(Ok(call)) => self.answer(call).await.unwrap_or_else(Reply::refused),
            Ok(Err(e)) => Reply::refused(unreadable("call", &e)),
            Err(e) => Reply::refused(e.into()),
        };
        Response::from_json(&reply)
    }

    async fn alarm(&self) -> Result<Response> {
        // A code's caps are being taken: ring again in a moment (taken, that send sets the alarm
        // to hand it off at once anyway).
        if self.capping.get() > 0 {
            self.state
                .storage()
                .set_alarm(Duration::from_millis(SECOND_MS))
                .await?;
            return Response::ok("");
        }
        let woken = async {
            let custody = self.load().await?;
            self.apply(custody, Input::Alarm, &Outside::default(), now())
                .await
        };
        if let Err(e) = woken.await {
            console_error!("alarm failed: {}; retrying in a minute", e.detail());
            self.state
                .storage()
                .set_alarm(Duration::from_millis(MINUTE_MS))
                .await?;
        }
        Response::ok("")
    }
}

type Answer = std::result::Result<Reply, EdgeError>;

/// What a call brings besides its input, for the effects that go outside: the client IP's keyed
/// hash (the SMS caps), the client (stamped on the answers' trace entries), and for the face step
/// the return address and the ticket (both passed to the origin, never stored).
#[derive(Default)]
struct Outside<'a> {
    ip_key: &'a str,
    client: Option<huifang_core::session::ClientInfo>,
    face_return_url: Option<&'a str>,
    face_ticket: Option<String>,
}

impl<'a> Outside<'a> {
    fn of(caller: &'a Caller) -> Self {
        Self {
            ip_key: &caller.ip_key,
            client: Some(caller.client.clone()),
            face_return_url: caller.face_return_url.as_deref(),
            face_ticket: None,
        }
    }
}

/// One stored part, parsed.
fn part<T: DeserializeOwned>(
    stored: &js_sys::Map,
    key: &str,
) -> std::result::Result<Option<T>, EdgeError> {
    stored
        .get(&JsValue::from_str(key))
        .as_string()
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .map_err(|e| unreadable(key, &e))
}

impl RevisitSession {
    /// The custody as stored: the copy this object holds, else one storage read.
    async fn load(&self) -> std::result::Result<Custody, EdgeError> {
        let held = self.stored.borrow().clone();
        let parts = match held {
            Some(parts) => parts,
            None => {
                let stored = self
                    .state
                    .storage()
                    .get_multiple(vec![KEY_SESSION, KEY_OUTBOX, KEY_TOMBSTONE])
                    .await?;
                let parts = Parts {
                    session: part::<Session>(&stored, KEY_SESSION)?,
                    outbox: part::<Outbox>(&stored, KEY_OUTBOX)?,
                    tombstone: part::<Tombstone>(&stored, KEY_TOMBSTONE)?,
                };
                *self.stored.borrow_mut() = Some(parts.clone());
                parts
            }
        };
        Ok(Custody::from_parts(
            parts.session,
            parts.outbox,
            parts.tombstone,
        ))
    }

    /// Writes one part, then the held copy the same way (`held`); a failed write drops the copy,
    /// so the next call reads what storage really holds.
    async fn store<T: Serialize + Clone>(
        &self,
        key: &str,
        value: Option<&T>,
        held: fn(&mut Parts, T),
    ) -> std::result::Result<(), EdgeError> {
        let value = value.ok_or_else(|| EdgeError::Internal(format!("no {key} to store")))?;
        let text = serde_json::to_string(value).map_err(|e| EdgeError::Internal(e.to_string()))?;
        if let Err(e) = self.state.storage().put(key, text).await {
            self.stored.replace(None);
            return Err(e.into());
        }
        if let Some(parts) = self.stored.borrow_mut().as_mut() {
            held(parts, value.clone());
        }
        Ok(())
    }

    /// Runs a run of writes (`Effect::as_write`) as one: each is asked before any is awaited, in
    /// order, so they are committed together; the first failure is the answer.
    async fn write(&self, custody: &Custody, run: &[Write]) -> std::result::Result<(), EdgeError> {
        let writes = run.iter().map(|write| async move {
            match write {
                Write::Session => {
                    self.store(KEY_SESSION, custody.session(), hold_session)
                        .await
                }
                Write::Outbox => {
                    self.store(KEY_OUTBOX, custody.outbox(), |p, v| p.outbox = Some(v))
                        .await
                }
                Write::Tombstone => {
                    self.store(KEY_TOMBSTONE, custody.tombstone(), |p, v| {
                        p.tombstone = Some(v)
                    })
                    .await
                }
                Write::Alarm(wake) => self.wake_at(*wake).await.map_err(EdgeError::from),
            }
        });
        join_all(writes).await.into_iter().collect()
    }

    /// Sets the object's alarm to ring at `wake`.
    async fn wake_at(&self, wake: Timestamp) -> Result<()> {
        let delay = Duration::from_millis(wake.since(now()));
        self.state.storage().set_alarm(delay).await
    }

    async fn answer(&self, call: Call) -> Answer {
        let now = now();
        match call {
            Call::Create { revisit, link_sms } => {
                let custody = self.load().await?;
                let custody = self
                    .apply(custody, Input::Create(*revisit), &Outside::default(), now)
                    .await?;
                let Some(link) = link_sms else {
                    return Ok(Reply::Created { link_sms: None });
                };
                let custody = self
                    .apply(custody, Input::SendLink { link }, &Outside::default(), now)
                    .await?;
                Ok(Reply::Created {
                    link_sms: link_sms_outcome(&custody),
                })
            }
            Call::Status => Ok(Reply::Status(self.load().await?.status()?)),
            Call::Storage => self.storage_dump().await,
            Call::Cancel => self.insurer_event(Event::Cancel, now).await,
            Call::Reissue { link_digest } => {
                self.insurer_event(Event::ReissueLink { link_digest }, now)
                    .await
            }
            Call::Policyholder {
                caller,
                action,
                body,
            } => self.policyholder(caller, action, &body, now).await,
        }
    }

    /// Applies one input and runs its effects in order, feeding the answers of `Seal`, `Deliver`
    /// and a failed SMS back in; returns the final custody, or why the input was refused (after
    /// storing what the refusal changed).
    async fn apply(
        &self,
        custody: Custody,
        input: Input,
        outside: &Outside<'_>,
        at: Timestamp,
    ) -> std::result::Result<Custody, EdgeError> {
        let policy = config::custody_policy(&self.env);
        let retry = policy.retry;
        let first = custody.update(input, at, &policy);
        let outcome = first.outcome;
        let mut custody = first.custody;
        let mut effects = VecDeque::from(first.effects);
        // Why the call failed outside (the SMS gateway, the face check's origin), or why the
        // session refused the face check's answer: the call's answer, after all is stored.
        let mut failed = None;
        while let Some(effect) = effects.pop_front() {
            let face = matches!(
                effect,
                Effect::StartFaceCheck { .. } | Effect::FetchFaceResult { .. }
            );
            let awaited_outside = face
                || matches!(
                    effect,
                    Effect::TakeCodeCaps { .. }
                        | Effect::SendCode { .. }
                        | Effect::SendNotice { .. }
                        | Effect::Deliver
                );
            let answer = match effect {
                Effect::StoreSession
                | Effect::StoreOutbox
                | Effect::StoreTombstone
                | Effect::SetAlarm(_) => {
                    // This write and the writes right after it, as one: all asked in the same
                    // turn, so the runtime commits them together and the call waits for one
                    // flush, not one each (issue 19).
                    let mut run: Vec<Write> = effect.as_write().into_iter().collect();
                    while let Some(next) = effects.front().and_then(Effect::as_write) {
                        run.push(next);
                        effects.pop_front();
                    }
                    self.write(&custody, &run).await?;
                    None
                }
                Effect::HoldSession => {
                    // Seen by every other call from now on (the held copy is what loads read);
                    // written with the caps' answer. Without a held copy (a write failed), it is
                    // written now instead.
                    let session = custody.session().cloned();
                    let held = self
                        .stored
                        .borrow_mut()
                        .as_mut()
                        .map(|parts| parts.session = session)
                        .is_some();
                    if !held {
                        self.store(KEY_SESSION, custody.session(), hold_session)
                            .await?;
                    }
                    None
                }
                Effect::EraseSession => {
                    // Whatever the outcome, the next call reads storage again.
                    self.stored.replace(None);
                    let storage = self.state.storage();
                    storage
                        .delete_multiple(vec![KEY_SESSION, KEY_OUTBOX])
                        .await?;
                    None
                }
                Effect::EraseAll => {
                    self.stored.replace(None);
                    self.state.storage().delete_all().await?;
                    None
                }
                Effect::TakeCodeCaps { to, sent_at } => {
                    // Asked with no write pending (the code is only held), so the runtime sends
                    // the throttles' requests at once.
                    let taken = {
                        let _capping = Capping::start(&self.capping);
                        self.take_code_caps(&to, outside.ip_key).await
                    };
                    // A refused send is the call's answer (the custody frees the resend slot).
                    let refused = taken.err();
                    let taken = refused.is_none();
                    failed = failed.or(refused);
                    Some(Input::CodeCaps { sent_at, taken })
                }
                // Run by the alarm, after the policyholder's answer (issue 19).
                Effect::SendCode { to, salt, sent_at } => {
                    let taken = self.hand_off_code(&custody, &to, &salt).await.is_ok();
                    Some(Input::CodeHandoff { sent_at, taken })
                }
                Effect::SendNotice { to, text, notice } => {
                    let outcome = self.send_notice(&custody, &to, text).await;
                    Some(Input::Notified { notice, outcome })
                }
                Effect::StartFaceCheck { revisit_id, lang } => {
                    let started =
                        face::start(&self.env, &revisit_id, outside.face_return_url, lang).await;
                    self.face_answer(started, outside, &mut failed)
                }
                Effect::FetchFaceResult {
                    revisit_id,
                    reference,
                } => {
                    let ticket = outside.face_ticket.as_deref();
                    let result = face::result(&self.env, &revisit_id, reference, ticket).await;
                    self.face_answer(result, outside, &mut failed)
                }
                Effect::Seal => Some(Input::Sealed(self.seal(&custody)?)),
                Effect::Deliver => Some(self.deliver(&custody, &retry).await),
            };
            if let Some(input) = answer {
                // While the SMS gateway or the origin was awaited, another call may have changed
                // the storage (input gates open during outside I/O): apply the answer to what is
                // stored now, at its own time.
                if awaited_outside {
                    custody = self.load().await?;
                }
                let next = custody.update(input, now(), &policy);
                custody = next.custody;
                effects.extend(next.effects);
                // The face check's answer is the call's answer: a failed check, a refused return.
                if let (true, Err(e)) = (face, next.outcome) {
                    failed = Some(e.into());
                }
            }
        }
        outcome?;
        match failed {
            Some(e) => Err(e),
            None => Ok(custody),
        }
    }

    /// The session step that carries the origin's face answer, or nothing (and the call fails)
    /// when the origin could not be asked.
    fn face_answer(
        &self,
        answer: std::result::Result<Event, EdgeError>,
        outside: &Outside<'_>,
        failed: &mut Option<EdgeError>,
    ) -> Option<Input> {
        match answer {
            Ok(event) => Some(Input::Step {
                event,
                client: outside.client.clone(),
            }),
            Err(e) => {
                *failed = Some(e);
                None
            }
        }
    }

    async fn policyholder(
        &self,
        caller: Caller,
        action: Action,
        body: &str,
        now: Timestamp,
    ) -> Answer {
        let custody = self.load().await?;
        let session = custody.session_for_link(&caller.link_digest)?;
        // A route that takes no body refuses one, before anything is done (issue 12, item 6).
        if !action.takes_body() {
            no_body(body.as_bytes())?;
        }
        let step = match action {
            Action::Open => {
                let (custody, new_device) = self.open(custody, &caller, now).await?;
                return Ok(view(&custody, now, new_device));
            }
            Action::FallbackSwitch => return self.fallback_switch(custody, &caller, now).await,
            Action::Step(step) => step,
        };
        // R10: every other request must come from the device the link is bound to.
        session.check_device(caller.device.as_deref())?;
        let (event, face_ticket) = match step {
            StepAction::FaceResult => face::returned(parse_json(body.as_bytes())?)
                .map(|(event, ticket)| (event, Some(ticket)))?,
            _ => (self.event(step, body)?, None),
        };
        let input = Input::Step {
            event,
            client: Some(caller.client.clone()),
        };
        let outside = Outside {
            face_ticket,
            ..Outside::of(&caller)
        };
        let custody = self.apply(custody, input, &outside, now).await?;
        Ok(view(&custody, now, None))
    }

    /// The session event of a policyholder action, its body parsed (after the link and device are
    /// checked, so a stranger learns nothing from the body's errors).
    fn event(&self, step: StepAction, body: &str) -> std::result::Result<Event, EdgeError> {
        let body = body.as_bytes();
        Ok(match step {
            // The code is drawn from its salt under the edge's key, so that its queued SMS needs
            // nothing stored but the salt (issue 19).
            StepAction::SendCode => {
                let key = config::required(&self.env, "ID_HASH_KEY")?;
                Event::issue_code(key.as_bytes(), random_bytes()?)
            }
            StepAction::SubmitCode => {
                let SubmitCode { code } = parse_json(body)?;
                Event::SubmitCode {
                    code: OtpCode::parse(&code)?,
                }
            }
            StepAction::SubmitIdNumber => {
                let SubmitIdNumber { id_number } = parse_json(body)?;
                // GB 11643 is checked before any comparison; a typo is not a wrong try.
                let id_number = IdNumber::parse(&id_number)?;
                let key = config::required(&self.env, "ID_HASH_KEY")?;
                Event::SubmitIdNumber {
                    digest: keyed_digest(key.as_bytes(), id_number.as_str()),
                }
            }
            StepAction::Answer { index } => {
                let AnswerItem { answer, comment } = parse_json(body)?;
                Event::Answer {
                    index,
                    answer,
                    comment,
                }
            }
            StepAction::Sign => Event::Sign {
                submission: parse_json(body)?,
            },
            StepAction::Complete => Event::Complete,
            StepAction::ChooseLanguage => {
                let ChooseLanguage { lang } = parse_json(body)?;
                Event::ChooseLanguage { lang }
            }
            StepAction::SwitchToPhone => {
                let SwitchToPhone { reason } = parse_json(body)?;
                Event::SwitchToPhone { reason }
            }
            StepAction::StartFace => Event::StartFace,
            StepAction::DeclineFace => Event::DeclineFace,
            // Read with its ticket by `policyholder` (see `face::returned`).
            StepAction::FaceResult => {
                return Err(EdgeError::Internal(
                    "the face return is read elsewhere".into(),
                ))
            }
        })
    }

    /// Opens the link: the first open binds it to this browser with a fresh device secret (R10),
    /// for an HttpOnly cookie; any other browser is refused. After the end, the bound device still
    /// sees the end (until the record is erased).
    async fn open(
        &self,
        custody: Custody,
        caller: &Caller,
        now: Timestamp,
    ) -> std::result::Result<(Custody, Option<DeviceCookie>), EdgeError> {
        let session = custody.session_for_link(&caller.link_digest)?;
        if session.stage.is_finished() {
            session.check_device(caller.device.as_deref())?;
            return Ok((custody, None));
        }
        let (device, new_device) = match &caller.device {
            Some(presented) => (presented.clone(), None),
            None => {
                session.admits_new_device()?;
                let secret = URL_SAFE_NO_PAD.encode(random_bytes::<16>()?);
                let cookie = DeviceCookie {
                    name: device_cookie_name(&session.revisit.id),
                    max_age_secs: session.revisit.cooling_off_ends_at.since(now) / SECOND_MS,
                    secure: caller.https,
                    secret,
                };
                (secret_digest(&cookie.secret), Some(cookie))
            }
        };
        let event = Event::Open {
            device,
            lang: caller.lang,
        };
        let input = Input::Step {
            event,
            client: Some(caller.client.clone()),
        };
        let custody = self
            .apply(custody, input, &Outside::of(caller), now)
            .await?;
        Ok((custody, new_device))
    }

    /// The fallback page's form (R7): open exactly as the app's first open would, then switch to
    /// phone; a browser that already switched hears so.
    async fn fallback_switch(&self, custody: Custody, caller: &Caller, now: Timestamp) -> Answer {
        let (custody, new_device) = self.open(custody, caller, now).await?;
        let already = custody
            .session()
            .map(Session::switched_to_phone)
            .transpose()?
            .unwrap_or(false);
        if already {
            return Ok(Reply::Switched {
                already,
                new_device,
            });
        }
        let input = Input::Step {
            event: Event::SwitchToPhone { reason: None },
            client: Some(caller.client.clone()),
        };
        self.apply(custody, input, &Outside::of(caller), now)
            .await?;
        Ok(Reply::Switched {
            already: false,
            new_device,
        })
    }

    /// Cancel or re-issue: applied like any event; answers with the status.
    async fn insurer_event(&self, event: Event, now: Timestamp) -> Answer {
        let custody = self.load().await?;
        let input = Input::Step {
            event,
            client: None,
        };
        let custody = self.apply(custody, input, &Outside::default(), now).await?;
        Ok(Reply::Status(custody.status()?))
    }

    /// Every key and value in this object's storage, for tests that check what is kept (R2, R6).
    /// Reached only through the insurer API, and only where the var `STORAGE_INSPECTION` is `1`.
    async fn storage_dump(&self) -> Answer {
        let map = self.state.storage().list().await?;
        let mut dump = serde_json::Map::new();
        for entry in map.entries() {
            let pair: js_sys::Array = entry.map_err(worker::Error::from)?.into();
            let key = pair.get(0).as_string().unwrap_or_default();
            let value = pair
                .get(1)
                .as_string()
                .unwrap_or_else(|| "<not text>".into());
            dump.insert(key, serde_json::Value::String(value));
        }
        Ok(Reply::Storage(dump))
    }
}

/// What became of the link SMS: the session's last link notice in its trace.
fn link_sms_outcome(custody: &Custody) -> Option<LinkSms> {
    let trace = &custody.session()?.trace;
    trace.entries().iter().rev().find_map(|e| match e.event {
        TraceEvent::NoticeSent {
            notice: Notice::Link,
        } => Some(LinkSms::Sent),
        TraceEvent::NoticeUndelivered {
            notice: Notice::Link,
            reason,
        } => Some(LinkSms::from(Err(reason))),
        _ => None,
    })
}

/// The policyholder's view of the held session.
fn view(custody: &Custody, now: Timestamp, new_device: Option<DeviceCookie>) -> Reply {
    match custody.session() {
        // Written once, here: the worker sends this text on as the response body (issue 19).
        Some(session) => match serde_json::value::to_raw_value(&SessionView::of(session, now)) {
            Ok(view) => Reply::Session { view, new_device },
            Err(e) => Reply::refused(unreadable("view", &e)),
        },
        None => Reply::refused(EdgeError::Internal("no session to show".into())),
    }
}
