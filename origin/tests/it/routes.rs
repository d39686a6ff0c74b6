//! What every route shares: health, unknown routes and wrong methods get our error JSON.

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use crate::common;

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

// Issue 12: every kind of answer (success, refusal, unknown route, wrong method, the report) is never
// cached and never sniffed. Each row: the request, the status expected (so the row is what it says).
#[tokio::test]
async fn every_answer_is_no_store_and_nosniff() {
    let o = origin();
    let sealed = sealed_with(&edge_key(), 9, &ALL_YES);
    let id = sealed.record.revisit_id.clone();
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
    let rows: Vec<(&str, Request<Body>, StatusCode)> = vec![
        ("health", get("/healthz"), StatusCode::OK),
        ("a record", get(&format!("/records/{id}")), StatusCode::OK),
        (
            "the report",
            get(&format!("/records/{id}/report")),
            StatusCode::OK,
        ),
        (
            "a refused record",
            json_post("/records", b"{}".to_vec()),
            StatusCode::BAD_REQUEST,
        ),
        ("an unknown route", get("/nowhere"), StatusCode::NOT_FOUND),
        (
            "a wrong method",
            get("/sms"),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    let mut checked = 0;
    for (what, request, expected) in rows {
        let (status, headers, _) = o.call_raw(request).await;
        assert_eq!(status, expected, "{what}");
        assert_eq!(
            headers.get("cache-control").map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{what}"
        );
        assert_eq!(
            headers
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{what}"
        );
        checked += 1;
    }
    assert_eq!(checked, 6);
}
