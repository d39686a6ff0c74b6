//! Sealed revisit records from the edge: `POST /records` verifies and archives them idempotently
//! (R3, R4), raising problem cases (R12) and phone tasks (R11); `GET /records/{id}` reads one back
//! and re-verifies it.

use crate::archive::{Archived, NewRecord, PhoneTask, ProblemCase};
use crate::error::OriginError;
use crate::{blocking, json_body, AppState};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use huifang_core::record::{Outcome, SealedRecord};
use huifang_core::wire::RecordAck;
use huifang_core::{RevisitId, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Largest `POST /records` body accepted.
pub const MAX_RECORD_BODY: usize = 2 * 1024 * 1024;

/// What to archive for a verified record received at `now`.
pub fn new_record(sealed: &SealedRecord, now: Timestamp) -> Result<NewRecord, OriginError> {
    let record = &sealed.record;
    let sealed_json = serde_jcs::to_string(sealed)
        .map_err(|e| OriginError::Internal(format!("canonical JSON: {e}")))?;
    // R12: every "no" is a problem case to handle.
    let problem_cases = record
        .problem_items()
        .map(|item| ProblemCase {
            item_index: item.index,
            item_id: item.id.clone(),
            comment: item.comment.clone(),
            answered_at: item.answered_at,
        })
        .collect();
    // R11: an electronic revisit that did not complete falls back to a recorded phone call, due
    // before the cooling-off period ends.
    let phone_task = match record.outcome {
        Outcome::Completed => None,
        other => Some(PhoneTask {
            reason: other.as_str(),
            due_by: record.cooling_off_ends_at,
        }),
    };
    Ok(NewRecord {
        revisit_id: record.revisit_id.clone(),
        policy_number: record.policy_number.as_str().to_string(),
        outcome: record.outcome.as_str().to_string(),
        record_hash: sealed.seal.record_hash.clone(),
        key_id: sealed.seal.key_id.clone(),
        received_at: now,
        sealed_json,
        problem_cases,
        phone_task,
    })
}

/// `POST /records`: verify the seal, then archive once (a redelivery is acknowledged as a duplicate).
pub async fn receive(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RecordAck>, OriginError> {
    let body = body.map_err(|r| OriginError::from_body_rejection(r, MAX_RECORD_BODY))?;
    let sealed: SealedRecord = json_body(&headers, &body)?;
    let revisit_id = sealed.record.revisit_id.clone();
    // R4: nothing is stored unless the seal verifies under a trusted key.
    if let Err(e) = sealed.verify(&app.keys) {
        eprintln!(
            "origin: record refused revisit_id={revisit_id} reason={}",
            e.code()
        );
        return Err(e.into());
    }
    let entry = new_record(&sealed, (app.clock)())?;
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
}

/// `GET /records/{revisit_id}`: the archived record, re-verified on read (R3).
pub async fn show(
    State(app): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<RecordView>, OriginError> {
    let Path(id) = path?;
    // An id that cannot be a revisit id has no record.
    let revisit_id = RevisitId::parse(&id).map_err(|_| OriginError::RecordNotFound)?;
    let archive = Arc::clone(&app.archive);
    let stored = blocking(move || archive.record(&revisit_id))
        .await??
        .ok_or(OriginError::RecordNotFound)?;
    let sealed: SealedRecord = serde_json::from_str(&stored.sealed_json)
        .map_err(|e| OriginError::Internal(format!("archived record {id} unreadable: {e}")))?;
    let verify_error = sealed.verify(&app.keys).err().map(|e| e.code().to_string());
    Ok(Json(RecordView {
        verified: verify_error.is_none(),
        verify_error,
        sealed,
        received_at: stored.received_at.to_rfc3339(),
        problem_cases: stored.problem_cases,
        deliveries: stored.deliveries,
    }))
}
