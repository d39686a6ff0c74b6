//! What every API test file shares: an origin over a fresh SQLite archive in its own temporary
//! directory, driven through its router with a fixed clock, and the records to send it.

// Each test file uses its own part of these helpers and re-exports.
#![allow(dead_code, unused_imports)]

pub use axum::body::Body;
pub use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
pub use huifang_core::fixtures::finished_session;
pub use huifang_core::record::{Record, SealedRecord};
pub use huifang_core::session::AnswerKind;
pub use huifang_core::signing::{EdgeKey, TrustedKeys};
use huifang_core::working_days::WorkingCalendar;
pub use huifang_core::{RevisitId, Timestamp};
use origin::archive::sqlite::SqliteArchive;
use origin::archive::Archive;
use origin::dev::outbox::Outbox;
use origin::server::admin::AdminToken;
use origin::server::settings::ApiSettings;
use origin::{app, AppState};
pub use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

pub const NOW_SECS: u64 = 1_800_000_600;

pub fn clock() -> Timestamp {
    Timestamp(NOW_SECS * 1_000)
}

pub fn edge_key() -> EdgeKey {
    EdgeKey::from_seed_hex("edge-1", &"2a".repeat(32)).unwrap()
}

pub fn stranger_key() -> EdgeKey {
    EdgeKey::from_seed_hex("edge-9", &"07".repeat(32)).unwrap()
}

/// A router over a fresh archive in its own directory, removed on drop.
pub struct TestOrigin {
    router: Router,
    pub dir: PathBuf,
}

impl Drop for TestOrigin {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The insurer's admin token in these tests.
pub const ADMIN: &str = "test-admin-token-0123456789abcdef";

pub fn origin_with(sms_outbox: bool) -> TestOrigin {
    origin_configured(sms_outbox, None)
}

pub fn origin_configured(sms_outbox: bool, admin: Option<&str>) -> TestOrigin {
    origin_at(sms_outbox, admin, clock)
}

/// An origin whose clock reads `clock`.
pub fn origin_at(sms_outbox: bool, admin: Option<&str>, clock: fn() -> Timestamp) -> TestOrigin {
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
    let archive = Arc::new(archive);
    let gateway = Arc::new(Outbox::new(Arc::clone(&archive) as Arc<dyn Archive>));
    let calendar = WorkingCalendar::shipped().unwrap();
    let state = AppState::new(archive, gateway, settings, calendar).with_clock(clock);
    TestOrigin {
        router: app(state),
        dir,
    }
}

pub fn origin() -> TestOrigin {
    origin_with(true)
}

impl TestOrigin {
    pub async fn call(&self, request: Request<Body>) -> (StatusCode, Value) {
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
    pub async fn call_raw(&self, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    pub async fn admin_get(&self, uri: &str, token: &str) -> (StatusCode, Value) {
        let request = Request::get(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        self.call(request).await
    }

    pub async fn terminate(&self, policy: &str, body: Value) -> (StatusCode, Value) {
        let request = Request::post(format!("/policies/{policy}/termination"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {ADMIN}"))
            .body(Body::from(body.to_string()))
            .unwrap();
        self.call(request).await
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.call(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_record(&self, sealed: &SealedRecord) -> (StatusCode, Value) {
        self.call(json_post("/records", serde_json::to_vec(sealed).unwrap()))
            .await
    }

    pub async fn record(&self, id: &RevisitId) -> (StatusCode, Value) {
        self.get(&format!("/records/{id}")).await
    }
}

pub fn json_post(uri: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

pub fn sealed_with(key: &EdgeKey, id_byte: u8, answers: &[AnswerKind]) -> SealedRecord {
    let session = finished_session(RevisitId::from_random([id_byte; 12]), answers);
    Record::of(&session, "test").unwrap().seal(key)
}

pub const ALL_YES: [AnswerKind; 3] = [AnswerKind::Yes; 3];

pub fn sealed_for_policy(id_byte: u8, policy: &str, answers: &[AnswerKind]) -> SealedRecord {
    let session = finished_session(RevisitId::from_random([id_byte; 12]), answers);
    let mut record = Record::of(&session, "test").unwrap();
    record.policy_number = huifang_core::PolicyNumber::parse(policy).unwrap();
    record.seal(&edge_key())
}

pub async fn report(
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
