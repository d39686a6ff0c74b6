//! Wire types: the JSON bodies exchanged between the insurer, the edge, the app and the origin.
//! Shared by all of them, so a field renamed on one side fails to compile on the other.

use crate::domain::{
    DomainError, IdNumber, PersonName, Phone, PolicyNumber, RevisitId, SalesChannel, SellerCode,
};
use crate::error_code::ErrorCode;
use crate::script::{IdentityStep, Lang, ProductKind, Script, ScriptError};
use crate::session::{AgentDevice, AnswerKind, Revisit, Sale, Session, Stage};
use crate::signing::keyed_digest;
use crate::time::{BadTimestamp, Timestamp};
use crate::trace::ClientInfo;
use serde::{Deserialize, Serialize};

/// Every error response: a stable code for programs, a sentence for people (in English, for
/// developers: the app shows its own words for the code). The edge's codes are [`ErrorCode`]s; the
/// origin's own (its archive and admin calls) are still plain strings, hence the parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError<C = ErrorCode> {
    pub code: C,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// For `wrong_code`: how many tries the code has left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u8>,
}

impl<C> ApiError<C> {
    pub fn new(code: C, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after_secs: None,
            tries_left: None,
        }
    }
}

// ---- insurer API -------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policyholder {
    pub name: String,
    pub phone: String,
    pub id_number: String,
}

/// The longest product name, in characters.
pub const MAX_PRODUCT_CHARS: usize = 100;
/// The latest a cooling-off period may end, from now (R1): periods run 10 to 20 days from the
/// policy's receipt, so a year ahead is beyond any real one. Without a bound a date in year 3119
/// reached the edge's expiry alarm, which the runtime refuses after 2189: a 500 (found by
/// schemathesis, issue 12).
pub const MAX_COOLING_OFF_AHEAD_MS: u64 = 366 * crate::time::DAY_MS;

/// `POST /v1/revisits`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRevisit {
    pub policy_number: String,
    pub product: String,
    pub policyholder: Policyholder,
    /// RFC 3339, e.g. `2026-12-10T23:59:59+08:00`; the link dies then (R1).
    pub cooling_off_ends_at: String,
    /// The product's kinds: they pick the items that apply (e.g. `participating` adds the dividend
    /// item). Default: none, i.e. the items for every product.
    #[serde(default)]
    pub product_kinds: Vec<ProductKind>,
    /// The script to use; absent means the shipped `scripts/default.json`. Either way only the
    /// items for `product_kinds` are kept.
    #[serde(default)]
    pub script: Option<Script>,
    /// Optional: the selling agent's IP address and user agent, to flag a revisit done from the
    /// agent's device or network (R10). The IP is kept only as its network.
    #[serde(default)]
    pub agent: Option<AgentHint>,
    /// Optional: how the policy was sold (`agent`, `bank`, `broker`, `telesales`, `online`,
    /// `other`), carried into the record for sampling and reporting (R13, R15).
    #[serde(default)]
    pub channel: Option<String>,
    /// Optional: the seller's code, carried into the record: the seller never handles a problem
    /// case on their own sale (R12).
    #[serde(default)]
    pub seller_code: Option<String>,
    /// Optional: send the link to the policyholder by SMS now, through the insurer's own gateway
    /// (the origin's SMS hook), within the phone number's daily cap; traced in the session.
    #[serde(default)]
    pub send_link_sms: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentHint {
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// Why a creation request was refused: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    #[error("{field}: {source}")]
    Field {
        field: &'static str,
        source: DomainError,
    },
    #[error("product: must be 1 to 100 characters")]
    Product,
    #[error("cooling_off_ends_at: {0}")]
    Time(BadTimestamp),
    #[error("cooling_off_ends_at: the cooling-off period has already ended")]
    AlreadyEnded,
    #[error("cooling_off_ends_at: more than 366 days from now, beyond any cooling-off period")]
    TooFarAhead,
    #[error("script: {0}")]
    Script(ScriptError),
    #[error("script: no item applies to these product kinds")]
    NoItemsForProduct,
    #[error("script: the shipped default script is missing or invalid")]
    NoDefaultScript,
}

impl CreateError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Field { source, .. } => source.code(),
            Self::Product => ErrorCode::InvalidProduct,
            Self::Time(_) | Self::TooFarAhead => ErrorCode::InvalidTimestamp,
            Self::AlreadyEnded => ErrorCode::CoolingOffEnded,
            Self::Script(e) => e.code(),
            Self::NoItemsForProduct => ErrorCode::InvalidScript,
            Self::NoDefaultScript => ErrorCode::Internal,
        }
    }
}

impl CreateRevisit {
    /// Parses every field and builds the revisit. The ID number leaves here only as a keyed hash.
    pub fn into_revisit(
        self,
        id: RevisitId,
        link_digest: String,
        id_hash_key: &[u8],
        now: Timestamp,
    ) -> Result<Revisit, CreateError> {
        let field = |field: &'static str| move |source| CreateError::Field { field, source };
        let policy_number =
            PolicyNumber::parse(&self.policy_number).map_err(field("policy_number"))?;
        let holder_name =
            PersonName::parse(&self.policyholder.name).map_err(field("policyholder.name"))?;
        let phone = Phone::parse(&self.policyholder.phone).map_err(field("policyholder.phone"))?;
        let id_number = IdNumber::parse(&self.policyholder.id_number)
            .map_err(field("policyholder.id_number"))?;
        let product = self.product.trim().to_string();
        if product.is_empty() || product.chars().count() > MAX_PRODUCT_CHARS {
            return Err(CreateError::Product);
        }
        let cooling_off_ends_at =
            Timestamp::parse_rfc3339(&self.cooling_off_ends_at).map_err(CreateError::Time)?;
        if cooling_off_ends_at <= now {
            return Err(CreateError::AlreadyEnded);
        }
        if cooling_off_ends_at.since(now) > MAX_COOLING_OFF_AHEAD_MS {
            return Err(CreateError::TooFarAhead);
        }
        let sale = Sale {
            channel: self
                .channel
                .as_deref()
                .map(SalesChannel::parse)
                .transpose()
                .map_err(field("channel"))?,
            seller_code: self
                .seller_code
                .as_deref()
                .map(SellerCode::parse)
                .transpose()
                .map_err(field("seller_code"))?,
        };
        let script = match self.script {
            Some(script) => {
                script.validate().map_err(CreateError::Script)?;
                script
            }
            // `shipped` parses and validates it.
            None => crate::script::shipped("default").ok_or(CreateError::NoDefaultScript)?,
        };
        let script = script
            .for_products(&self.product_kinds)
            .ok_or(CreateError::NoItemsForProduct)?;
        Ok(Revisit {
            id,
            policy_number,
            product,
            holder_name,
            phone,
            id_number_digest: keyed_digest(id_hash_key, id_number.as_str()),
            link_digest,
            created_at: now,
            cooling_off_ends_at,
            script,
            agent: self.agent.map(|a| AgentDevice {
                ip_prefix: a.ip.map(|ip| ClientInfo::new(&ip, "").ip_prefix),
                user_agent: a.user_agent.map(|ua| ClientInfo::new("", &ua).user_agent),
            }),
            sale,
        })
    }
}

/// The base of the links a create or a re-issue hands out: the configured public base
/// (`PUBLIC_BASE_URL`), else, for local development only, the origin the request came to when its
/// host is a loopback one. `None` otherwise: a link is never built on a host the request names,
/// which a client chooses (a create sent with `Host: evil.example` got links on that host, issue
/// 12), so a deployment without the setting refuses to make links.
pub fn link_base(
    configured: Option<&str>,
    request_origin: &str,
    request_host: &str,
) -> Option<String> {
    if let Some(base) = configured.map(str::trim).filter(|b| !b.is_empty()) {
        return Some(base.trim_end_matches('/').to_string());
    }
    let host = request_host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    loopback.then(|| request_origin.trim_end_matches('/').to_string())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisitCreated {
    pub revisit_id: RevisitId,
    /// The one-time link to send to the policyholder.
    pub link: String,
    pub expires_at: String,
    /// When `send_link_sms` was asked: whether the link SMS went out. The revisit is created
    /// either way; when it did not, the insurer sends the link its own way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_sms: Option<LinkSms>,
}

/// What became of the link SMS asked for at creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkSms {
    /// Handed to the insurer's SMS gateway.
    Sent,
    /// Not sent: the phone number's daily SMS cap was reached.
    PhoneDailyLimit,
    /// Not sent: the gateway did not take it.
    GatewayFailed,
}

impl From<Result<(), crate::trace::NoticeFailure>> for LinkSms {
    fn from(outcome: Result<(), crate::trace::NoticeFailure>) -> Self {
        match outcome {
            Ok(()) => Self::Sent,
            Err(crate::trace::NoticeFailure::PhoneDailyLimit) => Self::PhoneDailyLimit,
            Err(crate::trace::NoticeFailure::Gateway) => Self::GatewayFailed,
        }
    }
}

/// `GET /v1/revisits/{id}` (and the answer to cancel): where a revisit stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisitStatus {
    pub revisit_id: RevisitId,
    pub stage: Stage,
    pub expires_at: String,
    /// Answers given so far; absent once the session's data has been erased after delivery (R2).
    pub items_answered: Option<usize>,
    pub item_count: Option<usize>,
    /// True once the origin has acknowledged the sealed record.
    pub delivered: bool,
    pub record_hash: Option<String>,
}

impl RevisitStatus {
    /// The status of a live session (delivery pending if it is finished).
    pub fn of(session: &Session, record_hash: Option<String>) -> Self {
        Self {
            revisit_id: session.revisit.id.clone(),
            stage: session.stage,
            expires_at: session.revisit.cooling_off_ends_at.to_rfc3339(),
            items_answered: Some(session.answers.len()),
            item_count: Some(session.revisit.script.items.len()),
            delivered: false,
            record_hash,
        }
    }
}

// ---- policyholder API --------------------------------------------------------------------------

/// One item as the policyholder sees it, in the session's language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemView {
    pub index: usize,
    pub id: String,
    pub title: String,
    /// Paragraphs.
    pub body: Vec<String>,
    /// Seconds the item must be on screen before it can be confirmed (R9).
    pub min_read_secs: u32,
    pub answer: Option<AnswerKind>,
    /// The comment given with the answer, for looking back.
    #[serde(default)]
    pub comment: Option<String>,
    /// Whether a "no" becomes a problem case for the insurer (R12).
    pub problem_on_no: bool,
}

/// Where the last code's SMS is: on its way to the insurer's gateway, taken by it, or not taken
/// (so far, or given up): the page then says the SMS cannot be sent and offers another code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeDelivery {
    Sending,
    Sent,
    Failed,
}

impl CodeDelivery {
    /// The session's last code, as the policyholder may know it.
    pub fn of(session: &Session) -> Option<Self> {
        match &session.code {
            Some(code) if code.handoff.failed() => Some(Self::Failed),
            Some(code) if code.handoff_due().is_some() => Some(Self::Sending),
            Some(_) => Some(Self::Sent),
            None => session.code_unsent.then_some(Self::Failed),
        }
    }
}

/// What the app may show: masked identity, the stage, and the items once identity is verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub stage: Stage,
    /// The language of the pages and the items.
    pub lang: Lang,
    pub policy_masked: String,
    pub holder_masked: String,
    pub phone_masked: String,
    pub product: String,
    pub expires_at: String,
    pub resend_after_secs: u64,
    /// What became of the last code's SMS (issue 19: it goes out after the answer), while a code
    /// is pending or the last one could not be sent; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_delivery: Option<CodeDelivery>,
    /// The identity step to do next (R8), while any is left.
    #[serde(default)]
    pub next_step: Option<IdentityStep>,
    /// Whether a handwritten signature is asked for after the items, and whether it is given.
    #[serde(default)]
    pub signature_required: bool,
    #[serde(default)]
    pub signed: bool,
    pub item_count: usize,
    /// The face step's settings and state, while it is the next step (R8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face: Option<crate::session::FaceView>,
    /// Empty until the policyholder is verified (R8 before R9).
    pub items: Vec<ItemView>,
}

impl SessionView {
    pub fn of(session: &Session, now: Timestamp) -> Self {
        let r = &session.revisit;
        let show_items = matches!(session.stage, Stage::Verified | Stage::Completed);
        let items = if show_items {
            r.script
                .items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    let answer = session.answers.iter().find(|a| a.index == index);
                    let text = item.text.get(session.lang);
                    ItemView {
                        index,
                        id: item.id.clone(),
                        title: text.title.clone(),
                        body: text.body.clone(),
                        min_read_secs: item.min_read_secs(),
                        answer: answer.map(|a| a.answer),
                        comment: answer.and_then(|a| a.comment.clone()),
                        problem_on_no: item.problem_on_no,
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        Self {
            stage: session.stage,
            lang: session.lang,
            policy_masked: r.policy_number.masked(),
            holder_masked: r.holder_name.masked(),
            phone_masked: r.phone.masked(),
            product: r.product.clone(),
            expires_at: r.cooling_off_ends_at.to_rfc3339(),
            resend_after_secs: session.resend_wait_secs(now),
            code_delivery: CodeDelivery::of(session),
            next_step: session.next_step(),
            signature_required: session.signature_required(),
            signed: session.signature.is_some(),
            item_count: r.script.items.len(),
            face: crate::session::FaceView::of(session, now),
            items,
        }
    }

    /// Index of the first unanswered item.
    pub fn next_item(&self) -> usize {
        self.items
            .iter()
            .position(|i| i.answer.is_none())
            .unwrap_or(self.items.len())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitCode {
    pub code: String,
}

/// `POST /v1/session/id-number`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitIdNumber {
    pub id_number: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerItem {
    pub answer: AnswerKind,
    #[serde(default)]
    pub comment: Option<String>,
}

/// `POST /v1/session/language`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChooseLanguage {
    pub lang: Lang,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchToPhone {
    #[serde(default)]
    pub reason: Option<String>,
}

// ---- edge → origin -----------------------------------------------------------------------------

/// `POST /sms` on the origin: the insurer's SMS gateway hook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsRequest {
    pub revisit_id: RevisitId,
    pub phone: String,
    pub text: String,
}

/// The origin's answer to `POST /sms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsAccepted {
    /// Always true.
    pub accepted: bool,
    /// The gateway's id for the message.
    pub message_id: u64,
}

/// `POST /face/start` on the origin (R8): start a face check with the insurer's provider for this
/// revisit. Signed by the edge like the SMS hook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceStartRequest {
    pub revisit_id: RevisitId,
    /// Where the provider sends the browser back: the revisit's own page at the edge. The origin
    /// appends `face_ref` (the reference) and `face_ticket` (what the provider hands back).
    pub return_url: String,
    /// The language of the revisit page, for the provider's page.
    pub lang: Lang,
}

/// The origin's answer to `POST /face/start`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceStartAnswer {
    /// The provider's page to send the browser to (http or https, at most 2048 characters).
    pub redirect_url: String,
    /// The opaque reference of this check: 1 to 128 of `A–Z a–z 0–9 . _ : -`. The edge keeps only
    /// its digest, bound to the session.
    pub reference: String,
}

/// `POST /face/result` on the origin: the result of the check the browser came back from. The
/// answer is a [`crate::session::FaceResult`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceResultRequest {
    pub revisit_id: RevisitId,
    pub reference: String,
    /// What the provider handed the browser back with (checked by the origin, never stored).
    pub ticket: String,
}

/// `POST /v1/session/face/result`: what the browser brought back from the provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceReturn {
    pub reference: String,
    pub ticket: String,
}

/// The origin's answer to `POST /records`: the edge may forget the session once it has this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordAck {
    pub revisit_id: RevisitId,
    pub record_hash: String,
    /// True when the origin already had this record (delivery is idempotent).
    pub duplicate: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::sample_script;
    use crate::session::tests::{completed_session, new_session, verified_session, T0};

    fn request() -> CreateRevisit {
        CreateRevisit {
            policy_number: "P20260001".into(),
            product: "鑫享人生年金保险".into(),
            policyholder: Policyholder {
                name: "张三".into(),
                phone: "13812345678".into(),
                id_number: "11010519491231002X".into(),
            },
            cooling_off_ends_at: "2027-01-15T23:59:59+08:00".into(),
            product_kinds: Vec::new(),
            script: Some(sample_script()),
            agent: None,
            channel: None,
            seller_code: None,
            send_link_sms: false,
        }
    }

    fn build(r: CreateRevisit) -> Result<Revisit, CreateError> {
        r.into_revisit(RevisitId::from_random([3; 12]), "ab".into(), b"key", T0)
    }

    #[test]
    fn a_good_request_builds_a_revisit_without_the_clear_id_number() {
        let revisit = build(request()).unwrap();
        assert_eq!(revisit.policy_number.as_str(), "P20260001");
        let json = serde_json::to_string(&revisit).unwrap();
        assert!(!json.contains("11010519491231002X"));
        assert_eq!(
            revisit.id_number_digest,
            keyed_digest(b"key", "11010519491231002X")
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut r = request();
        r.policyholder.phone = "12345".into();
        let e = build(r).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidPhone);
        assert!(e.to_string().starts_with("policyholder.phone:"));

        let mut r = request();
        r.policyholder.id_number = "110105194912310021".into();
        assert_eq!(build(r).unwrap_err().code(), ErrorCode::IdNumberChecksum);

        let mut r = request();
        r.cooling_off_ends_at = "2020-01-01T00:00:00Z".into();
        assert_eq!(build(r).unwrap_err(), CreateError::AlreadyEnded);

        // A year ahead at most: a date the edge's alarm could not hold is refused, not a 500.
        let mut r = request();
        r.cooling_off_ends_at = T0.plus_millis(MAX_COOLING_OFF_AHEAD_MS).to_rfc3339();
        assert!(build(r).is_ok());
        let mut r = request();
        r.cooling_off_ends_at = T0.plus_millis(MAX_COOLING_OFF_AHEAD_MS + 1).to_rfc3339();
        assert_eq!(build(r).unwrap_err(), CreateError::TooFarAhead);
        let mut r = request();
        r.cooling_off_ends_at = "3119-09-05T07:16:58.305+10:47".into();
        assert_eq!(build(r).unwrap_err().code(), ErrorCode::InvalidTimestamp);

        let mut r = request();
        r.script.as_mut().unwrap().items.clear();
        assert_eq!(build(r).unwrap_err().code(), ErrorCode::InvalidScript);

        let mut r = request();
        for item in &mut r.script.as_mut().unwrap().items {
            item.products = vec![ProductKind::Universal];
        }
        assert_eq!(build(r).unwrap_err(), CreateError::NoItemsForProduct);
    }

    #[test]
    fn the_sale_is_optional_checked_and_carried_into_the_record() {
        // R12, R13: absent, the revisit has no sale and the record says nothing of one.
        let revisit = build(request()).unwrap();
        assert_eq!(revisit.sale, Sale::default());
        let mut r = request();
        r.channel = Some("bank".into());
        r.seller_code = Some(" AG-0042@branch.sh ".into());
        let revisit = build(r).unwrap();
        assert_eq!(revisit.sale.channel, Some(SalesChannel::Bank));
        assert_eq!(
            revisit.sale.seller_code.as_ref().map(SellerCode::as_str),
            Some("AG-0042@branch.sh")
        );
        let mut session = completed_session();
        session.revisit.sale = revisit.sale.clone();
        let record = crate::record::Record::of(&session, "beijing").unwrap();
        assert_eq!(record.channel, Some(SalesChannel::Bank));
        assert_eq!(record.seller_code, revisit.sale.seller_code);
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["channel"], "bank");
        assert_eq!(json["seller_code"], "AG-0042@branch.sh");
        // Each refused with its own code, the field named, for every shape that is not one.
        for bad in ["", "Bank", "bancassurance", " bank", "银行"] {
            let mut r = request();
            r.channel = Some(bad.into());
            let e = build(r).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidChannel, "{bad:?}");
            assert!(e.to_string().starts_with("channel:"));
        }
        for bad in ["", "   ", "a b", "销售员01", "x/y", &"a".repeat(65)] {
            let mut r = request();
            r.seller_code = Some(bad.to_string());
            let e = build(r).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidSellerCode, "{bad:?}");
            assert!(e.to_string().starts_with("seller_code:"));
        }
        let mut r = request();
        r.seller_code = Some("a".repeat(64));
        assert!(build(r).is_ok());
        for channel in SalesChannel::ALL {
            assert_eq!(SalesChannel::parse(channel.as_str()), Ok(channel));
            let json = serde_json::to_string(&channel).unwrap();
            assert_eq!(json, format!("\"{}\"", channel.as_str()));
        }
    }

    #[test]
    fn without_a_script_the_shipped_one_is_picked_by_product_kind() {
        let mut r = request();
        r.script = None;
        let plain = build(r.clone()).unwrap();
        assert_eq!(plain.script.id, "default");
        assert!(plain.script.items.iter().all(|i| i.products.is_empty()));
        r.product_kinds = vec![ProductKind::Participating, ProductKind::RegularPremium];
        let participating = build(r).unwrap();
        let ids: Vec<&str> = participating
            .script
            .items
            .iter()
            .map(|i| i.id.as_str())
            .collect();
        assert!(ids.contains(&"dividends-not-guaranteed") && ids.contains(&"premium-schedule"));
        assert!(!ids.contains(&"insurance-not-deposit"));
        assert_eq!(ids.len(), plain.script.items.len() + 2);
        // Kinds are parsed strictly.
        let json = r#"{"policy_number":"P1","product":"p","policyholder":{"name":"张三","phone":"13812345678","id_number":"11010519491231002X"},"cooling_off_ends_at":"2030-01-01T00:00:00Z","product_kinds":["lottery"]}"#;
        assert!(serde_json::from_str::<CreateRevisit>(json).is_err());
    }

    #[test]
    fn a_refusal_reads_the_same_on_the_wire_and_survives_a_code_we_do_not_know() {
        let mut e = ApiError::new(ErrorCode::WrongCode, "the code is wrong");
        e.tries_left = Some(2);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"code":"wrong_code","message":"the code is wrong","tries_left":2}"#
        );
        assert_eq!(serde_json::from_str::<ApiError>(&json).unwrap(), e);
        let newer = r#"{"code":"too_many_requests","message":"slow down","retry_after_secs":5}"#;
        let read: ApiError = serde_json::from_str(newer).unwrap();
        assert_eq!(read.code, ErrorCode::Unknown);
        assert_eq!(read.retry_after_secs, Some(5));
        // The origin's own codes are strings.
        let origin = serde_json::to_string(&ApiError::new("record_conflict", "x")).unwrap();
        assert_eq!(origin, r#"{"code":"record_conflict","message":"x"}"#);
    }

    #[test]
    fn links_are_built_on_the_configured_base_or_on_loopback_only() {
        let base = link_base;
        assert_eq!(
            base(
                Some("https://revisit-bj.example.cn/"),
                "http://evil.example",
                "evil.example"
            ),
            Some("https://revisit-bj.example.cn".into())
        );
        for (origin, host) in [
            ("http://127.0.0.1:8787", "127.0.0.1"),
            ("http://localhost:8787", "localhost"),
            ("http://[::1]:8787", "[::1]"),
            ("http://127.0.0.2", "127.0.0.2"),
        ] {
            assert_eq!(base(None, origin, host), Some(origin.into()), "{host}");
            assert_eq!(
                base(Some("  "), origin, host),
                Some(origin.into()),
                "{host}"
            );
        }
        for host in [
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "10.0.0.1",
            "[2001:db8::1]",
            "",
        ] {
            let origin = format!("http://{host}");
            assert_eq!(base(None, &origin, host), None, "{host}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut v = serde_json::to_value(request()).unwrap();
        v["surprise"] = serde_json::json!(1);
        assert!(serde_json::from_value::<CreateRevisit>(v).is_err());
    }

    #[test]
    fn the_view_hides_items_until_verified_and_masks_identity() {
        let view = SessionView::of(&new_session(), T0);
        assert!(view.items.is_empty());
        assert_eq!(view.item_count, 3);
        assert_eq!(view.phone_masked, "138****5678");
        let json = serde_json::to_string(&view).unwrap();
        assert!(!json.contains("13812345678") && !json.contains("张三"));

        let view = SessionView::of(&verified_session(), T0);
        assert_eq!(view.items.len(), 3);
        assert_eq!(view.next_item(), 0);
        assert_eq!(view.lang, Lang::ZhCn);
        assert!(view.items[0].title.contains("投保人"));
        assert!(view
            .items
            .iter()
            .all(|i| i.min_read_secs >= 2 && i.problem_on_no));

        let view = SessionView::of(&completed_session(), T0);
        assert_eq!(view.next_item(), 3);
    }
}

/// Hostile input: whatever bytes arrive as a request body, parsing them into any wire type and
/// building a revisit from what parses never panics (the edge answers with a 4xx instead).
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::fixtures::T0;
    use crate::record::SealedRecord;
    use proptest::prelude::*;
    use serde_json::Value;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "\\PC{0,24}".prop_map(Value::String),
            // Values that get past the first checks more often.
            Just(Value::from("13812345678")),
            Just(Value::from("11010519491231002X")),
            Just(Value::from("2030-01-01T00:00:00+08:00")),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            let keys = prop_oneof![
                Just("policy_number".to_string()),
                Just("product".to_string()),
                Just("policyholder".to_string()),
                Just("name".to_string()),
                Just("phone".to_string()),
                Just("id_number".to_string()),
                Just("cooling_off_ends_at".to_string()),
                Just("script".to_string()),
                Just("items".to_string()),
                Just("id".to_string()),
                Just("version".to_string()),
                Just("title".to_string()),
                Just("body".to_string()),
                Just("identity".to_string()),
                Just("text".to_string()),
                Just("zh-CN".to_string()),
                Just("en".to_string()),
                Just("products".to_string()),
                Just("product_kinds".to_string()),
                Just("lang".to_string()),
                Just("answer".to_string()),
                Just("code".to_string()),
                "[a-z_]{1,12}",
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(keys, inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn parse_all(bytes: &[u8]) {
        if let Ok(req) = serde_json::from_slice::<CreateRevisit>(bytes) {
            let _ = req.into_revisit(RevisitId::from_random([0; 12]), String::new(), b"k", T0);
        }
        let _ = serde_json::from_slice::<SubmitCode>(bytes);
        let _ = serde_json::from_slice::<SubmitIdNumber>(bytes);
        let _ = serde_json::from_slice::<AnswerItem>(bytes);
        let _ = serde_json::from_slice::<SwitchToPhone>(bytes);
        let _ = serde_json::from_slice::<ChooseLanguage>(bytes);
        let _ = serde_json::from_slice::<SmsRequest>(bytes);
        if let Ok(sealed) = serde_json::from_slice::<SealedRecord>(bytes) {
            let _ = sealed.verify(&crate::signing::TrustedKeys::default());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

        #[test]
        fn any_json_body_is_handled_without_panic(v in json_value()) {
            parse_all(&serde_json::to_vec(&v).unwrap());
        }

        #[test]
        fn any_bytes_are_handled_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            parse_all(&bytes);
        }
    }
}
