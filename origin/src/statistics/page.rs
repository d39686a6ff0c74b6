//! The statistics in the console: `GET /console/statistics?year=2026` (tables and charts), and
//! its exports `statistics.csv` and `statistics.xlsx`. Read by reviewers, supervisors and
//! auditors (`sample_run::may_read`); every view and export goes into the staff log.

use crate::console::error::ConsoleError;
use crate::console::session::{log_action, StaffSession};
use crate::console::view::{html, layout};
use crate::server::state::{blocking, AppState};
use crate::statistics::chart::{self, percent};
use crate::statistics::export;
use crate::statistics::{statistics, Statistics};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use huifang_core::sample_run::may_read;
use huifang_core::statistics::{Figures, COLUMNS};
use maud::{html as markup, Markup};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<String>,
}

/// The year asked for (2000–2100), else the current Beijing year.
fn year_of(
    app: &AppState,
    query: Result<Query<YearQuery>, QueryRejection>,
) -> Result<i32, ConsoleError> {
    let Query(q) = query.map_err(|_| ConsoleError::BadRequest("the query cannot be read"))?;
    match q.year {
        None => Ok(huifang_core::statistics::period_of(app.now())[..4]
            .parse()
            .unwrap_or(2026)),
        Some(y) => y
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or(ConsoleError::BadRequest("the year must be 2000 to 2100")),
    }
}

/// The session's member of staff if they may read statistics, and the year's statistics.
async fn load(
    app: &AppState,
    session: &StaffSession,
    query: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Statistics, ConsoleError> {
    if !may_read(session.0.account.role) {
        return Err(ConsoleError::NotFound);
    }
    let year = year_of(app, query)?;
    let store = Arc::clone(&app.stats);
    let now = app.now();
    Ok(blocking(move || statistics(&*store, year, now)).await??)
}

fn figures_table(
    caption: &str,
    first: &str,
    rows: &[(String, Figures)],
    total: &Figures,
) -> Markup {
    markup! {
        // Focusable, so that a keyboard can scroll the wide table.
        div.scroll tabindex="0" role="region" aria-label=(caption) {
            table.figures {
                caption.muted.small { (caption) }
                thead { tr {
                    th scope="col" { (first) }
                    @for (_, zh) in COLUMNS { th scope="col" { (zh) } }
                    th scope="col" { "电子化成功率" }
                } }
                tbody {
                    @for (label, f) in rows { tr {
                        th scope="row" { (label) }
                        @for v in f.values() { td.num { (v) } }
                        td.num { (percent(f.electronic_rate_permille())) }
                    } }
                }
                tfoot { tr {
                    th scope="row" { "合计" }
                    @for v in total.values() { td.num { (v) } }
                    td.num { (percent(total.electronic_rate_permille())) }
                } }
            }
        }
    }
}

/// The page's body: the summary, the charts and the tables of a year (the bench times this).
pub fn body(stats: &Statistics) -> Markup {
    let months = stats.by_month();
    let total = stats.total();
    let by_channel_product: Vec<(String, Figures)> = stats
        .by(|k| {
            let words = crate::console::words::stratum;
            words(&format!("{} × {}", k.channel, k.product_type))
        })
        .into_iter()
        .collect();
    let by_region: Vec<(String, Figures)> = stats.by(|k| k.region.clone()).into_iter().collect();
    markup! {
        h1 { "回访统计（" (stats.year) " 年）" }
        nav.tabs aria-label="年度" {
            a href={ "/console/statistics?year=" (stats.year - 1) } { (stats.year - 1) " 年" }
            a href={ "/console/statistics?year=" (stats.year) } aria-current="page" { (stats.year) " 年" }
            a href={ "/console/statistics?year=" (stats.year + 1) } { (stats.year + 1) " 年" }
        }
        p.muted {
            "按回访发起月份（北京时间）统计；应回访件数为已归档的回访记录（每个发起的回访结束后都会归档一条记录）。"
            "电子化成功率 = 犹豫期内电子化回访成功 ÷ 应回访件数。 "
            a href={ "/console/statistics.csv?year=" (stats.year) } { "导出 CSV" } " · "
            a href={ "/console/statistics.xlsx?year=" (stats.year) } { "导出 Excel 报表" }
        }
        dl.facts #summary {
            dt { "应回访件数" } dd #issued { (total.issued) }
            dt { "犹豫期内电子化回访成功" } dd #electronic { (total.completed_electronic_in_cooling_off) }
            dt { "电子化成功率" } dd #rate { (percent(total.electronic_rate_permille())) }
            dt { "问题件 / 逾期" } dd #problems { (total.problem_cases_opened) " / " (total.problem_cases_overdue) }
            dt { "质检发现问题" } dd #findings { (total.sampling_findings) }
        }
        h2 { "各月回访结果" }
        (chart::months(&months, "各月应回访件数及回访结果"))
        (figures_table("按月份", "月份", &months, &total))
        h2 { "按渠道和产品类型" }
        (chart::rates(&by_channel_product, "各渠道 × 产品类型的犹豫期内电子化回访成功率"))
        (figures_table("按渠道 × 产品类型", "渠道 × 产品类型", &by_channel_product, &total))
        h2 { "按地区" }
        (figures_table("按地区（边缘环境）", "地区", &by_region, &total))
    }
}

/// `GET /console/statistics`.
pub async fn show(
    State(app): State<AppState>,
    session: StaffSession,
    query: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    let stats = load(&app, &session, query).await?;
    let staff_id = &session.0.account.staff_id;
    let year = stats.year.to_string();
    log_action(&app, staff_id, "read_statistics", Some(&year), "ok").await?;
    let body = body(&stats);
    Ok(html(
        StatusCode::OK,
        layout("回访统计", Some(&session.0), body),
    ))
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /console/statistics.csv`: one row per month × region × channel × product type.
pub async fn csv(
    State(app): State<AppState>,
    session: StaffSession,
    query: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    let stats = load(&app, &session, query).await?;
    let bytes = export::csv(&stats).map_err(ConsoleError::Internal)?;
    let year = stats.year.to_string();
    log_action(
        &app,
        &session.0.account.staff_id,
        "export_statistics_csv",
        Some(&year),
        "ok",
    )
    .await?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        &format!("statistics-{year}.csv"),
    ))
}

/// `GET /console/statistics.xlsx`: the regulator's periodic table and its breakdowns.
pub async fn xlsx(
    State(app): State<AppState>,
    session: StaffSession,
    query: Result<Query<YearQuery>, QueryRejection>,
) -> Result<Response, ConsoleError> {
    let stats = load(&app, &session, query).await?;
    let bytes = blocking(move || export::xlsx(&stats).map(|b| (b, stats.year)))
        .await?
        .map_err(ConsoleError::Internal)?;
    let (bytes, year) = bytes;
    log_action(
        &app,
        &session.0.account.staff_id,
        "export_statistics_xlsx",
        Some(&year.to_string()),
        "ok",
    )
    .await?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("statistics-{year}.xlsx"),
    ))
}
