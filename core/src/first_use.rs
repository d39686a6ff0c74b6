//! The first-use report to the regulator (R15): due 10 working days after the first revisit (on
//! the State Council's calendar, `working_days`), describing the systems and carriers, the revisit
//! methods, the flow and its pages (each script version with its hash), the channels, the regions
//! and the identity means. What the report says of each is decided here from configuration and
//! data; the origin renders it.

use crate::casework::{BRANCH_WHEN_LEFT_MS, CALL_HOURS, MAX_CALL_ATTEMPTS};
use crate::script::{IdentityStep, Script};
use crate::time::{Timestamp, DAY_MS};
use crate::working_days::{beijing_date, CalendarError, WorkingCalendar};
use chrono::NaiveDate;

/// R15: the report is due within this many working days of the first use.
pub const REPORT_WORKING_DAYS: u32 = 10;

/// The day the report is due: the 10th working day after the first revisit's Beijing date.
pub fn report_due(
    first_revisit: Timestamp,
    calendar: &WorkingCalendar,
) -> Result<NaiveDate, CalendarError> {
    calendar.add_working_days(beijing_date(first_revisit), REPORT_WORKING_DAYS)
}

/// Every identity means the scripts use (R8), in the order first met.
pub fn identity_means(scripts: &[Script]) -> Vec<IdentityStep> {
    let mut out: Vec<IdentityStep> = Vec::new();
    for step in scripts.iter().flat_map(|s| s.identity.iter()) {
        if !out.contains(step) {
            out.push(*step);
        }
    }
    out
}

/// What an identity means is, in the report's words.
pub fn identity_words(step: IdentityStep) -> &'static str {
    match step {
        IdentityStep::SmsCode => "短信验证码（6位随机数字，5分钟内有效，仅限一次）",
        IdentityStep::IdNumber => "身份证号码比对（边缘节点仅存密钥哈希，不存明文）",
        IdentityStep::Signature => "电子签名（逐笔记录签名图像哈希）",
        IdentityStep::Face => "人脸识别（经保险公司自有服务商，非唯一方式）",
    }
}

/// The revisit methods and their order (R11), with the numbers the system holds to.
pub fn methods() -> Vec<(&'static str, String)> {
    vec![
        (
            "电子化回访",
            "短信发送专属链接，投保人在网页上完成身份验证并逐项确认；犹豫期结束链接失效".to_string(),
        ),
        (
            "电话回访（全程录音）",
            format!(
                "电子化回访未完成、过期或投保人选择转电话时，由呼叫中心在 {:02}:00–{:02}:00 拨打，最多记录 {} 次拨打",
                CALL_HOURS.0, CALL_HOURS.1, MAX_CALL_ATTEMPTS
            ),
        ),
        (
            "信函或上门回访（投保人签署回执）",
            format!(
                "犹豫期剩余不足 {} 天或电话均未成功时转分支机构办理；均失败的，详细记录原因",
                BRANCH_WHEN_LEFT_MS / DAY_MS
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(rfc3339: &str) -> Timestamp {
        Timestamp::parse_rfc3339(rfc3339).unwrap_or(Timestamp(0))
    }

    #[test]
    fn due_ten_working_days_after_the_first_revisit_skipping_holidays() {
        let Ok(calendar) = WorkingCalendar::shipped() else {
            panic!("the shipped table reads");
        };
        // Tue 1 Dec 2026, 09:00 Beijing: ten working days later is Tue 15 Dec.
        assert_eq!(
            report_due(t("2026-12-01T01:00:00Z"), &calendar),
            Ok(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap_or_default())
        );
        // Fri 25 Sep 2026: the National Day week is not counted.
        let due = report_due(t("2026-09-25T02:00:00Z"), &calendar);
        assert!(due.is_ok_and(|d| d > NaiveDate::from_ymd_opt(2026, 10, 12).unwrap_or_default()));
        // 23:30 UTC on 30 Nov is already 1 Dec in Beijing.
        assert_eq!(
            report_due(t("2026-11-30T23:30:00Z"), &calendar),
            report_due(t("2026-12-01T01:00:00Z"), &calendar)
        );
    }

    #[test]
    fn identity_means_are_the_union_of_the_scripts_in_order() {
        let mut a = crate::fixtures::sample_script();
        a.identity = vec![IdentityStep::SmsCode];
        let mut b = a.clone();
        b.identity = vec![
            IdentityStep::IdNumber,
            IdentityStep::SmsCode,
            IdentityStep::Signature,
        ];
        assert_eq!(
            identity_means(&[a, b]),
            [
                IdentityStep::SmsCode,
                IdentityStep::IdNumber,
                IdentityStep::Signature
            ]
        );
        assert_eq!(methods().len(), 3);
        assert!(methods()[1].1.contains("09:00–21:00"), "{:?}", methods());
    }
}
