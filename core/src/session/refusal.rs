//! Why an event was refused: one variant per reason, with a stable code for machines and a sentence
//! for people.

use super::{FACE_TRIES, MAX_COMMENT_CHARS};
use crate::signature::SignatureError;

/// Why an event was refused. `code()` is stable; the Display text is for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this revisit has ended: the cooling-off period is over")]
    Expired,
    #[error("this revisit is already finished")]
    Finished,
    #[error("please open the revisit link first")]
    NotOpened,
    #[error("your identity is already verified")]
    AlreadyVerified,
    #[error("please wait {retry_after_secs} seconds before asking for another code")]
    ResendTooSoon { retry_after_secs: u64 },
    #[error("please ask for a code first")]
    NoCodeSent,
    #[error("this code has expired; please ask for a new one")]
    CodeExpired,
    #[error("the code is wrong; {tries_left} tries left for this code")]
    WrongCode { tries_left: u8 },
    #[error("please verify your identity first")]
    NotVerified,
    #[error("item {0} is already answered")]
    AlreadyAnswered(usize),
    #[error("please keep reading this item: it can be answered in {retry_after_secs} seconds")]
    AnsweredTooSoon { retry_after_secs: u64 },
    #[error("please answer item {expected} first")]
    OutOfOrder { expected: usize },
    #[error("there is no item {0}")]
    NoSuchItem(usize),
    #[error("the comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
    #[error("please answer every item before finishing; {remaining} left")]
    ItemsRemaining { remaining: usize },
    #[error("the cooling-off period has not ended yet")]
    NotDue,
    #[error("this revisit is open on another device")]
    LinkInUse,
    #[error("this identity step is not the next one")]
    WrongStep,
    #[error("the ID number does not match our records")]
    WrongIdNumber,
    #[error("{0}")]
    BadSignature(SignatureError),
    #[error("please sign before finishing")]
    SignatureRequired,
    #[error("too many wrong codes today; try again in {retry_after_secs} seconds or switch to a phone revisit")]
    SessionLocked { retry_after_secs: u64 },
    #[error("too many codes sent today; try again in {retry_after_secs} seconds or switch to a phone revisit")]
    SmsDailyLimit { retry_after_secs: u64 },
    #[error("the face check was tried {FACE_TRIES} times; please use the alternative")]
    FaceTriesUsed,
    #[error("this face check was not started for this revisit")]
    FaceReferenceUnknown,
    #[error("this face check's result was already taken")]
    FaceReferenceUsed,
    #[error("this face check took too long; please start it again")]
    FaceReferenceExpired,
    #[error("the face check's provider did not confirm this return")]
    FaceReturnRefused,
    #[error("the face check did not pass; {tries_left} tries left")]
    FaceFailed { tries_left: u8 },
    #[error("the face check cannot be started now; try again or use the alternative")]
    FaceUnavailable,
    #[error("too many requests from this network; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
}

impl Refusal {
    pub fn code(&self) -> crate::ErrorCode {
        use crate::ErrorCode;
        match self {
            Self::Expired => ErrorCode::LinkExpired,
            Self::Finished => ErrorCode::RevisitFinished,
            Self::NotOpened => ErrorCode::NotOpened,
            Self::AlreadyVerified => ErrorCode::AlreadyVerified,
            Self::ResendTooSoon { .. } => ErrorCode::ResendTooSoon,
            Self::NoCodeSent => ErrorCode::NoCodeSent,
            Self::CodeExpired => ErrorCode::CodeExpired,
            Self::WrongCode { .. } => ErrorCode::WrongCode,
            Self::NotVerified => ErrorCode::NotVerified,
            Self::AlreadyAnswered(_) => ErrorCode::AlreadyAnswered,
            Self::OutOfOrder { .. } => ErrorCode::ItemOutOfOrder,
            Self::AnsweredTooSoon { .. } => ErrorCode::AnsweredTooSoon,
            Self::NoSuchItem(_) => ErrorCode::NoSuchItem,
            Self::CommentTooLong => ErrorCode::CommentTooLong,
            Self::ItemsRemaining { .. } => ErrorCode::ItemsRemaining,
            Self::NotDue => ErrorCode::NotDue,
            Self::LinkInUse => ErrorCode::LinkInUse,
            Self::WrongStep => ErrorCode::WrongStep,
            Self::WrongIdNumber => ErrorCode::WrongIdNumber,
            Self::BadSignature(e) => e.code(),
            Self::SignatureRequired => ErrorCode::SignatureRequired,
            Self::SessionLocked { .. } => ErrorCode::SessionLocked,
            Self::SmsDailyLimit { .. } => ErrorCode::SmsDailyLimit,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::FaceTriesUsed => ErrorCode::FaceTriesUsed,
            Self::FaceReferenceUnknown => ErrorCode::FaceReferenceUnknown,
            Self::FaceReferenceUsed => ErrorCode::FaceReferenceUsed,
            Self::FaceReferenceExpired => ErrorCode::FaceReferenceExpired,
            Self::FaceReturnRefused => ErrorCode::FaceReturnRefused,
            Self::FaceFailed { .. } => ErrorCode::FaceFailed,
            Self::FaceUnavailable => ErrorCode::FaceUnavailable,
        }
    }

    /// Tries the current code has left, for `WrongCode`.
    pub fn tries_left(&self) -> Option<u8> {
        match self {
            Self::WrongCode { tries_left } | Self::FaceFailed { tries_left } => Some(*tries_left),
            _ => None,
        }
    }

    /// Seconds after which trying again can succeed, where that is known.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::ResendTooSoon { retry_after_secs }
            | Self::AnsweredTooSoon { retry_after_secs }
            | Self::SessionLocked { retry_after_secs }
            | Self::SmsDailyLimit { retry_after_secs }
            | Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}
