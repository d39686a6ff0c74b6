//! The insurer's admin calls (admin token): the record list, termination reports (R4, R5), and
//! reading records outside dev mode (R6).

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
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
