//! Every word the policyholder reads, one table per language: the app's pages, its sentence for
//! each refusal code, the fallback pages the edge renders without the app, and the SMS that
//! carries a code. The app and the edge both read them from here.
//!
//! [`Words`] (and [`EdgeWords`]) is a struct, and each language's file holds its values: a string
//! added for one language and forgotten for the other fails to compile. Sentences with a number in
//! them are functions in the table. Which sentence a refusal code gets, and which page the fallback
//! shows, is decided once here ([`RefusalWords::of`], [`FallbackWords::page`]), by an exhaustive
//! `match`; the languages only say the words.

mod en;
mod zh_cn;

use crate::error_code::ErrorCode;
use crate::script::Lang;
use crate::wire::ApiError;

/// The words of one language.
pub struct Words {
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
    // the face step (R8): what it is, who does it, where the image goes, the alternative
    pub face_title: &'static str,
    pub face_data: &'static str,
    pub face_choice: &'static str,
    pub face_alternative_id: &'static str,
    pub face_alternative_phone: &'static str,
    pub face_start: &'static str,
    pub face_continue: &'static str,
    pub face_use_id: &'static str,
    pub face_use_phone: &'static str,
    pub face_no_tries: &'static str,
    pub face_checking: &'static str,
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

    // ---- sentences with a number in them
    /// `第 2 / 7 项`: the item's number (from 1) and the count.
    pub progress: fn(usize, usize) -> String,
    /// The accessible name of the text box of the item with this number (from 1).
    pub item_region: fn(usize) -> String,
    /// The calm reminder while the minimum reading time runs (never in a live region).
    pub keep_reading: fn(u64) -> String,
    /// The summary of the look-back list of this many answered items.
    pub answered_items: fn(usize) -> String,
    /// The wait before another code may be sent.
    pub resend_in: fn(u64) -> String,
    /// The done page's count of items answered "no" (R12).
    pub doubts_followed_up: fn(usize) -> String,
    /// The face step's first sentence: the check is done by this provider.
    pub face_lead: fn(&str) -> String,
    /// The face checks left before only the alternative is offered.
    pub face_tries_left: fn(u8) -> String,
    /// A time in Beijing time, e.g. `2027年1月15日 23:59`.
    pub date_time: fn(&CalendarTime<'_>) -> String,

    // ---- failures: the API's own `message` is English for developers; these are ours
    /// No answer, or not one of the API's (the page offers 重试 next to it).
    pub network: &'static str,
    /// A sentence per refusal, without the numbers some refusals carry.
    pub refusals: RefusalWords,
    /// `wrong_code` with the tries the code has left (none: the policyholder must send a new one).
    pub wrong_code_tries_left: fn(u8) -> String,
    /// `face_failed` with the face checks left (more than zero).
    pub face_failed_tries_left: fn(u8) -> String,
    /// `resend_too_soon` with the seconds to wait (more than zero).
    pub resend_too_soon_in: fn(u64) -> String,
}

/// The words the edge says without the app: its fallback pages (R7), for browsers where the app
/// does not run, and the SMS. Apart from [`Words`] so that the app's wasm does not carry them.
pub struct EdgeWords {
    pub fallback: FallbackWords,
    /// Before the refusal's code on a fallback page.
    pub error_code_label: &'static str,
    /// The SMS that carries a code: what it is for and that staff never ask for it (R10).
    pub code_sms: fn(&str) -> String,
    /// The SMS that carries the link at creation, when the insurer asks for it: whose policy
    /// (masked), until when (the Beijing date of the cooling-off end), the link, and that it is
    /// for the policyholder alone (R10).
    pub link_sms: fn(policy_masked: &str, ends: SmsDate, link: &str) -> String,
    /// The one reminder of an unfinished revisit before the cooling-off end: it carries no link
    /// (the edge keeps only the link's digest); it points to the first SMS and to the phone.
    pub reminder_sms: fn(policy_masked: &str, ends: SmsDate) -> String,
}

/// A Beijing calendar date as an SMS names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmsDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// One sentence per thing the policyholder is told about a refusal; codes that mean the same to
/// the person share one ([`RefusalWords::of`] says which).
pub struct RefusalWords {
    pub link_expired: &'static str,
    pub revisit_finished: &'static str,
    pub resend_too_soon: &'static str,
    pub wrong_code: &'static str,
    pub code_expired: &'static str,
    pub no_code_sent: &'static str,
    pub invalid_code_format: &'static str,
    pub not_opened: &'static str,
    pub already_verified: &'static str,
    pub not_verified: &'static str,
    /// An item out of order, or one that does not exist: the page shows the one to answer.
    pub out_of_order: &'static str,
    /// R9: the answer came before the item's minimum reading time had passed.
    pub answered_too_soon: &'static str,
    pub already_answered: &'static str,
    pub items_remaining: &'static str,
    pub comment_too_long: &'static str,
    /// No link in the page's address, or a malformed one.
    pub bad_link: &'static str,
    pub signature_too_short: &'static str,
    /// A signature too large, off the pad, or not a readable image: sign again.
    pub signature_unsaved: &'static str,
    pub signature_required: &'static str,
    pub wrong_id_number: &'static str,
    pub invalid_id_number: &'static str,
    pub id_number_checksum: &'static str,
    pub wrong_step: &'static str,
    pub link_in_use: &'static str,
    pub link_not_found: &'static str,
    pub rate_limited: &'static str,
    pub session_locked: &'static str,
    pub sms_unavailable: &'static str,
    pub sms_daily_limit: &'static str,
    pub face_tries_used: &'static str,
    /// A return from the provider that is not this revisit's started check, or is one already
    /// taken or too old: start again.
    pub face_return_invalid: &'static str,
    pub face_failed: &'static str,
    pub face_unavailable: &'static str,
    /// A fault on our side (also an unreadable 5xx answer).
    pub server: &'static str,
    /// What the policyholder did not cause and cannot fix: the insurer's API, the edge's
    /// plumbing, and codes we do not know.
    pub generic: &'static str,
}

impl RefusalWords {
    /// The sentence for `code`.
    pub fn of(&self, code: ErrorCode) -> &'static str {
        use ErrorCode::*;
        match code {
            LinkExpired => self.link_expired,
            RevisitFinished => self.revisit_finished,
            ResendTooSoon => self.resend_too_soon,
            WrongCode => self.wrong_code,
            CodeExpired => self.code_expired,
            NoCodeSent => self.no_code_sent,
            InvalidCodeFormat => self.invalid_code_format,
            NotOpened => self.not_opened,
            AlreadyVerified => self.already_verified,
            NotVerified => self.not_verified,
            ItemOutOfOrder | NoSuchItem => self.out_of_order,
            AnsweredTooSoon => self.answered_too_soon,
            AlreadyAnswered => self.already_answered,
            ItemsRemaining => self.items_remaining,
            CommentTooLong => self.comment_too_long,
            InvalidLink | LinkMissing => self.bad_link,
            SignatureTooShort => self.signature_too_short,
            SignatureTooLarge | SignatureOutOfPad | SignatureBadImage => self.signature_unsaved,
            SignatureRequired => self.signature_required,
            WrongIdNumber => self.wrong_id_number,
            InvalidIdNumber => self.invalid_id_number,
            IdNumberChecksum => self.id_number_checksum,
            WrongStep => self.wrong_step,
            LinkInUse => self.link_in_use,
            LinkNotFound => self.link_not_found,
            RateLimited => self.rate_limited,
            SessionLocked => self.session_locked,
            SmsUnavailable => self.sms_unavailable,
            SmsDailyLimit => self.sms_daily_limit,
            FaceTriesUsed => self.face_tries_used,
            FaceReferenceUnknown | FaceReferenceUsed | FaceReferenceExpired | FaceReturnRefused => {
                self.face_return_invalid
            }
            FaceFailed => self.face_failed,
            FaceUnavailable => self.face_unavailable,
            Internal | Misconfigured => self.server,
            NotDue
            | SignatureMissing
            | BadTimestamp
            | TimestampOutsideWindow
            | SignatureMismatch
            | UnknownKey
            | BadKey
            | InvalidPolicyNumber
            | InvalidPhone
            | InvalidName
            | InvalidRevisitId
            | InvalidProduct
            | InvalidTimestamp
            | CoolingOffEnded
            | InvalidScript
            | InvalidChannel
            | InvalidSellerCode
            | InvalidIdempotencyKey
            | IdempotencyKeyReused
            | IdempotencyKeyInProgress
            | BadJson
            | BadBody
            | UnsupportedMediaType
            | PayloadTooLarge
            | NotFound
            | MethodNotAllowed
            | UnexpectedBody
            | Conflict
            | BadForm
            | Unknown => self.generic,
        }
    }
}

/// The fallback pages, one field per [`FallbackPage`].
pub struct FallbackWords {
    pub switched: PageWords,
    pub already_switched: PageWords,
    pub link_in_use: PageWords,
    pub ended: PageWords,
    pub expired: PageWords,
    pub link_invalid: PageWords,
    pub unrecognised: PageWords,
    pub unavailable: PageWords,
}

impl FallbackWords {
    /// The words of `page`.
    pub fn page(&self, page: FallbackPage) -> PageWords {
        match page {
            FallbackPage::Switched => self.switched,
            FallbackPage::AlreadySwitched => self.already_switched,
            FallbackPage::LinkInUse => self.link_in_use,
            FallbackPage::Ended => self.ended,
            FallbackPage::Expired => self.expired,
            FallbackPage::LinkInvalid => self.link_invalid,
            FallbackPage::Unrecognised => self.unrecognised,
            FallbackPage::Unavailable => self.unavailable,
        }
    }
}

/// A moment as the policyholder reads it (already in Beijing time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarTime<'a> {
    pub year: &'a str,
    /// 1 to 12.
    pub month: u8,
    pub day: u8,
    /// Two digits each.
    pub hour: &'a str,
    pub minute: &'a str,
}

/// Which page the fallback form answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FallbackPage {
    /// The switch to phone happened now.
    Switched,
    /// This browser had already switched (a reload or a second tap).
    AlreadySwitched,
    /// The link is bound to another device (R10).
    LinkInUse,
    /// The revisit was completed, switched or cancelled.
    Ended,
    /// The cooling-off period is over (R1).
    Expired,
    /// The link is not one of ours, or no longer.
    LinkInvalid,
    /// The form sent was not our form.
    Unrecognised,
    /// Anything else: try again later.
    Unavailable,
}

impl FallbackPage {
    pub const ALL: [FallbackPage; 8] = [
        FallbackPage::Switched,
        FallbackPage::AlreadySwitched,
        FallbackPage::LinkInUse,
        FallbackPage::Ended,
        FallbackPage::Expired,
        FallbackPage::LinkInvalid,
        FallbackPage::Unrecognised,
        FallbackPage::Unavailable,
    ];
}

/// A fallback page's heading and paragraphs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageWords {
    pub heading: &'static str,
    pub lines: &'static [&'static str],
}

/// The words of `lang`.
pub fn of(lang: Lang) -> &'static Words {
    match lang {
        Lang::ZhCn => &zh_cn::WORDS,
        Lang::En => &en::WORDS,
    }
}

/// The edge's own words in `lang`.
pub fn edge(lang: Lang) -> &'static EdgeWords {
    match lang {
        Lang::ZhCn => &zh_cn::EDGE,
        Lang::En => &en::EDGE,
    }
}

impl Words {
    /// What the policyholder reads for a refusal of the API: the code's sentence, with the tries
    /// left or the wait where the refusal says them.
    pub fn refusal_text(&self, e: &ApiError) -> String {
        match (e.code, e.tries_left, e.retry_after_secs) {
            (ErrorCode::WrongCode, Some(tries), _) => (self.wrong_code_tries_left)(tries),
            (ErrorCode::ResendTooSoon, _, Some(secs)) if secs > 0 => {
                (self.resend_too_soon_in)(secs)
            }
            (ErrorCode::FaceFailed, Some(0), _) => self.refusals.face_tries_used.to_string(),
            (ErrorCode::FaceFailed, Some(tries), _) => (self.face_failed_tries_left)(tries),
            (code, ..) => self.refusals.of(code).to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
