//! The face check seam (R8): `POST /face/start` and `POST /face/result`, signed by the edge like
//! the SMS hook, against the simulated provider of dev mode and its page.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;

fn signed(key: &EdgeKey, path: &str, body: Value) -> Request<Body> {
    let body = body.to_string().into_bytes();
    Request::post(path)
        .header("content-type", "application/json")
        .header("host", "127.0.0.1:8862")
        .header("x-huifang-key-id", key.key_id.as_str())
        .header("x-huifang-timestamp", NOW_SECS.to_string())
        .header(
            "x-huifang-signature",
            key.sign_request("POST", path, NOW_SECS, &body),
        )
        .body(Body::from(body))
        .unwrap()
}

fn revisit(seed: u8) -> String {
    RevisitId::from_random([seed; 12]).as_str().to_string()
}

fn start_body(seed: u8) -> Value {
    json!({
        "revisit_id": revisit(seed),
        "return_url": "http://127.0.0.1:8861/r/some-link",
        "lang": "en",
    })
}

/// The tester's verdict on the simulated page; the redirect back to the edge.
async fn verdict(o: &TestOrigin, redirect_url: &str, verdict: &str) -> (StatusCode, HeaderMap) {
    let path = redirect_url.trim_start_matches("http://127.0.0.1:8862");
    let request = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("verdict={verdict}")))
        .unwrap();
    let (status, headers, _) = o.call_raw(request).await;
    (status, headers)
}

fn query(location: &str, name: &str) -> String {
    location
        .split(['#', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_started_check_comes_back_once_for_its_revisit_with_its_ticket() {
    let o = origin();
    let (status, started) = o
        .call(signed(&edge_key(), "/face/start", start_body(1)))
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let redirect = started["redirect_url"].as_str().unwrap();
    let reference = started["reference"].as_str().unwrap();
    assert!(redirect.starts_with("http://127.0.0.1:8862/face/sim/"));

    // The page says it is a simulation, under a policy that runs nothing.
    let path = redirect.trim_start_matches("http://127.0.0.1:8862");
    let (status, headers, html) = o
        .call_raw(Request::get(path).body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Simulated face check") && html.contains("<html lang=\"en\""));
    assert!(!html.contains("<script"));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'") && csp.contains("http://127.0.0.1:8861"));
    let (_, _, zh) = o
        .call_raw(
            Request::get(format!("{path}?lang=zh-CN&large=1"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(zh.contains("模拟人脸识别") && zh.contains("class=\"large\""));

    let (status, headers) = verdict(&o, redirect, "fail").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let back = headers["location"].to_str().unwrap();
    // In the fragment: no server on the way back logs the ticket.
    assert!(back.starts_with("http://127.0.0.1:8861/r/some-link#face_ref="));
    assert_eq!(query(back, "face_ref"), reference);
    let ticket = query(back, "face_ticket");

    let ask = |seed: u8, ticket: &str| json!({ "revisit_id": revisit(seed), "reference": reference, "ticket": ticket });
    // Another revisit's, a forged ticket, an unsigned or stranger-signed call: refused.
    let (status, body) = o
        .call(signed(&edge_key(), "/face/result", ask(2, &ticket)))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("face_reference_foreign"))
    );
    let (status, body) = o
        .call(signed(&edge_key(), "/face/result", ask(1, "t00")))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("face_ticket_invalid"))
    );
    let (status, _) = o
        .call(signed(&stranger_key(), "/face/result", ask(1, &ticket)))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An image or anything else beside the three fields is refused before the provider is asked.
    let mut with_image = ask(1, &ticket);
    with_image["image"] = json!("data:image/jpeg;base64,AAAA");
    let (status, _) = o
        .call(signed(&edge_key(), "/face/result", with_image))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, result) = o
        .call(signed(&edge_key(), "/face/result", ask(1, &ticket)))
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["outcome"], json!("failed"));
    assert_eq!(result["provider"], json!("模拟人脸核验服务"));
    assert_eq!(result["score_band"], json!("low"));
    assert!(result["evidence_id"]
        .as_str()
        .unwrap()
        .starts_with("sim-ev-"));
    let keys: Vec<_> = result.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["evidence_id", "outcome", "provider", "score_band"]);

    // Replayed: refused.
    let (status, body) = o
        .call(signed(&edge_key(), "/face/result", ask(1, &ticket)))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("face_reference_used"))
    );
    // The page is spent.
    let (status, _) = verdict(&o, redirect, "pass").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_requests_are_refused_with_stable_codes() {
    let o = origin();
    let mut body = start_body(1);
    body["return_url"] = json!("javascript:alert(1)");
    let (status, answer) = o.call(signed(&edge_key(), "/face/start", body)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_return_url"))
    );
    let mut body = start_body(1);
    body["return_url"] = json!("http://edge/r/x?next=http://evil");
    let (status, _) = o.call(signed(&edge_key(), "/face/start", body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let unknown = json!({ "revisit_id": revisit(1), "reference": "sim-ref-x", "ticket": "t" });
    let (status, answer) = o.call(signed(&edge_key(), "/face/result", unknown)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("face_reference_unknown"))
    );
    // Not yet decided on the page.
    let (_, started) = o
        .call(signed(&edge_key(), "/face/start", start_body(1)))
        .await;
    let pending =
        json!({ "revisit_id": revisit(1), "reference": started["reference"], "ticket": "t" });
    let (status, answer) = o.call(signed(&edge_key(), "/face/result", pending)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("face_pending"))
    );
    // A verdict that is none of the three.
    let (status, _) = verdict(&o, started["redirect_url"].as_str().unwrap(), "maybe").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn without_a_provider_both_calls_say_so_and_the_page_is_not_there() {
    let o = origin_with(false);
    let (status, body) = o
        .call(signed(&edge_key(), "/face/start", start_body(1)))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("face_provider_unavailable")
        )
    );
    let (status, _, _) = o
        .call_raw(Request::get("/face/sim/p00").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
