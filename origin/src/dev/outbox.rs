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
