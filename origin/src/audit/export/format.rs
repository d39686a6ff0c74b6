//! The export file's lines (header, record, trailer), as `export` writes them and `verify-export`
//! reads them: the format auditors hold the archive's evidence in.

use huifang_core::record::SealedRecord;
use serde::{Deserialize, Serialize};

/// The header's and trailer's `format` / `end`.
pub const EXPORT_FORMAT: &str = "huifang-archive-export";
/// The layout version this build writes and reads.
pub const EXPORT_VERSION: u32 = 1;
/// Which records an export holds, as the header states it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportFilter {
    /// Only this policy's records.
    pub policy_number: Option<String>,
    /// Received at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Received before this time (RFC 3339).
    pub to: Option<String>,
}

/// The archive's last record when the export was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    /// Its seq.
    pub seq: u64,
    /// Its chain value: it commits to every record before it.
    pub chain: String,
}

/// The first line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportHeader {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// [`EXPORT_VERSION`].
    pub version: u32,
    /// When the export was made, RFC 3339 UTC.
    pub exported_at: String,
    /// The edge public keys the archive trusts, `kid=hex`.
    pub edge_keys: Vec<String>,
    /// Which records it holds.
    pub filter: ExportFilter,
    /// Whether its records are a gapless run of the chain (no policy filter).
    pub contiguous: bool,
    /// The archive's head at export time (`null` for an empty archive).
    pub archive_head: Option<ChainHead>,
}

/// One record line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRecord {
    /// Its place in the archive chain.
    pub seq: u64,
    /// When the origin received it, RFC 3339 UTC with milliseconds, as the chain hashes it.
    pub received_at: String,
    /// The chain of the record before it in the archive.
    pub prev_chain: String,
    /// Its chain value.
    pub chain: String,
    /// The sealed record exactly as archived.
    pub sealed: SealedRecord,
}

/// The last line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportTrailer {
    /// [`EXPORT_FORMAT`].
    pub end: String,
    /// How many record lines come before it.
    pub records: u64,
    /// Hex SHA-256 of every byte of the file before this line.
    pub sha256: String,
}

/// One JSON value on one line.
pub fn json_line<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}
