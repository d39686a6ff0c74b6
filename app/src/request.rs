//! What the policyholder (or the page) asks of the revisit: one call to the API each. Shared by the
//! live session, which makes the calls, and the first screen's handover (`crate::first`), which
//! names the calls index.html's first script made before the wasm ran.

use crate::i18n::Lang;
use huifang_core::session::AnswerKind;
use huifang_core::signature::SignatureSubmission;
use huifang_core::{IdNumber, OtpCode};

/// Something the policyholder asked for (or the page, for `Load`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Load,
    SendCode,
    Verify {
        code: OtpCode,
    },
    VerifyIdNumber {
        id_number: IdNumber,
    },
    /// Start the face check (R8): the view comes back with the provider's page.
    StartFace,
    /// What the provider sent the browser back with.
    FaceReturn {
        reference: String,
        ticket: String,
    },
    /// Take the script's alternative instead of the face check.
    DeclineFace,
    Answer {
        index: usize,
        answer: AnswerKind,
        comment: Option<String>,
    },
    Sign {
        submission: SignatureSubmission,
    },
    Complete,
    SwitchToPhone {
        reason: Option<String>,
    },
    /// The language of the pages and of the items (traced by the edge).
    SetLanguage {
        lang: Lang,
    },
}

impl Request {
    pub(crate) fn place(&self) -> Place {
        match self {
            Request::SwitchToPhone { .. } => Place::SwitchPanel,
            _ => Place::Page,
        }
    }
}

/// Where a notice is shown: next to the button that caused it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Place {
    #[default]
    Page,
    SwitchPanel,
}
