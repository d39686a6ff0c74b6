//! The statistics' facts of a sealed record, read from its stored JSON the same way by both
//! engines' stores (`sqlite::facts`, `postgres::facts`), which write them in the record's
//! transaction (R14, R15).

use crate::archive::ArchiveError;
use huifang_core::statistics::{facts_from, RevisitFacts};
use huifang_core::Timestamp;
use serde::Deserialize;

#[derive(Deserialize)]
struct SealedView {
    record: RecordView,
}

#[derive(Deserialize)]
struct RecordView {
    region: String,
    outcome: String,
    created_at: u64,
    finished_at: u64,
    cooling_off_ends_at: u64,
    #[serde(default)]
    channel: Option<String>,
    items: Vec<ItemView>,
    script_id: String,
    script_version: String,
    script_hash: String,
}

#[derive(Deserialize)]
struct ItemView {
    id: String,
}

/// The facts of a sealed record's stored JSON, and its script (`id version hash`).
pub(crate) fn facts_of_json(json: &str) -> Result<(RevisitFacts, String), ArchiveError> {
    let v: SealedView = serde_json::from_str(json)
        .map_err(|e| ArchiveError::Corrupt(format!("sealed record: {e}")))?;
    let r = v.record;
    let ids: Vec<&str> = r.items.iter().map(|i| i.id.as_str()).collect();
    let script = format!("{} {} {}", r.script_id, r.script_version, r.script_hash);
    let facts = facts_from(
        [
            Timestamp::from_millis(r.created_at),
            Timestamp::from_millis(r.finished_at),
            Timestamp::from_millis(r.cooling_off_ends_at),
        ],
        &r.outcome,
        &r.region,
        r.channel.as_deref(),
        &ids,
    );
    Ok((facts, script))
}

/// The facts of a record being archived, or `None` when its JSON does not read. The origin archives
/// only records it verified, which always read; one that does not (a damaged file being migrated) is
/// left out of the statistics, and said so, rather than stop the archive. Both engines use this.
pub(crate) fn facts_to_insert(revisit_id: &str, json: &str) -> Option<(RevisitFacts, String)> {
    facts_of_json(json)
        .map_err(|e| eprintln!("origin: statistics: revisit_id={revisit_id} left out: {e}"))
        .ok()
}
