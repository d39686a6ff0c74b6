use super::*;
use crate::error_code::CodeClass;
use crate::session::MAX_COMMENT_CHARS;

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn refused(code: ErrorCode) -> ApiError {
    ApiError::new(code, "for developers")
}

/// Codes the policyholder can meet, each with a sentence of its own (shared only where two codes
/// mean the same to the person, as the three unsaveable signatures do).
const FOR_THE_POLICYHOLDER: [ErrorCode; 28] = [
    ErrorCode::LinkExpired,
    ErrorCode::RevisitFinished,
    ErrorCode::NotOpened,
    ErrorCode::AlreadyVerified,
    ErrorCode::ResendTooSoon,
    ErrorCode::NoCodeSent,
    ErrorCode::CodeExpired,
    ErrorCode::WrongCode,
    ErrorCode::NotVerified,
    ErrorCode::AlreadyAnswered,
    ErrorCode::ItemOutOfOrder,
    ErrorCode::CommentTooLong,
    ErrorCode::ItemsRemaining,
    ErrorCode::LinkInUse,
    ErrorCode::WrongStep,
    ErrorCode::WrongIdNumber,
    ErrorCode::SignatureRequired,
    ErrorCode::SessionLocked,
    ErrorCode::SmsDailyLimit,
    ErrorCode::RateLimited,
    ErrorCode::SignatureTooShort,
    ErrorCode::SignatureBadImage,
    ErrorCode::InvalidIdNumber,
    ErrorCode::IdNumberChecksum,
    ErrorCode::InvalidCodeFormat,
    ErrorCode::LinkNotFound,
    ErrorCode::InvalidLink,
    ErrorCode::SmsUnavailable,
];

#[test]
fn every_code_has_words_in_both_languages() {
    for code in ErrorCode::ALL.iter().copied() {
        let zh = of(Lang::ZhCn).refusals.of(code);
        let en = of(Lang::En).refusals.of(code);
        assert!(has_chinese(zh), "{code}: {zh}");
        assert!(!en.is_empty() && !has_chinese(en), "{code}: {en}");
        assert!(!zh.contains(code.as_str()) && !en.contains(code.as_str()));
    }
}

#[test]
fn each_code_the_policyholder_meets_has_its_own_sentence() {
    for lang in Lang::ALL {
        let w = of(lang);
        let generic = w.refusals.of(ErrorCode::Unknown);
        let server = w.refusals.of(ErrorCode::Internal);
        let mut seen = std::collections::HashSet::new();
        for code in FOR_THE_POLICYHOLDER {
            let text = w.refusal_text(&refused(code));
            assert_ne!(text, generic, "{code}");
            assert_ne!(text, server, "{code}");
            assert!(!text.contains("developers"), "{code}");
            assert!(seen.insert(text), "{code} shares its sentence");
        }
        // Codes that mean the same to the person read the same.
        assert_eq!(
            w.refusals.of(ErrorCode::NoSuchItem),
            w.refusals.of(ErrorCode::ItemOutOfOrder)
        );
        assert_eq!(
            w.refusals.of(ErrorCode::LinkMissing),
            w.refusals.of(ErrorCode::InvalidLink)
        );
        assert_eq!(w.refusals.of(ErrorCode::Misconfigured), server);
        // The insurer's codes: nothing the policyholder did.
        assert_eq!(w.refusals.of(ErrorCode::SignatureMismatch), generic);
        assert_eq!(w.refusals.of(ErrorCode::InvalidScript), generic);
        // A transient failure says to try again; the page offers the button.
        for code in ErrorCode::ALL.iter().copied() {
            if code.class() == CodeClass::Transient {
                assert_ne!(w.refusals.of(code), generic, "{code}");
            }
        }
        assert!(w
            .refusal_text(&refused(ErrorCode::CommentTooLong))
            .contains(&MAX_COMMENT_CHARS.to_string()));
    }
}

#[test]
fn wrong_code_says_how_many_tries_are_left() {
    let with_tries = |lang, n: Option<u8>| {
        let mut e = refused(ErrorCode::WrongCode);
        e.tries_left = n;
        of(lang).refusal_text(&e)
    };
    assert_eq!(
        with_tries(Lang::ZhCn, Some(3)),
        "验证码不正确，您还可以再试 3 次。"
    );
    assert!(with_tries(Lang::ZhCn, Some(0)).contains("重新发送"));
    assert_eq!(
        with_tries(Lang::ZhCn, None),
        "验证码不正确，请核对后重新输入。"
    );
    assert_eq!(
        with_tries(Lang::En, Some(1)),
        "The code is not right. You can try 1 more time."
    );
    assert!(with_tries(Lang::En, Some(2)).contains("2 more times"));
    assert!(with_tries(Lang::En, Some(0)).contains("Send again"));
}

#[test]
fn resend_too_soon_uses_the_wait_when_there_is_one() {
    let mut e = refused(ErrorCode::ResendTooSoon);
    e.retry_after_secs = Some(42);
    assert!(of(Lang::ZhCn).refusal_text(&e).contains("42 秒"));
    assert!(of(Lang::En).refusal_text(&e).contains("42 seconds"));
    e.retry_after_secs = Some(0);
    assert!(!of(Lang::ZhCn).refusal_text(&e).contains("秒后"));
    e.retry_after_secs = None;
    assert_eq!(
        of(Lang::ZhCn).refusal_text(&e),
        of(Lang::ZhCn).refusals.of(ErrorCode::ResendTooSoon)
    );
}

#[test]
fn every_fallback_page_has_a_heading_and_words_in_both_languages() {
    for page in FallbackPage::ALL {
        let zh = edge(Lang::ZhCn).fallback.page(page);
        let en = edge(Lang::En).fallback.page(page);
        assert!(has_chinese(zh.heading) && !zh.lines.is_empty(), "{page:?}");
        assert!(!en.heading.is_empty() && !en.lines.is_empty(), "{page:?}");
        for line in zh.lines {
            assert!(has_chinese(line), "{page:?}");
        }
        for line in en.lines.iter().chain([&en.heading]) {
            assert!(!has_chinese(line), "{page:?}: {line}");
        }
    }
    let switched = edge(Lang::ZhCn).fallback.page(FallbackPage::Switched);
    assert_eq!(switched.heading, "已为您改为电话回访");
    assert_eq!(switched.lines.last(), Some(&of(Lang::ZhCn).close_page));
}

#[test]
fn the_code_sms_carries_the_code_and_the_warning() {
    assert_eq!(
        (edge(Lang::ZhCn).code_sms)("135790"),
        "您的保单电子化回访验证码为135790，5分钟内有效。请勿将验证码告知他人，包括销售人员。"
    );
    let en = (edge(Lang::En).code_sms)("135790");
    assert!(en.contains("135790") && en.contains("5 minutes") && !has_chinese(&en));
}

#[test]
fn sentences_with_numbers() {
    let (zh, en) = (of(Lang::ZhCn), of(Lang::En));
    assert_eq!((zh.progress)(2, 7), "第 2 / 7 项");
    assert_eq!((en.progress)(3, 8), "Item 3 of 8");
    assert_eq!((zh.keep_reading)(5), "请继续阅读（还需 5 秒）");
    assert_eq!((en.keep_reading)(5), "Please keep reading (5\u{a0}s)");
    assert_eq!((zh.answered_items)(2), "查看已答项目（2 项）");
    assert!((en.doubts_followed_up)(1).contains("a question about 1 item."));
    assert!((en.doubts_followed_up)(3).contains("questions about 3 items."));
    let t = CalendarTime {
        year: "2027",
        month: 1,
        day: 15,
        hour: "23",
        minute: "59",
    };
    assert_eq!((zh.date_time)(&t), "2027年1月15日 23:59");
    assert_eq!((en.date_time)(&t), "15 Jan 2027, 23:59");
}

#[test]
fn english_words_hold_no_chinese() {
    let en = of(Lang::En);
    for s in [
        en.yes,
        en.no,
        en.brand,
        en.switch,
        en.read_to_end,
        en.beijing_time,
        en.network,
        edge(Lang::En).error_code_label,
        en.switched_lead,
        en.expired_lead,
    ] {
        assert!(s.chars().all(|c| (c as u32) < 0x2E80), "{s}");
    }
}

#[test]
fn the_link_and_reminder_sms_name_the_policy_and_the_last_day_in_both_languages() {
    let ends = super::SmsDate {
        year: 2026,
        month: 12,
        day: 5,
    };
    let link = "https://edge.example/r/abc";
    let zh = (edge(Lang::ZhCn).link_sms)("P2***0001", ends, link);
    assert!(zh.contains("P2***0001") && zh.contains("2026年12月5日") && zh.contains(link));
    let en = (edge(Lang::En).link_sms)("P2***0001", ends, link);
    assert!(en.contains("5 Dec 2026") && en.contains(link) && !has_chinese(&en));
    // The link is followed by a space, so that a phone's link detection ends it there.
    assert!(zh.contains(&format!("{link} ")) && en.contains(&format!("{link} ")));
    let zh = (edge(Lang::ZhCn).reminder_sms)("P2***0001", ends);
    assert!(zh.starts_with("提醒") && zh.contains("2026年12月5日") && !zh.contains("http"));
    let en = (edge(Lang::En).reminder_sms)("P2***0001", ends);
    assert!(en.starts_with("Reminder") && en.contains("5 Dec 2026") && !has_chinese(&en));
}

#[test]
fn a_failed_face_check_says_how_many_tries_are_left_and_after_the_last_what_to_do() {
    for lang in Lang::ALL {
        let t = of(lang);
        let failed = |tries| {
            let mut e = refused(ErrorCode::FaceFailed);
            e.tries_left = Some(tries);
            t.refusal_text(&e)
        };
        assert!(failed(2).starts_with(t.refusals.face_failed), "{lang:?}");
        assert!(failed(2).contains('2'), "{lang:?}");
        assert_eq!(failed(0), t.refusals.face_tries_used);
        assert!(t.refusals.face_tries_used.contains('3'));
    }
}
