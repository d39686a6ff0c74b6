//! The back office's cases at the origin (issue 13, item 3; R11, R12): opened from archived
//! records once, worked as queues through `GET /cases`, `GET /cases/{id}` and
//! `POST /cases/{id}/actions`, kept as an append-only, hash-chained log that `verify-archive`
//! re-checks.

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use huifang_core::fixtures::{at, open, sample_revisit};
use huifang_core::session::{Event, Session};
use huifang_core::time::DAY_MS;
use origin::archive::sqlite::SqliteArchive;
use origin::casework::verify::verify_case_log;
use std::path::PathBuf;

/// Fri 25 Sep 2026, 10:00 Beijing: inside the holiday table (a "no" found now is due 22 Oct 2026).
fn friday_before_national_day() -> Timestamp {
    Timestamp::parse_rfc3339("2026-09-25T02:00:00Z").unwrap()
}

/// Two days before the fixtures' cooling-off end (T0 + 15 days), 16:00 Beijing.
fn two_days_before_cooling_off_ends() -> Timestamp {
    huifang_core::fixtures::T0.plus_millis(13 * DAY_MS)
}

const NO: [AnswerKind; 3] = [AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes];

fn staff_request(
    request: axum::http::request::Builder,
    staff: &str,
    role: &str,
) -> axum::http::request::Builder {
    request
        .header("authorization", format!("Bearer {ADMIN}"))
        .header("x-huifang-staff", staff)
        .header("x-huifang-role", role)
}

async fn staff_get(o: &TestOrigin, uri: &str, staff: &str, role: &str) -> (StatusCode, Value) {
    let request = staff_request(Request::get(uri), staff, role);
    o.call(request.body(Body::empty()).unwrap()).await
}

async fn act(
    o: &TestOrigin,
    case: &str,
    staff: &str,
    role: &str,
    command: Value,
) -> (StatusCode, Value) {
    let request = staff_request(Request::post(format!("/cases/{case}/actions")), staff, role)
        .header("content-type", "application/json");
    o.call(request.body(Body::from(command.to_string())).unwrap())
        .await
}

async fn queue(o: &TestOrigin, queue: &str) -> Vec<Value> {
    let (status, body) = staff_get(o, &format!("/cases?queue={queue}"), "boss", "supervisor").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["queue"], json!(queue));
    body["cases"].as_array().unwrap().clone()
}

fn expired(id_byte: u8) -> SealedRecord {
    let s = Session::new(sample_revisit(RevisitId::from_random([id_byte; 12])));
    let (s, _) = s.apply(open(), at(1));
    let (s, result) = s.apply(Event::Expire, at(15 * 24 * 3600));
    result.unwrap();
    Record::of(&s, "test").unwrap().seal(&edge_key())
}

fn switched(id_byte: u8) -> SealedRecord {
    let s = Session::new(sample_revisit(RevisitId::from_random([id_byte; 12])));
    let (s, _) = s.apply(open(), at(1));
    let (s, result) = s.apply(Event::SwitchToPhone { reason: None }, at(5));
    result.unwrap();
    Record::of(&s, "test").unwrap().seal(&edge_key())
}

fn archive_file(o: &TestOrigin) -> PathBuf {
    o.dir.join("origin.sqlite3")
}

// R12: a "no" becomes one problem case in the reviewer's queue, due 15 working days after discovery.
#[tokio::test]
async fn a_no_opens_one_problem_case_in_the_reviewer_queue_even_delivered_twice() {
    let o = origin_at(false, Some(ADMIN), friday_before_national_day);
    let sealed = sealed_with(&edge_key(), 1, &NO);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    assert_eq!(o.post_record(&sealed).await.1["duplicate"], json!(true));
    // An all-yes record opens nothing.
    assert_eq!(
        o.post_record(&sealed_with(&edge_key(), 2, &ALL_YES))
            .await
            .0,
        StatusCode::OK
    );

    let (status, body) = staff_get(&o, "/cases", "rev-1", "reviewer").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["queue"], json!("reviewer"));
    let cases = body["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{body}");
    let case = &cases[0];
    let id = format!("{}.1", sealed.record.revisit_id);
    assert_eq!(case["case_id"], json!(id));
    assert_eq!(case["kind"], json!("problem"));
    assert_eq!(case["state"], json!("open"));
    assert_eq!(
        case["findings"],
        json!([{"finding": "item_declined", "item_id": sealed.record.items[1].id, "comment": "没有收到合同"}])
    );
    // The Friday before National Day 2026: due at the end of Thu 22 Oct, Beijing.
    assert_eq!(case["due_at"], json!("2026-10-22T16:00:00.000Z"));
    assert_eq!(case["due_exact"], json!(true));
    assert_eq!(case["working_days_left"], json!(15));
    assert_eq!(case["overdue"], json!(false));
    assert!(queue(&o, "call_agent").await.is_empty());
    assert!(queue(&o, "branch").await.is_empty());

    let (status, view) = staff_get(&o, &format!("/cases/{id}"), "rev-1", "reviewer").await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let timeline = view["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0]["by"], json!("system"));
    assert_eq!(timeline[0]["event"]["event"], json!("opened"));
    assert_eq!(timeline[0]["at"], json!("2026-09-25T02:00:00.000Z"));
    // Nothing a staff view shows could open the revisit: the record has no link or code.
    let text = view.to_string();
    assert!(!text.contains("token") && !text.contains("otp"), "{text}");
}

// Past the holiday table the record is archived and its case opened, with a provisional due date
// flagged as such (15 calendar days: never later than the true deadline).
#[tokio::test]
async fn past_the_holiday_table_the_case_opens_with_a_provisional_due_date() {
    // The common clock: 15 Jan 2027, past the table's last year (2026).
    let o = origin_configured(false, Some(ADMIN));
    let sealed = sealed_with(&edge_key(), 3, &NO);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    assert_eq!(
        o.admin_get(&format!("/records/{}", sealed.record.revisit_id), ADMIN)
            .await
            .0,
        StatusCode::OK
    );
    let cases = queue(&o, "reviewer").await;
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["due_at"], json!("2027-01-30T16:00:00.000Z"));
    assert_eq!(cases[0]["due_exact"], json!(false));
    assert_eq!(cases[0]["working_days_left"], Value::Null);
}

// R11: an expired revisit becomes a task for the call centre, due at the cooling-off end.
#[tokio::test]
async fn an_expired_record_becomes_a_call_centre_task() {
    let o = origin_configured(false, Some(ADMIN));
    let sealed = expired(4);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    assert!(queue(&o, "reviewer").await.is_empty());
    let (status, body) = staff_get(&o, "/cases", "agent-1", "call_agent").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cases = body["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["kind"], json!("fallback"));
    assert_eq!(cases[0]["fallback_reason"], json!("expired"));
    assert_eq!(cases[0]["channel"], json!("call_centre"));
    assert_eq!(
        cases[0]["due_at"],
        json!(sealed.record.cooling_off_ends_at.to_rfc3339())
    );
    assert_eq!(cases[0]["call_attempts_left"], json!(6));
}

// R11: at most 6 logged call attempts, then the branch (letter or visit).
#[tokio::test]
async fn six_failed_calls_send_the_task_to_the_branch() {
    // 16:10 Beijing: inside calling hours.
    let o = origin_configured(false, Some(ADMIN));
    let sealed = switched(5);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    let id = format!("{}.1", sealed.record.revisit_id);
    let call = json!({"command": "log_call", "result": "no_answer", "note": "无人接听"});
    for attempt in 1..=6u8 {
        let (status, body) = act(&o, &id, "agent-1", "call_agent", call.clone()).await;
        assert_eq!(status, StatusCode::OK, "attempt {attempt}: {body}");
        assert_eq!(body["call_attempts"], json!(attempt));
    }
    assert!(queue(&o, "call_agent").await.is_empty());
    let branch = queue(&o, "branch").await;
    assert_eq!(branch.len(), 1);
    assert_eq!(branch[0]["channel"], json!("branch"));
    assert_eq!(branch[0]["call_attempts_left"], json!(0));
    let (_, view) = staff_get(&o, &format!("/cases/{id}"), "agent-1", "call_agent").await;
    let timeline = view["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 8, "{view}");
    assert!(timeline[1..7].iter().all(|e| e["by"] == json!("agent-1")
        && e["event"]["event"] == json!("call_logged")
        && e["at"] == json!("2027-01-15T08:10:00.000Z")));
    assert_eq!(
        timeline[7]["event"],
        json!({"event": "routed_to_branch", "reason": "attempts_exhausted"})
    );
    // A seventh call is the branch's business now.
    let (status, body) = act(&o, &id, "agent-1", "call_agent", call).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::FORBIDDEN, json!("not_your_work"))
    );
}

// R11: at 3 days or fewer of the cooling-off period the system routes a phone task to the branch;
// the queue shows it there at once, and the log says the system did it and when.
#[tokio::test]
async fn a_task_with_three_days_left_is_routed_to_the_branch_by_the_sweep() {
    let o = origin_at(false, Some(ADMIN), two_days_before_cooling_off_ends);
    let sealed = switched(6);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    assert!(queue(&o, "call_agent").await.is_empty());
    let branch = queue(&o, "branch").await;
    assert_eq!(branch.len(), 1);
    let id = branch[0]["case_id"].as_str().unwrap().to_string();
    let (_, view) = staff_get(&o, &format!("/cases/{id}"), "branch-1", "branch_handler").await;
    let timeline = view["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 2, "swept once, not on every read: {view}");
    assert_eq!(timeline[1]["by"], json!("system"));
    assert_eq!(
        timeline[1]["event"],
        json!({"event": "routed_to_branch", "reason": "cooling_off_ending"})
    );
}

// A refused action appends nothing: the case and its log stay as they were.
#[tokio::test]
async fn a_refused_action_changes_nothing() {
    let o = origin_configured(false, Some(ADMIN));
    let sealed = switched(7);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    let id = format!("{}.1", sealed.record.revisit_id);
    let (_, before) = staff_get(&o, &format!("/cases/{id}"), "boss", "supervisor").await;
    let refused = [
        (
            "aud-1",
            "auditor",
            json!({"command": "log_call", "result": "busy", "note": ""}),
            StatusCode::FORBIDDEN,
            "read_only",
        ),
        (
            "rev-1",
            "reviewer",
            json!({"command": "log_call", "result": "busy", "note": ""}),
            StatusCode::FORBIDDEN,
            "not_your_work",
        ),
        (
            "agent-1",
            "call_agent",
            json!({"command": "resolve", "resolution": {"resolution": "explained_and_confirmed"}, "note": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "resolution_does_not_fit",
        ),
        (
            "agent-1",
            "call_agent",
            json!({"command": "resolve", "resolution": {"resolution": "completed_by_phone", "recording_ref": " "}, "note": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_input",
        ),
        (
            "agent-1",
            "call_agent",
            json!({"command": "approve", "note": "ok"}),
            StatusCode::CONFLICT,
            "nothing_proposed",
        ),
        (
            "agent-1",
            "call_agent",
            json!({"command": "assign", "to": "agent-2"}),
            StatusCode::FORBIDDEN,
            "not_your_work",
        ),
        (
            "agent-1",
            "call_agent",
            json!({"command": "log_call", "result": "maybe", "note": ""}),
            StatusCode::BAD_REQUEST,
            "bad_json",
        ),
    ];
    for (staff, role, command, status, code) in refused {
        let (got, body) = act(&o, &id, staff, role, command.clone()).await;
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{command}: {body}"
        );
        assert!(!body["message"].as_str().unwrap().is_empty());
    }
    let (_, after) = staff_get(&o, &format!("/cases/{id}"), "boss", "supervisor").await;
    assert_eq!(after, before);
    let archive = SqliteArchive::open_existing(&archive_file(&o)).unwrap();
    assert_eq!(verify_case_log(&archive).unwrap().entries, 1);
}

#[tokio::test]
async fn staff_must_be_named_and_may_read_only_their_queue() {
    let o = origin_configured(false, Some(ADMIN));
    let sealed = sealed_with(&edge_key(), 8, &NO);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    // No admin token: refused before anything else.
    let (status, body) = o.get("/cases?queue=reviewer").await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!("admin_token_missing"))
    );
    let no_staff =
        Request::get("/cases?queue=reviewer").header("authorization", format!("Bearer {ADMIN}"));
    let (status, body) = o.call(no_staff.body(Body::empty()).unwrap()).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_staff"))
    );
    for (staff, role) in [
        ("system", "reviewer"),
        ("rev 1", "reviewer"),
        ("rev-1", "boss"),
        ("", "reviewer"),
    ] {
        let (status, body) = staff_get(&o, "/cases", staff, role).await;
        assert_eq!(
            (status, body["code"].clone()),
            (StatusCode::BAD_REQUEST, json!("invalid_staff")),
            "{staff} {role}"
        );
    }
    let (status, body) = staff_get(&o, "/cases?queue=reviewer", "agent-1", "call_agent").await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::FORBIDDEN, json!("queue_not_yours"))
    );
    let (status, body) = staff_get(&o, "/cases", "boss", "supervisor").await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_queue"))
    );
    let (status, body) = staff_get(&o, "/cases?queue=everything", "boss", "supervisor").await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("invalid_queue"))
    );
    // An auditor reads any queue.
    let (status, body) = staff_get(&o, "/cases?queue=reviewer", "aud-1", "auditor").await;
    assert_eq!(
        (status, body["cases"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );
    for missing in ["nothing", "AAAAAAAAAAAAAAAA.1", "AAAAAAAAAAAAAAAA.0"] {
        let (status, body) = staff_get(&o, &format!("/cases/{missing}"), "rev-1", "reviewer").await;
        assert_eq!(
            (status, body["code"].clone()),
            (StatusCode::NOT_FOUND, json!("case_not_found")),
            "{missing}"
        );
    }
    let (status, body) = act(
        &o,
        "AAAAAAAAAAAAAAAA.1",
        "rev-1",
        "reviewer",
        json!({"command": "approve", "note": ""}),
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::NOT_FOUND, json!("case_not_found"))
    );
}

// A problem case worked to its end: assigned, explained and closed; then it leaves the queue and
// refuses more work.
#[tokio::test]
async fn a_reviewer_closes_a_problem_case_and_it_leaves_the_queue() {
    let o = origin_at(false, Some(ADMIN), friday_before_national_day);
    let sealed = sealed_with(&edge_key(), 9, &NO);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    let id = format!("{}.1", sealed.record.revisit_id);
    let (status, body) = act(
        &o,
        &id,
        "rev-1",
        "reviewer",
        json!({"command": "assign", "to": "rev-1"}),
    )
    .await;
    assert_eq!(
        (status, body["assignee"].clone()),
        (StatusCode::OK, json!("rev-1")),
        "{body}"
    );
    let close = json!({"command": "resolve", "resolution": {"resolution": "explained_and_confirmed"}, "note": "已解释"});
    let (status, body) = act(&o, &id, "rev-1", "reviewer", close.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], json!("closed"));
    assert_eq!(
        body["resolution"],
        json!({"resolution": "explained_and_confirmed"})
    );
    assert!(queue(&o, "reviewer").await.is_empty());
    let (status, body) = act(&o, &id, "rev-1", "reviewer", close).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::CONFLICT, json!("case_closed"))
    );
    // A closed case is still read in full.
    let (_, view) = staff_get(&o, &format!("/cases/{id}"), "aud-1", "auditor").await;
    let by: Vec<_> = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["by"].clone())
        .collect();
    assert_eq!(by, [json!("system"), json!("rev-1"), json!("rev-1")]);
}

// The case log's store itself (stale appends, append-only, tamper evidence) is tested on both
// engines by the store suite (origin/src/archive/store_tests/cases.rs).

// Concurrent actions on one case: whatever the interleaving, each one is applied on the state it
// was decided on or refused as `case_changed`; the log holds exactly the accepted ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_actions_never_apply_on_a_stale_state() {
    let o = std::sync::Arc::new(origin_configured(false, Some(ADMIN)));
    let sealed = switched(12);
    assert_eq!(o.post_record(&sealed).await.0, StatusCode::OK);
    let id = format!("{}.1", sealed.record.revisit_id);
    let calls: Vec<_> = (0..8)
        .map(|i| {
            let o = std::sync::Arc::clone(&o);
            let id = id.clone();
            tokio::spawn(async move {
                let call =
                    json!({"command": "log_call", "result": "busy", "note": format!("call {i}")});
                act(&o, &id, &format!("agent-{i}"), "call_agent", call).await
            })
        })
        .collect();
    let mut accepted = 0;
    for call in calls {
        let (status, body) = call.await.unwrap();
        match status {
            StatusCode::OK => accepted += 1,
            StatusCode::CONFLICT => assert_eq!(body["code"], json!("case_changed"), "{body}"),
            // After six attempts the task is the branch's: a later call is refused by the rules.
            StatusCode::FORBIDDEN => assert_eq!(body["code"], json!("not_your_work"), "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert!((1..=6).contains(&accepted), "{accepted}");
    let (_, view) = staff_get(&o, &format!("/cases/{id}"), "boss", "supervisor").await;
    let logged = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"]["event"] == json!("call_logged"))
        .count();
    assert_eq!(logged, accepted);
    assert_eq!(view["call_attempts"], json!(accepted));
    let archive = SqliteArchive::open_existing(&archive_file(&o)).unwrap();
    assert_eq!(verify_case_log(&archive).unwrap().failures, []);
}
