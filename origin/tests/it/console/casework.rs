//! Cases worked through the forms by role: close, four eyes, read-only auditor, the seller's own case,
//! assignment, the CSV export.

use super::*;

#[tokio::test]
async fn a_no_answer_becomes_a_case_in_the_reviewer_queue_and_a_reviewer_closes_it_by_form() {
    let c = console();
    let case = c.archive(&problem(3), None);
    let s = c.login("rev-1").await;
    let queue = c.get("/console/queue", Some(&s.cookie)).await;
    assert!(queue.body.contains(case.as_str()), "{}", queue.body);
    assert!(queue.body.contains("问题件"));

    let page = c
        .get(&format!("/console/cases/{case}"), Some(&s.cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("没有收到合同"),
        "the policyholder's words are shown"
    );
    assert!(page.body.contains("张*"), "the name, masked");
    assert!(page.body.contains("138****5678"), "the phone, masked");
    assert!(page.body.contains(&format!(
        "/console/records/{}/report",
        case.as_str().split('.').next().unwrap()
    )));
    assert!(page.body.contains("value=\"explained_and_confirmed\""));
    assert!(
        !page.body.contains("value=\"completed_by_phone\""),
        "only what fits is offered"
    );

    // Bad input: a form the rules refuse shows why and changes nothing.
    let before = c.log_len(&case);
    let uri = format!("/console/cases/{case}/actions");
    let bad = c
        .post(
            &uri,
            Some(&s.cookie),
            &[
                ("csrf", &s.csrf),
                ("action", "resolve"),
                ("resolution", "completed_by_phone"),
                ("detail", "REC-1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("该结案方式不适用于此案件"),
        "{}",
        bad.body
    );
    let bad = c
        .post(
            &uri,
            Some(&s.cookie),
            &[
                ("csrf", &s.csrf),
                ("action", "resolve"),
                ("resolution", "re_revisited"),
                ("detail", "not an id"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("新回访编号格式不正确"));
    let bad = c
        .post(
            &uri,
            Some(&s.cookie),
            &[("csrf", &s.csrf), ("action", "drop_table")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Too long for a form: refused before anything is read.
    let long = "很".repeat(20_000);
    let bad = c
        .post(
            &uri,
            Some(&s.cookie),
            &[
                ("csrf", &s.csrf),
                ("action", "mark_mis_selling"),
                ("note", &long),
            ],
        )
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
    let long = "a".repeat(2_001);
    let bad = c
        .post(
            &uri,
            Some(&s.cookie),
            &[
                ("csrf", &s.csrf),
                ("action", "mark_mis_selling"),
                ("note", &long),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("文字过长"));
    assert_eq!(c.log_len(&case), before);

    let done = c
        .post(
            &uri,
            Some(&s.cookie),
            &[
                ("csrf", &s.csrf),
                ("action", "resolve"),
                ("resolution", "explained_and_confirmed"),
                ("note", "已电话解释，投保人确认收到合同"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), format!("/console/cases/{case}"));
    let log = c.store.case_log(&case).unwrap();
    assert_eq!(log.len(), before + 1);
    let last = &log.last().unwrap().entry;
    assert_eq!(last.by, "rev-1");
    assert_eq!(
        serde_json::to_value(&last.event).unwrap()["event"],
        json!("closed")
    );
    let page = c
        .get(&format!("/console/cases/{case}"), Some(&s.cookie))
        .await;
    assert!(page.body.contains("已结案"));
    assert!(
        page.body.contains("已电话解释，投保人确认收到合同"),
        "the timeline shows the note"
    );
    let queue = c.get("/console/queue", Some(&s.cookie)).await;
    assert!(
        !queue.body.contains(case.as_str()),
        "a closed case leaves the queue"
    );
    assert!(c.staff_actions().contains(&(
        "rev-1".into(),
        "case_action:resolve".into(),
        Some(case.to_string()),
        "ok".into()
    )));
}

#[tokio::test]
async fn a_mis_selling_case_cannot_be_closed_by_one_person() {
    let c = console();
    let case = c.archive(&problem(4), None);
    let (a, b) = (c.login("rev-1").await, c.login("rev-2").await);
    let uri = format!("/console/cases/{case}/actions");
    let r = c
        .post(
            &uri,
            Some(&a.cookie),
            &[
                ("csrf", &a.csrf),
                ("action", "mark_mis_selling"),
                ("note", "夸大收益"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c
        .post(
            &uri,
            Some(&a.cookie),
            &[
                ("csrf", &a.csrf),
                ("action", "resolve"),
                ("resolution", "contract_corrected"),
                ("note", "合同已更正"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let before = c.log_len(&case);
    let own = c
        .post(
            &uri,
            Some(&a.cookie),
            &[("csrf", &a.csrf), ("action", "approve")],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert!(own.body.contains("第二人批准"));
    assert_eq!(c.log_len(&case), before);
    let page = c
        .get(&format!("/console/cases/{case}"), Some(&b.cookie))
        .await;
    assert!(
        page.body.contains("value=\"approve\""),
        "the second person is offered approval"
    );
    let r = c
        .post(
            &uri,
            Some(&b.cookie),
            &[("csrf", &b.csrf), ("action", "approve"), ("note", "同意")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = c
        .get(&format!("/console/cases/{case}"), Some(&b.cookie))
        .await;
    assert!(page.body.contains("已结案"));
}

#[tokio::test]
async fn the_auditor_reads_but_cannot_act_and_the_seller_never_sees_their_case() {
    let c = console();
    let mine = c.archive(&problem(5), Some("S-7"));
    let other = c.archive(&problem(6), Some("S-8"));

    let audit = c.login("audit-1").await;
    let queue = c
        .get("/console/queue?queue=reviewer", Some(&audit.cookie))
        .await;
    assert!(queue.body.contains(mine.as_str()) && queue.body.contains(other.as_str()));
    assert_eq!(
        c.get("/console/queue?queue=branch", Some(&audit.cookie))
            .await
            .status,
        StatusCode::OK
    );
    let page = c
        .get(&format!("/console/cases/{mine}"), Some(&audit.cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("name=\"action\""),
        "no action form for an auditor"
    );
    assert!(page.body.contains("只能查看"));
    let before = c.log_len(&mine);
    let r = c
        .post(
            &format!("/console/cases/{mine}/actions"),
            Some(&audit.cookie),
            &[
                ("csrf", &audit.csrf),
                ("action", "resolve"),
                ("resolution", "explained_and_confirmed"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("只能查看案件，不能操作"));
    assert_eq!(c.log_len(&mine), before);

    let seller = c.login("seller-1").await;
    let queue = c.get("/console/queue", Some(&seller.cookie)).await;
    assert!(
        !queue.body.contains(mine.as_str()),
        "the seller's own case is not listed"
    );
    assert!(queue.body.contains(other.as_str()));
    let csv = c.get("/console/queue.csv", Some(&seller.cookie)).await;
    assert!(!csv.body.contains(mine.as_str()));
    assert_eq!(
        c.get(&format!("/console/cases/{mine}"), Some(&seller.cookie))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let rid = mine.as_str().split('.').next().unwrap();
    assert_eq!(
        c.get(
            &format!("/console/records/{rid}/report"),
            Some(&seller.cookie)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let r = c
        .post(
            &format!("/console/cases/{mine}/actions"),
            Some(&seller.cookie),
            &[
                ("csrf", &seller.csrf),
                ("action", "assign"),
                ("to", "seller-1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(c.log_len(&mine), before);
    // The call agent does not read the reviewers' queue.
    let agent = c.login("agent-1").await;
    assert_eq!(
        c.get("/console/queue?queue=reviewer", Some(&agent.cookie))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_supervisor_assigns_a_case_only_to_staff_who_exist() {
    let c = console();
    let case = c.archive(&problem(11), None);
    let boss = c.login("boss").await;
    let uri = format!("/console/cases/{case}/actions");
    let before = c.log_len(&case);
    let r = c
        .post(
            &uri,
            Some(&boss.cookie),
            &[("csrf", &boss.csrf), ("action", "assign"), ("to", "ghost")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("没有这个工号"));
    assert_eq!(c.log_len(&case), before);
    let r = c
        .post(
            &uri,
            Some(&boss.cookie),
            &[("csrf", &boss.csrf), ("action", "assign"), ("to", "rev-2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = c
        .get(&format!("/console/cases/{case}"), Some(&boss.cookie))
        .await;
    assert!(page.body.contains("交由 rev-2"));
}

#[tokio::test]
async fn the_queue_exports_as_csv_and_the_export_is_logged() {
    let c = console();
    let a = c.archive(&problem(7), None);
    let b = c.archive(&problem(8), None);
    let boss = c.login("boss").await;
    let reply = c
        .get("/console/queue.csv?queue=reviewer", Some(&boss.cookie))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(reply.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("queue-reviewer.csv"));
    let mut rows = csv::Reader::from_reader(reply.body.as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header[0], "case_id");
    assert_eq!(header[6], "due_beijing");
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    let ids: Vec<&str> = records.iter().map(|r| &r[0]).collect();
    assert!(ids.contains(&a.as_str()) && ids.contains(&b.as_str()));
    for r in &records {
        assert_eq!(&r[1], "问题件");
        assert_eq!(&r[3], "处理中");
        // The end of a Beijing day, said as such (the provisional date past the holiday table).
        assert!(
            r[6].starts_with("2027-") && r[6].ends_with("当日结束"),
            "{}",
            &r[6]
        );
        assert_eq!(
            &r[7], "false",
            "provisional: the holiday table ends with 2026"
        );
    }
    assert!(c.staff_actions().contains(&(
        "boss".into(),
        "export_queue".into(),
        Some("reviewer".into()),
        "ok".into()
    )));
}
