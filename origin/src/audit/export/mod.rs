//! Archive exports for auditors (R3, R4): `huifang-origin export` writes archived records to one
//! JSON Lines file, and `huifang-origin verify-export` checks such a file fully offline.
//!
//! The file is a header line, one line per record, and a trailer line:
//!
//! ```text
//! {"format":"huifang-archive-export","version":1,"exported_at":…,"edge_keys":["kid=hex",…],
//!  "filter":{"policy_number":…,"from":…,"to":…},"contiguous":true,"archive_head":{"seq":…,"chain":…}}
//! {"seq":1,"received_at":"…","prev_chain":"…","chain":"…","sealed":{"record":…,"seal":…}}
//! …
//! {"end":"huifang-archive-export","records":N,"sha256":"<hex SHA-256 of every byte before this line>"}
//! ```
//!
//! `verify-export` checks each record's seal under the header's keys (or the auditor's own,
//! `--edge-keys`), its trace, and the archive chain across the records: in a contiguous export
//! (the whole archive, or the run of it received in a time range) every seq follows the one before
//! and links to it; in a sparse one (one policy's records) seq numbers may jump and links are
//! checked where they do not. It reports where the exported run joins the archive's chain (its
//! first `prev_chain`). The trailer's count and digest catch a truncated or otherwise changed file;
//! they are a checksum, not a signature: the seals are what no one but the edge can make.

pub mod format;
pub mod verify;
pub mod write;

pub use verify::verify_cli;
pub use write::export_cli;

#[cfg(test)]
mod tests;
