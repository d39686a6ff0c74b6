//! The evidence report (回访凭证) of one archived revisit: `GET /records/{id}/report`, a
//! self-contained printable HTML page (R3). It shows what the policyholder was shown and answered,
//! when and from which network, the identity steps passed, interference flags (R10), the seal, the
//! record's place in the archive chain (R4), its retention (R5), and whether all of it verifies
//! now. Every piece of text from the record is escaped. Open without the admin token only in dev
//! mode (`--sms-outbox`); otherwise the insurer's systems fetch it with the token.

use crate::archive::StoredRecord;
use crate::calendar::{beijing_date, beijing_time, retention_until, RETENTION_YEARS};
use crate::chain::{ChainBreak, ChainWalk, Gaps};
use crate::error::OriginError;
use crate::verify::{chain_step, check_row, RowProblem};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use huifang_core::record::{RecordError, SealedRecord};
use huifang_core::signing::{SignatureError, TrustedKeys};
use huifang_core::Timestamp;
use serde_json::Value;
use std::fmt::Write as _;

/// The page's only policy: no script, no fetch, nothing from elsewhere; inline style and inline
/// images (a signature) only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub use huifang_core::html::escape;

/// Why the record does not verify now, in the report's words and the verifier's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The stable code (`record_hash_mismatch`, `chain_broken_link`, …).
    pub code: &'static str,
    /// What it means, in Chinese.
    pub summary: String,
    /// The verifier's precise reason, in English.
    pub detail: String,
}

fn problem_of_row(p: &RowProblem) -> Problem {
    let summary = match p {
        RowProblem::Unreadable(_) => "档案中的记录无法读取".to_string(),
        RowProblem::ColumnMismatch { column, .. } => {
            format!("档案索引字段 {column} 与封存的记录不一致")
        }
        RowProblem::Seal(RecordError::HashMismatch) => {
            "记录内容与封存的记录哈希不符：记录在封存后被改动".to_string()
        }
        RowProblem::Seal(RecordError::Seal(SignatureError::UnknownKey)) => {
            "封存密钥不在本机构当前信任的边缘密钥之中".to_string()
        }
        RowProblem::Seal(RecordError::Seal(_)) => "封存签名与记录不符".to_string(),
        RowProblem::Seal(RecordError::Trace(_)) => "操作轨迹的哈希链断裂".to_string(),
        RowProblem::Seal(_) => "记录格式无法验证".to_string(),
        RowProblem::Chain(b) => chain_summary(b),
    };
    Problem {
        code: p.code(),
        summary,
        detail: p.to_string(),
    }
}

fn chain_summary(b: &ChainBreak) -> String {
    match b {
        ChainBreak::NotFromGenesis { .. } => "档案链的起点缺失：之前的记录被删除".to_string(),
        ChainBreak::Missing { .. } => "档案链中缺少记录：有记录被删除".to_string(),
        ChainBreak::OutOfOrder { .. } => "档案链顺序错乱".to_string(),
        ChainBreak::BrokenLink { seq, .. } => format!("档案链在第 {seq} 号断开"),
        ChainBreak::Altered { seq } => format!("第 {seq} 号的链值与其字段不符：档案被改动"),
    }
}

/// Everything that must hold for the record to count as verified now: its row (seal, trace and
/// indexed columns, under the keys trusted today) and its links to the rows before and after it.
pub fn verify_stored(stored: &StoredRecord, keys: &TrustedKeys) -> Vec<Problem> {
    let mut problems: Vec<Problem> = check_row(&stored.row, keys)
        .err()
        .iter()
        .map(problem_of_row)
        .collect();
    let mut walk = match &stored.before {
        None => ChainWalk::from_genesis(),
        Some(_) => ChainWalk::from_anywhere(Gaps::Refused),
    };
    if let Some(before) = &stored.before {
        // Breaks of the row before are its own report's business; it is only the anchor here.
        let _ = chain_step(&mut walk, before);
    }
    let mut breaks = chain_step(&mut walk, &stored.row);
    if let Some(after) = &stored.after {
        breaks.extend(
            chain_step(&mut walk, after)
                .into_iter()
                .filter(|b| !matches!(b, ChainBreak::Altered { .. })),
        );
    }
    problems.extend(breaks.into_iter().map(|b| problem_of_row(&b.into())));
    problems
}

/// What the page shows.
pub struct ReportInput<'a> {
    /// The sealed record as archived.
    pub sealed: &'a SealedRecord,
    /// Its row and neighbours.
    pub stored: &'a StoredRecord,
    /// What does not verify now (empty: verified).
    pub problems: &'a [Problem],
    /// When the page was made.
    pub generated_at: Timestamp,
}

const STYLE: &str = r#"
:root { --ink: #1d2433; --muted: #5b6475; --line: #d9dee7; --ok: #137333; --ok-bg: #e6f4ea;
  --bad: #b3261e; --bad-bg: #fce8e6; --no: #b06000; --no-bg: #fef3e0; --paper: #ffffff; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #eef1f5; color: var(--ink);
  font: 15px/1.6 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
main { max-width: 860px; margin: 24px auto; background: var(--paper); padding: 32px 40px;
  border: 1px solid var(--line); border-radius: 6px; }
header.top { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px;
  border-bottom: 2px solid var(--ink); padding-bottom: 14px; }
.kicker { margin: 0; color: var(--muted); font-size: 13px; letter-spacing: .08em; }
h1 { margin: 2px 0 0; font-size: 26px; letter-spacing: .04em; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-left: 10px; border-left: 4px solid var(--ink); }
.verdict { flex: none; padding: 8px 16px; border-radius: 6px; font-weight: 700; font-size: 18px;
  border: 2px solid; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.verdict.ok { color: var(--ok); background: var(--ok-bg); border-color: var(--ok); }
.verdict.bad { color: var(--bad); background: var(--bad-bg); border-color: var(--bad); }
.problems { margin: 12px 0 0; padding: 10px 14px 10px 32px; background: var(--bad-bg); color: var(--bad);
  border-radius: 6px; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.problems code { color: var(--ink); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.mono, code { font-family: "DejaVu Sans Mono", "Noto Sans Mono", Consolas, monospace; font-size: 12.5px;
  overflow-wrap: anywhere; }
ol.items { list-style: none; padding: 0; margin: 0; }
ol.items > li { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin: 0 0 10px;
  break-inside: avoid; }
.item-head { display: flex; justify-content: space-between; gap: 12px; align-items: baseline; }
.item-head h3 { margin: 0; font-size: 15.5px; }
.item-body { white-space: pre-wrap; margin: 8px 0; padding: 8px 10px; background: #f6f7f9;
  border-radius: 4px; font-size: 14px; }
.answer { flex: none; font-weight: 700; padding: 1px 10px; border-radius: 999px; font-size: 14px;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.answer.yes { color: var(--ok); background: var(--ok-bg); }
.answer.no { color: var(--no); background: var(--no-bg); }
.answer.none { color: var(--muted); background: #eceff3; }
.comment { margin: 6px 0 0; padding: 6px 10px; border-left: 3px solid var(--no); background: var(--no-bg);
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.meta { color: var(--muted); font-size: 13px; margin: 4px 0 0; }
table { width: 100%; border-collapse: collapse; font-size: 13.5px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; }
td.time { white-space: nowrap; }
td.event { min-width: 12em; }
.ua { display: block; color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
ul.plain { margin: 0; padding-left: 20px; }
.none-found { color: var(--muted); margin: 0; }
.signature img { max-width: 320px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
footer { margin-top: 28px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted);
  font-size: 12.5px; }
@media (max-width: 640px) {
  main { margin: 0; padding: 18px 14px; border: 0; border-radius: 0; }
  header.top { flex-direction: column; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: 6px; }
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { background: none; font-size: 12.5px; }
  main { max-width: none; margin: 0; padding: 0; border: 0; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
}
"#;

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "completed" => "已完成电子化回访",
        "switched_to_phone" => "已转为电话回访",
        "expired" => "未完成：链接已过期",
        "cancelled" => "未完成：保险公司已取消",
        _ => "未知结果",
    }
}

/// The trace event's name (its wire spelling), read through serde so that an event added to the
/// core later still shows, by that name.
fn event_label(event: &Value) -> String {
    let tag = event.get("event").and_then(Value::as_str).unwrap_or("");
    let index = event
        .get("index")
        .and_then(Value::as_u64)
        .map_or(0, |i| i + 1);
    let label = match tag {
        "created" => "保险公司创建回访".to_string(),
        "opened" => "投保人打开回访链接".to_string(),
        "code_sent" => "发送短信验证码".to_string(),
        "code_undelivered" => "短信验证码未能送达".to_string(),
        "code_rejected" => match event.get("tries_left").and_then(Value::as_u64) {
            Some(n) => format!("短信验证码错误（剩余 {n} 次）"),
            None => "短信验证码错误".to_string(),
        },
        "code_verified" => "短信验证码验证通过".to_string(),
        "id_number_rejected" => "身份证号码比对不符".to_string(),
        "id_number_verified" => "身份证号码比对通过".to_string(),
        "item_answered" => match event.get("answer").and_then(Value::as_str) {
            Some("yes") => format!("第 {index} 项：是，我确认"),
            Some("no") => format!("第 {index} 项：否 / 我有疑问"),
            _ => format!("第 {index} 项：已回答"),
        },
        "signed" => "投保人完成手写签名".to_string(),
        "completed" => "投保人提交回访".to_string(),
        "switched_to_phone" => "投保人选择改为电话回访".to_string(),
        "expired" => "回访链接过期".to_string(),
        "cancelled" => "保险公司取消回访".to_string(),
        "link_reissued" => "保险公司重新发送链接".to_string(),
        "session_locked" => "错误次数过多，会话锁定".to_string(),
        other => other.to_string(),
    };
    label
}

/// Identity steps passed (R8), from the trace: (step, how it ended, when).
fn identity_steps(entries: &[Value]) -> Vec<(&'static str, &'static str, Option<Timestamp>)> {
    entries
        .iter()
        .filter_map(|e| {
            let (step, passed) = match e.get("event").and_then(Value::as_str)? {
                "code_verified" => ("短信验证码（发送至投保人手机）", "已通过"),
                "id_number_verified" => ("身份证号码比对（与投保信息一致）", "已通过"),
                "signed" => ("手写签名", "已签署"),
                _ => return None,
            };
            let at = e
                .get("at")
                .and_then(Value::as_u64)
                .map(Timestamp::from_millis);
            Some((step, passed, at))
        })
        .collect()
}

fn time_or_dash(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "—".to_string(), beijing_time)
}

fn fact(out: &mut String, label: &str, value_html: &str) {
    let _ = write!(out, "<dt>{label}</dt><dd>{value_html}</dd>");
}

/// The page.
pub fn render(input: &ReportInput<'_>) -> String {
    let sealed = input.sealed;
    let record = &sealed.record;
    let row = &input.stored.row;
    let record_json = serde_json::to_value(record).unwrap_or(Value::Null);
    let entries: Vec<Value> = record_json
        .get("trace")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let outcome = record.outcome.as_str();
    let e = |s: &str| escape(s);

    let mut h = String::with_capacity(32 * 1024);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>电子化回访凭证 · {} · {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        e(record.policy_number.as_str()),
        e(record.revisit_id.as_str()),
    );

    // The verdict first: what a reader needs before anything else.
    let _ = write!(
        h,
        "<header class=\"top\"><div><p class=\"kicker\">人身保险电子化回访 · 电子档案</p>\
         <h1>电子化回访凭证</h1><p class=\"meta\">回访编号 <span class=\"mono\">{}</span></p></div>",
        e(record.revisit_id.as_str())
    );
    if input.problems.is_empty() {
        h.push_str(
            "<div class=\"verdict ok\" data-testid=\"verdict\" role=\"status\">✓ 已验证</div></header>\n",
        );
    } else {
        h.push_str(
            "<div class=\"verdict bad\" data-testid=\"verdict\" role=\"alert\">✗ 验证未通过</div></header>\n\
             <ul class=\"problems\" data-testid=\"problems\">",
        );
        for p in input.problems {
            let _ = write!(
                h,
                "<li>{}<br><code>{}</code> {}</li>",
                e(&p.summary),
                e(p.code),
                e(&p.detail)
            );
        }
        h.push_str("</ul>\n");
    }

    // Summary.
    h.push_str("<h2>回访概要</h2>\n<dl class=\"facts\">");
    fact(&mut h, "保单号", &e(record.policy_number.as_str()));
    fact(&mut h, "产品", &e(&record.product));
    fact(&mut h, "投保人", &e(&record.policyholder_masked));
    fact(&mut h, "手机号", &e(&record.phone_masked));
    fact(
        &mut h,
        "回访结果",
        &format!(
            "<strong data-testid=\"outcome\">{}</strong> <span class=\"mono\">{}</span>",
            outcome_label(outcome),
            e(outcome)
        ),
    );
    if let Some(reason) = &record.switch_reason {
        fact(&mut h, "改为电话回访的原因", &e(reason));
    }
    fact(&mut h, "办理区域", &e(&record.region));
    fact(&mut h, "创建时间", &beijing_time(record.created_at));
    fact(&mut h, "结束时间", &beijing_time(record.finished_at));
    fact(
        &mut h,
        "犹豫期截止",
        &beijing_time(record.cooling_off_ends_at),
    );
    fact(
        &mut h,
        "回访话术",
        &format!(
            "{} 版本 {} <span class=\"mono\">sha256 {}</span>",
            e(&record.script_id),
            e(&record.script_version),
            e(&record.script_hash)
        ),
    );
    h.push_str("</dl>\n<p class=\"meta\">本凭证中的时间均为北京时间（UTC+8）。</p>\n");

    // Identity (R8).
    h.push_str("<h2>身份验证</h2>\n");
    let steps = identity_steps(&entries);
    if steps.is_empty() {
        h.push_str("<p class=\"none-found\">未完成任何身份验证步骤。</p>\n");
    } else {
        h.push_str("<ul class=\"plain\" data-testid=\"identity\">");
        for (step, passed, at) in steps {
            let _ = write!(h, "<li>{step}：{passed}，{}</li>", time_or_dash(at));
        }
        h.push_str("</ul>\n");
    }
    if let Some(png) = record
        .signature
        .as_ref()
        .map(|s| s.png_base64.as_str())
        .filter(|b| {
            b.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
        })
    {
        let _ = writeln!(
            h,
            "<p class=\"signature\">投保人手写签名（图像）：<br><img alt=\"投保人手写签名\" src=\"data:image/png;base64,{png}\"></p>"
        );
    }

    // Items (R9): exactly what was shown, and the answer.
    let _ = writeln!(h, "<h2>逐项确认（共 {} 项）</h2>", record.items.len());
    if record.items.iter().any(|i| i.answer.is_none()) {
        h.push_str(
            "<p class=\"meta\">下列为本次回访话术的全部条目及其原文；标注“未回答”的条目未经投保人确认。</p>\n",
        );
    }
    h.push_str("<ol class=\"items\">");
    for item in &record.items {
        let answer_json = serde_json::to_value(item.answer).unwrap_or(Value::Null);
        let (class, answer) = match answer_json.as_str() {
            Some("yes") => ("yes", "是，我确认"),
            Some("no") => ("no", "否 / 我有疑问"),
            Some(_) => ("none", "已回答"),
            None => ("none", "未回答"),
        };
        let _ = write!(
            h,
            "<li data-testid=\"item\"><div class=\"item-head\"><h3 lang=\"{lang}\">第 {} 项　{}</h3>\
             <span class=\"answer {class}\">{answer}</span></div>\
             <div class=\"item-body\" lang=\"{lang}\">{}</div>",
            item.index + 1,
            e(&item.title),
            item.body
                .paragraphs()
                .into_iter()
                .map(|p| format!("<p>{}</p>", e(p)))
                .collect::<String>(),
            lang = item.lang().as_str(),
        );
        if let Some(comment) = item.comment.as_deref().filter(|c| !c.trim().is_empty()) {
            let _ = write!(
                h,
                "<p class=\"comment\" data-testid=\"comment\">投保人说明：{}</p>",
                e(comment)
            );
        }
        let answered = item
            .answered_at
            .map_or_else(String::new, |t| format!("回答时间 {} · ", beijing_time(t)));
        let _ = write!(
            h,
            "<p class=\"meta\">{answered}内容哈希 <span class=\"mono\">{}</span></p></li>",
            e(&item.content_hash)
        );
    }
    h.push_str("</ol>\n");

    // Interference (R10).
    h.push_str("<h2>干扰迹象</h2>\n");
    if record.flags.is_empty() {
        h.push_str("<p class=\"none-found\">未发现干扰迹象。</p>\n");
    } else {
        h.push_str("<table data-testid=\"flags\"><thead><tr><th>迹象</th><th>轨迹序号</th><th>说明</th></tr></thead><tbody>");
        for flag in &record.flags {
            let kind = serde_json::to_value(flag.kind).unwrap_or(Value::Null);
            let label = match kind.as_str() {
                Some("answered_too_fast") => "作答快于最短阅读时间".to_string(),
                Some("agent_network") => "请求来自销售人员的网络".to_string(),
                Some("agent_device") => "请求来自销售人员的设备".to_string(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let item = flag
                .item_index
                .map(|i| format!("（第 {} 项）", i + 1))
                .unwrap_or_default();
            let _ = write!(
                h,
                "<tr><td>{}{item}</td><td>{}</td><td>{}</td></tr>",
                e(&label),
                flag.seq,
                e(&flag.detail)
            );
        }
        h.push_str("</tbody></table>\n");
    }

    // Timeline (R3).
    h.push_str(
        "<h2>操作轨迹</h2>\n<table data-testid=\"timeline\"><thead><tr><th>#</th><th>时间</th>\
         <th>操作</th><th>客户端网络</th></tr></thead><tbody>",
    );
    // The user agent is long and rarely changes: shown when it first appears or changes.
    let mut last_agent: Option<&str> = None;
    for entry in &entries {
        let seq = entry.get("seq").and_then(Value::as_u64).unwrap_or(0);
        let at = entry
            .get("at")
            .and_then(Value::as_u64)
            .map(Timestamp::from_millis);
        let client = match entry.get("client") {
            Some(c) => {
                let agent = c.get("user_agent").and_then(Value::as_str).unwrap_or("");
                let agent_html = if last_agent == Some(agent) {
                    "设备同上".to_string()
                } else {
                    e(agent)
                };
                last_agent = Some(agent);
                format!(
                    "<span class=\"mono\">{}</span><span class=\"ua\">{agent_html}</span>",
                    e(c.get("ip_prefix").and_then(Value::as_str).unwrap_or(""))
                )
            }
            None => "<span class=\"meta\">保险公司 / 系统</span>".to_string(),
        };
        let _ = write!(
            h,
            "<tr><td>{seq}</td><td class=\"time\">{}</td><td class=\"event\">{}</td><td>{client}</td></tr>",
            time_or_dash(at),
            e(&event_label(entry))
        );
    }
    h.push_str("</tbody></table>\n");

    // Seal and chain (R4).
    h.push_str("<h2>封存与档案链</h2>\n<dl class=\"facts\">");
    fact(
        &mut h,
        "封存密钥",
        &format!("<span class=\"mono\">{}</span>", e(&sealed.seal.key_id)),
    );
    fact(
        &mut h,
        "记录哈希",
        &format!(
            "<span class=\"mono\" data-testid=\"record-hash\">{}</span>",
            e(&sealed.seal.record_hash)
        ),
    );
    fact(
        &mut h,
        "签名 (Ed25519)",
        &format!("<span class=\"mono\">{}</span>", e(&sealed.seal.signature)),
    );
    fact(
        &mut h,
        "轨迹末端哈希",
        &format!(
            "<span class=\"mono\">{}</span>",
            e(record.trace.head().unwrap_or("—"))
        ),
    );
    fact(
        &mut h,
        "档案序号",
        &format!("<strong data-testid=\"seq\">第 {} 号</strong>", row.seq),
    );
    fact(
        &mut h,
        "前一链值",
        &format!("<span class=\"mono\">{}</span>", e(&row.prev_chain)),
    );
    fact(
        &mut h,
        "本条链值",
        &format!("<span class=\"mono\">{}</span>", e(&row.chain)),
    );
    fact(&mut h, "档案接收时间", &beijing_time(row.received_at));
    fact(
        &mut h,
        "投递记录",
        &format!("共 {} 次经验证的投递", input.stored.deliveries),
    );
    h.push_str("</dl>\n");

    // Retention (R5).
    h.push_str("<h2>保存期限</h2>\n<p data-testid=\"retention\">");
    match input.stored.terminated_at {
        Some(terminated) => {
            let until = retention_until(terminated).map_or_else(|| "—".to_string(), beijing_date);
            let _ = write!(
                h,
                "合同已于 {} 终止；本档案保存至 <strong>{until}</strong>（终止后 {RETENTION_YEARS} 年）。",
                beijing_date(terminated)
            );
        }
        None => {
            let _ = write!(
                h,
                "合同尚未报告终止：本档案持续保存，合同终止后至少再保存 {RETENTION_YEARS} 年。"
            );
        }
    }
    h.push_str("</p>\n");

    let _ = write!(
        h,
        "<footer>本凭证由保险公司电子档案系统于 {} 生成；验证结果为生成时按当前信任的边缘公钥重新计算所得：\
         封存签名与记录哈希、操作轨迹哈希链、档案索引字段，以及本记录与前后记录之间的档案链。\
         审计人员可用 <code>huifang-origin verify-export</code> 离线复核导出的档案。</footer>\n\
         </main>\n</body>\n</html>\n",
        beijing_time(input.generated_at)
    );
    h
}

/// `GET /records/{revisit_id}/report`: the page, open in dev mode (`--sms-outbox`), otherwise for
/// the admin token only.
pub async fn show(
    State(app): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, OriginError> {
    let (stored, sealed) = crate::records::load(&app, &headers, path).await?;
    let problems = verify_stored(&stored, &app.keys);
    if !problems.is_empty() {
        let codes: Vec<_> = problems.iter().map(|p| p.code).collect();
        eprintln!(
            "origin: report of revisit_id={} does not verify: {codes:?}",
            sealed.record.revisit_id
        );
    }
    let page = render(&ReportInput {
        sealed: &sealed,
        stored: &stored,
        problems: &problems,
        generated_at: (app.clock)(),
    });
    let mut response = page.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_markup_character_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("张三丰"), "张三丰");
    }

    #[test]
    fn events_are_labelled_by_their_wire_name_and_unknown_ones_still_show() {
        let answered = serde_json::json!({"event": "item_answered", "index": 2, "answer": "no"});
        assert_eq!(event_label(&answered), "第 3 项：否 / 我有疑问");
        let rejected = serde_json::json!({"event": "code_rejected", "tries_left": 3});
        assert_eq!(event_label(&rejected), "短信验证码错误（剩余 3 次）");
        let future = serde_json::json!({"event": "face_verified"});
        assert_eq!(event_label(&future), "face_verified");
    }
}
