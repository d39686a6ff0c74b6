//! `GET /v1/openapi.json`: the OpenAPI 3.1 description of the insurer and policyholder APIs
//! (`edge/openapi.json`), built into the worker so that the document served is the one this build
//! answers to. `e2e/tests/openapi.spec.mjs` checks real responses against it.

use crate::error::EdgeError;
use crate::headers;
use worker::Response;

/// The document, exactly as in the repository.
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// The document as JSON; the same for every caller, so caches may keep it for a few minutes.
pub fn document() -> Result<Response, EdgeError> {
    let mut resp = Response::ok(DOCUMENT)?;
    resp.headers_mut()
        .set("content-type", "application/json; charset=utf-8")?;
    headers::apply(resp.headers_mut(), headers::Kind::Document)?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::DOCUMENT;
    use crate::error::{status, EdgeError};
    use huifang_core::domain::DomainError;
    use huifang_core::idempotency::IdempotencyError;
    use huifang_core::script::ScriptError;
    use huifang_core::session::Refusal;
    use huifang_core::signature::SignatureError as InkError;
    use huifang_core::signing::SignatureError;
    use huifang_core::time::BadTimestamp;
    use huifang_core::wire::CreateError;
    use huifang_core::ErrorCode;
    use std::collections::BTreeMap;

    /// Codes the edge never answers with, though its error types can carry them: parse failures of
    /// links and revisit ids are answered as `link_not_found` / `not_found`, key errors belong to the
    /// origin's side of signing, and `not_due` to the expiry alarm.
    /// (`invalid_link` is the app's own, for a page address without a link in it; so, since a
    /// code's SMS is handed off after the answer (issue 19), is `sms_unavailable`: the session
    /// view's `code_delivery: failed` says it, and the app shows its words.)
    const NEVER_ANSWERED: [ErrorCode; 6] = [
        ErrorCode::InvalidLink,
        ErrorCode::SmsUnavailable,
        ErrorCode::InvalidRevisitId,
        ErrorCode::UnknownKey,
        ErrorCode::BadKey,
        ErrorCode::NotDue,
    ];
    /// Codes of the fallback form's HTML pages (`fallback.rs`), not of `EdgeError`.
    const PAGE_ONLY: [ErrorCode; 1] = [ErrorCode::BadForm];

    /// One of each variant; the `match`es make a new variant a compile error here, so that it
    /// cannot be added without being checked against the document.
    fn every_error() -> Vec<EdgeError> {
        let domain = [
            DomainError::PolicyNumber,
            DomainError::Phone,
            DomainError::IdNumberShape,
            DomainError::IdNumberChecksum,
            DomainError::PersonName,
            DomainError::LinkToken,
            DomainError::OtpCode,
            DomainError::RevisitId,
            DomainError::SalesChannel,
            DomainError::SellerCode,
        ];
        let ink = [
            InkError::TooLittleInk,
            InkError::TooLarge,
            InkError::OutOfPad,
            InkError::BadImage,
        ];
        let signing = [
            SignatureError::Missing,
            SignatureError::BadTimestamp,
            SignatureError::OutsideWindow,
            SignatureError::Mismatch,
            SignatureError::UnknownKey,
            SignatureError::BadKey,
        ];
        let script = [
            ScriptError::NoItems,
            ScriptError::TooManyItems,
            ScriptError::BadIdOrVersion,
            ScriptError::BadItemId(1),
            ScriptError::DuplicateItemId(1),
            ScriptError::BadTitle(1, "en"),
            ScriptError::BadBody(1, "en"),
            ScriptError::BadReadingTime(1),
            ScriptError::DuplicateProductKind(1),
            ScriptError::BadIdentitySteps,
            ScriptError::BadFaceCheck,
        ];
        let mut refusals = vec![
            Refusal::Expired,
            Refusal::Finished,
            Refusal::NotOpened,
            Refusal::AlreadyVerified,
            Refusal::ResendTooSoon {
                retry_after_secs: 1,
            },
            Refusal::NoCodeSent,
            Refusal::CodeExpired,
            Refusal::WrongCode { tries_left: 1 },
            Refusal::NotVerified,
            Refusal::AlreadyAnswered(1),
            Refusal::OutOfOrder { expected: 1 },
            Refusal::AnsweredTooSoon {
                retry_after_secs: 3,
            },
            Refusal::NoSuchItem(1),
            Refusal::CommentTooLong,
            Refusal::ItemsRemaining { remaining: 1 },
            Refusal::NotDue,
            Refusal::LinkInUse,
            Refusal::WrongStep,
            Refusal::WrongIdNumber,
            Refusal::SignatureRequired,
            Refusal::SessionLocked {
                retry_after_secs: 1,
            },
            Refusal::SmsDailyLimit {
                retry_after_secs: 1,
            },
            Refusal::RateLimited {
                retry_after_secs: 1,
            },
            Refusal::FaceTriesUsed,
            Refusal::FaceReferenceUnknown,
            Refusal::FaceReferenceUsed,
            Refusal::FaceReferenceExpired,
            Refusal::FaceReturnRefused,
            Refusal::FaceFailed { tries_left: 1 },
            Refusal::FaceUnavailable,
        ];
        refusals.extend(ink.iter().cloned().map(Refusal::BadSignature));
        let mut create = vec![
            CreateError::Product,
            CreateError::Time(BadTimestamp),
            CreateError::AlreadyEnded,
            CreateError::TooFarAhead,
            CreateError::NoItemsForProduct,
        ];
        create.extend(domain.iter().cloned().map(|source| CreateError::Field {
            field: "policy_number",
            source,
        }));
        create.extend(script.iter().cloned().map(CreateError::Script));
        let mut all: Vec<EdgeError> = vec![
            EdgeError::BadJson("x".into()),
            EdgeError::BadBody,
            EdgeError::UnsupportedMediaType,
            EdgeError::PayloadTooLarge { limit: 1 },
            EdgeError::NotFound,
            EdgeError::MethodNotAllowed { allow: "POST" },
            EdgeError::UnexpectedBody,
            EdgeError::LinkNotFound,
            EdgeError::LinkMissing,
            EdgeError::Conflict,
            EdgeError::SmsUnavailable,
            EdgeError::Misconfigured("X"),
            EdgeError::Internal("x".into()),
        ];
        all.extend(refusals.into_iter().map(EdgeError::Refused));
        all.extend(signing.into_iter().map(EdgeError::Signature));
        all.extend(create.into_iter().map(EdgeError::Create));
        all.extend(domain.into_iter().map(EdgeError::Domain));
        all.extend(
            [
                IdempotencyError::BadKey,
                IdempotencyError::Reused,
                IdempotencyError::InProgress,
            ]
            .map(EdgeError::Idempotency),
        );
        for e in &all {
            exhaustive(e);
        }
        all
    }

    /// Lists every variant of every error type by name: a new one fails to compile until it is
    /// added to `every_error` too.
    fn exhaustive(e: &EdgeError) {
        match e {
            EdgeError::Refused(r) => match r {
                Refusal::Expired
                | Refusal::Finished
                | Refusal::NotOpened
                | Refusal::AlreadyVerified
                | Refusal::ResendTooSoon { .. }
                | Refusal::NoCodeSent
                | Refusal::CodeExpired
                | Refusal::WrongCode { .. }
                | Refusal::NotVerified
                | Refusal::AlreadyAnswered(_)
                | Refusal::OutOfOrder { .. }
                | Refusal::AnsweredTooSoon { .. }
                | Refusal::NoSuchItem(_)
                | Refusal::CommentTooLong
                | Refusal::ItemsRemaining { .. }
                | Refusal::NotDue
                | Refusal::LinkInUse
                | Refusal::WrongStep
                | Refusal::WrongIdNumber
                | Refusal::SignatureRequired
                | Refusal::SessionLocked { .. }
                | Refusal::SmsDailyLimit { .. }
                | Refusal::RateLimited { .. }
                | Refusal::FaceTriesUsed
                | Refusal::FaceReferenceUnknown
                | Refusal::FaceReferenceUsed
                | Refusal::FaceReferenceExpired
                | Refusal::FaceReturnRefused
                | Refusal::FaceFailed { .. }
                | Refusal::FaceUnavailable => {}
                Refusal::BadSignature(i) => match i {
                    InkError::TooLittleInk
                    | InkError::TooLarge
                    | InkError::OutOfPad
                    | InkError::BadImage => {}
                },
            },
            EdgeError::Signature(s) => match s {
                SignatureError::Missing
                | SignatureError::BadTimestamp
                | SignatureError::OutsideWindow
                | SignatureError::Mismatch
                | SignatureError::UnknownKey
                | SignatureError::BadKey => {}
            },
            EdgeError::Create(c) => match c {
                CreateError::Product
                | CreateError::Time(_)
                | CreateError::AlreadyEnded
                | CreateError::TooFarAhead
                | CreateError::NoItemsForProduct
                | CreateError::NoDefaultScript => {}
                CreateError::Field { source, .. } => exhaustive(&EdgeError::Domain(source.clone())),
                CreateError::Script(s) => match s {
                    ScriptError::NoItems
                    | ScriptError::TooManyItems
                    | ScriptError::BadIdOrVersion
                    | ScriptError::BadItemId(_)
                    | ScriptError::DuplicateItemId(_)
                    | ScriptError::BadTitle(..)
                    | ScriptError::BadBody(..)
                    | ScriptError::BadReadingTime(_)
                    | ScriptError::DuplicateProductKind(_)
                    | ScriptError::BadIdentitySteps
                    | ScriptError::BadFaceCheck => {}
                },
            },
            EdgeError::Domain(d) => match d {
                DomainError::PolicyNumber
                | DomainError::Phone
                | DomainError::IdNumberShape
                | DomainError::IdNumberChecksum
                | DomainError::PersonName
                | DomainError::LinkToken
                | DomainError::OtpCode
                | DomainError::RevisitId
                | DomainError::SalesChannel
                | DomainError::SellerCode => {}
            },
            EdgeError::Idempotency(i) => match i {
                IdempotencyError::BadKey
                | IdempotencyError::Reused
                | IdempotencyError::InProgress => {}
            },
            EdgeError::BadJson(_)
            | EdgeError::BadBody
            | EdgeError::UnsupportedMediaType
            | EdgeError::PayloadTooLarge { .. }
            | EdgeError::NotFound
            | EdgeError::MethodNotAllowed { .. }
            | EdgeError::UnexpectedBody
            | EdgeError::LinkNotFound
            | EdgeError::LinkMissing
            | EdgeError::Conflict
            | EdgeError::SmsUnavailable
            | EdgeError::Misconfigured(_)
            | EdgeError::Internal(_) => {}
        }
    }

    /// The document's table of error codes: code → status.
    fn documented() -> BTreeMap<String, u64> {
        let doc: serde_json::Value =
            serde_json::from_str(DOCUMENT).expect("edge/openapi.json is JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        let code = &doc["components"]["schemas"]["ApiError"]["properties"]["code"];
        let table = code["x-huifang-codes"].as_object().expect("the code table");
        let listed: Vec<&str> = code["enum"]
            .as_array()
            .expect("the code enum")
            .iter()
            .filter_map(|c| c.as_str())
            .collect();
        let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "the enum and the table list the same codes");
        table
            .iter()
            .map(|(c, v)| (c.clone(), v["status"].as_u64().expect("a status")))
            .collect()
    }

    #[test]
    fn every_code_the_edge_answers_with_is_documented_with_its_status() {
        let doc = documented();
        for e in every_error() {
            let code = e.body().code;
            if NEVER_ANSWERED.contains(&code) {
                continue;
            }
            assert_eq!(
                doc.get(code.as_str()).copied(),
                Some(u64::from(e.status())),
                "{e:?} answers {} {code}; the document says {:?}",
                e.status(),
                doc.get(code.as_str())
            );
        }
    }

    #[test]
    fn every_documented_code_is_one_the_edge_answers_with() {
        let answered: Vec<(ErrorCode, u64)> = every_error()
            .iter()
            .map(|e| (e.body().code, u64::from(e.status())))
            .chain(PAGE_ONLY.iter().map(|&c| (c, u64::from(status(c)))))
            .collect();
        for (name, status) in documented() {
            let code: ErrorCode = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_ne!(
                code,
                ErrorCode::Unknown,
                "{name} is documented but not an ErrorCode"
            );
            assert!(
                !NEVER_ANSWERED.contains(&code),
                "{code} is documented but never answered"
            );
            assert!(
                answered.contains(&(code, status)),
                "{code} ({status}) is documented but no error of the edge gives it"
            );
        }
    }

    /// The enum holds no code that nothing sends (the app once handled five such), and each code
    /// the edge sends is documented with the status of the one table.
    #[test]
    fn every_error_code_is_sent_and_documented_or_listed_as_never_answered() {
        let doc = documented();
        let sent: Vec<ErrorCode> = every_error().iter().map(EdgeError::code).collect();
        for code in ErrorCode::ALL.iter().copied() {
            if code == ErrorCode::Unknown {
                assert!(!sent.contains(&code) && !doc.contains_key(code.as_str()));
                continue;
            }
            assert!(
                sent.contains(&code) || PAGE_ONLY.contains(&code),
                "{code}: no error of the edge gives it"
            );
            if NEVER_ANSWERED.contains(&code) {
                assert!(!doc.contains_key(code.as_str()), "{code}");
            } else {
                assert_eq!(
                    doc.get(code.as_str()).copied(),
                    Some(u64::from(status(code))),
                    "{code}"
                );
            }
        }
    }
}
