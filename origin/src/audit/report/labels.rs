//! The report's words for what the typed record holds: outcomes, trace events, identity steps,
//! answers and interference flags, in Chinese. Every match is exhaustive: an outcome, event or
//! flag added to the core does not build until it has its words here.

use huifang_core::record::{FlagKind, Outcome};
use huifang_core::script::FaceAlternative;
use huifang_core::session::{AnswerKind, FaceOutcome, ScoreBand};
use huifang_core::trace::{Notice, NoticeFailure, TraceEvent};

/// How the revisit ended.
pub fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Completed => "已完成电子化回访",
        Outcome::SwitchedToPhone => "已转为电话回访",
        Outcome::Expired => "未完成：链接已过期",
        Outcome::Cancelled => "未完成：保险公司已取消",
    }
}

/// What a trace event was. The policyholder's language choice has no words of its own and shows
/// by its wire name, as it always has.
pub fn event_label(event: &TraceEvent) -> String {
    let label = match event {
        TraceEvent::Created => "保险公司创建回访",
        TraceEvent::Opened => "投保人打开回访链接",
        TraceEvent::CodeSent => "发送短信验证码",
        TraceEvent::CodeUndelivered => "短信验证码未能送达",
        TraceEvent::CodeRejected { tries_left } => {
            return format!("短信验证码错误（剩余 {tries_left} 次）")
        }
        TraceEvent::CodeVerified => "短信验证码验证通过",
        TraceEvent::IdNumberRejected => "身份证号码比对不符",
        TraceEvent::IdNumberVerified => "身份证号码比对通过",
        TraceEvent::FaceStarted => "发起人脸识别（保险公司委托的服务商）",
        TraceEvent::FaceChecked {
            outcome,
            evidence_id,
            ..
        } => {
            // The evidence id is a token (letters, digits, `._:-`): nothing to escape.
            return format!(
                "人脸识别结果：{}（核验编号 {evidence_id}）",
                face_outcome_label(*outcome)
            );
        }
        TraceEvent::FaceReturnRefused => "人脸识别返回未获服务商确认，已拒绝",
        TraceEvent::FaceDeclined { alternative } => match alternative {
            FaceAlternative::IdNumber => "投保人选择不做人脸识别，改用身份证号码",
            FaceAlternative::Phone => "投保人选择不做人脸识别，改为电话回访",
        },
        TraceEvent::ItemAnswered { index, answer, .. } => {
            let n = index + 1;
            return match answer {
                AnswerKind::Yes => format!("第 {n} 项：是，我确认"),
                AnswerKind::No => format!("第 {n} 项：否 / 我有疑问"),
            };
        }
        TraceEvent::AnswerTooSoon {
            index,
            after_ms,
            minimum_ms,
        } => {
            // R9: shown in seconds with one decimal, as a reviewer reads it.
            let (n, took, min) = (index + 1, *after_ms as f64 / 1e3, *minimum_ms as f64 / 1e3);
            return format!(
                "第 {n} 项：作答过快被拒绝（展示后 {took:.1} 秒，最短阅读 {min:.1} 秒）"
            );
        }
        TraceEvent::Signed { .. } => "投保人完成手写签名",
        TraceEvent::Completed => "投保人提交回访",
        TraceEvent::SwitchedToPhone => "投保人选择改为电话回访",
        TraceEvent::Expired => "回访链接过期",
        TraceEvent::Cancelled => "保险公司取消回访",
        TraceEvent::LinkReissued => "保险公司重新发送链接",
        TraceEvent::SessionLocked => "错误次数过多，会话锁定",
        TraceEvent::LanguageChosen { .. } => "language_chosen",
        TraceEvent::NoticeSent { notice } => match notice {
            Notice::Link => "已向投保人发送回访链接短信",
            Notice::Reminder => "已向投保人发送回访提醒短信",
        },
        TraceEvent::NoticeUndelivered { notice, reason } => {
            let what = match notice {
                Notice::Link => "回访链接短信",
                Notice::Reminder => "回访提醒短信",
            };
            let why = match reason {
                NoticeFailure::PhoneDailyLimit => "该手机号当日短信已达上限",
                NoticeFailure::Gateway => "短信网关未接收",
            };
            return format!("{what}未发送（{why}）");
        }
    };
    label.to_string()
}

/// An identity step passed (R8): the step and how it ended; `None` for any other event.
pub fn identity_step(event: &TraceEvent) -> Option<(&'static str, &'static str)> {
    match event {
        TraceEvent::CodeVerified => Some(("短信验证码（发送至投保人手机）", "已通过")),
        TraceEvent::IdNumberVerified => Some(("身份证号码比对（与投保信息一致）", "已通过")),
        TraceEvent::FaceChecked {
            outcome: FaceOutcome::Passed,
            ..
        } => Some(("人脸识别（保险公司委托的服务商）", "已通过")),
        TraceEvent::Signed { .. } => Some(("手写签名", "已签署")),
        _ => None,
    }
}

/// A face check's verdict (R8).
pub fn face_outcome_label(outcome: FaceOutcome) -> &'static str {
    match outcome {
        FaceOutcome::Passed => "通过",
        FaceOutcome::Failed => "未通过",
        FaceOutcome::Cancelled => "投保人取消",
    }
}

/// A provider's score band.
pub fn score_band_label(band: Option<ScoreBand>) -> &'static str {
    match band {
        Some(ScoreBand::High) => "高",
        Some(ScoreBand::Medium) => "中",
        Some(ScoreBand::Low) => "低",
        None => "未提供",
    }
}

/// An item's answer: its style class and words.
pub fn answer_label(answer: Option<AnswerKind>) -> (&'static str, &'static str) {
    match answer {
        Some(AnswerKind::Yes) => ("yes", "是，我确认"),
        Some(AnswerKind::No) => ("no", "否 / 我有疑问"),
        None => ("none", "未回答"),
    }
}

/// An interference flag (R10).
pub fn flag_label(kind: FlagKind) -> &'static str {
    match kind {
        FlagKind::AnsweredTooFast => "作答快于最短阅读时间",
        FlagKind::AgentNetwork => "请求来自销售人员的网络",
        FlagKind::AgentDevice => "请求来自销售人员的设备",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_labelled_from_the_typed_trace_and_the_language_choice_by_its_wire_name() {
        let answered = TraceEvent::ItemAnswered {
            index: 2,
            item_id: "q3".into(),
            answer: AnswerKind::No,
        };
        assert_eq!(event_label(&answered), "第 3 项：否 / 我有疑问");
        let rejected = TraceEvent::CodeRejected { tries_left: 3 };
        assert_eq!(event_label(&rejected), "短信验证码错误（剩余 3 次）");
        let chosen = TraceEvent::LanguageChosen {
            lang: huifang_core::script::Lang::En,
        };
        assert_eq!(event_label(&chosen), "language_chosen");
    }
}
