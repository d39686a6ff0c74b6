//! What every route shares: health, unknown routes and wrong methods get our error JSON.

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
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
