//! English.

use super::{CalendarTime, EdgeWords, FallbackWords, PageWords, RefusalWords, Words};

const CLOSE_PAGE: &str = "You can close this page now.";

pub const WORDS: Words = Words {
    doc_title: "Policy revisit",
    brand: "Online policy revisit",
    language: "Language",
    large_text: "Large text",
    retry: "Try again",
    close_page: CLOSE_PAGE,
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
    face_title: "Face check",
    face_data: "Only that provider handles the image of your face: it is not passed to this revisit page and not kept in the revisit record, which keeps only the result (passed or not) and the provider's reference number.",
    face_choice: "The face check is not required. You can choose another way at any time and the revisit goes on:",
    face_alternative_id: "Confirm your identity with your ID card number instead.",
    face_alternative_phone: "Have the insurer phone you for a phone revisit instead.",
    face_start: "Start the face check",
    face_continue: "Continue the face check",
    face_use_id: "Skip the face check, use my ID number",
    face_use_phone: "Skip the face check, switch to a phone revisit",
    face_no_tries: "The face check did not pass 3 times. Please confirm your identity another way.",
    face_checking: "Fetching the result of the face check…",
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
    progress: |n, count| format!("Item {n} of {count}"),
    item_region: |n| format!("Text of item {n}"),
    // A no-break space keeps "(7 s)" on one line.
    keep_reading: |secs| format!("Please keep reading ({secs}\u{a0}s)"),
    answered_items: |n| format!("Look back at answered items ({n})"),
    resend_in: |secs| format!("You can send again in {secs}\u{a0}s"),
    doubts_followed_up: |n| match n {
        1 => "You raised a question about 1 item. Your insurer will contact you soon about it."
            .to_string(),
        n => format!(
            "You raised questions about {n} items. Your insurer will contact you soon about them."
        ),
    },
    date_time: |t: &CalendarTime<'_>| {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let CalendarTime { year, month, day, hour, minute } = t;
        let name = usize::from(*month)
            .checked_sub(1)
            .and_then(|i| MONTHS.get(i))
            .unwrap_or(&"?");
        format!("{day} {name} {year}, {hour}:{minute}")
    },
    network: "The connection is unstable. Please try again in a moment.",
    refusals: REFUSALS,
    face_lead: |provider| {
        format!("Next, a face check confirms that it is you. It is done by “{provider}”, the provider your insurer uses: you leave this page for a moment and come back here when it is done.")
    },
    face_tries_left: |tries| match tries {
        1 => "You can try 1 more time.".to_string(),
        n => format!("You can try {n} more times."),
    },
    wrong_code_tries_left: |tries| match tries {
        0 => "Too many wrong tries for this code. Please tap “Send again” for a new code."
            .to_string(),
        1 => "The code is not right. You can try 1 more time.".to_string(),
        n => format!("The code is not right. You can try {n} more times."),
    },
    face_failed_tries_left: |tries| match tries {
        1 => "The face check did not pass. You can try 1 more time.".to_string(),
        n => format!("The face check did not pass. You can try {n} more times."),
    },
    resend_too_soon_in: |secs| {
        format!("A code was sent a moment ago. Please try again in {secs} seconds.")
    },
};

pub const EDGE: EdgeWords = EdgeWords {
    fallback: FALLBACK,
    error_code_label: "Error code: ",
    code_sms: |code| {
        format!("Your online policy revisit code is {code}. It is valid for 5 minutes. Do not tell it to anyone, sales staff included.")
    },
    link_sms: |policy, ends, link| {
        format!(
            "Your policy {policy} needs its online revisit within the cooling-off period. Please open this link yourself, as the policyholder, by {}: {link} Do not forward it. You can choose a phone revisit on the page.",
            en_date(ends)
        )
    },
    reminder_sms: |policy, ends| {
        format!(
            "Reminder: the online revisit of your policy {policy} is not finished, and the cooling-off period ends on {}. Please open the link in our earlier SMS to finish it, or choose a phone revisit there.",
            en_date(ends)
        )
    },
};

/// `5 Dec 2026`.
fn en_date(d: super::SmsDate) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.get(d.month.wrapping_sub(1) as usize).unwrap_or(&"?");
    format!("{} {month} {}", d.day, d.year)
}

const REFUSALS: RefusalWords = RefusalWords {
    link_expired: "This revisit link has expired (the cooling-off period is over). Your insurer will phone you.",
    revisit_finished: "This revisit has ended. There is nothing more to do.",
    resend_too_soon: "A code was sent a moment ago. Please try again shortly.",
    wrong_code: "The code is not right. Please check it and try again.",
    code_expired: "This code has expired. Please tap “Send again” for a new code.",
    no_code_sent: "Please ask for a text message code first.",
    invalid_code_format: "Please enter the 6-digit code from the text message.",
    not_opened: "Please open the revisit link in the text message again.",
    already_verified: "Your identity is already confirmed. Please continue.",
    not_verified: "Please confirm the text message code first.",
    out_of_order: "Items are answered in order. This is the item to answer now.",
    answered_too_soon: "Please take a little more time to read this item before answering.",
    already_answered: "That answer was already recorded. Here is the next step.",
    items_remaining: "Some items are not answered yet. Please answer each one before you submit.",
    comment_too_long: "A comment or reason can be at most 500 characters. Please shorten it.",
    bad_link: "The link is incomplete or wrong. Please open it again from the text message.",
    signature_too_short: "The signature is too short. Please sign your full name in the box with your finger.",
    signature_unsaved: "The signature could not be saved. Please tap “Clear” and sign again.",
    signature_required: "Please sign first.",
    wrong_id_number: "The ID card number does not match the policy. Please check it and try again.",
    invalid_id_number: "Please enter the 18-character ID card number (the last one may be X).",
    id_number_checksum: "The ID card number is not valid (its check digit is wrong). Please check it.",
    wrong_step: "Please confirm your identity in the order the page shows.",
    link_in_use: "This revisit link was already opened on another device. To protect your information, the revisit can only continue on the device that opened it first. To switch to a phone call, use that device or contact your insurer.",
    link_not_found: "This revisit cannot be found; the link may be wrong or no longer valid. Please contact your insurer if in doubt.",
    rate_limited: "Too many requests. Please try again in a moment.",
    session_locked: "Too many wrong codes: the online revisit cannot continue today. You can switch to a phone call.",
    sms_unavailable: "Text messages cannot be sent right now. Please try again shortly.",
    sms_daily_limit: "No more codes can be sent today. You can switch to a phone call.",
    face_tries_used: "The face check did not pass 3 times. Please confirm your identity another way.",
    face_return_invalid: "The result of this face check could not be confirmed. Please start the face check again, or choose another way.",
    face_failed: "The face check did not pass.",
    face_unavailable: "The face check is not available right now. Please try again later, or choose another way.",
    server: "The service is unavailable for a moment. Please try again shortly.",
    generic: "That did not work. Please try again shortly.",
};

const SWITCHED: &[&str] = &[
    "This online revisit has stopped. Your insurer will phone you within the cooling-off period to complete it. Please look out for their call.",
    CLOSE_PAGE,
];

const FALLBACK: FallbackWords = FallbackWords {
    switched: PageWords {
        heading: "Switched to a phone revisit",
        lines: SWITCHED,
    },
    already_switched: PageWords {
        heading: "You have switched to a phone revisit",
        lines: SWITCHED,
    },
    link_in_use: PageWords {
        heading: "This link was opened on another device",
        lines: &[
                "To protect your information, a revisit link works only on the phone or browser that opened it first.",
                "To switch to a phone revisit, use the phone or browser that opened the link first, or wait for your insurer’s call.",
            ],
    },
    ended: PageWords {
        heading: "This revisit has ended",
        lines: &["This revisit was completed, switched to a phone call or cancelled by your insurer. There is nothing more to do. You can close this page."],
    },
    expired: PageWords {
        heading: "This revisit link has expired",
        lines: &["The cooling-off period is over and this link can no longer be used. Your insurer will contact you by phone or another way."],
    },
    link_invalid: PageWords {
        heading: "This revisit link is not valid",
        lines: &["This link is incomplete, wrong or has been replaced. Please use the latest link in your insurer’s text message, or wait for their call."],
    },
    unrecognised: PageWords {
        heading: "Your request was not understood",
        lines: &["Please go back to the previous page and tap “Switch to a phone revisit” once more."],
    },
    unavailable: PageWords {
        heading: "This cannot be done right now",
        lines: &["The system cannot handle your request right now. Please go back and try again later, or wait for your insurer’s call."],
    },
};
