//! The first-use report to the regulator (R15; issue 14, item 5): printable HTML generated from
//! configuration (the scripts, the edge environments) and data (the archive: the first revisit,
//! the scripts, channels, regions and product types seen). Its due date is the core's
//! (`first_use::report_due`: 10 working days after the first revisit).
//!
//! In the console (`GET /console/first-use-report`, supervisors and auditors) the configuration is
//! the shipped script and the regions the archive has seen; `huifang-origin first-use-report`
//! adds the insurer's own script files and its `wrangler.toml` environments.

use crate::archive::ArchiveError;
use crate::console::error::ConsoleError;
use crate::console::session::{log_action, StaffSession};
use crate::console::settings::CONSOLE_CSP;
use crate::server::page::html_page;
use crate::server::state::{blocking, AppState};
use crate::statistics::{Seen, StatsStore};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use huifang_core::casework::Role;
use huifang_core::first_use::{identity_means, identity_words, methods, report_due};
use huifang_core::script::Script;
use huifang_core::working_days::{beijing_date, WorkingCalendar};
use huifang_core::Timestamp;
use maud::{html as markup, Markup, DOCTYPE};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

const SHIPPED_SCRIPT: &str = include_str!("../../../scripts/default.json");

/// An edge environment: its name, its `REGION` and the routes it serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    pub region: String,
    pub routes: Vec<String>,
}

/// The environments of a `wrangler.toml`: the top level (`default`) and each `[env.NAME]`, with
/// their `REGION` var and route patterns. Reads only those lines; anything else is ignored.
pub fn environments(toml: &str) -> Vec<Environment> {
    let mut out = vec![Environment {
        name: "default".into(),
        region: String::new(),
        routes: Vec::new(),
    }];
    for line in toml.lines().map(str::trim) {
        if let Some(name) = line
            .strip_prefix("[env.")
            .and_then(|l| l.strip_suffix(']'))
            .filter(|n| !n.contains('.'))
        {
            out.push(Environment {
                name: name.to_string(),
                region: String::new(),
                routes: Vec::new(),
            });
            continue;
        }
        let Some(current) = out.last_mut() else {
            continue;
        };
        let quoted = |l: &str| l.split('"').nth(1).map(str::to_string);
        if line.starts_with("REGION") && line.contains('=') {
            current.region = quoted(line).unwrap_or_default();
        } else if line.starts_with("routes") {
            current.routes = line.split("pattern").skip(1).filter_map(quoted).collect();
        }
    }
    out
}

/// What the report is made of.
pub struct ReportInputs {
    pub first_revisit: Option<Timestamp>,
    pub seen: Seen,
    pub scripts: Vec<Script>,
    pub environments: Vec<Environment>,
    pub generated_at: Timestamp,
}

/// The report as a whole printable page.
pub fn render(inputs: &ReportInputs, calendar: &WorkingCalendar) -> Markup {
    let due = inputs.first_revisit.map(|t| report_due(t, calendar));
    let means = identity_means(&inputs.scripts);
    markup! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "电子化回访首次使用报告" }
                link rel="stylesheet" href="/console/console.css";
            }
            body.report {
                main {
                    p.noprint { a href="/console/queue" { "← 返回工作台" } }
                    h1 { "人身保险电子化回访首次使用情况报告" }
                    p.muted { "本报告由回访系统根据配置和归档数据生成（"
                        (crate::console::words::due(inputs.generated_at)) "，北京时间）。" }
                    h2 { "一、报送时限" }
                    dl.facts {
                        dt { "首次电子化回访" } dd #first-revisit { @match inputs.first_revisit {
                            Some(t) => (beijing_date(t)),
                            None => "尚无回访记录",
                        } }
                        dt { "报送截止日" } dd #due { @match &due {
                            Some(Ok(d)) => { (d) "（首次使用后第 10 个工作日，按国务院节假日安排）" },
                            Some(Err(e)) => { "无法计算：" (e.to_string()) },
                            None => "首次回访后确定",
                        } }
                    }
                    h2 { "二、系统与载体" }
                    ul {
                        li { "回访系统：保险公司自有的统一回访系统（回访 Huifang " (env!("CARGO_PKG_VERSION")) "），不使用第三方平台运营回访或保存数据。" }
                        li { "载体：短信发送专属链接，投保人通过手机浏览器打开网页完成回访；回访记录（身份验证证据、操作轨迹、展示页面及其哈希）经签名后归档于公司源站，只追加、可核验。" }
                        li { "边缘节点仅在回访进行中保存会话，源站确认归档后即删除。" }
                    }
                    h2 { "三、回访方式" }
                    table {
                        caption.muted.small { "按顺序使用" }
                        thead { tr { th scope="col" { "方式" } th scope="col" { "说明" } } }
                        tbody { @for (name, detail) in methods() { tr { td { (name) } td { (detail) } } } }
                    }
                    h2 { "四、流程与页面（话术版本）" }
                    table #scripts {
                        caption.muted.small { "配置的话术及其内容哈希（SHA-256，RFC 8785 规范化 JSON）" }
                        thead { tr { th scope="col" { "话术" } th scope="col" { "版本" } th scope="col" { "事项数" } th scope="col" { "哈希" } } }
                        tbody { @for s in &inputs.scripts { tr {
                            td { (s.id) } td { (s.version) } td { (s.items.len()) }
                            td { code { (s.content_hash()) } }
                        } } }
                    }
                    @if !inputs.seen.scripts.is_empty() {
                        table {
                            caption.muted.small { "已归档回访实际使用的话术版本" }
                            thead { tr { th scope="col" { "话术 版本 哈希" } th scope="col" { "回访件数" } } }
                            tbody { @for (s, n) in &inputs.seen.scripts { tr { td { code { (s) } } td.num { (n) } } } }
                        }
                    }
                    @for s in &inputs.scripts {
                        details {
                            summary { (s.id) " " (s.version) " 的页面顺序" }
                            ol {
                                li { "身份验证" }
                                @for item in &s.items { li { (item.text.zh_cn.title) } }
                                li { "提交完成" }
                            }
                        }
                    }
                    h2 { "五、销售渠道与产品类型" }
                    (counts("渠道", &inputs.seen.channels))
                    p.muted.small { "未载明：记录未载明渠道（发起回访时未提供渠道的记录单列一层）。" }
                    (counts("产品类型", &inputs.seen.product_types))
                    h2 { "六、使用地区（边缘环境）" }
                    @if !inputs.environments.is_empty() {
                        table #environments {
                            caption.muted.small { "配置的边缘环境" }
                            thead { tr { th scope="col" { "环境" } th scope="col" { "地区" } th scope="col" { "访问地址" } } }
                            tbody { @for e in &inputs.environments { tr {
                                td { (e.name) } td { (e.region) } td { (e.routes.join("，")) }
                            } } }
                        }
                    }
                    (counts("已产生回访的地区", &inputs.seen.regions))
                    h2 { "七、身份识别手段" }
                    ul #identity { @for m in &means { li { (identity_words(*m)) } } }
                    p.muted.small { "短信验证码属于受限手段，系统始终同时提供其他方式（转电话回访）。" }
                }
            }
        }
    }
}

fn counts(what: &str, rows: &[(String, u64)]) -> Markup {
    markup! {
        table {
            caption.muted.small { (what) }
            thead { tr { th scope="col" { (what) } th scope="col" { "回访件数" } } }
            tbody { @for (name, n) in rows { tr { td { (crate::console::words::code_name(name)) } td.num { (n) } } } }
        }
    }
}

fn shipped_script() -> Result<Script, String> {
    serde_json::from_str(SHIPPED_SCRIPT).map_err(|e| format!("scripts/default.json: {e}"))
}

fn inputs(
    store: &dyn StatsStore,
    scripts: Vec<Script>,
    environments: Vec<Environment>,
    now: Timestamp,
) -> Result<ReportInputs, ArchiveError> {
    Ok(ReportInputs {
        first_revisit: store.first_revisit()?,
        seen: store.seen()?,
        scripts,
        environments,
        generated_at: now,
    })
}

/// `GET /console/first-use-report`: supervisors and auditors.
pub async fn show(
    State(app): State<AppState>,
    session: StaffSession,
) -> Result<Response, ConsoleError> {
    if !matches!(session.0.account.role, Role::Supervisor | Role::Auditor) {
        return Err(ConsoleError::NotFound);
    }
    let script = shipped_script().map_err(ConsoleError::Internal)?;
    let store = Arc::clone(&app.stats);
    let now = app.now();
    let data = blocking(move || inputs(&*store, vec![script], Vec::new(), now)).await??;
    log_action(
        &app,
        &session.0.account.staff_id,
        "read_first_use_report",
        None,
        "ok",
    )
    .await?;
    let page = render(&data, &app.calendar);
    Ok(html_page(StatusCode::OK, page.into_string(), CONSOLE_CSP))
}

/// `huifang-origin first-use-report`'s flags.
#[derive(Debug, clap::Args)]
pub struct FirstUseArgs {
    /// The archive: an SQLite file (FILE or sqlite:FILE) or postgres://user@host:port/database.
    #[arg(long, value_name = "DB", env = "HUIFANG_ORIGIN_DB")]
    pub db: crate::archive::Db,
    /// A script in use (repeat for each); the shipped default when none is given.
    #[arg(long = "script", value_name = "FILE")]
    pub scripts: Vec<PathBuf>,
    /// The edge's wrangler.toml, for its environments (regions).
    #[arg(long, value_name = "FILE")]
    pub wrangler: Option<PathBuf>,
    /// Where to write the HTML.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub const EXAMPLES: &str = "\
Examples:
  huifang-origin first-use-report --db origin.sqlite3 --script scripts/default.json \\
    --wrangler wrangler.toml --out first-use-report.html

Exit: 0 written, 1 a script or file cannot be read, 2 bad usage, 3 the archive failed.";

/// `huifang-origin first-use-report`.
pub fn cli(args: &FirstUseArgs) -> ExitCode {
    let fail = |m: String, code: u8| {
        eprintln!("huifang-origin: {m}");
        ExitCode::from(code)
    };
    let mut scripts = Vec::new();
    for path in &args.scripts {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return fail(format!("{}: {e}", path.display()), 1),
        };
        match serde_json::from_str::<Script>(&text) {
            Ok(s) => scripts.push(s),
            Err(e) => return fail(format!("{}: {e}", path.display()), 1),
        }
    }
    if scripts.is_empty() {
        match shipped_script() {
            Ok(s) => scripts.push(s),
            Err(e) => return fail(e, 1),
        }
    }
    let environments = match &args.wrangler {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(t) => environments(&t),
            Err(e) => return fail(format!("{}: {e}", path.display()), 1),
        },
        None => Vec::new(),
    };
    let archive = match args.db.open_existing() {
        Ok(a) => a,
        Err(e) => return fail(e.to_string(), 3),
    };
    let calendar = match WorkingCalendar::shipped() {
        Ok(c) => c,
        Err(e) => return fail(e.to_string(), 1),
    };
    let now = crate::clock::system_clock();
    let data = match inputs(&*archive, scripts, environments, now) {
        Ok(d) => d,
        Err(e) => return fail(e.to_string(), 3),
    };
    if let Err(e) = std::fs::write(&args.out, render(&data, &calendar).into_string()) {
        return fail(format!("{}: {e}", args.out.display()), 1);
    }
    println!("{}", args.out.display());
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_are_read_from_wrangler_toml() {
        let envs = environments(include_str!("../../../wrangler.toml"));
        let names: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();
        assert!(
            names.starts_with(&["default", "beijing", "shanghai"]),
            "{names:?}"
        );
        assert_eq!(envs[0].region, "local");
        assert_eq!(envs[1].region, "beijing");
        assert_eq!(envs[1].routes, ["revisit-bj.example-insurer.cn/*"]);
    }
}
