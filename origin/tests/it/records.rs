//! `POST /records` and `GET /records/{id}`: verified, archived once, read back re-verified (R3, R4,
//! R11, R12).

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use huifang_core::fixtures::{at, open, sample_revisit};
use huifang_core::session::{Event, Session};

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
        serde_json::from_str(include_str!("../../../core/testdata/format1-record.json")).unwrap();
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
