//! The record the edge forwards to the insurer's origin when a session finishes (R3, R4), and its seal.
//!
//! The record holds what the policyholder was shown (each item's exact text and content hash), what
//! they answered and when, the operation trace, and the outcome. The seal is an Ed25519 signature by
//! the edge over the record's RFC 8785 canonical JSON; the origin accepts a record only if the seal
//! verifies under one of its trusted keys.

use crate::domain::{PolicyNumber, RevisitId};
use crate::script::canonical_sha256;
use crate::session::{AnswerKind, Session, Stage, TraceEntry};
use crate::signing::{EdgeKey, SignatureError, TrustedKeys};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Bumped when the record's shape changes; verifiers read it first.
pub const RECORD_FORMAT: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    SwitchedToPhone,
    Expired,
    Cancelled,
}

impl Outcome {
    /// The wire spelling (`completed`, `switched_to_phone`, `expired`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::SwitchedToPhone => "switched_to_phone",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// The session stage that ends with this outcome.
    pub fn stage(self) -> Stage {
        match self {
            Self::Completed => Stage::Completed,
            Self::SwitchedToPhone => Stage::SwitchedToPhone,
            Self::Expired => Stage::Expired,
            Self::Cancelled => Stage::Cancelled,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordItem {
    pub index: usize,
    pub id: String,
    pub title: String,
    pub body: String,
    pub content_hash: String,
    pub answer: Option<AnswerKind>,
    pub comment: Option<String>,
    pub answered_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub format: u32,
    pub revisit_id: RevisitId,
    pub policy_number: PolicyNumber,
    pub product: String,
    /// Masked: the origin knows the policyholder from the policy number (R6: minimal data).
    pub policyholder_masked: String,
    pub phone_masked: String,
    pub outcome: Outcome,
    pub switch_reason: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Timestamp,
    pub cooling_off_ends_at: Timestamp,
    pub script_id: String,
    pub script_version: String,
    pub script_hash: String,
    pub items: Vec<RecordItem>,
    pub trace: Vec<TraceEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seal {
    pub key_id: String,
    /// Hex SHA-256 of the record's canonical JSON.
    pub record_hash: String,
    /// Hex Ed25519 signature over the record's canonical JSON.
    pub signature: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedRecord {
    pub record: Record,
    pub seal: Seal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("the session is not finished")]
    NotFinished,
    #[error("the record's format {0} is not known")]
    UnknownFormat(u32),
    #[error("the record hash does not match the record")]
    HashMismatch,
    #[error("the seal does not verify: {0}")]
    Seal(#[from] SignatureError),
}

impl RecordError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFinished => "not_finished",
            Self::UnknownFormat(_) => "unknown_record_format",
            Self::HashMismatch => "record_hash_mismatch",
            Self::Seal(e) => e.code(),
        }
    }
}

fn canonical_bytes(record: &Record) -> Vec<u8> {
    serde_jcs::to_vec(record).unwrap_or_default()
}

impl Record {
    /// The record of a finished session.
    pub fn of(session: &Session) -> Result<Self, RecordError> {
        let outcome = match session.stage {
            Stage::Completed => Outcome::Completed,
            Stage::SwitchedToPhone => Outcome::SwitchedToPhone,
            Stage::Expired => Outcome::Expired,
            Stage::Cancelled => Outcome::Cancelled,
            _ => return Err(RecordError::NotFinished),
        };
        let finished_at = session.finished_at.ok_or(RecordError::NotFinished)?;
        let r = &session.revisit;
        let items = r
            .script
            .items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let answer = session.answers.iter().find(|a| a.index == index);
                RecordItem {
                    index,
                    id: item.id.clone(),
                    title: item.title.clone(),
                    body: item.body.clone(),
                    content_hash: item.content_hash(),
                    answer: answer.map(|a| a.answer),
                    comment: answer.and_then(|a| a.comment.clone()),
                    answered_at: answer.map(|a| a.at),
                }
            })
            .collect();
        Ok(Self {
            format: RECORD_FORMAT,
            revisit_id: r.id.clone(),
            policy_number: r.policy_number.clone(),
            product: r.product.clone(),
            policyholder_masked: r.holder_name.masked(),
            phone_masked: r.phone.masked(),
            outcome,
            switch_reason: session.switch_reason.clone(),
            created_at: r.created_at,
            finished_at,
            cooling_off_ends_at: r.cooling_off_ends_at,
            script_id: r.script.id.clone(),
            script_version: r.script.version.clone(),
            script_hash: r.script.content_hash(),
            items,
            trace: session.trace.clone(),
        })
    }

    pub fn hash(&self) -> String {
        canonical_sha256(self)
    }

    /// Signs the record with the edge's key.
    pub fn seal(self, key: &EdgeKey) -> SealedRecord {
        let seal = Seal {
            key_id: key.key_id.clone(),
            record_hash: self.hash(),
            signature: key.sign(&canonical_bytes(&self)),
        };
        SealedRecord { record: self, seal }
    }

    /// Items answered "no": each one is a problem case for the insurer (R12).
    pub fn problem_items(&self) -> impl Iterator<Item = &RecordItem> {
        self.items
            .iter()
            .filter(|i| i.answer == Some(AnswerKind::No))
    }
}

impl SealedRecord {
    /// Checks format, hash and signature against the trusted keys.
    pub fn verify(&self, keys: &TrustedKeys) -> Result<(), RecordError> {
        if self.record.format != RECORD_FORMAT {
            return Err(RecordError::UnknownFormat(self.record.format));
        }
        if self.record.hash() != self.seal.record_hash {
            return Err(RecordError::HashMismatch);
        }
        keys.verify(
            &self.seal.key_id,
            &canonical_bytes(&self.record),
            &self.seal.signature,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::tests::{completed_session, new_session};

    fn key() -> EdgeKey {
        EdgeKey::from_seed_hex("edge-1", &"2a".repeat(32)).unwrap()
    }

    fn trusted() -> TrustedKeys {
        TrustedKeys::parse(&format!("edge-1={}", key().public_key_hex())).unwrap()
    }

    #[test]
    fn outcome_names_are_the_wire_spelling() {
        for o in [
            Outcome::Completed,
            Outcome::SwitchedToPhone,
            Outcome::Expired,
            Outcome::Cancelled,
        ] {
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
    }

    #[test]
    fn an_unfinished_session_has_no_record() {
        assert_eq!(Record::of(&new_session()), Err(RecordError::NotFinished));
    }

    #[test]
    fn the_record_carries_each_item_text_answer_and_time() {
        let record = Record::of(&completed_session()).unwrap();
        assert_eq!(record.outcome, Outcome::Completed);
        assert_eq!(record.items.len(), 3);
        for (i, item) in record.items.iter().enumerate() {
            assert_eq!(item.index, i);
            assert_eq!(item.answer, Some(AnswerKind::Yes));
            assert!(item.answered_at.is_some());
            assert!(item.body.contains("请完整阅读"));
        }
        assert_eq!(record.policyholder_masked, "张*");
        assert_eq!(record.phone_masked, "138****5678");
        let json = serde_json::to_string(&record).unwrap();
        assert!(
            !json.contains("13812345678"),
            "no clear phone in the record"
        );
    }

    #[test]
    fn a_sealed_record_verifies() {
        let sealed = Record::of(&completed_session()).unwrap().seal(&key());
        assert_eq!(sealed.verify(&trusted()), Ok(()));
        // And survives a JSON round trip, as it travels.
        let wire = serde_json::to_string(&sealed).unwrap();
        let back: SealedRecord = serde_json::from_str(&wire).unwrap();
        assert_eq!(back.verify(&trusted()), Ok(()));
    }

    #[test]
    fn any_change_or_unknown_key_fails_with_a_reason() {
        let sealed = Record::of(&completed_session()).unwrap().seal(&key());

        let mut changed = sealed.clone();
        changed.record.items[1].body.push('!');
        assert_eq!(changed.verify(&trusted()), Err(RecordError::HashMismatch));

        let mut rehashed = changed.clone();
        rehashed.seal.record_hash = rehashed.record.hash();
        assert_eq!(
            rehashed.verify(&trusted()),
            Err(RecordError::Seal(SignatureError::Mismatch))
        );

        let other = EdgeKey::from_seed_hex("edge-2", &"01".repeat(32)).unwrap();
        let foreign = Record::of(&completed_session()).unwrap().seal(&other);
        assert_eq!(
            foreign.verify(&trusted()),
            Err(RecordError::Seal(SignatureError::UnknownKey))
        );
    }
}
