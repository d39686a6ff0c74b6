//! Reading and answering (R9): the items come in order, each answered once, stamped with the
//! edge's time and the language it was shown in.

use super::{Answer, AnswerKind, Effect, Refusal, Session, Stage, MAX_COMMENT_CHARS};
use crate::time::Timestamp;
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
}
