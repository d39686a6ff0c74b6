//! Sealed revisit records from the edge: `POST /records` verifies and archives them idempotently
//! (R3, R4), raising problem cases (R12) and phone tasks (R11); `GET /records/{id}` reads one back
//! and re-verifies it; `GET /records?…` lists them for the insurer (admin token), with their place
//! in the archive chain and their retention (R5).

use crate::archive::calendar::retention_until;
use crate::archive::{Archived, NewRecord, RecordQuery, RecordSummary, StoredRecord};
use crate::casework::open::openings;
use crate::server::error::OriginError;
use crate::server::extract::{page_limit, Admin, JsonBody, RecordReader, RevisitIdPath};
use crate::server::state::{blocking, AppState};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::Json;
use huifang_core::record::SealedRecord;
use huifang_core::wire::RecordAck;
use huifang_core::{PolicyNumber, RevisitId, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Largest `POST /records` body accepted.
pub const MAX_RECORD_BODY: usize = 2 * 1024 * 1024;

/// `POST /records`: verify the seal, then archive once (a redelivery is acknowledged as a duplicate).
pub async fn receive(
    State(app): State<AppState>,
    JsonBody(sealed): JsonBody<SealedRecord, MAX_RECORD_BODY>,
) -> Result<Json<RecordAck>, OriginError> {
    let revisit_id = sealed.record.revisit_id.clone();
    // R4: nothing is stored unless the seal verifies under a trusted key.
    if let Err(e) = sealed.verify(&app.settings.edge_keys) {
        eprintln!(
            "origin: record refused revisit_id={revisit_id} reason={}",
            e.code()
        );
        return Err(e.into());
    }
    let now = app.now();
    // R11, R12: the cases the record opens, stored with it (once, however often it is delivered),
    // discovered at the casework's time.
    let discovered_at = crate::server::state::shifted(now, app.casework_offset_ms);
    let cases = openings(&sealed.record, discovered_at, &app.calendar);
    let entry = NewRecord::of(&sealed, now)
        .map_err(|e| OriginError::Internal(format!("canonical JSON: {e}")))?
        .opening(cases);
    let archive = Arc::clone(&app.archive);
    let archived = blocking(move || archive.archive_record(&entry)).await??;
    let duplicate = match archived {
        Archived::Inserted => false,
        Archived::Duplicate => true,
        Archived::Conflict => {
            eprintln!("origin: record conflict revisit_id={revisit_id} (first record kept)");
            return Err(OriginError::RecordConflict);
        }
    };
    eprintln!("origin: record archived revisit_id={revisit_id} duplicate={duplicate}");
    Ok(Json(RecordAck {
        revisit_id,
        record_hash: sealed.seal.record_hash,
        duplicate,
    }))
}

/// `GET /records/{revisit_id}` reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordView {
    /// The record as archived.
    pub sealed: SealedRecord,
    /// Whether it verifies now, under the keys the origin trusts today.
    pub verified: bool,
    /// Why it does not verify (e.g. `unknown_key` once its key has been retired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_error: Option<String>,
    /// When the origin received it, RFC 3339 UTC.
    pub received_at: String,
    /// How many problem cases it raised (R12).
    pub problem_cases: u64,
    /// How many verified deliveries arrived for this revisit (1 when delivery was exactly once).
    pub deliveries: u64,
    /// Its position in the archive chain (R4).
    pub seq: u64,
    /// The end of its retention (R5), RFC 3339 UTC; `null` while the contract has not been
    /// reported terminated: retained.
    pub retention_until: Option<String>,
}

/// The archived record of `revisit_id`: the row as stored and the sealed record parsed from it.
pub async fn load(
    app: &AppState,
    revisit_id: RevisitId,
) -> Result<(StoredRecord, SealedRecord), OriginError> {
    let archive = Arc::clone(&app.archive);
    let stored = blocking(move || archive.record(&revisit_id))
        .await??
        .ok_or(OriginError::RecordNotFound)?;
    let sealed = stored.sealed().map_err(|e| {
        OriginError::Internal(format!(
            "archived record {} unreadable: {e}",
            stored.row.revisit_id
        ))
    })?;
    Ok((stored, sealed))
}

/// `GET /records/{revisit_id}`: the archived record, re-verified on read (R3). Open in dev mode,
/// otherwise for the admin token only.
pub async fn show(
    State(app): State<AppState>,
    _reader: RecordReader,
    RevisitIdPath(revisit_id): RevisitIdPath,
) -> Result<Json<RecordView>, OriginError> {
    let (stored, sealed) = load(&app, revisit_id).await?;
    let verify_error = sealed
        .verify(&app.settings.edge_keys)
        .err()
        .map(|e| e.code().to_string());
    Ok(Json(RecordView {
        verified: verify_error.is_none(),
        verify_error,
        sealed,
        received_at: stored.row.received_at.to_rfc3339(),
        problem_cases: stored.problem_cases,
        deliveries: stored.deliveries,
        seq: stored.row.seq,
        retention_until: retention_text(stored.terminated_at),
    }))
}

/// R5: the end of retention as RFC 3339, or `None` (retained) while no termination is reported.
pub fn retention_text(terminated_at: Option<Timestamp>) -> Option<String> {
    terminated_at
        .and_then(retention_until)
        .map(Timestamp::to_rfc3339)
}

/// The largest page of `GET /records`.
pub const MAX_LIST_LIMIT: u32 = 100;
const DEFAULT_LIST_LIMIT: u32 = 50;

/// Query of `GET /records`. Every field is parsed by hand so that each gets its own error code.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    policy_number: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// One record in `GET /records`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordListItem {
    /// The revisit.
    pub revisit_id: String,
    /// The policy.
    pub policy_number: String,
    /// `completed`, `switched_to_phone`, `expired` or `cancelled`.
    pub outcome: String,
    /// The seal's record hash.
    pub record_hash: String,
    /// When the origin received it, RFC 3339 UTC.
    pub received_at: String,
    /// Its position in the archive chain (R4); the page cursor.
    pub seq: u64,
    /// The end of its retention (R5); `null`: retained, no termination reported.
    pub retention_until: Option<String>,
    /// How many interference flags it carries (R10).
    pub flags: u64,
    /// How many problem cases it raised (R12).
    pub problem_cases: u64,
}

impl From<RecordSummary> for RecordListItem {
    fn from(r: RecordSummary) -> Self {
        Self {
            retention_until: retention_text(r.terminated_at),
            revisit_id: r.revisit_id,
            policy_number: r.policy_number,
            outcome: r.outcome,
            record_hash: r.record_hash,
            received_at: r.received_at.to_rfc3339(),
            seq: r.seq,
            flags: r.flags,
            problem_cases: r.problem_cases,
        }
    }
}

/// `GET /records` reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordList {
    /// This page, in chain order.
    pub records: Vec<RecordListItem>,
    /// Pass as `after` for the next page; `null` on the last page.
    pub next_after: Option<u64>,
}

fn parse_time(text: Option<&str>, what: &'static str) -> Result<Option<Timestamp>, OriginError> {
    text.map(|t| Timestamp::parse_rfc3339(t.trim()).map_err(|_| OriginError::BadTime(what)))
        .transpose()
}

/// What `GET /records` asks for, parsed: the archive query.
pub struct ListRequest(pub RecordQuery);

impl FromRequestParts<AppState> for ListRequest {
    type Rejection = OriginError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OriginError> {
        let Query(query) = Query::<ListQuery>::from_request_parts(parts, app).await?;
        Ok(Self(query.parse()?))
    }
}

impl ListQuery {
    fn parse(self) -> Result<RecordQuery, OriginError> {
        let policy_number = self
            .policy_number
            .map(|p| PolicyNumber::parse(&p).map(|p| p.as_str().to_string()))
            .transpose()
            .map_err(OriginError::Domain)?;
        let from = parse_time(
            self.from.as_deref(),
            "from must be an RFC 3339 date-time such as 2026-12-10T00:00:00+08:00",
        )?;
        let to = parse_time(
            self.to.as_deref(),
            "to must be an RFC 3339 date-time such as 2026-12-11T00:00:00+08:00",
        )?;
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                return Err(OriginError::BadTime("to is earlier than from"));
            }
        }
        let limit = page_limit(self.limit.as_deref(), DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)?;
        let after_seq = self
            .after
            .map(|a| a.trim().parse::<u64>().map_err(|_| OriginError::BadCursor))
            .transpose()?
            .unwrap_or(0);
        Ok(RecordQuery {
            policy_number,
            from,
            to,
            after_seq,
            limit,
        })
    }
}

/// `GET /records?policy_number=…&from=…&to=…&limit=…&after=…` (admin token): archived records in
/// chain order, a page at a time; `from` (inclusive) and `to` (exclusive) bound `received_at`.
pub async fn list(
    State(app): State<AppState>,
    _admin: Admin,
    ListRequest(mut query): ListRequest,
) -> Result<Json<RecordList>, OriginError> {
    let limit = query.limit;
    // One more than asked for tells whether there is a next page.
    query.limit = limit + 1;
    let archive = Arc::clone(&app.archive);
    let mut rows = blocking(move || archive.find_records(&query)).await??;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_after = more.then(|| rows.last().map(|r| r.seq)).flatten();
    Ok(Json(RecordList {
        records: rows.into_iter().map(RecordListItem::from).collect(),
        next_after,
    }))
}
