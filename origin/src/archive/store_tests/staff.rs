//! The console's staff store, on either engine: accounts, sessions that end and expire, and the
//! staff log, which is only appended to.

use super::fixture::Fixture;
use crate::console::accounts::{StaffAccount, StaffLogEntry};
use huifang_core::casework::Role;
use huifang_core::Timestamp;

fn account(id: &str, role: Role, seller: Option<&str>) -> StaffAccount {
    StaffAccount {
        staff_id: id.into(),
        display_name: format!("Name of {id}"),
        role,
        seller_code: seller.map(str::to_string),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        disabled: false,
    }
}

fn line(at: u64, staff: &str, action: &str) -> StaffLogEntry {
    StaffLogEntry {
        at: Timestamp(at),
        staff_id: staff.into(),
        action: action.into(),
        target: (action == "read_case").then(|| "AAAAAAAAAAAAAAAA.1".to_string()),
        outcome: "ok".into(),
    }
}

pub(super) fn the_staff_store_keeps_accounts_sessions_and_an_append_only_log(f: Fixture) {
    let s = &f.store;
    let agent = account("agent-1", Role::CallAgent, Some("S-9"));
    assert!(s.add_staff(&agent, Timestamp(1)).unwrap());
    // A taken id: refused, nothing changed.
    assert!(!s
        .add_staff(&account("agent-1", Role::Admin, None), Timestamp(2))
        .unwrap());
    assert_eq!(s.staff("agent-1").unwrap(), Some(agent.clone()));
    assert_eq!(s.staff("nobody").unwrap(), None);

    // A session is live until it expires or ends.
    s.start_session("k1", "agent-1", "csrf-1", Timestamp(10), Timestamp(100))
        .unwrap();
    let live = s.session("k1", Timestamp(99)).unwrap().unwrap();
    assert_eq!((live.account, live.csrf_token.as_str()), (agent, "csrf-1"));
    assert_eq!(s.session("k1", Timestamp(100)).unwrap(), None);
    assert_eq!(s.session("k2", Timestamp(50)).unwrap(), None);
    s.start_session("k2", "agent-1", "csrf-2", Timestamp(10), Timestamp(100))
        .unwrap();
    s.end_session("k2", Timestamp(20)).unwrap();
    assert_eq!(s.session("k2", Timestamp(21)).unwrap(), None);

    // The log: counted by name, action and time; read newest first; never changed.
    for (at, action) in [
        (10, "login_failed"),
        (20, "login_failed"),
        (30, "login"),
        (40, "read_case"),
    ] {
        s.log_staff_action(&line(at, "agent-1", action)).unwrap();
    }
    assert_eq!(
        s.count_actions_since("agent-1", "login_failed", Timestamp(15))
            .unwrap(),
        1
    );
    assert_eq!(
        s.count_actions_since("agent-1", "login_failed", Timestamp(0))
            .unwrap(),
        2
    );
    let log = s.staff_log(3).unwrap();
    assert_eq!(
        log.iter().map(|l| l.action.as_str()).collect::<Vec<_>>(),
        ["read_case", "login", "login_failed"]
    );
    assert_eq!(log[0], line(40, "agent-1", "read_case"));
    for sql in [
        "UPDATE staff_log SET outcome = 'x'",
        "DELETE FROM staff_log",
    ] {
        let error = f.execute(sql).unwrap_err();
        assert!(
            error.contains("the staff log is append-only"),
            "{sql}: {error}"
        );
    }
    assert_eq!(f.count("SELECT COUNT(*) FROM staff_log"), 4);
}

// Staff administration (issue 13): listed by id; a role changed; a disabled account keeps its row
// (its id stays in the logs) but its sessions end at once, it cannot start a live one, and its
// role no longer changes.
pub(super) fn staff_are_listed_their_role_changed_and_disabled_for_good(f: Fixture) {
    let s = &f.store;
    for (id, role) in [("zhao", Role::Reviewer), ("agent-1", Role::CallAgent)] {
        assert!(s.add_staff(&account(id, role, None), Timestamp(1)).unwrap());
    }
    let ids = |list: Vec<StaffAccount>| list.into_iter().map(|a| a.staff_id).collect::<Vec<_>>();
    assert_eq!(ids(s.list_staff().unwrap()), ["agent-1", "zhao"]);
    assert!(s.set_role("agent-1", Role::Supervisor).unwrap());
    assert!(!s.set_role("nobody", Role::Supervisor).unwrap());
    assert_eq!(s.staff("agent-1").unwrap().unwrap().role, Role::Supervisor);

    s.start_session("k1", "agent-1", "c1", Timestamp(10), Timestamp(100))
        .unwrap();
    assert!(s.session("k1", Timestamp(20)).unwrap().is_some());
    assert!(s.disable_staff("agent-1", Timestamp(30)).unwrap());
    assert!(!s.disable_staff("agent-1", Timestamp(31)).unwrap());
    assert_eq!(s.session("k1", Timestamp(40)).unwrap(), None);
    s.start_session("k2", "agent-1", "c2", Timestamp(50), Timestamp(100))
        .unwrap();
    assert_eq!(s.session("k2", Timestamp(60)).unwrap(), None);
    assert!(!s.set_role("agent-1", Role::Admin).unwrap());
    let kept = s.staff("agent-1").unwrap().unwrap();
    assert!(kept.disabled);
    assert_eq!(kept.role, Role::Supervisor);
    assert!(!s.staff("zhao").unwrap().unwrap().disabled);
    assert_eq!(s.list_staff().unwrap().len(), 2);
}
