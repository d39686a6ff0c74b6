//! Idempotent insurer requests (issue 12, item 5; the anchor is Stripe's `Idempotency-Key`): an
//! insurer system that retries a create or a re-issue after a timeout, or replays it, must not make
//! a second revisit or a second link. A request carrying `Idempotency-Key` is remembered, by the
//! insurer credential and the key, for [`RETENTION_MS`] after it was first seen:
//!
//! - the same key with the same request (method, path and body: its [`fingerprint`]) gets the first
//!   answer again, same status and body, without anything being done twice;
//! - the same key with another request is refused (`idempotency_key_reused`);
//! - while the first is still being answered, a duplicate waits or is told to try again shortly
//!   (`idempotency_key_in_progress`); exactly one of them does the work;
//! - after the retention the key is free again.
//!
//! The edge keeps one record per key in a Durable Object, the single writer that makes this exact
//! under concurrency; every decision is here, as functions from the stored entry and `now` to a
//! decision and the write to make. Refusals (a body the edge refuses) are not remembered: the same
//! request would be refused alike, and a corrected body may then use the key.
//!
//! The first answer holds the revisit's link, a bearer credential the edge otherwise never stores
//! (only its secret's digest). The record keeps the link's secret only masked with a pad derived
//! from a worker secret and the record's name ([`seal_link`]), so the stored records alone do not
//! give anyone a working link.

use crate::domain::{LinkToken, RevisitId};
use crate::error_code::ErrorCode;
use crate::signing::keyed_digest;
use crate::time::{Timestamp, DAY_MS, SECOND_MS};
use crate::wire::{LinkSms, RevisitCreated};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The request header (case-insensitive on the wire).
pub const HEADER: &str = "idempotency-key";
/// The response header set on a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// The longest key (Stripe's limit).
pub const MAX_KEY_CHARS: usize = 255;
/// The characters a key may hold: letters, digits and `-_.:+/=`, which covers UUIDs, ULIDs and
/// base64. As the document's `pattern` (`edge/openapi.json`, checked against [`IdempotencyKey::parse`]).
pub const KEY_PATTERN: &str = "^[A-Za-z0-9._:+/=-]{1,255}$";
/// How long a key is remembered after it was first used: at least a day, as Stripe does.
pub const RETENTION_MS: u64 = DAY_MS;
/// A request still unanswered after this long is taken to have died (a Worker request does not
/// run for a minute); a retry then carries on in its place, with the same revisit id, so that a
/// create that did land is not made twice.
pub const IN_FLIGHT_TIMEOUT_MS: u64 = 60 * SECOND_MS;
/// What a duplicate of a request still being answered is told to wait.
pub const IN_PROGRESS_RETRY_SECS: u64 = 1;

/// Why a request's idempotency key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdempotencyError {
    #[error(
        "the Idempotency-Key header must be 1 to 255 characters: letters, digits or - _ . : + / ="
    )]
    BadKey,
    #[error("this Idempotency-Key was already used with another request (method, path or body); use a new key for a new request")]
    Reused,
    #[error("a request with this Idempotency-Key is still being answered; try again in a second")]
    InProgress,
}

impl IdempotencyError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadKey => ErrorCode::InvalidIdempotencyKey,
            Self::Reused => ErrorCode::IdempotencyKeyReused,
            Self::InProgress => ErrorCode::IdempotencyKeyInProgress,
        }
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        matches!(self, Self::InProgress).then_some(IN_PROGRESS_RETRY_SECS)
    }
}

/// A well-formed idempotency key, as the insurer sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Exactly [`KEY_PATTERN`]: no trimming, since a key is compared byte for byte.
    pub fn parse(s: &str) -> Result<Self, IdempotencyError> {
        let ok = (1..=MAX_KEY_CHARS).contains(&s.len())
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-_.:+/=".contains(&c));
        ok.then(|| Self(s.to_string()))
            .ok_or(IdempotencyError::BadKey)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What makes two requests "the same": hex SHA-256 over the method, the path and the exact body.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.to_ascii_uppercase().as_bytes());
    h.update(b"\n");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// The record's name (its Durable Object's): a keyed hash of the insurer credential's id and the
/// key, so that keys are scoped to one insurer and names reveal neither.
pub fn record_name(hash_key: &[u8], credential: &str, key: &IdempotencyKey) -> String {
    keyed_digest(
        hash_key,
        &format!("huifang idempotency\n{credential}\n{}", key.as_str()),
    )
}

/// The pad a link's secret is masked with in record `name`: one per record, so a pad is never
/// used for two secrets.
fn link_pad(hash_key: &[u8], name: &str) -> Vec<u8> {
    hex::decode(keyed_digest(
        hash_key,
        &format!("huifang idempotency link\n{name}"),
    ))
    .unwrap_or_default()
}

/// The link's secret (its part after the revisit id), masked for storage in record `name` (hex).
pub fn seal_link(hash_key: &[u8], name: &str, link: &LinkToken) -> String {
    let token = link.as_string();
    let secret = &token.as_bytes()[link.revisit_id().as_str().len()..];
    let pad = link_pad(hash_key, name);
    hex::encode(
        secret
            .iter()
            .zip(pad.iter().cycle())
            .map(|(s, p)| s ^ p)
            .collect::<Vec<u8>>(),
    )
}

/// The link sealed by [`seal_link`]; `None` if the sealed text is not one (another key, damage).
pub fn unseal_link(hash_key: &[u8], name: &str, id: &RevisitId, sealed: &str) -> Option<LinkToken> {
    let masked = hex::decode(sealed).ok()?;
    let pad = link_pad(hash_key, name);
    let secret: Vec<u8> = masked
        .iter()
        .zip(pad.iter().cycle())
        .map(|(s, p)| s ^ p)
        .collect();
    let secret = String::from_utf8(secret).ok()?;
    LinkToken::parse(&format!("{id}{secret}")).ok()
}

/// The first answer, as kept for replays: a created revisit or a re-issued link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAnswer {
    /// 201 for a create, 200 for a re-issue.
    pub status: u16,
    pub revisit_id: RevisitId,
    pub expires_at: String,
    /// The links' base the first answer used (`…/r/<token>` follows).
    pub link_base: String,
    /// The link's secret, sealed ([`seal_link`]).
    pub sealed_secret: String,
    /// What became of the link SMS asked for at creation: a replay says the same, and sends
    /// nothing again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_sms: Option<LinkSms>,
}

impl StoredAnswer {
    /// What to keep of an answer with `link`, in record `name`.
    pub fn keep(
        status: u16,
        answer: &RevisitCreated,
        link_base: &str,
        link: &LinkToken,
        hash_key: &[u8],
        name: &str,
    ) -> Self {
        Self {
            status,
            revisit_id: answer.revisit_id.clone(),
            expires_at: answer.expires_at.clone(),
            link_base: link_base.to_string(),
            sealed_secret: seal_link(hash_key, name, link),
            link_sms: answer.link_sms,
        }
    }

    /// The answer again, exactly as first given; `None` if the seal does not open (the hash key
    /// changed since).
    pub fn replay(&self, hash_key: &[u8], name: &str) -> Option<RevisitCreated> {
        let link = unseal_link(hash_key, name, &self.revisit_id, &self.sealed_secret)?;
        Some(RevisitCreated {
            revisit_id: self.revisit_id.clone(),
            link: format!("{}/r/{}", self.link_base, link.as_string()),
            expires_at: self.expires_at.clone(),
            link_sms: self.link_sms,
        })
    }
}

/// A key's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// A request holds the key and is being answered (since `claimed`; the key was first used
    /// at `since`). For a create, the revisit id it uses.
    InFlight {
        fingerprint: String,
        revisit_id: Option<RevisitId>,
        since: Timestamp,
        claimed: Timestamp,
    },
    /// Answered; kept for replays.
    Done {
        fingerprint: String,
        answer: StoredAnswer,
        since: Timestamp,
    },
}

impl Entry {
    fn fingerprint(&self) -> &str {
        match self {
            Self::InFlight { fingerprint, .. } | Self::Done { fingerprint, .. } => fingerprint,
        }
    }

    fn since(&self) -> Timestamp {
        match self {
            Self::InFlight { since, .. } | Self::Done { since, .. } => *since,
        }
    }

    /// When the key is free again: [`RETENTION_MS`] after its first use.
    pub fn expires_at(&self) -> Timestamp {
        self.since().plus_millis(RETENTION_MS)
    }

    fn live(self, now: Timestamp) -> Option<Self> {
        (now < self.expires_at()).then_some(self)
    }
}

/// What to do with a request that carries a key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Do the work (this request now holds the key); a create uses this revisit id.
    Proceed { revisit_id: Option<RevisitId> },
    /// Answer with the first answer again.
    Replay(StoredAnswer),
    /// Refuse: [`IdempotencyError::Reused`] or [`IdempotencyError::InProgress`].
    Refuse(IdempotencyError),
}

/// The write a step asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    Keep,
    Put(Entry),
    Delete,
}

/// A request with `fingerprint` arrives at the key whose record is `stored`. `revisit_id` is the
/// id a create would use (`None` for a re-issue); a request that takes over from one that died gets
/// that one's id instead.
pub fn begin(
    stored: Option<Entry>,
    fingerprint: &str,
    revisit_id: Option<RevisitId>,
    now: Timestamp,
) -> (Decision, Write) {
    let claim = |revisit_id: Option<RevisitId>, since| {
        (
            Decision::Proceed {
                revisit_id: revisit_id.clone(),
            },
            Write::Put(Entry::InFlight {
                fingerprint: fingerprint.to_string(),
                revisit_id,
                since,
                claimed: now,
            }),
        )
    };
    match stored.and_then(|e| e.live(now)) {
        None => claim(revisit_id, now),
        Some(entry) if entry.fingerprint() != fingerprint => {
            (Decision::Refuse(IdempotencyError::Reused), Write::Keep)
        }
        Some(Entry::Done { answer, .. }) => (Decision::Replay(answer), Write::Keep),
        Some(Entry::InFlight {
            revisit_id: held,
            since,
            claimed,
            ..
        }) => {
            if now.since(claimed) < IN_FLIGHT_TIMEOUT_MS {
                (Decision::Refuse(IdempotencyError::InProgress), Write::Keep)
            } else {
                // The holder died: carry on in its place, keeping its first use (the retention
                // counts from there) and its revisit id.
                claim(held.or(revisit_id), since)
            }
        }
    }
}

/// The request holding the key was answered with `answer`: keep it for replays.
pub fn finish(stored: Option<Entry>, fingerprint: &str, answer: StoredAnswer) -> Write {
    match stored {
        Some(Entry::InFlight {
            fingerprint: held,
            since,
            ..
        }) if held == fingerprint => Write::Put(Entry::Done {
            fingerprint: held,
            answer,
            since,
        }),
        _ => Write::Keep,
    }
}

/// The request holding the key was refused (or failed): free the key, as if never used.
pub fn release(stored: Option<Entry>, fingerprint: &str) -> Write {
    match stored {
        Some(Entry::InFlight {
            fingerprint: held, ..
        }) if held == fingerprint => Write::Delete,
        _ => Write::Keep,
    }
}

/// The record's alarm: forget an expired entry; else the time to wake again.
pub fn on_alarm(stored: Option<Entry>, now: Timestamp) -> (Write, Option<Timestamp>) {
    match stored {
        None => (Write::Keep, None),
        Some(entry) => match entry.live(now) {
            None => (Write::Delete, None),
            Some(entry) => (Write::Keep, Some(entry.expires_at())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp(1_780_000_000_000);
    const HASH_KEY: &[u8] = b"edge hash key";

    fn id(n: u8) -> RevisitId {
        RevisitId::from_random([n; 12])
    }

    fn link() -> LinkToken {
        LinkToken::new(id(1), [7; 16])
    }

    fn answer(name: &str) -> StoredAnswer {
        let created = RevisitCreated {
            revisit_id: id(1),
            link: format!("https://edge.example/r/{}", link().as_string()),
            expires_at: "2027-01-15T15:59:59.000Z".into(),
            link_sms: None,
        };
        StoredAnswer::keep(
            201,
            &created,
            "https://edge.example",
            &link(),
            HASH_KEY,
            name,
        )
    }

    fn done(fp: &str, since: Timestamp) -> Entry {
        Entry::Done {
            fingerprint: fp.into(),
            answer: answer("n"),
            since,
        }
    }

    #[test]
    fn keys_are_1_to_255_characters_of_the_documented_set() {
        for good in [
            "a",
            "550e8400-e29b-41d4-a716-446655440000",
            "01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "order:2026/12/10+retry=1_x.y",
            &"k".repeat(255),
        ] {
            assert!(IdempotencyKey::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            " a",
            "a b",
            "ключ",
            "a\n",
            "a,b",
            "a;b",
            &"k".repeat(256),
        ] {
            assert_eq!(
                IdempotencyKey::parse(bad),
                Err(IdempotencyError::BadKey),
                "{bad:?}"
            );
        }
        assert_eq!(
            IdempotencyError::BadKey.code(),
            ErrorCode::InvalidIdempotencyKey
        );
    }

    #[test]
    fn the_fingerprint_covers_method_path_and_every_byte_of_the_body() {
        let fp = fingerprint("POST", "/v1/revisits", b"{\"a\":1}");
        assert_eq!(fp, fingerprint("post", "/v1/revisits", b"{\"a\":1}"));
        assert_ne!(fp, fingerprint("POST", "/v1/revisits", b"{\"a\":1} "));
        assert_ne!(
            fp,
            fingerprint("POST", "/v1/revisits/x/reissue", b"{\"a\":1}")
        );
        assert_ne!(fp, fingerprint("GET", "/v1/revisits", b"{\"a\":1}"));
    }

    #[test]
    fn records_are_scoped_to_the_credential_and_name_neither() {
        let key = IdempotencyKey::parse("order-42").unwrap();
        let a = record_name(HASH_KEY, "insurer", &key);
        assert_eq!(a.len(), 64);
        assert!(!a.contains("order-42"));
        assert_ne!(a, record_name(HASH_KEY, "other-insurer", &key));
        assert_ne!(a, record_name(b"another edge", "insurer", &key));
    }

    #[test]
    fn a_first_request_proceeds_and_holds_the_key() {
        let (decision, write) = begin(None, "fp", Some(id(2)), T0);
        assert_eq!(
            decision,
            Decision::Proceed {
                revisit_id: Some(id(2))
            }
        );
        assert_eq!(
            write,
            Write::Put(Entry::InFlight {
                fingerprint: "fp".into(),
                revisit_id: Some(id(2)),
                since: T0,
                claimed: T0
            })
        );
    }

    #[test]
    fn the_same_request_gets_the_first_answer_for_the_whole_retention() {
        let stored = done("fp", T0);
        for later in [0, 1, RETENTION_MS / 2, RETENTION_MS - 1] {
            let (decision, write) = begin(
                Some(stored.clone()),
                "fp",
                Some(id(3)),
                T0.plus_millis(later),
            );
            assert_eq!(decision, Decision::Replay(answer("n")), "{later}");
            assert_eq!(write, Write::Keep);
        }
    }

    #[test]
    fn another_request_with_the_key_is_refused_in_flight_or_done() {
        for stored in [
            done("fp", T0),
            Entry::InFlight {
                fingerprint: "fp".into(),
                revisit_id: None,
                since: T0,
                claimed: T0,
            },
        ] {
            for later in [0, IN_FLIGHT_TIMEOUT_MS * 2, RETENTION_MS - 1] {
                let (decision, write) = begin(
                    Some(stored.clone()),
                    "other",
                    Some(id(3)),
                    T0.plus_millis(later),
                );
                assert_eq!(decision, Decision::Refuse(IdempotencyError::Reused));
                assert_eq!(write, Write::Keep);
            }
        }
        assert_eq!(
            IdempotencyError::Reused.code(),
            ErrorCode::IdempotencyKeyReused
        );
    }

    #[test]
    fn after_the_retention_the_key_is_new_again() {
        let (decision, write) = begin(
            Some(done("fp", T0)),
            "other",
            Some(id(4)),
            T0.plus_millis(RETENTION_MS),
        );
        assert_eq!(
            decision,
            Decision::Proceed {
                revisit_id: Some(id(4))
            }
        );
        assert!(
            matches!(write, Write::Put(Entry::InFlight { since, .. }) if since == T0.plus_millis(RETENTION_MS))
        );
    }

    #[test]
    fn a_duplicate_of_a_request_in_flight_waits_and_only_one_proceeds() {
        // Ten duplicates arrive one after another at the record (its object serialises them).
        let mut stored = None;
        let mut proceeded = 0;
        for n in 0..10u8 {
            let (decision, write) =
                begin(stored.clone(), "fp", Some(id(n)), T0.plus_millis(n.into()));
            match decision {
                Decision::Proceed { revisit_id } => {
                    proceeded += 1;
                    assert_eq!(revisit_id, Some(id(0)));
                }
                Decision::Refuse(e) => {
                    assert_eq!(e, IdempotencyError::InProgress);
                    assert_eq!(e.retry_after_secs(), Some(IN_PROGRESS_RETRY_SECS));
                }
                other => panic!("{other:?}"),
            }
            if let Write::Put(entry) = write {
                stored = Some(entry);
            }
        }
        assert_eq!(proceeded, 1);
        // The first is answered; every later duplicate gets its answer.
        let Write::Put(entry) = finish(stored, "fp", answer("n")) else {
            panic!("the answer is kept");
        };
        let (decision, _) = begin(Some(entry), "fp", Some(id(9)), T0.plus_millis(20));
        assert_eq!(decision, Decision::Replay(answer("n")));
    }

    #[test]
    fn a_request_that_died_is_taken_over_with_its_revisit_id() {
        let held = Entry::InFlight {
            fingerprint: "fp".into(),
            revisit_id: Some(id(5)),
            since: T0,
            claimed: T0,
        };
        let (decision, _) = begin(
            Some(held.clone()),
            "fp",
            Some(id(6)),
            T0.plus_millis(IN_FLIGHT_TIMEOUT_MS - 1),
        );
        assert_eq!(decision, Decision::Refuse(IdempotencyError::InProgress));
        let (decision, write) = begin(
            Some(held),
            "fp",
            Some(id(6)),
            T0.plus_millis(IN_FLIGHT_TIMEOUT_MS),
        );
        assert_eq!(
            decision,
            Decision::Proceed {
                revisit_id: Some(id(5))
            }
        );
        // The retention still counts from the first use; the new holder has a minute of its own.
        let Write::Put(entry) = write else {
            panic!("the new holder is recorded")
        };
        assert_eq!(entry.expires_at(), T0.plus_millis(RETENTION_MS));
        let soon = T0.plus_millis(IN_FLIGHT_TIMEOUT_MS + 1);
        let (decision, _) = begin(Some(entry), "fp", Some(id(7)), soon);
        assert_eq!(decision, Decision::Refuse(IdempotencyError::InProgress));
    }

    #[test]
    fn a_refused_request_frees_the_key_and_only_its_holder_can() {
        let held = Entry::InFlight {
            fingerprint: "fp".into(),
            revisit_id: None,
            since: T0,
            claimed: T0,
        };
        assert_eq!(release(Some(held.clone()), "fp"), Write::Delete);
        assert_eq!(release(Some(held.clone()), "other"), Write::Keep);
        assert_eq!(release(Some(done("fp", T0)), "fp"), Write::Keep);
        assert_eq!(release(None, "fp"), Write::Keep);
        assert_eq!(finish(Some(done("fp", T0)), "fp", answer("x")), Write::Keep);
        assert_eq!(finish(Some(held), "other", answer("x")), Write::Keep);
    }

    #[test]
    fn the_alarm_forgets_an_expired_record_and_no_sooner() {
        let stored = done("fp", T0);
        let at = T0.plus_millis(RETENTION_MS);
        assert_eq!(
            on_alarm(Some(stored.clone()), T0.plus_millis(5)),
            (Write::Keep, Some(at))
        );
        assert_eq!(on_alarm(Some(stored), at), (Write::Delete, None));
        assert_eq!(on_alarm(None, at), (Write::Keep, None));
    }

    #[test]
    fn the_stored_answer_holds_no_usable_link_and_replays_the_first_exactly() {
        let kept = answer("record-a");
        let secret = &link().as_string()[16..];
        let json = serde_json::to_string(&kept).unwrap();
        assert!(!json.contains(secret), "{json}");
        let replayed = kept.replay(HASH_KEY, "record-a").unwrap();
        assert_eq!(
            replayed.link,
            format!("https://edge.example/r/{}", link().as_string())
        );
        assert_eq!(replayed.revisit_id, id(1));
        // Another record's pad, or another edge's key, does not open it.
        assert!(kept
            .replay(HASH_KEY, "record-b")
            .is_none_or(|r| r.link != replayed.link));
        assert!(kept
            .replay(b"another key", "record-a")
            .is_none_or(|r| r.link != replayed.link));
    }
}
