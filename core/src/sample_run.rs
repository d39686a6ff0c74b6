//! A sample run as it is sealed and worked (R13): what the frame of a record is, what was drawn and
//! under which parameters, how an auditor's redraw is compared with what was stored, the review
//! checklist a reviewer answers per pick, and who may do what. The origin stores the events of a
//! run in an append-only chained log and folds them with [`RunState::replay`].

use crate::casework::Role;
use crate::record::{FlagKind, ItemBody, Record};
use crate::sampling::{FrameEntry, Sample, SampleSpec};
use crate::script::{canonical_sha256, ItemText};
use crate::time::Timestamp;
use crate::trace::TraceEvent;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The stratum value for a record that does not say its channel or product type: its own stratum,
/// never guessed into another.
pub const UNKNOWN: &str = "unknown";

/// The product type a record's items show (the script adds items by product kind): the dividend
/// item means participating, the fees item universal or investment-linked (the record cannot tell
/// these two apart), else `other`. A record whose script names its items differently falls in
/// `other` too: the shipped script's ids are the ones known here.
pub fn product_type<'a>(item_ids: impl IntoIterator<Item = &'a str>) -> &'static str {
    let mut kind = "other";
    for id in item_ids {
        match id {
            "dividends-not-guaranteed" => return "participating",
            "fees-and-uncertain-returns" => kind = "universal_or_investment_linked",
            _ => {}
        }
    }
    kind
}

/// The sales channel as the record gives it; records that do not carry one are `unknown`.
pub fn channel_of(channel: Option<&str>) -> Option<String> {
    channel
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
}

/// The frame entry of an archived record: `problem` when a problem case was opened for it.
pub fn frame_entry(
    revisit_id: &str,
    policy_number: &str,
    channel: Option<&str>,
    item_ids: &[&str],
    problem: bool,
) -> FrameEntry {
    FrameEntry {
        revisit_id: revisit_id.to_string(),
        policy_number: policy_number.to_string(),
        channel: channel_of(channel),
        product_type: product_type(item_ids.iter().copied()).to_string(),
        problem,
    }
}

/// What a run was asked for: the period (archived from, to; milliseconds, `to` exclusive), the
/// outcome the frame holds, and the sampling parameters with the seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunParams {
    pub period_from: Timestamp,
    pub period_to: Timestamp,
    pub outcome: String,
    pub spec: SampleSpec,
    /// The archive's last record seq and the case log's last seq when the run was drawn: a redraw
    /// reads the archive as it was then, however much has been added since.
    pub records_head: u64,
    pub cases_head: u64,
}

/// One event of a run's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    Drawn {
        params: RunParams,
        sample: Sample,
    },
    Reviewed {
        revisit_id: String,
        checks: Vec<CheckAnswer>,
        verdict: Verdict,
        note: String,
        /// The problem case a finding opened.
        case_id: Option<String>,
    },
    SignedOff {
        note: String,
    },
}

/// An event with who and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunEntry {
    pub run_id: String,
    pub at: Timestamp,
    pub by: String,
    pub event: RunEvent,
}

/// Why a redraw does not match what was stored: each difference named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "differs", rename_all = "snake_case")]
pub enum Difference {
    FrameSize {
        stored: u32,
        redrawn: u32,
    },
    FrameDigest {
        stored: String,
        redrawn: String,
    },
    Size {
        stored: u32,
        redrawn: u32,
    },
    Strata,
    /// Stored but not redrawn.
    PickNotRedrawn {
        revisit_id: String,
    },
    /// Redrawn but not stored.
    PickNotStored {
        revisit_id: String,
    },
    PickChanged {
        revisit_id: String,
    },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FrameSize { stored, redrawn } => {
                write!(f, "frame size: stored {stored}, redrawn {redrawn}")
            }
            Self::FrameDigest { stored, redrawn } => {
                write!(f, "frame digest: stored {stored}, redrawn {redrawn}")
            }
            Self::Size { stored, redrawn } => {
                write!(f, "sample size: stored {stored}, redrawn {redrawn}")
            }
            Self::Strata => write!(f, "strata: the per-stratum counts differ"),
            Self::PickNotRedrawn { revisit_id } => {
                write!(f, "pick {revisit_id}: stored, not redrawn")
            }
            Self::PickNotStored { revisit_id } => {
                write!(f, "pick {revisit_id}: redrawn, not stored")
            }
            Self::PickChanged { revisit_id } => {
                write!(f, "pick {revisit_id}: stratum or reason differs")
            }
        }
    }
}

/// Every way `redrawn` differs from `stored`; empty when they match.
pub fn compare(stored: &Sample, redrawn: &Sample) -> Vec<Difference> {
    let mut out = Vec::new();
    if stored.frame_size != redrawn.frame_size {
        out.push(Difference::FrameSize {
            stored: stored.frame_size,
            redrawn: redrawn.frame_size,
        });
    }
    if stored.frame_digest != redrawn.frame_digest {
        out.push(Difference::FrameDigest {
            stored: stored.frame_digest.clone(),
            redrawn: redrawn.frame_digest.clone(),
        });
    }
    if stored.size != redrawn.size {
        out.push(Difference::Size {
            stored: stored.size,
            redrawn: redrawn.size,
        });
    }
    if stored.strata != redrawn.strata {
        out.push(Difference::Strata);
    }
    let a: BTreeMap<&str, _> = stored
        .picks
        .iter()
        .map(|p| (p.revisit_id.as_str(), p))
        .collect();
    let b: BTreeMap<&str, _> = redrawn
        .picks
        .iter()
        .map(|p| (p.revisit_id.as_str(), p))
        .collect();
    for (id, p) in &a {
        match b.get(id) {
            None => out.push(Difference::PickNotRedrawn {
                revisit_id: id.to_string(),
            }),
            Some(q) if q != p => out.push(Difference::PickChanged {
                revisit_id: id.to_string(),
            }),
            Some(_) => {}
        }
    }
    for id in b.keys().filter(|id| !a.contains_key(*id)) {
        out.push(Difference::PickNotStored {
            revisit_id: id.to_string(),
        });
    }
    out
}

/// The checks a reviewer answers for each pick, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    IdentityEvidence,
    ItemsAnsweredInOrder,
    ReadingTimes,
    InterferenceFlags,
    Signature,
    PageHashes,
}

pub const CHECKS: [Check; 6] = [
    Check::IdentityEvidence,
    Check::ItemsAnsweredInOrder,
    Check::ReadingTimes,
    Check::InterferenceFlags,
    Check::Signature,
    Check::PageHashes,
];

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdentityEvidence => "identity_evidence",
            Self::ItemsAnsweredInOrder => "items_answered_in_order",
            Self::ReadingTimes => "reading_times",
            Self::InterferenceFlags => "interference_flags",
            Self::Signature => "signature",
            Self::PageHashes => "page_hashes",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        CHECKS.into_iter().find(|c| c.as_str() == text)
    }
}

/// What the record itself says about a check: passed, failed, or not computable from the record
/// (the reviewer decides on what is shown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Computed {
    pub check: Check,
    pub passed: Option<bool>,
    /// What was computed, for the page: typed, so that the console words it in its language.
    pub detail: Vec<Fact>,
}

/// One fact a check was computed from. Items are numbered from 1, as the pages show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// The trace shows the SMS code verified (R8).
    SmsCodeVerified,
    /// The trace shows the ID number verified (R8).
    IdNumberVerified,
    /// The items in the order they were answered, against the order they were shown.
    AnswerOrder {
        answered: Vec<usize>,
        shown: Vec<usize>,
    },
    /// How long item `item` was read, from when it was shown to its answer (R9).
    Reading { item: usize, took_ms: Option<u64> },
    /// How many answers the edge refused as sooner than the minimum reading time (R9).
    RefusedTooSoon(usize),
    /// A flag the record carries, with its own detail.
    Flag {
        kind: FlagKind,
        item: Option<usize>,
        detail: String,
    },
    /// The handwritten signature's image, by its SHA-256.
    Signed { png_sha256: String },
    /// The revisit holds no signature (its script may not have asked for one).
    NoSignature,
    /// An item's page hash recomputed from the text the record keeps (its first 16 hex digits),
    /// and whether it equals the recorded one (R3).
    PageHash {
        item: usize,
        computed: String,
        matches: bool,
    },
    /// Only the recorded hash: records of format 1 hashed the whole script item, which they do
    /// not hold, so it cannot be recomputed.
    RecordedHash { item: usize, hash: String },
}

/// One item's reading: from when it was shown (the identity step or the answer before it) to its
/// answer, in milliseconds.
pub fn reading_times(record: &Record) -> Vec<(usize, Option<u64>)> {
    let mut shown = record.trace.entries().iter().find_map(|e| {
        matches!(
            e.event,
            TraceEvent::CodeVerified | TraceEvent::IdNumberVerified
        )
        .then_some(e.at)
    });
    record
        .items
        .iter()
        .map(|item| {
            let took = match (shown, item.answered_at) {
                (Some(s), Some(a)) => Some(a.since(s)),
                _ => None,
            };
            if item.answered_at.is_some() {
                shown = item.answered_at;
            }
            (item.index, took)
        })
        .collect()
}

/// The checklist computed from a record, in [`CHECKS`] order.
pub fn compute_checks(record: &Record) -> Vec<Computed> {
    let events = || record.trace.entries().iter().map(|e| &e.event);
    let identity: Vec<Fact> = events()
        .filter_map(|e| match e {
            TraceEvent::CodeVerified => Some(Fact::SmsCodeVerified),
            TraceEvent::IdNumberVerified => Some(Fact::IdNumberVerified),
            _ => None,
        })
        .collect();
    let answered: Vec<usize> = events()
        .filter_map(|e| match e {
            TraceEvent::ItemAnswered { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    let expected: Vec<usize> = record.items.iter().map(|i| i.index).collect();
    let all_answered = record.items.iter().all(|i| i.answer.is_some());
    let in_order = all_answered && answered == expected;
    let flag = |f: &crate::record::Flag| Fact::Flag {
        kind: f.kind,
        item: f.item_index.map(|i| i + 1),
        detail: f.detail.clone(),
    };
    let too_fast: Vec<Fact> = record
        .flags
        .iter()
        .filter(|f| f.kind == FlagKind::AnsweredTooFast)
        .map(flag)
        .collect();
    let refused = events()
        .filter(|e| matches!(e, TraceEvent::AnswerTooSoon { .. }))
        .count();
    let mut reading: Vec<Fact> = reading_times(record)
        .into_iter()
        .map(|(i, took_ms)| Fact::Reading {
            item: i + 1,
            took_ms,
        })
        .collect();
    reading.push(Fact::RefusedTooSoon(refused));
    let reading_ok = too_fast.is_empty();
    reading.extend(too_fast);
    let interference: Vec<Fact> = record
        .flags
        .iter()
        .filter(|f| f.kind != FlagKind::AnsweredTooFast)
        .map(flag)
        .collect();
    let signed = events().find_map(|e| match e {
        TraceEvent::Signed { png_sha256 } => Some(png_sha256.clone()),
        _ => None,
    });
    let mut hashes = Vec::new();
    let mut hashes_ok = Some(true);
    for item in &record.items {
        match &item.body {
            ItemBody::Paragraphs(body) => {
                let text = ItemText {
                    title: item.title.clone(),
                    body: body.clone(),
                };
                let computed = canonical_sha256(&text);
                let matches = computed == item.content_hash;
                if !matches {
                    hashes_ok = Some(false);
                }
                hashes.push(Fact::PageHash {
                    item: item.index + 1,
                    computed: computed[..16].to_string(),
                    matches,
                });
            }
            ItemBody::Text(_) => {
                // Format 1 hashed the whole script item, which the record does not hold.
                hashes_ok = hashes_ok.and(None);
                hashes.push(Fact::RecordedHash {
                    item: item.index + 1,
                    hash: item.content_hash.clone(),
                });
            }
        }
    }
    vec![
        Computed {
            check: Check::IdentityEvidence,
            passed: Some(!identity.is_empty()),
            detail: identity,
        },
        Computed {
            check: Check::ItemsAnsweredInOrder,
            passed: Some(in_order),
            detail: vec![Fact::AnswerOrder {
                answered: answered.iter().map(|i| i + 1).collect(),
                shown: expected.iter().map(|i| i + 1).collect(),
            }],
        },
        Computed {
            check: Check::ReadingTimes,
            passed: Some(reading_ok),
            detail: reading,
        },
        Computed {
            check: Check::InterferenceFlags,
            passed: Some(interference.is_empty()),
            detail: interference,
        },
        Computed {
            check: Check::Signature,
            // A revisit whose script asked for no signature has none: the reviewer judges that.
            passed: (signed.is_some() || record.signature.is_some()).then_some(true),
            detail: vec![match signed {
                Some(png_sha256) => Fact::Signed { png_sha256 },
                None => Fact::NoSignature,
            }],
        },
        Computed {
            check: Check::PageHashes,
            passed: hashes_ok,
            detail: hashes,
        },
    ]
}

/// The reviewer's answer to one check: confirmed (it holds) or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAnswer {
    pub check: Check,
    pub holds: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Compliant,
    /// Something is wrong: a problem case is opened (R12).
    Finding,
}

/// The run as its log folds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunState {
    pub run_id: String,
    pub drawn_by: String,
    pub drawn_at: Timestamp,
    pub params: RunParams,
    pub sample: Sample,
    pub reviews: BTreeMap<String, (String, Verdict, Option<String>)>,
    pub signed_off: Option<(String, Timestamp)>,
}

/// Why an action on a run is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunRefusal {
    #[error("this role may not do that")]
    Role,
    #[error("the revisit is not a pick of this run")]
    NotAPick,
    #[error("the pick is already reviewed")]
    AlreadyReviewed,
    #[error("every check must be answered, once, in the checklist's order")]
    Checklist,
    #[error("a check that does not hold, or failed on the record, needs the verdict 'finding'")]
    VerdictContradicts,
    #[error("a finding needs a note")]
    NoteMissing,
    #[error("the run is signed off")]
    SignedOff,
    #[error("every pick must be reviewed before sign-off")]
    NotAllReviewed,
    #[error("the note is too long")]
    NoteTooLong,
}

/// The longest note a reviewer or supervisor may write.
pub const MAX_NOTE_CHARS: usize = 2_000;

/// Who may draw a run: supervisors. Who may review: reviewers and supervisors. Read: those and
/// auditors. Sign off: supervisors.
pub fn may_draw(role: Role) -> bool {
    role == Role::Supervisor
}
pub fn may_read(role: Role) -> bool {
    matches!(role, Role::Reviewer | Role::Supervisor | Role::Auditor)
}
pub fn may_review(role: Role) -> bool {
    matches!(role, Role::Reviewer | Role::Supervisor)
}

impl RunState {
    /// Folds a run's entries; `None` unless it starts with `drawn`.
    pub fn replay(entries: &[RunEntry]) -> Option<Self> {
        let (first, rest) = entries.split_first()?;
        let RunEvent::Drawn { params, sample } = &first.event else {
            return None;
        };
        let mut state = RunState {
            run_id: first.run_id.clone(),
            drawn_by: first.by.clone(),
            drawn_at: first.at,
            params: params.clone(),
            sample: sample.clone(),
            reviews: BTreeMap::new(),
            signed_off: None,
        };
        for e in rest {
            match &e.event {
                RunEvent::Reviewed {
                    revisit_id,
                    verdict,
                    case_id,
                    ..
                } => {
                    state.reviews.insert(
                        revisit_id.clone(),
                        (e.by.clone(), *verdict, case_id.clone()),
                    );
                }
                RunEvent::SignedOff { .. } => state.signed_off = Some((e.by.clone(), e.at)),
                RunEvent::Drawn { .. } => return None,
            }
        }
        Some(state)
    }

    pub fn is_pick(&self, revisit_id: &str) -> bool {
        self.sample
            .picks
            .binary_search_by(|p| p.revisit_id.as_str().cmp(revisit_id))
            .is_ok()
    }

    /// Decides a review: the checks answered in order, the verdict consistent with them and with
    /// what the record computed.
    pub fn decide_review(
        &self,
        role: Role,
        revisit_id: &str,
        computed: &[Computed],
        answers: &[CheckAnswer],
        verdict: Verdict,
        note: &str,
    ) -> Result<(), RunRefusal> {
        if !may_review(role) {
            return Err(RunRefusal::Role);
        }
        if self.signed_off.is_some() {
            return Err(RunRefusal::SignedOff);
        }
        if !self.is_pick(revisit_id) {
            return Err(RunRefusal::NotAPick);
        }
        if self.reviews.contains_key(revisit_id) {
            return Err(RunRefusal::AlreadyReviewed);
        }
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(RunRefusal::NoteTooLong);
        }
        let order: Vec<Check> = answers.iter().map(|a| a.check).collect();
        if order != CHECKS {
            return Err(RunRefusal::Checklist);
        }
        let failed_on_record: BTreeSet<Check> = computed
            .iter()
            .filter(|c| c.passed == Some(false))
            .map(|c| c.check)
            .collect();
        let any_bad = answers
            .iter()
            .any(|a| !a.holds || failed_on_record.contains(&a.check));
        if any_bad && verdict != Verdict::Finding {
            return Err(RunRefusal::VerdictContradicts);
        }
        if verdict == Verdict::Finding && note.trim().is_empty() {
            return Err(RunRefusal::NoteMissing);
        }
        Ok(())
    }

    pub fn decide_sign_off(&self, role: Role, note: &str) -> Result<(), RunRefusal> {
        if role != Role::Supervisor {
            return Err(RunRefusal::Role);
        }
        if self.signed_off.is_some() {
            return Err(RunRefusal::SignedOff);
        }
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(RunRefusal::NoteTooLong);
        }
        if self
            .sample
            .picks
            .iter()
            .any(|p| !self.reviews.contains_key(&p.revisit_id))
        {
            return Err(RunRefusal::NotAllReviewed);
        }
        Ok(())
    }

    /// How many picks found something.
    pub fn findings(&self) -> usize {
        self.reviews
            .values()
            .filter(|(_, v, _)| *v == Verdict::Finding)
            .count()
    }
}

/// The problem case a sampling finding opens (R12, R13): due 15 working days after discovery,
/// like every problem case, on the holiday calendar.
pub fn finding_opening(
    record: &Record,
    run_id: &str,
    answers: &[CheckAnswer],
    note: &str,
    discovered_at: Timestamp,
    calendar: &crate::working_days::WorkingCalendar,
) -> Result<crate::casework::Opening, crate::working_days::CalendarError> {
    use crate::working_days::{beijing_date, end_of_beijing_day};
    let due = calendar.add_working_days(
        beijing_date(discovered_at),
        crate::casework::PROBLEM_WORKING_DAYS,
    )?;
    Ok(crate::casework::Opening {
        kind: crate::casework::CaseKind::Problem {
            findings: vec![crate::casework::Finding::SampleFinding {
                run_id: run_id.to_string(),
                checks: answers
                    .iter()
                    .filter(|a| !a.holds)
                    .map(|a| a.check.as_str().to_string())
                    .collect(),
                note: note.trim().to_string(),
            }],
        },
        revisit_id: record.revisit_id.clone(),
        policy_number: record.policy_number.clone(),
        seller_code: None,
        cooling_off_ends_at: record.cooling_off_ends_at,
        discovered_at,
        due_at: end_of_beijing_day(due),
    })
}

#[cfg(test)]
#[path = "sample_run_tests.rs"]
mod tests;
