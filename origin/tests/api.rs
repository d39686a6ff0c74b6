//! The origin's HTTP API, driven through its router with a real SQLite archive in a temp directory.

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use huifang_core::fixtures::{at, finished_session, open, sample_revisit};
use huifang_core::record::{Record, SealedRecord};
use huifang_core::session::{AnswerKind, Event, Session};
use huifang_core::signing::{EdgeKey, TrustedKeys};
use huifang_core::{RevisitId, Timestamp};
use origin::archive::sqlite::SqliteArchive;
use origin::server::admin::AdminToken;
use origin::server::settings::ApiSettings;
use origin::{app, AppState};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

const NOW_SECS: u64 = 1_800_000_600;

fn clock() -> Timestamp {
    Timestamp(NOW_SECS * 1_000)
}

fn edge_key() -> EdgeKey {
    EdgeKey::from_seed_hex("edge-1", &"2a".repeat(32)).unwrap()
}

fn stranger_key() -> EdgeKey {
    EdgeKey::from_seed_hex("edge-9", &"07".repeat(32)).unwrap()
}

/// A router over a fresh archive in its own directory, removed on drop.
struct TestOrigin {
    router: Router,
    dir: PathBuf,
}

impl Drop for TestOrigin {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The insurer's admin token in these tests.
const ADMIN: &str = "test-admin-token-0123456789abcdef";

fn origin_with(sms_outbox: bool) -> TestOrigin {
    origin_configured(sms_outbox, None)
}

fn origin_configured(sms_outbox: bool, admin: Option<&str>) -> TestOrigin {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "huifang-origin-api-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let archive = SqliteArchive::open(&dir.join("origin.sqlite3")).unwrap();
    let keys = TrustedKeys::parse(&format!("edge-1={}", edge_key().public_key_hex())).unwrap();
    let settings = ApiSettings {
        edge_keys: keys,
        dev_mode: sms_outbox,
        admin_token: admin.map(|t| AdminToken::parse(t).unwrap()),
    };
    let state = AppState::new(Arc::new(archive), settings).with_clock(clock);
    TestOrigin {
        router: app(state),
        dir,
    }
}

fn origin() -> TestOrigin {
    origin_with(true)
}

impl TestOrigin {
    async fn call(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
        };
        (status, body)
    }

    /// The status, headers and body text of a request.
    async fn call_raw(&self, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    async fn admin_get(&self, uri: &str, token: &str) -> (StatusCode, Value) {
        let request = Request::get(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        self.call(request).await
    }

    async fn terminate(&self, policy: &str, body: Value) -> (StatusCode, Value) {
        let request = Request::post(format!("/policies/{policy}/termination"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {ADMIN}"))
            .body(Body::from(body.to_string()))
            .unwrap();
        self.call(request).await
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.call(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn post_record(&self, sealed: &SealedRecord) -> (StatusCode, Value) {
        self.call(json_post("/records", serde_json::to_vec(sealed).unwrap()))
            .await
    }

    async fn record(&self, id: &RevisitId) -> (StatusCode, Value) {
        self.get(&format!("/records/{id}")).await
    }
}

fn json_post(uri: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

// ---- records -----------------------------------------------------------------------------------

fn sealed_with(key: &EdgeKey, id_byte: u8, answers: &[AnswerKind]) -> SealedRecord {
    let session = finished_session(RevisitId::from_random([id_byte; 12]), answers);
    Record::of(&session, "test").unwrap().seal(key)
}

const ALL_YES: [AnswerKind; 3] = [AnswerKind::Yes; 3];

#[tokio::test]
async fn a_good_record_is_archived_and_acknowledged() {
    let o = origin();
    let sealed = sealed_with(&edge_key(), 1, &ALL_YES);
    let (status, body) = o.post_record(&sealed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "revisit_id": sealed.record.revisit_id.as_str(),
            "record_hash": sealed.seal.record_hash,
            "duplicate": false,
        })
    );

    // R3: it can be read back and verified later, exactly as sealed.
    let (status, body) = o.record(&sealed.record.revisit_id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["verified"], json!(true));
    assert_eq!(body["problem_cases"], json!(0));
    assert_eq!(body["received_at"], json!("2027-01-15T08:10:00.000Z"));
    let back: SealedRecord = serde_json::from_value(body["sealed"].clone()).unwrap();
    assert_eq!(back, sealed);
}

#[tokio::test]
async fn the_same_record_again_is_a_duplicate() {
    let o = origin();
    let sealed = sealed_with(&edge_key(), 2, &ALL_YES);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    assert_eq!(
        o.record(&sealed.record.revisit_id).await.1["deliveries"],
        json!(1)
    );
    let (status, body) = o.post_record(&sealed).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["duplicate"], json!(true));
    assert_eq!(body["record_hash"], json!(sealed.seal.record_hash));
    // Stored once, every delivery logged.
    assert_eq!(
        o.record(&sealed.record.revisit_id).await.1["deliveries"],
        json!(2)
    );
}

// R4: any change to a sealed record is detected and nothing is stored.
#[tokio::test]
async fn a_tampered_record_is_refused_and_not_stored() {
    let o = origin();
    let sealed = sealed_with(&edge_key(), 3, &ALL_YES);

    let mut changed = sealed.clone();
    changed.record.items[1].title.push('!');
    let (status, body) = o.post_record(&changed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], json!("record_hash_mismatch"));

    // Recomputing the hash does not help: the signature no longer matches.
    let mut rehashed = changed.clone();
    rehashed.seal.record_hash = rehashed.record.hash();
    let (status, body) = o.post_record(&rehashed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], json!("signature_mismatch"));

    let (status, body) = o.record(&sealed.record.revisit_id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], json!("record_not_found"));

    // The genuine record is still accepted as a first delivery.
    let (status, body) = o.post_record(&sealed).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["duplicate"], json!(false));
}

#[tokio::test]
async fn a_record_sealed_by_an_unknown_key_is_refused() {
    let o = origin();
    let sealed = sealed_with(&stranger_key(), 4, &ALL_YES);
    let (status, body) = o.post_record(&sealed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], json!("unknown_key"));
    assert_eq!(
        o.record(&sealed.record.revisit_id).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_different_record_for_the_same_revisit_conflicts_and_the_first_stays() {
    let o = origin();
    let first = sealed_with(&edge_key(), 5, &ALL_YES);
    let second = sealed_with(
        &edge_key(),
        5,
        &[AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes],
    );
    assert_eq!(first.record.revisit_id, second.record.revisit_id);
    assert_ne!(first.seal.record_hash, second.seal.record_hash);

    assert_eq!(o.post_record(&first).await.0, StatusCode::OK);
    let (status, body) = o.post_record(&second).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["code"], json!("record_conflict"));

    let (_, body) = o.record(&first.record.revisit_id).await;
    assert_eq!(
        body["sealed"]["seal"]["record_hash"],
        json!(first.seal.record_hash)
    );
    // The conflicting record's "no" raised no problem case.
    assert_eq!(body["problem_cases"], json!(0));
}

// R12: a "no" is recorded as a problem case, once, however often the record is delivered.
#[tokio::test]
async fn a_no_answer_creates_a_problem_case() {
    let o = origin();
    let sealed = sealed_with(
        &edge_key(),
        6,
        &[AnswerKind::Yes, AnswerKind::No, AnswerKind::No],
    );
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    let (status, body) = o.record(&sealed.record.revisit_id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["problem_cases"], json!(2));
}

// R5: an origin keeps accepting and re-verifying records of every format an edge ever sealed.
#[tokio::test]
async fn a_record_of_the_first_format_is_archived_verified_and_reported() {
    let o = origin_with(true);
    let sealed: SealedRecord =
        serde_json::from_str(include_str!("../../core/testdata/format1-record.json")).unwrap();
    assert_eq!(sealed.record.format, 1);
    let (status, body) = o.post_record(&sealed).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = o.record(&sealed.record.revisit_id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["verified"], json!(true));
    assert_eq!(body["problem_cases"], json!(1));
    let back: SealedRecord = serde_json::from_value(body["sealed"].clone()).unwrap();
    assert_eq!(back, sealed);
}

// R11: a revisit the policyholder switched to phone becomes a phone task due by the cooling-off end.
#[test]
fn a_switch_to_phone_raises_a_phone_task_and_a_completion_does_not() {
    let s = Session::new(sample_revisit(RevisitId::from_random([7; 12])));
    let (s, _) = s.apply(open(), at(1));
    let reason = Some("想电话回访".into());
    let (s, result) = s.apply(Event::SwitchToPhone { reason }, at(5));
    result.unwrap();
    let switched = Record::of(&s, "test").unwrap().seal(&edge_key());
    let entry = origin::archive::NewRecord::of(&switched, clock()).unwrap();
    let task = entry.phone_task.unwrap();
    assert_eq!(task.reason, "switched_to_phone");
    assert_eq!(task.due_by, switched.record.cooling_off_ends_at);
    assert_eq!(entry.outcome, "switched_to_phone");

    let completed = sealed_with(&edge_key(), 8, &ALL_YES);
    let entry = origin::archive::NewRecord::of(&completed, clock()).unwrap();
    assert_eq!(entry.phone_task, None);
    assert!(entry.problem_cases.is_empty());
}

#[tokio::test]
async fn a_record_that_is_not_json_or_not_sent_as_json_gets_our_error() {
    let o = origin();
    let (status, body) = o
        .call(json_post("/records", b"{\"record\":".to_vec()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], json!("bad_json"));

    let mut v = serde_json::to_value(sealed_with(&edge_key(), 9, &ALL_YES)).unwrap();
    v["surprise"] = json!(1);
    let (status, body) = o
        .call(json_post("/records", v.to_string().into_bytes()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], json!("bad_json"));

    let request = Request::post("/records")
        .header("content-type", "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    let (status, body) = o.call(request).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["code"], json!("unsupported_media_type"));
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("application/json"));
}

#[tokio::test]
async fn an_oversized_record_is_refused_with_413() {
    let o = origin();
    let big = vec![b' '; 2 * 1024 * 1024 + 1];
    let (status, body) = o.call(json_post("/records", big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], json!("payload_too_large"));
}

#[tokio::test]
async fn an_unknown_revisit_id_is_not_found() {
    let o = origin();
    for id in ["AAAAAAAAAAAAAAAA", "not-an-id"] {
        let (status, body) = o.get(&format!("/records/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(body["code"], json!("record_not_found"), "{id}");
    }
    // A path that is not UTF-8 is refused with our error JSON, not axum's plain text.
    let (status, body) = o.get("/records/%FF").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], json!("bad_request"));
}

// ---- the insurer's admin calls: record list, terminations (R4, R5) -----------------------------

fn sealed_for_policy(id_byte: u8, policy: &str, answers: &[AnswerKind]) -> SealedRecord {
    let session = finished_session(RevisitId::from_random([id_byte; 12]), answers);
    let mut record = Record::of(&session, "test").unwrap();
    record.policy_number = huifang_core::PolicyNumber::parse(policy).unwrap();
    record.seal(&edge_key())
}

#[tokio::test]
async fn the_admin_calls_are_off_without_a_token_and_refuse_a_wrong_one() {
    let off = origin_configured(true, None);
    let (status, body) = off.admin_get("/records", ADMIN).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], json!("admin_api_disabled"));
    let (status, body) = off
        .terminate(
            "P20260001",
            json!({"terminated_at": "2027-01-01T00:00:00+08:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], json!("admin_api_disabled"));

    let on = origin_configured(false, Some(ADMIN));
    let (status, headers, _) = on
        .call_raw(Request::get("/records").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    let (status, body) = on.admin_get("/records", "not-the-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], json!("admin_token_invalid"));
    let (status, body) = on.admin_get("/records", ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"records": [], "next_after": null}));
}

#[tokio::test]
async fn records_are_listed_by_policy_or_time_a_page_at_a_time() {
    let o = origin_configured(true, Some(ADMIN));
    let no = [AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes];
    for (id, policy) in [(1, "P20260001"), (2, "P20260002"), (3, "P20260001")] {
        let answers: &[AnswerKind] = if id == 3 { &no } else { &ALL_YES };
        let (status, _) = o.post_record(&sealed_for_policy(id, policy, answers)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = o
        .admin_get("/records?policy_number=p20260001&limit=1", ADMIN)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = &body["records"][0];
    assert_eq!(first["seq"], json!(1));
    assert_eq!(first["policy_number"], json!("P20260001"));
    assert_eq!(first["outcome"], json!("completed"));
    assert_eq!(first["received_at"], json!("2027-01-15T08:10:00.000Z"));
    assert_eq!(first["retention_until"], Value::Null);
    assert_eq!(
        (first["flags"].clone(), first["problem_cases"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(body["next_after"], json!(1));
    let (_, body) = o
        .admin_get("/records?policy_number=P20260001&limit=1&after=1", ADMIN)
        .await;
    assert_eq!(body["records"][0]["seq"], json!(3));
    assert_eq!(body["records"][0]["problem_cases"], json!(1));
    assert_eq!(body["next_after"], Value::Null);

    // By received_at: every record arrived at the test clock's instant.
    let (_, body) = o
        .admin_get(
            "/records?from=2027-01-15T16:10:00%2B08:00&to=2027-01-15T08:10:00.001Z",
            ADMIN,
        )
        .await;
    assert_eq!(body["records"].as_array().unwrap().len(), 3);
    let (_, body) = o
        .admin_get("/records?from=2027-01-15T08:10:00.001Z", ADMIN)
        .await;
    assert_eq!(body["records"], json!([]));

    for (query, code) in [
        ("limit=0", "invalid_limit"),
        ("limit=101", "invalid_limit"),
        ("after=x", "invalid_cursor"),
        ("from=yesterday", "invalid_time"),
        (
            "from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z",
            "invalid_time",
        ),
        ("policy_number=%3Cx%3E", "invalid_policy_number"),
    ] {
        let (status, body) = o.admin_get(&format!("/records?{query}"), ADMIN).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["code"], json!(code), "{query}");
    }
}

// R5: ten calendar years from the reported termination; retained until it is reported.
#[tokio::test]
async fn a_reported_termination_sets_retention_without_touching_the_record() {
    let o = origin_configured(true, Some(ADMIN));
    let sealed = sealed_for_policy(1, "P20260001", &ALL_YES);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    let (_, before) = o.record(&sealed.record.revisit_id).await;
    assert_eq!(before["retention_until"], Value::Null);
    assert_eq!(before["seq"], json!(1));

    let (status, body) = o
        .terminate(
            "P20260001",
            json!({"terminated_at": "2024-02-29T10:00:00+08:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!({
            "policy_number": "P20260001",
            "terminated_at": "2024-02-29T02:00:00.000Z",
            "retention_until": "2034-02-28T02:00:00.000Z",
            "records": 1,
            "recorded": true,
        })
    );
    // The same report again changes nothing.
    let (status, body) = o
        .terminate(
            "p20260001",
            json!({"terminated_at": "2024-02-29T02:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["recorded"], json!(false));

    let (_, after) = o.record(&sealed.record.revisit_id).await;
    assert_eq!(after["retention_until"], json!("2034-02-28T02:00:00.000Z"));
    // The sealed record is exactly as before: retention lives beside it.
    assert_eq!(after["sealed"], before["sealed"]);
    assert_eq!(after["verified"], json!(true));
    let (_, list) = o.admin_get("/records?policy_number=P20260001", ADMIN).await;
    assert_eq!(
        list["records"][0]["retention_until"],
        json!("2034-02-28T02:00:00.000Z")
    );
    // A policy with no record yet: its later records are covered by the same query.
    let (status, body) = o
        .terminate(
            "P20269999",
            json!({"terminated_at": "2026-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["records"], json!(0));
}

#[tokio::test]
async fn a_termination_report_is_checked() {
    let o = origin_configured(true, Some(ADMIN));
    for (policy, body, status, code) in [
        (
            "P20260001",
            json!({"terminated_at": "2030-01-01T00:00:00Z"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "termination_in_future",
        ),
        (
            "P20260001",
            json!({"terminated_at": "last week"}),
            StatusCode::BAD_REQUEST,
            "invalid_time",
        ),
        (
            "P20260001",
            json!({"terminated_at": "2026-01-01T00:00:00Z", "reason": "x"}),
            StatusCode::BAD_REQUEST,
            "bad_json",
        ),
        (
            "P2",
            json!({"terminated_at": "2026-01-01T00:00:00Z"}),
            StatusCode::BAD_REQUEST,
            "invalid_policy_number",
        ),
    ] {
        let (got, reply) = o.terminate(policy, body.clone()).await;
        assert_eq!(got, status, "{body}");
        assert_eq!(reply["code"], json!(code), "{body}");
    }
}

// ---- the evidence report (R3) ------------------------------------------------------------------

async fn report(
    o: &TestOrigin,
    id: &RevisitId,
    token: Option<&str>,
) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::get(format!("/records/{id}/report"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    o.call_raw(request.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn the_report_shows_the_evidence_escaped_and_verified() {
    let o = origin();
    let session = finished_session(
        RevisitId::from_random([1; 12]),
        &[AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes],
    );
    let mut record = Record::of(&session, "beijing").unwrap();
    // Text from outside may hold markup: it must show as text.
    record.items[0].title = "<script>alert(1)</script>您是否为投保人本人？".into();
    record.items[1].comment = Some("<img src=x onerror=alert(1)>没有收到合同".into());
    record.policyholder_masked = "<b>张</b>*".into();
    record.signature = Some(huifang_core::signature::Signature {
        png_base64: "iVBORw0KGgo=".into(),
        png_sha256: "00".repeat(32),
        ink: 1200,
        strokes: 3,
    });
    let sealed = record.seal(&edge_key());
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);

    let (status, headers, html) = report(&o, &sealed.record.revisit_id, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(html.starts_with("<!doctype html>\n<html lang=\"zh-CN\">"));
    assert!(html.contains("✓ 已验证"));
    assert!(!html.contains("<script"), "unescaped script");
    assert!(!html.contains("<img src=x"), "unescaped image");
    assert!(!html.contains("<b>张"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;您是否为投保人本人？"));
    assert!(html.contains("投保人说明：&lt;img src=x onerror=alert(1)&gt;没有收到合同"));
    for text in [
        "P20260001",
        "138****5678",
        "已完成电子化回访",
        "beijing",
        "投保单是否由您亲笔签名？",
        "您是否知道犹豫期及退保权利？",
        "否 / 我有疑问",
        "短信验证码（发送至投保人手机）：已通过，2027-01-15 16:00:30",
        "第 1 号",
        "合同尚未报告终止",
        "<img alt=\"投保人手写签名\" src=\"data:image/png;base64,iVBORw0KGgo=\">",
        "未发现干扰迹象",
        sealed.seal.record_hash.as_str(),
        "edge-1",
    ] {
        assert!(html.contains(text), "the report lacks {text:?}");
    }
    // Nothing is loaded from anywhere: no URL in any attribute.
    for attr in ["src=\"http", "href=", "url("] {
        assert!(!html.contains(attr), "{attr}");
    }
}

#[tokio::test]
async fn a_tampered_record_reports_red_with_the_reason() {
    let o = origin();
    let first = sealed_with(&edge_key(), 1, &ALL_YES);
    let second = sealed_with(&edge_key(), 2, &ALL_YES);
    assert_eq!(o.post_record(&first).await.0, StatusCode::OK);
    assert_eq!(o.post_record(&second).await.0, StatusCode::OK);
    let conn = rusqlite::Connection::open(o.dir.join("origin.sqlite3")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER records_no_update; \
         UPDATE records SET sealed_json = replace(sealed_json, '请完整阅读', '请完整閲读') WHERE seq = 1; \
         UPDATE records SET prev_chain = chain WHERE seq = 2;",
    )
    .unwrap();
    let (status, _, html) = report(&o, &first.record.revisit_id, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("✗ 验证未通过"));
    assert!(!html.contains("✓ 已验证"));
    assert!(html.contains("record_hash_mismatch"));
    assert!(html.contains("记录内容与封存的记录哈希不符"));
    // The next record's link to it no longer holds either.
    assert!(html.contains("chain_broken_link"));
    let (_, _, html) = report(&o, &second.record.revisit_id, None).await;
    assert!(html.contains("档案链在第 2 号断开"), "{html}");
}

// Outside dev mode the report is the insurer's: admin token only.
#[tokio::test]
async fn outside_dev_mode_the_report_needs_the_admin_token() {
    let off = origin_configured(false, None);
    let sealed = sealed_with(&edge_key(), 1, &ALL_YES);
    assert_eq!(off.post_record(&sealed).await.0, StatusCode::OK);
    let (status, _, body) = report(&off, &sealed.record.revisit_id, Some(ADMIN)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("admin_api_disabled"));

    let on = origin_configured(false, Some(ADMIN));
    assert_eq!(on.post_record(&sealed).await.0, StatusCode::OK);
    let id = &sealed.record.revisit_id;
    assert_eq!(report(&on, id, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        report(&on, id, Some("wrong")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, html) = report(&on, id, Some(ADMIN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("✓ 已验证"));
    let missing = RevisitId::from_random([9; 12]);
    assert_eq!(
        report(&on, &missing, Some(ADMIN)).await.0,
        StatusCode::NOT_FOUND
    );
}

// ---- SMS hook ----------------------------------------------------------------------------------

const PHONE: &str = "13812345678";

fn sms_body(text: &str) -> Vec<u8> {
    json!({
        "revisit_id": RevisitId::from_random([1; 12]).as_str(),
        "phone": PHONE,
        "text": text,
    })
    .to_string()
    .into_bytes()
}

fn signed_sms(key: &EdgeKey, ts: u64, body: Vec<u8>) -> Request<Body> {
    Request::post("/sms")
        .header("content-type", "application/json")
        .header("x-huifang-key-id", key.key_id.as_str())
        .header("x-huifang-timestamp", ts.to_string())
        .header(
            "x-huifang-signature",
            key.sign_request("POST", "/sms", ts, &body),
        )
        .body(Body::from(body))
        .unwrap()
}

const CODE_TEXT: &str =
    "您的保单电子化回访验证码为246810，5分钟内有效。请勿将验证码告知他人，包括销售人员。";

#[tokio::test]
async fn a_signed_sms_is_accepted_and_its_code_shows_in_the_outbox() {
    let o = origin();
    let (status, body) = o
        .call(signed_sms(&edge_key(), NOW_SECS, sms_body(CODE_TEXT)))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], json!(true));
    let first_id = body["message_id"].as_u64().unwrap();

    let (status, body) = o
        .call(signed_sms(
            &edge_key(),
            NOW_SECS,
            sms_body("验证码为135790。"),
        ))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let second_id = body["message_id"].as_u64().unwrap();
    assert!(second_id > first_id);

    // A formatted phone number finds the same messages, newest first.
    let (status, body) = o.get("/sms/outbox?phone=%2B86%20138%201234%205678").await;
    assert_eq!(status, StatusCode::OK);
    let messages = body.as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["message_id"], json!(second_id));
    assert_eq!(messages[0]["code"], json!("135790"));
    assert_eq!(
        messages[1],
        json!({
            "message_id": first_id,
            "revisit_id": RevisitId::from_random([1; 12]).as_str(),
            "phone": PHONE,
            "text": CODE_TEXT,
            "code": "246810",
            "received_at": "2027-01-15T08:10:00.000Z",
        })
    );

    let (_, body) = o.get(&format!("/sms/outbox?phone={PHONE}&limit=1")).await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    let (_, body) = o.get("/sms/outbox?phone=13900000000").await;
    assert_eq!(body, json!([]));
}

#[tokio::test]
async fn a_text_without_a_code_has_a_null_code() {
    let o = origin();
    let sent = o
        .call(signed_sms(
            &edge_key(),
            NOW_SECS,
            sms_body("您的回访链接已失效。"),
        ))
        .await;
    assert_eq!(sent.0, StatusCode::ACCEPTED);
    let (_, body) = o.get(&format!("/sms/outbox?phone={PHONE}")).await;
    assert_eq!(body[0]["code"], Value::Null);
}

#[tokio::test]
async fn the_sms_hook_refuses_unsigned_badly_signed_and_stale_requests() {
    let o = origin();

    let unsigned = json_post("/sms", sms_body(CODE_TEXT));
    let (status, body) = o.call(unsigned).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], json!("signature_missing"));

    // Signed over one body, sent with another.
    let mut tampered = signed_sms(&edge_key(), NOW_SECS, sms_body(CODE_TEXT));
    *tampered.body_mut() = Body::from(sms_body("验证码为000000"));
    let (status, body) = o.call(tampered).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], json!("signature_mismatch"));

    let (status, body) = o
        .call(signed_sms(&edge_key(), NOW_SECS - 301, sms_body(CODE_TEXT)))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], json!("timestamp_outside_window"));

    let (status, body) = o
        .call(signed_sms(&stranger_key(), NOW_SECS, sms_body(CODE_TEXT)))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], json!("unknown_key"));

    // Nothing refused reached the outbox.
    let (_, body) = o.get(&format!("/sms/outbox?phone={PHONE}")).await;
    assert_eq!(body, json!([]));
}

#[tokio::test]
async fn a_signed_sms_with_bad_content_gets_our_error_json() {
    let o = origin();
    let (status, body) = o
        .call(signed_sms(&edge_key(), NOW_SECS, b"{not json".to_vec()))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], json!("bad_json"));

    let extra = json!({"revisit_id": RevisitId::from_random([1; 12]).as_str(), "phone": PHONE,
        "text": "x", "cc": "13900000000"});
    let (status, body) = o
        .call(signed_sms(
            &edge_key(),
            NOW_SECS,
            extra.to_string().into_bytes(),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], json!("bad_json"));

    let bad_phone = json!({"revisit_id": RevisitId::from_random([1; 12]).as_str(),
        "phone": "12345", "text": "x"});
    let (status, body) = o
        .call(signed_sms(
            &edge_key(),
            NOW_SECS,
            bad_phone.to_string().into_bytes(),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], json!("invalid_phone"));

    let mut form = signed_sms(&edge_key(), NOW_SECS, sms_body(CODE_TEXT));
    form.headers_mut().insert(
        "content-type",
        "application/x-www-form-urlencoded".parse().unwrap(),
    );
    let (status, body) = o.call(form).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["code"], json!("unsupported_media_type"));

    let (status, body) = o
        .call(signed_sms(
            &edge_key(),
            NOW_SECS,
            sms_body(&"码".repeat(6_000)),
        ))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], json!("payload_too_large"));
}

#[tokio::test]
async fn the_outbox_checks_its_query() {
    let o = origin();
    for (query, code) in [
        ("phone=12345", "invalid_phone"),
        ("", "invalid_phone"),
        ("phone=13812345678&limit=0", "invalid_limit"),
        ("phone=13812345678&limit=101", "invalid_limit"),
        ("phone=13812345678&limit=ten", "invalid_limit"),
    ] {
        let (status, body) = o.get(&format!("/sms/outbox?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["code"], json!(code), "{query}");
    }
    assert_eq!(
        o.get("/sms/outbox?phone=13812345678&limit=100").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_outbox_is_not_served_unless_enabled() {
    let o = origin_with(false);
    let (status, body) = o.get(&format!("/sms/outbox?phone={PHONE}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], json!("not_found"));
    // The hook itself still works.
    let (status, _) = o
        .call(signed_sms(&edge_key(), NOW_SECS, sms_body(CODE_TEXT)))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

// ---- the rest ----------------------------------------------------------------------------------

#[tokio::test]
async fn health_unknown_routes_and_wrong_methods() {
    let o = origin();
    assert_eq!(
        o.get("/healthz").await,
        (StatusCode::OK, json!({"ok": true}))
    );

    let (status, body) = o.get("/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], json!("not_found"));

    let (status, body) = o.get("/sms").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], json!("method_not_allowed"));
}

// R6: outside dev mode, archived records are for the insurer's admin token only.
#[tokio::test]
async fn records_are_read_only_with_the_admin_token_outside_dev_mode() {
    let o = origin_configured(false, Some(ADMIN));
    let sealed = sealed_with(&edge_key(), 41, &ALL_YES);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    let uri = format!("/records/{}", sealed.record.revisit_id);
    let (status, _) = o.get(&uri).await;
    assert!(
        matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
        "{status}"
    );
    let req = Request::get(&uri)
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(Body::empty())
        .unwrap();
    let (status, body) = o.call(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verified"], json!(true));
}
