//! The case log's store, on either engine (R11, R12): appends refused on a stale state,
//! append-only, and every tampered entry found by the verifier.

use super::fixture::Fixture;
use crate::archive::NewRecord;
use crate::casework::open::openings;
use crate::casework::verify::verify_case_log;
use crate::casework::{Appended, CaseId};
use huifang_core::casework::{CallResult, CaseEvent, Entry, Opening};
use huifang_core::fixtures::{at, finished_session, open, sample_revisit};
use huifang_core::record::{Record, SealedRecord};
use huifang_core::session::{AnswerKind, Event, Session};
use huifang_core::signing::EdgeKey;
use huifang_core::working_days::WorkingCalendar;
use huifang_core::{RevisitId, Timestamp};

pub(super) fn clock() -> Timestamp {
    Timestamp(1_800_000_600_000)
}

pub(super) fn edge_key() -> EdgeKey {
    EdgeKey::from_seed_hex("edge-1", &"2a".repeat(32)).unwrap()
}

pub(super) fn with_a_no(id_byte: u8) -> SealedRecord {
    let answers = [AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes];
    let session = finished_session(RevisitId::from_random([id_byte; 12]), &answers);
    Record::of(&session, "test").unwrap().seal(&edge_key())
}

pub(super) fn switched(id_byte: u8) -> SealedRecord {
    let s = Session::new(sample_revisit(RevisitId::from_random([id_byte; 12])));
    let (s, _) = s.apply(open(), at(1));
    let (s, result) = s.apply(Event::SwitchToPhone { reason: None }, at(5));
    result.unwrap();
    Record::of(&s, "test").unwrap().seal(&edge_key())
}

/// The cases a switched record opens (a phone task).
pub(super) fn a_case() -> Vec<Opening> {
    openings(
        &switched(11).record,
        clock(),
        &WorkingCalendar::shipped().unwrap(),
    )
}

/// A "no" record's case and a switched record's task, opened as the records route opens them;
/// (problem, task).
fn with_cases(f: &Fixture) -> (CaseId, CaseId) {
    let calendar = WorkingCalendar::shipped().unwrap();
    let mut ids = Vec::new();
    for sealed in [with_a_no(10), switched(11)] {
        let cases = openings(&sealed.record, clock(), &calendar);
        let entry = NewRecord::of(&sealed, clock()).unwrap().opening(cases);
        f.store.archive_record(&entry).unwrap();
        // Delivered twice: opens nothing more.
        f.store.archive_record(&entry).unwrap();
        ids.push(CaseId::of(&sealed.record.revisit_id, 1));
    }
    let task = ids.pop().unwrap();
    (ids.pop().unwrap(), task)
}

fn entry(by: &str, event: CaseEvent) -> Entry {
    Entry {
        at: clock(),
        by: by.into(),
        event,
    }
}

fn call(note: &str) -> CaseEvent {
    CaseEvent::CallLogged {
        result: CallResult::Busy,
        note: note.into(),
    }
}

// Two actions decided on the same state: the second finds the case moved on and appends nothing.
pub(super) fn an_append_on_a_stale_state_is_refused(f: Fixture) {
    let (_, task) = with_cases(&f);
    let store = &f.store;
    assert_eq!(store.case_log(&task).unwrap().len(), 1);
    assert_eq!(
        store
            .append(&task, 1, &[entry("a", call("first"))])
            .unwrap(),
        Appended::Appended { last: 2 }
    );
    assert_eq!(
        store
            .append(&task, 1, &[entry("b", call("second"))])
            .unwrap(),
        Appended::Stale { last: 2 }
    );
    let missing = CaseId::parse("AAAAAAAAAAAAAAAA.1").unwrap();
    assert_eq!(
        store.append(&missing, 0, &[entry("a", call("x"))]).unwrap(),
        Appended::NoSuchCase
    );
    let log = store.case_log(&task).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].entry.by, "a");
    assert_eq!(store.open_case_logs().unwrap().len(), 2);
    assert_eq!(verify_case_log(&*f.store).unwrap().failures, []);
}

pub(super) fn the_case_log_refuses_update_and_delete(f: Fixture) {
    let (problem, _) = with_cases(&f);
    for sql in [
        "UPDATE case_log SET actor = 'someone' WHERE seq = 1",
        "UPDATE case_log SET entry_json = entry_json WHERE seq = 2",
        "DELETE FROM case_log WHERE seq = 2",
        "DELETE FROM case_log",
    ] {
        let error = f.execute(sql).unwrap_err();
        assert!(
            error.contains("the case log is append-only"),
            "{sql}: {error}"
        );
    }
    assert_eq!(f.count("SELECT COUNT(*) FROM case_log"), 2);
    // A second opening of the same case is refused by its unique key as well.
    let error = f
        .execute(&format!(
            "INSERT INTO case_log (seq, case_id, case_seq, event, at, actor, entry_json, \
             prev_chain, chain) VALUES (3, '{problem}', 1, 'opened', 0, 'system', '{{}}', '', '')"
        ))
        .unwrap_err();
    assert!(error.to_lowercase().contains("unique"), "{error}");
}

/// Flips one ASCII byte of `text` at `at` (a different ASCII character; the rest untouched).
fn flipped(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'0' {
        b'1'
    } else if bytes[at].is_ascii_digit() {
        b'0'
    } else {
        bytes[at] ^ 0x01
    };
    String::from_utf8(bytes).unwrap()
}

/// `text` as an SQL string literal (both engines: standard strings, `'` doubled).
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

// Tamper evidence: an altered byte in any entry, a changed column, a removed entry — each named by
// the entry's seq.
pub(super) fn the_verifier_names_every_tampered_entry(f: Fixture) {
    let (problem, task) = with_cases(&f);
    let store = &f.store;
    store
        .append(
            &task,
            1,
            &[entry("agent-1", call("一")), entry("agent-1", call("二"))],
        )
        .unwrap();
    store
        .append(
            &problem,
            1,
            &[entry("rev-1", CaseEvent::Assigned { to: "rev-1".into() })],
        )
        .unwrap();
    let clean = verify_case_log(&**store).unwrap();
    assert_eq!(
        (clean.entries, clean.cases, clean.failures.len()),
        (5, 2, 0)
    );
    assert_eq!(clean.head.as_ref().map(|h| h.0), Some(5));

    f.drop_append_only("case_log");
    let rows = store.case_log_rows(0, 100).unwrap();
    let mut checked = 0;
    for row in &rows {
        let (seq, json) = (row.seq, &row.entry_json);
        // Every byte of a few entries (the first, a call with a note, the last), one in seven of
        // the others: the same code path, fewer round trips to a server.
        let every = if [1, 3, 5].contains(&seq) { 1 } else { 7 };
        for at in (0..json.len()).filter(|&i| json.as_bytes()[i].is_ascii() && i % every == 0) {
            let changed = flipped(json, at);
            f.execute(&format!(
                "UPDATE case_log SET entry_json = {} WHERE seq = {seq}",
                literal(&changed)
            ))
            .unwrap();
            let report = verify_case_log(&**store).unwrap();
            assert!(!report.failures.is_empty(), "seq {seq} byte {at} not found");
            assert!(
                report.failures.iter().all(|fail| fail.seq == seq),
                "{:?}",
                report.failures
            );
            assert!(report
                .failures
                .iter()
                .any(|fail| fail.problem.code() == "chain_altered"));
            checked += 1;
        }
        f.execute(&format!(
            "UPDATE case_log SET entry_json = {} WHERE seq = {seq}",
            literal(json)
        ))
        .unwrap();
    }
    assert!(checked > 300, "{checked}");
    assert_eq!(verify_case_log(&**store).unwrap().failures, []);

    // A column that no longer says what the entry says.
    f.execute("UPDATE case_log SET actor = 'someone-else' WHERE seq = 4")
        .unwrap();
    let report = verify_case_log(&**store).unwrap();
    assert_eq!(report.failures.len(), 1);
    assert_eq!(
        (report.failures[0].seq, report.failures[0].problem.code()),
        (4, "column_mismatch")
    );
    assert!(report.failures[0]
        .to_string()
        .contains(&format!("case_id={task}: column_mismatch: column actor")));
    f.execute("UPDATE case_log SET actor = 'agent-1' WHERE seq = 4")
        .unwrap();

    // A removed entry: the chain is missing entries at the next seq, and the case has a gap.
    f.execute("DELETE FROM case_log WHERE seq = 3").unwrap();
    let report = verify_case_log(&**store).unwrap();
    let found: Vec<_> = report
        .failures
        .iter()
        .map(|fail| (fail.seq, fail.problem.code()))
        .collect();
    assert_eq!(
        found,
        [(4, "chain_missing_records"), (4, "case_log_out_of_place")],
        "{:?}",
        report.failures
    );
    assert!(report.failures[0]
        .to_string()
        .contains("seq 4 follows seq 2: entries are missing"));
}
