//! The record the edge forwards to the insurer's origin when a session finishes (R3, R4), and its seal.
//!
//! The record holds what the policyholder was shown (each item's exact text and content hash), what
//! they answered and when, the operation trace, and the outcome. The seal is an Ed25519 signature by
//! the edge over the record's RFC 8785 canonical JSON; the origin accepts a record only if the seal
//! verifies under one of its trusted keys.

use crate::domain::{PolicyNumber, RevisitId, SalesChannel, SellerCode};
use crate::script::{canonical_sha256, Lang};
use crate::session::{AnswerKind, Session, Stage};
use crate::signing::{sha256_hex, EdgeKey, SignatureError, TrustedKeys};
use crate::time::{Timestamp, SECOND_MS};
use crate::trace::{Trace, TraceError, TraceEvent};
use serde::{Deserialize, Serialize};

/// Bumped when the record's shape changes; verifiers read it first.
/// 2: items carry the language they were shown in, paragraphs, and whether "no" is a problem.
/// Records are kept ten years and more (R5): every format ever sealed still verifies.
pub const RECORD_FORMAT: u32 = 2;
/// Format 1 (until 2026-11): an item's body was one text, in Chinese, and every "no" a problem.
pub const RECORD_FORMAT_1: u32 = 1;

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

/// An item's body as recorded: paragraphs (format 2), or one text with a line break between
/// paragraphs (format 1). Kept as sealed, so that an old record re-serialises to the same bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ItemBody {
    Paragraphs(Vec<String>),
    Text(String),
}

impl ItemBody {
    pub fn paragraphs(&self) -> Vec<&str> {
        match self {
            Self::Paragraphs(p) => p.iter().map(String::as_str).collect(),
            Self::Text(t) => t.split('\n').collect(),
        }
    }
}

impl RecordItem {
    /// The language shown: format 1 records were Chinese only.
    pub fn lang(&self) -> Lang {
        self.lang.unwrap_or(Lang::ZhCn)
    }

    /// Whether this item's answer raises a problem case (R12).
    pub fn is_problem(&self) -> bool {
        self.problem_on_no.unwrap_or(true) && self.answer == Some(AnswerKind::No)
    }

    /// Whether the item has the shape its record's format prescribes.
    fn fits(&self, format: u32) -> bool {
        match format {
            RECORD_FORMAT_1 => {
                self.lang.is_none()
                    && self.problem_on_no.is_none()
                    && matches!(self.body, ItemBody::Text(_))
            }
            _ => {
                self.lang.is_some()
                    && self.problem_on_no.is_some()
                    && matches!(self.body, ItemBody::Paragraphs(_))
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordItem {
    pub index: usize,
    pub id: String,
    /// The language the item was shown in (when answered; else the session's last language).
    /// Absent in format 1 (always Chinese then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
    /// The title and paragraphs exactly as shown.
    pub title: String,
    pub body: ItemBody,
    /// Hex SHA-256 of the canonical JSON of `{"title", "body"}`: the text shown (R3). (Format 1:
    /// of the whole script item.)
    pub content_hash: String,
    /// Whether a "no" to this item is a problem case (R12). Absent in format 1 (always then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem_on_no: Option<bool>,
    pub answer: Option<AnswerKind>,
    pub comment: Option<String>,
    pub answered_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub format: u32,
    /// The edge region (deployment environment) that ran the revisit, e.g. `beijing`.
    pub region: String,
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
    /// The hash-chained operation trace (R3, R4).
    pub trace: Trace,
    /// Signs of interference by sales staff (R10), for the insurer to look into.
    pub flags: Vec<Flag>,
    /// The handwritten signature (PNG, its SHA-256 and its ink), when the script asked for one.
    pub signature: Option<crate::signature::Signature>,
    /// How the policy was sold, when the insurer said (R13, R15). Absent when not given, so that
    /// a record without it re-serialises to the bytes it was sealed as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<SalesChannel>,
    /// The seller's code, when the insurer gave it: the origin keeps the seller off their own
    /// problem cases (R12). Absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_code: Option<SellerCode>,
    /// The face checks' results (R8): verdict, provider and the provider's evidence id, never an
    /// image. Absent when the script had no face step, so older records keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub face: Vec<crate::session::FaceResult>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// An item was answered sooner after it was shown than its minimum reading time.
    AnsweredTooFast,
    /// A request came from the agent's network.
    AgentNetwork,
    /// A request came with the agent's user agent.
    AgentDevice,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flag {
    pub kind: FlagKind,
    /// The item concerned, for `answered_too_fast`.
    pub item_index: Option<usize>,
    /// The trace entry that raised the flag.
    pub seq: usize,
    pub detail: String,
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
    #[error("an item does not have the shape of record format {0}")]
    ShapeNotOfFormat(u32),
    #[error("the record hash does not match the record")]
    HashMismatch,
    #[error("the seal does not verify: {0}")]
    Seal(#[from] SignatureError),
    #[error("the trace does not verify: {0}")]
    Trace(#[from] TraceError),
}

impl RecordError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFinished => "not_finished",
            Self::UnknownFormat(_) => "unknown_record_format",
            Self::ShapeNotOfFormat(_) => "record_shape_mismatch",
            Self::HashMismatch => "record_hash_mismatch",
            Self::Seal(e) => e.code().as_str(),
            Self::Trace(e) => e.code(),
        }
    }
}

fn canonical_bytes(record: &Record) -> Vec<u8> {
    crate::canonical::to_vec(record)
}

impl Record {
    /// The record of a finished session, run in `region`.
    pub fn of(session: &Session, region: &str) -> Result<Self, RecordError> {
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
                let lang = answer.map_or(session.lang, |a| a.lang);
                let text = item.text.get(lang);
                RecordItem {
                    index,
                    id: item.id.clone(),
                    lang: Some(lang),
                    title: text.title.clone(),
                    body: ItemBody::Paragraphs(text.body.clone()),
                    content_hash: text.content_hash(),
                    problem_on_no: Some(item.problem_on_no),
                    answer: answer.map(|a| a.answer),
                    comment: answer.and_then(|a| a.comment.clone()),
                    answered_at: answer.map(|a| a.at),
                }
            })
            .collect();
        Ok(Self {
            format: RECORD_FORMAT,
            region: region.to_string(),
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
            flags: interference_flags(session),
            signature: session.signature.clone(),
            channel: r.sale.channel,
            seller_code: r.sale.seller_code.clone(),
            face: session.face.results.clone(),
        })
    }

    pub fn hash(&self) -> String {
        canonical_sha256(self)
    }

    /// Signs the record with the edge's key.
    pub fn seal(self, key: &EdgeKey) -> SealedRecord {
        // One canonical form, hashed and signed (it is the costly part; issue 19).
        let bytes = canonical_bytes(&self);
        let seal = Seal {
            key_id: key.key_id.clone(),
            record_hash: sha256_hex(&bytes),
            signature: key.sign(&bytes),
        };
        SealedRecord { record: self, seal }
    }

    /// Items answered "no" where a "no" is a problem: each one is a problem case for the insurer
    /// (R12).
    pub fn problem_items(&self) -> impl Iterator<Item = &RecordItem> {
        self.items.iter().filter(|i| i.is_problem())
    }
}

impl SealedRecord {
    /// Checks format, hash and signature against the trusted keys.
    pub fn verify(&self, keys: &TrustedKeys) -> Result<(), RecordError> {
        let format = self.record.format;
        if format != RECORD_FORMAT && format != RECORD_FORMAT_1 {
            return Err(RecordError::UnknownFormat(format));
        }
        if !self.record.items.iter().all(|i| i.fits(format)) {
            return Err(RecordError::ShapeNotOfFormat(format));
        }
        // The canonical form is made once, for the hash and the signature: it is most of a check's
        // cost, and verify-archive runs this on every archived record (R4; issue 19).
        crate::canonical::with_bytes(&self.record, |bytes| {
            if sha256_hex(bytes) != self.seal.record_hash {
                return Err(RecordError::HashMismatch);
            }
            keys.verify(&self.seal.key_id, bytes, &self.seal.signature)
                .map_err(RecordError::from)
        })?;
        self.record.trace.verify()?;
        Ok(())
    }
}

/// R10: items answered faster than their minimum reading time, and requests from the agent's
/// network or device. Computed from the trace, so a verifier can recompute them.
pub fn interference_flags(session: &Session) -> Vec<Flag> {
    let items = &session.revisit.script.items;
    let mut flags = Vec::new();
    let mut shown_since: Option<Timestamp> = None;
    for entry in session.trace.iter() {
        match &entry.event {
            TraceEvent::CodeVerified | TraceEvent::IdNumberVerified => shown_since = Some(entry.at),
            TraceEvent::ItemAnswered { index, .. } => {
                if let (Some(since), Some(item)) = (shown_since, items.get(*index)) {
                    let took = entry.at.since(since);
                    let min = u64::from(item.min_read_secs()) * SECOND_MS;
                    if took < min {
                        flags.push(Flag {
                            kind: FlagKind::AnsweredTooFast,
                            item_index: Some(*index),
                            seq: entry.seq,
                            detail: format!("answered after {took} ms; minimum {min} ms"),
                        });
                    }
                }
                shown_since = Some(entry.at);
            }
            _ => {}
        }
    }
    if let Some(agent) = &session.revisit.agent {
        let clients = || {
            session
                .trace
                .iter()
                .filter_map(|e| Some((e.seq, e.client.as_ref()?)))
        };
        if let Some(prefix) = &agent.ip_prefix {
            if let Some((seq, c)) = clients().find(|(_, c)| c.ip_prefix == *prefix) {
                flags.push(Flag {
                    kind: FlagKind::AgentNetwork,
                    item_index: None,
                    seq,
                    detail: format!("request from the agent's network {}", c.ip_prefix),
                });
            }
        }
        if let Some(ua) = &agent.user_agent {
            if let Some((seq, _)) = clients().find(|(_, c)| c.user_agent == *ua) {
                flags.push(Flag {
                    kind: FlagKind::AgentDevice,
                    item_index: None,
                    seq,
                    detail: "request with the agent's user agent".into(),
                });
            }
        }
    }
    flags
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
        assert_eq!(
            Record::of(&new_session(), "test"),
            Err(RecordError::NotFinished)
        );
    }

    #[test]
    fn the_record_carries_each_item_text_answer_and_time() {
        let record = Record::of(&completed_session(), "test").unwrap();
        assert_eq!(record.outcome, Outcome::Completed);
        assert_eq!(record.items.len(), 3);
        for (i, item) in record.items.iter().enumerate() {
            assert_eq!(item.index, i);
            assert_eq!(item.answer, Some(AnswerKind::Yes));
            assert!(item.answered_at.is_some());
            assert!(item.body.paragraphs()[0].contains("请完整阅读"));
            assert_eq!(item.lang, Some(Lang::ZhCn));
            let shown = crate::script::ItemText {
                title: item.title.clone(),
                body: item
                    .body
                    .paragraphs()
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
            };
            assert_eq!(item.content_hash, shown.content_hash());
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
    fn each_item_keeps_the_language_it_was_answered_in() {
        use crate::fixtures::{at, verified_session};
        use crate::session::Event;
        let s = verified_session(crate::RevisitId::from_random([6; 12]));
        let answer = |index, answer| Event::Answer {
            index,
            answer,
            comment: None,
        };
        let (s, _) = s.apply(answer(0, AnswerKind::Yes), at(40));
        let (s, _) = s.apply(Event::ChooseLanguage { lang: Lang::En }, at(41));
        let (s, _) = s.apply(answer(1, AnswerKind::No), at(60));
        let (s, _) = s.apply(Event::SwitchToPhone { reason: None }, at(61));
        let record = Record::of(&s, "test").unwrap();
        let langs: Vec<Lang> = record.items.iter().map(RecordItem::lang).collect();
        assert_eq!(langs, [Lang::ZhCn, Lang::En, Lang::En]);
        assert!(record.items[0].title.contains("投保人"));
        assert!(record.items[1].title.starts_with("Did you sign"));
        assert_eq!(record.problem_items().count(), 1);
    }

    #[test]
    fn a_no_where_no_is_not_a_problem_raises_none() {
        let mut s = crate::fixtures::finished_session(
            crate::RevisitId::from_random([7; 12]),
            &[AnswerKind::No, AnswerKind::Yes, AnswerKind::No],
        );
        assert_eq!(Record::of(&s, "test").unwrap().problem_items().count(), 2);
        s.revisit.script.items[2].problem_on_no = false;
        let record = Record::of(&s, "test").unwrap();
        let problems: Vec<usize> = record.problem_items().map(|i| i.index).collect();
        assert_eq!(problems, [0]);
    }

    #[test]
    fn the_sample_answers_are_slow_enough_and_unflagged() {
        // The fixture answers every 20 s; each sample item needs less.
        assert_eq!(
            Record::of(&completed_session(), "test").unwrap().flags,
            vec![]
        );
    }

    #[test]
    fn answers_faster_than_the_reading_time_are_flagged() {
        // R10
        let mut s = completed_session();
        s.revisit.script.items[1].min_read_secs = Some(30);
        let flags = Record::of(&s, "test").unwrap().flags;
        assert_eq!(flags.len(), 1);
        assert_eq!(
            (flags[0].kind, flags[0].item_index),
            (FlagKind::AnsweredTooFast, Some(1))
        );
    }

    #[test]
    fn requests_from_the_agents_network_or_device_are_flagged() {
        use crate::fixtures::{at, sample_revisit};
        use crate::session::{AgentDevice, ClientInfo, Event};
        let mut revisit = sample_revisit(crate::RevisitId::from_random([4; 12]));
        revisit.agent = Some(AgentDevice {
            ip_prefix: Some("203.0.113.0/24".into()),
            user_agent: Some("AgentPhone/1.0".into()),
        });
        let from = |ip: &str, ua: &str| Some(ClientInfo::new(ip, ua));
        let s = Session::new(revisit);
        let open = crate::fixtures::open();
        let (s, _) = s.apply_from(open, at(1), from("203.0.113.99", "Policyholder/2.0"));
        let (s, _) = s.apply_from(
            Event::SwitchToPhone { reason: None },
            at(2),
            from("198.51.100.1", "AgentPhone/1.0"),
        );
        let kinds: Vec<_> = Record::of(&s, "test")
            .unwrap()
            .flags
            .iter()
            .map(|f| (f.kind, f.seq))
            .collect();
        assert_eq!(
            kinds,
            vec![(FlagKind::AgentNetwork, 1), (FlagKind::AgentDevice, 2)]
        );
    }

    #[test]
    fn a_broken_trace_fails_verification_even_if_resealed() {
        let mut record = Record::of(&completed_session(), "test").unwrap();
        let mut trace: Vec<crate::trace::TraceEntry> =
            serde_json::from_value(serde_json::to_value(&record.trace).unwrap()).unwrap();
        trace.remove(2);
        record.trace = serde_json::from_value(serde_json::to_value(trace).unwrap()).unwrap();
        let sealed = record.seal(&key());
        assert_eq!(
            sealed.verify(&trusted()),
            Err(RecordError::Trace(TraceError::Sequence(2)))
        );
    }

    #[test]
    fn a_format_1_record_sealed_by_the_first_release_still_verifies() {
        // R5: made by the first release (commit 0d62497) from its fixtures; never regenerate it.
        let json = include_str!("../testdata/format1-record.json");
        let sealed: SealedRecord = serde_json::from_str(json).unwrap();
        assert_eq!(sealed.record.format, RECORD_FORMAT_1);
        assert_eq!(sealed.verify(&trusted()), Ok(()));
        assert_eq!(sealed.record.items[1].lang(), Lang::ZhCn);
        assert_eq!(sealed.record.problem_items().count(), 1);
        // Still tamper-evident.
        let mut changed = sealed.clone();
        if let ItemBody::Text(t) = &mut changed.record.items[0].body {
            t.push('!');
        }
        assert_eq!(changed.verify(&trusted()), Err(RecordError::HashMismatch));
        // A format-1 record may not carry format-2 items, nor the reverse.
        let mut mixed = sealed.record.clone();
        mixed.items[0].lang = Some(Lang::En);
        assert_eq!(
            mixed.seal(&key()).verify(&trusted()),
            Err(RecordError::ShapeNotOfFormat(1))
        );
        let mut mixed = Record::of(&completed_session(), "test").unwrap();
        mixed.items[2].problem_on_no = None;
        assert_eq!(
            mixed.seal(&key()).verify(&trusted()),
            Err(RecordError::ShapeNotOfFormat(2))
        );
    }

    #[test]
    fn a_sealed_record_verifies() {
        let sealed = Record::of(&completed_session(), "test")
            .unwrap()
            .seal(&key());
        assert_eq!(sealed.verify(&trusted()), Ok(()));
        // And survives a JSON round trip, as it travels.
        let wire = serde_json::to_string(&sealed).unwrap();
        let back: SealedRecord = serde_json::from_str(&wire).unwrap();
        assert_eq!(back.verify(&trusted()), Ok(()));
    }

    #[test]
    fn any_change_or_unknown_key_fails_with_a_reason() {
        let sealed = Record::of(&completed_session(), "test")
            .unwrap()
            .seal(&key());

        let mut changed = sealed.clone();
        changed.record.items[1].title.push('!');
        assert_eq!(changed.verify(&trusted()), Err(RecordError::HashMismatch));

        let mut rehashed = changed.clone();
        rehashed.seal.record_hash = rehashed.record.hash();
        assert_eq!(
            rehashed.verify(&trusted()),
            Err(RecordError::Seal(SignatureError::Mismatch))
        );

        let other = EdgeKey::from_seed_hex("edge-2", &"01".repeat(32)).unwrap();
        let foreign = Record::of(&completed_session(), "test")
            .unwrap()
            .seal(&other);
        assert_eq!(
            foreign.verify(&trusted()),
            Err(RecordError::Seal(SignatureError::UnknownKey))
        );
    }
}
