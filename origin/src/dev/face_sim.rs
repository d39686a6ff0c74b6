//! The simulated face check provider of dev mode (R8): what `make run` and the tests use instead
//! of an insurer's real provider. It behaves like the H5 flows used in China: `start` answers with
//! a page to send the browser to and an opaque reference; the page (`GET /face/sim/{page}`) says
//! plainly that it is a simulation and lets a tester pass, fail or cancel; its form sends the
//! browser back to the edge's return URL with the reference and a ticket in the fragment; `result` answers once,
//! for the revisit the check was started for, with the ticket that was handed back.
//!
//! Nothing is filmed or stored: there is no image anywhere in it. Checks live in memory for
//! [`SIM_CHECK_VALID_MS`].

use crate::server::error::OriginError;
use crate::server::face_provider::{FaceError, FaceOrder, FaceProvider};
use crate::server::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use huifang_core::script::Lang;
use huifang_core::session::{FaceOutcome, FaceResult, ScoreBand};
use huifang_core::time::MINUTE_MS;
use huifang_core::wire::{FaceResultRequest, FaceStartAnswer};
use huifang_core::Timestamp;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The provider's display name in its results.
pub const SIM_PROVIDER: &str = "模拟人脸核验服务";
/// How long a simulated check can be finished and its result taken.
pub const SIM_CHECK_VALID_MS: u64 = 15 * MINUTE_MS;
/// Most open checks held at once (older ones are dropped first).
const MAX_OPEN_CHECKS: usize = 10_000;

const CSS: &str = include_str!("face_sim.css");

#[derive(Clone, Debug)]
struct SimCheck {
    reference: String,
    revisit_id: huifang_core::RevisitId,
    return_url: String,
    lang: Lang,
    started_at: Timestamp,
    /// The tester's verdict and the ticket handed back with it.
    verdict: Option<(FaceOutcome, String)>,
    taken: bool,
}

#[derive(Default)]
struct Checks {
    /// By the page token in the provider page's URL (not the reference: the edge keeps the URL).
    by_page: HashMap<String, SimCheck>,
    /// Reference → page token.
    pages: HashMap<String, String>,
}

impl Checks {
    fn forget_old(&mut self, now: Timestamp) {
        self.by_page
            .retain(|_, c| now.since(c.started_at) <= SIM_CHECK_VALID_MS);
        let by_page = &self.by_page;
        self.pages.retain(|_, page| by_page.contains_key(page));
    }
}

/// The simulated provider.
#[derive(Default)]
pub struct SimulatedFace {
    checks: Mutex<Checks>,
}

fn random_token(prefix: &str) -> Result<String, FaceError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| FaceError::Busy)?;
    Ok(format!("{prefix}{}", hex::encode(bytes)))
}

impl SimulatedFace {
    fn lock(&self) -> std::sync::MutexGuard<'_, Checks> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.checks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check(&self, page: &str, now: Timestamp) -> Option<SimCheck> {
        let mut checks = self.lock();
        checks.forget_old(now);
        checks.by_page.get(page).cloned()
    }

    /// The tester's verdict on the page: the URL to send the browser back to, with the reference
    /// and a fresh ticket. `None` if the page is unknown, too old, or already answered.
    fn decide(&self, page: &str, outcome: FaceOutcome, now: Timestamp) -> Option<String> {
        let ticket = random_token("t").ok()?;
        let mut checks = self.lock();
        checks.forget_old(now);
        let check = checks.by_page.get_mut(page)?;
        if check.verdict.is_some() {
            return None;
        }
        check.verdict = Some((outcome, ticket.clone()));
        // In the fragment: the browser keeps it, no server on the way logs it.
        Some(format!(
            "{}#face_ref={}&face_ticket={ticket}",
            check.return_url, check.reference
        ))
    }
}

impl FaceProvider for SimulatedFace {
    fn start(&self, order: &FaceOrder, now: Timestamp) -> Result<FaceStartAnswer, FaceError> {
        let reference = random_token("sim-ref-")?;
        let page = random_token("p")?;
        let mut checks = self.lock();
        checks.forget_old(now);
        if checks.by_page.len() >= MAX_OPEN_CHECKS {
            return Err(FaceError::Busy);
        }
        checks.pages.insert(reference.clone(), page.clone());
        checks.by_page.insert(
            page.clone(),
            SimCheck {
                reference: reference.clone(),
                revisit_id: order.revisit_id.clone(),
                return_url: order.return_url.clone(),
                lang: order.lang,
                started_at: now,
                verdict: None,
                taken: false,
            },
        );
        Ok(FaceStartAnswer {
            redirect_url: format!("{}/face/sim/{page}", order.origin_base),
            reference,
        })
    }

    fn result(&self, request: &FaceResultRequest, now: Timestamp) -> Result<FaceResult, FaceError> {
        let mut checks = self.lock();
        checks.forget_old(now);
        let page = checks
            .pages
            .get(&request.reference)
            .cloned()
            .ok_or(FaceError::UnknownReference)?;
        let check = checks.by_page.get_mut(&page).ok_or(FaceError::Expired)?;
        if check.revisit_id != request.revisit_id {
            return Err(FaceError::ForeignReference);
        }
        if check.taken {
            return Err(FaceError::Used);
        }
        let Some((outcome, ticket)) = check.verdict.clone() else {
            return Err(FaceError::Pending);
        };
        if ticket != request.ticket {
            return Err(FaceError::TicketInvalid);
        }
        check.taken = true;
        let evidence_id = random_token("sim-ev-")?;
        Ok(FaceResult {
            outcome,
            provider: SIM_PROVIDER.to_string(),
            score_band: match outcome {
                FaceOutcome::Passed => Some(ScoreBand::High),
                FaceOutcome::Failed => Some(ScoreBand::Low),
                FaceOutcome::Cancelled => None,
            },
            evidence_id,
        })
    }
}

/// The page's routes (dev mode only), over the same `sim` the origin's face calls use.
pub fn routes(sim: Arc<SimulatedFace>) -> Router<AppState> {
    Router::new()
        .route("/face/sim.css", get(stylesheet))
        .route("/face/sim/{page}", get(show).post(answer))
        .layer(Extension(sim))
}

async fn stylesheet() -> Response {
    let mut response = CSS.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    response
}

/// How the page is shown: the language (the revisit's, unless the tester picks the other) and
/// large text.
#[derive(Debug, Default, Deserialize)]
pub struct Display {
    lang: Option<String>,
    large: Option<String>,
}

impl Display {
    fn lang(&self, default: Lang) -> Lang {
        self.lang
            .as_deref()
            .and_then(Lang::from_tag)
            .unwrap_or(default)
    }

    fn large(&self) -> bool {
        self.large.as_deref() == Some("1")
    }
}

/// The page's policy: its own stylesheet, its form, and the form's way back to the edge (the
/// redirect after the form is checked against `form-action` too). Nothing runs.
fn csp(return_url: &str) -> String {
    let edge = return_url.split('/').take(3).collect::<Vec<_>>().join("/");
    format!(
        "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self' {edge}; frame-ancestors 'none'"
    )
}

fn page_response(status: StatusCode, markup: Markup, csp: &str) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

struct Words {
    badge: &'static str,
    title: &'static str,
    lead: &'static str,
    no_camera: &'static str,
    choose: &'static str,
    pass: &'static str,
    fail: &'static str,
    cancel: &'static str,
    other_lang: &'static str,
    other_lang_tag: &'static str,
    large_on: &'static str,
    large_off: &'static str,
    gone_title: &'static str,
    gone: &'static str,
}

const ZH: Words = Words {
    badge: "测试用模拟服务",
    title: "模拟人脸识别",
    lead: "这是回访参考服务端内置的模拟人脸识别服务，仅供测试使用。",
    no_camera: "本页面不会打开摄像头，也不采集、不保存任何图像。",
    choose: "请选择这次人脸识别的结果，选择后将自动返回回访页面：",
    pass: "识别通过",
    fail: "识别未通过",
    cancel: "取消，返回回访",
    other_lang: "English",
    other_lang_tag: "en",
    large_on: "大字显示",
    large_off: "标准字号",
    gone_title: "人脸识别已结束",
    gone: "这次人脸识别已完成或已过期，请回到回访页面重新开始。",
};

const EN: Words = Words {
    badge: "SIMULATION",
    title: "Simulated face check",
    lead: "This is the simulated face check built into the revisit's reference origin, for testing only.",
    no_camera: "This page does not open the camera and takes or keeps no image.",
    choose: "Choose the result of this face check; you are then taken back to the revisit:",
    pass: "Passed",
    fail: "Did not pass",
    cancel: "Cancel and go back",
    other_lang: "中文",
    other_lang_tag: "zh-CN",
    large_on: "Large text",
    large_off: "Standard text",
    gone_title: "This face check has ended",
    gone: "This face check is finished or too old. Please go back to the revisit page and start again.",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::ZhCn => &ZH,
        Lang::En => &EN,
    }
}

fn layout(lang: Lang, large: bool, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.as_str()) class=[large.then_some("large")] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/face/sim.css";
            }
            body {
                main { (body) }
            }
        }
    }
}

/// `GET /face/sim/{page}`: the simulated provider's page.
async fn show(
    State(app): State<AppState>,
    Extension(sim): Extension<Arc<SimulatedFace>>,
    Path(page): Path<String>,
    Query(display): Query<Display>,
) -> Result<Response, OriginError> {
    let Some(check) = sim.check(&page, app.now()).filter(|c| c.verdict.is_none()) else {
        let lang = display.lang(Lang::ZhCn);
        let t = words(lang);
        let body = html! { h1 { (t.gone_title) } p { (t.gone) } };
        let csp = csp("");
        return Ok(page_response(
            StatusCode::NOT_FOUND,
            layout(lang, display.large(), t.gone_title, body),
            &csp,
        ));
    };
    let lang = display.lang(check.lang);
    let large = display.large();
    let t = words(lang);
    let here = |lang: &str, large: bool| {
        format!(
            "/face/sim/{page}?lang={lang}{}",
            if large { "&large=1" } else { "" }
        )
    };
    let body = html! {
        p.badge { (t.badge) }
        h1 { (t.title) }
        p { (t.lead) }
        p { (t.no_camera) }
        form method="post" action=(format!("/face/sim/{page}")) {
            fieldset {
                legend { (t.choose) }
                button.pass type="submit" name="verdict" value="pass" { (t.pass) }
                button.fail type="submit" name="verdict" value="fail" { (t.fail) }
                button.cancel type="submit" name="verdict" value="cancel" { (t.cancel) }
            }
        }
        nav aria-label=(if lang == Lang::En { "Display" } else { "显示" }) {
            a lang=(t.other_lang_tag) href=(here(t.other_lang_tag, large)) { (t.other_lang) }
            a href=(here(lang.as_str(), !large)) {
                (if large { t.large_off } else { t.large_on })
            }
        }
    };
    Ok(page_response(
        StatusCode::OK,
        layout(lang, large, t.title, body),
        &csp(&check.return_url),
    ))
}

/// The page's form.
#[derive(Debug, Deserialize)]
pub struct VerdictForm {
    verdict: String,
}

/// `POST /face/sim/{page}`: the tester's verdict; the browser goes back to the edge.
async fn answer(
    State(app): State<AppState>,
    Extension(sim): Extension<Arc<SimulatedFace>>,
    Path(page): Path<String>,
    form: Result<Form<VerdictForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, OriginError> {
    let outcome = match form.as_ref().map(|f| f.verdict.as_str()) {
        Ok("pass") => FaceOutcome::Passed,
        Ok("fail") => FaceOutcome::Failed,
        Ok("cancel") => FaceOutcome::Cancelled,
        _ => {
            return Err(OriginError::BadRequest(
                "verdict must be pass, fail or cancel",
            ))
        }
    };
    let Some(back) = sim.decide(&page, outcome, app.now()) else {
        return Err(OriginError::Face(FaceError::UnknownReference));
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let location =
        HeaderValue::from_str(&back).map_err(|_| OriginError::Face(FaceError::BadReturnUrl))?;
    response.headers_mut().insert(header::LOCATION, location);
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::RevisitId;

    fn order(seed: u8) -> FaceOrder {
        FaceOrder {
            revisit_id: RevisitId::from_random([seed; 12]),
            return_url: "http://edge.test/r/token".into(),
            lang: Lang::ZhCn,
            origin_base: "http://origin.test".into(),
        }
    }

    fn page_of(answer: &FaceStartAnswer) -> String {
        answer.redirect_url.rsplit('/').next().unwrap().to_string()
    }

    fn ticket_of(back: &str) -> String {
        back.split("face_ticket=").nth(1).unwrap().to_string()
    }

    const T: Timestamp = Timestamp(1_800_000_000_000);

    #[test]
    fn a_result_is_given_once_for_its_own_revisit_and_ticket() {
        let sim = SimulatedFace::default();
        let started = sim.start(&order(1), T).unwrap();
        // The page's URL does not carry the reference (the edge keeps the URL).
        assert!(!started.redirect_url.contains(&started.reference));
        assert!(huifang_core::session::is_face_token(&started.reference));
        let ask = |revisit: u8, ticket: &str| FaceResultRequest {
            revisit_id: RevisitId::from_random([revisit; 12]),
            reference: started.reference.clone(),
            ticket: ticket.into(),
        };
        assert_eq!(sim.result(&ask(1, "t"), T), Err(FaceError::Pending));
        let back = sim
            .decide(&page_of(&started), FaceOutcome::Passed, T)
            .unwrap();
        assert!(back.starts_with("http://edge.test/r/token#face_ref=sim-ref-"));
        // A second verdict on the same page is not taken.
        assert!(sim
            .decide(&page_of(&started), FaceOutcome::Failed, T)
            .is_none());
        let ticket = ticket_of(&back);
        assert_eq!(
            sim.result(&ask(2, &ticket), T),
            Err(FaceError::ForeignReference)
        );
        assert_eq!(
            sim.result(&ask(1, "forged"), T),
            Err(FaceError::TicketInvalid)
        );
        let result = sim.result(&ask(1, &ticket), T).unwrap();
        assert_eq!(result.outcome, FaceOutcome::Passed);
        assert_eq!(result.provider, SIM_PROVIDER);
        assert!(result.is_well_formed());
        // The answer carries no ticket, no reference, no image.
        let json = serde_json::to_string(&result).unwrap();
        assert!(!json.contains(&ticket) && !json.contains(&started.reference));
        assert_eq!(sim.result(&ask(1, &ticket), T), Err(FaceError::Used));
        let unknown = FaceResultRequest {
            reference: "sim-ref-nothing".into(),
            ..ask(1, &ticket)
        };
        assert_eq!(sim.result(&unknown, T), Err(FaceError::UnknownReference));
    }

    #[test]
    fn checks_expire() {
        let sim = SimulatedFace::default();
        let started = sim.start(&order(1), T).unwrap();
        let late = T.plus_millis(SIM_CHECK_VALID_MS + 1);
        assert!(sim
            .decide(&page_of(&started), FaceOutcome::Passed, late)
            .is_none());
        let ask = FaceResultRequest {
            revisit_id: RevisitId::from_random([1; 12]),
            reference: started.reference,
            ticket: "t".into(),
        };
        assert_eq!(sim.result(&ask, late), Err(FaceError::UnknownReference));
    }

    #[test]
    fn the_page_may_send_the_form_only_here_and_to_the_edge() {
        assert_eq!(
            csp("http://127.0.0.1:8861/r/abc"),
            "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'self' http://127.0.0.1:8861; frame-ancestors 'none'"
        );
    }
}
