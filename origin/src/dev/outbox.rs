//! The dev SMS gateway: keeps every message in the archive's outbox, where `GET /sms/outbox`
//! (dev mode only) reads it back for testers.

use crate::archive::{Archive, NewSms};
use crate::server::gateway::{GatewayError, OutgoingSms, SmsGateway};
use std::sync::Arc;

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
