//! What comes into a session (events) and what the caller must do after one (effects).

use super::AnswerKind;
use crate::domain::{OtpCode, Phone};
use crate::script::Lang;
use crate::signature::SignatureSubmission;
use crate::time::Timestamp;
use crate::trace::{Notice, NoticeFailure};

/// Everything that happens to a session comes in as one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The policyholder opened the link on a device (the digest of its device secret). The first
    /// open binds the session to that device (R10), and sets the language from the browser's
    /// preference (`lang`) if it is the first open.
    Open {
        device: String,
        lang: Option<Lang>,
    },
    /// The policyholder chose the language of the pages and the items.
    ChooseLanguage {
        lang: Lang,
    },
    /// The edge drew a fresh code and salt from its CSPRNG; the core keeps only their hash.
    IssueCode {
        code: OtpCode,
        salt: [u8; 16],
    },
    /// The SMS gateway refused the code sent at `sent_at`: forget it so another can be sent at once.
    CodeUndelivered {
        sent_at: Timestamp,
    },
    SubmitCode {
        code: OtpCode,
    },
    /// The policyholder typed their ID number; the edge parsed it (GB 11643) and passes its keyed
    /// hash, never the number.
    SubmitIdNumber {
        digest: String,
    },
    Answer {
        index: usize,
        answer: AnswerKind,
        comment: Option<String>,
    },
    /// The handwritten signature, after the last item (when the script asks for one).
    Sign {
        submission: SignatureSubmission,
    },
    Complete,
    SwitchToPhone {
        reason: Option<String>,
    },
    /// The cooling-off end passed (the edge's alarm).
    Expire,
    /// The insurer cancelled the revisit.
    Cancel,
    /// The insurer issued a new link (digest of its secret): the old link dies at once, the device
    /// binding is cleared and identity must be verified again; answers given so far are kept.
    ReissueLink {
        link_digest: String,
    },
    /// What became of a notice SMS (the link at creation, or the reminder): traced either way.
    Notified {
        notice: Notice,
        outcome: Result<(), NoticeFailure>,
    },
}

/// What the caller must do after an accepted event; a step returns them as a list (most steps,
/// none). Sealing and delivering a finished session's record is the custody's
/// (`crate::custody`), which sees every step that finishes the session, refused ones included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Send this text to this phone through the insurer's SMS gateway.
    SendSms { to: Phone, text: String },
}
