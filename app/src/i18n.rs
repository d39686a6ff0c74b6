//! Every word the policyholder reads, in Simplified Chinese (the default) and English, in one place.
//!
//! [`Text`] is a struct of `&'static str`, and [`ZH`] and [`EN`] are its two values: a string added
//! for one language and forgotten for the other fails to compile. Sentences with a number in them
//! are methods matching on [`Lang`], so they are exhaustive too.

pub use huifang_core::script::Lang;

/// The fixed strings of the pages, one field per string.
pub struct Text {
    pub doc_title: &'static str,
    pub brand: &'static str,
    pub language: &'static str,
    pub large_text: &'static str,
    pub retry: &'static str,
    pub close_page: &'static str,
    pub need_help: &'static str,
    // switch to phone (R7)
    pub switch: &'static str,
    pub switch_title: &'static str,
    pub switch_text: &'static str,
    pub switch_reason: &'static str,
    pub switch_confirm: &'static str,
    pub cancel: &'static str,
    // loading and landing
    pub revisit: &'static str,
    pub loading: &'static str,
    pub landing_lead: &'static str,
    pub holder: &'static str,
    pub policy: &'static str,
    pub phone: &'static str,
    pub product: &'static str,
    pub cooling_off_ends: &'static str,
    pub beijing_time: &'static str,
    pub sms_note: &'static str,
    pub send_code: &'static str,
    // identity
    pub identity_title: &'static str,
    pub code_sent_before: &'static str,
    pub code_sent_after: &'static str,
    pub code_label: &'static str,
    pub verify: &'static str,
    pub resend: &'static str,
    pub resend_ready: &'static str,
    pub id_lead: &'static str,
    pub id_label: &'static str,
    pub id_verify: &'static str,
    // items (R9)
    pub yes: &'static str,
    pub no: &'static str,
    pub comment_label: &'static str,
    pub comment_placeholder: &'static str,
    pub read_to_end: &'static str,
    pub read_done: &'static str,
    pub read_aloud: &'static str,
    pub stop_reading: &'static str,
    pub answered_mark_yes: &'static str,
    pub answered_mark_no: &'static str,
    pub answered_mark_none: &'static str,
    pub your_comment: &'static str,
    // signature (R8)
    pub signature_title: &'static str,
    pub signature_lead: &'static str,
    pub signature_pad: &'static str,
    pub signature_clear: &'static str,
    pub signature_confirm: &'static str,
    // review and the end pages
    pub review_title: &'static str,
    pub review_lead: &'static str,
    pub review_doubts: &'static str,
    pub submit: &'static str,
    pub done_title: &'static str,
    pub done_lead: &'static str,
    pub switched_title: &'static str,
    pub switched_lead: &'static str,
    pub expired_title: &'static str,
    pub expired_lead: &'static str,
    pub failed_title: &'static str,
    pub finished_title: &'static str,
    pub finished_lead: &'static str,
}

pub const ZH: Text = Text {
    doc_title: "保单回访",
    brand: "保单电子化回访",
    language: "语言",
    large_text: "大字模式",
    retry: "重试",
    close_page: "您现在可以关闭此页面。",
    need_help: "如需帮助，请联系您的保险公司。",
    switch: "改为电话回访",
    switch_title: "改为电话回访？",
    switch_text:
        "确认后，本次线上回访将停止，保险公司将在犹豫期内通过电话与您联系完成回访，请留意来电。",
    switch_reason: "原因（可选）",
    switch_confirm: "确认改为电话回访",
    cancel: "取消",
    revisit: "保单回访",
    loading: "正在加载…",
    landing_lead: "您好！为保障您的权益，请核对以下保单信息，验证身份后逐项确认回访内容。",
    holder: "投保人",
    policy: "保单号",
    phone: "手机号",
    product: "产品名称",
    cooling_off_ends: "犹豫期截止",
    beijing_time: "（北京时间）",
    sms_note: "我们将向上述手机号发送短信验证码，以确认是您本人操作。",
    send_code: "获取验证码",
    identity_title: "身份验证",
    code_sent_before: "验证码已发送至 ",
    code_sent_after: "，5 分钟内有效。",
    code_label: "短信验证码",
    verify: "验证",
    resend: "重新发送",
    resend_ready: "没有收到短信？可以重新发送。",
    id_lead: "请输入投保人本人的身份证号码，以确认是您本人在操作。",
    id_label: "身份证号码",
    id_verify: "验证身份",
    yes: "是，我确认",
    no: "否 / 我有疑问",
    comment_label: "补充说明（可选）",
    comment_placeholder: "如有疑问，可在此写明",
    read_to_end: "请在上方方框内向下滑动，读完本项后再回答。",
    read_done: "已阅读完毕，请选择您的回答。",
    read_aloud: "朗读本项",
    stop_reading: "停止朗读",
    answered_mark_yes: "已确认",
    answered_mark_no: "有疑问",
    answered_mark_none: "未确认",
    your_comment: "您的说明：",
    signature_title: "手写签名",
    signature_lead: "请在下方框内用手指签写您的姓名，以确认以上回访内容由您本人确认。",
    signature_pad: "签名区域",
    signature_clear: "重写",
    signature_confirm: "确认签名",
    review_title: "请确认提交",
    review_lead: "您已逐项确认以下内容，提交后不能修改。",
    review_doubts: "您对部分事项有疑问，提交后保险公司将与您联系处理。",
    submit: "提交回访",
    done_title: "回访已完成",
    done_lead: "感谢您完成本次回访！您的确认已记录。",
    switched_title: "已为您转为电话回访",
    switched_lead: "本次线上回访已停止。保险公司将在犹豫期内通过电话与您联系完成回访，请留意来电。",
    expired_title: "回访链接已失效",
    expired_lead:
        "本次线上回访的有效期已过，无法继续。保险公司将通过电话与您联系完成回访，请留意来电。",
    failed_title: "暂时无法继续回访",
    finished_title: "本次回访已结束",
    finished_lead: "这次回访已经完成或已转为电话回访，无需再次操作。",
};

pub const EN: Text = Text {
    doc_title: "Policy revisit",
    brand: "Online policy revisit",
    language: "Language",
    large_text: "Large text",
    retry: "Try again",
    close_page: "You can close this page now.",
    need_help: "If you need help, please contact your insurer.",
    switch: "Switch to a phone revisit",
    switch_title: "Switch to a phone revisit?",
    switch_text: "If you confirm, this online revisit stops and your insurer will phone you within the cooling-off period to complete it. Please look out for their call.",
    switch_reason: "Reason (optional)",
    switch_confirm: "Yes, switch to a phone revisit",
    cancel: "Cancel",
    revisit: "Policy revisit",
    loading: "Loading…",
    landing_lead: "Hello. To protect your rights, please check the policy details below, confirm your identity, then confirm the revisit items one by one.",
    holder: "Policyholder",
    policy: "Policy number",
    phone: "Mobile number",
    product: "Product",
    cooling_off_ends: "Cooling-off period ends",
    beijing_time: " (Beijing time)",
    sms_note: "We will text a code to the mobile number above to make sure it is you.",
    send_code: "Text me a code",
    identity_title: "Confirm your identity",
    code_sent_before: "We sent a code to ",
    code_sent_after: ". It is valid for 5 minutes.",
    code_label: "Code from the text message",
    verify: "Verify",
    resend: "Send again",
    resend_ready: "No text message? You can send it again.",
    id_lead: "Please enter the policyholder’s ID card number to confirm it is you.",
    id_label: "ID card number",
    id_verify: "Verify my identity",
    yes: "Yes, I confirm",
    no: "No / I have a question",
    comment_label: "Comment (optional)",
    comment_placeholder: "If you have a question, write it here",
    read_to_end: "Please scroll the text above to its end before you answer.",
    read_done: "You have read this item. Please choose your answer.",
    read_aloud: "Read aloud",
    stop_reading: "Stop reading",
    answered_mark_yes: "Confirmed",
    answered_mark_no: "Question raised",
    answered_mark_none: "Not answered",
    your_comment: "Your comment: ",
    signature_title: "Handwritten signature",
    signature_lead: "Please sign your name with your finger in the box below, to confirm that you answered this revisit yourself.",
    signature_pad: "Signature pad",
    signature_clear: "Clear",
    signature_confirm: "Confirm signature",
    review_title: "Please check and submit",
    review_lead: "You have answered each item below. Once submitted, the answers cannot be changed.",
    review_doubts: "You have questions about some items. After you submit, your insurer will contact you about them.",
    submit: "Submit",
    done_title: "Revisit complete",
    done_lead: "Thank you for completing the revisit. Your answers have been recorded.",
    switched_title: "Switched to a phone revisit",
    switched_lead: "This online revisit has stopped. Your insurer will phone you within the cooling-off period to complete it. Please look out for their call.",
    expired_title: "This revisit link has expired",
    expired_lead: "The time for this online revisit is over. Your insurer will phone you to complete the revisit. Please look out for their call.",
    failed_title: "The revisit cannot continue right now",
    finished_title: "This revisit has ended",
    finished_lead: "This revisit has been completed or switched to a phone call. There is nothing more to do.",
};

/// The strings for `lang`.
pub fn text(lang: Lang) -> &'static Text {
    match lang {
        Lang::ZhCn => &ZH,
        Lang::En => &EN,
    }
}

/// `第 2 / 7 项` / `Item 2 of 7` for the item at index 1 of 7.
pub fn progress(lang: Lang, index: usize, count: usize) -> String {
    let n = index + 1;
    match lang {
        Lang::ZhCn => format!("第 {n} / {count} 项"),
        Lang::En => format!("Item {n} of {count}"),
    }
}

/// The accessible name of an item's text box.
pub fn item_region(lang: Lang, index: usize) -> String {
    let n = index + 1;
    match lang {
        Lang::ZhCn => format!("第 {n} 项内容"),
        Lang::En => format!("Text of item {n}"),
    }
}

/// The calm reminder while the minimum reading time runs (never in a live region).
pub fn keep_reading(lang: Lang, secs: u64) -> String {
    match lang {
        Lang::ZhCn => format!("请继续阅读（还需 {secs} 秒）"),
        // A no-break space keeps "(7 s)" on one line.
        Lang::En => format!("Please keep reading ({secs}\u{a0}s)"),
    }
}

/// The summary of the look-back list of answered items.
pub fn answered_items(lang: Lang, n: usize) -> String {
    match lang {
        Lang::ZhCn => format!("查看已答项目（{n} 项）"),
        Lang::En => format!("Look back at answered items ({n})"),
    }
}

/// The wait before another code may be sent.
pub fn resend_in(lang: Lang, secs: u64) -> String {
    match lang {
        Lang::ZhCn => format!("{secs} 秒后可重新发送"),
        Lang::En => format!("You can send again in {secs}\u{a0}s"),
    }
}

/// The done page's count of items answered "no" (R12).
pub fn doubts_followed_up(lang: Lang, n: usize) -> String {
    match lang {
        Lang::ZhCn => format!("您对 {n} 项内容表示有疑问，保险公司将尽快与您联系跟进处理。"),
        Lang::En if n == 1 => {
            "You raised a question about 1 item. Your insurer will contact you soon about it."
                .to_string()
        }
        Lang::En => format!(
            "You raised questions about {n} items. Your insurer will contact you soon about them."
        ),
    }
}

/// The language a browser asks for (`navigator.languages`, already in order of preference: the
/// first we offer wins; Chinese if none), before the session has said which one it uses. Tag by
/// tag, not the core's Accept-Language parser: its q-values would bring float parsing into the app.
pub fn from_browser(tags: &[String]) -> Lang {
    tags.iter()
        .find_map(|tag| Lang::from_tag(tag))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_from_one_in_both_languages() {
        assert_eq!(progress(Lang::ZhCn, 1, 7), "第 2 / 7 项");
        assert_eq!(progress(Lang::En, 2, 8), "Item 3 of 8");
    }

    #[test]
    fn the_browser_language_picks_the_first_we_offer() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(from_browser(&tags(&["en-US", "zh-CN"])), Lang::En);
        assert_eq!(from_browser(&tags(&["fr-FR", "zh-TW", "en"])), Lang::ZhCn);
        assert_eq!(from_browser(&tags(&["fr"])), Lang::ZhCn);
        assert_eq!(from_browser(&[]), Lang::ZhCn);
    }

    #[test]
    fn english_strings_hold_no_chinese() {
        let en = [
            EN.yes,
            EN.no,
            EN.brand,
            EN.switch,
            EN.read_to_end,
            EN.beijing_time,
        ];
        for s in en {
            assert!(s.chars().all(|c| (c as u32) < 0x2E80), "{s}");
        }
        assert_eq!(keep_reading(Lang::ZhCn, 5), "请继续阅读（还需 5 秒）");
        assert_eq!(keep_reading(Lang::En, 5), "Please keep reading (5\u{a0}s)");
    }
}
