//! The staff console (issue 13, item 6) driven through the origin's router as a browser would:
//! login (good, bad, throttled), the session cookie and the CSRF token on every form, roles (the
//! auditor reads but cannot act; the seller never sees their own case), actions through the forms,
//! the CSV export, the staff log, and a scan proving that no link token or SMS code appears in any
//! console page, export or log, with a positive control.

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use common::*;
use huifang_core::casework::Role;
use huifang_core::working_days::WorkingCalendar;
use origin::archive::sqlite::SqliteArchive;
use origin::archive::{Archive, NewRecord};
use origin::casework::open::openings;
use origin::casework::{CaseId, CaseStore};
use origin::console::accounts::{hash_password, StaffAccount, StaffStore};
use origin::console::ConsoleSettings;
use origin::dev::outbox::Outbox;
use origin::server::admin::AdminToken;
use origin::server::settings::ApiSettings;
use origin::{app, AppState};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";
const NO: [AnswerKind; 3] = [AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes];

/// An origin with the console, its store at hand, and its own directory (removed on drop).
struct Console {
    router: Router,
    store: Arc<SqliteArchive>,
    dir: PathBuf,
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn console() -> Console {
    console_at(clock)
}

fn console_at(clock: fn() -> Timestamp) -> Console {
    console_with(clock, false)
}

/// Two days before the fixtures' cooling-off end (T0 + 15 days), 16:00 Beijing: a phone task is
/// with the branch.
fn two_days_before_cooling_off_ends() -> Timestamp {
    huifang_core::fixtures::T0.plus_millis(13 * huifang_core::time::DAY_MS)
}

fn console_with(clock: fn() -> Timestamp, secure_cookie: bool) -> Console {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "huifang-console-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(SqliteArchive::open(&dir.join("origin.sqlite3")).unwrap());
    let keys = TrustedKeys::parse(&format!("edge-1={}", edge_key().public_key_hex())).unwrap();
    let settings = ApiSettings {
        edge_keys: keys,
        dev_mode: true,
        admin_token: Some(AdminToken::parse(ADMIN).unwrap()),
    };
    let gateway = Arc::new(Outbox::new(Arc::clone(&store) as Arc<dyn Archive>));
    let state = AppState::new(
        Arc::clone(&store),
        gateway,
        settings,
        WorkingCalendar::shipped().unwrap(),
    )
    .with_clock(clock)
    .with_console(ConsoleSettings {
        secure_cookie,
        receipts_dir: Some(dir.join("receipts")),
    });
    for (id, role, seller) in [
        ("rev-1", Role::Reviewer, None),
        ("rev-2", Role::Reviewer, None),
        ("seller-1", Role::Reviewer, Some("S-7")),
        ("audit-1", Role::Auditor, None),
        ("boss", Role::Supervisor, None),
        ("agent-1", Role::CallAgent, None),
    ] {
        let account = StaffAccount {
            staff_id: id.into(),
            display_name: format!("{id} 名"),
            role,
            seller_code: seller.map(str::to_string),
            password_hash: hash_password(PASSWORD).unwrap(),
            disabled: false,
        };
        assert!(store.add_staff(&account, clock()).unwrap());
    }
    Console {
        router: app(state),
        store,
        dir,
    }
}

/// A reply: status, headers, body text.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

fn cookie_value(set_cookie: &str) -> String {
    let first = set_cookie.split(';').next().unwrap();
    first.split_once('=').unwrap().1.to_string()
}

/// The value of the first hidden `csrf` field in a page.
fn csrf_in(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    page[at..at + 64].to_string()
}

fn encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Console {
    async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(uri);
        if let Some(c) = cookie {
            request = request.header("cookie", c);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, uri: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
        let mut request =
            Request::post(uri).header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            request = request.header("cookie", c);
        }
        self.send(request.body(Body::from(encode(form))).unwrap())
            .await
    }

    async fn try_login(&self, id: &str, password: &str) -> Reply {
        let page = self.get("/console/login", None).await;
        assert_eq!(page.status, StatusCode::OK);
        let bound = cookie_value(&page.set_cookie("huifang_login").unwrap());
        let token = csrf_in(&page.body);
        self.post(
            "/console/login",
            Some(&format!("huifang_login={bound}")),
            &[("csrf", &token), ("staff_id", id), ("password", password)],
        )
        .await
    }

    /// Logs in; the session cookie header and the session's CSRF token.
    async fn login(&self, id: &str) -> Session {
        let reply = self.try_login(id, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        assert_eq!(reply.location(), "/console/queue");
        let cookie = format!(
            "huifang_staff={}",
            cookie_value(&reply.set_cookie("huifang_staff").unwrap())
        );
        let queue = self.get("/console/queue", Some(&cookie)).await;
        assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
        Session {
            csrf: csrf_in(&queue.body),
            cookie,
        }
    }

    /// Archives `sealed` with its cases, the seller's code on them when given.
    fn archive(&self, sealed: &SealedRecord, seller: Option<&str>) -> CaseId {
        let calendar = WorkingCalendar::shipped().unwrap();
        let mut cases = openings(&sealed.record, clock(), &calendar);
        for case in &mut cases {
            case.seller_code = seller.map(str::to_string);
        }
        let entry = NewRecord::of(sealed, clock()).unwrap().opening(cases);
        self.store.archive_record(&entry).unwrap();
        CaseId::of(&sealed.record.revisit_id, 1)
    }

    fn log_len(&self, id: &CaseId) -> usize {
        self.store.case_log(id).unwrap().len()
    }

    fn staff_actions(&self) -> Vec<(String, String, Option<String>, String)> {
        let mut log = self.store.staff_log(1_000).unwrap();
        log.reverse();
        log.into_iter()
            .map(|e| (e.staff_id, e.action, e.target, e.outcome))
            .collect()
    }
}

struct Session {
    cookie: String,
    csrf: String,
}

fn problem(id_byte: u8) -> SealedRecord {
    sealed_with(&edge_key(), id_byte, &NO)
}

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
