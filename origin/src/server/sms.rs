//! The insurer's SMS gateway hook (`POST /sms`, signed by the edge) and the dev outbox that testers
//! read codes from (`GET /sms/outbox`). The hook hands each message to an
//! [`SmsGateway`](crate::server::gateway::SmsGateway); in production that is the insurer's real
//! gateway, here the one implementation is the dev outbox (`dev/outbox.rs`).

use crate::archive::StoredSms;
use crate::server::error::OriginError;
use crate::server::extract::{page_limit, EdgeSigned};
use crate::server::gateway::OutgoingSms;
use crate::server::state::{blocking, AppState};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use huifang_core::wire::{SmsAccepted, SmsRequest};
use huifang_core::Phone;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Largest `POST /sms` body accepted.
pub const MAX_SMS_BODY: usize = 16 * 1024;
/// The path the edge signs for the hook.
pub const SMS_PATH: &str = "/sms";
const DEFAULT_OUTBOX_LIMIT: u32 = 10;
const MAX_OUTBOX_LIMIT: u32 = 100;

/// `POST /sms`: the edge's signature verified (by [`EdgeSigned`]), hands the message to the
/// gateway.
pub async fn send(
    State(app): State<AppState>,
    EdgeSigned(request): EdgeSigned<SmsRequest, MAX_SMS_BODY>,
) -> Result<(StatusCode, Json<SmsAccepted>), OriginError> {
    let phone = Phone::parse(&request.phone).map_err(OriginError::Domain)?;
    let sms = OutgoingSms {
        revisit_id: request.revisit_id,
        phone,
        text: request.text,
        received_at: app.now(),
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

/// What `GET /sms/outbox` asks for: a well-formed phone, and how many messages.
pub struct OutboxRequest {
    phone: Phone,
    limit: u32,
}

impl FromRequestParts<AppState> for OutboxRequest {
    type Rejection = OriginError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OriginError> {
        let Query(query) = Query::<OutboxQuery>::from_request_parts(parts, app).await?;
        let phone = Phone::parse(query.phone.as_deref().unwrap_or_default())
            .map_err(OriginError::Domain)?;
        let limit = page_limit(
            query.limit.as_deref(),
            DEFAULT_OUTBOX_LIMIT,
            MAX_OUTBOX_LIMIT,
        )?;
        Ok(Self { phone, limit })
    }
}

/// `GET /sms/outbox?phone=…&limit=…` (dev only): the newest messages to a phone, newest first.
pub async fn outbox(
    State(app): State<AppState>,
    OutboxRequest { phone, limit }: OutboxRequest,
) -> Result<Json<Vec<OutboxMessage>>, OriginError> {
    let archive = Arc::clone(&app.archive);
    let messages = blocking(move || archive.recent_sms(&phone, limit)).await??;
    Ok(Json(
        messages.into_iter().map(OutboxMessage::from).collect(),
    ))
}

/// The first run of exactly six ASCII digits (a one-time code, R8); longer or shorter runs are skipped.
pub fn six_digit_code(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_string)
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
