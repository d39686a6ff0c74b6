//! The report's sections, each written from the typed record and its stored row, in page order.
//! Every piece of text from the record is escaped.

use crate::archive::calendar::{beijing_date, beijing_time, retention_until, RETENTION_YEARS};
use crate::archive::StoredRecord;
use crate::audit::report::labels::{
    answer_label, event_label, face_outcome_label, flag_label, identity_step, outcome_label,
    score_band_label,
};
use crate::audit::report::Problem;
use huifang_core::html::escape as e;
use huifang_core::record::{Record, RecordItem, SealedRecord};
use huifang_core::trace::TraceEntry;
use huifang_core::Timestamp;
use std::fmt::Write as _;

fn fact(out: &mut String, label: &str, value_html: &str) {
    let _ = write!(out, "<dt>{label}</dt><dd>{value_html}</dd>");
}

fn mono(text: &str) -> String {
    format!("<span class=\"mono\">{}</span>", e(text))
}

/// The `<head>` and the page's opening, titled by policy and revisit.
pub fn head(h: &mut String, record: &Record, style: &str) {
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>电子化回访凭证 · {} · {}</title>\n<style>{style}</style>\n</head>\n<body>\n<main>\n",
        e(record.policy_number.as_str()),
        e(record.revisit_id.as_str()),
    );
}

/// The verdict first: what a reader needs before anything else.
pub fn verdict(h: &mut String, record: &Record, problems: &[Problem]) {
    let _ = write!(
        h,
        "<header class=\"top\"><div><p class=\"kicker\">人身保险电子化回访 · 电子档案</p>\
         <h1>电子化回访凭证</h1><p class=\"meta\">回访编号 <span class=\"mono\">{}</span></p></div>",
        e(record.revisit_id.as_str())
    );
    if problems.is_empty() {
        h.push_str(
            "<div class=\"verdict ok\" data-testid=\"verdict\" role=\"status\">✓ 已验证</div></header>\n",
        );
        return;
    }
    h.push_str(
        "<div class=\"verdict bad\" data-testid=\"verdict\" role=\"alert\">✗ 验证未通过</div></header>\n\
         <ul class=\"problems\" data-testid=\"problems\">",
    );
    for p in problems {
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

/// The revisit at a glance.
pub fn summary(h: &mut String, record: &Record) {
    let outcome = record.outcome;
    h.push_str("<h2>回访概要</h2>\n<dl class=\"facts\">");
    fact(h, "保单号", &e(record.policy_number.as_str()));
    fact(h, "产品", &e(&record.product));
    fact(h, "投保人", &e(&record.policyholder_masked));
    fact(h, "手机号", &e(&record.phone_masked));
    fact(
        h,
        "回访结果",
        &format!(
            "<strong data-testid=\"outcome\">{}</strong> {}",
            outcome_label(outcome),
            mono(outcome.as_str())
        ),
    );
    if let Some(reason) = &record.switch_reason {
        fact(h, "改为电话回访的原因", &e(reason));
    }
    fact(h, "办理区域", &e(&record.region));
    fact(h, "创建时间", &beijing_time(record.created_at));
    fact(h, "结束时间", &beijing_time(record.finished_at));
    fact(h, "犹豫期截止", &beijing_time(record.cooling_off_ends_at));
    fact(
        h,
        "回访话术",
        &format!(
            "{} 版本 {} <span class=\"mono\">sha256 {}</span>",
            e(&record.script_id),
            e(&record.script_version),
            e(&record.script_hash)
        ),
    );
    h.push_str("</dl>\n<p class=\"meta\">本凭证中的时间均为北京时间（UTC+8）。</p>\n");
}

/// The identity steps passed (R8), from the trace, and the handwritten signature.
pub fn identity(h: &mut String, record: &Record) {
    h.push_str("<h2>身份验证</h2>\n");
    let steps: Vec<_> = record
        .trace
        .iter()
        .filter_map(|entry| identity_step(&entry.event).map(|step| (step, entry.at)))
        .collect();
    if steps.is_empty() {
        h.push_str("<p class=\"none-found\">未完成任何身份验证步骤。</p>\n");
    } else {
        h.push_str("<ul class=\"plain\" data-testid=\"identity\">");
        for ((step, passed), at) in steps {
            let _ = write!(h, "<li>{step}：{passed}，{}</li>", beijing_time(at));
        }
        h.push_str("</ul>\n");
    }
    face(h, record);
    // Only base64 characters go into the image's address.
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
}

/// The face checks (R8): each result as the insurer's provider gave it, with its evidence id to
/// look the check up at the provider. The record holds no image of a face.
fn face(h: &mut String, record: &Record) {
    if record.face.is_empty() {
        return;
    }
    h.push_str("<table class=\"face\" data-testid=\"face\"><caption>人脸识别（经保险公司委托的服务商，记录只保存结果，不保存人脸图像）</caption>\n<thead><tr><th scope=\"col\">次序</th><th scope=\"col\">结果</th><th scope=\"col\">服务商</th><th scope=\"col\">分数段</th><th scope=\"col\">核验编号</th></tr></thead><tbody>");
    for (i, result) in record.face.iter().enumerate() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td></tr>",
            i + 1,
            face_outcome_label(result.outcome),
            e(&result.provider),
            score_band_label(result.score_band),
            e(&result.evidence_id)
        );
    }
    h.push_str("</tbody></table>\n");
}

/// The items (R9): exactly what was shown, and the answer.
pub fn items(h: &mut String, record: &Record) {
    let _ = writeln!(h, "<h2>逐项确认（共 {} 项）</h2>", record.items.len());
    if record.items.iter().any(|i| i.answer.is_none()) {
        h.push_str(
            "<p class=\"meta\">下列为本次回访话术的全部条目及其原文；标注“未回答”的条目未经投保人确认。</p>\n",
        );
    }
    h.push_str("<ol class=\"items\">");
    for item in &record.items {
        item_entry(h, item);
    }
    h.push_str("</ol>\n");
}

fn item_entry(h: &mut String, item: &RecordItem) {
    let (class, answer) = answer_label(item.answer);
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

/// Signs of interference (R10).
pub fn interference(h: &mut String, record: &Record) {
    h.push_str("<h2>干扰迹象</h2>\n");
    if record.flags.is_empty() {
        h.push_str("<p class=\"none-found\">未发现干扰迹象。</p>\n");
        return;
    }
    h.push_str("<table data-testid=\"flags\"><thead><tr><th>迹象</th><th>轨迹序号</th><th>说明</th></tr></thead><tbody>");
    for flag in &record.flags {
        let item = flag
            .item_index
            .map(|i| format!("（第 {} 项）", i + 1))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<tr><td>{}{item}</td><td>{}</td><td>{}</td></tr>",
            e(flag_label(flag.kind)),
            flag.seq,
            e(&flag.detail)
        );
    }
    h.push_str("</tbody></table>\n");
}

/// The operation trace (R3), one row an entry.
pub fn timeline(h: &mut String, record: &Record) {
    h.push_str(
        "<h2>操作轨迹</h2>\n<table data-testid=\"timeline\"><thead><tr><th>#</th><th>时间</th>\
         <th>操作</th><th>客户端网络</th></tr></thead><tbody>",
    );
    // The user agent is long and rarely changes: shown when it first appears or changes.
    let mut last_agent: Option<&str> = None;
    for entry in record.trace.iter() {
        let client = client_cell(entry, &mut last_agent);
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"time\">{}</td><td class=\"event\">{}</td><td>{client}</td></tr>",
            entry.seq,
            beijing_time(entry.at),
            e(&event_label(&entry.event))
        );
    }
    h.push_str("</tbody></table>\n");
}

/// Where an entry came from: the client's network and user agent, or the insurer / the system.
fn client_cell<'a>(entry: &'a TraceEntry, last_agent: &mut Option<&'a str>) -> String {
    let Some(client) = &entry.client else {
        return "<span class=\"meta\">保险公司 / 系统</span>".to_string();
    };
    let agent = client.user_agent.as_str();
    let agent_html = if *last_agent == Some(agent) {
        "设备同上".to_string()
    } else {
        e(agent)
    };
    *last_agent = Some(agent);
    format!(
        "{}<span class=\"ua\">{agent_html}</span>",
        mono(&client.ip_prefix)
    )
}

/// The seal and the record's place in the archive chain (R4).
pub fn seal_and_chain(h: &mut String, sealed: &SealedRecord, stored: &StoredRecord) {
    let row = &stored.row;
    h.push_str("<h2>封存与档案链</h2>\n<dl class=\"facts\">");
    fact(h, "封存密钥", &mono(&sealed.seal.key_id));
    fact(
        h,
        "记录哈希",
        &format!(
            "<span class=\"mono\" data-testid=\"record-hash\">{}</span>",
            e(&sealed.seal.record_hash)
        ),
    );
    fact(h, "签名 (Ed25519)", &mono(&sealed.seal.signature));
    fact(
        h,
        "轨迹末端哈希",
        &mono(sealed.record.trace.head().unwrap_or("—")),
    );
    fact(
        h,
        "档案序号",
        &format!("<strong data-testid=\"seq\">第 {} 号</strong>", row.seq),
    );
    fact(h, "前一链值", &mono(&row.prev_chain));
    fact(h, "本条链值", &mono(&row.chain));
    fact(h, "档案接收时间", &beijing_time(row.received_at));
    fact(
        h,
        "投递记录",
        &format!("共 {} 次经验证的投递", stored.deliveries),
    );
    h.push_str("</dl>\n");
}

/// How long the record is kept (R5).
pub fn retention(h: &mut String, terminated_at: Option<Timestamp>) {
    h.push_str("<h2>保存期限</h2>\n<p data-testid=\"retention\">");
    match terminated_at {
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
}

/// What the verdict rests on, and the page's end.
pub fn footer(h: &mut String, generated_at: Timestamp) {
    let _ = write!(
        h,
        "<footer>本凭证由保险公司电子档案系统于 {} 生成；验证结果为生成时按当前信任的边缘公钥重新计算所得：\
         封存签名与记录哈希、操作轨迹哈希链、档案索引字段，以及本记录与前后记录之间的档案链。\
         审计人员可用 <code>huifang-origin verify-export</code> 离线复核导出的档案。</footer>\n\
         </main>\n</body>\n</html>\n",
        beijing_time(generated_at)
    );
}
