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
    /// The code sent at `sent_at` will not go out (a send cap refused it): forget it so another
    /// can be sent at once.
    CodeUndelivered {
        sent_at: Timestamp,
    },
    /// The insurer's gateway took the SMS of the code sent at `sent_at` (issue 19).
    CodeHandedOff {
        sent_at: Timestamp,
    },
    /// The gateway did not take the SMS of the code sent at `sent_at`: try again at `next_try`,
    /// or, when `None`, give the code up and tell the policyholder (the custody decides which).
    CodeHandoffFailed {
        sent_at: Timestamp,
        next_try: Option<Timestamp>,
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
    /// The policyholder asks to start the face check (R8); the edge then asks the origin.
    StartFace,
    /// The origin started a face check for this session: its opaque reference and the
    /// provider's page to send the browser to.
    FaceStarted {
        reference: String,
        redirect_url: String,
    },
    /// The browser came back from the provider with this reference.
    FaceReturned {
        reference: String,
    },
    /// The origin's answer for the reference: the result, or `None` if it refused the return.
    FaceResult {
        reference: String,
        result: Option<super::FaceResult>,
    },
    /// The policyholder takes the script's alternative instead of the face check.
    DeclineFace,
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
    /// Send the code just issued to this phone: count it against the send caps, then queue its
    /// SMS for the insurer's gateway (the text is drawn again from the stored salt, issue 19).
    SendCode { to: Phone },
    /// Ask the insurer's origin to start a face check for this revisit, and answer with
    /// `Event::FaceStarted` (or refuse with `face_unavailable` if it cannot).
    StartFaceCheck { revisit_id: String, lang: Lang },
    /// Ask the insurer's origin for the result of this reference (with the ticket the browser
    /// brought), and answer with `Event::FaceResult`.
    FetchFaceResult {
        revisit_id: String,
        reference: String,
    },
}

impl Event {
    /// A new code for a fresh random salt: the code is the salt's under the edge's secret `key`
    /// (`OtpCode::derived`), so that its queued SMS needs nothing stored but the salt.
    pub fn issue_code(key: &[u8], salt: [u8; 16]) -> Self {
        Self::IssueCode {
            code: OtpCode::derived(key, &hex::encode(salt)),
            salt,
        }
    }
}
