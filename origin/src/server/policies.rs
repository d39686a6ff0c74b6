//! The insurer reports a contract's termination (R5): `POST /policies/{policy_number}/termination`
//! (admin token). The report is appended to the archive; every record of the policy is then kept
//! until ten calendar years after the termination, computed by query, without touching a record.

use crate::archive::calendar::retention_until;
use crate::archive::Termination;
use crate::server::error::OriginError;
use crate::server::extract::{Admin, JsonBody, PolicyPath};
use crate::server::state::{blocking, AppState};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use huifang_core::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Largest termination body accepted.
pub const MAX_TERMINATION_BODY: usize = 1024;

/// `{"terminated_at": RFC 3339}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminationRequest {
    /// When the contract terminated, with its offset (`2036-05-01T00:00:00+08:00`).
    pub terminated_at: String,
}

/// The reply: the policy's retention after this report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminationView {
    /// The policy, as the archive spells it.
    pub policy_number: String,
    /// The termination retention runs from: the latest reported (a report never shortens it).
    pub terminated_at: String,
    /// Ten calendar years after it (R5), RFC 3339 UTC.
    pub retention_until: String,
    /// How many archived records of the policy it covers now (later ones are covered too).
    pub records: u64,
    /// Whether this report was new (201) or the same date was already reported (200).
    pub recorded: bool,
}

/// `POST /policies/{policy_number}/termination`: appends the termination; 201 when new, 200 when
/// the same date was already reported.
pub async fn terminate(
    State(app): State<AppState>,
    _admin: Admin,
    PolicyPath(policy): PolicyPath,
    JsonBody(request): JsonBody<TerminationRequest, MAX_TERMINATION_BODY>,
) -> Result<(StatusCode, Json<TerminationView>), OriginError> {
    let terminated_at = Timestamp::parse_rfc3339(request.terminated_at.trim()).map_err(|_| {
        OriginError::BadTime(
            "terminated_at must be an RFC 3339 date-time such as 2036-05-01T00:00:00+08:00",
        )
    })?;
    let now = app.now();
    if terminated_at > now {
        return Err(OriginError::TerminationInFuture);
    }
    let termination = Termination {
        policy_number: policy.as_str().to_string(),
        terminated_at,
        reported_at: now,
    };
    let archive = Arc::clone(&app.archive);
    let state = blocking(move || archive.report_termination(&termination)).await??;
    let until = retention_until(state.terminated_at).ok_or(OriginError::BadTime(
        "terminated_at is too late: ten years after it is past the year 9999",
    ))?;
    eprintln!(
        "origin: termination reported policy={} terminated_at={} recorded={}",
        policy,
        terminated_at.to_rfc3339(),
        state.recorded
    );
    let status = if state.recorded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(TerminationView {
            policy_number: policy.as_str().to_string(),
            terminated_at: state.terminated_at.to_rfc3339(),
            retention_until: until.to_rfc3339(),
            records: state.records,
            recorded: state.recorded,
        }),
    ))
}
