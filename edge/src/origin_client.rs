//! Signed calls from the edge to the insurer's origin: the SMS hook, the face check hook (R8) and
//! record delivery.

use crate::config;
use crate::error::EdgeError;
use crate::http::now;
use huifang_core::record::SealedRecord;
use huifang_core::script::Lang;
use huifang_core::session::FaceResult;
use huifang_core::signing::{HEADER_KEY_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use huifang_core::wire::{
    FaceResultRequest, FaceStartAnswer, FaceStartRequest, RecordAck, SmsRequest,
};
use huifang_core::RevisitId;
use worker::wasm_bindgen::JsValue;
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

/// POSTs `body` to the origin's `path`, signed with the edge key; returns status and body text.
async fn post_signed(env: &Env, path: &str, body: String) -> Result<(u16, String), EdgeError> {
    let url = format!("{}{path}", config::origin_url(env)?);
    let key = config::edge_key(env)?;
    let ts = now().seconds();
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set(HEADER_KEY_ID, &key.key_id)?;
    headers.set(HEADER_TIMESTAMP, &ts.to_string())?;
    headers.set(
        HEADER_SIGNATURE,
        &key.sign_request("POST", path, ts, body.as_bytes()),
    )?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&body)));
    let mut resp = Fetch::Request(Request::new_with_init(&url, &init)?)
        .send()
        .await?;
    Ok((resp.status_code(), resp.text().await.unwrap_or_default()))
}

/// Hands an SMS to the insurer's gateway (the origin's `POST /sms`).
/// The text is prefixed with the region's `SMS_SIGNATURE`.
pub async fn send_sms(env: &Env, sms: &SmsRequest) -> Result<(), EdgeError> {
    let signature = config::sms_signature(env);
    let sms = SmsRequest {
        text: config::signed_sms_text(signature.as_deref(), &sms.text),
        ..sms.clone()
    };
    let body = serde_json::to_string(&sms).map_err(|e| EdgeError::Internal(e.to_string()))?;
    match post_signed(env, "/sms", body).await {
        Ok((status, _)) if (200..300).contains(&status) => Ok(()),
        Ok((status, _)) => {
            worker::console_error!("sms hook answered {status} for revisit {}", sms.revisit_id);
            Err(EdgeError::SmsUnavailable)
        }
        Err(e) => {
            worker::console_error!(
                "sms hook unreachable for revisit {}: {}",
                sms.revisit_id,
                e.detail()
            );
            Err(EdgeError::SmsUnavailable)
        }
    }
}

/// Asks the origin to start a face check (`POST /face/start`): the provider's page and the
/// reference. Any failure is `face_unavailable` (logged without the return address: it holds the
/// link).
pub async fn start_face(
    env: &Env,
    revisit_id: &RevisitId,
    return_url: &str,
    lang: Lang,
) -> Result<FaceStartAnswer, EdgeError> {
    let request = FaceStartRequest {
        revisit_id: revisit_id.clone(),
        return_url: return_url.to_string(),
        lang,
    };
    let body = serde_json::to_string(&request).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let unavailable = |why: String| {
        worker::console_error!("face start for revisit {revisit_id}: {why}");
        EdgeError::Refused(huifang_core::session::Refusal::FaceUnavailable)
    };
    let (status, text) = post_signed(env, "/face/start", body)
        .await
        .map_err(|e| unavailable(e.detail()))?;
    if status != 200 {
        return Err(unavailable(format!("origin answered {status}")));
    }
    serde_json::from_str(&text).map_err(|e| unavailable(format!("bad answer: {e}")))
}

/// Asks the origin for the result of a face check (`POST /face/result`). `Ok(None)`: the origin
/// refused the return (4xx: a forged ticket, another revisit's reference, a replay) or answered
/// something that is not a result (an image would be an unknown field): the reference is spent.
/// `Err`: the origin could not be asked (unreachable, 5xx); nothing is spent, the browser may
/// try again.
pub async fn face_result(
    env: &Env,
    request: &FaceResultRequest,
) -> Result<Option<FaceResult>, EdgeError> {
    let body = serde_json::to_string(request).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let revisit_id = &request.revisit_id;
    let unavailable = |why: String| {
        worker::console_error!("face result for revisit {revisit_id}: {why}");
        EdgeError::Refused(huifang_core::session::Refusal::FaceUnavailable)
    };
    let (status, text) = post_signed(env, "/face/result", body)
        .await
        .map_err(|e| unavailable(e.detail()))?;
    match status {
        200 => Ok(serde_json::from_str(&text)
            .map_err(|_| {
                worker::console_error!("face result for revisit {revisit_id}: not a result");
            })
            .ok()),
        400..=499 => {
            let code = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_string))
                .unwrap_or_default();
            worker::console_error!(
                "face result for revisit {revisit_id} refused by the origin ({status} {code})"
            );
            Ok(None)
        }
        _ => Err(unavailable(format!("origin answered {status}"))),
    }
}

/// Delivers a sealed record; `Ok` only with the origin's acknowledgement of this exact record.
pub async fn deliver_record(env: &Env, sealed: &SealedRecord) -> Result<RecordAck, String> {
    let body = serde_json::to_string(sealed).map_err(|e| e.to_string())?;
    let (status, text) = post_signed(env, "/records", body)
        .await
        .map_err(|e| e.detail())?;
    if status != 200 {
        return Err(format!(
            "origin answered {status}: {}",
            text.chars().take(200).collect::<String>()
        ));
    }
    let ack: RecordAck = serde_json::from_str(&text).map_err(|e| format!("bad ack: {e}"))?;
    if ack.record_hash != sealed.seal.record_hash || ack.revisit_id != sealed.record.revisit_id {
        return Err("the acknowledgement names another record".into());
    }
    Ok(ack)
}
