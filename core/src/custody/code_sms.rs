//! A code's SMS, off the policyholder's request (issue 19). `send_code` takes the per-phone and
//! per-IP send caps while the policyholder waits (R8: a refused send is refused in the answer, with
//! `rate_limited` or the SMS daily limit, as the page knows them); the SMS itself is queued in the
//! stored session (`Handoff::Queued`, nothing but the salt the code is drawn from, never the code)
//! and handed to the insurer's gateway by the object's alarm: at once, then after each failure with
//! the delivery's backoff, until the code expires. A code the gateway never took is given up and
//! the policyholder told, with the resend open at once. One alarm serves it, the reminder, the
//! cooling-off end and the record's delivery: `wake` is the earliest of what the live session
//! waits for.
//!
//! The new code is held (`Effect::HoldSession`: every other call of the object sees it, so the
//! resend lock holds) but written only with the caps' answer, in one write with its alarm
//! (`StoreSession` then `SetAlarm`, which the edge issues together). So the answer waits for the
//! throttle hop and one write, not for a write, then the hop (the runtime holds a Durable
//! Object's outgoing requests until its pending writes are durable), then the alarm's write.
//! If the object stops during the hop, nothing was written: the code never existed, and a
//! place the throttles took is only counted against the policyholder, never in their favour.
//! The caps stay where they were decided before (the `SendThrottle` objects, asked by the
//! session object): the worker cannot ask the phone's throttle itself without the session's
//! number, and counting the phone's cap at the hand-off would turn a daily-limit refusal into a
//! "could not be sent" that the page offers to resend at once.

use super::{Custody, CustodyPolicy, Effect, Transition};
use crate::session::{Event, Handoff, Session, CODE_VALID_MS};
use crate::time::Timestamp;

/// The hand-off of the session's queued code SMS, if one is due at `now`.
pub(super) fn due(session: &Session, now: Timestamp) -> Option<Effect> {
    let code = session.code.as_ref()?;
    (code.handoff_due()? <= now).then(|| Effect::SendCode {
        to: session.revisit.phone.clone(),
        salt: code.salt.clone(),
        sent_at: code.sent_at,
    })
}

/// When a live session's alarm must ring next: the queued code SMS's next try, the reminder, or
/// the cooling-off end, whichever comes first.
pub(super) fn wake(session: &Session, policy: &CustodyPolicy) -> Timestamp {
    let ends = session.revisit.cooling_off_ends_at;
    let next = session
        .reminder_at(policy.remind_before_ms)
        .map_or(ends, |at| at.min(ends));
    wake_after(session, next)
}

/// `next`, or the queued code SMS's next try if that is sooner.
pub(super) fn wake_after(session: &Session, next: Timestamp) -> Timestamp {
    session
        .code
        .as_ref()
        .and_then(|c| c.handoff_due())
        .map_or(next, |at| at.min(next))
}

impl Custody {
    /// The caps' word on a code: taken, the held session is written with its alarm, which hands
    /// the SMS off at once (after the answer); refused, the code is forgotten (the resend stays
    /// open), that is written, and the call refused.
    pub(super) fn code_caps(
        self,
        sent_at: Timestamp,
        taken: bool,
        now: Timestamp,
        policy: &CustodyPolicy,
    ) -> Transition {
        if !taken {
            return self.step(Event::CodeUndelivered { sent_at }, None, now);
        }
        let effects = match self.unfinished() {
            Some(session) => vec![
                Effect::StoreSession,
                Effect::SetAlarm(wake(session, policy)),
            ],
            None => Vec::new(),
        };
        Transition {
            custody: self,
            effects,
            outcome: Ok(()),
        }
    }

    /// The gateway's word on a code SMS: taken, or tried again after the delivery's backoff while
    /// the code is valid, else given up (the policyholder hears that it could not be sent).
    pub(super) fn code_handoff(
        self,
        sent_at: Timestamp,
        taken: bool,
        now: Timestamp,
        policy: &CustodyPolicy,
    ) -> Transition {
        // A finished session holds no code: nothing to do.
        let Some(session) = self.unfinished() else {
            return super::unchanged(self);
        };
        let failures = match session.code.as_ref().map(|c| c.handoff) {
            Some(Handoff::Queued { failures, .. }) => failures,
            _ => 0,
        };
        let event = if taken {
            Event::CodeHandedOff { sent_at }
        } else {
            let next_try = now.plus_millis(policy.retry.delay_ms(failures));
            let expires = sent_at.plus_millis(CODE_VALID_MS);
            Event::CodeHandoffFailed {
                sent_at,
                next_try: (next_try < expires).then_some(next_try),
            }
        };
        let mut transition = self.step(event, None, now);
        if let Some(session) = transition.custody.unfinished() {
            let wake = wake(session, policy);
            transition.effects.push(Effect::SetAlarm(wake));
        }
        transition
    }
}

#[cfg(test)]
mod tests;
