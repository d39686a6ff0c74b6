//! The SMS hook (`POST /sms`, signed by the edge, R8) and the dev outbox (`GET /sms/outbox`).

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
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
