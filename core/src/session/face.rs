//! The face identity step (R8), through the insurer's own provider and never the only way in.
//!
//! The edge asks the insurer's origin to start a check (`Effect::StartFaceCheck`) and keeps only
//! the digest of the opaque reference it answers with, bound to this session; the browser goes to
//! the provider and comes back with the reference; the edge asks the origin for the result
//! (`Effect::FetchFaceResult`) and the session takes it once (`Event::FaceResult`). A reference
//! that is not this session's pending one, one already taken, or one past its validity is refused
//! before the origin is asked. A failed check counts like a wrong code; after [`FACE_TRIES`]
//! failures only the script's alternative is left, and the policyholder may take the alternative
//! at any time before (decline). No image ever comes here: the result is four short fields.

use super::{Effect, Refusal, Session, Stage};
use crate::script::{FaceAlternative, IdentityStep, Lang};
use crate::signing::sha256_hex;
use crate::time::{Timestamp, MINUTE_MS};
use crate::trace::TraceEvent;
// Defined beside the trace events that carry them (the trace sits below the session).
pub use crate::trace::{FaceOutcome, ScoreBand};
use serde::{Deserialize, Serialize};

/// Failed face checks after which only the alternative is offered (like three wrong tries).
pub const FACE_TRIES: u8 = 3;
/// How long a started check's reference is taken back.
pub const FACE_REFERENCE_VALID_MS: u64 = 10 * MINUTE_MS;
/// Longest reference or evidence id taken from the origin.
pub const MAX_FACE_REFERENCE_CHARS: usize = 128;
/// Longest provider page URL taken from the origin.
pub const MAX_FACE_URL_CHARS: usize = 2048;
/// How many taken references a session remembers (to tell a replay from a forgery).
const USED_REFERENCES_KEPT: usize = 16;

/// What the origin answers for a reference, as traced and sealed: never an image, never a
/// provider secret (unknown fields are refused, and each field is short).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceResult {
    pub outcome: FaceOutcome,
    /// The provider's display name.
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_band: Option<ScoreBand>,
    /// The provider's own id of this check, for the insurer to look it up there.
    pub evidence_id: String,
}

impl FaceResult {
    /// Whether every field is of a shape the record may carry.
    pub fn is_well_formed(&self) -> bool {
        let provider = self.provider.trim().chars().count();
        (1..=crate::script::MAX_PROVIDER_CHARS).contains(&provider)
            && !self.provider.chars().any(char::is_control)
            && is_face_token(&self.evidence_id)
    }
}

/// 1 to 128 of `A–Z a–z 0–9 . _ : -`: the shape of a reference and of an evidence id.
pub fn is_face_token(s: &str) -> bool {
    (1..=MAX_FACE_REFERENCE_CHARS).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-'))
}

/// A started check, waiting for the browser to come back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFace {
    /// SHA-256 of the origin's reference: the reference itself comes back with the browser.
    pub reference_digest: String,
    /// The provider's page the browser is sent to.
    pub redirect_url: String,
    pub started_at: Timestamp,
}

/// The face step's state in a session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceState {
    pub pending: Option<PendingFace>,
    /// Digests of references taken back (or voided), newest last.
    pub used: Vec<String>,
    pub failures: u8,
    /// The policyholder took the alternative instead.
    pub declined: bool,
    /// Every result taken, for the record.
    pub results: Vec<FaceResult>,
}

impl FaceState {
    /// Nothing happened in the face step (or the script has none).
    pub fn is_unused(&self) -> bool {
        *self == Self::default()
    }

    /// Voids the pending reference, if any: it can no longer be taken back.
    fn void_pending(&mut self) {
        if let Some(pending) = self.pending.take() {
            self.used.push(pending.reference_digest);
            let extra = self.used.len().saturating_sub(USED_REFERENCES_KEPT);
            self.used.drain(..extra);
        }
    }
}

fn reference_digest(reference: &str) -> String {
    sha256_hex(reference)
}

fn is_page_url(url: &str) -> bool {
    url.len() <= MAX_FACE_URL_CHARS
        && (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

impl Session {
    /// Tries of the face check left before only the alternative is offered.
    pub fn face_tries_left(&self) -> u8 {
        FACE_TRIES.saturating_sub(self.face.failures)
    }

    /// The pending check's provider page, while it can still be taken back.
    pub fn face_redirect(&self, now: Timestamp) -> Option<&str> {
        self.face
            .pending
            .as_ref()
            .filter(|p| now.since(p.started_at) <= FACE_REFERENCE_VALID_MS)
            .map(|p| p.redirect_url.as_str())
    }

    /// Whether the face step is the one to do now, and the session may try it.
    fn face_step_due(&self, now: Timestamp) -> Result<(), Refusal> {
        match self.stage {
            Stage::Issued => return Err(Refusal::NotOpened),
            Stage::Verified => return Err(Refusal::AlreadyVerified),
            _ => {}
        }
        if self.next_step() != Some(IdentityStep::Face) {
            return Err(Refusal::WrongStep);
        }
        let locked = self.locked_secs(now);
        if locked > 0 {
            return Err(Refusal::SessionLocked {
                retry_after_secs: locked,
            });
        }
        Ok(())
    }

    pub(super) fn start_face(&mut self, now: Timestamp) -> Result<Vec<Effect>, Refusal> {
        self.face_step_due(now)?;
        if self.face_tries_left() == 0 {
            return Err(Refusal::FaceTriesUsed);
        }
        Ok(vec![Effect::StartFaceCheck {
            revisit_id: self.revisit.id.to_string(),
            lang: self.lang,
        }])
    }

    /// The origin started a check: keep its reference's digest (voiding any earlier one).
    pub(super) fn face_started(
        &mut self,
        reference: &str,
        redirect_url: &str,
        now: Timestamp,
    ) -> Result<Vec<Effect>, Refusal> {
        // Re-checked: the session may have moved on while the origin was asked.
        self.face_step_due(now)?;
        if self.face_tries_left() == 0 {
            return Err(Refusal::FaceTriesUsed);
        }
        if !is_face_token(reference) || !is_page_url(redirect_url) {
            // The origin answered with something no provider flow can use.
            return Err(Refusal::FaceUnavailable);
        }
        self.face.void_pending();
        self.face.pending = Some(PendingFace {
            reference_digest: reference_digest(reference),
            redirect_url: redirect_url.to_string(),
            started_at: now,
        });
        self.record(now, TraceEvent::FaceStarted);
        Ok(Vec::new())
    }

    /// Whether `reference`, brought back by the browser, is this session's pending one, still
    /// valid. An expired one is voided.
    fn check_face_return(&mut self, reference: &str, now: Timestamp) -> Result<(), Refusal> {
        let digest = reference_digest(reference);
        if self.face.used.contains(&digest) {
            return Err(Refusal::FaceReferenceUsed);
        }
        let pending = self
            .face
            .pending
            .as_ref()
            .filter(|p| p.reference_digest == digest)
            .ok_or(Refusal::FaceReferenceUnknown)?;
        if now.since(pending.started_at) > FACE_REFERENCE_VALID_MS {
            self.face.void_pending();
            return Err(Refusal::FaceReferenceExpired);
        }
        self.face_step_due(now)
    }

    /// The browser came back with `reference`: ask the origin for its result.
    pub(super) fn face_returned(
        &mut self,
        reference: &str,
        now: Timestamp,
    ) -> Result<Vec<Effect>, Refusal> {
        self.check_face_return(reference, now)?;
        Ok(vec![Effect::FetchFaceResult {
            revisit_id: self.revisit.id.to_string(),
            reference: reference.to_string(),
        }])
    }

    /// The origin's answer for `reference`: taken once. `None`: the origin refused the return
    /// (a forged ticket, or a reference it did not issue to this revisit).
    pub(super) fn face_result(
        &mut self,
        reference: &str,
        result: Option<FaceResult>,
        now: Timestamp,
    ) -> Result<Vec<Effect>, Refusal> {
        self.check_face_return(reference, now)?;
        // Single use, whatever the answer.
        self.face.void_pending();
        let Some(result) = result.filter(FaceResult::is_well_formed) else {
            self.record(now, TraceEvent::FaceReturnRefused);
            return Err(Refusal::FaceReturnRefused);
        };
        let outcome = result.outcome;
        self.record(
            now,
            TraceEvent::FaceChecked {
                outcome,
                provider: result.provider.clone(),
                score_band: result.score_band,
                evidence_id: result.evidence_id.clone(),
            },
        );
        self.face.results.push(result);
        match outcome {
            FaceOutcome::Passed => {
                self.pass(IdentityStep::Face);
                Ok(Vec::new())
            }
            FaceOutcome::Cancelled => Ok(Vec::new()),
            FaceOutcome::Failed => {
                // Counts like a wrong code: against the day's limit, and against this step's tries.
                self.face.failures = self.face.failures.saturating_add(1);
                if let Some(locked) = self.count_wrong_try(now) {
                    return Err(locked);
                }
                Err(Refusal::FaceFailed {
                    tries_left: self.face_tries_left(),
                })
            }
        }
    }

    /// The policyholder takes the script's alternative instead of the face check.
    pub(super) fn decline_face(&mut self, now: Timestamp) -> Result<Vec<Effect>, Refusal> {
        match self.stage {
            Stage::Issued => return Err(Refusal::NotOpened),
            Stage::Verified => return Err(Refusal::AlreadyVerified),
            _ => {}
        }
        if self.next_step() != Some(IdentityStep::Face) {
            return Err(Refusal::WrongStep);
        }
        let Some(alternative) = self.revisit.script.face.as_ref().map(|f| f.alternative) else {
            return Err(Refusal::WrongStep);
        };
        self.face.void_pending();
        self.face.declined = true;
        self.record(now, TraceEvent::FaceDeclined { alternative });
        if alternative == FaceAlternative::Phone {
            self.finish(Stage::SwitchedToPhone, now);
        }
        Ok(Vec::new())
    }
}

/// What the face step's page needs to say before the check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceView {
    /// Who performs the check.
    pub provider: String,
    /// What the policyholder may do instead.
    pub alternative: FaceAlternative,
    pub tries_left: u8,
    /// The provider's page of a started check, while it can be taken back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// The language the provider's page should be in (the session's).
    pub lang: Lang,
}

impl FaceView {
    /// The face step's view, while it is the next step.
    pub fn of(session: &Session, now: Timestamp) -> Option<Self> {
        let face = session.revisit.script.face.as_ref()?;
        (session.next_step() == Some(IdentityStep::Face)).then(|| Self {
            provider: face.provider.clone(),
            alternative: face.alternative,
            tries_left: session.face_tries_left(),
            redirect_url: session.face_redirect(now).map(str::to_string),
            lang: session.lang,
        })
    }
}
