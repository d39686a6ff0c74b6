//! `copy-archive` between the engines (issue 17): SQLite → PostgreSQL → SQLite keeps every row of
//! every table and both chains' heads; the copy goes on where the original stopped; a target with
//! rows, or a source whose chain breaks, is refused before anything is written.

use super::fixture::{self, Fixture};
use super::records::record_for;
use crate::archive::tables::TABLES;
use crate::archive::{Archived, NewSms, Termination};
use crate::audit::copy_archive::{copy_archive, CopyError};
use crate::casework::CaseId;
use crate::console::accounts::{StaffAccount, StaffLogEntry};
use huifang_core::casework::Role;
use huifang_core::{Phone, RevisitId, Timestamp};

/// Fills every table of `f`'s store a little: records (with cases; three sealed, with their
/// facts), a termination, messages, staff with a session and log lines, a sample run.
fn populate(f: &Fixture) {
    let s = &f.store;
    for i in 1..=12u8 {
        let mut r = record_for(i, if i % 3 == 0 { "P3" } else { "P1" }, u64::from(i) * 10);
        if i % 4 == 0 {
            r.cases = super::cases::a_case();
        }
        assert_eq!(s.archive_record(&r).unwrap(), Archived::Inserted);
    }
    s.archive_record(&record_for(2, "P1", 20)).unwrap();
    // Sealed records (their statistics' facts) and a sample run over them.
    for i in 30..=32 {
        super::sampling::archive(f, &super::sampling::sealed(i));
    }
    let request = super::sampling::request();
    crate::sampling::run::draw_run(&*f.store, request, "sup-1", super::cases::clock()).unwrap();
    s.report_termination(&Termination {
        policy_number: "P3".into(),
        terminated_at: Timestamp(2_000_000_000_000),
        reported_at: Timestamp(1),
    })
    .unwrap();
    for text in ["one", "two"] {
        s.append_sms(&NewSms {
            revisit_id: RevisitId::from_random([1; 12]),
            phone: Phone::parse("13812345678").unwrap(),
            text: text.into(),
            received_at: Timestamp(5),
        })
        .unwrap();
    }
    let staff = StaffAccount {
        staff_id: "rev-1".into(),
        display_name: "审核员".into(),
        role: Role::Reviewer,
        seller_code: None,
        password_hash: "$argon2id$x".into(),
        disabled: false,
    };
    s.add_staff(&staff, Timestamp(1)).unwrap();
    let gone = StaffAccount {
        staff_id: "old-1".into(),
        ..staff.clone()
    };
    s.add_staff(&gone, Timestamp(1)).unwrap();
    s.disable_staff("old-1", Timestamp(3)).unwrap();
    s.start_session("k", "rev-1", "c", Timestamp(1), Timestamp(9))
        .unwrap();
    s.log_staff_action(&StaffLogEntry {
        at: Timestamp(2),
        staff_id: "rev-1".into(),
        action: "login".into(),
        target: None,
        outcome: "ok".into(),
    })
    .unwrap();
}

/// Every row of every table, as read.
fn everything(f: &Fixture) -> Vec<Vec<Vec<crate::archive::tables::Cell>>> {
    TABLES
        .iter()
        .map(|t| f.store.read_rows(t, None, 10_000).unwrap())
        .collect()
}

#[test]
fn an_archive_goes_to_postgresql_and_back_unchanged() {
    let Some(pg) = fixture::postgres("copy_round_trip") else {
        return;
    };
    let original = fixture::sqlite("copy-original");
    let back = fixture::sqlite("copy-back");
    populate(&original);
    let there = copy_archive(&*original.store, &*pg.store, &|_| {}).unwrap();
    assert_eq!(there.records.0, 15);
    // The sample log and the statistics' facts came too (PostgreSQL has no back-fill).
    assert_eq!(pg.count("SELECT COUNT(*) FROM sample_log"), 1);
    assert_eq!(pg.count("SELECT COUNT(*) FROM revisit_facts"), 3);
    assert_eq!(pg.store.seen().unwrap(), original.store.seen().unwrap());
    assert!(
        crate::sampling::redraw::redraw(&*pg.store, "S0001")
            .unwrap()
            .matches
    );
    assert_eq!(there.case_log.0, 3);
    let again = copy_archive(&*pg.store, &*back.store, &|_| {}).unwrap();
    assert_eq!(again, there);
    assert_eq!(everything(&back), everything(&original));
    assert_eq!(everything(&pg), everything(&original));
    assert_eq!(pg.store.head().unwrap(), original.store.head().unwrap());

    // The copy goes on where the original stopped: the next record links to the copied head, the
    // next message and case entry get fresh ids.
    let next = record_for(13, "P1", 130);
    assert_eq!(pg.store.archive_record(&next).unwrap(), Archived::Inserted);
    assert_eq!(
        original.store.archive_record(&next).unwrap(),
        Archived::Inserted
    );
    assert_eq!(pg.store.head().unwrap(), original.store.head().unwrap());
    let sms = NewSms {
        revisit_id: RevisitId::from_random([1; 12]),
        phone: Phone::parse("13812345678").unwrap(),
        text: "three".into(),
        received_at: Timestamp(6),
    };
    assert_eq!(pg.store.append_sms(&sms).unwrap(), 3);
    let case = CaseId::of(&RevisitId::from_random([4; 12]), 1);
    let entry = huifang_core::casework::Entry {
        at: Timestamp(7),
        by: "rev-1".into(),
        event: huifang_core::casework::CaseEvent::Assigned { to: "rev-1".into() },
    };
    assert!(matches!(
        pg.store.append(&case, 1, &[entry]).unwrap(),
        crate::casework::Appended::Appended { last: 2 }
    ));
    assert_eq!(
        pg.count("SELECT COUNT(*) FROM case_log WHERE id = 4 AND seq = 4"),
        1
    );

    // Into a target with rows: refused, nothing written.
    let error = copy_archive(&*original.store, &*back.store, &|_| {}).unwrap_err();
    assert!(
        matches!(
            error,
            CopyError::NotEmpty {
                table: "records",
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(back.store.head().unwrap().map(|h| h.0), Some(15));
}

#[test]
fn a_source_whose_chain_breaks_is_not_copied() {
    let source = fixture::sqlite("copy-broken");
    let target = fixture::sqlite("copy-broken-target");
    populate(&source);
    source.drop_append_only("records");
    source
        .execute("UPDATE records SET received_at = received_at + 1 WHERE seq = 5")
        .unwrap();
    let error = copy_archive(&*source.store, &*target.store, &|_| {}).unwrap_err();
    assert!(
        matches!(&error, CopyError::Broken { side: "source", problem } if problem.contains("seq 5")),
        "{error}"
    );
    assert_eq!(target.store.head().unwrap(), None);
}
