//! The fallback chain of a failed revisit (R11): calls only in hours, up to six attempts, the
//! branch at three days left, a receipt closing it.

use super::*;

trait Minus {
    fn since_checked_minus(self, ms: u64) -> Timestamp;
}

impl Minus for Timestamp {
    fn since_checked_minus(self, ms: u64) -> Timestamp {
        Timestamp::from_millis(self.millis() - ms)
    }
}

#[test]
fn calls_only_in_hours_and_six_failed_attempts_go_to_the_branch() {
    let start = t("2026-09-01T02:00:00Z"); // 10:00 Beijing
    let mut log = fallback(start.plus_millis(15 * DAY_MS), start);
    let agent = staff("c1", Role::CallAgent);
    assert_eq!(log.case().channel, Some(Channel::CallCentre));
    // 21:30 and 08:59 Beijing are outside; 09:00 and 20:59 inside.
    assert!(!within_call_hours(t("2026-09-01T13:30:00Z")));
    assert!(!within_call_hours(t("2026-09-01T00:59:59Z")));
    assert!(within_call_hours(t("2026-09-01T01:00:00Z")));
    assert!(within_call_hours(t("2026-09-01T12:59:59Z")));
    assert_eq!(
        log.run(
            &agent,
            call(CallResult::NoAnswer),
            t("2026-09-01T13:30:00Z")
        ),
        Err(CaseRefusal::OutsideCallHours)
    );
    for i in 0..MAX_CALL_ATTEMPTS {
        log.run(
            &agent,
            call(CallResult::NoAnswer),
            start.plus_millis(u64::from(i) * DAY_MS),
        )
        .unwrap();
    }
    let case = log.case();
    assert_eq!((case.call_attempts, case.call_attempts_left()), (6, 0));
    assert_eq!(case.channel, Some(Channel::Branch));
    assert!(log.entries.iter().any(|e| e.event
        == CaseEvent::RoutedToBranch {
            reason: RouteReason::AttemptsExhausted
        }));
    assert_eq!(
        log.run(&agent, call(CallResult::NoAnswer), start),
        Err(CaseRefusal::NotYourWork)
    );
}

#[test]
fn at_three_days_left_a_phone_task_goes_to_the_branch_and_a_receipt_closes_it() {
    let start = t("2026-09-01T02:00:00Z");
    let ends = start.plus_millis(10 * DAY_MS);
    let mut log = fallback(ends, start);
    let agent = staff("c1", Role::CallAgent);
    for _ in 0..3 {
        log.run(&agent, call(CallResult::Busy), start).unwrap();
    }
    log.sweep(ends.plus_millis(0).since_checked_minus(3 * DAY_MS + 1));
    assert_eq!(
        log.case().channel,
        Some(Channel::CallCentre),
        "more than 3 days left"
    );
    log.sweep(ends.since_checked_minus(3 * DAY_MS));
    assert_eq!(log.case().channel, Some(Channel::Branch));
    let now = ends.since_checked_minus(2 * DAY_MS);
    let phone = Resolution::CompletedByPhone {
        recording_ref: "rec-9".into(),
    };
    let handler = staff("b1", Role::BranchHandler);
    assert_eq!(
        log.run(
            &handler,
            Command::Resolve {
                resolution: phone,
                note: String::new()
            },
            now
        ),
        Err(CaseRefusal::ResolutionDoesNotFit)
    );
    let hash = "ab".repeat(32);
    let receipt = |h: &str| Resolution::CompletedByReceipt {
        channel: ReceiptChannel::Visit,
        receipt_sha256: h.into(),
    };
    assert_eq!(
        log.run(
            &handler,
            Command::Resolve {
                resolution: receipt(&hash),
                note: String::new()
            },
            now
        ),
        Err(CaseRefusal::ReceiptMissing)
    );
    assert!(matches!(
        log.run(
            &handler,
            Command::AttachReceipt {
                channel: ReceiptChannel::Visit,
                sha256: "nope".into()
            },
            now
        ),
        Err(CaseRefusal::BadInput(_))
    ));
    log.run(
        &handler,
        Command::AttachReceipt {
            channel: ReceiptChannel::Visit,
            sha256: hash.to_uppercase(),
        },
        now,
    )
    .unwrap();
    log.run(
        &handler,
        Command::Resolve {
            resolution: receipt(&hash),
            note: "上门签收".into(),
        },
        now,
    )
    .unwrap();
    assert_eq!(log.case().state, CaseState::Closed);
}
