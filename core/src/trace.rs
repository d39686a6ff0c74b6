//! The operation trace (R3): every event of a session, stamped with the edge's time and the
//! (truncated) client it came from, in a hash chain (R4). Each entry carries the SHA-256 of the
//! previous entry and of its own canonical form, so any changed, dropped, inserted or reordered
//! entry is detected by `Trace::verify`, with the index where the chain breaks.

use crate::script::canonical_sha256;
use crate::script::AnswerKind;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const MAX_USER_AGENT_CHARS: usize = 256;

/// Where a request came from, reduced to what R10 needs: the IP's network (IPv4 /24, IPv6 /48),
/// never the full address, and the user agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    pub ip_prefix: String,
    pub user_agent: String,
}

impl ClientInfo {
    pub fn new(ip: &str, user_agent: &str) -> Self {
        Self {
            ip_prefix: ip_prefix(ip),
            user_agent: user_agent
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_USER_AGENT_CHARS)
                .collect(),
        }
    }
}

/// `203.0.113.7` → `203.0.113.0/24`; `2001:db8:1:2::5` → `2001:db8:1::/48`; anything else → `unknown`.
pub fn ip_prefix(ip: &str) -> String {
    let ip = ip.trim();
    if let Ok(v4) = ip.parse::<std::net::Ipv4Addr>() {
        let o = v4.octets();
        return format!("{}.{}.{}.0/24", o[0], o[1], o[2]);
    }
    if let Ok(v6) = ip.parse::<std::net::Ipv6Addr>() {
        let s = v6.segments();
        return format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]);
    }
    "unknown".to_string()
}

/// The provider's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaceOutcome {
    Passed,
    Failed,
    /// The policyholder left the provider's page without a verdict: not a failure.
    Cancelled,
}

/// A provider's similarity score, in bands only (a raw score says more than the record needs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreBand {
    High,
    Medium,
    Low,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TraceEvent {
    Created,
    Opened,
    CodeSent,
    CodeUndelivered,
    CodeRejected {
        tries_left: u8,
    },
    CodeVerified,
    IdNumberRejected,
    IdNumberVerified,
    /// R8: the insurer's origin started a face check for this session (its reference is kept
    /// only as a digest, and never traced).
    FaceStarted,
    /// The origin's result of a face check: the verdict, who gave it, and the provider's own
    /// evidence id. Never an image.
    FaceChecked {
        outcome: FaceOutcome,
        provider: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        score_band: Option<ScoreBand>,
        evidence_id: String,
    },
    /// The origin did not confirm a return from the provider (a forged ticket, or a reference it
    /// did not issue for this revisit).
    FaceReturnRefused,
    /// The policyholder took the script's alternative instead of the face check.
    FaceDeclined {
        alternative: crate::script::FaceAlternative,
    },
    ItemAnswered {
        index: usize,
        item_id: String,
        answer: AnswerKind,
    },
    /// R9: an answer came sooner after the item was shown than its minimum reading time allows;
    /// it was refused and nothing was recorded as answered.
    AnswerTooSoon {
        index: usize,
        after_ms: u64,
        minimum_ms: u64,
    },
    Signed {
        png_sha256: String,
    },
    Completed,
    SwitchedToPhone,
    Expired,
    Cancelled,
    LinkReissued,
    SessionLocked,
    /// The policyholder's language: from the browser at the first open, or chosen on the page.
    LanguageChosen {
        lang: crate::script::Lang,
    },
    /// An SMS the policyholder did not ask for was handed to the insurer's gateway: the link at
    /// creation, or the reminder before the cooling-off end (R11: reach them while the electronic
    /// revisit can still be done).
    NoticeSent {
        notice: Notice,
    },
    /// Such an SMS was not sent: the phone number's daily cap was reached, or the gateway failed.
    NoticeUndelivered {
        notice: Notice,
        reason: NoticeFailure,
    },
}

/// An SMS the system sends to the policyholder on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// The link, at creation, when the insurer asked for it.
    Link,
    /// Once, when the revisit is still unfinished a few days before the cooling-off end.
    Reminder,
}

/// Why a notice was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeFailure {
    /// The phone number's daily cap across sessions was reached (SMS-pumping guard).
    PhoneDailyLimit,
    /// The insurer's SMS gateway did not take it.
    Gateway,
}

/// One entry of the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    pub seq: usize,
    pub at: Timestamp,
    #[serde(flatten)]
    pub event: TraceEvent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientInfo>,
    pub prev_hash: String,
    pub hash: String,
}

/// What an entry's hash covers: everything but the hash itself.
#[derive(Serialize)]
struct Hashed<'a> {
    seq: usize,
    at: Timestamp,
    #[serde(flatten)]
    event: &'a TraceEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: &'a Option<ClientInfo>,
    prev_hash: &'a str,
}

impl TraceEntry {
    fn expected_hash(&self) -> String {
        canonical_sha256(&Hashed {
            seq: self.seq,
            at: self.at,
            event: &self.event,
            client: &self.client,
            prev_hash: &self.prev_hash,
        })
    }
}

/// Where and why a trace fails verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    #[error("the trace is empty")]
    Empty,
    #[error("entry {0}: its sequence number is wrong (an entry was dropped, inserted or moved)")]
    Sequence(usize),
    #[error("entry {0}: it does not link to the entry before it")]
    BrokenLink(usize),
    #[error("entry {0}: its content does not match its hash")]
    Altered(usize),
    #[error("entry {0}: its time is earlier than the entry before it")]
    TimeReversed(usize),
}

impl TraceError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "trace_empty",
            Self::Sequence(_) => "trace_sequence",
            Self::BrokenLink(_) => "trace_broken_link",
            Self::Altered(_) => "trace_altered",
            Self::TimeReversed(_) => "trace_time_reversed",
        }
    }
}

/// An append-only, hash-chained list of entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Trace {
    entries: Vec<TraceEntry>,
}

impl Trace {
    /// Appends an event, linked to the last entry.
    pub fn push(&mut self, at: Timestamp, event: TraceEvent, client: Option<ClientInfo>) {
        let prev_hash = self
            .entries
            .last()
            .map_or_else(|| GENESIS.to_string(), |e| e.hash.clone());
        let mut entry = TraceEntry {
            seq: self.entries.len(),
            at,
            event,
            client,
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.expected_hash();
        self.entries.push(entry);
    }

    pub fn entries(&self) -> &[TraceEntry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &TraceEntry> {
        self.entries.iter()
    }

    /// The hash of the last entry: commits to the whole trace.
    pub fn head(&self) -> Option<&str> {
        self.entries.last().map(|e| e.hash.as_str())
    }

    /// Checks every link and hash; names the first entry where the chain breaks.
    pub fn verify(&self) -> Result<(), TraceError> {
        if self.entries.is_empty() {
            return Err(TraceError::Empty);
        }
        for (i, e) in self.entries.iter().enumerate() {
            if e.seq != i {
                return Err(TraceError::Sequence(i));
            }
            let prev = if i == 0 {
                GENESIS
            } else {
                self.entries[i - 1].hash.as_str()
            };
            if e.prev_hash != prev {
                return Err(TraceError::BrokenLink(i));
            }
            if e.hash != e.expected_hash() {
                return Err(TraceError::Altered(i));
            }
            if i > 0 && e.at < self.entries[i - 1].at {
                return Err(TraceError::TimeReversed(i));
            }
        }
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn entries_mut(&mut self) -> &mut Vec<TraceEntry> {
        &mut self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Trace {
        let mut t = Trace::default();
        let c = ClientInfo::new("203.0.113.7", "Mozilla/5.0 (Linux; Android 14)");
        t.push(Timestamp(1), TraceEvent::Created, None);
        t.push(Timestamp(2), TraceEvent::Opened, Some(c.clone()));
        t.push(Timestamp(3), TraceEvent::CodeSent, Some(c.clone()));
        t.push(Timestamp(4), TraceEvent::CodeVerified, Some(c.clone()));
        t.push(
            Timestamp(5),
            TraceEvent::ItemAnswered {
                index: 0,
                item_id: "holder".into(),
                answer: AnswerKind::Yes,
            },
            Some(c),
        );
        t.push(Timestamp(6), TraceEvent::Completed, None);
        t
    }

    #[test]
    fn a_fresh_trace_verifies_and_links_from_genesis() {
        let t = sample();
        assert_eq!(t.verify(), Ok(()));
        assert_eq!(t.entries()[0].prev_hash, GENESIS);
        assert_eq!(t.entries()[1].prev_hash, t.entries()[0].hash);
    }

    #[test]
    fn ips_are_kept_only_as_their_network() {
        assert_eq!(ip_prefix("203.0.113.7"), "203.0.113.0/24");
        assert_eq!(ip_prefix("2001:db8:1:2::5"), "2001:db8:1::/48");
        assert_eq!(ip_prefix(""), "unknown");
        assert_eq!(ip_prefix("not an ip"), "unknown");
        let c = ClientInfo::new("198.51.100.23", &"x".repeat(1000));
        assert_eq!(c.user_agent.len(), MAX_USER_AGENT_CHARS);
        assert!(!c.ip_prefix.contains(".23"));
    }

    #[test]
    fn each_kind_of_tampering_is_named_with_its_index() {
        let mut t = sample();
        t.entries_mut()[2].at = Timestamp(99);
        assert_eq!(t.verify(), Err(TraceError::Altered(2)));

        let mut t = sample();
        t.entries_mut().remove(3);
        assert_eq!(t.verify(), Err(TraceError::Sequence(3)));

        let mut t = sample();
        t.entries_mut().swap(1, 2);
        assert_eq!(t.verify(), Err(TraceError::Sequence(1)));

        // Rewriting an entry and re-hashing it still breaks the next link.
        let mut t = sample();
        t.entries_mut()[1].client = None;
        let rehashed = t.entries()[1].expected_hash();
        t.entries_mut()[1].hash = rehashed;
        assert_eq!(t.verify(), Err(TraceError::BrokenLink(2)));

        assert_eq!(Trace::default().verify(), Err(TraceError::Empty));
    }

    proptest! {
        /// Any single-byte change anywhere in the serialised trace is either unreadable or detected.
        #[test]
        fn any_single_byte_change_is_detected(pos in any::<proptest::sample::Index>(), byte in any::<u8>()) {
            let json = serde_json::to_vec(&sample()).unwrap();
            let i = pos.index(json.len());
            prop_assume!(json[i] != byte);
            let mut changed = json.clone();
            changed[i] = byte;
            if let Ok(t) = serde_json::from_slice::<Trace>(&changed) {
                // A change that parses back to the same trace (e.g. whitespace) changes nothing.
                if t != sample() {
                    prop_assert!(t.verify().is_err());
                }
            }
        }

        /// Dropping or reordering entries is always detected.
        #[test]
        fn dropping_or_moving_an_entry_is_detected(a in 0usize..6, b in 0usize..6) {
            let mut t = sample();
            if a == b {
                t.entries_mut().remove(a);
                // Dropping the last entry leaves a valid (shorter) chain: the seal's record hash
                // covers that case; every other drop breaks the chain here.
                prop_assume!(a != 5);
            } else {
                t.entries_mut().swap(a, b);
            }
            prop_assert!(t.verify().is_err());
        }
    }
}
