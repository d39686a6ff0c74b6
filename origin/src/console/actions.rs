//! The console's actions on a case: a form's command decided by the core (`Case::decide` through
//! `work::act`) and appended with who and when, the phone reveal, and the receipt upload. Each is
//! logged in the staff log; a refusal or bad input is shown on the case page and changes nothing.

use crate::casework::work::{self, CaseFile, WorkError};
use crate::casework::CaseId;
use crate::console::case_page::{call_result_key, case_id, load, render, Allowed, Notice};
use crate::console::error::ConsoleError;
use crate::console::session::{log_action, StaffSession, TokenForm};
use crate::console::words;
use crate::server::error::refusal_status;
use crate::server::state::{blocking, AppState};
use axum::extract::rejection::FormRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use huifang_core::casework::{Case, Command, ReceiptChannel, Resolution};
use huifang_core::signing::sha256_hex;
use huifang_core::RevisitId;
use serde::Deserialize;
use std::sync::Arc;

/// An action form: `action` names the command; the other fields are what it needs.
#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    resolution: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    receipt: String,
}

const LONGEST_TEXT: usize = 2_000;

/// The command a form asks for, or what is wrong with it (in words for the member of staff).
fn command_of(form: &ActionForm, case: &Case) -> Result<Command, &'static str> {
    let note = form.note.trim().to_string();
    if note.chars().count() > LONGEST_TEXT || form.detail.chars().count() > LONGEST_TEXT {
        return Err("文字过长（最多 2000 字）。未做任何更改。");
    }
    let detail = form.detail.trim().to_string();
    let required = |text: &str, what: &'static str| {
        if text.is_empty() {
            Err(what)
        } else {
            Ok(text.to_string())
        }
    };
    Ok(match form.action.as_str() {
        "assign" => Command::Assign {
            to: required(form.to.trim(), "请填写要分派的工号。未做任何更改。")?,
        },
        "log_call" => Command::LogCall {
            result: words::CALL_RESULTS
                .into_iter()
                .find(|r| call_result_key(*r) == form.result)
                .ok_or("请选择通话结果。未做任何更改。")?,
            note: required(&note, "请填写通话记录。未做任何更改。")?,
        },
        "mark_mis_selling" => Command::MarkMisSelling {
            note: required(&note, "请描述发现的销售误导问题。未做任何更改。")?,
        },
        "approve" => Command::Approve { note },
        "reject" => Command::Reject {
            note: required(&note, "请填写驳回理由。未做任何更改。")?,
        },
        "resolve" => {
            let resolution = match form.resolution.as_str() {
                "explained_and_confirmed" => Resolution::ExplainedAndConfirmed,
                "cancelled_in_cooling_off" => Resolution::CancelledInCoolingOff,
                "contract_corrected" => Resolution::ContractCorrected,
                "re_revisited" => Resolution::ReRevisited {
                    revisit_id: RevisitId::parse(&detail)
                        .map_err(|_| "新回访编号格式不正确。未做任何更改。")?,
                },
                "completed_by_phone" => Resolution::CompletedByPhone {
                    recording_ref: required(&detail, "请填写通话录音编号。未做任何更改。")?,
                },
                "completed_by_receipt" => {
                    let sha = form.receipt.trim().to_ascii_lowercase();
                    let (channel, _) = case
                        .receipts
                        .iter()
                        .find(|(_, h)| *h == sha)
                        .ok_or("请先上传投保人签署的回执。未做任何更改。")?;
                    Resolution::CompletedByReceipt {
                        channel: *channel,
                        receipt_sha256: sha,
                    }
                }
                "unreachable" => Resolution::Unreachable {
                    reasons: required(&detail, "请记录各种方式失败的原因。未做任何更改。")?,
                },
                _ => return Err("请选择结案方式。未做任何更改。"),
            };
            Command::Resolve { resolution, note }
        }
        _ => return Err("未知的操作。未做任何更改。"),
    })
}

/// `actor`'s `command` on case `id`, logged; a redirect to the case when done, else the case page
/// with the refusal.
async fn run(
    app: &AppState,
    session: &StaffSession,
    id: &CaseId,
    action: &str,
    command: Command,
) -> Result<Response, ConsoleError> {
    let actor = session.0.account.actor();
    let store = Arc::clone(&app.cases);
    let now = app.casework_now();
    let (case, who) = (id.clone(), actor.clone());
    let result = blocking(move || work::act(&*store, &case, &who, command, now)).await?;
    let logged = format!("case_action:{action}");
    let (code, status) = match result {
        Ok(_) => {
            log_action(app, &actor.staff_id, &logged, Some(id.as_str()), "ok").await?;
            return Ok(Redirect::to(&format!("/console/cases/{id}")).into_response());
        }
        Err(WorkError::NotFound) => return Err(ConsoleError::NotFound),
        Err(WorkError::Store(e)) => return Err(ConsoleError::Store(e)),
        Err(WorkError::Changed) => ("case_changed", StatusCode::CONFLICT),
        Err(WorkError::Refused(r)) => (r.code(), refusal_status(&r)),
    };
    log_action(app, &actor.staff_id, &logged, Some(id.as_str()), code).await?;
    render(
        app,
        session,
        id,
        Some(Notice::error(words::refusal(code))),
        status,
    )
    .await
}

/// Whether `staff_id` names a member of staff (a case is assigned only to someone who exists).
async fn staff_exists(app: &AppState, staff_id: &str) -> Result<bool, ConsoleError> {
    let store = Arc::clone(&app.staff);
    let id = staff_id.trim().to_string();
    Ok(blocking(move || store.staff(&id)).await??.is_some())
}

/// The case a form posts to, once the form's CSRF token is checked, if the caller may see it.
async fn posted_case(
    app: &AppState,
    session: &StaffSession,
    csrf: &str,
    id: &str,
) -> Result<(CaseId, CaseFile), ConsoleError> {
    session.check_csrf(app, csrf).await?;
    let id = case_id(id)?;
    let file = load(app, &session.0.account.actor(), &id).await?;
    Ok((id, file))
}

/// `POST /console/cases/{case_id}/actions`: a form's command, decided by the core.
pub async fn act(
    State(app): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Form(form) = form.map_err(|_| ConsoleError::BadRequest("the form cannot be read"))?;
    let (id, file) = posted_case(&app, &session, &form.csrf, &id).await?;
    let action = match form.action.as_str() {
        known @ ("assign" | "log_call" | "mark_mis_selling" | "approve" | "reject" | "resolve") => {
            known
        }
        _ => "unknown",
    };
    let command = match command_of(&form, &file.case) {
        Ok(Command::Assign { to }) if !staff_exists(&app, &to).await? => {
            Err("没有这个工号的工作人员。未做任何更改。")
        }
        // R12: only a new revisit whose record is in, completed with nothing found, settles it.
        Ok(Command::Resolve {
            resolution: Resolution::ReRevisited { revisit_id },
            ..
        }) if !crate::console::re_revisit::settles(&app, &revisit_id).await? => {
            Err("新回访的记录尚未到达，或仍有问题，不能以此结案。未做任何更改。")
        }
        other => other,
    };
    match command {
        Ok(command) => run(&app, &session, &id, action, command).await,
        Err(message) => {
            let staff_id = &session.0.account.staff_id;
            let logged = format!("case_action:{action}");
            log_action(&app, staff_id, &logged, Some(id.as_str()), "bad_input").await?;
            let notice = Notice::error(message);
            render(
                &app,
                &session,
                &id,
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// `POST /console/cases/{case_id}/reveal`: asking for the full phone number for a call is itself
/// logged. The origin holds only the masked number (the edge keeps the full one for its SMS and
/// erases it with the session), so the answer says that the number cannot be shown here.
pub async fn reveal(
    State(app): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Form(form) = form.map_err(|_| ConsoleError::BadRequest("the form cannot be read"))?;
    let (id, file) = posted_case(&app, &session, &form.csrf, &id).await?;
    let actor = session.0.account.actor();
    let may_call = Allowed::of(&file.case, &actor, app.casework_now(), &[]).log_call;
    let outcome = if may_call { "not_available" } else { "refused" };
    log_action(
        &app,
        &actor.staff_id,
        "reveal_phone",
        Some(id.as_str()),
        outcome,
    )
    .await?;
    let notice = if may_call {
        Notice {
            error: false,
            text: "源站只保存了脱敏的手机号，无法在此显示完整号码。本次查看请求已记入工作日志；请在保险公司的保单系统中查询号码后拨打。".into(),
        }
    } else {
        Notice::error("您现在不能为此案件拨打电话，因此不能查看号码。本次请求已记入工作日志。")
    };
    let status = if may_call {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    };
    render(&app, &session, &id, Some(notice), status).await
}

/// `POST /console/cases/{case_id}/receipt` (multipart: `csrf`, `channel`, `file`): the file is kept
/// under the receipts directory by its SHA-256, and only the SHA-256 goes into the log.
pub async fn receipt(
    State(app): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ConsoleError> {
    let bad = |_| ConsoleError::BadRequest("the upload cannot be read");
    let mut multipart = multipart.map_err(|_| ConsoleError::BadRequest("not an upload"))?;
    let (mut csrf, mut channel, mut bytes) = (String::new(), String::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(bad)?,
            Some("channel") => channel = field.text().await.map_err(bad)?,
            Some("file") => bytes = Some(field.bytes().await.map_err(bad)?),
            _ => {}
        }
    }
    let (id, _) = posted_case(&app, &session, &csrf, &id).await?;
    let checked = match (
        channel.as_str(),
        bytes.filter(|b| !b.is_empty()),
        &app.console.receipts_dir,
    ) {
        ("letter" | "visit", Some(_), None) => Err((
            "源站未配置回执存储目录，无法上传。未做任何更改。",
            StatusCode::SERVICE_UNAVAILABLE,
        )),
        ("letter", Some(b), Some(d)) => Ok((ReceiptChannel::Letter, b, d.clone())),
        ("visit", Some(b), Some(d)) => Ok((ReceiptChannel::Visit, b, d.clone())),
        ("letter" | "visit", None, _) => Err((
            "请选择回执文件。未做任何更改。",
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        _ => Err((
            "请选择回执方式（信函或上门）。未做任何更改。",
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    };
    let (channel, bytes, dir) = match checked {
        Ok(upload) => upload,
        Err((text, status)) => {
            return render(&app, &session, &id, Some(Notice::error(text)), status).await
        }
    };
    let sha256 = sha256_hex(&bytes);
    let path = dir.join(&sha256);
    let created = blocking({
        let path = path.clone();
        move || store_receipt(&dir, &path, &bytes)
    })
    .await?
    .map_err(|e| ConsoleError::Internal(format!("receipt: {e}")))?;
    let response = run(
        &app,
        &session,
        &id,
        "attach_receipt",
        Command::AttachReceipt { channel, sha256 },
    )
    .await?;
    // A refused upload leaves nothing behind that it added.
    if created && response.status() != StatusCode::SEE_OTHER {
        let _ = std::fs::remove_file(&path);
    }
    Ok(response)
}

/// Writes the receipt at `path` (named by its hash) unless it is there; whether it was created.
fn store_receipt(
    dir: &std::path::Path,
    path: &std::path::Path,
    bytes: &[u8],
) -> std::io::Result<bool> {
    if path.is_file() {
        return Ok(false);
    }
    std::fs::create_dir_all(dir)?;
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)?;
    Ok(true)
}
