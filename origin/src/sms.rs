//! The insurer's SMS gateway hook (`POST /sms`, signed by the edge) and the dev outbox that testers
//! read codes from (`GET /sms/outbox`). The hook hands each message to an [`SmsGateway`]; in
//! production that is the insurer's real gateway, here the one implementation is [`Outbox`].

use crate::archive::{Archive, ArchiveError, NewSms, StoredSms};
use crate::error::OriginError;
use crate::{blocking, json_body, AppState};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use huifang_core::signing::{SignedRequest, HEADER_KEY_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use huifang_core::wire::{SmsAccepted, SmsRequest};
use huifang_core::{Phone, RevisitId, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Largest `POST /sms` body accepted.
pub const MAX_SMS_BODY: usize = 16 * 1024;
/// The path the edge signs for the hook.
pub const SMS_PATH: &str = "/sms";
const DEFAULT_OUTBOX_LIMIT: u32 = 10;
const MAX_OUTBOX_LIMIT: u32 = 100;

/// An SMS the edge asked the insurer to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingSms {
    /// The revisit that asked for it (the only identifier that may be logged).
    pub revisit_id: RevisitId,
    /// The recipient.
    pub phone: Phone,
    /// The message text (carries a one-time code: never logged).
    pub text: String,
    /// When the origin received the request.
    pub received_at: Timestamp,
}

/// Why a gateway could not take a message. The text is for the log only.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The outbox's storage failed.
    #[error("outbox: {0}")]
    Outbox(#[from] ArchiveError),
}

/// Where accepted messages go. Called from a blocking thread, so an implementation may block.
pub trait SmsGateway: Send + Sync {
    /// Takes one message for delivery and returns its message id.
    fn send(&self, sms: &OutgoingSms) -> Result<u64, GatewayError>;
}

/// The dev gateway: keeps every message in the archive's outbox, where `GET /sms/outbox` reads it.
pub struct Outbox {
    archive: Arc<dyn Archive>,
}

impl Outbox {
    /// An outbox kept in `archive`.
    pub fn new(archive: Arc<dyn Archive>) -> Self {
        Self { archive }
    }
}

impl SmsGateway for Outbox {
    fn send(&self, sms: &OutgoingSms) -> Result<u64, GatewayError> {
        Ok(self.archive.append_sms(&NewSms {
            revisit_id: sms.revisit_id.clone(),
            phone: sms.phone.clone(),
            text: sms.text.clone(),
            received_at: sms.received_at,
        })?)
    }
}

/// `POST /sms`: verifies the edge's signature, then hands the message to the gateway.
pub async fn send(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<SmsAccepted>), OriginError> {
    let body = body.map_err(|r| OriginError::from_body_rejection(r, MAX_SMS_BODY))?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let now = (app.clock)();
    // Authenticate before looking at the body at all.
    app.keys.verify_request(
        header(HEADER_KEY_ID),
        SignedRequest {
            method: "POST",
            path: SMS_PATH,
            timestamp: header(HEADER_TIMESTAMP),
            signature: header(HEADER_SIGNATURE),
            body: &body,
        },
        now.seconds(),
    )?;
    let request: SmsRequest = json_body(&headers, &body)?;
    let phone = Phone::parse(&request.phone).map_err(OriginError::Domain)?;
    let sms = OutgoingSms {
        revisit_id: request.revisit_id,
        phone,
        text: request.text,
        received_at: now,
    };
    let gateway = Arc::clone(&app.gateway);
    let revisit_id = sms.revisit_id.clone();
    let message_id = blocking(move || gateway.send(&sms)).await??;
    eprintln!("origin: sms accepted revisit_id={revisit_id} message_id={message_id}");
    Ok((
        StatusCode::ACCEPTED,
        Json(SmsAccepted {
            accepted: true,
            message_id,
        }),
    ))
}

/// Query of `GET /sms/outbox`. Both fields are parsed by hand so that each gets its own error code.
#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    phone: Option<String>,
    limit: Option<String>,
}

/// One message as `GET /sms/outbox` shows it. Testers' suites read this: keep it stable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// The message id `POST /sms` returned.
    pub message_id: u64,
    /// The revisit that asked for it.
    pub revisit_id: String,
    /// The recipient's 11 digits.
    pub phone: String,
    /// The message text.
    pub text: String,
    /// The first run of exactly six digits in the text, if any.
    pub code: Option<String>,
    /// When the origin received it, RFC 3339 UTC.
    pub received_at: String,
}

impl From<StoredSms> for OutboxMessage {
    fn from(m: StoredSms) -> Self {
        Self {
            message_id: m.message_id,
            code: six_digit_code(&m.text),
            revisit_id: m.revisit_id,
            phone: m.phone,
            text: m.text,
            received_at: m.received_at.to_rfc3339(),
        }
    }
}

/// The first run of exactly six ASCII digits (a one-time code, R8); longer or shorter runs are skipped.
pub fn six_digit_code(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_string)
}

/// `GET /sms/outbox?phone=…&limit=…` (dev only): the newest messages to a phone, newest first.
pub async fn outbox(
    State(app): State<AppState>,
    query: Result<Query<OutboxQuery>, QueryRejection>,
) -> Result<Json<Vec<OutboxMessage>>, OriginError> {
    let Query(query) = query?;
    let phone =
        Phone::parse(query.phone.as_deref().unwrap_or_default()).map_err(OriginError::Domain)?;
    let limit = match query.limit.as_deref() {
        None => DEFAULT_OUTBOX_LIMIT,
        Some(text) => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_OUTBOX_LIMIT).contains(n))
            .ok_or(OriginError::BadLimit)?,
    };
    let archive = Arc::clone(&app.archive);
    let messages = blocking(move || archive.recent_sms(&phone, limit)).await??;
    Ok(Json(
        messages.into_iter().map(OutboxMessage::from).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_the_first_run_of_exactly_six_digits() {
        assert_eq!(
            six_digit_code("您的保单电子化回访验证码为246810，5分钟内有效。").as_deref(),
            Some("246810")
        );
        assert_eq!(
            six_digit_code("ref 1234567 then 000123 and 999999").as_deref(),
            Some("000123")
        );
        assert_eq!(six_digit_code("12345 and 1234567"), None);
        assert_eq!(six_digit_code(""), None);
        // Full-width digits are not ASCII digits: not a code.
        assert_eq!(six_digit_code("２４６８１０"), None);
    }
}
