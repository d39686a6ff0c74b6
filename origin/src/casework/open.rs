//! The cases an archived record opens, as the origin stores them (R11, R12), and what happens when
//! the holiday table does not reach a problem case's deadline.
//!
//! Past the table's end the core refuses to count working days (a guessed calendar could put a
//! deadline on a holiday nobody has announced yet). The record is archived all the same and its
//! case opened, never lost, with a **provisional** due date: the end of the Beijing day 15
//! *calendar* days after discovery. 15 working days always span at least 15 days, so the
//! provisional date is never later than the true deadline: staff are warned early, never late.
//! The error is logged with what to do (add the next State Council notice), and every view of the
//! case says `due_exact: false` until the calendar covers it, when the exact deadline is shown
//! (computed again from the discovery time, [`super::work::due_of`]).

use huifang_core::casework::{findings_in, openings_for, CaseKind, Opening, PROBLEM_WORKING_DAYS};
use huifang_core::record::Record;
use huifang_core::time::DAY_MS;
use huifang_core::working_days::{beijing_date, end_of_beijing_day, WorkingCalendar};
use huifang_core::Timestamp;

/// The seller's code of a record's policy, when the insurer gave it at creation (issue 13, item 4):
/// the seller never sees or handles a case on their own sale (R12, `Case::visible_to`).
fn seller_code(record: &Record) -> Option<&str> {
    record.seller_code.as_ref().map(|code| code.as_str())
}

/// The provisional due date of a problem case discovered at `discovered_at` when the holiday table
/// does not reach its deadline (see the module's comment).
pub fn provisional_due(discovered_at: Timestamp) -> Timestamp {
    end_of_beijing_day(beijing_date(
        discovered_at.plus_millis(u64::from(PROBLEM_WORKING_DAYS) * DAY_MS),
    ))
}

/// The cases `record` opens, discovered at `discovered_at` (when the origin archives it).
pub fn openings(
    record: &Record,
    discovered_at: Timestamp,
    calendar: &WorkingCalendar,
) -> Vec<Opening> {
    let seller = seller_code(record);
    match openings_for(record, seller, discovered_at, calendar) {
        Ok(openings) => openings,
        Err(e) => {
            // Only a problem case's deadline needs the calendar: a fallback task is due at the
            // cooling-off end, and `openings_for` returns it without counting days.
            eprintln!(
                "origin: ERROR holiday table: the problem case of revisit_id={} is opened with a \
                 provisional due date (15 calendar days, never later than the true deadline): {e}",
                record.revisit_id
            );
            let findings = findings_in(record);
            if findings.is_empty() {
                return Vec::new();
            }
            vec![Opening {
                kind: CaseKind::Problem { findings },
                revisit_id: record.revisit_id.clone(),
                policy_number: record.policy_number.clone(),
                seller_code: seller.map(str::to_string),
                cooling_off_ends_at: record.cooling_off_ends_at,
                discovered_at,
                due_at: provisional_due(discovered_at),
            }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::fixtures::finished_session;
    use huifang_core::session::AnswerKind;
    use huifang_core::RevisitId;

    fn t(rfc3339: &str) -> Timestamp {
        Timestamp::parse_rfc3339(rfc3339).unwrap()
    }

    fn no_record() -> Record {
        let answers = [AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes];
        Record::of(
            &finished_session(RevisitId::from_random([4; 12]), &answers),
            "t",
        )
        .unwrap()
    }

    #[test]
    fn inside_the_table_the_due_date_is_the_cores() {
        let calendar = WorkingCalendar::shipped().unwrap();
        // Fri 25 Sep 2026, 10:00 Beijing: due 22 Oct 2026 (the core's National Day example).
        let found = t("2026-09-25T02:00:00Z");
        let opened = openings(&no_record(), found, &calendar);
        assert_eq!(opened.len(), 1);
        assert_eq!(opened[0].due_at, t("2026-10-22T16:00:00Z"));
    }

    #[test]
    fn past_the_table_the_case_is_opened_with_a_provisional_due_date_never_later() {
        let calendar = WorkingCalendar::shipped().unwrap();
        let found = t("2027-01-15T08:10:00Z");
        assert!(openings_for(&no_record(), None, found, &calendar).is_err());
        let opened = openings(&no_record(), found, &calendar);
        assert_eq!(opened.len(), 1);
        assert!(matches!(opened[0].kind, CaseKind::Problem { .. }));
        // 15 calendar days: the end of 30 Jan 2027, Beijing.
        assert_eq!(opened[0].due_at, t("2027-01-30T16:00:00Z"));
        // Never later than the true deadline: inside the table, for every discovery day of 2026,
        // the provisional date is at or before the core's.
        let mut day = t("2026-01-01T02:00:00Z");
        while day < t("2026-12-01T00:00:00Z") {
            let exact = openings(&no_record(), day, &calendar)[0].due_at;
            assert!(provisional_due(day) <= exact, "{day:?}");
            day = day.plus_millis(DAY_MS);
        }
    }

    #[test]
    fn the_records_seller_code_goes_into_every_opening_and_keeps_the_seller_off_it() {
        use huifang_core::casework::{Actor, Case, CaseEvent, Entry, Role};
        let calendar = WorkingCalendar::shipped().unwrap();
        let found = t("2026-09-25T02:00:00Z");
        assert_eq!(
            openings(&no_record(), found, &calendar)[0].seller_code,
            None
        );
        let mut record = no_record();
        record.seller_code = Some(huifang_core::SellerCode::parse("AG-0042").unwrap());
        // Inside the table and past it (provisional due date) alike.
        for at in [found, t("2027-01-15T08:10:00Z")] {
            let opening = openings(&record, at, &calendar).remove(0);
            assert_eq!(opening.seller_code.as_deref(), Some("AG-0042"));
            let case = Case::replay(&[Entry {
                at,
                by: "system".into(),
                event: CaseEvent::Opened(opening),
            }])
            .unwrap();
            let reviewer = |seller: Option<&str>| Actor {
                staff_id: "r1".into(),
                role: Role::Reviewer,
                seller_code: seller.map(str::to_string),
            };
            assert!(!case.visible_to(&reviewer(Some("AG-0042"))));
            assert!(case.visible_to(&reviewer(Some("AG-0043"))));
            assert!(case.visible_to(&reviewer(None)));
        }
    }
}
