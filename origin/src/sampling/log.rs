//! How the sample log is written: each entry is the core's [`RunEntry`] in canonical JSON
//! (RFC 8785), chained across the whole log as the case log is: entry `seq` n has
//! `chain = hex(SHA-256(prev_chain ‖ entry_json))` (64 zeros before the first). An entry altered,
//! removed, inserted or moved breaks the chain at a precise seq.

use crate::archive::chain::{chain_over, NextLink, GENESIS};
use crate::sampling::SampleLogRow;
use huifang_core::sample_run::{RunEntry, RunEvent};

/// The entry's canonical JSON, what the chain covers.
pub fn entry_json(entry: &RunEntry) -> Result<String, serde_json::Error> {
    serde_jcs::to_string(entry)
}

/// The event's name for the store's `event` column.
pub fn event_name(event: &RunEvent) -> &'static str {
    match event {
        RunEvent::Drawn { .. } => "drawn",
        RunEvent::Reviewed { .. } => "reviewed",
        RunEvent::SignedOff { .. } => "signed_off",
    }
}

/// The chain fields of an entry appended after `head`.
pub fn next_link(head: Option<(u64, &str)>, json: &str) -> NextLink {
    NextLink::after(head, &[json])
}

/// Where the chain of `rows` (in seq order, from seq 1) breaks: each seq whose `prev_chain`,
/// `chain` or place does not follow, or whose JSON does not parse or names another run.
pub fn chain_breaks(rows: &[SampleLogRow]) -> Vec<String> {
    let mut out = Vec::new();
    let mut prev = GENESIS.to_string();
    for (i, row) in rows.iter().enumerate() {
        let expected_seq = i as u64 + 1;
        if row.seq != expected_seq {
            out.push(format!("seq {}: expected seq {expected_seq}", row.seq));
        }
        if row.prev_chain != prev {
            out.push(format!("seq {}: prev_chain does not follow", row.seq));
        }
        if chain_over(&row.prev_chain, &[&row.entry_json]) != row.chain {
            out.push(format!("seq {}: chain does not cover its entry", row.seq));
        }
        match serde_json::from_str::<RunEntry>(&row.entry_json) {
            Ok(e) if e.run_id == row.run_id => {}
            Ok(_) => out.push(format!("seq {}: the entry names another run", row.seq)),
            Err(e) => out.push(format!("seq {}: entry unreadable: {e}", row.seq)),
        }
        prev = row.chain.clone();
    }
    out
}

/// What `verify-archive` found in the sample log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampleLogReport {
    pub entries: u64,
    pub runs: u64,
    pub failures: Vec<String>,
    pub head: Option<(u64, String)>,
}

/// Walks the whole sample log (a page at a time) and checks its chain: `verify-archive` runs it.
pub fn verify_sample_log(
    store: &dyn crate::sampling::SampleStore,
) -> Result<SampleLogReport, crate::archive::ArchiveError> {
    let mut rows = Vec::new();
    loop {
        let after = rows.last().map_or(0, |r: &SampleLogRow| r.seq);
        let page = store.sample_log_rows(after, 1_000)?;
        if page.is_empty() {
            break;
        }
        rows.extend(page);
    }
    let runs = rows.iter().filter(|r| r.run_seq == 1).count() as u64;
    Ok(SampleLogReport {
        entries: rows.len() as u64,
        runs,
        failures: chain_breaks(&rows),
        head: rows.last().map(|r| (r.seq, r.chain.clone())),
    })
}
