//! What `RevisitSession` sends out of the object when the custody says so: a code or a notice by
//! SMS (each counted against the caps held by the `SendThrottle` objects first; a code's SMS is
//! handed off by the alarm, after the answer), and the sealed
//! record to the insurer's origin. Kept apart from the object's load/apply/store cycle, which
//! decides; these only run the effects.

use super::RevisitSession;
use crate::config;
use crate::error::EdgeError;
use crate::origin_client;
use crate::send_throttle::{self, Over};
use huifang_core::custody::{Custody, Input};
use huifang_core::record::{Record, SealedRecord};
use huifang_core::session::{code_sms_text, NoticeFailure, Refusal};
use huifang_core::signing::keyed_digest;
use huifang_core::throttle::{Limit, SENDS_PER_IP, SENDS_PER_PHONE};
use huifang_core::wire::SmsRequest;
use huifang_core::{OtpCode, Phone};
use worker::{console_error, console_log};

impl RevisitSession {
    /// Counts a code send against the phone number's and the client IP's caps (across all
    /// sessions, each held by its own `SendThrottle` object, asked in parallel), while the
    /// policyholder waits: a refusal is their answer (R8). The SMS goes out later (`hand_off_code`).
    pub(super) async fn take_code_caps(
        &self,
        to: &Phone,
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
        let phone_name = format!(
            "phone:{}",
            keyed_digest(key.as_bytes(), &format!("phone:{}", to.as_str()))
        );
        // Both caps asked at once; a send one of them refuses counts in neither (send_throttle).
        match send_throttle::take_both(
            &self.env,
            (&ip_name, ip_limit),
            (&phone_name, SENDS_PER_PHONE),
        )
        .await?
        {
            Ok(()) => Ok(()),
            Err(Over::First(retry_after_secs)) => {
                Err(Refusal::RateLimited { retry_after_secs }.into())
            }
            Err(Over::Second(retry_after_secs)) => {
                Err(Refusal::SmsDailyLimit { retry_after_secs }.into())
            }
        }
    }

    /// Hands a queued code's SMS to the SMS gateway (run by the alarm, after the answer; issue
    /// 19). The code is drawn again from its salt under the edge's key; a code that does not match
    /// the stored hash (the key changed since) is not sent. Neither the code nor the number is
    /// logged.
    pub(super) async fn hand_off_code(
        &self,
        custody: &Custody,
        to: &Phone,
        salt: &str,
    ) -> std::result::Result<(), EdgeError> {
        let session = custody
            .session()
            .ok_or_else(|| EdgeError::Internal("an SMS without a session".into()))?;
        let key = config::required(&self.env, "ID_HASH_KEY")?;
        let code = OtpCode::derived(key.as_bytes(), salt);
        if session.code.as_ref().is_none_or(|c| !c.holds(&code)) {
            console_error!(
                "revisit {}: the queued code is not the one drawn from its salt; not sent",
                session.revisit.id
            );
            return Err(EdgeError::SmsUnavailable);
        }
        let sms = SmsRequest {
            revisit_id: session.revisit.id.clone(),
            phone: to.as_str().to_string(),
            text: code_sms_text(&code),
        };
        origin_client::send_sms(&self.env, &sms).await
    }

    /// Sends a notice SMS (the link, or the reminder): counted against the phone number's daily
    /// cap across sessions like a code (no IP: the system sends it, not a client), then handed to
    /// the SMS hook. Never fails the call: what happened is the outcome, traced by the custody.
    pub(super) async fn send_notice(
        &self,
        custody: &Custody,
        to: &Phone,
        text: String,
    ) -> std::result::Result<(), NoticeFailure> {
        let sent = async {
            let revisit_id = custody
                .session()
                .map(|s| s.revisit.id.clone())
                .ok_or_else(|| EdgeError::Internal("a notice without a session".into()))?;
            let key = config::required(&self.env, "ID_HASH_KEY")?;
            let phone_name = format!(
                "phone:{}",
                keyed_digest(key.as_bytes(), &format!("phone:{}", to.as_str()))
            );
            if send_throttle::take(&self.env, &phone_name, SENDS_PER_PHONE)
                .await?
                .is_err()
            {
                return Ok(Err(NoticeFailure::PhoneDailyLimit));
            }
            let sms = SmsRequest {
                revisit_id,
                phone: to.as_str().to_string(),
                text,
            };
            origin_client::send_sms(&self.env, &sms).await?;
            Ok::<_, EdgeError>(Ok(()))
        };
        match sent.await {
            Ok(outcome) => outcome,
            Err(e) => {
                console_error!("notice sms not sent: {}", e.detail());
                Err(NoticeFailure::Gateway)
            }
        }
    }

    /// Seals the finished session's record with the edge's key (R4).
    pub(super) fn seal(&self, custody: &Custody) -> std::result::Result<SealedRecord, EdgeError> {
        let session = custody
            .session()
            .ok_or_else(|| EdgeError::Internal("a seal without a session".into()))?;
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
        Ok(sealed)
    }

    /// Delivers the sealed record; `Delivered` only with the origin's acknowledgement of it.
    pub(super) async fn deliver(
        &self,
        custody: &Custody,
        retry: &huifang_core::custody::RetryPolicy,
    ) -> Input {
        let Some(outbox) = custody.outbox() else {
            return Input::DeliveryFailed;
        };
        let revisit_id = &outbox.sealed.record.revisit_id;
        match origin_client::deliver_record(&self.env, &outbox.sealed).await {
            Ok(ack) => {
                console_log!(
                    "revisit {revisit_id} delivered{}; personal data erased",
                    if ack.duplicate { " (duplicate)" } else { "" }
                );
                Input::Delivered {
                    record_hash: ack.record_hash,
                }
            }
            Err(reason) => {
                let attempt = outbox.attempts.saturating_add(1);
                console_error!(
                    "delivery of revisit {revisit_id} failed (attempt {attempt}): {reason}; next try in {} ms",
                    retry.delay_ms(attempt)
                );
                Input::DeliveryFailed
            }
        }
    }
}
