//! The field constraints of `edge/openapi.json` are the core's (issue 12, item 6): every length,
//! count and bound a schema states is the constant the server enforces, and every pattern accepts
//! exactly what the core's parser accepts, over hand-picked edge cases and a few thousand generated
//! strings. So generated clients and fuzzers send valid bodies, and the two cannot drift apart.

use crate::api_doc::DOCUMENT;
use huifang_core::domain::{DomainError, PersonName};
use huifang_core::idempotency::{self, IdempotencyKey};
use huifang_core::script::{
    FaceAlternative, FaceCheck, IdentityStep, MAX_BODY_CHARS, MAX_ITEMS, MAX_MIN_READ_SECS,
    MAX_PARAGRAPHS, MAX_TITLE_CHARS,
};
use huifang_core::session::MAX_COMMENT_CHARS;
use huifang_core::signature::{MAX_PNG_BYTES, MAX_STROKES};
use huifang_core::wire::MAX_PRODUCT_CHARS;
use huifang_core::{IdNumber, OtpCode, Phone, PolicyNumber, RevisitId, Timestamp};
use regex::Regex;
use serde_json::Value;

fn doc() -> Value {
    serde_json::from_str(DOCUMENT).expect("edge/openapi.json is JSON")
}

fn schema<'a>(doc: &'a Value, path: &str) -> &'a Value {
    path.split('/')
        .fold(&doc["components"]["schemas"], |v, k| &v[k])
}

fn number(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn pattern(v: &Value) -> Regex {
    Regex::new(
        v["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("a pattern in {v}")),
    )
    .expect("a valid pattern")
}

/// Strings over `alphabet`, up to `max_len` long, from a fixed seed (the same every run).
fn generated(alphabet: &[&str], max_len: usize, count: usize) -> Vec<String> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    (0..count)
        .map(|_| {
            let len = next() % (max_len + 1);
            (0..len)
                .map(|_| alphabet[next() % alphabet.len()])
                .collect()
        })
        .collect()
}

/// The document's pattern and the parser agree on every sample.
fn agree(
    re: &Regex,
    samples: impl IntoIterator<Item = String>,
    parses: impl Fn(&str) -> bool,
    what: &str,
) {
    let mut n = 0;
    for s in samples {
        assert_eq!(re.is_match(&s), parses(&s), "{what}: {s:?} (pattern {re})");
        n += 1;
    }
    assert!(n > 10, "{what}: too few samples");
}

#[test]
fn the_documented_counts_and_lengths_are_the_cores_constants() {
    let doc = doc();
    let at = |p| schema(&doc, p);
    let create = at("CreateRevisit/properties");
    assert_eq!(
        number(&create["policy_number"], "minLength"),
        PolicyNumber::MIN_CHARS as u64
    );
    assert_eq!(
        number(&create["policy_number"], "maxLength"),
        PolicyNumber::MAX_CHARS as u64
    );
    assert_eq!(
        number(&create["product"], "maxLength"),
        MAX_PRODUCT_CHARS as u64
    );
    assert_eq!(
        number(&at("Policyholder/properties")["name"], "maxLength"),
        PersonName::MAX_CHARS as u64
    );
    assert_eq!(
        number(&at("Script/properties")["items"], "maxItems"),
        MAX_ITEMS as u64
    );
    let text = at("ItemText/properties");
    assert_eq!(number(&text["title"], "maxLength"), MAX_TITLE_CHARS as u64);
    assert_eq!(number(&text["body"], "maxItems"), MAX_PARAGRAPHS as u64);
    assert_eq!(
        number(&text["body"]["items"], "maxLength"),
        MAX_BODY_CHARS as u64
    );
    assert_eq!(
        number(&at("ScriptItem/properties")["min_read_secs"], "maximum"),
        u64::from(MAX_MIN_READ_SECS)
    );
    assert_eq!(
        number(&at("AnswerItem/properties")["comment"], "maxLength"),
        MAX_COMMENT_CHARS as u64
    );
    assert_eq!(
        number(&at("SwitchToPhone/properties")["reason"], "maxLength"),
        MAX_COMMENT_CHARS as u64
    );
    let ink = at("SignatureSubmission/properties");
    assert_eq!(number(&ink["strokes"], "maxItems"), MAX_STROKES as u64);
    assert_eq!(
        number(&ink["png_base64"], "maxLength"),
        MAX_PNG_BYTES.div_ceil(3) as u64 * 4
    );
}

#[test]
fn the_documented_patterns_accept_exactly_what_the_core_parses() {
    let doc = doc();
    let at = |p| schema(&doc, p);
    let digits = ["0", "1", "3", "5", "8", "9", "6"];

    let policy = pattern(at("CreateRevisit/properties/policy_number"));
    let mut samples: Vec<String> = [
        "P20260001",
        "ab-12",
        "ab-123",
        &"A".repeat(32),
        &"A".repeat(33),
        "P2026_0001",
        "P2026 0001",
        "保单123456",
    ]
    .map(String::from)
    .into();
    samples.extend(generated(
        &["A", "z", "0", "9", "-", "_", ".", "é"],
        36,
        3_000,
    ));
    agree(
        &policy,
        samples,
        |s| PolicyNumber::parse(s).is_ok(),
        "policy_number",
    );

    // The face provider's name (R8): not blank, no control character (the length is maxLength's).
    let provider = pattern(at("FaceCheck/properties/provider"));
    let base = huifang_core::script::Script::from_json(include_str!("../../scripts/default.json"))
        .expect("the default script");
    let face_script = |name: &str| {
        let mut s = base.clone();
        s.identity = vec![IdentityStep::SmsCode, IdentityStep::Face];
        s.face = Some(FaceCheck {
            provider: name.to_string(),
            alternative: FaceAlternative::Phone,
        });
        s.validate().is_ok()
    };
    let mut samples: Vec<String> = [
        "模拟人脸核验服务",
        " a ",
        "",
        " ",
        "\u{3000}",
        "a\u{85}b",
        "\u{feff}",
    ]
    .map(String::from)
    .into();
    samples.extend(generated(
        &[
            "a", "人", " ", "\t", "\u{0}", "\u{1f}", "\u{7f}", "\u{9f}", "\u{a0}", "\u{3000}", "é",
        ],
        12,
        3_000,
    ));
    agree(&provider, samples, face_script, "face provider");

    // The phone's pattern is the parser's full leniency: +86 or 86 in front, spaces and hyphens anywhere.
    let phone = pattern(at("Policyholder/properties/phone"));
    let mut samples: Vec<String> = [
        "13812345678",
        "+86 138 1234 5678",
        "86-138-1234-5678",
        "+8613812345678",
        "8613812345678",
        "12812345678",
        "1381234567",
        "+ 8 6 13812345678",
        "138+12345678",
        "0086 13812345678",
        "861381234567",
    ]
    .map(String::from)
    .into();
    samples.extend(generated(
        &["1", "3", "8", "6", "0", "2", " ", "-", "+"],
        17,
        20_000,
    ));
    samples.extend(generated(
        &["1", "38", "86", "5", " ", "+8", "-"],
        14,
        20_000,
    ));
    agree(&phone, samples, |s| Phone::parse(s).is_ok(), "phone");

    // ID numbers: the pattern is the shape; the check digit is the description's.
    for path in [
        "Policyholder/properties/id_number",
        "SubmitIdNumber/properties/id_number",
    ] {
        let id = pattern(at(path));
        let mut samples: Vec<String> = [
            "11010519491231002X",
            "11010519491231002x",
            "110105194912310021",
            "1101051949123100",
            "11010519491231002Y",
            &"1".repeat(19),
        ]
        .map(String::from)
        .into();
        samples.extend(
            generated(&["1", "0", "9", "X", "x", "Y"], 19, 5_000)
                .into_iter()
                .map(|s| format!("{}{s}", "1".repeat(12))),
        );
        agree(
            &id,
            samples,
            |s| IdNumber::parse(s) != Err(DomainError::IdNumberShape),
            path,
        );
    }

    let code = pattern(at("SubmitCode/properties/code"));
    let mut samples: Vec<String> = ["123456", "12345", "1234567", "12345a", "１２３４５６"]
        .map(String::from)
        .into();
    samples.extend(generated(&digits, 8, 2_000));
    agree(&code, samples, |s| OtpCode::parse(s).is_ok(), "code");

    // Names: no control character, something other than spaces (lengths: the test above).
    let name = pattern(at("Policyholder/properties/name"));
    let samples: Vec<String> = [
        "张三",
        "Zhang San",
        "a",
        " ",
        "",
        "a\u{7}b",
        "a\u{85}b",
        "\u{9f}",
        "a\tb",
        "张\u{3000}三",
        "\u{3000}",
    ]
    .map(String::from)
    .into();
    let mut more = generated(
        &[
            "张", "a", " ", "\u{3000}", "\u{1}", "\u{7f}", "\u{85}", "\u{a0}",
        ],
        6,
        3_000,
    );
    more.retain(|s| s.trim() == s);
    agree(
        &name,
        samples.into_iter().chain(more),
        |s| PersonName::parse(s).is_ok(),
        "name",
    );

    let rid = pattern(at("RevisitId"));
    let mut samples: Vec<String> = [
        "AbCdEfGhIjKlMnOp",
        "AbCdEfGhIjKlMnO",
        "AbCdEfGhIjKlMnOp_",
        "AbCdEfGhIjKlMn+p",
    ]
    .map(String::from)
    .into();
    samples.extend(generated(&["A", "z", "0", "-", "_", "+", "/"], 18, 3_000));
    agree(&rid, samples, |s| RevisitId::parse(s).is_ok(), "RevisitId");

    // The cooling-off end: the pattern is the parser's grammar from 1970 on (the day of the month
    // against the month is the `date-time` format's).
    let when = pattern(at("CreateRevisit/properties/cooling_off_ends_at"));
    let samples: Vec<String> = [
        "2026-12-10T23:59:59+08:00",
        "2026-12-10t23:59:59z",
        "2026-12-10T23:59:59.123456Z",
        "2026-12-10T23:59:60Z",
        "2026-12-10T24:00:00Z",
        "2026-13-10T23:59:59Z",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z",
        "2026-12-10T23:59:59",
        "2026-12-10T23:59:59+8:00",
        "2026-12-10T23:59:59+24:00",
        "2026-12-10T23:59:59.Z",
        "2026-12-10 23:59:59Z",
        "+2026-12-10T23:59:59Z",
    ]
    .map(String::from)
    .into();
    for s in &samples {
        // A space for the `T` is the parser's leniency that the `date-time` format refuses.
        let parses = Timestamp::parse_rfc3339(s).is_ok() && !s.contains(' ');
        assert_eq!(when.is_match(s), parses, "cooling_off_ends_at: {s:?}");
    }

    let key = &doc["components"]["parameters"]["IdempotencyKey"]["schema"];
    assert_eq!(key["pattern"], idempotency::KEY_PATTERN);
    let mut samples: Vec<String> = ["550e8400-e29b-41d4-a716-446655440000", "", " ", "a b", "é"]
        .map(String::from)
        .into();
    samples.extend(generated(
        &[
            "a", "Z", "0", "-", "_", ".", ":", "+", "/", "=", ",", " ", "\u{7f}",
        ],
        12,
        3_000,
    ));
    samples.push("k".repeat(255));
    samples.push("k".repeat(256));
    agree(
        &pattern(key),
        samples,
        |s| IdempotencyKey::parse(s).is_ok(),
        "Idempotency-Key",
    );
}

/// Where the server reads `null` as "absent" (an `Option` field), the document allows `null`, and
/// where it refuses `null` (a list or a flag with a default), the document does not: schemathesis
/// found `min_read_secs: null` accepted while the document said integer only.
#[test]
fn null_is_documented_exactly_where_the_server_takes_it() {
    use huifang_core::script::ScriptItem;
    use huifang_core::wire::CreateRevisit;
    let doc = doc();
    let nullable = |v: &Value| {
        v["type"]
            .as_array()
            .is_some_and(|t| t.contains(&Value::from("null")))
            || v["anyOf"]
                .as_array()
                .is_some_and(|a| a.iter().any(|s| s["type"] == "null"))
    };
    let item = serde_json::json!({"id": "a", "text": {"zh-CN": {"title": "t", "body": ["b"]}, "en": {"title": "t", "body": ["b"]}}});
    let props = schema(&doc, "ScriptItem/properties");
    for field in ["min_read_secs", "products", "answer", "problem_on_no"] {
        let mut v = item.clone();
        v[field] = Value::Null;
        let taken = serde_json::from_value::<ScriptItem>(v).is_ok();
        assert_eq!(
            nullable(&props[field]),
            taken,
            "ScriptItem.{field}: the server takes null: {taken}"
        );
    }
    let create = serde_json::json!({"policy_number": "P123456", "product": "p", "policyholder": {"name": "张三", "phone": "13812345678", "id_number": "11010519491231002X"}, "cooling_off_ends_at": "2027-01-01T00:00:00Z"});
    let props = schema(&doc, "CreateRevisit/properties");
    for field in ["script", "agent", "product_kinds"] {
        let mut v = create.clone();
        v[field] = Value::Null;
        let taken = serde_json::from_value::<CreateRevisit>(v).is_ok();
        assert_eq!(
            nullable(&props[field]),
            taken,
            "CreateRevisit.{field}: the server takes null: {taken}"
        );
    }
}
