//! 简体中文: the default language, and the one of the fallback pages and the SMS.

use super::{CalendarTime, EdgeWords, FallbackWords, PageWords, RefusalWords, Words};

const CLOSE_PAGE: &str = "您现在可以关闭此页面。";

pub const WORDS: Words = Words {
    doc_title: "保单回访",
    brand: "保单电子化回访",
    language: "语言",
    large_text: "大字模式",
    retry: "重试",
    close_page: CLOSE_PAGE,
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
    face_title: "人脸识别",
    face_data: "人脸图像只由该服务商处理，不会传给本回访页面，也不会保存在回访记录中；回访记录只保存核验结果（通过或未通过）和服务商的核验编号。",
    face_choice: "人脸识别不是必须的，您可以随时选择其他方式，回访照常进行：",
    face_alternative_id: "改为输入身份证号码验证身份。",
    face_alternative_phone: "改为由保险公司致电您完成电话回访。",
    face_start: "开始人脸识别",
    face_continue: "继续人脸识别",
    face_use_id: "不做人脸识别，改用身份证号码",
    face_use_phone: "不做人脸识别，改为电话回访",
    face_no_tries: "人脸识别已 3 次未通过，请改用其他方式完成身份验证。",
    face_checking: "正在取回人脸识别结果，请稍候……",
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
    progress: |n, count| format!("第 {n} / {count} 项"),
    item_region: |n| format!("第 {n} 项内容"),
    keep_reading: |secs| format!("请继续阅读（还需 {secs} 秒）"),
    answered_items: |n| format!("查看已答项目（{n} 项）"),
    resend_in: |secs| format!("{secs} 秒后可重新发送"),
    doubts_followed_up: |n| format!("您对 {n} 项内容表示有疑问，保险公司将尽快与您联系跟进处理。"),
    date_time: |t: &CalendarTime<'_>| {
        let CalendarTime {
            year,
            month,
            day,
            hour,
            minute,
        } = t;
        format!("{year}年{month}月{day}日 {hour}:{minute}")
    },
    network: "网络不稳定，请稍后重试。",
    refusals: REFUSALS,
    face_lead: |provider| {
        format!("下一步请通过人脸识别确认是您本人操作。人脸识别由保险公司委托的“{provider}”完成，您将暂时离开本页面，完成后自动返回。")
    },
    face_tries_left: |tries| format!("还可以尝试 {tries} 次。"),
    wrong_code_tries_left: |tries| match tries {
        0 => "验证码错误次数已达上限，请点击“重新发送”获取新的验证码。".to_string(),
        n => format!("验证码不正确，您还可以再试 {n} 次。"),
    },
    face_failed_tries_left: |tries| format!("人脸识别未通过。还可以尝试 {tries} 次。"),
    resend_too_soon_in: |secs| format!("获取验证码过于频繁，请 {secs} 秒后再试。"),
};

pub const EDGE: EdgeWords = EdgeWords {
    fallback: FALLBACK,
    error_code_label: "错误代码：",
    code_sms: |code| {
        format!(
            "您的保单电子化回访验证码为{code}，5分钟内有效。请勿将验证码告知他人，包括销售人员。"
        )
    },
    link_sms: |policy, ends, link| {
        format!(
            "您的保单{policy}需在犹豫期内完成电子化回访，请于{}年{}月{}日前由投保人本人打开链接完成：{link} 请勿转发他人。如需电话回访，可在页面上选择。",
            ends.year, ends.month, ends.day
        )
    },
    reminder_sms: |policy, ends| {
        format!(
            "提醒：您的保单{policy}电子化回访尚未完成，犹豫期将于{}年{}月{}日结束。请打开此前短信中的链接完成回访，或在页面上选择电话回访。",
            ends.year, ends.month, ends.day
        )
    },
};

const REFUSALS: RefusalWords = RefusalWords {
    link_expired: "回访链接已失效（犹豫期已结束）。保险公司将通过电话与您联系。",
    revisit_finished: "本次回访已结束，无需再次操作。",
    resend_too_soon: "获取验证码过于频繁，请稍后再试。",
    wrong_code: "验证码不正确，请核对后重新输入。",
    code_expired: "验证码已失效，请点击“重新发送”获取新的验证码。",
    no_code_sent: "请先获取短信验证码。",
    invalid_code_format: "请输入短信中的 6 位数字验证码。",
    not_opened: "请重新打开短信中的回访链接。",
    already_verified: "您已完成身份验证，请继续回访。",
    not_verified: "请先完成短信验证码验证。",
    out_of_order: "请按顺序逐项确认，已为您显示当前应确认的事项。",
    answered_too_soon: "请再仔细阅读本项内容，稍后再确认。",
    already_answered: "该项已记录，已为您显示下一项。",
    items_remaining: "还有未确认的事项，请逐项确认后再提交。",
    comment_too_long: "补充说明或原因最多 500 字，请删减后再提交。",
    bad_link: "链接不完整或有误，请从短信中的链接重新打开。",
    signature_too_short: "签名过短，请用手指在框内完整签写您的姓名。",
    signature_unsaved: "签名无法保存，请点击“重写”后再签一次。",
    signature_required: "请先完成手写签名。",
    wrong_id_number: "身份证号码与投保信息不一致，请核对后重新输入。",
    invalid_id_number: "请输入 18 位身份证号码（最后一位可以是 X）。",
    id_number_checksum: "身份证号码有误（校验位不符），请核对后重新输入。",
    wrong_step: "请按页面提示的顺序完成身份验证。",
    link_in_use: "该回访链接已在另一台设备上打开。为保护您的信息，回访只能在首次打开链接的设备上继续。如需改为电话回访，请在该设备上操作，或直接联系您的保险公司。",
    link_not_found: "找不到该回访，链接可能有误或已失效。如有疑问请联系保险公司。",
    rate_limited: "操作过于频繁，请稍后再试。",
    session_locked: "验证码错误次数过多，今日已无法继续电子化回访。您可以改为电话回访。",
    sms_unavailable: "短信暂时无法发送，请稍后重试。",
    sms_daily_limit: "今日获取验证码次数已达上限。您可以改为电话回访。",
    face_tries_used: "人脸识别已 3 次未通过，请改用其他方式完成身份验证。",
    face_return_invalid: "未能确认这次人脸识别的结果，请重新开始人脸识别，或改用其他方式。",
    face_failed: "人脸识别未通过。",
    face_unavailable: "人脸识别暂时无法进行，请稍后重试，或改用其他方式。",
    server: "服务暂时不可用，请稍后重试。",
    generic: "操作未成功，请稍后重试。",
};

const SWITCHED: &[&str] = &[
    "本次线上回访已停止。保险公司将在犹豫期内致电您完成回访，请留意来电。",
    CLOSE_PAGE,
];

const FALLBACK: FallbackWords = FallbackWords {
    switched: PageWords {
        heading: "已为您改为电话回访",
        lines: SWITCHED,
    },
    already_switched: PageWords {
        heading: "您已改为电话回访",
        lines: SWITCHED,
    },
    link_in_use: PageWords {
        heading: "此链接已在另一台设备上打开",
        lines: &[
            "为保护您的信息，回访链接只能在第一次打开它的手机或浏览器上使用。",
            "如需改为电话回访，请在第一次打开链接的手机或浏览器上操作，或直接等待保险公司来电。",
        ],
    },
    ended: PageWords {
        heading: "本次回访已经结束",
        lines: &[
            "本次回访已完成、已改为电话回访或已由保险公司取消，无需再操作。您可以关闭此页面。",
        ],
    },
    expired: PageWords {
        heading: "回访链接已过期",
        lines: &["犹豫期已经结束，此链接不能再使用。保险公司将通过电话或其他方式与您联系。"],
    },
    link_invalid: PageWords {
        heading: "回访链接无效",
        lines: &[
            "此链接不完整、有误或已被更换。请使用保险公司短信中最新的链接，或等待保险公司来电。",
        ],
    },
    unrecognised: PageWords {
        heading: "无法识别您的请求",
        lines: &["请返回上一页，再点一次“改为电话回访”。"],
    },
    unavailable: PageWords {
        heading: "暂时无法办理",
        lines: &["系统暂时无法处理您的请求，请稍后返回上一页重试，或等待保险公司来电。"],
    },
};
