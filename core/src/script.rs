//! The revisit script (回访话术): the ordered items the policyholder must read and confirm one by one
//! (R9). A script is data the insurer sends; `Script::parse` refuses one that could not be shown
//! faithfully. Each item's content hash goes into the record so the exact text shown is provable (R3).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Limits that keep a script showable on a phone and a record of bounded size.
pub const MAX_ITEMS: usize = 30;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 4_000;
const MAX_ID_CHARS: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptItem {
    pub id: String,
    pub title: String,
    pub body: String,
    /// Seconds the item must be on screen at least (R9); derived from its length when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_read_secs: Option<u32>,
}

/// Reading speed behind the derived minimum: a careful reader manages far less (R9, R10).
const FLOOR_CHARS_PER_SEC: usize = 15;
/// The longest minimum reading time a script may set.
pub const MAX_MIN_READ_SECS: u32 = 600;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub id: String,
    pub version: String,
    /// The identity steps (R8), in order, before the items. Absent means `["sms_code"]`.
    #[serde(
        default = "default_identity",
        skip_serializing_if = "is_default_identity"
    )]
    pub identity: Vec<IdentityStep>,
    pub items: Vec<ScriptItem>,
}

/// One way of making sure the policyholder in person is answering (R8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityStep {
    /// A one-time code sent by SMS to the policyholder's phone.
    SmsCode,
    /// The policyholder types their ID number; the edge compares keyed hashes.
    IdNumber,
    /// A handwritten signature after the last item, before completion (wherever it is listed).
    Signature,
    /// A face check through the insurer's own provider. Not available yet (the seam is here).
    Face,
}

fn default_identity() -> Vec<IdentityStep> {
    vec![IdentityStep::SmsCode]
}

fn is_default_identity(steps: &Vec<IdentityStep>) -> bool {
    *steps == default_identity()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    #[error("the script has no items")]
    NoItems,
    #[error("the script has more than {MAX_ITEMS} items")]
    TooManyItems,
    #[error("the script id or version is empty or longer than 64 characters")]
    BadIdOrVersion,
    #[error("item {0}: the id must be 1 to 64 letters, digits, '-' or '_'")]
    BadItemId(usize),
    #[error("item {0}: the id is used by an earlier item")]
    DuplicateItemId(usize),
    #[error("item {0}: the title is empty or longer than {MAX_TITLE_CHARS} characters")]
    BadTitle(usize),
    #[error("item {0}: the body is empty or longer than {MAX_BODY_CHARS} characters")]
    BadBody(usize),
    #[error("item {0}: the minimum reading time must be 1 to {MAX_MIN_READ_SECS} seconds")]
    BadReadingTime(usize),
    #[error("identity: list at least one of sms_code and id_number, and each step at most once")]
    BadIdentitySteps,
    #[error("identity: the {0:?} step is not available yet")]
    UnsupportedIdentityStep(IdentityStep),
}

impl ScriptError {
    pub fn code(&self) -> &'static str {
        "invalid_script"
    }
}

fn is_id(s: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
}

fn text_ok(s: &str, max: usize) -> bool {
    let n = s.trim().chars().count();
    n > 0 && n <= max
}

impl Script {
    /// Checks a script received from outside. Item numbers in errors count from 1, as people do.
    pub fn validate(&self) -> Result<(), ScriptError> {
        if !is_id(&self.id) || !is_id(&self.version) {
            return Err(ScriptError::BadIdOrVersion);
        }
        let steps = &self.identity;
        if let Some(step) = steps.iter().find(|s| matches!(s, IdentityStep::Face)) {
            return Err(ScriptError::UnsupportedIdentityStep(*step));
        }
        let unique = steps
            .iter()
            .enumerate()
            .all(|(i, s)| !steps[..i].contains(s));
        let verifies = steps
            .iter()
            .any(|s| matches!(s, IdentityStep::SmsCode | IdentityStep::IdNumber));
        if !verifies || !unique {
            return Err(ScriptError::BadIdentitySteps);
        }
        if self.items.is_empty() {
            return Err(ScriptError::NoItems);
        }
        if self.items.len() > MAX_ITEMS {
            return Err(ScriptError::TooManyItems);
        }
        for (i, item) in self.items.iter().enumerate() {
            let n = i + 1;
            if !is_id(&item.id) {
                return Err(ScriptError::BadItemId(n));
            }
            if self.items[..i].iter().any(|earlier| earlier.id == item.id) {
                return Err(ScriptError::DuplicateItemId(n));
            }
            if !text_ok(&item.title, MAX_TITLE_CHARS) {
                return Err(ScriptError::BadTitle(n));
            }
            if !text_ok(&item.body, MAX_BODY_CHARS) {
                return Err(ScriptError::BadBody(n));
            }
            if item
                .min_read_secs
                .is_some_and(|s| !(1..=MAX_MIN_READ_SECS).contains(&s))
            {
                return Err(ScriptError::BadReadingTime(n));
            }
        }
        Ok(())
    }

    /// Hex SHA-256 over the canonical JSON (RFC 8785) of the whole script.
    pub fn content_hash(&self) -> String {
        canonical_sha256(self)
    }
}

impl ScriptItem {
    /// The minimum time on screen: as the script sets it, else one second per 15 characters of
    /// title and body (at least 2 s).
    pub fn min_read_secs(&self) -> u32 {
        self.min_read_secs.unwrap_or_else(|| {
            let chars = self.title.chars().count() + self.body.chars().count();
            u32::try_from(chars.div_ceil(FLOOR_CHARS_PER_SEC).max(2)).unwrap_or(MAX_MIN_READ_SECS)
        })
    }

    /// Hex SHA-256 over the canonical JSON of the item exactly as shown.
    pub fn content_hash(&self) -> String {
        canonical_sha256(self)
    }
}

/// Hex SHA-256 of a value's RFC 8785 canonical JSON.
pub fn canonical_sha256<T: Serialize>(value: &T) -> String {
    // serde_jcs fails only for values JSON cannot represent (non-string map keys, NaN); none of our
    // types have those, so an empty input here would be a programming error caught by tests.
    let bytes = serde_jcs::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::sample_script;

    #[test]
    fn a_sound_script_passes() {
        assert_eq!(sample_script().validate(), Ok(()));
    }

    #[test]
    fn each_flaw_is_named_with_its_item_number() {
        let mut s = sample_script();
        s.items[1].id = "holder".into();
        assert_eq!(s.validate(), Err(ScriptError::DuplicateItemId(2)));

        let mut s = sample_script();
        s.items[2].body = "   ".into();
        assert_eq!(s.validate(), Err(ScriptError::BadBody(3)));

        let mut s = sample_script();
        s.items[0].title = "x".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(s.validate(), Err(ScriptError::BadTitle(1)));

        let mut s = sample_script();
        s.items[0].id = "has space".into();
        assert_eq!(s.validate(), Err(ScriptError::BadItemId(1)));

        let mut s = sample_script();
        s.items.clear();
        assert_eq!(s.validate(), Err(ScriptError::NoItems));

        let mut s = sample_script();
        s.version = String::new();
        assert_eq!(s.validate(), Err(ScriptError::BadIdOrVersion));

        let mut s = sample_script();
        s.items[1].min_read_secs = Some(0);
        assert_eq!(s.validate(), Err(ScriptError::BadReadingTime(2)));

        let mut s = sample_script();
        s.identity = vec![];
        assert_eq!(s.validate(), Err(ScriptError::BadIdentitySteps));
        s.identity = vec![IdentityStep::IdNumber, IdentityStep::IdNumber];
        assert_eq!(s.validate(), Err(ScriptError::BadIdentitySteps));
        s.identity = vec![IdentityStep::Signature];
        assert_eq!(s.validate(), Err(ScriptError::BadIdentitySteps));
        s.identity = vec![IdentityStep::SmsCode, IdentityStep::Face];
        assert_eq!(
            s.validate(),
            Err(ScriptError::UnsupportedIdentityStep(IdentityStep::Face))
        );
        s.identity = vec![IdentityStep::IdNumber, IdentityStep::SmsCode];
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn minimum_reading_time_is_set_or_derived_from_length() {
        let mut item = sample_script().items[0].clone();
        item.body = "字".repeat(150);
        let chars = item.title.chars().count() + 150;
        assert_eq!(item.min_read_secs(), chars.div_ceil(15) as u32);
        item.body = "短".into();
        assert_eq!(item.min_read_secs(), 2);
        item.min_read_secs = Some(30);
        assert_eq!(item.min_read_secs(), 30);
    }

    #[test]
    fn identity_defaults_to_the_sms_code_and_is_left_out_of_the_json_then() {
        let json = r#"{"id":"s","version":"1","items":[{"id":"a","title":"t","body":"b"}]}"#;
        let s: Script = serde_json::from_str(json).unwrap();
        assert_eq!(s.identity, vec![IdentityStep::SmsCode]);
        assert!(!serde_json::to_string(&s).unwrap().contains("identity"));
    }

    #[test]
    fn content_hash_changes_with_any_character() {
        let a = sample_script();
        let mut b = sample_script();
        b.items[2].body.push('。');
        assert_ne!(a.content_hash(), b.content_hash());
        assert_ne!(a.items[2].content_hash(), b.items[2].content_hash());
        assert_eq!(a.items[0].content_hash(), b.items[0].content_hash());
    }
}
