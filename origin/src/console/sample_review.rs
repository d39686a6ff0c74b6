//! One pick of a sample run in the console (R13): the checklist computed from its archived record
//! (identity evidence, every item shown and answered in order, reading times, interference flags,
//! the signature, the pages' hashes recomputed), each shown with what was computed, and the
//! reviewer's answer to each in order, a verdict and a note. A finding opens a problem case (R12)
//! in the same transaction as the review. Decided by the core (`RunState::decide_review`).

use crate::console::error::ConsoleError;
use crate::console::sample_pages::{load_run, reader, run_id, when, words_refusal};
use crate::console::session::{log_action, StaffSession};
use crate::console::view::{html, layout};
use crate::console::words::{check_name, fact};
use crate::sampling::RunAppended;
use crate::server::state::{blocking, AppState};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use huifang_core::casework::{CaseEvent, Entry};
use huifang_core::record::Record;
use huifang_core::sample_run::{
    compute_checks, finding_opening, Check, CheckAnswer, Computed, RunEntry, RunEvent, RunState,
    Verdict,
};
use huifang_core::session::AnswerKind;
use huifang_core::RevisitId;
use maud::{html as markup, Markup};
use std::sync::Arc;

async fn record(app: &AppState, revisit: &str) -> Result<Record, ConsoleError> {
    let id = RevisitId::parse(revisit).map_err(|_| ConsoleError::NotFound)?;
    let archive = Arc::clone(&app.archive);
    let stored = blocking(move || archive.record(&id))
        .await??
        .ok_or(ConsoleError::NotFound)?;
    stored
        .sealed()
        .map(|s| s.record)
        .map_err(|e| ConsoleError::Internal(format!("stored record: {e}")))
}

/// The pick of `run` named `revisit`, with its record and the computed checklist.
async fn pick(
    app: &AppState,
    run: &str,
    revisit: &str,
) -> Result<(RunState, u64, Record, Vec<Computed>), ConsoleError> {
    let (state, last) = load_run(app, &run_id(run)?).await?;
    if !state.is_pick(revisit) {
        return Err(ConsoleError::NotFound);
    }
    let record = record(app, revisit).await?;
    let computed = compute_checks(&record);
    Ok((state, last, record, computed))
}

fn passed(c: &Computed) -> Markup {
    markup! {
        @match c.passed {
            Some(true) => span.tag.ok { "记录核验：通过" },
            Some(false) => span.tag.overdue { "记录核验：未通过" },
            None => span.tag.soon { "无法从记录计算，请人工判断" },
        }
    }
}

fn answer_word(a: Option<AnswerKind>) -> &'static str {
    match a {
        Some(AnswerKind::Yes) => "是，我确认",
        Some(AnswerKind::No) => "否/有疑问",
        None => "未作答",
    }
}

fn page(
    session: &StaffSession,
    run: &RunState,
    record: &Record,
    computed: &[Computed],
    notice: Option<&str>,
) -> Markup {
    let id = record.revisit_id.as_str();
    let review = run.reviews.get(id);
    let open = review.is_none()
        && run.signed_off.is_none()
        && huifang_core::sample_run::may_review(session.0.account.role);
    let body = markup! {
        p { a href={ "/console/sampling/" (run.run_id) } { "← 抽样批次 " (run.run_id) } }
        h1 { "复核：回访 " code { (id) } }
        @if let Some(n) = notice { p.notice.error role="alert" { (n) } }
        dl.facts {
            dt { "保单号" } dd { (record.policy_number.as_str()) }
            dt { "投保人" } dd { (record.policyholder_masked) "，" (record.phone_masked) }
            dt { "产品 / 话术版本" } dd { (record.product) " / " (record.script_id) " v" (record.script_version) }
            dt { "话术哈希" } dd { code { (record.script_hash) } }
            dt { "完成时间" } dd { (when(record.finished_at)) }
        }
        h2 { "逐项内容与回答" }
        table {
            caption.muted.small { "按展示顺序" }
            thead { tr { th scope="col" { "#" } th scope="col" { "事项" } th scope="col" { "回答" } th scope="col" { "内容哈希（记录）" } } }
            tbody { @for item in &record.items { tr {
                td { (item.index + 1) } td { (item.title) } td { (answer_word(item.answer)) }
                td { code { (item.content_hash.get(..16).unwrap_or(&item.content_hash)) "…" } }
            } } }
        }
        h2 { "核查清单" }
        @if let Some((by, verdict, case)) = review {
            p.notice.info {
                "已由 " (by) " 复核，结论："
                @match verdict { Verdict::Compliant => "合规", Verdict::Finding => "发现问题" }
                @if let Some(case) = case { "，问题件 " a href={ "/console/cases/" (case) } { (case) } }
            }
        }
        form.review method="post" action={ "/console/sampling/" (run.run_id) "/picks/" (id) } {
            input type="hidden" name="csrf" value=(session.0.csrf_token);
            @for c in computed {
                fieldset.check {
                    legend { (check_name(c.check.as_str())) " " (passed(c)) }
                    @if !c.detail.is_empty() {
                        ul.small { @for d in &c.detail { li { (fact(d)) } } }
                    }
                    @if open {
                        label.inline { input type="radio" name={ "check_" (c.check.as_str()) } value="holds" required; " 符合" }
                        label.inline { input type="radio" name={ "check_" (c.check.as_str()) } value="fails"; " 不符合" }
                    }
                }
            }
            @if open {
                fieldset.check {
                    legend { "结论" }
                    label.inline { input type="radio" name="verdict" value="compliant" required; " 合规" }
                    label.inline { input type="radio" name="verdict" value="finding"; " 发现问题（开立问题件）" }
                }
                label for="note" { "说明（发现问题时必填）" }
                textarea #note name="note" maxlength="2000" {}
                button type="submit" { "提交复核" }
            }
        }
    };
    layout(&format!("复核 {id}"), Some(&session.0), body)
}

/// `GET /console/sampling/{run}/picks/{revisit}`.
pub async fn show(
    State(app): State<AppState>,
    session: StaffSession,
    Path((run, revisit)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    let actor = reader(&session)?;
    let (state, _, record, computed) = pick(&app, &run, &revisit).await?;
    let target = format!("{}/{}", state.run_id, revisit);
    log_action(
        &app,
        &actor.staff_id,
        "read_sample_pick",
        Some(&target),
        "ok",
    )
    .await?;
    Ok(html(
        StatusCode::OK,
        page(&session, &state, &record, &computed, None),
    ))
}

/// The answers in the order the form sent them, the verdict and the note, or what is wrong.
fn read_form(
    fields: &[(String, String)],
) -> Result<(Vec<CheckAnswer>, Verdict, String), &'static str> {
    let mut answers = Vec::new();
    let mut verdict = None;
    let mut note = String::new();
    for (name, value) in fields {
        if let Some(check) = name.strip_prefix("check_") {
            let check = Check::parse(check).ok_or("未知的核查项。未做任何更改。")?;
            let holds = match value.as_str() {
                "holds" => true,
                "fails" => false,
                _ => return Err("核查项的回答无法识别。未做任何更改。"),
            };
            answers.push(CheckAnswer { check, holds });
        } else if name == "verdict" {
            verdict = Some(match value.as_str() {
                "compliant" => Verdict::Compliant,
                "finding" => Verdict::Finding,
                _ => return Err("请选择结论。未做任何更改。"),
            });
        } else if name == "note" {
            note = value.clone();
        }
    }
    let verdict = verdict.ok_or("请选择结论。未做任何更改。")?;
    Ok((answers, verdict, note))
}

/// `POST /console/sampling/{run}/picks/{revisit}`: the reviewer's checklist, verdict and note.
pub async fn review(
    State(app): State<AppState>,
    session: StaffSession,
    Path((run, revisit)): Path<(String, String)>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Form(fields) = form.map_err(|_| ConsoleError::BadRequest("the form cannot be read"))?;
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    session.check_csrf(&app, csrf).await?;
    let actor = reader(&session)?;
    let (state, last, record, computed) = pick(&app, &run, &revisit).await?;
    let target = format!("{}/{}", state.run_id, revisit);
    let decided = read_form(&fields).and_then(|(answers, verdict, note)| {
        state
            .decide_review(actor.role, &revisit, &computed, &answers, verdict, &note)
            .map(|()| (answers, verdict, note))
            .map_err(|r| words_refusal(&r))
    });
    let (answers, verdict, note) = match decided {
        Ok(d) => d,
        Err(message) => {
            log_action(
                &app,
                &actor.staff_id,
                "review_sample_pick",
                Some(&target),
                "refused",
            )
            .await?;
            let page = page(&session, &state, &record, &computed, Some(message));
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page));
        }
    };
    let now = app.now();
    let opening = match verdict {
        Verdict::Compliant => None,
        Verdict::Finding => {
            let o = finding_opening(&record, &state.run_id, &answers, &note, now, &app.calendar)
                .map_err(|e| ConsoleError::Internal(format!("holiday table: {e}")))?;
            Some(Entry {
                at: now,
                by: actor.staff_id.clone(),
                event: CaseEvent::Opened(o),
            })
        }
    };
    let store = Arc::clone(&app.sampling);
    let (run_key, by, id) = (
        state.run_id.clone(),
        actor.staff_id.clone(),
        revisit.clone(),
    );
    let note = note.trim().to_string();
    let appended = blocking(move || {
        store.append_review(&run_key, last, opening.as_ref(), &|case_id| RunEntry {
            run_id: run_key.clone(),
            at: now,
            by: by.clone(),
            event: RunEvent::Reviewed {
                revisit_id: id.clone(),
                checks: answers.clone(),
                verdict,
                note: note.clone(),
                case_id: case_id.map(str::to_string),
            },
        })
    })
    .await??;
    let outcome = match appended {
        RunAppended::Appended { .. } => "ok",
        RunAppended::Stale { .. } => "run_changed",
    };
    log_action(
        &app,
        &actor.staff_id,
        "review_sample_pick",
        Some(&target),
        outcome,
    )
    .await?;
    if outcome != "ok" {
        let (state, ..) = pick(&app, &run, &revisit).await?;
        let page = page(
            &session,
            &state,
            &record,
            &computed,
            Some("本批次已有他人更新，请核对后重试。未做任何更改。"),
        );
        return Ok(html(StatusCode::CONFLICT, page));
    }
    Ok(Redirect::to(&format!("/console/sampling/{}", state.run_id)).into_response())
}
