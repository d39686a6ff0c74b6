//! `SendThrottle`: a Durable Object per phone number and per client IP (each named by a keyed hash,
//! never the clear value) that counts SMS code sends across all sessions. Being the single writer of
//! its window, it keeps each limit exact under any concurrency.

use crate::config::THROTTLES_BINDING;
use crate::error::EdgeError;
use crate::http::now;
use huifang_core::throttle::{Limit, Window};
use serde::{Deserialize, Serialize};
use worker::wasm_bindgen::{self, JsValue};
use worker::{
    durable_object, DurableObject, Env, Headers, Method, Request, RequestInit, Response, Result,
    State,
};

const KEY_WINDOW: &str = "window";

/// The answer of one `take`: admitted, or the seconds to wait.
#[derive(Serialize, Deserialize)]
struct Taken {
    retry_after_secs: Option<u64>,
}

/// Counts one send under `limit` in the throttle named `name`; `Err(secs)` when over the limit.
pub async fn take(
    env: &Env,
    name: &str,
    limit: Limit,
) -> std::result::Result<Result<(), u64>, EdgeError> {
    let stub = env
        .durable_object(THROTTLES_BINDING)?
        .id_from_name(name)?
        .get_stub()?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    let mut init = RequestInit::new();
    let body = serde_json::to_string(&limit).map_err(|e| EdgeError::Internal(e.to_string()))?;
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&body)));
    let req = Request::new_with_init("https://throttle/take", &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    let taken: Taken = resp
        .json()
        .await
        .map_err(|e| EdgeError::Internal(format!("throttle answer: {e}")))?;
    Ok(match taken.retry_after_secs {
        None => Ok(()),
        Some(secs) => Err(secs),
    })
}

#[durable_object]
pub struct SendThrottle {
    state: State,
}

impl DurableObject for SendThrottle {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let limit: Limit = req.json().await?;
        let storage = self.state.storage();
        let mut window: Window = storage
            .get::<String>(KEY_WINDOW)
            .await?
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        let taken = match window.admit(limit, now()) {
            Ok(()) => {
                let text = serde_json::to_string(&window)
                    .map_err(|e| worker::Error::RustError(e.to_string()))?;
                storage.put(KEY_WINDOW, text).await?;
                Taken {
                    retry_after_secs: None,
                }
            }
            Err(secs) => Taken {
                retry_after_secs: Some(secs),
            },
        };
        Response::from_json(&taken)
    }
}
