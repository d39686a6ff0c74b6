//! A problem case resolved by a new electronic revisit (issue 13, item 3; R12). A reviewer asks for
//! one from the case page: the origin asks the edge for it through the signed insurer API (the
//! policyholder's name, phone and ID number typed from the insurer's policy system, passed through
//! and never kept or logged; the policy, the product, the cooling-off end, the sale and the product
//! kinds from the case's record), the link goes to the policyholder by SMS (`send_link_sms`: the
//! console never sees it), and the case records the new revisit's id. When that revisit's record
//! arrives completed with nothing found (`re_revisit_settles`), the case can be closed as
//! re-revisited.

use crate::casework::work::CaseFile;
use crate::console::case_page::{case_id, render, Notice};
use crate::console::error::ConsoleError;
use crate::console::session::{log_action, StaffSession};
use crate::server::state::{blocking, AppState};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use huifang_core::casework::{re_revisit_settles, Case, Command};
use huifang_core::record::Record;
use huifang_core::script::ProductKind;
use huifang_core::wire::{ApiError, CreateRevisit, LinkSms, Policyholder, RevisitCreated};
use huifang_core::RevisitId;
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

/// Where a revisit asked for a case stands, as the archive says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReRevisitState {
    /// No record yet: the policyholder has not finished it.
    Waiting,
    /// Its record is in, completed with nothing found: it settles the case.
    Settles,
    /// Its record is in, but it does not settle the case (a "no", a flag, not completed).
    DoesNotSettle,
}

impl ReRevisitState {
    fn words(self) -> &'static str {
        match self {
            Self::Waiting => "等待投保人完成",
            Self::Settles => "已完成，未发现问题",
            Self::DoesNotSettle => "记录已到，但仍有问题或未完成",
        }
    }
}

/// The archived record of `revisit_id`, if it is in.
async fn archived(app: &AppState, revisit_id: &RevisitId) -> Result<Option<Record>, ConsoleError> {
    let archive = Arc::clone(&app.archive);
    let id = revisit_id.clone();
    let stored = blocking(move || archive.record(&id)).await??;
    Ok(stored.and_then(|s| s.sealed().ok()).map(|s| s.record))
}

/// Each revisit asked for `case`, with where it stands.
pub async fn states(
    app: &AppState,
    case: &Case,
) -> Result<Vec<(RevisitId, ReRevisitState)>, ConsoleError> {
    let mut out = Vec::new();
    for id in &case.re_revisits {
        let state = match archived(app, id).await? {
            None => ReRevisitState::Waiting,
            Some(r) if re_revisit_settles(&r) => ReRevisitState::Settles,
            Some(_) => ReRevisitState::DoesNotSettle,
        };
        out.push((id.clone(), state));
    }
    Ok(out)
}

/// Whether revisit `id`, asked for this case, has a record that settles it.
pub async fn settles(app: &AppState, id: &RevisitId) -> Result<bool, ConsoleError> {
    Ok(archived(app, id)
        .await?
        .is_some_and(|r| re_revisit_settles(&r)))
}

/// The section of the case page: the revisits asked so far, and the form to ask for one.
pub fn section(
    file: &CaseFile,
    session: &StaffSession,
    states: &[(RevisitId, ReRevisitState)],
    may_request: bool,
    configured: bool,
) -> Markup {
    markup! {
        @if !states.is_empty() || may_request {
            h2 #re-revisit { "重新电子回访" }
        }
        @if !states.is_empty() {
            table {
                caption.muted.small { "为此案件申请的新回访" }
                thead { tr { th scope="col" { "新回访编号" } th scope="col" { "状态" } } }
                tbody {
                    @for (id, state) in states {
                        tr { td { code { (id) } } td { (state.words()) } }
                    }
                }
            }
        }
        @if may_request {
            @if configured {
                form.action.wide method="post" action={ "/console/cases/" (file.id) "/re-revisit" } {
                    h3 { "申请重新电子回访" }
                    input type="hidden" name="csrf" value=(session.0.csrf_token);
                    p.small.muted {
                        "请从保单系统核对投保人信息后填写。新回访链接由短信直接发送给投保人，本页不会显示；"
                        "手机号和身份证号只用于创建回访，源站不保存、不记入日志。"
                    }
                    label for="rr-name" { "投保人姓名" }
                    input #rr-name type="text" name="name" maxlength="64" autocomplete="off" required;
                    label for="rr-phone" { "投保人手机号" }
                    input #rr-phone type="text" name="phone" inputmode="numeric" maxlength="20" autocomplete="off" required;
                    label for="rr-id" { "投保人身份证号" }
                    input #rr-id type="text" name="id_number" maxlength="18" autocomplete="off" required;
                    button type="submit" { "申请重新回访" }
                }
            } @else {
                p.muted { "源站未配置边缘节点（serve --edge-url），无法申请重新回访。" }
            }
        }
    }
}

/// The request form.
#[derive(Deserialize)]
pub struct ReRevisitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    id_number: String,
}

/// The product kinds whose items the record showed: the new revisit shows the same items.
fn product_kinds(record: &Record) -> Vec<ProductKind> {
    let Some(script) = huifang_core::script::shipped("default") else {
        return Vec::new();
    };
    let mut kinds: Vec<ProductKind> = Vec::new();
    for item in &script.items {
        if record.items.iter().any(|i| i.id == item.id) {
            for kind in &item.products {
                if !kinds.contains(kind) {
                    kinds.push(*kind);
                }
            }
        }
    }
    kinds
}

/// What a refusal of the edge means for the form, in words.
fn edge_refusal(code: &str) -> &'static str {
    match code {
        "invalid_name" => "投保人姓名不正确。未做任何更改。",
        "invalid_phone" => "手机号不正确：须为 11 位大陆手机号。未做任何更改。",
        "invalid_id_number" | "id_number_checksum" => {
            "身份证号不正确：须为 18 位，校验位须正确。未做任何更改。"
        }
        "cooling_off_ended" => "犹豫期已结束，不能再发起电子回访。未做任何更改。",
        _ => "边缘节点拒绝了新回访的创建。未做任何更改。",
    }
}

/// `POST /console/cases/{case_id}/re-revisit`.
pub async fn request(
    State(app): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
    form: Result<Form<ReRevisitForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Form(form) = form.map_err(|_| ConsoleError::BadRequest("the form cannot be read"))?;
    session.check_csrf(&app, &form.csrf).await?;
    let id = case_id(&id)?;
    let actor = session.0.account.actor();
    let file = crate::console::case_page::load(&app, &actor, &id).await?;
    let staff_id = actor.staff_id.clone();
    let refuse = |text: &'static str, status| (text, status);
    // The rules first, with the case's own revisit as a stand-in: nothing is asked of the edge
    // for a case the rules would not let this person record it on.
    let placeholder = Command::RequestReRevisit {
        revisit_id: file.case.opening.revisit_id.clone(),
        link_sent: true,
    };
    let checked = match file.case.decide(&actor, placeholder, app.casework_now()) {
        Err(r) => Err(refuse(
            crate::console::words::refusal(r.code()),
            crate::server::error::refusal_status(&r),
        )),
        Ok(_) if app.insurer.is_none() => Err(refuse(
            "源站未配置边缘节点，无法申请重新回访。未做任何更改。",
            StatusCode::SERVICE_UNAVAILABLE,
        )),
        Ok(_) => Ok(()),
    };
    if let Err((text, status)) = checked {
        log_action(&app, &staff_id, "re_revisit", Some(id.as_str()), "refused").await?;
        return render(&app, &session, &id, Some(Notice::error(text)), status).await;
    }
    let Some(record) = archived(&app, &file.case.opening.revisit_id).await? else {
        return Err(ConsoleError::NotFound);
    };
    let request = CreateRevisit {
        policy_number: record.policy_number.as_str().to_string(),
        product: record.product.clone(),
        policyholder: Policyholder {
            name: form.name.trim().to_string(),
            phone: form.phone.trim().to_string(),
            id_number: form.id_number.trim().to_string(),
        },
        cooling_off_ends_at: record.cooling_off_ends_at.to_rfc3339(),
        product_kinds: product_kinds(&record),
        script: None,
        agent: None,
        channel: record.channel.map(|c| c.as_str().to_string()),
        seller_code: record.seller_code.as_ref().map(|c| c.as_str().to_string()),
        send_link_sms: true,
    };
    let body = serde_json::to_vec(&request).map_err(|e| ConsoleError::Internal(e.to_string()))?;
    let Some(client) = app.insurer.clone() else {
        return Err(ConsoleError::Internal("no insurer client".into()));
    };
    let answer = match client.create(&body).await {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("origin: console: re-revisit of case {id}: the edge did not answer: {e}");
            log_action(
                &app,
                &staff_id,
                "re_revisit",
                Some(id.as_str()),
                "edge_unreachable",
            )
            .await?;
            let text = "边缘节点暂时无法访问，未创建新回访。请稍后重试。";
            return render(
                &app,
                &session,
                &id,
                Some(Notice::error(text)),
                StatusCode::BAD_GATEWAY,
            )
            .await;
        }
    };
    if !answer.is_success() {
        let code = serde_json::from_str::<ApiError<String>>(&answer.body)
            .map(|e| e.code)
            .unwrap_or_default();
        log_action(&app, &staff_id, "re_revisit", Some(id.as_str()), &code).await?;
        let status = StatusCode::from_u16(answer.status)
            .ok()
            .filter(|s| s.is_client_error())
            .unwrap_or(StatusCode::BAD_GATEWAY);
        let notice = Notice::error(edge_refusal(&code));
        return render(&app, &session, &id, Some(notice), status).await;
    }
    let created: RevisitCreated = serde_json::from_str(&answer.body)
        .map_err(|e| ConsoleError::Internal(format!("the edge's answer: {e}")))?;
    // Only the id is kept: the link (with its token) is dropped here, never shown or logged.
    let new_id = created.revisit_id;
    let command = Command::RequestReRevisit {
        revisit_id: new_id.clone(),
        link_sent: created.link_sms == Some(LinkSms::Sent),
    };
    let store = Arc::clone(&app.cases);
    let (case, now) = (id.clone(), app.casework_now());
    let result =
        blocking(move || crate::casework::work::act(&*store, &case, &actor, command, now)).await?;
    let outcome = if result.is_ok() { "ok" } else { "not_recorded" };
    log_action(&app, &staff_id, "re_revisit", Some(id.as_str()), outcome).await?;
    if let Err(e) = result {
        eprintln!(
            "origin: console: re-revisit {new_id} of case {id} created but not recorded: {e}"
        );
        let text = "新回访已创建，但案件已被他人更改，未能记录。请刷新后联系主管。";
        return render(
            &app,
            &session,
            &id,
            Some(Notice::error(text)),
            StatusCode::CONFLICT,
        )
        .await;
    }
    // Post/redirect/get: reloading the page must not ask the edge for another revisit. The log's
    // entry says the new id and whether its link went out.
    Ok(Redirect::to(&format!("/console/cases/{id}#re-revisit")).into_response())
}
