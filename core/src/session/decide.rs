//! One event applied to a live session: the dispatch of `Session::apply`, with the rules that hold
//! for every event first (a finished session takes nothing; R1: the link dies at the cooling-off end).

use super::{Effect, Event, Handoff, PendingCode, Refusal, Session, Stage, MAX_COMMENT_CHARS};
use crate::script::IdentityStep;
use crate::throttle::SENDS_PER_SESSION;
use crate::time::Timestamp;
use crate::trace::TraceEvent;

impl Session {
    pub(super) fn decide(&mut self, event: Event, now: Timestamp) -> Result<Vec<Effect>, Refusal> {
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
                Event::Expire => Ok(Vec::new()),
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
                Ok(Vec::new())
            }
            Event::ChooseLanguage { lang } => {
                if self.stage == Stage::Issued {
                    return Err(Refusal::NotOpened);
                }
                if lang != self.lang {
                    self.choose_language(lang, now);
                }
                Ok(Vec::new())
            }
            Event::Cancel => {
                self.finish(Stage::Cancelled, now);
                Ok(Vec::new())
            }
            Event::ReissueLink { link_digest } => {
                self.revisit.link_digest = link_digest;
                self.device_digest = None;
                self.code = None;
                self.passed.clear();
                self.signature = None;
                // A started face check of the old link is void; the tries used stay used.
                self.face.pending = None;
                self.face.declined = false;
                self.stage = Stage::Issued;
                self.record(now, TraceEvent::LinkReissued);
                Ok(Vec::new())
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
                // A code the gateway has refused so far never left: the new one replaces it and
                // it does not count against the day (issue 19).
                if let Some(unsent) = self.code.as_ref().filter(|c| c.handoff.failed()) {
                    let sent_at = unsent.sent_at;
                    self.give_up_code(sent_at, now);
                }
                self.sends
                    .admit(SENDS_PER_SESSION, now)
                    .map_err(|retry_after_secs| Refusal::SmsDailyLimit { retry_after_secs })?;
                self.code = Some(PendingCode::new(&code, salt, now));
                self.code_unsent = false;
                self.stage = Stage::CodeSent;
                self.record(now, TraceEvent::CodeSent);
                Ok(vec![Effect::SendCode {
                    to: self.revisit.phone.clone(),
                }])
            }
            Event::CodeUndelivered { sent_at } => {
                self.give_up_code(sent_at, now);
                Ok(Vec::new())
            }
            Event::CodeHandedOff { sent_at } => {
                if let Some(code) = self.code.as_mut().filter(|c| c.sent_at == sent_at) {
                    code.handoff = Handoff::Sent;
                }
                Ok(Vec::new())
            }
            Event::CodeHandoffFailed { sent_at, next_try } => {
                match (
                    self.code.as_mut().filter(|c| c.sent_at == sent_at),
                    next_try,
                ) {
                    (Some(code), Some(next_try)) => {
                        let failures = match code.handoff {
                            Handoff::Queued { failures, .. } => failures.saturating_add(1),
                            // Taken already (a late answer of an earlier try): nothing to retry.
                            Handoff::Sent => return Ok(Vec::new()),
                        };
                        code.handoff = Handoff::Queued { failures, next_try };
                    }
                    (Some(_), None) => {
                        if self.give_up_code(sent_at, now) {
                            self.code_unsent = true;
                        }
                    }
                    (None, _) => {}
                }
                Ok(Vec::new())
            }
            Event::Notified { notice, outcome } => {
                let event = match outcome {
                    Ok(()) => TraceEvent::NoticeSent { notice },
                    Err(reason) => TraceEvent::NoticeUndelivered { notice, reason },
                };
                self.record(now, event);
                Ok(Vec::new())
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
                Ok(Vec::new())
            }
            Event::SubmitIdNumber { digest } => self.submit_id_number(&digest, now),
            Event::StartFace => self.start_face(now),
            Event::FaceStarted {
                reference,
                redirect_url,
            } => self.face_started(&reference, &redirect_url, now),
            Event::FaceReturned { reference } => self.face_returned(&reference, now),
            Event::FaceResult { reference, result } => self.face_result(&reference, result, now),
            Event::DeclineFace => self.decline_face(now),
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
                Ok(Vec::new())
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
                Ok(Vec::new())
            }
        }
    }
}
