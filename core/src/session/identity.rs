//! Identity (R8): the steps of the script in order, the SMS code kept only as a salted hash, the
//! ID number compared by its keyed hash, and the daily lock after too many wrong tries.

use super::{Effect, Refusal, Session, Stage, CODE_VALID_MS, WRONG_TRIES_PER_CODE};
use crate::domain::OtpCode;
use crate::script::IdentityStep;
use crate::throttle::WRONG_CODES_PER_SESSION;
use crate::time::Timestamp;
use crate::trace::TraceEvent;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A sent code, kept only as a salted hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    pub digest: String,
    pub salt: String,
    pub sent_at: Timestamp,
    pub wrong_tries: u8,
    /// Whether the code's SMS has reached the insurer's gateway. A code stored before hand-offs
    /// were queued (issue 19) was handed off before it was stored: `Sent`, and not written.
    #[serde(default, skip_serializing_if = "Handoff::is_sent")]
    pub handoff: Handoff,
}

/// The code SMS's way to the insurer's gateway, which runs after the policyholder has the answer
/// (issue 19): queued, tried at once by the edge's alarm and again after each failure, until the
/// gateway takes it or the code is given up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Handoff {
    /// Waiting for the gateway: `failures` tries failed so far, the next is due at `next_try`.
    Queued { failures: u32, next_try: Timestamp },
    /// The gateway took it.
    #[default]
    Sent,
}

impl Handoff {
    fn is_sent(&self) -> bool {
        *self == Self::Sent
    }

    /// Whether the gateway refused it at least once (so far): the policyholder is told, and may
    /// ask for another code at once.
    pub fn failed(&self) -> bool {
        matches!(self, Self::Queued { failures, .. } if *failures > 0)
    }
}

impl PendingCode {
    pub(super) fn new(code: &OtpCode, salt: [u8; 16], now: Timestamp) -> Self {
        let salt = hex::encode(salt);
        Self {
            digest: code_digest(&salt, code),
            salt,
            sent_at: now,
            wrong_tries: 0,
            handoff: Handoff::Queued {
                failures: 0,
                next_try: now,
            },
        }
    }

    /// When the queued SMS is to be handed to the gateway next; `None` once the gateway took it.
    pub fn handoff_due(&self) -> Option<Timestamp> {
        match self.handoff {
            Handoff::Queued { next_try, .. } => Some(next_try),
            Handoff::Sent => None,
        }
    }

    /// Whether `code` is this code (the edge checks the code it draws again from the salt
    /// before handing it off: a changed key would draw another).
    pub fn holds(&self, code: &OtpCode) -> bool {
        self.matches(code)
    }

    fn matches(&self, code: &OtpCode) -> bool {
        // Both sides are hex digests of equal length; the comparison leaks nothing about the code.
        code_digest(&self.salt, code) == self.digest
    }
}

fn code_digest(salt_hex: &str, code: &OtpCode) -> String {
    let mut h = Sha256::new();
    h.update(salt_hex.as_bytes());
    h.update(b":");
    h.update(code.as_str().as_bytes());
    hex::encode(h.finalize())
}

impl Session {
    /// The next identity step before the items, if any is left. (The signature comes after the
    /// items, whatever its place in the list.)
    pub fn next_step(&self) -> Option<IdentityStep> {
        self.revisit
            .script
            .identity
            .iter()
            .copied()
            .filter(|s| *s != IdentityStep::Signature)
            .map(|s| self.instead_of(s))
            .find(|s| !self.passed.contains(s))
    }

    /// The step done in place of `step`: a declined face check is replaced by the script's
    /// alternative when that is the ID number (R8: never the only way in).
    fn instead_of(&self, step: IdentityStep) -> IdentityStep {
        let by_id_number = self
            .revisit
            .script
            .face
            .as_ref()
            .is_some_and(|f| f.alternative == crate::script::FaceAlternative::IdNumber);
        if step == IdentityStep::Face && self.face.declined && by_id_number {
            IdentityStep::IdNumber
        } else {
            step
        }
    }

    /// Whether the script asks for a handwritten signature before completion.
    pub fn signature_required(&self) -> bool {
        self.revisit
            .script
            .identity
            .contains(&IdentityStep::Signature)
    }

    /// Marks a step passed; once every step is, the policyholder may answer the items.
    pub(super) fn pass(&mut self, step: IdentityStep) {
        self.passed.push(step);
        self.stage = match self.next_step() {
            None => Stage::Verified,
            Some(_) => Stage::Opened,
        };
    }

    /// Forgets the code sent at `sent_at` if it is the pending one, whose SMS will not go out
    /// (refused by a send cap, or never taken by the gateway): it does not count against the day,
    /// and another may be sent at once. Whether it was.
    pub(super) fn give_up_code(&mut self, sent_at: Timestamp, now: Timestamp) -> bool {
        if self.code.as_ref().is_none_or(|c| c.sent_at != sent_at) {
            return false;
        }
        self.code = None;
        self.sends.release(sent_at);
        if self.stage == Stage::CodeSent {
            self.stage = Stage::Opened;
        }
        self.record(now, TraceEvent::CodeUndelivered);
        true
    }

    /// A wrong code or ID number: counts against the day; `Some` refusal when it locks the session.
    pub(super) fn count_wrong_try(&mut self, now: Timestamp) -> Option<Refusal> {
        self.wrong_codes.record(WRONG_CODES_PER_SESSION, now);
        let locked = self.locked_secs(now);
        (locked > 0).then(|| {
            // Too many wrong tries today: void any code; the page offers the phone switch (R7).
            self.code = None;
            self.record(now, TraceEvent::SessionLocked);
            Refusal::SessionLocked {
                retry_after_secs: locked,
            }
        })
    }

    /// Seconds until the session unlocks after too many wrong codes (0 if it is not locked).
    pub fn locked_secs(&self, now: Timestamp) -> u64 {
        self.wrong_codes.wait_secs(WRONG_CODES_PER_SESSION, now)
    }

    pub(super) fn submit_code(
        &mut self,
        code: &OtpCode,
        now: Timestamp,
    ) -> Result<Vec<Effect>, Refusal> {
        match self.stage {
            Stage::Verified => return Err(Refusal::AlreadyVerified),
            Stage::CodeSent => {}
            _ => return Err(Refusal::NoCodeSent),
        }
        let locked = self.locked_secs(now);
        if locked > 0 {
            return Err(Refusal::SessionLocked {
                retry_after_secs: locked,
            });
        }
        let Some(pending) = self.code.as_mut() else {
            return Err(Refusal::NoCodeSent);
        };
        if now.since(pending.sent_at) > CODE_VALID_MS || pending.wrong_tries >= WRONG_TRIES_PER_CODE
        {
            return Err(Refusal::CodeExpired);
        }
        if !pending.matches(code) {
            pending.wrong_tries += 1;
            let tries_left = WRONG_TRIES_PER_CODE - pending.wrong_tries;
            self.record(now, TraceEvent::CodeRejected { tries_left });
            return Err(self
                .count_wrong_try(now)
                .unwrap_or(Refusal::WrongCode { tries_left }));
        }
        // A code is usable once: forget it the moment it succeeds.
        self.code = None;
        self.record(now, TraceEvent::CodeVerified);
        self.pass(IdentityStep::SmsCode);
        Ok(Vec::new())
    }

    pub(super) fn submit_id_number(
        &mut self,
        digest: &str,
        now: Timestamp,
    ) -> Result<Vec<Effect>, Refusal> {
        match self.stage {
            Stage::Issued => return Err(Refusal::NotOpened),
            Stage::Verified => return Err(Refusal::AlreadyVerified),
            _ => {}
        }
        if self.next_step() != Some(IdentityStep::IdNumber) {
            return Err(Refusal::WrongStep);
        }
        let locked = self.locked_secs(now);
        if locked > 0 {
            return Err(Refusal::SessionLocked {
                retry_after_secs: locked,
            });
        }
        if digest != self.revisit.id_number_digest {
            self.record(now, TraceEvent::IdNumberRejected);
            return Err(self.count_wrong_try(now).unwrap_or(Refusal::WrongIdNumber));
        }
        self.record(now, TraceEvent::IdNumberVerified);
        self.pass(IdentityStep::IdNumber);
        Ok(Vec::new())
    }
}

/// The SMS that carries a code. It says what the code is for and that staff never ask for it (R10).
/// Always in Chinese: the phone's owner reads it, whatever language the page was read in.
pub fn code_sms_text(code: &OtpCode) -> String {
    (crate::words::edge(crate::script::Lang::ZhCn).code_sms)(code.as_str())
}
