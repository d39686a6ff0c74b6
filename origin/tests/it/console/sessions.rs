//! Login, the session cookie and the CSRF token: nothing is shown or done without them.

use super::*;

#[tokio::test]
async fn a_good_login_opens_a_session_a_bad_one_is_refused_and_five_failures_throttle() {
    let c = console();
    let page = c.get("/console/login", None).await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(
        !page.body.contains("<script"),
        "no script on the login page"
    );

    let wrong = c.try_login("rev-1", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("用户名或密码错误"));
    assert!(wrong.set_cookie("huifang_staff").is_none());
    let unknown = c.try_login("nobody", "whatever-123").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);

    // A form not bound to this browser's login cookie is refused before the password is tried.
    let page = c.get("/console/login", None).await;
    let unbound = c
        .post(
            "/console/login",
            None,
            &[
                ("csrf", &csrf_in(&page.body)),
                ("staff_id", "rev-1"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(unbound.status, StatusCode::FORBIDDEN);
    assert!(unbound.set_cookie("huifang_staff").is_none());

    let good = c.try_login("rev-2", PASSWORD).await;
    assert_eq!(good.status, StatusCode::SEE_OTHER);
    let cookie = good.set_cookie("huifang_staff").unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "not over plain HTTP");
    let id = cookie_value(&cookie);
    assert_eq!(id.len(), 64);

    // Four more failures make five in 15 minutes: then even the right password is refused.
    for _ in 0..4 {
        assert_eq!(
            c.try_login("rev-1", "guess-guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = c.try_login("rev-1", PASSWORD).await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.body.contains("15分钟"));
    assert!(throttled.set_cookie("huifang_staff").is_none());
    // Another account is not throttled by rev-1's failures.
    c.login("rev-2").await;

    let actions: Vec<_> = c
        .staff_actions()
        .into_iter()
        .map(|(who, action, _, _)| format!("{who}:{action}"))
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "rev-1:login_failed")
            .count(),
        5
    );
    assert!(actions.contains(&"nobody:login_failed".to_string()));
    assert!(actions.contains(&"rev-1:login_throttled".to_string()));
    assert!(actions.contains(&"rev-2:login".to_string()));
    // A session lasts one shift.
    let key = origin::console::accounts::session_key(&id);
    let shift = origin::console::session::SESSION_MS;
    assert!(c
        .store
        .session(&key, clock().plus_millis(shift - 1))
        .unwrap()
        .is_some());
    assert!(c
        .store
        .session(&key, clock().plus_millis(shift))
        .unwrap()
        .is_none());
    // The store keeps the session only by its hash.
    let raw = std::fs::read(c.dir.join("origin.sqlite3")).unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains(&id));
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure() {
    let c = console_with(clock, true);
    let page = c.get("/console/login", None).await;
    assert!(page
        .set_cookie("huifang_login")
        .unwrap()
        .contains("; Secure"));
    let good = c.try_login("rev-1", PASSWORD).await;
    let cookie = good.set_cookie("huifang_staff").unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
}

#[tokio::test]
async fn without_a_live_session_nothing_is_shown_or_done() {
    let c = console();
    let case = c.archive(&problem(1), None);
    let before = c.log_len(&case);
    for uri in [
        "/console/queue".to_string(),
        "/console/queue.csv".to_string(),
        format!("/console/cases/{case}"),
    ] {
        for cookie in [
            None,
            Some("huifang_staff=".to_string() + &"ab".repeat(32)),
            Some("huifang_staff=junk".into()),
        ] {
            let reply = c.get(&uri, cookie.as_deref()).await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{uri}");
            assert_eq!(reply.location(), "/console/login");
        }
    }
    let reply = c
        .post(
            &format!("/console/cases/{case}/actions"),
            None,
            &[
                ("action", "resolve"),
                ("resolution", "explained_and_confirmed"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(c.log_len(&case), before);

    // After logout the same cookie opens nothing.
    let s = c.login("rev-1").await;
    let out = c
        .post("/console/logout", Some(&s.cookie), &[("csrf", &s.csrf)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out
        .set_cookie("huifang_staff")
        .unwrap()
        .contains("Max-Age=0"));
    let reply = c.get("/console/queue", Some(&s.cookie)).await;
    assert_eq!(reply.location(), "/console/login");
    assert!(c
        .staff_actions()
        .iter()
        .any(|(who, action, _, _)| who == "rev-1" && action == "logout"));
}

#[tokio::test]
async fn a_missing_or_wrong_csrf_token_is_refused_and_changes_nothing() {
    let c = console();
    let case = c.archive(&problem(2), None);
    let before = c.log_len(&case);
    let s = c.login("rev-1").await;
    let uri = format!("/console/cases/{case}/actions");
    let close = [
        ("action", "resolve"),
        ("resolution", "explained_and_confirmed"),
        ("note", "已解释"),
    ];
    for token in [None, Some("0".repeat(64)), Some("x".into())] {
        let mut form = close.to_vec();
        if let Some(t) = &token {
            form.push(("csrf", t));
        }
        let reply = c.post(&uri, Some(&s.cookie), &form).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{token:?}");
        assert!(reply.body.contains("未做任何更改"));
    }
    // Another session's token is no good either.
    let other = c.login("rev-2").await;
    let mut form = close.to_vec();
    form.push(("csrf", &other.csrf));
    assert_eq!(
        c.post(&uri, Some(&s.cookie), &form).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(c.log_len(&case), before);
    // Logout needs the token too.
    assert_eq!(
        c.post("/console/logout", Some(&s.cookie), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.get("/console/queue", Some(&s.cookie)).await.status,
        StatusCode::OK
    );
    let refused = c
        .staff_actions()
        .iter()
        .filter(|(_, action, _, _)| action == "csrf_refused")
        .count();
    assert_eq!(refused, 5);
}
