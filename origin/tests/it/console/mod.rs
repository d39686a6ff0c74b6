//! The staff console (issue 13, item 6) driven through the origin's router as a browser would:
//! login (good, bad, throttled), the session cookie and the CSRF token on every form, roles (the
//! auditor reads but cannot act; the seller never sees their own case), actions through the forms,
//! the CSV export, the staff log, and a scan proving that no link token or SMS code appears in any
//! console page, export or log, with a positive control.

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use crate::common;

// The tests, by what they cover; each uses the harness below (`use super::*`).
mod casework;
mod privacy;
mod sessions;

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
