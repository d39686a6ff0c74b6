//! `IdempotencyRecord`: a Durable Object per insurer credential and `Idempotency-Key` (named by a
//! keyed hash of both, never the clear key) that remembers the first answer to a create or a
//! re-issue (issue 12, item 5). Being the single writer of its record, it lets exactly one of any
//! number of concurrent duplicates do the work. Every decision is `huifang_core::idempotency`'s; the
//! object loads the record, applies one step, stores the write and arms the alarm that forgets the
//! record when its retention is over.

use crate::config::IDEMPOTENCY_BINDING;
use crate::error::EdgeError;
use crate::http::now;
use crate::revisit_call::unreadable;
use huifang_core::idempotency::{self, Decision, Entry, IdempotencyError, StoredAnswer, Write};
use huifang_core::time::SECOND_MS;
use huifang_core::RevisitId;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use worker::wasm_bindgen::{self, JsValue};
use worker::{
    durable_object, js_sys, Delay, DurableObject, Env, Method, Request, RequestInit, Response,
    Result, ScheduledTime, State,
};

const KEY_ENTRY: &str = "entry";
/// How long a duplicate waits for the request holding its key to be answered before it is told
/// to try again (`idempotency_key_in_progress`): a create takes well under a second.
const WAIT_MS: u64 = 10 * SECOND_MS;

/// One call to a record.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RecordCall {
    Begin {
        fingerprint: String,
        revisit_id: Option<RevisitId>,
    },
    Finish {
        fingerprint: String,
        answer: StoredAnswer,
    },
    Release {
        fingerprint: String,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RecordReply {
    Decision(Decision),
    Stored,
    Failed(String),
}

/// A request's hold on its key's record.
pub struct Held {
    name: String,
    fingerprint: String,
}

impl Held {
    /// The record's name (a keyed hash), which also keys the sealed link.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Keeps the answer for replays.
    pub async fn finish(
        &self,
        env: &Env,
        answer: StoredAnswer,
    ) -> std::result::Result<(), EdgeError> {
        let call = RecordCall::Finish {
            fingerprint: self.fingerprint.clone(),
            answer,
        };
        send(env, &self.name, &call).await.map(|_| ())
    }

    /// Frees the key (the request was refused or failed).
    pub async fn release(&self, env: &Env) -> std::result::Result<(), EdgeError> {
        let call = RecordCall::Release {
            fingerprint: self.fingerprint.clone(),
        };
        send(env, &self.name, &call).await.map(|_| ())
    }
}

/// What the record says of a request: do it (holding the key, with the revisit id to use), or
/// answer with the first answer. A duplicate of a request in flight waits for its answer, up to
/// ten seconds; a key used for another request is refused.
pub enum Begun {
    Proceed {
        held: Held,
        revisit_id: Option<RevisitId>,
    },
    Replay {
        name: String,
        answer: StoredAnswer,
    },
}

pub async fn begin(
    env: &Env,
    name: String,
    fingerprint: String,
    revisit_id: Option<RevisitId>,
) -> std::result::Result<Begun, EdgeError> {
    let call = RecordCall::Begin {
        fingerprint: fingerprint.clone(),
        revisit_id,
    };
    let started = now();
    let mut pause = 50;
    loop {
        match send(env, &name, &call).await? {
            Decision::Proceed { revisit_id } => {
                return Ok(Begun::Proceed {
                    held: Held { name, fingerprint },
                    revisit_id,
                })
            }
            Decision::Replay(answer) => return Ok(Begun::Replay { name, answer }),
            Decision::Refuse(IdempotencyError::InProgress) if now().since(started) < WAIT_MS => {
                Delay::from(Duration::from_millis(pause)).await;
                pause = (pause * 2).min(500);
            }
            Decision::Refuse(e) => return Err(e.into()),
        }
    }
}

async fn send(
    env: &Env,
    name: &str,
    call: &RecordCall,
) -> std::result::Result<Decision, EdgeError> {
    let body = serde_json::to_string(call).map_err(|e| unreadable("record call", &e))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let req = Request::new_with_init("https://idempotency/call", &init)?;
    let stub = env
        .durable_object(IDEMPOTENCY_BINDING)?
        .id_from_name(name)?
        .get_stub()?;
    let mut resp = stub.fetch_with_request(req).await?;
    let text = resp.text().await?;
    match serde_json::from_str(&text).map_err(|e| unreadable("record reply", &e))? {
        RecordReply::Decision(decision) => Ok(decision),
        // `finish` and `release` answer this; their callers ignore the decision.
        RecordReply::Stored => Ok(Decision::Proceed { revisit_id: None }),
        RecordReply::Failed(detail) => {
            Err(EdgeError::Internal(format!("idempotency record: {detail}")))
        }
    }
}

#[durable_object]
pub struct IdempotencyRecord {
    state: State,
}

impl DurableObject for IdempotencyRecord {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let text = req.text().await?;
        let reply = match serde_json::from_str::<RecordCall>(&text) {
            Ok(call) => self
                .answer(call)
                .await
                .unwrap_or_else(|e| RecordReply::Failed(e.detail())),
            Err(e) => RecordReply::Failed(unreadable("record call", &e).detail()),
        };
        Response::from_json(&reply)
    }

    async fn alarm(&self) -> Result<Response> {
        let stored = self.load().await.ok().flatten();
        let (write, next) = idempotency::on_alarm(stored, now());
        if let Err(e) = self.write(write).await {
            worker::console_error!("idempotency alarm: {}", e.detail());
        }
        if let Some(at) = next {
            self.state
                .storage()
                .set_alarm(scheduled(at.millis()))
                .await?;
        }
        Response::ok("")
    }
}

fn scheduled(at_ms: u64) -> ScheduledTime {
    ScheduledTime::new(js_sys::Date::new(&JsValue::from_f64(at_ms as f64)))
}

impl IdempotencyRecord {
    async fn load(&self) -> std::result::Result<Option<Entry>, EdgeError> {
        self.state
            .storage()
            .get::<String>(KEY_ENTRY)
            .await?
            .map(|text| serde_json::from_str(&text).map_err(|e| unreadable(KEY_ENTRY, &e)))
            .transpose()
    }

    /// Stores the write; a new entry arms the alarm at its expiry (a day after the key's first use).
    async fn write(&self, write: Write) -> std::result::Result<(), EdgeError> {
        let storage = self.state.storage();
        match write {
            Write::Keep => {}
            Write::Delete => storage.delete_all().await?,
            Write::Put(entry) => {
                let text = serde_json::to_string(&entry)
                    .map_err(|e| EdgeError::Internal(e.to_string()))?;
                storage.put(KEY_ENTRY, text).await?;
                storage
                    .set_alarm(scheduled(entry.expires_at().millis()))
                    .await?;
            }
        }
        Ok(())
    }

    async fn answer(&self, call: RecordCall) -> std::result::Result<RecordReply, EdgeError> {
        let stored = self.load().await?;
        match call {
            RecordCall::Begin {
                fingerprint,
                revisit_id,
            } => {
                let (decision, write) = idempotency::begin(stored, &fingerprint, revisit_id, now());
                self.write(write).await?;
                Ok(RecordReply::Decision(decision))
            }
            RecordCall::Finish {
                fingerprint,
                answer,
            } => {
                self.write(idempotency::finish(stored, &fingerprint, answer))
                    .await?;
                Ok(RecordReply::Stored)
            }
            RecordCall::Release { fingerprint } => {
                self.write(idempotency::release(stored, &fingerprint))
                    .await?;
                Ok(RecordReply::Stored)
            }
        }
    }
}
