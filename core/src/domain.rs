//! Parsed domain values. Each type has a private field and is built only through `parse` (or from
//! random bytes the caller supplies), so holding one proves it is well-formed ("parse, don't validate").
//! Masking for display lives here too (R6).

use crate::error_code::ErrorCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value from outside was refused. `code()` is stable and machine-readable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("the policy number must be 6 to 32 letters, digits or hyphens")]
    PolicyNumber,
    #[error("the phone number must be a mainland mobile number of 11 digits starting with 1")]
    Phone,
    #[error("the ID number must be 18 characters: 17 digits and a check digit (0-9 or X)")]
    IdNumberShape,
    #[error("the ID number's check digit does not match (GB 11643)")]
    IdNumberChecksum,
    #[error("the name must be 1 to 64 characters with no control characters")]
    PersonName,
    #[error("the link is not valid")]
    LinkToken,
    #[error("the code must be 6 digits")]
    OtpCode,
    #[error("the revisit id is not valid")]
    RevisitId,
    #[error("the sales channel must be one of agent, bank, broker, telesales, online, other")]
    SalesChannel,
    #[error("the seller's code must be 1 to 64 letters, digits, '.', '_', '-' or '@'")]
    SellerCode,
}

impl DomainError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::PolicyNumber => ErrorCode::InvalidPolicyNumber,
            Self::Phone => ErrorCode::InvalidPhone,
            Self::IdNumberShape => ErrorCode::InvalidIdNumber,
            Self::IdNumberChecksum => ErrorCode::IdNumberChecksum,
            Self::PersonName => ErrorCode::InvalidName,
            Self::LinkToken => ErrorCode::InvalidLink,
            Self::OtpCode => ErrorCode::InvalidCodeFormat,
            Self::RevisitId => ErrorCode::InvalidRevisitId,
            Self::SalesChannel => ErrorCode::InvalidChannel,
            Self::SellerCode => ErrorCode::InvalidSellerCode,
        }
    }
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(s: String) -> Result<Self, DomainError> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

/// The code of the member of sales staff who sold the policy, as the insurer's systems know them
/// (R12: they never handle a problem case on their own sale). The staff console's seller codes
/// have the same shape, so that the two compare as they are.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SellerCode(String);
string_newtype!(SellerCode);

impl SellerCode {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
        ok.then(|| Self(s.to_string()))
            .ok_or(DomainError::SellerCode)
    }
}

/// How the policy was sold: the strata of quality sampling (R13) and of the regulator's report
/// (R15). The 2011 self-check split individual agents, banks and the rest; the rest is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SalesChannel {
    /// Individual agents (个人代理).
    Agent,
    /// Bancassurance (银行邮政代理).
    Bank,
    /// Brokers and professional agencies (专业代理、经纪).
    Broker,
    /// Telephone sales (电话销售).
    Telesales,
    /// The insurer's own online sales (互联网).
    Online,
    Other,
}

impl SalesChannel {
    pub const ALL: [Self; 6] = [
        Self::Agent,
        Self::Bank,
        Self::Broker,
        Self::Telesales,
        Self::Online,
        Self::Other,
    ];

    /// The wire spelling (`agent`, `bank`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Bank => "bank",
            Self::Broker => "broker",
            Self::Telesales => "telesales",
            Self::Online => "online",
            Self::Other => "other",
        }
    }

    /// The channel named exactly `s`.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(DomainError::SalesChannel)
    }
}

/// The insurer's policy number (保单号).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PolicyNumber(String);
string_newtype!(PolicyNumber);

impl PolicyNumber {
    /// Its length bounds, in ASCII characters (`edge/openapi.json` states the same; a test holds them).
    pub const MIN_CHARS: usize = 6;
    pub const MAX_CHARS: usize = 32;

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let ok = (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&s.len())
            && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
        ok.then(|| Self(s.to_ascii_uppercase()))
            .ok_or(DomainError::PolicyNumber)
    }

    /// The first two and last four characters: enough for the policyholder to recognise it.
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 2, 4)
    }
}

/// A mainland China mobile number, stored as its 11 digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);
string_newtype!(Phone);

impl Phone {
    /// Accepts `13812345678`, `+86 138 1234 5678`, `86-138-1234-5678`.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect::<String>();
        let digits = digits.strip_prefix('+').unwrap_or(&digits);
        let digits = if digits.len() == 13 {
            digits.strip_prefix("86").unwrap_or(digits)
        } else {
            digits
        };
        let b = digits.as_bytes();
        let ok = b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1]);
        ok.then(|| Self(digits.to_string()))
            .ok_or(DomainError::Phone)
    }

    /// `138****5678`
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 3, 4)
    }
}

/// A resident identity card number (居民身份证号码), 18 characters with the GB 11643 check digit.
/// The edge never stores it: it keeps only a keyed hash (R6, R8).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);
string_newtype!(IdNumber);

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl IdNumber {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let shape = b.len() == 18
            && b[..17].iter().all(u8::is_ascii_digit)
            && (b[17].is_ascii_digit() || b[17] == b'X');
        if !shape {
            return Err(DomainError::IdNumberShape);
        }
        if check_digit(&b[..17]) != b[17] {
            return Err(DomainError::IdNumberChecksum);
        }
        Ok(Self(s))
    }

    /// First and last character only: `1****************X`.
    pub fn masked(&self) -> String {
        mask_middle(&self.0, 1, 1)
    }
}

/// GB 11643-1999: weights 2^(17-i) mod 11, check = (12 - sum mod 11) mod 11, 10 written as X.
fn check_digit(first17: &[u8]) -> u8 {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

/// A person's name as the insurer sent it. Shown only masked (R6).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);
string_newtype!(PersonName);

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({})", self.masked())
    }
}

impl PersonName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 64;

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        let n = s.chars().count();
        let ok = (1..=Self::MAX_CHARS).contains(&n) && !s.chars().any(char::is_control);
        ok.then(|| Self(s.to_string()))
            .ok_or(DomainError::PersonName)
    }

    /// `张*` for two characters, `张*明` for three or more (the usual Chinese masking).
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        match chars.len() {
            0 | 1 => "*".to_string(),
            2 => format!("{}*", chars[0]),
            n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
        }
    }
}

fn mask_middle(s: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..keep_start].iter().collect();
    out.push_str(&"*".repeat(chars.len() - keep_start - keep_end));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

/// The opaque id of one revisit (96 random bits, base64url). It names the revisit's Durable Object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RevisitId(String);
string_newtype!(RevisitId);

const REVISIT_ID_BYTES: usize = 12;
const REVISIT_ID_CHARS: usize = 16;
const LINK_SECRET_BYTES: usize = 16;
const LINK_SECRET_CHARS: usize = 22;

fn is_b64url(s: &str) -> bool {
    s.bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

impl RevisitId {
    pub fn from_random(bytes: [u8; REVISIT_ID_BYTES]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        (s.len() == REVISIT_ID_CHARS && is_b64url(s))
            .then(|| Self(s.to_string()))
            .ok_or(DomainError::RevisitId)
    }
}

/// The one-time link token (`/r/<token>`): the revisit id followed by a 128-bit secret from a CSPRNG.
/// The edge stores only the secret's SHA-256 (`secret_digest`), never the token.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken {
    revisit: RevisitId,
    secret: String,
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinkToken({}…)", self.revisit)
    }
}

impl LinkToken {
    pub const LEN: usize = REVISIT_ID_CHARS + LINK_SECRET_CHARS;

    pub fn new(revisit: RevisitId, secret: [u8; LINK_SECRET_BYTES]) -> Self {
        Self {
            revisit,
            secret: URL_SAFE_NO_PAD.encode(secret),
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        if s.len() != Self::LEN || !is_b64url(s) {
            return Err(DomainError::LinkToken);
        }
        let (id, secret) = s.split_at(REVISIT_ID_CHARS);
        let revisit = RevisitId::parse(id).map_err(|_| DomainError::LinkToken)?;
        // The last character of 16 bytes in base64url carries 2 padding bits; refuse non-canonical forms.
        let bytes = URL_SAFE_NO_PAD
            .decode(secret)
            .map_err(|_| DomainError::LinkToken)?;
        if bytes.len() != LINK_SECRET_BYTES {
            return Err(DomainError::LinkToken);
        }
        Ok(Self {
            revisit,
            secret: secret.to_string(),
        })
    }

    pub fn revisit_id(&self) -> &RevisitId {
        &self.revisit
    }

    /// Hex SHA-256 of the secret part: what the edge stores to recognise the link.
    pub fn secret_digest(&self) -> String {
        crate::signing::secret_digest(&self.secret)
    }

    pub fn as_string(&self) -> String {
        format!("{}{}", self.revisit, self.secret)
    }
}

/// A one-time SMS code: exactly six ASCII digits.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(******)")
    }
}

impl OtpCode {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        (s.len() == 6 && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| Self(s.to_string()))
            .ok_or(DomainError::OtpCode)
    }

    /// A code from 64 random bits; the modulo bias (≈10⁻¹³) is negligible.
    pub fn from_random(entropy: u64) -> Self {
        Self(format!("{:06}", entropy % 1_000_000))
    }

    /// The code of a random salt (hex) under the edge's secret `key`: HMAC-SHA256(key, "otp:" +
    /// salt), its first 64 bits as the randomness. The edge can draw it again from the salt it
    /// keeps beside the code's hash, so a code SMS waiting to be handed to the gateway (issue 19)
    /// is stored as no more than that salt; without the key the salt says nothing of the code.
    pub fn derived(key: &[u8], salt_hex: &str) -> Self {
        let mac = crate::signing::keyed_digest(key, &format!("otp:{salt_hex}"));
        let bits = u64::from_str_radix(&mac[..16], 16).unwrap_or_default();
        Self::from_random(bits)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_derived_code_is_six_digits_fixed_by_key_and_salt() {
        let salt = "0f".repeat(16);
        let code = OtpCode::derived(b"key-1", &salt);
        assert_eq!(OtpCode::parse(code.as_str()), Ok(code.clone()));
        assert_eq!(
            OtpCode::derived(b"key-1", &salt),
            code,
            "drawn again, the same"
        );
        // Another key or another salt: another code (for these inputs; 1 in 10⁶ would collide).
        assert_ne!(OtpCode::derived(b"key-2", &salt), code);
        assert_ne!(OtpCode::derived(b"key-1", &"0e".repeat(16)), code);
    }

    #[test]
    fn policy_numbers_are_trimmed_and_uppercased() {
        assert_eq!(
            PolicyNumber::parse(" p2026-0001 ").unwrap().as_str(),
            "P2026-0001"
        );
        for bad in ["", "P1", "P2026 0001", "保单123456", &"9".repeat(33)] {
            assert_eq!(
                PolicyNumber::parse(bad),
                Err(DomainError::PolicyNumber),
                "{bad}"
            );
        }
        assert_eq!(
            PolicyNumber::parse("P20260001").unwrap().masked(),
            "P2***0001"
        );
    }

    #[test]
    fn phones_accept_common_spellings_and_refuse_the_rest() {
        for ok in [
            "13812345678",
            "+86 138 1234 5678",
            "86-138-1234-5678",
            "8613812345678",
        ] {
            assert_eq!(Phone::parse(ok).unwrap().as_str(), "13812345678", "{ok}");
        }
        for bad in [
            "12812345678",
            "1381234567",
            "138123456789",
            "010-12345678",
            "1381234567x",
        ] {
            assert_eq!(Phone::parse(bad), Err(DomainError::Phone), "{bad}");
        }
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
    }

    // Check digits computed by hand from GB 11643's weights.
    #[test]
    fn id_numbers_carry_the_gb11643_check_digit() {
        assert!(IdNumber::parse("11010519491231002X").is_ok());
        assert!(IdNumber::parse("11010519491231002x").is_ok());
        assert!(IdNumber::parse("440524188001010014").is_ok());
        assert_eq!(
            IdNumber::parse("110105194912310021"),
            Err(DomainError::IdNumberChecksum)
        );
        for bad in [
            "11010519491231002",
            "1101051949123100X2",
            "11010519491231002Y",
        ] {
            assert_eq!(
                IdNumber::parse(bad),
                Err(DomainError::IdNumberShape),
                "{bad}"
            );
        }
    }

    #[test]
    fn id_numbers_never_print_in_clear() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "1****************X");
        assert!(!format!("{id:?}").contains("0105194912"));
    }

    #[test]
    fn names_are_masked_the_chinese_way() {
        assert_eq!(PersonName::parse("张三").unwrap().masked(), "张*");
        assert_eq!(PersonName::parse("欧阳小明").unwrap().masked(), "欧**明");
        assert!(PersonName::parse("").is_err());
        assert!(PersonName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn link_tokens_round_trip_and_name_their_revisit() {
        let id = RevisitId::from_random([7; 12]);
        let token = LinkToken::new(id.clone(), [9; 16]);
        let text = token.as_string();
        assert_eq!(text.len(), LinkToken::LEN);
        let parsed = LinkToken::parse(&text).unwrap();
        assert_eq!(parsed.revisit_id(), &id);
        assert_eq!(parsed.secret_digest(), token.secret_digest());
        assert!(!format!("{parsed:?}").contains(&text[16..]));
    }

    #[test]
    fn link_tokens_refuse_wrong_length_and_alphabet() {
        let good = LinkToken::new(RevisitId::from_random([1; 12]), [2; 16]).as_string();
        assert!(LinkToken::parse(&good[1..]).is_err());
        assert!(LinkToken::parse(&format!("{good}A")).is_err());
        assert!(LinkToken::parse(&good.replace(&good[20..21], ".")).is_err());
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(OtpCode::from_random(42).as_str(), "000042");
        assert_eq!(OtpCode::from_random(u64::MAX).as_str().len(), 6);
        assert!(OtpCode::parse("12345").is_err());
        assert!(OtpCode::parse("12345a").is_err());
        assert!(OtpCode::parse("１２３４５６").is_err());
        assert!(OtpCode::parse(" 123456 ").is_ok());
    }

    proptest! {
        #[test]
        fn exactly_one_check_digit_is_accepted(body in "[1-9][0-9]{16}") {
            let accepted = "0123456789X"
                .chars()
                .filter(|c| IdNumber::parse(&format!("{body}{c}")).is_ok())
                .count();
            prop_assert_eq!(accepted, 1);
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,48}") {
            let _ = PolicyNumber::parse(&s);
            let _ = Phone::parse(&s);
            let _ = IdNumber::parse(&s);
            let _ = PersonName::parse(&s);
            let _ = LinkToken::parse(&s);
            let _ = OtpCode::parse(&s);
        }

        #[test]
        fn every_random_token_parses_back(id in any::<[u8; 12]>(), secret in any::<[u8; 16]>()) {
            let t = LinkToken::new(RevisitId::from_random(id), secret);
            prop_assert_eq!(LinkToken::parse(&t.as_string()), Ok(t));
        }
    }
}
