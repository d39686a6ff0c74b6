//! The console's layout and its list pages: the login form, a queue sorted by due time (3 working
//! days or fewer stands out, overdue is marked), and the queue as CSV. A queue shows no personal
//! data at all: the case, the policy, the state, the deadline.

use crate::casework::work::{self, due_of, is_overdue, working_days_left, CaseFile, Queue};
use crate::console::error::ConsoleError;
use crate::console::session::{log_action, StaffSession};
use crate::console::view::{html, layout};
use crate::console::words;
use crate::server::state::{blocking, AppState};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use huifang_core::casework::{Actor, Role};
use maud::html as markup;
use serde::Deserialize;
use std::sync::Arc;

/// A case is "soon due" at this many working days left or fewer.
pub const SOON_WORKING_DAYS: u32 = 3;

/// The queue query: `queue=reviewer|call_agent|branch`, else the role's own.
#[derive(Deserialize, Default)]
pub struct QueueQuery {
    queue: Option<String>,
}

/// The queue `actor` asked for and may read.
fn chosen_queue(actor: &Actor, query: &QueueQuery) -> Result<Queue, ConsoleError> {
    let queue = match query.queue.as_deref() {
        Some(text) => Queue::parse(text).ok_or(ConsoleError::BadRequest("no such queue"))?,
        None => Queue::of_role(actor.role).unwrap_or(Queue::Reviewer),
    };
    if queue.readable_by(actor.role) {
        Ok(queue)
    } else {
        Err(ConsoleError::NotFound)
    }
}

fn queue_name(queue: Queue) -> &'static str {
    match queue {
        Queue::Reviewer => "问题件",
        Queue::CallAgent => "电话回访任务",
        Queue::Branch => "分支机构任务（信函/上门）",
    }
}

fn queue_param(queue: Queue) -> &'static str {
    match queue {
        Queue::Reviewer => "reviewer",
        Queue::CallAgent => "call_agent",
        Queue::Branch => "branch",
    }
}

/// One row of a queue, as the page and the CSV show it.
pub struct QueueRow {
    pub case_id: String,
    pub kind: &'static str,
    pub policy_number: String,
    pub state: &'static str,
    pub channel: &'static str,
    pub state_and_channel: String,
    pub assignee: String,
    pub due: String,
    pub due_exact: bool,
    pub working_days_left: Option<u32>,
    pub overdue: bool,
    pub call_attempts: u8,
}

impl QueueRow {
    fn of(file: &CaseFile, app: &AppState) -> Self {
        let case = &file.case;
        let now = app.casework_now();
        let due = due_of(case, &app.calendar);
        Self {
            case_id: file.id.to_string(),
            kind: words::kind(&case.opening.kind),
            policy_number: case.opening.policy_number.as_str().to_string(),
            state: words::state(case.state),
            channel: words::channel(case.channel),
            state_and_channel: words::state_and_channel(case.state, case.channel),
            assignee: case.assignee.clone().unwrap_or_default(),
            due: words::due(due.at),
            due_exact: due.exact,
            working_days_left: working_days_left(due, now, &app.calendar),
            overdue: is_overdue(case, due, now),
            call_attempts: case.call_attempts,
        }
    }

    fn soon(&self) -> bool {
        !self.overdue
            && self
                .working_days_left
                .is_some_and(|d| d <= SOON_WORKING_DAYS)
    }
}

async fn queue_rows(
    app: &AppState,
    actor: &Actor,
    queue: Queue,
) -> Result<Vec<QueueRow>, ConsoleError> {
    let store = Arc::clone(&app.cases);
    let calendar = Arc::clone(&app.calendar);
    let now = app.casework_now();
    let who = actor.clone();
    let files = blocking(move || work::queue(&*store, queue, &who, now, &calendar))
        .await?
        .map_err(crate::server::error::OriginError::from)?;
    Ok(files.iter().map(|f| QueueRow::of(f, app)).collect())
}

/// The queue the request asks for (or the caller's role's), as the caller may see it.
async fn requested_queue(
    app: &AppState,
    session: &StaffSession,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<(Actor, Queue, Vec<QueueRow>), ConsoleError> {
    let Query(query) = query.map_err(|_| ConsoleError::BadRequest("the query cannot be read"))?;
    let actor = session.0.account.actor();
    let queue = chosen_queue(&actor, &query)?;
    let rows = queue_rows(app, &actor, queue).await?;
    Ok((actor, queue, rows))
}

/// `GET /console/queue`: the queue, soonest due first.
pub async fn queue_page(
    State(app): State<AppState>,
    session: StaffSession,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    let (actor, queue, rows) = requested_queue(&app, &session, query).await?;
    let target = queue_param(queue);
    log_action(&app, &actor.staff_id, "read_queue", Some(target), "ok").await?;
    let readable: Vec<Queue> = [Queue::Reviewer, Queue::CallAgent, Queue::Branch]
        .into_iter()
        .filter(|q| q.readable_by(actor.role))
        .collect();
    let body = markup! {
        h1 { "我的队列：" (queue_name(queue)) }
        @if readable.len() > 1 {
            nav.tabs aria-label="队列" {
                @for q in &readable {
                    a href={ "/console/queue?queue=" (queue_param(*q)) }
                      aria-current=[(*q == queue).then_some("page")] { (queue_name(*q)) }
                }
            }
        }
        @if actor.role == Role::Auditor {
            p.notice.info { "审计角色：可以查看全部队列和案件，不能操作。" }
        }
        p.muted {
            "共 " (rows.len()) " 件，按到期时间排序（北京时间）。剩余 " (SOON_WORKING_DAYS)
            " 个工作日及以内的以黄色标出，已逾期的以红色标出。 "
            a href={ "/console/queue.csv?queue=" (target) } { "导出 CSV" }
        }
        @if rows.is_empty() {
            p { "队列中没有待处理的案件。" }
        } @else {
            table {
                caption.muted.small { (queue_name(queue)) "，共 " (rows.len()) " 件" }
                thead { tr {
                    th scope="col" { "案件编号" } th scope="col" { "类型" }
                    th scope="col" { "保单号" } th scope="col" { "状态" }
                    th scope="col" { "经办" } th scope="col" { "到期时间" }
                    th scope="col" { "剩余工作日" }
                } }
                tbody {
                    @for row in &rows {
                        tr class=[row.overdue.then_some("overdue").or(row.soon().then_some("soon"))] {
                            td { a href={ "/console/cases/" (row.case_id) } { (row.case_id) } }
                            td { (row.kind) }
                            td { (row.policy_number) }
                            td { (row.state_and_channel) }
                            td { @if row.assignee.is_empty() { span.muted { "未分派" } } @else { (row.assignee) } }
                            td { (row.due) @if !row.due_exact { " " span.muted.small { "（暂定）" } } }
                            td {
                                @match row.working_days_left {
                                    Some(d) => (d),
                                    None => span.muted { "—" },
                                }
                                @if row.overdue { " " span.tag.overdue { "已逾期" } }
                                @else if row.soon() { " " span.tag.soon { "即将到期" } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(html(
        StatusCode::OK,
        layout("我的队列", Some(&session.0), body),
    ))
}

/// A CSV cell that a spreadsheet will not run as a formula.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// `GET /console/queue.csv`: the queue as the page shows it, one case a row, logged as an export.
pub async fn queue_csv(
    State(app): State<AppState>,
    session: StaffSession,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    let (actor, queue, rows) = requested_queue(&app, &session, query).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ConsoleError::Internal(format!("csv: {e}"));
    out.write_record([
        "case_id",
        "kind",
        "policy_number",
        "state",
        "channel",
        "assignee",
        "due_beijing",
        "due_exact",
        "working_days_left",
        "overdue",
        "call_attempts",
    ])
    .map_err(fail)?;
    for row in &rows {
        out.write_record([
            cell(&row.case_id),
            row.kind.to_string(),
            cell(&row.policy_number),
            row.state.to_string(),
            row.channel.to_string(),
            cell(&row.assignee),
            row.due.clone(),
            row.due_exact.to_string(),
            row.working_days_left
                .map(|d| d.to_string())
                .unwrap_or_default(),
            row.overdue.to_string(),
            row.call_attempts.to_string(),
        ])
        .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ConsoleError::Internal(format!("csv: {e}")))?;
    let target = queue_param(queue);
    log_action(&app, &actor.staff_id, "export_queue", Some(target), "ok").await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let disposition = format!("attachment; filename=\"queue-{target}.csv\"");
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
