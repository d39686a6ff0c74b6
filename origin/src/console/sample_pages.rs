//! Quality sampling in the console (R13, issue 14 item 3): the runs, the supervisor's form to draw
//! one, a run's page (its parameters, strata, picks and their reviews, the sign-off). Roles are
//! the core's (`sample_run::may_read`, `may_draw`, `RunState::decide_sign_off`); every read and
//! action goes into the staff log. The checklist of one pick is in `sample_review`.

use crate::console::error::ConsoleError;
use crate::console::session::{log_action, StaffSession};
use crate::console::view::{html, layout};
use crate::sampling::run::{draw_run, DrawRequest, RunError};
use crate::sampling::RunAppended;
use crate::server::state::{blocking, AppState};
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use huifang_core::sample_run::{may_draw, may_read, RunEntry, RunEvent, RunState, Verdict};
use huifang_core::sampling::{Method, PickReason, SampleSpec, Strata};
use huifang_core::Timestamp;
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

/// The session's member of staff, if they may read sampling at all (else not found, as a queue).
pub(super) fn reader(
    session: &StaffSession,
) -> Result<huifang_core::casework::Actor, ConsoleError> {
    let actor = session.0.account.actor();
    if may_read(actor.role) {
        Ok(actor)
    } else {
        Err(ConsoleError::NotFound)
    }
}

/// A run id as the log spells them (`S0001`): anything else is not found.
pub(super) fn run_id(text: &str) -> Result<String, ConsoleError> {
    let ok =
        text.len() == 5 && text.starts_with('S') && text[1..].bytes().all(|b| b.is_ascii_digit());
    ok.then(|| text.to_string()).ok_or(ConsoleError::NotFound)
}

/// A run folded from its log, with its last entry's position.
pub(super) async fn load_run(app: &AppState, id: &str) -> Result<(RunState, u64), ConsoleError> {
    let store = Arc::clone(&app.sampling);
    let run = id.to_string();
    let entries: Vec<RunEntry> = blocking(move || store.run_entries(&run)).await??;
    let last = entries.len() as u64;
    RunState::replay(&entries)
        .map(|s| (s, last))
        .ok_or(ConsoleError::NotFound)
}

pub(super) fn when(t: Timestamp) -> String {
    crate::console::words::due(t)
}

/// The Beijing date of an instant, `YYYY-MM-DD`.
fn day(t: Timestamp) -> String {
    huifang_core::working_days::beijing_date(t).to_string()
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::EqualInterval => "按保单号排序等距抽取",
        Method::SeedRank => "按 SHA-256(种子‖回访编号) 排序取前 n 个",
    }
}

fn strata_name(s: Strata) -> &'static str {
    match s {
        Strata::ChannelAndProductType => "渠道 × 产品类型",
        Strata::Channel => "渠道",
        Strata::ProductType => "产品类型",
        Strata::None => "不分层",
    }
}

/// `GET /console/sampling`: the runs, newest first, and (for a supervisor) the form to draw one.
pub async fn runs_page(
    State(app): State<AppState>,
    session: StaffSession,
) -> Result<Response, ConsoleError> {
    let actor = reader(&session)?;
    let store = Arc::clone(&app.sampling);
    let runs = blocking(move || store.runs()).await??;
    log_action(&app, &actor.staff_id, "read_sample_runs", None, "ok").await?;
    Ok(html(StatusCode::OK, runs_markup(&session, &runs, None)))
}

fn runs_markup(
    session: &StaffSession,
    runs: &[crate::sampling::RunSummary],
    notice: Option<&str>,
) -> Markup {
    let role = session.0.account.role;
    let body = markup! {
        h1 { "质检抽样" }
        @if let Some(n) = notice { p.notice.error role="alert" { (n) } }
        p.muted {
            "每次抽样连同抽样框摘要、参数、随机种子和抽中清单封存于只追加的哈希链日志；"
            "审计人员可用 " code { "huifang-origin redraw-sample 批次号 --db 文件" } " 复核。"
        }
        @if runs.is_empty() {
            p { "还没有抽样批次。" }
        } @else {
            table {
                caption.muted.small { "抽样批次，共 " (runs.len()) " 个" }
                thead { tr {
                    th scope="col" { "批次" } th scope="col" { "抽样人" }
                    th scope="col" { "抽样时间" } th scope="col" { "日志条目" } th scope="col" { "状态" }
                } }
                tbody { @for r in runs { tr {
                    td { a href={ "/console/sampling/" (r.run_id) } { (r.run_id) } }
                    td { (r.drawn_by) } td { (when(r.drawn_at)) } td { (r.entries) }
                    td { @if r.signed_off { "已签核" } @else { "复核中" } }
                } } }
            }
        }
        @if may_draw(role) {
            h2 { "发起抽样" }
            form.action method="post" action="/console/sampling" {
                input type="hidden" name="csrf" value=(session.0.csrf_token);
                label for="from" { "归档日期自（北京时间，含）" }
                input #from type="date" name="from" required;
                label for="to" { "归档日期至（北京时间，含）" }
                input #to type="date" name="to" required;
                label for="ratio_bp" { "抽样比例（万分比，50 = 0.5%）" }
                input #ratio_bp type="text" inputmode="numeric" name="ratio_bp" value="50" required;
                label for="minimum" { "最少抽取件数（不足则全部抽取）" }
                input #minimum type="text" inputmode="numeric" name="minimum" value="1200" required;
                label for="method" { "抽样方法" }
                select #method name="method" {
                    option value="equal_interval" selected { (method_name(Method::EqualInterval)) }
                    option value="seed_rank" { (method_name(Method::SeedRank)) }
                }
                p.muted.small { "分层：渠道 × 产品类型；所有问题件一并抽入；种子由系统随机生成并封存。" }
                button type="submit" { "抽样并封存" }
            }
        }
    };
    layout("质检抽样", Some(&session.0), body)
}

#[derive(Deserialize)]
pub struct DrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    ratio_bp: String,
    #[serde(default)]
    minimum: String,
    #[serde(default)]
    method: String,
}

/// The start of a Beijing date given as `YYYY-MM-DD`.
fn beijing_day(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    let shaped = t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-';
    shaped
        .then(|| Timestamp::parse_rfc3339(&format!("{t}T00:00:00+08:00")).ok())
        .flatten()
}

fn draw_request(form: &DrawForm) -> Result<DrawRequest, &'static str> {
    let from = beijing_day(&form.from).ok_or("请填写开始日期。未做任何更改。")?;
    let to = beijing_day(&form.to)
        .ok_or("请填写结束日期。未做任何更改。")?
        .plus_millis(huifang_core::time::DAY_MS);
    let ratio_bp = form
        .ratio_bp
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|r| (1..=10_000).contains(r))
        .ok_or("抽样比例须为 1 到 10000 之间的整数（万分比）。未做任何更改。")?;
    let minimum = form
        .minimum
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| *m <= 1_000_000)
        .ok_or("最少抽取件数须为不超过 1000000 的整数。未做任何更改。")?;
    let method = match form.method.as_str() {
        "equal_interval" => Method::EqualInterval,
        "seed_rank" => Method::SeedRank,
        _ => return Err("请选择抽样方法。未做任何更改。"),
    };
    Ok(DrawRequest {
        from,
        to,
        outcome: "completed".into(),
        spec: SampleSpec {
            ratio_bp,
            minimum,
            strata: Strata::ChannelAndProductType,
            method,
            seed: String::new(),
        },
    })
}

/// `POST /console/sampling`: a supervisor draws and seals a run over the completed revisits
/// archived in the period.
pub async fn draw(
    State(app): State<AppState>,
    session: StaffSession,
    form: Result<Form<DrawForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Form(form) = form.map_err(|_| ConsoleError::BadRequest("the form cannot be read"))?;
    session.check_csrf(&app, &form.csrf).await?;
    let actor = reader(&session)?;
    if !may_draw(actor.role) {
        let m = "只有主管可以发起抽样。未做任何更改。";
        return refuse_draw(&app, &session, "role", m).await;
    }
    let request = match draw_request(&form) {
        Ok(r) => r,
        Err(m) => return refuse_draw(&app, &session, "bad_input", m).await,
    };
    if request.to <= request.from {
        let m = "结束日期早于开始日期。未做任何更改。";
        return refuse_draw(&app, &session, "bad_input", m).await;
    }
    let store = Arc::clone(&app.sampling);
    let (now, by) = (app.now(), actor.staff_id.clone());
    let drawn = blocking(move || draw_run(&*store, request, &by, now)).await?;
    match drawn {
        Ok((run, _)) => {
            log_action(&app, &actor.staff_id, "draw_sample", Some(&run), "ok").await?;
            Ok(Redirect::to(&format!("/console/sampling/{run}")).into_response())
        }
        Err(RunError::Archive(e)) => Err(ConsoleError::Store(e)),
        Err(e) => {
            let m = format!("无法抽样：{e}。未做任何更改。");
            refuse_draw(&app, &session, "refused", &m).await
        }
    }
}

/// A refused draw: logged, and the runs page again with why.
async fn refuse_draw(
    app: &AppState,
    session: &StaffSession,
    code: &str,
    message: &str,
) -> Result<Response, ConsoleError> {
    let staff_id = &session.0.account.staff_id;
    log_action(app, staff_id, "draw_sample", None, code).await?;
    let store = Arc::clone(&app.sampling);
    let runs = blocking(move || store.runs()).await??;
    let page = runs_markup(session, &runs, Some(message));
    Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page))
}

/// `GET /console/sampling/{run}`: the run, its strata, its picks and their reviews.
pub async fn run_page(
    State(app): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let actor = reader(&session)?;
    let id = run_id(&id)?;
    let (run, _) = load_run(&app, &id).await?;
    log_action(&app, &actor.staff_id, "read_sample_run", Some(&id), "ok").await?;
    Ok(html(StatusCode::OK, run_markup(&session, &run, None)))
}

fn run_markup(session: &StaffSession, run: &RunState, notice: Option<&str>) -> Markup {
    let p = &run.params;
    let reviewed = run.reviews.len();
    let total = run.sample.picks.len();
    let can_sign = run.decide_sign_off(session.0.account.role, "").is_ok();
    let body = markup! {
        h1 { "抽样批次 " (run.run_id) }
        @if let Some(n) = notice { p.notice.error role="alert" { (n) } }
        dl.facts {
            dt { "归档期间（北京时间）" } dd { (day(p.period_from)) " 至 " (day(Timestamp::from_millis(p.period_to.millis().saturating_sub(1)))) "（含首尾两日）" }
            dt { "抽样框" } dd { "已完成的电子化回访 " (run.sample.frame_size) " 件" }
            dt { "抽样框摘要" } dd { code { (run.sample.frame_digest) } }
            dt { "比例 / 最少" } dd { (p.spec.ratio_bp) " ‱ / " (p.spec.minimum) " 件" }
            dt { "方法 / 分层" } dd { (method_name(p.spec.method)) " / " (strata_name(p.spec.strata)) }
            dt { "随机种子" } dd { code { (p.spec.seed) } }
            dt { "读取的档案位置" } dd { "记录 seq ≤ " (p.records_head) "，案件日志 seq ≤ " (p.cases_head) }
            dt { "抽样人 / 时间" } dd { (run.drawn_by) " / " (when(run.drawn_at)) }
            dt { "复核进度" } dd { (reviewed) " / " (total) "，发现问题 " (run.findings()) " 件" }
            dt { "签核" } dd {
                @match &run.signed_off {
                    Some((by, at)) => { "已由 " (by) " 于 " (when(*at)) " 签核" },
                    None => "未签核",
                }
            }
        }
        h2 { "分层" }
        table {
            caption.muted.small { "各层总体与抽取件数" }
            thead { tr { th scope="col" { "层" } th scope="col" { "总体" } th scope="col" { "抽取" } } }
            tbody { @for s in &run.sample.strata { tr {
                td { (crate::console::words::stratum(&s.stratum)) } td { (s.population) } td { (s.drawn) }
            } } }
        }
        h2 { "抽中清单" }
        table {
            caption.muted.small { "共 " (total) " 件（含全部问题件）" }
            thead { tr {
                th scope="col" { "回访编号" } th scope="col" { "层" } th scope="col" { "抽入原因" }
                th scope="col" { "复核" } th scope="col" { "问题件" }
            } }
            tbody { @for pick in &run.sample.picks { tr {
                td { a href={ "/console/sampling/" (run.run_id) "/picks/" (pick.revisit_id) } { code { (pick.revisit_id) } } }
                td { (crate::console::words::stratum(&pick.stratum)) }
                td { @match pick.reason { PickReason::Drawn => "抽中", PickReason::ProblemCase => "问题件必检" } }
                td { @match run.reviews.get(&pick.revisit_id) {
                    Some((by, Verdict::Compliant, _)) => { "合规（" (by) "）" },
                    Some((by, Verdict::Finding, _)) => { span.tag.overdue { "发现问题" } "（" (by) "）" },
                    None => span.muted { "待复核" },
                } }
                td { @if let Some((_, _, Some(case))) = run.reviews.get(&pick.revisit_id) {
                    a href={ "/console/cases/" (case) } { (case) }
                } }
            } } }
        }
        @if can_sign {
            h2 { "签核" }
            form.action method="post" action={ "/console/sampling/" (run.run_id) "/sign-off" } {
                input type="hidden" name="csrf" value=(session.0.csrf_token);
                label for="note" { "签核意见" }
                textarea #note name="note" maxlength="2000" {}
                button type="submit" { "签核本批次" }
            }
        }
    };
    layout(&format!("抽样批次 {}", run.run_id), Some(&session.0), body)
}

#[derive(Deserialize)]
pub struct SignOffForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/sampling/{run}/sign-off`: a supervisor signs off a fully reviewed run.
pub async fn sign_off(
    State(app): State<AppState>,
    session: StaffSession,
    Path(id): Path<String>,
    form: Result<Form<SignOffForm>, FormRejection>,
) -> Result<Response, ConsoleError> {
    let Form(form) = form.map_err(|_| ConsoleError::BadRequest("the form cannot be read"))?;
    session.check_csrf(&app, &form.csrf).await?;
    let actor = reader(&session)?;
    let id = run_id(&id)?;
    let (run, last) = load_run(&app, &id).await?;
    if let Err(refusal) = run.decide_sign_off(actor.role, &form.note) {
        log_action(
            &app,
            &actor.staff_id,
            "sign_off_sample",
            Some(&id),
            "refused",
        )
        .await?;
        let page = run_markup(
            &session,
            &run,
            Some(&format!("无法签核：{}", words_refusal(&refusal))),
        );
        return Ok(html(StatusCode::CONFLICT, page));
    }
    let entry = RunEntry {
        run_id: id.clone(),
        at: app.now(),
        by: actor.staff_id.clone(),
        event: RunEvent::SignedOff {
            note: form.note.trim().to_string(),
        },
    };
    let store = Arc::clone(&app.sampling);
    let run_key = id.clone();
    let appended = blocking(move || store.append_run(&run_key, last, &entry)).await??;
    let outcome = match appended {
        RunAppended::Appended { .. } => "ok",
        RunAppended::Stale { .. } => "run_changed",
    };
    log_action(&app, &actor.staff_id, "sign_off_sample", Some(&id), outcome).await?;
    Ok(Redirect::to(&format!("/console/sampling/{id}")).into_response())
}

/// A refusal of the core's in the console's words.
pub(super) fn words_refusal(r: &huifang_core::sample_run::RunRefusal) -> &'static str {
    use huifang_core::sample_run::RunRefusal::*;
    match r {
        Role => "您的角色不能执行此操作。未做任何更改。",
        NotAPick => "该回访不在本批次抽中清单内。",
        AlreadyReviewed => "该回访已复核。未做任何更改。",
        Checklist => "请按顺序逐项回答全部核查项。未做任何更改。",
        VerdictContradicts => "有核查项未通过，结论须为“发现问题”。未做任何更改。",
        NoteMissing => "发现问题时须填写说明。未做任何更改。",
        SignedOff => "本批次已签核，不能再更改。",
        NotAllReviewed => "还有抽中的回访未复核，不能签核。",
        NoteTooLong => "文字过长（最多 2000 字）。未做任何更改。",
    }
}
