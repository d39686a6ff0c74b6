//! The record's custody at the edge (R1, R2, R4): a revisit is held as a live session; when the
//! session finishes its record is sealed into the outbox; the outbox is delivered to the origin,
//! retried with capped exponential backoff until acknowledged; the acknowledgement leaves only a
//! tombstone (no personal field), which is erased after a grace period.
//!
//! `Custody::update(input, now, &retry)` is pure, like `Session::apply`: it returns the next state
//! and the effects the shell (the edge's Durable Object) runs in order. Two effects ask the shell for
//! an answer, which comes back as the next input: `Seal` → `Input::Sealed`, `Deliver` →
//! `Input::Delivered` or `Input::DeliveryFailed`, `TakeCodeCaps` → `Input::CodeCaps`, `SendCode` →
//! `Input::CodeHandoff`.
//!
//! A code's SMS leaves the policyholder's request (issue 19): the send caps are taken while they
//! wait (a refusal is their answer), then the SMS is queued in the stored session and handed to
//! the gateway by the alarm, at once and again after failures (`code_sms`).

mod code_sms;

use crate::domain::{Phone, RevisitId};
use crate::record::{Outcome, SealedRecord};
use crate::session::{self, ClientInfo, Event, Notice, NoticeFailure, Refusal, Revisit, Session};
use crate::time::{Timestamp, DAY_MS, MINUTE_MS, SECOND_MS};
use crate::wire::RevisitStatus;
use serde::{Deserialize, Serialize};

/// How long a tombstone outlives the link, so that a late click still hears "ended", not "unknown".
pub const TOMBSTONE_GRACE_MS: u64 = 30 * DAY_MS;

/// How deliveries are retried: after the n-th failure the next try waits `base_ms · 2ⁿ`, at most
/// `max_ms`. Nothing is ever dropped; the wait only stops growing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base_ms: u64,
    pub max_ms: u64,
}

impl Default for RetryPolicy {
    /// One second, doubling up to ten minutes.
    fn default() -> Self {
        Self {
            base_ms: SECOND_MS,
            max_ms: 10 * MINUTE_MS,
        }
    }
}

impl RetryPolicy {
    /// The wait before the next try, after `failures` failed deliveries.
    pub fn delay_ms(&self, failures: u32) -> u64 {
        // Past 2²⁰ the cap has long been reached; the shift must not overflow.
        self.base_ms
            .saturating_mul(1u64 << failures.min(20))
            .min(self.max_ms)
    }
}

/// An unfinished revisit is reminded once, by SMS, when this little of its cooling-off period is
/// left (R11: the electronic revisit is the first step; a reminder while it can still be done).
pub const REMIND_BEFORE_MS: u64 = 3 * DAY_MS;

/// What the custody's timing depends on: the delivery retries and when the reminder goes out. The
/// edge reads both from its settings (a test may shorten the reminder's lead).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustodyPolicy {
    pub retry: RetryPolicy,
    pub remind_before_ms: u64,
}

impl Default for CustodyPolicy {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            remind_before_ms: REMIND_BEFORE_MS,
        }
    }
}

/// A sealed record waiting for the origin, and how many deliveries have failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    pub sealed: SealedRecord,
    pub attempts: u32,
}

/// What remains after the origin acknowledged the record: no personal field (R2, R6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    pub revisit_id: RevisitId,
    pub link_digest: String,
    pub outcome: Outcome,
    pub record_hash: String,
    pub delivered_at: Timestamp,
    pub link_expires_at: Timestamp,
}

impl Tombstone {
    /// When the tombstone itself is erased.
    pub fn erase_at(&self) -> Timestamp {
        self.link_expires_at.plus_millis(TOMBSTONE_GRACE_MS)
    }

    /// What a late click on the link hears: it has ended, without any detail (R1).
    pub fn refusal(&self) -> Refusal {
        match self.outcome {
            Outcome::Expired => Refusal::Expired,
            _ => Refusal::Finished,
        }
    }

    /// The insurer's view: delivered, the session's data erased (no progress).
    pub fn status(&self) -> RevisitStatus {
        RevisitStatus {
            revisit_id: self.revisit_id.clone(),
            stage: self.outcome.stage(),
            expires_at: self.link_expires_at.to_rfc3339(),
            items_answered: None,
            item_count: None,
            delivered: true,
            record_hash: Some(self.record_hash.clone()),
        }
    }
}

/// Where the revisit's record is in its life at the edge.
#[derive(Clone, Debug, PartialEq)]
pub enum Custody {
    /// Nothing is held: never created, or erased after the grace period.
    Absent,
    /// The session: live, or finished and waiting for its seal.
    Live(Session),
    /// Finished and sealed: the record waits in the outbox for the origin's acknowledgement. The
    /// session stays until then, so the bound device still sees how it ended.
    Sealed {
        session: Session,
        outbox: Box<Outbox>,
    },
    /// Delivered and acknowledged: only the tombstone is left (R2).
    Delivered(Tombstone),
}

/// What happens to the custody.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The insurer created the revisit.
    Create(Revisit),
    /// What the send caps said of the code sent at `sent_at`, as `Effect::TakeCodeCaps` asked:
    /// `taken`, or refused (the shell answers the call with the refusal).
    CodeCaps { sent_at: Timestamp, taken: bool },
    /// Whether the gateway took the SMS of the code sent at `sent_at`, as `Effect::SendCode` asked.
    CodeHandoff { sent_at: Timestamp, taken: bool },
    /// The insurer asked, at creation, for the link to be sent by SMS. The link passes through
    /// and is never kept (only its digest is, R6).
    SendLink { link: String },
    /// What became of a notice SMS, as `Effect::SendNotice` asked.
    Notified {
        notice: Notice,
        outcome: Result<(), NoticeFailure>,
    },
    /// One session step (the policyholder's or the insurer's event), from `client` if known.
    Step {
        event: Event,
        client: Option<ClientInfo>,
    },
    /// The shell sealed the record, as `Effect::Seal` asked.
    Sealed(SealedRecord),
    /// The alarm rang.
    Alarm,
    /// The origin acknowledged the record with this hash.
    Delivered { record_hash: String },
    /// The delivery failed (unreachable, refused, or an acknowledgement of another record).
    DeliveryFailed,
}

/// What the shell must do, in this order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Keep the session as it now is.
    StoreSession,
    /// Make the session as it now is the one every other call sees, without writing it yet: a new
    /// code is written only with its caps' answer (`code_sms`), so that the throttle hop does not
    /// wait behind a write (the runtime holds a Durable Object's outgoing requests until its
    /// pending writes are durable) and the code and its alarm are one write (issue 19).
    HoldSession,
    /// Count the code sent at `sent_at` to this phone against the per-phone and per-IP send caps
    /// (R8, issue 19: while the policyholder waits) and answer with `Input::CodeCaps`; a refused
    /// send is the call's answer.
    TakeCodeCaps { to: Phone, sent_at: Timestamp },
    /// Hand the SMS of the code of this salt (drawn again: `OtpCode::derived`) to the insurer's
    /// gateway, and answer with `Input::CodeHandoff`. Run by the alarm, after the answer.
    SendCode {
        to: Phone,
        salt: String,
        sent_at: Timestamp,
    },
    /// Send a notice SMS (the link, or the reminder) to the policyholder through the insurer's
    /// gateway, within the phone number's daily cap, and answer with `Input::Notified`.
    SendNotice {
        to: Phone,
        text: String,
        notice: Notice,
    },
    /// Ask the insurer's origin to start a face check (R8) and answer with the step
    /// `Event::FaceStarted`; if the origin cannot, the call is refused with `face_unavailable`.
    StartFaceCheck {
        revisit_id: String,
        lang: crate::script::Lang,
    },
    /// Ask the insurer's origin for the result of this face check reference (with the ticket the
    /// browser brought back) and answer with the step `Event::FaceResult`.
    FetchFaceResult {
        revisit_id: String,
        reference: String,
    },
    /// Seal the finished session's record (R4) and answer with `Input::Sealed`.
    Seal,
    /// Keep the outbox as it now is.
    StoreOutbox,
    /// Hand the outbox's sealed record to the origin and answer with `Input::Delivered` or
    /// `Input::DeliveryFailed`.
    Deliver,
    /// Keep the tombstone.
    StoreTombstone,
    /// Erase the session and the outbox: nothing personal stays (R2).
    EraseSession,
    /// Erase everything this revisit left.
    EraseAll,
    /// Ring the alarm at this time (replacing any earlier one).
    SetAlarm(Timestamp),
}

/// An effect that only writes the object's own storage (a part, or the alarm), apart from the
/// others, so that a shell runs a run of them as one write and matches them exhaustively.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    Session,
    Outbox,
    Tombstone,
    Alarm(Timestamp),
}

impl Effect {
    /// The write this effect is, if it only writes the object's own storage. A run of them in a
    /// row is one write to the shell: they are committed together.
    pub fn as_write(&self) -> Option<Write> {
        match self {
            Effect::StoreSession => Some(Write::Session),
            Effect::StoreOutbox => Some(Write::Outbox),
            Effect::StoreTombstone => Some(Write::Tombstone),
            Effect::SetAlarm(wake) => Some(Write::Alarm(*wake)),
            // Listed, not a wildcard: a new effect must be placed on one side or the other.
            Effect::HoldSession
            | Effect::TakeCodeCaps { .. }
            | Effect::SendCode { .. }
            | Effect::SendNotice { .. }
            | Effect::StartFaceCheck { .. }
            | Effect::FetchFaceResult { .. }
            | Effect::Seal
            | Effect::Deliver
            | Effect::EraseSession
            | Effect::EraseAll => None,
        }
    }
}

/// Why an input was not taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CustodyError {
    /// The session refused the event (or the revisit has ended).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Create, when the revisit already exists.
    #[error("this revisit already exists")]
    Exists,
    /// No revisit is held here.
    #[error("no such revisit")]
    Unknown,
    /// The link presented is not this revisit's current link.
    #[error("the link is not valid")]
    UnknownLink,
}

/// The result of one input: the next state, the effects to run, and whether the input was taken.
/// A refused input can still have effects (a late event expires the session, which is sealed).
#[derive(Debug)]
pub struct Transition {
    pub custody: Custody,
    pub effects: Vec<Effect>,
    pub outcome: Result<(), CustodyError>,
}

impl Custody {
    /// The state as stored: the session, its outbox, and the tombstone, whichever exist.
    pub fn from_parts(
        session: Option<Session>,
        outbox: Option<Outbox>,
        tombstone: Option<Tombstone>,
    ) -> Self {
        match (session, outbox, tombstone) {
            (Some(session), Some(outbox), _) => Self::Sealed {
                session,
                outbox: Box::new(outbox),
            },
            (Some(session), None, _) => Self::Live(session),
            (None, _, Some(tombstone)) => Self::Delivered(tombstone),
            // An outbox without its session cannot be written (they are erased together).
            (None, _, None) => Self::Absent,
        }
    }

    /// The session while it is live and unfinished: the one that may wait for a code's SMS, the
    /// reminder or the cooling-off end (what its alarm is for).
    fn unfinished(&self) -> Option<&Session> {
        match self {
            Self::Live(session) if !session.stage.is_finished() => Some(session),
            _ => None,
        }
    }

    /// The session, while it is held.
    pub fn session(&self) -> Option<&Session> {
        match self {
            Self::Live(session) | Self::Sealed { session, .. } => Some(session),
            Self::Absent | Self::Delivered(_) => None,
        }
    }

    /// The outbox, while the record waits for the origin.
    pub fn outbox(&self) -> Option<&Outbox> {
        match self {
            Self::Sealed { outbox, .. } => Some(outbox),
            _ => None,
        }
    }

    /// The tombstone, once delivered.
    pub fn tombstone(&self) -> Option<&Tombstone> {
        match self {
            Self::Delivered(tombstone) => Some(tombstone),
            _ => None,
        }
    }

    /// The session a link opens: only with the revisit's current link (a re-issued link kills the
    /// old one); after delivery the link hears that the revisit has ended.
    pub fn session_for_link(&self, link_digest: &str) -> Result<&Session, CustodyError> {
        match self {
            Self::Live(session) | Self::Sealed { session, .. }
                if session.revisit.link_digest == link_digest =>
            {
                Ok(session)
            }
            Self::Delivered(t) if t.link_digest == link_digest => Err(t.refusal().into()),
            _ => Err(CustodyError::UnknownLink),
        }
    }

    /// The insurer's view of the revisit: live (with the pending record's hash once sealed), or
    /// delivered and erased.
    pub fn status(&self) -> Result<RevisitStatus, CustodyError> {
        match self {
            Self::Live(session) => Ok(RevisitStatus::of(session, None)),
            Self::Sealed { session, outbox } => Ok(RevisitStatus::of(
                session,
                Some(outbox.sealed.seal.record_hash.clone()),
            )),
            Self::Delivered(t) => Ok(t.status()),
            Self::Absent => Err(CustodyError::Unknown),
        }
    }

    /// Applies one input at `now`. Store and run what the transition says whatever its outcome.
    pub fn update(self, input: Input, now: Timestamp, policy: &CustodyPolicy) -> Transition {
        match input {
            Input::Create(revisit) => self.create(revisit, policy),
            Input::SendLink { link } => self.send_link(&link),
            Input::Notified { notice, outcome } => {
                self.step(Event::Notified { notice, outcome }, None, now)
            }
            Input::Step { event, client } => self.step(event, client, now),
            Input::CodeCaps { sent_at, taken } => self.code_caps(sent_at, taken, now, policy),
            Input::CodeHandoff { sent_at, taken } => self.code_handoff(sent_at, taken, now, policy),
            Input::Sealed(sealed) => self.sealed(sealed, now),
            Input::Alarm => self.alarm(now, policy),
            Input::Delivered { record_hash } => self.delivered(record_hash, now),
            Input::DeliveryFailed => self.delivery_failed(now, &policy.retry),
        }
    }

    fn create(self, revisit: Revisit, policy: &CustodyPolicy) -> Transition {
        if !matches!(self, Self::Absent) {
            return refused(self, CustodyError::Exists);
        }
        // R1: wake at the cooling-off end to expire the link and forward what happened; before
        // that, for the reminder, if one is due.
        let session = Session::new(revisit);
        let wake = session
            .reminder_at(policy.remind_before_ms)
            .unwrap_or(session.revisit.cooling_off_ends_at);
        Transition {
            custody: Self::Live(session),
            effects: vec![Effect::StoreSession, Effect::SetAlarm(wake)],
            outcome: Ok(()),
        }
    }

    /// The link SMS, while the revisit is live and unfinished (a link for an ended revisit would
    /// only mislead).
    fn send_link(self, link: &str) -> Transition {
        let effects = match &self {
            Self::Live(session) if !session.stage.is_finished() => {
                vec![notice_effect(session, Notice::Link, Some(link))]
            }
            _ => Vec::new(),
        };
        Transition {
            custody: self,
            effects,
            outcome: Ok(()),
        }
    }

    /// A session step. The step that finishes the session (by its event, or by a late event at
    /// the cooling-off end) seals the record, once.
    fn step(self, event: Event, client: Option<ClientInfo>, now: Timestamp) -> Transition {
        let session = match self {
            Self::Live(session) => session,
            // A finished session takes no event and never changes: nothing to store.
            Self::Sealed { ref session, .. } => {
                let (_, outcome) = session.clone().apply_from(event, now, client);
                let outcome = outcome.map(|_| ()).map_err(CustodyError::from);
                return Transition {
                    custody: self,
                    effects: Vec::new(),
                    outcome,
                };
            }
            Self::Delivered(_) => return refused(self, Refusal::Finished.into()),
            Self::Absent => return refused(self, CustodyError::Unknown),
        };
        let was_finished = session.stage.is_finished();
        let (next, outcome) = session.apply_from(event, now, client);
        // A step that issues a code is held, not written: it is written with the caps' answer
        // (`code_sms`). Every other step is stored before anything goes out.
        let issues_code = matches!(&outcome, Ok(steps) if steps.iter().any(|s| matches!(s, session::Effect::SendCode { .. })));
        let mut effects = vec![if issues_code {
            Effect::HoldSession
        } else {
            Effect::StoreSession
        }];
        if !was_finished && next.stage.is_finished() {
            effects.push(Effect::Seal);
        }
        let outcome = match outcome {
            Ok(steps) => {
                let sent_at = next.code.as_ref().map_or(now, |c| c.sent_at);
                effects.extend(steps.into_iter().map(|effect| match effect {
                    session::Effect::SendCode { to } => Effect::TakeCodeCaps { to, sent_at },
                    session::Effect::StartFaceCheck { revisit_id, lang } => {
                        Effect::StartFaceCheck { revisit_id, lang }
                    }
                    session::Effect::FetchFaceResult {
                        revisit_id,
                        reference,
                    } => Effect::FetchFaceResult {
                        revisit_id,
                        reference,
                    },
                }));
                Ok(())
            }
            Err(refusal) => Err(refusal.into()),
        };
        Transition {
            custody: Self::Live(next),
            effects,
            outcome,
        }
    }

    /// The record is sealed: into the outbox, and delivered at once (by the alarm).
    fn sealed(self, sealed: SealedRecord, now: Timestamp) -> Transition {
        match self {
            Self::Live(session) if session.stage.is_finished() => Transition {
                custody: Self::Sealed {
                    session,
                    outbox: Box::new(Outbox {
                        sealed,
                        attempts: 0,
                    }),
                },
                effects: vec![Effect::StoreOutbox, Effect::SetAlarm(now)],
                outcome: Ok(()),
            },
            // A seal nobody asked for changes nothing.
            other => unchanged(other),
        }
    }

    fn alarm(self, now: Timestamp, policy: &CustodyPolicy) -> Transition {
        match self {
            Self::Sealed { .. } => Transition {
                custody: self,
                effects: vec![Effect::Deliver],
                outcome: Ok(()),
            },
            // Finished but not sealed (the seal failed): seal now.
            Self::Live(ref session) if session.stage.is_finished() => Transition {
                custody: self,
                effects: vec![Effect::Seal],
                outcome: Ok(()),
            },
            Self::Live(ref session) => {
                let ends = session.revisit.cooling_off_ends_at;
                if now >= ends {
                    return self.step(Event::Expire, None, now);
                }
                // Before the end: a queued code SMS if due (its answer sets the next alarm), the
                // reminder if it is due (once), then sleep until what comes next; or woken early
                // (an alarm left from before): sleep until what comes next.
                let code = code_sms::due(session, now);
                let mut effects: Vec<Effect> = code.iter().cloned().collect();
                match session.reminder_at(policy.remind_before_ms) {
                    Some(at) if now >= at => {
                        effects.push(notice_effect(session, Notice::Reminder, None));
                        if code.is_none() {
                            effects.push(Effect::SetAlarm(code_sms::wake_after(session, ends)));
                        }
                    }
                    _ if code.is_none() => {
                        effects.push(Effect::SetAlarm(code_sms::wake(session, policy)));
                    }
                    _ => {}
                }
                Transition {
                    custody: self,
                    effects,
                    outcome: Ok(()),
                }
            }
            Self::Delivered(ref t) => {
                let erase_at = t.erase_at();
                if now >= erase_at {
                    Transition {
                        custody: Self::Absent,
                        effects: vec![Effect::EraseAll],
                        outcome: Ok(()),
                    }
                } else {
                    Transition {
                        custody: self,
                        effects: vec![Effect::SetAlarm(erase_at)],
                        outcome: Ok(()),
                    }
                }
            }
            Self::Absent => unchanged(self),
        }
    }

    /// The origin has the record: keep only the tombstone and erase the session (R2).
    fn delivered(self, record_hash: String, now: Timestamp) -> Transition {
        let Self::Sealed { session, outbox } = self else {
            return unchanged(self);
        };
        let record = &outbox.sealed.record;
        let tombstone = Tombstone {
            revisit_id: record.revisit_id.clone(),
            link_digest: session.revisit.link_digest,
            outcome: record.outcome,
            record_hash,
            delivered_at: now,
            link_expires_at: record.cooling_off_ends_at,
        };
        let erase_at = tombstone.erase_at();
        Transition {
            custody: Self::Delivered(tombstone),
            effects: vec![
                Effect::StoreTombstone,
                Effect::EraseSession,
                Effect::SetAlarm(erase_at),
            ],
            outcome: Ok(()),
        }
    }

    /// Another failure: count it and try again later, never give up.
    fn delivery_failed(self, now: Timestamp, retry: &RetryPolicy) -> Transition {
        let Self::Sealed {
            session,
            mut outbox,
        } = self
        else {
            return unchanged(self);
        };
        outbox.attempts = outbox.attempts.saturating_add(1);
        let next_try = now.plus_millis(retry.delay_ms(outbox.attempts));
        Transition {
            custody: Self::Sealed { session, outbox },
            effects: vec![Effect::StoreOutbox, Effect::SetAlarm(next_try)],
            outcome: Ok(()),
        }
    }
}

/// The SMS of `notice` for `session`, in the language the policyholder last chose (the default,
/// Chinese, before they opened the link).
fn notice_effect(session: &Session, notice: Notice, link: Option<&str>) -> Effect {
    let words = crate::words::edge(session.lang);
    let r = &session.revisit;
    let date = crate::working_days::beijing_date(r.cooling_off_ends_at);
    let ends = crate::words::SmsDate {
        year: chrono::Datelike::year(&date),
        month: chrono::Datelike::month(&date),
        day: chrono::Datelike::day(&date),
    };
    let policy = r.policy_number.masked();
    let text = match (notice, link) {
        (Notice::Link, Some(link)) => (words.link_sms)(&policy, ends, link),
        _ => (words.reminder_sms)(&policy, ends),
    };
    Effect::SendNotice {
        to: r.phone.clone(),
        text,
        notice,
    }
}

fn unchanged(custody: Custody) -> Transition {
    Transition {
        custody,
        effects: Vec::new(),
        outcome: Ok(()),
    }
}

fn refused(custody: Custody, error: CustodyError) -> Transition {
    Transition {
        custody,
        effects: Vec::new(),
        outcome: Err(error),
    }
}

#[cfg(test)]
mod tests;
