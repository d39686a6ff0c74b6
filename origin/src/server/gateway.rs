//! The SMS gateway the `POST /sms` hook hands messages to: in production the insurer's real
//! gateway, here the dev outbox ([`crate::dev::outbox::Outbox`]).

use crate::archive::ArchiveError;
use huifang_core::{Phone, RevisitId, Timestamp};

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
