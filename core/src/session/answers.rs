//! Reading and answering (R9): the items come in order, each answered once, stamped with the
//! edge's time and the language it was shown in.

use super::{
    Answer, AnswerKind, Effect, Refusal, Session, Stage, MAX_COMMENT_CHARS, READING_TOLERANCE_MS,
};
use crate::time::{Timestamp, SECOND_MS};
use crate::trace::TraceEvent;

impl Session {
    pub(super) fn answer(
        &mut self,
        index: usize,
        answer: AnswerKind,
        comment: Option<String>,
        now: Timestamp,
    ) -> Result<Vec<Effect>, Refusal> {
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
        // R9: enforced here, not only in the page: a script that answers for the policyholder
        // (代答) must not get through faster than a reader could.
        let minimum_ms = u64::from(items[index].min_read_secs()) * SECOND_MS;
        if let Some(shown_at) = self.item_shown_at() {
            let after_ms = now.since(shown_at);
            if after_ms + READING_TOLERANCE_MS < minimum_ms {
                let wait_ms = minimum_ms - READING_TOLERANCE_MS - after_ms;
                // Traced once per showing of the item: a script that keeps firing is refused every
                // time, but must not grow the stored session without bound (past the storage's
                // value limit every later request of the revisit would fail with a 5xx).
                if !self.answer_too_soon_traced(index) {
                    self.record(
                        now,
                        TraceEvent::AnswerTooSoon {
                            index,
                            after_ms,
                            minimum_ms,
                        },
                    );
                }
                return Err(Refusal::AnsweredTooSoon {
                    retry_after_secs: wait_ms.div_ceil(SECOND_MS).max(1),
                });
            }
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
        Ok(Vec::new())
    }

    /// Whether a too-soon answer to item `index` is traced since the item was last shown.
    fn answer_too_soon_traced(&self, index: usize) -> bool {
        self.trace.iter().fold(false, |traced, e| match e.event {
            TraceEvent::CodeVerified
            | TraceEvent::IdNumberVerified
            | TraceEvent::ItemAnswered { .. } => false,
            TraceEvent::AnswerTooSoon { index: i, .. } => traced || i == index,
            _ => traced,
        })
    }

    /// When the item now due was shown: when the last identity step passed, or when the item
    /// before it was answered (the page shows an item only after that). `record::interference_flags`
    /// measures from the same instants.
    pub fn item_shown_at(&self) -> Option<Timestamp> {
        self.trace
            .iter()
            .filter(|e| {
                matches!(
                    e.event,
                    TraceEvent::CodeVerified
                        | TraceEvent::IdNumberVerified
                        | TraceEvent::ItemAnswered { .. }
                )
            })
            .last()
            .map(|e| e.at)
    }
}
