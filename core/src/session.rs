//! The revisit session state machine: issued → opened → code sent → verified → items answered in
//! order → completed; or switched to a phone revisit (R7) or expired at the cooling-off end (R1).
//!
//! `Session::apply(event, now)` is a pure function of (state, event, now). It returns the next state
//! *and* the outcome, because a refused event can still change the state (a wrong code counts
//! against its tries, a late event expires the session); the caller stores the returned state
//! whatever the outcome.

use crate::domain::{OtpCode, PersonName, Phone, PolicyNumber, RevisitId};
use crate::script::{IdentityStep, Lang, Script};
use crate::signature::{Signature, SignatureError, SignatureSubmission};
use crate::throttle::{Window, SENDS_PER_SESSION, WRONG_CODES_PER_SESSION};
use crate::time::{Timestamp, MINUTE_MS, SECOND_MS};
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A code is valid this long after it is sent.
pub const CODE_VALID_MS: u64 = 5 * MINUTE_MS;
/// Wrong entries allowed per code; the code is void after that many.
pub const WRONG_TRIES_PER_CODE: u8 = 5;
/// Minimum gap between two code sends to one session.
pub const RESEND_GAP_MS: u64 = 60 * SECOND_MS;
/// Longest free-text comment on an answer or a switch.
pub const MAX_COMMENT_CHARS: usize = 500;

/// What the insurer told us at creation. Immutable for the life of the session.
/// The ID number is held only as a keyed hash (R6, R8).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Revisit {
    pub id: RevisitId,
    pub policy_number: PolicyNumber,
    pub product: String,
    pub holder_name: PersonName,
    pub phone: Phone,
    pub id_number_digest: String,
    pub link_digest: String,
    pub created_at: Timestamp,
    pub cooling_off_ends_at: Timestamp,
    pub script: Script,
    /// The selling agent's device, if the insurer gave it: sessions seen from it are flagged (R10).
    #[serde(default)]
    pub agent: Option<AgentDevice>,
}

/// The agent's network and user agent, as far as the insurer knows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentDevice {
    pub ip_prefix: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Issued,
    Opened,
    CodeSent,
    Verified,
    Completed,
    SwitchedToPhone,
    Expired,
    /// The insurer cancelled the revisit (e.g. the policy was cancelled in the cooling-off period).
    Cancelled,
}

impl Stage {
    /// A finished session accepts no more events; its record is sealed and forwarded.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            Stage::Completed | Stage::SwitchedToPhone | Stage::Expired | Stage::Cancelled
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// 是，我确认
    Yes,
    /// 否 / 我有疑问 — a problem case (R12), not a failure of the revisit.
    No,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub index: usize,
    pub item_id: String,
    pub answer: AnswerKind,
    pub comment: Option<String>,
    pub at: Timestamp,
    /// The language the item was shown in when it was answered: the record keeps that text (R3).
    #[serde(default)]
    pub lang: Lang,
}

/// A sent code, kept only as a salted hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    pub digest: String,
    pub salt: String,
    pub sent_at: Timestamp,
    pub wrong_tries: u8,
}

impl PendingCode {
    fn new(code: &OtpCode, salt: [u8; 16], now: Timestamp) -> Self {
        let salt = hex::encode(salt);
        Self {
            digest: code_digest(&salt, code),
            salt,
            sent_at: now,
            wrong_tries: 0,
        }
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

pub use crate::trace::{ClientInfo, TraceEntry, TraceEvent};

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
}

/// What the caller must do after an accepted event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Nothing,
    /// Send this text to this phone through the insurer's SMS gateway.
    SendSms {
        to: Phone,
        text: String,
    },
    /// The session is finished: seal its record and forward it to the origin.
    Forward,
}

/// Why an event was refused. `code()` is stable; the Display text is for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this revisit has ended: the cooling-off period is over")]
    Expired,
    #[error("this revisit is already finished")]
    Finished,
    #[error("please open the revisit link first")]
    NotOpened,
    #[error("your identity is already verified")]
    AlreadyVerified,
    #[error("please wait {retry_after_secs} seconds before asking for another code")]
    ResendTooSoon { retry_after_secs: u64 },
    #[error("please ask for a code first")]
    NoCodeSent,
    #[error("this code has expired; please ask for a new one")]
    CodeExpired,
    #[error("the code is wrong; {tries_left} tries left for this code")]
    WrongCode { tries_left: u8 },
    #[error("please verify your identity first")]
    NotVerified,
    #[error("item {0} is already answered")]
    AlreadyAnswered(usize),
    #[error("please answer item {expected} first")]
    OutOfOrder { expected: usize },
    #[error("there is no item {0}")]
    NoSuchItem(usize),
    #[error("the comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
    #[error("please answer every item before finishing; {remaining} left")]
    ItemsRemaining { remaining: usize },
    #[error("the cooling-off period has not ended yet")]
    NotDue,
    #[error("this revisit is open on another device")]
    LinkInUse,
    #[error("this identity step is not the next one")]
    WrongStep,
    #[error("the ID number does not match our records")]
    WrongIdNumber,
    #[error("{0}")]
    BadSignature(SignatureError),
    #[error("please sign before finishing")]
    SignatureRequired,
    #[error("too many wrong codes today; try again in {retry_after_secs} seconds or switch to a phone revisit")]
    SessionLocked { retry_after_secs: u64 },
    #[error("too many codes sent today; try again in {retry_after_secs} seconds or switch to a phone revisit")]
    SmsDailyLimit { retry_after_secs: u64 },
    #[error("too many requests from this network; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
}

impl Refusal {
    pub fn code(&self) -> crate::ErrorCode {
        use crate::ErrorCode;
        match self {
            Self::Expired => ErrorCode::LinkExpired,
            Self::Finished => ErrorCode::RevisitFinished,
            Self::NotOpened => ErrorCode::NotOpened,
            Self::AlreadyVerified => ErrorCode::AlreadyVerified,
            Self::ResendTooSoon { .. } => ErrorCode::ResendTooSoon,
            Self::NoCodeSent => ErrorCode::NoCodeSent,
            Self::CodeExpired => ErrorCode::CodeExpired,
            Self::WrongCode { .. } => ErrorCode::WrongCode,
            Self::NotVerified => ErrorCode::NotVerified,
            Self::AlreadyAnswered(_) => ErrorCode::AlreadyAnswered,
            Self::OutOfOrder { .. } => ErrorCode::ItemOutOfOrder,
            Self::NoSuchItem(_) => ErrorCode::NoSuchItem,
            Self::CommentTooLong => ErrorCode::CommentTooLong,
            Self::ItemsRemaining { .. } => ErrorCode::ItemsRemaining,
            Self::NotDue => ErrorCode::NotDue,
            Self::LinkInUse => ErrorCode::LinkInUse,
            Self::WrongStep => ErrorCode::WrongStep,
            Self::WrongIdNumber => ErrorCode::WrongIdNumber,
            Self::BadSignature(e) => e.code(),
            Self::SignatureRequired => ErrorCode::SignatureRequired,
            Self::SessionLocked { .. } => ErrorCode::SessionLocked,
            Self::SmsDailyLimit { .. } => ErrorCode::SmsDailyLimit,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
        }
    }

    /// Tries the current code has left, for `WrongCode`.
    pub fn tries_left(&self) -> Option<u8> {
        match self {
            Self::WrongCode { tries_left } => Some(*tries_left),
            _ => None,
        }
    }

    /// Seconds after which trying again can succeed, where that is known.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::ResendTooSoon { retry_after_secs }
            | Self::SessionLocked { retry_after_secs }
            | Self::SmsDailyLimit { retry_after_secs }
            | Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

/// The live state of one revisit at the edge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub revisit: Revisit,
    pub stage: Stage,
    pub code: Option<PendingCode>,
    pub answers: Vec<Answer>,
    pub switch_reason: Option<String>,
    pub finished_at: Option<Timestamp>,
    pub trace: Trace,
    /// Digest of the secret of the device the link is bound to (R10); set by the first open.
    #[serde(default)]
    pub device_digest: Option<String>,
    /// Codes sent, for the daily limit per session.
    #[serde(default)]
    pub sends: Window,
    /// Wrong codes and wrong ID numbers entered, for the daily limit per session.
    #[serde(default)]
    pub wrong_codes: Window,
    /// Identity steps passed, in order (R8).
    #[serde(default)]
    pub passed: Vec<IdentityStep>,
    /// The handwritten signature, once given.
    #[serde(default)]
    pub signature: Option<Signature>,
    /// The language the pages and items are shown in.
    #[serde(default)]
    pub lang: Lang,
    /// The client of the event being applied, stamped on its trace entries; never stored.
    #[serde(skip)]
    client: Option<ClientInfo>,
}

/// The result of one step: the next state, and either what to do next or why the event was refused.
pub type Step = (Session, Result<Effect, Refusal>);

impl Session {
    pub fn new(revisit: Revisit) -> Self {
        let created = revisit.created_at;
        let mut session = Self {
            revisit,
            stage: Stage::Issued,
            code: None,
            answers: Vec::new(),
            switch_reason: None,
            finished_at: None,
            device_digest: None,
            sends: Window::default(),
            wrong_codes: Window::default(),
            passed: Vec::new(),
            signature: None,
            lang: Lang::default(),
            trace: Trace::default(),
            client: None,
        };
        session.record(created, TraceEvent::Created);
        session
    }

    /// Seconds until another code may be sent (0 when one may be sent now).
    pub fn resend_wait_secs(&self, now: Timestamp) -> u64 {
        self.code.as_ref().map_or(0, |c| {
            let ready = c.sent_at.plus_millis(RESEND_GAP_MS);
            ready.since(now).div_ceil(SECOND_MS)
        })
    }

    /// Applies one event at `now`. Store the returned session whatever the outcome.
    pub fn apply(self, event: Event, now: Timestamp) -> Step {
        self.apply_from(event, now, None)
    }

    /// Applies one event sent by `client` (the policyholder's browser); its trace entries carry the
    /// client's network and user agent (R10).
    pub fn apply_from(mut self, event: Event, now: Timestamp, client: Option<ClientInfo>) -> Step {
        self.client = client;
        let result = self.decide(event, now);
        self.client = None;
        (self, result)
    }

    /// Checks that a request comes from the device the link is bound to (R10). Every event but
    /// `Open` must pass this first.
    pub fn check_device(&self, presented: Option<&str>) -> Result<(), Refusal> {
        match (&self.device_digest, presented) {
            (None, _) => Err(Refusal::NotOpened),
            (Some(bound), Some(p)) if bound == p => Ok(()),
            _ => Err(Refusal::LinkInUse),
        }
    }

    /// The next identity step before the items, if any is left. (The signature comes after the
    /// items, whatever its place in the list.)
    pub fn next_step(&self) -> Option<IdentityStep> {
        self.revisit
            .script
            .identity
            .iter()
            .copied()
            .filter(|s| *s != IdentityStep::Signature)
            .find(|s| !self.passed.contains(s))
    }

    /// Whether the script asks for a handwritten signature before completion.
    pub fn signature_required(&self) -> bool {
        self.revisit
            .script
            .identity
            .contains(&IdentityStep::Signature)
    }

    /// Marks a step passed; once every step is, the policyholder may answer the items.
    fn pass(&mut self, step: IdentityStep) {
        self.passed.push(step);
        self.stage = match self.next_step() {
            None => Stage::Verified,
            Some(_) => Stage::Opened,
        };
    }

    /// A wrong code or ID number: counts against the day; `Some` refusal when it locks the session.
    fn count_wrong_try(&mut self, now: Timestamp) -> Option<Refusal> {
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

    fn choose_language(&mut self, lang: Lang, now: Timestamp) {
        self.lang = lang;
        self.record(now, TraceEvent::LanguageChosen { lang });
    }

    fn record(&mut self, at: Timestamp, event: TraceEvent) {
        self.trace.push(at, event, self.client.clone());
    }

    fn finish(&mut self, stage: Stage, now: Timestamp) {
        self.stage = stage;
        self.code = None;
        self.finished_at = Some(now);
        let event = match stage {
            Stage::Completed => TraceEvent::Completed,
            Stage::SwitchedToPhone => TraceEvent::SwitchedToPhone,
            Stage::Cancelled => TraceEvent::Cancelled,
            _ => TraceEvent::Expired,
        };
        self.record(now, event);
    }

    fn decide(&mut self, event: Event, now: Timestamp) -> Result<Effect, Refusal> {
        if self.stage.is_finished() {
            return Err(match self.stage {
                Stage::Expired => Refusal::Expired,
                _ => Refusal::Finished,
            });
        }
        let due = now >= self.revisit.cooling_off_ends_at;
        if due {
            // R1: the link dies at the cooling-off end, whatever the event.
            self.finish(Stage::Expired, now);
            return match event {
                Event::Expire => Ok(Effect::Forward),
                _ => Err(Refusal::Expired),
            };
        }
        match event {
            Event::Expire => Err(Refusal::NotDue),
            Event::Open { device, lang } => {
                match &self.device_digest {
                    None => self.device_digest = Some(device),
                    Some(bound) if *bound == device => {}
                    Some(_) => return Err(Refusal::LinkInUse),
                }
                if self.stage == Stage::Issued {
                    self.stage = Stage::Opened;
                    self.record(now, TraceEvent::Opened);
                    if let Some(lang) = lang.filter(|l| *l != self.lang) {
                        self.choose_language(lang, now);
                    }
                }
                Ok(Effect::Nothing)
            }
            Event::ChooseLanguage { lang } => {
                if self.stage == Stage::Issued {
                    return Err(Refusal::NotOpened);
                }
                if lang != self.lang {
                    self.choose_language(lang, now);
                }
                Ok(Effect::Nothing)
            }
            Event::Cancel => {
                self.finish(Stage::Cancelled, now);
                Ok(Effect::Forward)
            }
            Event::ReissueLink { link_digest } => {
                self.revisit.link_digest = link_digest;
                self.device_digest = None;
                self.code = None;
                self.passed.clear();
                self.signature = None;
                self.stage = Stage::Issued;
                self.record(now, TraceEvent::LinkReissued);
                Ok(Effect::Nothing)
            }
            Event::IssueCode { code, salt } => {
                match self.stage {
                    Stage::Issued => return Err(Refusal::NotOpened),
                    Stage::Verified => return Err(Refusal::AlreadyVerified),
                    _ => {}
                }
                if self.next_step() != Some(IdentityStep::SmsCode) {
                    return Err(Refusal::WrongStep);
                }
                let locked = self.locked_secs(now);
                if locked > 0 {
                    return Err(Refusal::SessionLocked {
                        retry_after_secs: locked,
                    });
                }
                let wait = self.resend_wait_secs(now);
                if wait > 0 {
                    return Err(Refusal::ResendTooSoon {
                        retry_after_secs: wait,
                    });
                }
                self.sends
                    .admit(SENDS_PER_SESSION, now)
                    .map_err(|retry_after_secs| Refusal::SmsDailyLimit { retry_after_secs })?;
                self.code = Some(PendingCode::new(&code, salt, now));
                self.stage = Stage::CodeSent;
                self.record(now, TraceEvent::CodeSent);
                Ok(Effect::SendSms {
                    to: self.revisit.phone.clone(),
                    text: code_sms_text(&code),
                })
            }
            Event::CodeUndelivered { sent_at } => {
                if self.code.as_ref().is_some_and(|c| c.sent_at == sent_at) {
                    self.code = None;
                    self.sends.release(sent_at);
                    if self.stage == Stage::CodeSent {
                        self.stage = Stage::Opened;
                    }
                    self.record(now, TraceEvent::CodeUndelivered);
                }
                Ok(Effect::Nothing)
            }
            Event::SubmitCode { code } => self.submit_code(&code, now),
            Event::Sign { submission } => {
                if self.stage != Stage::Verified {
                    return Err(Refusal::NotVerified);
                }
                if !self.signature_required() {
                    return Err(Refusal::WrongStep);
                }
                let remaining = self.revisit.script.items.len() - self.answers.len();
                if remaining > 0 {
                    return Err(Refusal::ItemsRemaining { remaining });
                }
                // Signing again before finishing replaces the earlier signature ("redo").
                let signature = submission.accept().map_err(Refusal::BadSignature)?;
                let png_sha256 = signature.png_sha256.clone();
                self.signature = Some(signature);
                self.record(now, TraceEvent::Signed { png_sha256 });
                Ok(Effect::Nothing)
            }
            Event::SubmitIdNumber { digest } => self.submit_id_number(&digest, now),
            Event::Answer {
                index,
                answer,
                comment,
            } => self.answer(index, answer, comment, now),
            Event::Complete => {
                if self.stage != Stage::Verified {
                    return Err(Refusal::NotVerified);
                }
                let remaining = self.revisit.script.items.len() - self.answers.len();
                if remaining > 0 {
                    return Err(Refusal::ItemsRemaining { remaining });
                }
                if self.signature_required() && self.signature.is_none() {
                    return Err(Refusal::SignatureRequired);
                }
                self.finish(Stage::Completed, now);
                Ok(Effect::Forward)
            }
            Event::SwitchToPhone { reason } => {
                let reason = reason
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty());
                if reason
                    .as_ref()
                    .is_some_and(|r| r.chars().count() > MAX_COMMENT_CHARS)
                {
                    return Err(Refusal::CommentTooLong);
                }
                self.switch_reason = reason;
                self.finish(Stage::SwitchedToPhone, now);
                Ok(Effect::Forward)
            }
        }
    }

    fn submit_code(&mut self, code: &OtpCode, now: Timestamp) -> Result<Effect, Refusal> {
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
        Ok(Effect::Nothing)
    }

    fn submit_id_number(&mut self, digest: &str, now: Timestamp) -> Result<Effect, Refusal> {
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
        Ok(Effect::Nothing)
    }

    fn answer(
        &mut self,
        index: usize,
        answer: AnswerKind,
        comment: Option<String>,
        now: Timestamp,
    ) -> Result<Effect, Refusal> {
        if self.stage != Stage::Verified {
            return Err(Refusal::NotVerified);
        }
        let items = &self.revisit.script.items;
        if index >= items.len() {
            return Err(Refusal::NoSuchItem(index + 1));
        }
        let expected = self.answers.len();
        if index < expected {
            // A retry after a lost response: the first answer stands and is never counted twice.
            return Err(Refusal::AlreadyAnswered(index + 1));
        }
        if index != expected {
            return Err(Refusal::OutOfOrder {
                expected: expected + 1,
            });
        }
        let comment = comment
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
        {
            return Err(Refusal::CommentTooLong);
        }
        let item_id = items[index].id.clone();
        self.answers.push(Answer {
            index,
            item_id: item_id.clone(),
            answer,
            comment,
            at: now,
            lang: self.lang,
        });
        self.record(
            now,
            TraceEvent::ItemAnswered {
                index,
                item_id,
                answer,
            },
        );
        Ok(Effect::Nothing)
    }
}

/// The SMS that carries a code. It says what the code is for and that staff never ask for it (R10).
/// Always in Chinese: the phone's owner reads it, whatever language the page was read in.
pub fn code_sms_text(code: &OtpCode) -> String {
    (crate::words::edge(Lang::ZhCn).code_sms)(code.as_str())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    pub(crate) use crate::fixtures::T0;
    use crate::fixtures::{at, open, sample_revisit, CODE, COMPLETED_AFTER_SECS};
    use crate::script::IdentityStep;

    fn id() -> RevisitId {
        RevisitId::from_random([1; 12])
    }

    pub(crate) fn new_session() -> Session {
        Session::new(sample_revisit(id()))
    }

    fn ok(s: Session, e: Event, now: Timestamp) -> (Session, Effect) {
        let (s, r) = s.apply(e.clone(), now);
        match r {
            Ok(effect) => (s, effect),
            Err(refusal) => panic!("{e:?} refused: {refusal}"),
        }
    }

    fn refused(s: Session, e: Event, now: Timestamp) -> (Session, Refusal) {
        let (s, r) = s.apply(e.clone(), now);
        match r {
            Ok(effect) => panic!("{e:?} accepted with {effect:?}"),
            Err(refusal) => (s, refusal),
        }
    }

    fn issue(code: &str) -> Event {
        Event::IssueCode {
            code: OtpCode::parse(code).unwrap(),
            salt: [5; 16],
        }
    }

    fn submit(code: &str) -> Event {
        Event::SubmitCode {
            code: OtpCode::parse(code).unwrap(),
        }
    }

    fn yes(index: usize) -> Event {
        Event::Answer {
            index,
            answer: AnswerKind::Yes,
            comment: None,
        }
    }

    pub(crate) fn verified_session() -> Session {
        crate::fixtures::verified_session(id())
    }

    pub(crate) fn completed_session() -> Session {
        crate::fixtures::finished_session(id(), &[AnswerKind::Yes; 3])
    }

    #[test]
    fn the_happy_path_runs_in_order() {
        let s = completed_session();
        assert_eq!(s.stage, Stage::Completed);
        assert_eq!(s.answers.len(), 3);
        assert_eq!(s.finished_at, Some(at(COMPLETED_AFTER_SECS)));
        let kinds: Vec<_> = s.trace.iter().map(|t| &t.event).collect();
        assert_eq!(kinds.first(), Some(&&TraceEvent::Created));
        assert_eq!(kinds.last(), Some(&&TraceEvent::Completed));
    }

    #[test]
    fn opening_twice_changes_nothing() {
        let (s, _) = ok(new_session(), open(), at(1));
        let (s2, _) = ok(s.clone(), open(), at(2));
        assert_eq!(s, s2);
    }

    #[test]
    fn the_first_open_binds_the_link_to_its_device() {
        // R10
        let (s, _) = ok(new_session(), open(), at(1));
        assert_eq!(s.check_device(Some(crate::fixtures::DEVICE)), Ok(()));
        assert_eq!(s.check_device(Some("another")), Err(Refusal::LinkInUse));
        assert_eq!(s.check_device(None), Err(Refusal::LinkInUse));
        let other = Event::Open {
            device: "another".into(),
            lang: None,
        };
        let (s2, r) = refused(s.clone(), other, at(2));
        assert_eq!(r, Refusal::LinkInUse);
        assert_eq!(s2, s, "a refused device changes nothing");
        assert_eq!(
            new_session().check_device(Some("x")),
            Err(Refusal::NotOpened)
        );
    }

    #[test]
    fn ten_wrong_codes_a_day_lock_the_session_but_not_the_switch() {
        let (mut s, _) = ok(new_session(), open(), at(1));
        let mut t = 2;
        let mut wrong = 0;
        // Two codes of five wrong tries each.
        for _ in 0..2 {
            s = ok(s, issue(CODE), at(t)).0;
            for _ in 0..WRONG_TRIES_PER_CODE {
                t += 1;
                let (next, r) = refused(s, submit("000000"), at(t));
                wrong += 1;
                if wrong < 10 {
                    assert!(matches!(r, Refusal::WrongCode { .. }), "{r:?}");
                } else {
                    assert!(matches!(r, Refusal::SessionLocked { .. }), "{r:?}");
                }
                s = next;
            }
            t += 61;
        }
        let (s, r) = refused(s, issue(CODE), at(t));
        let wait = r.retry_after_secs().unwrap();
        assert!(matches!(r, Refusal::SessionLocked { .. }));
        assert!(wait > 23 * 3600 && wait <= 24 * 3600, "{wait}");
        let (s, r) = refused(s, submit(CODE), at(t));
        assert!(matches!(r, Refusal::SessionLocked { .. }));
        // R7: the phone switch stays open.
        ok(s.clone(), Event::SwitchToPhone { reason: None }, at(t + 1));
        // A day after the first wrong code, codes may be sent again.
        ok(s, issue(CODE), at(t + 24 * 3600));
    }

    #[test]
    fn five_code_sends_a_day_per_session() {
        let (mut s, _) = ok(new_session(), open(), at(1));
        for i in 0..5 {
            s = ok(s, issue(CODE), at(10 + i * 60)).0;
        }
        let (s, r) = refused(s, issue(CODE), at(10 + 5 * 60));
        assert_eq!(r.code(), "sms_daily_limit");
        // The first send leaves the 24-hour window.
        assert_eq!(r.retry_after_secs(), Some(24 * 3600 - 5 * 60));
        ok(s, issue(CODE), at(10 + 24 * 3600));
    }

    #[test]
    fn an_undelivered_code_does_not_count_against_the_day() {
        let (mut s, _) = ok(new_session(), open(), at(1));
        for i in 0..5 {
            s = ok(s, issue(CODE), at(10 + i)).0;
            s = ok(
                s,
                Event::CodeUndelivered {
                    sent_at: at(10 + i),
                },
                at(10 + i),
            )
            .0;
        }
        assert_eq!(s.sends.count(crate::throttle::SENDS_PER_SESSION, at(20)), 0);
        ok(s, issue(CODE), at(20));
    }

    #[test]
    fn the_insurer_can_cancel_and_the_link_dies() {
        let (s, effect) = ok(verified_session(), Event::Cancel, at(50));
        assert_eq!(effect, Effect::Forward);
        assert_eq!(s.stage, Stage::Cancelled);
        let (_, r) = refused(s, yes(0), at(51));
        assert_eq!(r, Refusal::Finished);
    }

    #[test]
    fn a_reissued_link_needs_a_new_open_and_a_new_code_but_keeps_answers() {
        let s = ok(verified_session(), yes(0), at(40)).0;
        let e = Event::ReissueLink {
            link_digest: "22".repeat(32),
        };
        let (s, _) = ok(s, e, at(50));
        assert_eq!(s.revisit.link_digest, "22".repeat(32));
        assert_eq!(s.stage, Stage::Issued);
        assert_eq!(s.device_digest, None);
        assert_eq!(s.answers.len(), 1);
        let (_, r) = refused(s.clone(), yes(1), at(51));
        assert_eq!(r, Refusal::NotVerified);
        // A new device may bind now.
        let other = Event::Open {
            device: "new-phone".into(),
            lang: None,
        };
        let (s, _) = ok(s, other, at(52));
        assert_eq!(s.device_digest.as_deref(), Some("new-phone"));
    }

    fn with_steps(steps: &[IdentityStep]) -> Session {
        let mut revisit = sample_revisit(id());
        revisit.script.identity = steps.to_vec();
        revisit.id_number_digest = "right-digest".into();
        ok(Session::new(revisit), open(), at(1)).0
    }

    fn id_number(digest: &str) -> Event {
        Event::SubmitIdNumber {
            digest: digest.into(),
        }
    }

    #[test]
    fn identity_steps_run_in_the_scripts_order() {
        // R8: ID number first, then the SMS code; items only after both.
        let s = with_steps(&[IdentityStep::IdNumber, IdentityStep::SmsCode]);
        assert_eq!(s.next_step(), Some(IdentityStep::IdNumber));
        let (s, r) = refused(s, issue(CODE), at(2));
        assert_eq!(r, Refusal::WrongStep);
        let (s, r) = refused(s, id_number("wrong-digest"), at(3));
        assert_eq!(r, Refusal::WrongIdNumber);
        let (s, _) = ok(s, id_number("right-digest"), at(4));
        assert_eq!(
            (s.stage, s.next_step()),
            (Stage::Opened, Some(IdentityStep::SmsCode))
        );
        let (s, r) = refused(s, yes(0), at(5));
        assert_eq!(r, Refusal::NotVerified);
        let (s, _) = ok(s, issue(CODE), at(6));
        let (s, _) = ok(s, submit(CODE), at(7));
        assert_eq!((s.stage, s.next_step()), (Stage::Verified, None));
        let (_, r) = refused(s, id_number("right-digest"), at(8));
        assert_eq!(r, Refusal::AlreadyVerified);
    }

    #[test]
    fn wrong_id_numbers_count_like_wrong_codes() {
        let mut s = with_steps(&[IdentityStep::SmsCode, IdentityStep::IdNumber]);
        s = ok(s, issue(CODE), at(2)).0;
        for _ in 0..4 {
            s = refused(s, submit("000000"), at(3)).0;
        }
        s = ok(s, submit(CODE), at(4)).0;
        for n in 0..5 {
            let (next, r) = refused(s, id_number("nope"), at(5 + n));
            s = next;
            assert_eq!(r, Refusal::WrongIdNumber);
        }
        // The tenth wrong try of the day (4 codes + 6 ID numbers) locks the session.
        let (s, r) = refused(s, id_number("nope"), at(20));
        assert!(matches!(r, Refusal::SessionLocked { .. }), "{r:?}");
        let (_, r) = refused(s, id_number("right-digest"), at(21));
        assert!(matches!(r, Refusal::SessionLocked { .. }));
    }

    #[test]
    fn a_signature_comes_after_the_items_and_before_completion() {
        use crate::signature::sample_submission;
        let mut s = with_steps(&[IdentityStep::SmsCode, IdentityStep::Signature]);
        assert_eq!(s.next_step(), Some(IdentityStep::SmsCode));
        s = ok(s, issue(CODE), at(2)).0;
        s = ok(s, submit(CODE), at(3)).0;
        assert_eq!((s.stage, s.next_step()), (Stage::Verified, None));
        let sign = || Event::Sign {
            submission: sample_submission(),
        };
        let (mut s, r) = refused(s, sign(), at(4));
        assert_eq!(r, Refusal::ItemsRemaining { remaining: 3 });
        for i in 0..3 {
            s = ok(s, yes(i), at(10 + i as u64 * 10)).0;
        }
        let (s, r) = refused(s, Event::Complete, at(50));
        assert_eq!(r, Refusal::SignatureRequired);
        let mut dot = sample_submission();
        dot.strokes = vec![vec![(1, 1), (2, 2)]];
        let (s, r) = refused(s, Event::Sign { submission: dot }, at(51));
        assert_eq!(r.code(), "signature_too_short");
        let (s, _) = ok(s, sign(), at(52));
        assert!(s.signature.is_some());
        let (s, _) = ok(s, Event::Complete, at(53));
        assert_eq!(s.stage, Stage::Completed);
    }

    #[test]
    fn no_signature_is_taken_when_the_script_does_not_ask() {
        let mut s = verified_session();
        for i in 0..3 {
            s = ok(s, yes(i), at(40 + i as u64)).0;
        }
        let e = Event::Sign {
            submission: crate::signature::sample_submission(),
        };
        let (_, r) = refused(s, e, at(50));
        assert_eq!(r, Refusal::WrongStep);
    }

    #[test]
    fn a_code_needs_an_opened_link() {
        let (_, r) = refused(new_session(), issue(CODE), at(1));
        assert_eq!(r, Refusal::NotOpened);
    }

    #[test]
    fn issuing_a_code_sends_it_and_keeps_only_its_hash() {
        let (s, _) = ok(new_session(), open(), at(1));
        let (s, effect) = ok(s, issue(CODE), at(2));
        match effect {
            Effect::SendSms { to, text } => {
                assert_eq!(to.as_str(), "13812345678");
                assert!(text.contains(CODE));
            }
            other => panic!("{other:?}"),
        }
        let stored = serde_json::to_string(&s).unwrap();
        assert!(!stored.contains(CODE), "the clear code must not be stored");
    }

    #[test]
    fn resends_are_at_least_60_seconds_apart() {
        let (s, _) = ok(new_session(), open(), at(1));
        let (s, _) = ok(s, issue(CODE), at(10));
        let (s, r) = refused(s, issue("111111"), at(69));
        assert_eq!(
            r,
            Refusal::ResendTooSoon {
                retry_after_secs: 1
            }
        );
        assert_eq!(r.retry_after_secs(), Some(1));
        let (s, _) = ok(s, issue("111111"), at(70));
        // The new code replaces the old one.
        let (s, r) = refused(s, submit(CODE), at(71));
        assert!(matches!(r, Refusal::WrongCode { .. }));
        ok(s, submit("111111"), at(72));
    }

    #[test]
    fn a_wrong_code_counts_and_five_void_the_code() {
        let (s, _) = ok(new_session(), open(), at(1));
        let (mut s, _) = ok(s, issue(CODE), at(2));
        for left in (0..WRONG_TRIES_PER_CODE).rev() {
            let (next, r) = refused(s, submit("000000"), at(3));
            assert_eq!(r, Refusal::WrongCode { tries_left: left });
            s = next;
        }
        // Even the right code is refused once the code is void.
        let (_, r) = refused(s, submit(CODE), at(4));
        assert_eq!(r, Refusal::CodeExpired);
    }

    #[test]
    fn an_undelivered_code_frees_the_resend_slot() {
        let (s, _) = ok(new_session(), open(), at(1));
        let (s, _) = ok(s, issue(CODE), at(2));
        // A stale notice (another send time) changes nothing.
        let (s, _) = ok(s, Event::CodeUndelivered { sent_at: at(1) }, at(3));
        assert!(s.code.is_some());
        let (s, _) = ok(s, Event::CodeUndelivered { sent_at: at(2) }, at(3));
        assert_eq!(s.stage, Stage::Opened);
        assert_eq!(s.resend_wait_secs(at(3)), 0);
        let (_, r) = refused(s, submit(CODE), at(4));
        assert_eq!(r, Refusal::NoCodeSent);
    }

    #[test]
    fn a_code_lasts_five_minutes() {
        let (s, _) = ok(new_session(), open(), at(1));
        let (s, _) = ok(s, issue(CODE), at(0));
        let (_, r) = refused(s.clone(), submit(CODE), at(301));
        assert_eq!(r, Refusal::CodeExpired);
        ok(s, submit(CODE), at(300));
    }

    #[test]
    fn a_code_works_once() {
        let s = verified_session();
        assert!(s.code.is_none());
        let (_, r) = refused(s, submit(CODE), at(31));
        assert_eq!(r, Refusal::AlreadyVerified);
    }

    #[test]
    fn items_need_verification_and_come_in_order() {
        let (s, _) = ok(new_session(), open(), at(1));
        let (_, r) = refused(s, yes(0), at(2));
        assert_eq!(r, Refusal::NotVerified);

        let s = verified_session();
        let (s, r) = refused(s, yes(1), at(40));
        assert_eq!(r, Refusal::OutOfOrder { expected: 1 });
        let (s, _) = ok(s, yes(0), at(41));
        let (s, r) = refused(s, yes(2), at(42));
        assert_eq!(r, Refusal::OutOfOrder { expected: 2 });
        let (_, r) = refused(s, yes(9), at(43));
        assert_eq!(r, Refusal::NoSuchItem(10));
    }

    #[test]
    fn a_repeated_answer_is_refused_and_never_counted_twice() {
        let (s, _) = ok(verified_session(), yes(0), at(41));
        let no = Event::Answer {
            index: 0,
            answer: AnswerKind::No,
            comment: None,
        };
        let (s, r) = refused(s, no, at(42));
        assert_eq!(r, Refusal::AlreadyAnswered(1));
        assert_eq!(r.code(), "already_answered");
        assert_eq!(s.answers.len(), 1);
        assert_eq!(s.answers[0].answer, AnswerKind::Yes);
        let answered = s
            .trace
            .iter()
            .filter(|e| matches!(e.event, TraceEvent::ItemAnswered { .. }))
            .count();
        assert_eq!(answered, 1);
    }

    #[test]
    fn the_language_comes_from_the_first_open_and_can_be_changed() {
        let first = Event::Open {
            device: crate::fixtures::DEVICE.into(),
            lang: Some(Lang::En),
        };
        let (s, _) = ok(new_session(), first, at(1));
        assert_eq!(s.lang, Lang::En);
        // A later open (a reload) does not override the choice.
        let (s, _) = ok(s, Event::ChooseLanguage { lang: Lang::ZhCn }, at(2));
        let again = Event::Open {
            device: crate::fixtures::DEVICE.into(),
            lang: Some(Lang::En),
        };
        let (s, _) = ok(s, again, at(3));
        assert_eq!(s.lang, Lang::ZhCn);
        let chosen: Vec<_> = s
            .trace
            .iter()
            .filter_map(|e| match e.event {
                TraceEvent::LanguageChosen { lang } => Some(lang),
                _ => None,
            })
            .collect();
        assert_eq!(chosen, [Lang::En, Lang::ZhCn]);
        // Answers keep the language they were shown in.
        let s = crate::fixtures::verified_session(id());
        let (s, _) = ok(s, Event::ChooseLanguage { lang: Lang::En }, at(31));
        let (s, _) = ok(s, yes(0), at(40));
        assert_eq!(s.answers[0].lang, Lang::En);
        let (_, r) = refused(
            new_session(),
            Event::ChooseLanguage { lang: Lang::En },
            at(1),
        );
        assert_eq!(r, Refusal::NotOpened);
    }

    #[test]
    fn answers_are_stamped_with_the_edge_time() {
        let (s, _) = ok(verified_session(), yes(0), at(44));
        assert_eq!(s.answers[0].at, at(44));
    }

    #[test]
    fn a_no_is_recorded_and_the_revisit_goes_on() {
        let s = verified_session();
        let (s, _) = ok(
            s,
            Event::Answer {
                index: 0,
                answer: AnswerKind::No,
                comment: Some("  合同还没收到 ".into()),
            },
            at(40),
        );
        assert_eq!(s.answers[0].answer, AnswerKind::No);
        assert_eq!(s.answers[0].comment.as_deref(), Some("合同还没收到"));
        let (s, _) = ok(s, yes(1), at(50));
        assert_eq!(s.stage, Stage::Verified);
    }

    #[test]
    fn long_comments_are_refused() {
        let e = Event::Answer {
            index: 0,
            answer: AnswerKind::No,
            comment: Some("字".repeat(MAX_COMMENT_CHARS + 1)),
        };
        let (s, r) = refused(verified_session(), e, at(40));
        assert_eq!(r, Refusal::CommentTooLong);
        assert!(s.answers.is_empty());
    }

    #[test]
    fn completion_needs_every_item() {
        let (s, _) = ok(verified_session(), yes(0), at(40));
        let (_, r) = refused(s, Event::Complete, at(50));
        assert_eq!(r, Refusal::ItemsRemaining { remaining: 2 });
    }

    #[test]
    fn completion_asks_for_forwarding_and_kills_the_link() {
        let mut s = verified_session();
        for i in 0..3 {
            s = ok(s, yes(i), at(40 + i as u64)).0;
        }
        let (s, effect) = ok(s, Event::Complete, at(60));
        assert_eq!(effect, Effect::Forward);
        for e in [open(), Event::Complete, yes(0), issue(CODE)] {
            let (_, r) = refused(s.clone(), e, at(61));
            assert_eq!(r, Refusal::Finished);
        }
    }

    #[test]
    fn the_switch_to_phone_is_open_from_every_unfinished_stage() {
        // R7
        let opened = ok(new_session(), open(), at(1)).0;
        let code_sent = ok(opened.clone(), issue(CODE), at(2)).0;
        let mid_items = ok(verified_session(), yes(0), at(40)).0;
        for s in [
            new_session(),
            opened,
            code_sent,
            verified_session(),
            mid_items,
        ] {
            let e = Event::SwitchToPhone {
                reason: Some("想电话确认".into()),
            };
            let (s, effect) = ok(s, e, at(100));
            assert_eq!(effect, Effect::Forward);
            assert_eq!(s.stage, Stage::SwitchedToPhone);
            assert_eq!(s.switch_reason.as_deref(), Some("想电话确认"));
        }
        let (_, r) = refused(
            completed_session(),
            Event::SwitchToPhone { reason: None },
            at(200),
        );
        assert_eq!(r, Refusal::Finished);
    }

    #[test]
    fn the_link_dies_at_the_cooling_off_end() {
        // R1
        let s = verified_session();
        let end = s.revisit.cooling_off_ends_at;
        let (s, r) = refused(s, yes(0), end);
        assert_eq!(r, Refusal::Expired);
        assert_eq!(s.stage, Stage::Expired);
        let (_, r) = refused(s, open(), end.plus_millis(1));
        assert_eq!(r, Refusal::Expired);
    }

    #[test]
    fn the_expiry_alarm_expires_only_when_due() {
        let s = new_session();
        let end = s.revisit.cooling_off_ends_at;
        let (s, r) = refused(s, Event::Expire, at(5));
        assert_eq!(r, Refusal::NotDue);
        let (s, effect) = ok(s, Event::Expire, end);
        assert_eq!(effect, Effect::Forward);
        assert_eq!(s.stage, Stage::Expired);
    }
}

#[cfg(test)]
mod properties {
    use super::tests::{new_session, T0};
    use super::*;
    use crate::fixtures::open;
    use proptest::prelude::*;

    const RIGHT: &str = "135790";

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(open()),
            Just(Event::IssueCode {
                code: OtpCode::parse(RIGHT).unwrap(),
                salt: [9; 16]
            }),
            Just(Event::SubmitCode {
                code: OtpCode::parse(RIGHT).unwrap()
            }),
            (0u32..1_000_000).prop_map(|n| Event::SubmitCode {
                code: OtpCode::from_random(u64::from(n))
            }),
            (0usize..5, any::<bool>()).prop_map(|(index, yes)| Event::Answer {
                index,
                answer: if yes { AnswerKind::Yes } else { AnswerKind::No },
                comment: None,
            }),
            Just(Event::Complete),
            Just(Event::SwitchToPhone { reason: None }),
            Just(Event::Expire),
            Just(Event::Cancel),
            Just(Event::Open {
                device: "another-device".into(),
                lang: Some(Lang::En),
            }),
            Just(Event::ReissueLink {
                link_digest: "33".repeat(32)
            }),
        ]
    }

    proptest! {
        /// Whatever the policyholder (or an attacker) sends, in whatever order and timing, the
        /// session's invariants hold after every step.
        #[test]
        fn invariants_hold_for_any_event_sequence(
            steps in proptest::collection::vec((event(), 0u64..400_000), 1..60)
        ) {
            let mut s = new_session();
            let mut now = T0;
            let items = s.revisit.script.items.len();
            for (e, gap) in steps {
                now = now.plus_millis(gap);
                let before = s.clone();
                let (next, outcome) = s.apply(e, now);
                // R9: answers are exactly items 0..k, in order, stamped in time order.
                for (i, a) in next.answers.iter().enumerate() {
                    prop_assert_eq!(a.index, i);
                }
                prop_assert!(next.answers.windows(2).all(|w| w[0].at <= w[1].at));
                prop_assert!(next.answers.len() <= items);
                // Answers only after a verified code.
                if !next.answers.is_empty() {
                    prop_assert!(next.trace.iter().any(|t| t.event == TraceEvent::CodeVerified));
                }
                // Every item answer comes after every identity step of the script passed.
                if next.stage == Stage::Verified {
                    prop_assert_eq!(next.next_step(), None);
                }
                // Completed only with every item answered.
                if next.stage == Stage::Completed {
                    prop_assert_eq!(next.answers.len(), items);
                }
                // A finished session never changes again.
                if before.stage.is_finished() {
                    prop_assert_eq!(&next, &before);
                    prop_assert!(outcome.is_err());
                }
                // The clear code is never stored.
                let stored = serde_json::to_string(&next).unwrap();
                prop_assert!(!stored.contains(RIGHT));
                // The trace only grows.
                prop_assert!(next.trace.len() >= before.trace.len());
                s = next;
            }
        }
    }
}
