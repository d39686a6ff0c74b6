//! Every stable code a refusal of the edge can carry, as one enum, and beside each its class: what
//! the policyholder can do about it. The edge answers with these codes, the app reads them, the
//! fallback pages show them; on the wire each is its snake_case name (`edge/openapi.json` lists
//! them), and a code this build does not know reads as [`ErrorCode::Unknown`], so that an older app
//! survives a newer edge.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Declares the enum, its wire names and [`ErrorCode::ALL`] from one list, so that a code cannot be
/// added to one and forgotten in another.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// A refusal's stable, machine-readable code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
            /// A code this build does not know (sent by a newer edge): read, never sent.
            Unknown,
        }

        impl ErrorCode {
            /// Every code, in the order of the enum.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)* ErrorCode::Unknown];

            /// The code as on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                    ErrorCode::Unknown => "unknown",
                }
            }
        }
    };
}

error_codes! {
    // ---- the session's rules (`session::Refusal`)
    /// The cooling-off period is over (R1).
    LinkExpired = "link_expired",
    /// The revisit was completed, switched to phone or cancelled.
    RevisitFinished = "revisit_finished",
    NotOpened = "not_opened",
    AlreadyVerified = "already_verified",
    ResendTooSoon = "resend_too_soon",
    NoCodeSent = "no_code_sent",
    CodeExpired = "code_expired",
    WrongCode = "wrong_code",
    NotVerified = "not_verified",
    AlreadyAnswered = "already_answered",
    ItemOutOfOrder = "item_out_of_order",
    /// R9: answered sooner after the item was shown than its minimum reading time.
    AnsweredTooSoon = "answered_too_soon",
    NoSuchItem = "no_such_item",
    CommentTooLong = "comment_too_long",
    ItemsRemaining = "items_remaining",
    /// The expiry alarm fired early; never answered to a caller.
    NotDue = "not_due",
    /// The link is bound to another device (R10).
    LinkInUse = "link_in_use",
    WrongStep = "wrong_step",
    WrongIdNumber = "wrong_id_number",
    SignatureRequired = "signature_required",
    SessionLocked = "session_locked",
    SmsDailyLimit = "sms_daily_limit",
    RateLimited = "rate_limited",
    // ---- the face step (R8, `session::face`)
    /// Three failed face checks: only the script's alternative is left.
    FaceTriesUsed = "face_tries_used",
    /// The returned reference is not this session's started check (forged, or another session's).
    FaceReferenceUnknown = "face_reference_unknown",
    /// The returned reference's result was already taken (a replay).
    FaceReferenceUsed = "face_reference_used",
    FaceReferenceExpired = "face_reference_expired",
    /// The origin did not confirm the return (a forged ticket).
    FaceReturnRefused = "face_return_refused",
    /// The provider's verdict was "failed": counts like a wrong code.
    FaceFailed = "face_failed",
    /// The origin could not start a check or answer for it.
    FaceUnavailable = "face_unavailable",
    // ---- the handwritten signature (`signature::SignatureError`)
    SignatureTooShort = "signature_too_short",
    SignatureTooLarge = "signature_too_large",
    SignatureOutOfPad = "signature_out_of_pad",
    SignatureBadImage = "signature_bad_image",
    // ---- the insurer's signed requests (`signing::SignatureError`)
    SignatureMissing = "signature_missing",
    BadTimestamp = "bad_timestamp",
    TimestampOutsideWindow = "timestamp_outside_window",
    SignatureMismatch = "signature_mismatch",
    UnknownKey = "unknown_key",
    BadKey = "bad_key",
    // ---- values from outside (`domain::DomainError`)
    InvalidPolicyNumber = "invalid_policy_number",
    InvalidPhone = "invalid_phone",
    InvalidIdNumber = "invalid_id_number",
    IdNumberChecksum = "id_number_checksum",
    InvalidName = "invalid_name",
    InvalidLink = "invalid_link",
    InvalidCodeFormat = "invalid_code_format",
    InvalidRevisitId = "invalid_revisit_id",
    // ---- creating a revisit (`wire::CreateError`)
    InvalidProduct = "invalid_product",
    InvalidTimestamp = "invalid_timestamp",
    CoolingOffEnded = "cooling_off_ended",
    InvalidScript = "invalid_script",
    /// `channel` is not one of the sales channels.
    InvalidChannel = "invalid_channel",
    /// `seller_code` is not 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
    InvalidSellerCode = "invalid_seller_code",
    // ---- idempotent insurer requests (`idempotency::IdempotencyError`)
    /// The `Idempotency-Key` header is not 1–255 characters of the allowed set.
    InvalidIdempotencyKey = "invalid_idempotency_key",
    /// The key was used with another request (method, path or body) in the last 24 hours.
    IdempotencyKeyReused = "idempotency_key_reused",
    /// A request with the key is still being answered.
    IdempotencyKeyInProgress = "idempotency_key_in_progress",
    // ---- the edge itself (`EdgeError`)
    BadJson = "bad_json",
    BadBody = "bad_body",
    UnsupportedMediaType = "unsupported_media_type",
    PayloadTooLarge = "payload_too_large",
    NotFound = "not_found",
    MethodNotAllowed = "method_not_allowed",
    /// A body sent to a route that takes none (issue 12: refuse what the document does not allow).
    UnexpectedBody = "unexpected_body",
    LinkNotFound = "link_not_found",
    LinkMissing = "link_missing",
    Conflict = "conflict",
    SmsUnavailable = "sms_unavailable",
    Misconfigured = "misconfigured",
    Internal = "internal",
    /// The fallback page's form is not the switch form.
    BadForm = "bad_form",
}

/// What a refusal means for the person in front of the page, so that the app and the fallback
/// pages decide alike what to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeClass {
    /// The fault was in transit or on our side: the same request may succeed later (try again).
    Transient,
    /// The page shows an older state than the session's (a step already done, or not yet
    /// reached): reload it.
    Stale,
    /// This link cannot be used, or not any more: nothing on the page can help.
    DeadLink,
    /// The request was refused as sent: fix it and send again, or do what the words say instead.
    Refused,
}

impl ErrorCode {
    /// What the policyholder can do about it.
    pub fn class(self) -> CodeClass {
        use ErrorCode::*;
        match self {
            Internal | Misconfigured | SmsUnavailable | RateLimited | FaceUnavailable => {
                CodeClass::Transient
            }
            // `resend_too_soon`, `answered_too_soon`: the page's countdown was behind the
            // session's (the page counts from when it showed the item, so it never should be).
            NotOpened | AlreadyVerified | NoCodeSent | NotVerified | AlreadyAnswered
            | ItemOutOfOrder | NoSuchItem | ItemsRemaining | ResendTooSoon | AnsweredTooSoon => {
                CodeClass::Stale
            }
            LinkExpired | RevisitFinished | LinkInUse | LinkNotFound | LinkMissing
            | InvalidLink => CodeClass::DeadLink,
            // The policyholder's own input, or a rule that says what to do instead (switch to a
            // phone revisit), or the insurer's request; and a code we do not know, which we do
            // not send again blindly.
            CodeExpired
            | WrongCode
            | CommentTooLong
            | WrongStep
            | WrongIdNumber
            | FaceTriesUsed
            | FaceReferenceUnknown
            | FaceReferenceUsed
            | FaceReferenceExpired
            | FaceReturnRefused
            | FaceFailed
            | SignatureRequired
            | SessionLocked
            | SmsDailyLimit
            | NotDue
            | SignatureTooShort
            | SignatureTooLarge
            | SignatureOutOfPad
            | SignatureBadImage
            | SignatureMissing
            | BadTimestamp
            | TimestampOutsideWindow
            | SignatureMismatch
            | UnknownKey
            | BadKey
            | InvalidPolicyNumber
            | InvalidPhone
            | InvalidIdNumber
            | IdNumberChecksum
            | InvalidName
            | InvalidCodeFormat
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
            | Unknown => CodeClass::Refused,
        }
    }
}

impl ErrorCode {
    /// The code of this wire name; [`ErrorCode::Unknown`] for a name this build does not know.
    pub fn from_name(name: &str) -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == name)
            .unwrap_or(Self::Unknown)
    }
}

/// On the wire a code is its name. By hand rather than derived, so that the names are the one
/// table of `as_str` (the derive would compile a second and third copy into the app's wasm).
impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = ErrorCode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error code")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<ErrorCode, E> {
                Ok(ErrorCode::from_name(name))
            }
        }
        deserializer.deserialize_str(Name)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Core's own tests hold a code to its wire name, as the other crates' tests read the JSON.
#[cfg(test)]
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_is_listed_once() {
        let distinct: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(distinct.len(), ErrorCode::ALL.len());
        assert_eq!(ErrorCode::ALL.last(), Some(&ErrorCode::Unknown));
    }

    #[test]
    fn every_code_round_trips_through_serde_as_its_name() {
        for &code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
            assert_eq!(code.to_string(), code.as_str());
        }
    }

    #[test]
    fn a_code_we_do_not_know_reads_as_unknown() {
        for json in ["\"too_many_requests\"", "\"\"", "\"LINK_EXPIRED\""] {
            assert_eq!(
                serde_json::from_str::<ErrorCode>(json).unwrap(),
                ErrorCode::Unknown
            );
        }
        assert!(serde_json::from_str::<ErrorCode>("42").is_err());
    }

    #[test]
    fn only_faults_in_transit_or_on_our_side_are_worth_retrying() {
        let transient: Vec<ErrorCode> = ErrorCode::ALL
            .iter()
            .copied()
            .filter(|c| c.class() == CodeClass::Transient)
            .collect();
        assert_eq!(
            transient,
            [
                ErrorCode::RateLimited,
                ErrorCode::FaceUnavailable,
                ErrorCode::SmsUnavailable,
                ErrorCode::Misconfigured,
                ErrorCode::Internal
            ]
        );
        assert_eq!(ErrorCode::Unknown.class(), CodeClass::Refused);
        assert_eq!(ErrorCode::LinkExpired.class(), CodeClass::DeadLink);
    }
}
