//! `SendThrottle`: the Durable Objects that count SMS sends across all sessions, per phone number
//! and per client IP (each window named by a keyed hash, never the clear value, R8). The windows
//! are spread over `THROTTLE_SHARDS` objects (`caps:<n>`, the window's `throttle_shard`), each
//! window stored under its name in the one object that holds it: that object is its single
//! writer, so each limit stays exact under any concurrency, and a send meets running objects
//! instead of starting two new ones (a new storage file each) per revisit (issue 19). Windows
//! counted by the earlier one-object-per-name layout are not carried over: the caps start afresh
//! once, on the deployment that brings the shards.
//!
//! A code send is counted in two throttles (the client's IP and the phone number). Both are asked
//! at once, so a send waits for one throttle hop, not two in a row (issue 19); when one refuses,
//! the place the other took is given back, so a refused send counts in neither window.

use crate::config::THROTTLES_BINDING;
use crate::error::EdgeError;
use crate::http::now;
use futures_util::future::join;
use huifang_core::throttle::{throttle_shard, Limit, Window, STALE_AFTER_MS};
use huifang_core::Timestamp;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::time::Duration;
use worker::wasm_bindgen::{self, JsValue};
use worker::{
    durable_object, js_sys, DurableObject, Env, ListOptions, Method, Request, RequestInit,
    Response, Result, State,
};

/// What a throttle is asked, of the window named `name`.
#[derive(Serialize, Deserialize)]
struct Asked {
    name: String,
    ask: Ask,
}

/// What is done to the window.
#[derive(Clone, Serialize, Deserialize)]
enum Ask {
    /// Count one send under this limit, if it allows.
    Take(Limit),
    /// Give back the send counted at this time (the other throttle refused it).
    Release(Timestamp),
}

/// The answer of one `Take`: the time the send was counted at, or the seconds to wait.
#[derive(Serialize, Deserialize)]
struct Taken {
    admitted_at: Option<Timestamp>,
    retry_after_secs: Option<u64>,
}

/// Which of two throttles refused a send, and the seconds it asks to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    First(u64),
    Second(u64),
}

/// Counts one send in the throttles `first` and `second` (name and limit each), asked at once.
/// Admitted only when both admit; when one refuses, the other's count is given back. When both
/// refuse, the first one's answer is the one returned.
pub async fn take_both(
    env: &Env,
    first: (&str, Limit),
    second: (&str, Limit),
) -> std::result::Result<std::result::Result<(), Over>, EdgeError> {
    let (a, b) = join(
        ask(env, first.0, &Ask::Take(first.1)),
        ask(env, second.0, &Ask::Take(second.1)),
    )
    .await;
    // Give back what one throttle took when the other refused or could not be asked.
    let give_back = |name: &str, taken: &std::result::Result<Taken, EdgeError>| {
        let at = taken.as_ref().ok().and_then(|t| t.admitted_at);
        (name.to_string(), at)
    };
    let outcome = match (&a, &b) {
        (Ok(a), Ok(b)) => match (a.retry_after_secs, b.retry_after_secs) {
            (None, None) => return Ok(Ok(())),
            (Some(secs), _) => Ok(Err(Over::First(secs))),
            (None, Some(secs)) => Ok(Err(Over::Second(secs))),
        },
        (Err(e), _) | (_, Err(e)) => Err(EdgeError::Internal(format!("throttle: {}", e.detail()))),
    };
    for (name, at) in [give_back(first.0, &a), give_back(second.0, &b)] {
        if let Some(at) = at {
            ask(env, &name, &Ask::Release(at)).await?;
        }
    }
    outcome
}

/// Counts one send under `limit` in the throttle named `name`; `Err(secs)` when over the limit.
pub async fn take(
    env: &Env,
    name: &str,
    limit: Limit,
) -> std::result::Result<std::result::Result<(), u64>, EdgeError> {
    let taken = ask(env, name, &Ask::Take(limit)).await?;
    Ok(match taken.retry_after_secs {
        None => Ok(()),
        Some(secs) => Err(secs),
    })
}

async fn ask(env: &Env, name: &str, ask: &Ask) -> std::result::Result<Taken, EdgeError> {
    let stub = env
        .durable_object(THROTTLES_BINDING)?
        .id_from_name(&format!("caps:{}", throttle_shard(name)))?
        .get_stub()?;
    let mut init = RequestInit::new();
    let asked = Asked {
        name: name.to_string(),
        ask: ask.clone(),
    };
    let body = serde_json::to_string(&asked).map_err(|e| EdgeError::Internal(e.to_string()))?;
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let req = Request::new_with_init("https://throttle/ask", &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    let text = resp.text().await?;
    serde_json::from_str(&text).map_err(|e| EdgeError::Internal(format!("throttle answer: {e}")))
}

#[durable_object]
pub struct SendThrottle {
    state: State,
    /// Whether this instance has made sure the daily sweep is set (once, on its first ask).
    sweep_set: Cell<bool>,
}

/// The prefix of every window's storage key (the rest is the window's name).
const WINDOW: &str = "window:";

impl DurableObject for SendThrottle {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            sweep_set: Cell::new(false),
        }
    }

    /// The daily sweep: windows in which nothing can count any more are forgotten (a shard holds
    /// the numbers and addresses of about a day); again in a day while any window is left.
    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        let at = now();
        let windows = storage
            .list_with_options(ListOptions::new().prefix(WINDOW))
            .await?;
        let mut stale = Vec::new();
        let mut left = 0usize;
        for entry in windows.entries() {
            let pair: js_sys::Array = entry?.into();
            let key = pair.get(0).as_string().unwrap_or_default();
            let window: Option<Window> = pair
                .get(1)
                .as_string()
                .and_then(|text| serde_json::from_str(&text).ok());
            match window {
                Some(window) if !window.is_stale(at) => left += 1,
                _ => stale.push(key),
            }
        }
        // At most 128 keys per delete call (the storage API's limit).
        for keys in stale.chunks(128) {
            storage.delete_multiple(keys.to_vec()).await?;
        }
        if left > 0 {
            storage
                .set_alarm(Duration::from_millis(STALE_AFTER_MS))
                .await?;
        }
        Response::ok("")
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let text = req.text().await?;
        let Asked { name, ask } = serde_json::from_str(&text)
            .map_err(|e| worker::Error::RustError(format!("throttle ask: {e}")))?;
        let key = format!("{WINDOW}{name}");
        let storage = self.state.storage();
        let mut window: Window = storage
            .get::<String>(&key)
            .await?
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        let taken = match ask {
            Ask::Take(limit) => {
                let at = now();
                match window.admit(limit, at) {
                    Ok(()) => Taken {
                        admitted_at: Some(at),
                        retry_after_secs: None,
                    },
                    Err(secs) => Taken {
                        admitted_at: None,
                        retry_after_secs: Some(secs),
                    },
                }
            }
            Ask::Release(at) => {
                window.release(at);
                Taken {
                    admitted_at: None,
                    retry_after_secs: None,
                }
            }
        };
        if taken.retry_after_secs.is_none() {
            let text = serde_json::to_string(&window)
                .map_err(|e| worker::Error::RustError(e.to_string()))?;
            storage.put(&key, text).await?;
        }
        // Once per instance: the sweep is set if it is not (a read, then a write only when none).
        if !self.sweep_set.get() {
            if storage.get_alarm().await?.is_none() {
                storage
                    .set_alarm(Duration::from_millis(STALE_AFTER_MS))
                    .await?;
            }
            self.sweep_set.set(true);
        }
        Response::ok(
            serde_json::to_string(&taken).map_err(|e| worker::Error::RustError(e.to_string()))?,
        )
    }
}
