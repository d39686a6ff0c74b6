//! How the case log is written: each entry is the core's [`Entry`] (who, when, what) with its
//! case and its place in that case, in canonical JSON (RFC 8785), chained across the whole log as
//! the archive's records are (`archive::chain`): entry `seq` n has
//! `chain = hex(SHA-256(prev_chain ‖ entry_json))`, `prev_chain` being the chain of entry n − 1
//! (64 zeros for the first). An entry altered, removed, inserted or moved breaks the chain at a
//! precise seq.

use crate::archive::chain::NextLink;
use huifang_core::casework::{CaseEvent, Entry};
use huifang_core::{RevisitId, Timestamp};
use serde::{Deserialize, Serialize};

/// A case's id: its record's revisit id and the opening's number in that record, from 1
/// (`AbCdEfGhIjKlMnOp.1`). Given at opening, so a record delivered twice opens the same ids.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseId(String);

/// The separator between the revisit id and the number: not in the revisit id's alphabet.
const SEPARATOR: char = '.';

impl CaseId {
    /// The id of the `number`-th case (from 1) opened by `revisit_id`'s record.
    pub fn of(revisit_id: &RevisitId, number: u32) -> Self {
        Self(format!("{revisit_id}{SEPARATOR}{number}"))
    }

    /// Parses an id from outside; `None` when it cannot be a case id.
    pub fn parse(text: &str) -> Option<Self> {
        let (revisit, number) = text.rsplit_once(SEPARATOR)?;
        RevisitId::parse(revisit).ok()?;
        let ok = !number.is_empty()
            && number.len() <= 4
            && number.bytes().all(|b| b.is_ascii_digit())
            && !number.starts_with('0');
        ok.then(|| Self(text.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An entry of one case's log with its position in that case, from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedEntry {
    /// Position in the case's log, from 1 (the opening).
    pub case_seq: u64,
    /// Who, when, what.
    pub entry: Entry,
}

/// What the chain covers for one entry, in canonical JSON: the case, the position in it, who,
/// when and what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainedEntry {
    /// The case.
    pub case_id: String,
    /// Position in the case's log, from 1.
    pub case_seq: u64,
    /// When, in milliseconds since the epoch.
    pub at: Timestamp,
    /// Who: a staff id, or `system`.
    pub by: String,
    /// What.
    pub event: CaseEvent,
}

/// Who the system's own entries (openings, routing) are by.
pub const SYSTEM: &str = "system";

/// One entry ready to store: its columns and its canonical JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryToStore {
    /// The case.
    pub case_id: String,
    /// Position in the case's log.
    pub case_seq: u64,
    /// The event's name (`opened`, `call_logged`, `closed`, …).
    pub event: String,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub by: String,
    /// The canonical JSON the chain covers.
    pub json: String,
}

impl EntryToStore {
    /// `entry` as the `case_seq`-th of case `id`. Fails only if it cannot be serialised.
    pub fn of(id: &CaseId, case_seq: u64, entry: &Entry) -> Result<Self, serde_json::Error> {
        let chained = ChainedEntry {
            case_id: id.as_str().to_string(),
            case_seq,
            at: entry.at,
            by: entry.by.clone(),
            event: entry.event.clone(),
        };
        Ok(Self {
            case_id: chained.case_id.clone(),
            case_seq,
            event: event_name(&entry.event)?,
            at: entry.at,
            by: entry.by.clone(),
            json: serde_jcs::to_string(&chained)?,
        })
    }
}

/// The event's name as its JSON tags it (`opened`, `closed`, …): the store's `event` column.
pub fn event_name(event: &CaseEvent) -> Result<String, serde_json::Error> {
    let value = serde_json::to_value(event)?;
    match value.get("event").and_then(|v| v.as_str()) {
        Some(name) => Ok(name.to_string()),
        None => Err(serde::ser::Error::custom("an event without its name")),
    }
}

/// The chain fields of the entry appended after `head` (the log's last seq and chain; `None` when
/// the log is empty): the store writes them as decided here, in the append's transaction.
pub fn next_entry_link(head: Option<(u64, &str)>, entry_json: &str) -> NextLink {
    NextLink::after(head, &[entry_json])
}

/// The chain value an entry's stored JSON gives after `prev_chain`.
pub fn entry_chain(prev_chain: &str, entry_json: &str) -> String {
    crate::archive::chain::chain_over(prev_chain, &[entry_json])
}

/// An entry read back from its stored JSON.
pub fn parse_entry(json: &str) -> Result<ChainedEntry, serde_json::Error> {
    serde_json::from_str(json)
}

impl ChainedEntry {
    /// The entry as its case's log holds it.
    pub fn logged(self) -> LoggedEntry {
        LoggedEntry {
            case_seq: self.case_seq,
            entry: Entry {
                at: self.at,
                by: self.by,
                event: self.event,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::casework::CallResult;

    #[test]
    fn case_ids_parse_only_in_their_shape() {
        let revisit = RevisitId::from_random([9; 12]);
        let id = CaseId::of(&revisit, 1);
        assert_eq!(CaseId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(id.as_str(), format!("{revisit}.1"));
        for bad in [
            "",
            "1",
            revisit.as_str(),
            &format!("{revisit}."),
            &format!("{revisit}.0"),
            &format!("{revisit}.01"),
            &format!("{revisit}.12345"),
            &format!("{revisit}.x"),
            "short.1",
        ] {
            assert_eq!(CaseId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_entry_is_stored_as_canonical_json_and_chained_over_it() {
        let id = CaseId::of(&RevisitId::from_random([1; 12]), 1);
        let entry = Entry {
            at: Timestamp(1_790_000_000_000),
            by: "agent-7".into(),
            event: CaseEvent::CallLogged {
                result: CallResult::NoAnswer,
                note: "无人接听".into(),
            },
        };
        let stored = EntryToStore::of(&id, 2, &entry).unwrap();
        assert_eq!(stored.event, "call_logged");
        assert_eq!(
            stored.json,
            format!(
                r#"{{"at":1790000000000,"by":"agent-7","case_id":"{id}","case_seq":2,"event":{{"event":"call_logged","note":"无人接听","result":"no_answer"}}}}"#
            )
        );
        let back = parse_entry(&stored.json).unwrap().logged();
        assert_eq!(back.entry, entry);
        assert_eq!(back.case_seq, 2);
        let first = next_entry_link(None, &stored.json);
        assert_eq!(first.seq, 1);
        assert_eq!(first.chain, entry_chain(&"0".repeat(64), &stored.json));
        let second = next_entry_link(Some((1, &first.chain)), &stored.json);
        assert_eq!(second.seq, 2);
        assert_eq!(second.prev_chain, first.chain);
        assert_ne!(second.chain, first.chain);
    }
}
