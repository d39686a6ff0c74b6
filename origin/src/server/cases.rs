//! The back office's cases over HTTP (R11, R12), JSON for now: `GET /cases?queue=…` (a queue of
//! open work, soonest due first, with the working days left), `GET /cases/{case_id}` (the case and
//! its timeline) and `POST /cases/{case_id}/actions` (a staff command, decided by the core's rules
//! and appended with who and when). Every route takes a [`Staff`] caller. Nothing here can show a
//! link token or an SMS code: the records and the case log hold neither.

use crate::casework::work::{self, due_of, is_overdue, working_days_left, CaseFile, Queue};
use crate::server::error::OriginError;
use crate::server::extract::{CaseIdPath, JsonBody, Staff};
use crate::server::state::{blocking, AppState};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::Json;
use huifang_core::casework::{
    CaseEvent, CaseKind, CaseState, Channel, Command, FallbackReason, Finding, Resolution,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Largest `POST /cases/{id}/actions` body accepted.
pub const MAX_ACTION_BODY: usize = 16 * 1024;

/// One case as a queue lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    /// The case's id (`<revisit_id>.<n>`).
    pub case_id: String,
    /// `problem` (R12) or `fallback` (R11).
    pub kind: String,
    /// Why a fallback task was opened (`expired`, `switched_to_phone`, `cancelled`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<FallbackReason>,
    /// What a problem case found: the items answered "no" with the policyholder's words, and
    /// interference flags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// The revisit whose record opened it.
    pub revisit_id: String,
    /// The policy.
    pub policy_number: String,
    /// `open`, `awaiting_approval` or `closed`.
    pub state: CaseState,
    /// Who works a fallback task now: `call_centre` or `branch`.
    pub channel: Option<Channel>,
    /// The member of staff it is assigned to.
    pub assignee: Option<String>,
    /// Call attempts logged, and still allowed.
    pub call_attempts: u8,
    /// Call attempts still allowed.
    pub call_attempts_left: u8,
    /// Whether mis-selling was found (its resolution then needs a second person).
    pub mis_selling: bool,
    /// When it was discovered (the record's archiving), RFC 3339 UTC.
    pub discovered_at: String,
    /// The cooling-off period's end, RFC 3339 UTC.
    pub cooling_off_ends_at: String,
    /// When it is due, RFC 3339 UTC.
    pub due_at: String,
    /// `false` while the holiday table does not reach the deadline: `due_at` is then provisional
    /// (15 calendar days, never later than the true deadline).
    pub due_exact: bool,
    /// Working days left until it is due (0 on its day and after); `null` when the holiday table
    /// does not cover the span.
    pub working_days_left: Option<u32>,
    /// Open past its due time.
    pub overdue: bool,
    /// How it ended, once closed.
    pub resolution: Option<Resolution>,
    /// The resolution proposed for a mis-selling case, waiting for a second person.
    pub proposal: Option<Resolution>,
}

impl CaseSummary {
    fn of(file: &CaseFile, app: &AppState) -> Self {
        let case = &file.case;
        let now = app.casework_now();
        let due = due_of(case, &app.calendar);
        let (kind, fallback_reason, findings) = match &case.opening.kind {
            CaseKind::Problem { findings } => ("problem", None, findings.clone()),
            CaseKind::Fallback { reason } => ("fallback", Some(*reason), Vec::new()),
        };
        Self {
            case_id: file.id.to_string(),
            kind: kind.to_string(),
            fallback_reason,
            findings,
            revisit_id: case.opening.revisit_id.to_string(),
            policy_number: case.opening.policy_number.as_str().to_string(),
            state: case.state,
            channel: case.channel,
            assignee: case.assignee.clone(),
            call_attempts: case.call_attempts,
            call_attempts_left: case.call_attempts_left(),
            mis_selling: case.mis_selling,
            discovered_at: case.opening.discovered_at.to_rfc3339(),
            cooling_off_ends_at: case.opening.cooling_off_ends_at.to_rfc3339(),
            due_at: due.at.to_rfc3339(),
            due_exact: due.exact,
            working_days_left: working_days_left(due, now, &app.calendar),
            overdue: is_overdue(case, due, now),
            resolution: case.resolution.clone(),
            proposal: case.proposal.as_ref().map(|(r, _)| r.clone()),
        }
    }
}

/// One entry of a case's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Its position in the case's log, from 1.
    pub case_seq: u64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who: a staff id, or `system`.
    pub by: String,
    /// What, as the core names it (`opened`, `call_logged`, `routed_to_branch`, `closed`, …).
    pub event: CaseEvent,
}

/// `GET /cases/{case_id}` and `POST /cases/{case_id}/actions` reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseView {
    /// The case now.
    #[serde(flatten)]
    pub case: CaseSummary,
    /// Every entry of its log, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

impl CaseView {
    fn of(file: &CaseFile, app: &AppState) -> Self {
        Self {
            case: CaseSummary::of(file, app),
            timeline: file
                .entries
                .iter()
                .map(|e| TimelineEntry {
                    case_seq: e.case_seq,
                    at: e.entry.at.to_rfc3339(),
                    by: e.entry.by.clone(),
                    event: e.entry.event.clone(),
                })
                .collect(),
        }
    }
}

/// `GET /cases` reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseQueue {
    /// The queue listed.
    pub queue: Queue,
    /// Its open cases, soonest due first.
    pub cases: Vec<CaseSummary>,
}

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    queue: Option<String>,
}

/// The queue `GET /cases` asks for: `queue=` or, when absent, the caller's own role's; one the
/// caller's role may read.
pub struct QueueRequest(pub Queue);

impl FromRequestParts<AppState> for QueueRequest {
    type Rejection = OriginError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, OriginError> {
        let Staff(actor) = Staff::from_request_parts(parts, app).await?;
        let Query(query) = Query::<QueueQuery>::from_request_parts(parts, app).await?;
        let queue = match query.queue.as_deref() {
            Some(text) => Queue::parse(text),
            None => Queue::of_role(actor.role),
        }
        .ok_or(OriginError::BadQueue)?;
        if !queue.readable_by(actor.role) {
            return Err(OriginError::QueueNotYours);
        }
        Ok(Self(queue))
    }
}

/// `GET /cases?queue=reviewer|call_agent|branch`: the queue's open cases that the caller may see,
/// with routing brought up to date (the system's sweep), soonest due first.
pub async fn list(
    State(app): State<AppState>,
    Staff(actor): Staff,
    QueueRequest(queue): QueueRequest,
) -> Result<Json<CaseQueue>, OriginError> {
    let store = Arc::clone(&app.cases);
    let calendar = Arc::clone(&app.calendar);
    let now = app.casework_now();
    let files = blocking(move || work::queue(&*store, queue, &actor, now, &calendar)).await??;
    Ok(Json(CaseQueue {
        queue,
        cases: files.iter().map(|f| CaseSummary::of(f, &app)).collect(),
    }))
}

/// `GET /cases/{case_id}`: the case and its timeline. A case on the caller's own sale is not found.
pub async fn show(
    State(app): State<AppState>,
    Staff(actor): Staff,
    CaseIdPath(id): CaseIdPath,
) -> Result<Json<CaseView>, OriginError> {
    let store = Arc::clone(&app.cases);
    let now = app.casework_now();
    let file = blocking(move || work::load(&*store, &id, now)).await??;
    if !file.case.visible_to(&actor) {
        return Err(OriginError::CaseNotFound);
    }
    Ok(Json(CaseView::of(&file, &app)))
}

/// `POST /cases/{case_id}/actions` with a command (`{"command":"log_call","result":"no_answer",
/// "note":"…"}`): decided by the core's rules on the case as it is now, appended with who and when;
/// a refusal (4xx with the rule's code) or a concurrent change (`409 case_changed`) appends nothing.
pub async fn act(
    State(app): State<AppState>,
    Staff(actor): Staff,
    CaseIdPath(id): CaseIdPath,
    JsonBody(command): JsonBody<Command, MAX_ACTION_BODY>,
) -> Result<Json<CaseView>, OriginError> {
    let store = Arc::clone(&app.cases);
    let now = app.casework_now();
    let name = command_name(&command);
    // R12: a new revisit settles a problem only once its record is in, completed, nothing found.
    if let Command::Resolve {
        resolution: huifang_core::casework::Resolution::ReRevisited { revisit_id },
        ..
    } = &command
    {
        let archive = Arc::clone(&app.archive);
        let new = revisit_id.clone();
        let record = blocking(move || archive.record(&new)).await??;
        let settles = record
            .and_then(|r| r.sealed().ok())
            .is_some_and(|s| huifang_core::casework::re_revisit_settles(&s.record));
        if !settles {
            return Err(OriginError::CaseRefused(
                huifang_core::casework::CaseRefusal::BadInput(
                    "the new revisit's record is not in, or it does not settle the case",
                ),
            ));
        }
    }
    let staff_id = actor.staff_id.clone();
    let case_id = id.clone();
    let result = blocking(move || work::act(&*store, &id, &actor, command, now)).await?;
    // Who did what to which case; never the notes (they may quote the policyholder).
    match &result {
        Ok(_) => eprintln!("origin: case action case_id={case_id} command={name} by={staff_id}"),
        Err(work::WorkError::Refused(r)) => eprintln!(
            "origin: case action refused case_id={case_id} command={name} by={staff_id} code={}",
            r.code()
        ),
        Err(_) => {}
    }
    Ok(Json(CaseView::of(&result?, &app)))
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Assign { .. } => "assign",
        Command::LogCall { .. } => "log_call",
        Command::MarkMisSelling { .. } => "mark_mis_selling",
        Command::AttachReceipt { .. } => "attach_receipt",
        Command::Resolve { .. } => "resolve",
        Command::Approve { .. } => "approve",
        Command::Reject { .. } => "reject",
        Command::RequestReRevisit { .. } => "request_re_revisit",
    }
}
