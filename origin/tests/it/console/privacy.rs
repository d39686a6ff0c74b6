//! What is kept and what never appears: receipts by hash, no link token or SMS code anywhere, the
//! append-only staff log, passwords never in argv.

use super::*;

#[tokio::test]
async fn a_receipt_upload_stores_the_file_and_only_its_hash_goes_into_the_log() {
    let c = console_at(two_days_before_cooling_off_ends);
    // A phone task two days before the cooling-off end is with the branch.
    let s = huifang_core::session::Session::new(huifang_core::fixtures::sample_revisit(
        RevisitId::from_random([9; 12]),
    ));
    let (s, _) = s.apply(
        huifang_core::fixtures::open(),
        huifang_core::fixtures::at(1),
    );
    let (s, r) = s.apply(
        huifang_core::session::Event::Expire,
        huifang_core::fixtures::at(15 * 24 * 3600),
    );
    r.unwrap();
    let sealed = Record::of(&s, "test").unwrap().seal(&edge_key());
    let case = c.archive(&sealed, None);
    let boss = c.login("boss").await;
    // Larger than a form may be (16 KiB): uploads have their own limit.
    let file = format!("signed receipt scan {}", "x".repeat(64 * 1024)).into_bytes();
    let boundary = "XbOuNdArY";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\nletter\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.pdf\"\r\nContent-Type: application/pdf\r\n\r\n{}\r\n--{boundary}--\r\n",
        boss.csrf,
        String::from_utf8(file.clone()).unwrap()
    );
    // Bad uploads change nothing: no file, or no channel.
    let before = c.log_len(&case);
    for (channel, content) in [("letter", ""), ("fax", "scan")] {
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\n{channel}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.pdf\"\r\n\r\n{content}\r\n--{boundary}--\r\n",
            boss.csrf
        );
        let request = Request::post(format!("/console/cases/{case}/receipt"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("cookie", &boss.cookie)
            .body(Body::from(body))
            .unwrap();
        let reply = c.send(request).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{channel}");
        assert!(reply.body.contains("未做任何更改"));
    }
    assert_eq!(c.log_len(&case), before);
    let request = Request::post(format!("/console/cases/{case}/receipt"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("cookie", &boss.cookie)
        .body(Body::from(body))
        .unwrap();
    let reply = c.send(request).await;
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&file))
    };
    let log = c.store.case_log(&case).unwrap();
    let events: Vec<Value> = log
        .iter()
        .map(|e| serde_json::to_value(&e.entry.event).unwrap())
        .collect();
    if reply.status == StatusCode::SEE_OTHER {
        assert!(
            events
                .iter()
                .any(|e| e["event"] == "receipt_attached" && e["sha256"] == json!(sha)),
            "{events:?}"
        );
        assert_eq!(
            std::fs::read(c.dir.join("receipts").join(&sha)).unwrap(),
            file
        );
    } else {
        panic!("upload refused: {} {}", reply.status, reply.body);
    }
}

/// Every place a console user could see, scanned for the SMS's code and link token.
#[tokio::test]
async fn no_link_token_or_sms_code_appears_in_any_console_page_export_or_log() {
    let c = console();
    let sealed = problem(10);
    let case = c.archive(&sealed, None);
    const CODE: &str = "864213";
    const TOKEN: &str = "Lk7QmZp2Xw9VtR4sNb6Yc8Hd";
    let body = json!({
        "revisit_id": sealed.record.revisit_id.as_str(),
        "phone": "13812345678",
        "text": format!("您的回访链接 https://revisit.example/r/{TOKEN} 验证码为{CODE}。"),
    })
    .to_string()
    .into_bytes();
    let ts = NOW_SECS;
    let sms = Request::post("/sms")
        .header("content-type", "application/json")
        .header("x-huifang-key-id", edge_key().key_id.as_str())
        .header("x-huifang-timestamp", ts.to_string())
        .header(
            "x-huifang-signature",
            edge_key().sign_request("POST", "/sms", ts, &body),
        )
        .body(Body::from(body))
        .unwrap();
    assert_eq!(c.send(sms).await.status, StatusCode::ACCEPTED);
    let leaks = |text: &str| {
        [CODE, TOKEN, "13812345678"]
            .into_iter()
            .filter(|s| text.contains(s))
            .collect::<Vec<_>>()
    };
    // Positive control: the secrets are in the origin (the dev outbox shows them), and the scan
    // finds them there.
    let outbox = c.get("/sms/outbox?phone=13812345678", None).await;
    assert_eq!(
        leaks(&outbox.body),
        vec![CODE, TOKEN, "13812345678"],
        "{}",
        outbox.body
    );

    let mut seen = Vec::new();
    seen.push(c.get("/console/login", None).await.body);
    for who in ["rev-1", "boss", "audit-1", "agent-1"] {
        let s = c.login(who).await;
        for uri in [
            "/console/queue".to_string(),
            "/console/queue?queue=reviewer".into(),
            "/console/queue?queue=call_agent".into(),
            "/console/queue?queue=branch".into(),
            "/console/queue.csv?queue=reviewer".into(),
            format!("/console/cases/{case}"),
            format!("/console/records/{}/report", sealed.record.revisit_id),
        ] {
            let reply = c.get(&uri, Some(&s.cookie)).await;
            seen.push(format!("{who} {uri} {}: {}", reply.status, reply.body));
        }
        let reveal = c
            .post(
                &format!("/console/cases/{case}/reveal"),
                Some(&s.cookie),
                &[("csrf", &s.csrf)],
            )
            .await;
        seen.push(reveal.body);
    }
    let s = c.login("rev-1").await;
    let r = c
        .post(
            &format!("/console/cases/{case}/actions"),
            Some(&s.cookie),
            &[
                ("csrf", &s.csrf),
                ("action", "resolve"),
                ("resolution", "explained_and_confirmed"),
                ("note", "已解释"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    seen.push(
        c.get(&format!("/console/cases/{case}"), Some(&s.cookie))
            .await
            .body,
    );
    seen.push(format!("{:?}", c.store.staff_log(10_000).unwrap()));
    seen.push(format!("{:?}", c.store.case_log(&case).unwrap()));
    assert!(
        seen.iter().any(|p| p.contains("138****5678")),
        "the pages were really scanned"
    );
    for page in &seen {
        assert!(leaks(page).is_empty(), "found {:?} in {page}", leaks(page));
    }
    // The reveal was logged, and said the full number is not held here.
    assert!(c
        .staff_actions()
        .iter()
        .any(|(who, action, target, outcome)| who == "rev-1"
            && action == "reveal_phone"
            && target.as_deref() == Some(case.as_str())
            && outcome == "not_available"));
}

#[test]
fn the_staff_log_is_append_only_whatever_code_runs_against_the_file() {
    let c = console();
    c.store
        .log_staff_action(&origin::console::accounts::StaffLogEntry {
            at: clock(),
            staff_id: "rev-1".into(),
            action: "login".into(),
            target: None,
            outcome: "ok".into(),
        })
        .unwrap();
    let conn = rusqlite::Connection::open(c.dir.join("origin.sqlite3")).unwrap();
    for sql in [
        "UPDATE staff_log SET outcome = 'refused'",
        "DELETE FROM staff_log",
    ] {
        let e = conn.execute(sql, []).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");
    }
    assert_eq!(c.store.staff_log(10).unwrap().len(), 1);
}

#[test]
fn staff_add_creates_an_account_with_the_password_from_the_environment_never_argv() {
    let c = console();
    let db = c.dir.join("origin.sqlite3");
    let bin = env!("CARGO_BIN_EXE_huifang-origin");
    let run = |args: &[&str], password: Option<&str>| {
        let mut command = std::process::Command::new(bin);
        command.arg("staff").args(args).arg("--db").arg(&db);
        command.env_remove("HUIFANG_STAFF_PASSWORD");
        if let Some(p) = password {
            command.env("HUIFANG_STAFF_PASSWORD", p);
        }
        command.stdin(std::process::Stdio::null()).output().unwrap()
    };
    let out = run(
        &["add", "--id", "first-admin", "--role", "admin"],
        Some(PASSWORD),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let account = c.store.staff("first-admin").unwrap().unwrap();
    assert_eq!(account.role, Role::Admin);
    assert!(origin::console::accounts::password_matches(
        PASSWORD,
        &account.password_hash
    ));
    assert!(!account.password_hash.contains(PASSWORD));
    // Again: refused, nothing changed.
    let again = run(
        &["add", "--id", "first-admin", "--role", "auditor"],
        Some(PASSWORD),
    );
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        c.store.staff("first-admin").unwrap().unwrap().role,
        Role::Admin
    );
    // A password on the command line, a short one, or a role that does not exist: usage errors.
    for (args, password) in [
        (
            vec![
                "add",
                "--id",
                "x",
                "--role",
                "admin",
                "--password",
                PASSWORD,
            ],
            Some(PASSWORD),
        ),
        (vec!["add", "--id", "x", "--role", "admin"], Some("short")),
        (vec!["add", "--id", "x", "--role", "boss"], Some(PASSWORD)),
        (vec!["add", "--id", "x", "--role", "admin"], None),
    ] {
        let out = run(&args, password);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert!(c.store.staff("x").unwrap().is_none());
}
