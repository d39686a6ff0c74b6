//! The console's words: the core's types and refusal codes in Simplified Chinese, and times in
//! Beijing time. One table per type, so that a new variant fails to compile here until named.

use crate::audit::report::labels::flag_label;
use huifang_core::casework::{
    CallResult, CaseEvent, CaseKind, CaseState, Channel, FallbackReason, Finding, ReceiptChannel,
    Resolution, Role, RouteReason,
};
use huifang_core::sample_run::Fact;
use huifang_core::time::BEIJING_OFFSET_MS;
use huifang_core::Timestamp;

/// `YYYY-MM-DD HH:MM`, Beijing time.
pub fn beijing(t: Timestamp) -> String {
    let text = t.plus_millis(BEIJING_OFFSET_MS).to_rfc3339();
    text.get(..16).unwrap_or(&text).replacen('T', " ", 1)
}

/// A due time: a deadline at the end of a Beijing day reads as that day's end, not the next
/// day's 00:00.
pub fn due(t: Timestamp) -> String {
    let local = t.plus_millis(BEIJING_OFFSET_MS).millis();
    if local.is_multiple_of(huifang_core::time::DAY_MS) {
        let day_before = Timestamp::from_millis(t.millis().saturating_sub(1));
        let text = beijing(day_before);
        format!("{} 当日结束", text.get(..10).unwrap_or(&text))
    } else {
        beijing(t)
    }
}

pub fn role(role: Role) -> &'static str {
    match role {
        Role::CallAgent => "电话坐席",
        Role::BranchHandler => "分支机构经办人",
        Role::Reviewer => "问题件复核员",
        Role::Supervisor => "主管",
        Role::Auditor => "审计（只读）",
        Role::Admin => "管理员",
    }
}

pub fn kind(kind: &CaseKind) -> &'static str {
    match kind {
        CaseKind::Problem { .. } => "问题件",
        CaseKind::Fallback { reason } => match reason {
            FallbackReason::Expired => "补救任务（链接过期）",
            FallbackReason::SwitchedToPhone => "补救任务（转电话回访）",
            FallbackReason::Cancelled => "补救任务（回访已撤销）",
        },
    }
}

pub fn state(state: CaseState) -> &'static str {
    match state {
        CaseState::Open => "处理中",
        CaseState::AwaitingApproval => "待第二人审批",
        CaseState::Closed => "已结案",
    }
}

pub fn channel(channel: Option<Channel>) -> &'static str {
    match channel {
        Some(Channel::CallCentre) => "呼叫中心",
        Some(Channel::Branch) => "分支机构",
        None => "",
    }
}

/// The state, and for a fallback task who works it now.
pub fn state_and_channel(state: CaseState, channel: Option<Channel>) -> String {
    match channel {
        Some(_) => format!("{} · {}", self::state(state), self::channel(channel)),
        None => self::state(state).to_string(),
    }
}

pub fn call_result(result: CallResult) -> &'static str {
    match result {
        CallResult::Reached => "已接通",
        CallResult::NoAnswer => "无人接听",
        CallResult::Busy => "占线",
        CallResult::WrongNumber => "号码错误",
        CallResult::Declined => "接通但拒绝回访",
    }
}

/// Every call result, in the order the form lists them.
pub const CALL_RESULTS: [CallResult; 5] = [
    CallResult::Reached,
    CallResult::NoAnswer,
    CallResult::Busy,
    CallResult::WrongNumber,
    CallResult::Declined,
];

pub fn receipt_channel(channel: ReceiptChannel) -> &'static str {
    match channel {
        ReceiptChannel::Letter => "信函",
        ReceiptChannel::Visit => "上门",
    }
}

pub fn resolution(resolution: &Resolution) -> &'static str {
    match resolution {
        Resolution::ExplainedAndConfirmed => "已解释，投保人确认",
        Resolution::CancelledInCoolingOff => "犹豫期内退保",
        Resolution::ContractCorrected => "已更正合同",
        Resolution::ReRevisited { .. } => "重新电子回访完成",
        Resolution::CompletedByPhone { .. } => "电话回访完成（有录音）",
        Resolution::CompletedByReceipt { .. } => "信函/上门回访完成（有签收回执）",
        Resolution::Unreachable { .. } => "各种方式均无法完成（记录原因）",
    }
}

fn route_reason(reason: RouteReason) -> &'static str {
    match reason {
        RouteReason::CoolingOffEnding => "犹豫期剩余不足3天",
        RouteReason::AttemptsExhausted => "通话尝试次数已用完",
    }
}

/// A finding in one line; `title` is the item's title as the record shows it, when known.
pub fn finding(finding: &Finding, title: impl Fn(&str) -> Option<String>) -> String {
    match finding {
        Finding::ItemDeclined { item_id, comment } => {
            let item = title(item_id).unwrap_or_else(|| item_id.clone());
            match comment {
                Some(c) => format!("「{item}」回答“否/有疑问”，投保人留言：{c}"),
                None => format!("「{item}」回答“否/有疑问”"),
            }
        }
        Finding::Interference { flag } => format!("疑似他人干预：{}", flag_label(*flag)),
        Finding::SampleFinding {
            run_id,
            checks,
            note,
        } => {
            let checks: Vec<&str> = checks.iter().map(|c| check_name(c)).collect();
            format!(
                "质检抽样 {run_id} 发现问题（{}）：{note}",
                if checks.is_empty() {
                    "核查项均通过".to_string()
                } else {
                    checks.join("、")
                }
            )
        }
    }
}

/// An event of the timeline: what happened, and its detail.
pub fn event(event: &CaseEvent) -> (&'static str, String) {
    match event {
        CaseEvent::Opened(o) => ("立案", kind(&o.kind).to_string()),
        CaseEvent::Assigned { to } => ("分派", format!("交由 {to}")),
        CaseEvent::CallLogged { result, note } => {
            ("记录通话", format!("{}：{note}", call_result(*result)))
        }
        CaseEvent::RoutedToBranch { reason } => ("转分支机构", route_reason(*reason).to_string()),
        CaseEvent::MisSellingFound { note } => ("认定销售误导", note.clone()),
        CaseEvent::ReceiptAttached { channel, sha256 } => (
            "上传回执",
            format!("{}，SHA-256 {sha256}", receipt_channel(*channel)),
        ),
        CaseEvent::ResolutionProposed {
            resolution: r,
            note,
        } => ("提议结案", format!("{}：{note}", resolution(r))),
        CaseEvent::ProposalRejected { note } => ("驳回结案提议", note.clone()),
        CaseEvent::ReRevisitRequested {
            revisit_id,
            link_sent,
        } => (
            "申请重新回访",
            if *link_sent {
                format!("新回访编号 {revisit_id}，链接已短信发送投保人")
            } else {
                format!("新回访编号 {revisit_id}，链接短信未能发送，请改用电话联系投保人")
            },
        ),
        CaseEvent::Closed {
            resolution: r,
            note,
        } => ("结案", format!("{}：{note}", resolution(r))),
    }
}

/// A refusal's code in words the member of staff can act on.
pub fn refusal(code: &str) -> &'static str {
    match code {
        "read_only" => "您的角色只能查看案件，不能操作。未做任何更改。",
        "own_sale" => "该案件涉及您本人销售的保单，须由他人处理。未做任何更改。",
        "not_your_work" => "您的角色不能对此案件执行该操作。未做任何更改。",
        "case_closed" => "案件已结案，不能再更改。",
        "awaiting_approval" => "案件正在等待第二人审批结案方案，请先批准或驳回。",
        "outside_call_hours" => "只能在北京时间 09:00 至 21:00 之间致电投保人。未做任何更改。",
        "no_call_attempts_left" => "6 次通话尝试已用完，任务已转分支机构。",
        "resolution_does_not_fit" => "该结案方式不适用于此案件。未做任何更改。",
        "receipt_missing" => "请先上传投保人签署的回执。未做任何更改。",
        "second_person_required" => {
            "销售误导案件的结案方案须由提议人以外的第二人批准。未做任何更改。"
        }
        "nothing_proposed" => "没有待审批的结案方案。",
        "case_changed" => "案件刚被他人更新，请查看最新情况后重试。未做任何更改。",
        _ => "输入有误，请检查后重试。未做任何更改。",
    }
}

/// A sampling check's name (R13), by its `sample_run::Check` spelling.
pub fn check_name(check: &str) -> &'static str {
    match check {
        "identity_evidence" => "身份核验证据",
        "items_answered_in_order" => "逐项展示并按顺序确认",
        "reading_times" => "阅读时间不少于最短时长",
        "interference_flags" => "干预迹象",
        "signature" => "签名",
        "page_hashes" => "页面内容哈希",
        _ => "其他",
    }
}

/// A sales channel, product type or region code in Chinese, for display; an unknown code as is
/// (the stored keys stay codes: CSV, the detail sheet and the sample log keep them).
pub fn code_name(code: &str) -> &str {
    match code {
        "agent" => "个人代理",
        "bank" => "银行邮政代理",
        "broker" => "专业代理/经纪",
        "telesales" => "电话销售",
        "online" => "互联网",
        "other" => "其他",
        "unknown" => "未载明",
        "participating" => "分红型",
        "universal_or_investment_linked" => "万能型/投连型",
        _ => code,
    }
}

/// A stratum or group key (`bank × participating`) in Chinese, each part by [`code_name`].
pub fn stratum(key: &str) -> String {
    key.split(" × ")
        .map(code_name)
        .collect::<Vec<_>>()
        .join(" × ")
}

/// One fact a sampling check was computed from, in words (items numbered from 1).
pub fn fact(fact: &Fact) -> String {
    let list = |items: &[usize]| {
        items
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("、")
    };
    match fact {
        Fact::SmsCodeVerified => "短信验证码已核验".to_string(),
        Fact::IdNumberVerified => "身份证号已核验".to_string(),
        Fact::AnswerOrder { answered, shown } => {
            format!("作答顺序：{}（展示顺序：{}）", list(answered), list(shown))
        }
        Fact::Reading {
            item,
            took_ms: Some(ms),
        } => format!("第 {item} 项：阅读 {:.1} 秒", *ms as f64 / 1000.0),
        Fact::Reading {
            item,
            took_ms: None,
        } => format!("第 {item} 项：未作答"),
        Fact::RefusedTooSoon(n) => format!("因快于最短阅读时间被拒的作答：{n} 次"),
        Fact::Flag { kind, item, detail } => match item {
            Some(item) => format!("第 {item} 项：{}（{detail}）", flag_label(*kind)),
            None => format!("{}（{detail}）", flag_label(*kind)),
        },
        Fact::Signed { png_sha256 } => format!("签名图像 SHA-256：{png_sha256}"),
        Fact::NoSignature => "本次回访无手写签名".to_string(),
        Fact::PageHash {
            item,
            computed,
            matches: true,
        } => format!("第 {item} 项：{computed}… 与记录一致"),
        Fact::PageHash {
            item,
            computed,
            matches: false,
        } => format!("第 {item} 项：{computed}… 与记录不一致"),
        Fact::RecordedHash { item, hash } => {
            format!("第 {item} 项：{hash}（旧格式，仅有记录中的哈希）")
        }
    }
}
