//! The request for a new electronic revisit on a problem case (issue 13, item 3; R12), posted from
//! the case page's re-revisit section ([`crate::console::re_revisit`]): the origin asks the edge for
//! it through the signed insurer API and records it on the case; the page is shown again with what
//! became of it.

use crate::console::case_page::{case_id, render, Notice};
use crate::console::error::ConsoleError;
use crate::console::re_revisit::archived;
use crate::console::session::{log_action, StaffSession};
use crate::server::state::{blocking, AppState};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use huifang_core::casework::Command;
use huifang_core::record::Record;
use huifang_core::script::ProductKind;
use huifang_core::wire::{ApiError, CreateRevisit, LinkSms, Policyholder, RevisitCreated};
use serde::Deserialize;
use std::sync::Arc;

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
