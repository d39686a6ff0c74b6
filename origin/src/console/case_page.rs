//! A case in the console: its facts (personal data masked), what it found, its timeline from the
//! log with who and when, the evidence report, and a form for each action the core's rules allow
//! this member of staff now (`Case::decide` answers, so the page never offers what would be
//! refused); and the evidence report for a staff session. The actions are in `actions`.

use crate::casework::work::{self, due_of, is_overdue, working_days_left, CaseFile};
use crate::casework::CaseId;
use crate::console::error::ConsoleError;
use crate::console::pages::SOON_WORKING_DAYS;
use crate::console::session::{log_action, StaffSession};
use crate::console::view::{html, layout};
use crate::console::words;
use crate::server::state::{blocking, AppState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use huifang_core::casework::{
    Actor, CallResult, Case, CaseKind, CaseRefusal, CaseState, Command, ReceiptChannel, Resolution,
};
use huifang_core::{RevisitId, Timestamp};
use maud::{html as markup, Markup};
use std::sync::Arc;

/// A message shown above the case.
pub(super) struct Notice {
    pub(super) error: bool,
    pub(super) text: String,
}

impl Notice {
    /// A refusal or a mistake to correct.
    pub(super) fn error(text: &str) -> Self {
        Self {
            error: true,
            text: text.to_string(),
        }
    }
}

pub(super) fn case_id(text: &str) -> Result<CaseId, ConsoleError> {
    CaseId::parse(text).ok_or(ConsoleError::NotFound)
}

/// The case, swept, if `actor` may see it (a seller's own sale is not found).
pub(super) async fn load(
    app: &AppState,
    actor: &Actor,
    id: &CaseId,
) -> Result<CaseFile, ConsoleError> {
    let store = Arc::clone(&app.cases);
    let now = app.casework_now();
    let id = id.clone();
    let file = blocking(move || work::load(&*store, &id, now))
        .await?
        .map_err(crate::server::error::OriginError::from)?;
    if file.case.visible_to(actor) {
        Ok(file)
    } else {
        Err(ConsoleError::NotFound)
    }
}

/// What the case page shows of its record: the policyholder's name and phone as the record
/// carries them (masked), and the items' titles by id.
struct FromRecord {
    name: String,
    phone: String,
    titles: Vec<(String, String)>,
}

async fn from_record(app: &AppState, revisit_id: &RevisitId) -> Option<FromRecord> {
    let archive = Arc::clone(&app.archive);
    let id = revisit_id.clone();
    let stored = blocking(move || archive.record(&id)).await.ok()?.ok()??;
    let record = stored.sealed().ok()?.record;
    Some(FromRecord {
        name: record.policyholder_masked,
        phone: record.phone_masked,
        titles: record.items.into_iter().map(|i| (i.id, i.title)).collect(),
    })
}

/// What the rules let `actor` do on `case` now.
pub(super) struct Allowed {
    assign_any: bool,
    assign_self: bool,
    pub(super) log_call: bool,
    mis_selling: bool,
    receipt: bool,
    resolutions: Vec<Resolution>,
    approve: bool,
    reject: bool,
}

impl Allowed {
    /// `settled`: the revisits asked for this case whose records settle it (each a way to close).
    pub(super) fn of(case: &Case, actor: &Actor, now: Timestamp, settled: &[RevisitId]) -> Self {
        // A command is offered when the rules accept it, or refuse only its placeholder input.
        let ok = |command: Command| {
            matches!(
                case.decide(actor, command, now),
                Ok(_) | Err(CaseRefusal::BadInput(_))
            )
        };
        let note = || "-".to_string();
        let candidates = match &case.opening.kind {
            CaseKind::Problem { .. } => {
                let mut list = vec![
                    Resolution::ExplainedAndConfirmed,
                    Resolution::CancelledInCoolingOff,
                    Resolution::ContractCorrected,
                ];
                list.extend(settled.iter().map(|id| Resolution::ReRevisited {
                    revisit_id: id.clone(),
                }));
                list
            }
            CaseKind::Fallback { .. } => {
                let mut list = vec![Resolution::CompletedByPhone {
                    recording_ref: note(),
                }];
                if let Some((channel, sha)) = case.receipts.last() {
                    list.push(Resolution::CompletedByReceipt {
                        channel: *channel,
                        receipt_sha256: sha.clone(),
                    });
                }
                list.push(Resolution::Unreachable { reasons: note() });
                list
            }
        };
        Self {
            assign_any: actor.role == huifang_core::casework::Role::Supervisor
                && ok(Command::Assign { to: "x".into() }),
            assign_self: ok(Command::Assign {
                to: actor.staff_id.clone(),
            }) && case.assignee.as_deref() != Some(actor.staff_id.as_str()),
            log_call: ok(Command::LogCall {
                result: CallResult::NoAnswer,
                note: note(),
            }),
            mis_selling: !case.mis_selling && ok(Command::MarkMisSelling { note: note() }),
            receipt: ok(Command::AttachReceipt {
                channel: ReceiptChannel::Letter,
                sha256: "0".repeat(64),
            }),
            resolutions: candidates
                .into_iter()
                .filter(|r| {
                    ok(Command::Resolve {
                        resolution: r.clone(),
                        note: note(),
                    })
                })
                .collect(),
            approve: ok(Command::Approve { note: note() }),
            reject: ok(Command::Reject { note: note() }),
        }
    }

    fn any(&self) -> bool {
        self.assign_any
            || self.assign_self
            || self.log_call
            || self.mis_selling
            || self.receipt
            || !self.resolutions.is_empty()
            || self.approve
            || self.reject
    }
}

/// The case's own revisit: a stand-in id to ask the rules whether a new one may be recorded.
fn o_revisit(case: &Case) -> RevisitId {
    case.opening.revisit_id.clone()
}

/// The name a resolution goes by in the form.
fn resolution_key(r: &Resolution) -> &'static str {
    match r {
        Resolution::ExplainedAndConfirmed => "explained_and_confirmed",
        Resolution::CancelledInCoolingOff => "cancelled_in_cooling_off",
        Resolution::ContractCorrected => "contract_corrected",
        Resolution::ReRevisited { .. } => "re_revisited",
        Resolution::CompletedByPhone { .. } => "completed_by_phone",
        Resolution::CompletedByReceipt { .. } => "completed_by_receipt",
        Resolution::Unreachable { .. } => "unreachable",
    }
}

/// What a resolution's form asks for besides the note, if anything.
fn resolution_detail(r: &Resolution) -> Option<&'static str> {
    match r {
        Resolution::CompletedByPhone { .. } => Some("通话录音编号"),
        Resolution::Unreachable { .. } => Some("各方式失败的原因"),
        _ => None,
    }
}

fn hidden_csrf(session: &StaffSession) -> Markup {
    markup! { input type="hidden" name="csrf" value=(session.0.csrf_token); }
}

fn action_forms(
    file: &CaseFile,
    session: &StaffSession,
    allowed: &Allowed,
    phone: Option<&str>,
) -> Markup {
    let post = format!("/console/cases/{}/actions", file.id);
    let csrf = hidden_csrf(session);
    markup! {
        div.actions {
            @if allowed.assign_self {
                form.action method="post" action=(post) {
                    h3 { "认领" } (csrf)
                    input type="hidden" name="action" value="assign";
                    input type="hidden" name="to" value=(session.0.account.staff_id);
                    p.small.muted { "把此案件分派给自己。" }
                    button type="submit" { "认领此案件" }
                }
            }
            @if allowed.assign_any {
                form.action method="post" action=(post) {
                    h3 { "分派" } (csrf)
                    input type="hidden" name="action" value="assign";
                    label for="assign-to" { "工号" }
                    input #assign-to type="text" name="to" required;
                    button type="submit" { "分派" }
                }
            }
            @if allowed.log_call {
                form.action method="post" action={ "/console/cases/" (file.id) "/reveal" } {
                    h3 { "查看完整号码" } (csrf)
                    p.small.muted { "脱敏号码：" (phone.unwrap_or("—")) "。查看完整号码会记入工作日志。" }
                    button type="submit" { "查看完整号码" }
                }
                form.action method="post" action=(post) {
                    h3 { "记录通话" } (csrf)
                    input type="hidden" name="action" value="log_call";
                    label for="call-result" { "通话结果" }
                    select #call-result name="result" {
                        @for r in words::CALL_RESULTS {
                            option value=(call_result_key(r)) { (words::call_result(r)) }
                        }
                    }
                    label for="call-note" { "通话记录" }
                    textarea #call-note name="note" maxlength="2000" required {}
                    button type="submit" { "记录通话" }
                }
            }
            @if allowed.mis_selling {
                form.action method="post" action=(post) {
                    h3 { "认定销售误导" } (csrf)
                    input type="hidden" name="action" value="mark_mis_selling";
                    label for="mis-note" { "发现的问题" }
                    textarea #mis-note name="note" maxlength="2000" required {}
                    p.small.muted { "认定后，结案方案须由第二人批准。" }
                    button type="submit" { "认定销售误导" }
                }
            }
            @if allowed.receipt {
                form.action method="post" enctype="multipart/form-data"
                    action={ "/console/cases/" (file.id) "/receipt" } {
                    h3 { "上传签收回执" } (csrf)
                    label for="receipt-channel" { "方式" }
                    select #receipt-channel name="channel" {
                        option value="letter" { "信函" }
                        option value="visit" { "上门" }
                    }
                    label for="receipt-file" { "回执文件（扫描件）" }
                    input #receipt-file type="file" name="file" required;
                    p.small.muted { "文件保存在源站，日志只记录其 SHA-256。" }
                    button type="submit" { "上传回执" }
                }
            }
            @for (i, r) in allowed.resolutions.iter().enumerate() {
                form.action method="post" action=(post) {
                    h3 { "结案：" (words::resolution(r)) } (csrf)
                    input type="hidden" name="action" value="resolve";
                    input type="hidden" name="resolution" value=(resolution_key(r));
                    @if let Resolution::ReRevisited { revisit_id } = r {
                        input type="hidden" name="detail" value=(revisit_id);
                        p.small { "新回访编号：" code { (revisit_id) } }
                    }
                    @if let Resolution::CompletedByReceipt { receipt_sha256, .. } = r {
                        input type="hidden" name="receipt" value=(receipt_sha256);
                        p.small { "回执 SHA-256：" code { (receipt_sha256) } }
                    }
                    @if let Some(label) = resolution_detail(r) {
                        label for={ "detail-" (i) } { (label) }
                        input id={ "detail-" (i) } type="text" name="detail" required;
                    }
                    label for={ "resolve-note-" (i) } { "说明" }
                    textarea id={ "resolve-note-" (i) } name="note" maxlength="2000" {}
                    @if file.case.mis_selling { p.small.muted { "销售误导案件：提交后待第二人批准。" } }
                    button type="submit" { "提交" }
                }
            }
            @if allowed.approve {
                form.action method="post" action=(post) {
                    h3 { "批准结案方案" } (csrf)
                    input type="hidden" name="action" value="approve";
                    label for="approve-note" { "意见" }
                    textarea #approve-note name="note" maxlength="2000" {}
                    button type="submit" { "批准" }
                }
            }
            @if allowed.reject {
                form.action method="post" action=(post) {
                    h3 { "驳回结案方案" } (csrf)
                    input type="hidden" name="action" value="reject";
                    label for="reject-note" { "驳回理由" }
                    textarea #reject-note name="note" maxlength="2000" required {}
                    button type="submit" { "驳回" }
                }
            }
        }
    }
}

pub(super) fn call_result_key(result: CallResult) -> &'static str {
    match result {
        CallResult::Reached => "reached",
        CallResult::NoAnswer => "no_answer",
        CallResult::Busy => "busy",
        CallResult::WrongNumber => "wrong_number",
        CallResult::Declined => "declined",
    }
}

/// The case page with `notice`, at `status`; reading it is logged.
pub(super) async fn render(
    app: &AppState,
    session: &StaffSession,
    id: &CaseId,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    let actor = session.0.account.actor();
    let file = load(app, &actor, id).await?;
    let case = &file.case;
    let now = app.casework_now();
    let due = due_of(case, &app.calendar);
    let left = working_days_left(due, now, &app.calendar);
    let overdue = is_overdue(case, due, now);
    let record = from_record(app, &case.opening.revisit_id).await;
    let (name, phone) = record
        .as_ref()
        .map(|r| (r.name.clone(), r.phone.clone()))
        .unzip();
    let title = |id: &str| {
        record
            .as_ref()?
            .titles
            .iter()
            .find(|(item, _)| item == id)
            .map(|(_, t)| t.clone())
    };
    let re_revisits = crate::console::re_revisit::states(app, case).await?;
    let settled: Vec<RevisitId> = re_revisits
        .iter()
        .filter(|(_, s)| *s == crate::console::re_revisit::ReRevisitState::Settles)
        .map(|(id, _)| id.clone())
        .collect();
    let allowed = Allowed::of(case, &actor, now, &settled);
    let ask = Command::RequestReRevisit {
        revisit_id: o_revisit(case),
        link_sent: true,
    };
    let may_re_revisit = case.decide(&actor, ask, now).is_ok();
    log_action(app, &actor.staff_id, "read_case", Some(id.as_str()), "ok").await?;
    let o = &case.opening;
    let body = markup! {
        p { a href="/console/queue" { "← 返回我的队列" } }
        h1 { "案件 " (file.id) }
        @if let Some(n) = &notice {
            p.notice.error[n.error].info[!n.error] role=[n.error.then_some("alert")] { (n.text) }
        }
        h2 { "概况" }
        dl.facts {
            dt { "类型" } dd { (words::kind(&o.kind)) }
            dt { "状态" } dd { (words::state_and_channel(case.state, case.channel)) }
            dt { "保单号" } dd { (o.policy_number.as_str()) }
            dt { "投保人" } dd { (name.as_deref().unwrap_or("—")) }
            dt { "手机号（脱敏）" } dd { (phone.as_deref().unwrap_or("—")) }
            dt { "发现时间" } dd { (words::beijing(o.discovered_at)) }
            dt { "犹豫期结束" } dd { (words::beijing(o.cooling_off_ends_at)) }
            dt { "到期时间" } dd {
                (words::due(due.at))
                @if !due.exact { " " span.muted.small { "（暂定：节假日表尚未覆盖）" } }
                @if let Some(d) = left.filter(|_| case.state != CaseState::Closed) {
                    "，剩余 " (d) " 个工作日"
                }
                @if overdue { " " span.tag.overdue { "已逾期" } }
                @else if left.is_some_and(|d| d <= SOON_WORKING_DAYS) && case.state != CaseState::Closed {
                    " " span.tag.soon { "即将到期" }
                }
            }
            dt { "经办人" } dd { (case.assignee.as_deref().unwrap_or("未分派")) }
            @if case.is_fallback() {
                dt { "通话尝试" } dd { (case.call_attempts) " 次，还可 " (case.call_attempts_left()) " 次" }
            }
            @if case.is_problem() {
                dt { "销售误导" } dd { @if case.mis_selling { "已认定" } @else { "未认定" } }
            }
            @if let Some((r, _)) = &case.proposal {
                dt { "待批准方案" } dd { (words::resolution(r)) "（提议人 " (case.proposed_by.as_deref().unwrap_or("—")) "）" }
            }
            @if let Some(r) = &case.resolution {
                dt { "结案方式" } dd { (words::resolution(r)) }
            }
            dt { "证据报告" } dd {
                a href={ "/console/records/" (o.revisit_id) "/report" } { "查看回访证据报告" }
            }
        }
        @if let CaseKind::Problem { findings } = &o.kind {
            h2 { "发现的问题" }
            ul { @for f in findings { li { (words::finding(f, title)) } } }
        }
        h2 { "办理" }
        @if allowed.any() {
            (action_forms(&file, session, &allowed, phone.as_deref()))
        } @else if matches!(actor.role, huifang_core::casework::Role::Auditor | huifang_core::casework::Role::Admin) {
            p.muted { "您的角色只能查看，不能办理案件。" }
        } @else if case.state == CaseState::Closed {
            p.muted { "案件已结案，不能再更改。" }
        } @else {
            p.muted { "按规则，您现在不能对此案件执行任何操作。" }
        }
        (crate::console::re_revisit::section(&file, session, &re_revisits, may_re_revisit, app.insurer.is_some()))
        h2 #timeline { "处理记录" }
        table.log {
            caption.muted.small { "案件日志，按时间顺序（北京时间）" }
            thead { tr {
                th scope="col" { "序号" } th scope="col" { "时间" }
                th scope="col" { "操作人" } th scope="col" { "事件" } th scope="col" { "详情" }
            } }
            tbody {
                @for e in &file.entries {
                    @let (what, detail) = words::event(&e.entry.event);
                    tr {
                        td { (e.case_seq) }
                        td { (words::beijing(e.entry.at)) }
                        td { @if e.entry.by == crate::casework::log::SYSTEM { "系统" } @else { (e.entry.by) } }
                        td { (what) }
                        td { (detail) }
                    }
                }
            }
        }
    };
    Ok(html(
        status,
        layout(&format!("案件 {}", file.id), Some(&session.0), body),
    ))
}

/// `GET /console/cases/{case_id}`.
pub async fn show(
    State(app): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    render(&app, &session, &case_id(&id)?, None, StatusCode::OK).await
}

/// `GET /console/records/{revisit_id}/report`: the evidence report for a logged-in member of staff
/// (the session cookie is scoped to `/console`). A seller does not see the report of their own
/// sale: when the record's first case is not visible to them, there is nothing here.
pub async fn report(
    State(app): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let revisit_id = RevisitId::parse(&id).map_err(|_| ConsoleError::NotFound)?;
    let actor = session.0.account.actor();
    match load(&app, &actor, &CaseId::of(&revisit_id, 1)).await {
        Ok(_) => {}
        // Staff who do not sell may read any record's report, with or without a case.
        Err(ConsoleError::NotFound) if actor.seller_code.is_none() => {}
        Err(e) => return Err(e),
    }
    let target = revisit_id.to_string();
    log_action(&app, &actor.staff_id, "read_report", Some(&target), "ok").await?;
    Ok(crate::server::report::page(&app, revisit_id).await?)
}
