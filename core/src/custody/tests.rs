use super::*;
use crate::domain::OtpCode;
use crate::fixtures::{at, finished_session, open, sample_revisit, verified_session, CODE, T0};
use crate::record::Record;
use crate::session::{AnswerKind, Stage, TraceEvent};
use crate::signing::EdgeKey;
use crate::time::DAY_MS;

const RETRY: RetryPolicy = RetryPolicy {
    base_ms: 1_000,
    max_ms: 60_000,
};

fn id() -> RevisitId {
    RevisitId::from_random([3; 12])
}

fn ends() -> Timestamp {
    sample_revisit(id()).cooling_off_ends_at
}

fn run(custody: Custody, input: Input, now: Timestamp) -> Transition {
    let policy = CustodyPolicy {
        retry: RETRY,
        remind_before_ms: REMIND_BEFORE_MS,
    };
    custody.update(input, now, &policy)
}

fn step(event: Event) -> Input {
    Input::Step {
        event,
        client: None,
    }
}

fn seal(session: &Session) -> SealedRecord {
    let key = EdgeKey::from_seed_hex("edge-1", &"2a".repeat(32)).unwrap();
    Record::of(session, "test").unwrap().seal(&key)
}

/// A completed revisit, sealed and waiting in the outbox.
fn sealed() -> Custody {
    let session = finished_session(id(), &[AnswerKind::Yes; 3]);
    let record = seal(&session);
    let t = run(Custody::Live(session), Input::Sealed(record), at(300));
    assert!(matches!(t.custody, Custody::Sealed { .. }));
    t.custody
}

fn delivered() -> Custody {
    let t = run(
        sealed(),
        Input::Delivered {
            record_hash: "ab".repeat(32),
        },
        at(400),
    );
    t.custody
}

// ---- retries ------------------------------------------------------------------------------------

#[test]
fn the_retry_wait_starts_at_the_base_doubles_and_stops_at_the_cap() {
    assert_eq!(RETRY.delay_ms(0), 1_000);
    assert_eq!(RETRY.delay_ms(1), 2_000);
    assert_eq!(RETRY.delay_ms(2), 4_000);
    assert_eq!(RETRY.delay_ms(5), 32_000);
    assert_eq!(RETRY.delay_ms(6), 60_000);
    assert_eq!(RETRY.delay_ms(40), 60_000);
    assert_eq!(RETRY.delay_ms(u32::MAX), 60_000);
    let huge = RetryPolicy {
        base_ms: u64::MAX / 2,
        max_ms: u64::MAX,
    };
    assert_eq!(huge.delay_ms(30), u64::MAX, "saturates, never wraps");
    assert_eq!(
        RetryPolicy::default(),
        RetryPolicy {
            base_ms: 1_000,
            max_ms: 600_000
        }
    );
}

#[test]
fn a_failed_delivery_counts_and_tries_again_later() {
    let mut custody = sealed();
    let mut now = at(300);
    for attempt in 1..=8u32 {
        let t = run(custody, Input::DeliveryFailed, now);
        assert_eq!(t.outcome, Ok(()));
        assert_eq!(t.custody.outbox().map(|o| o.attempts), Some(attempt));
        let wait = RETRY.delay_ms(attempt);
        assert_eq!(
            t.effects,
            [Effect::StoreOutbox, Effect::SetAlarm(now.plus_millis(wait))]
        );
        custody = t.custody;
        now = now.plus_millis(wait);
        // The alarm at the next try delivers again.
        let t = run(custody, Input::Alarm, now);
        assert_eq!(t.effects, [Effect::Deliver]);
        custody = t.custody;
    }
    // The first retry waits twice the base, the sixth reaches the cap.
    assert_eq!(
        now,
        at(300).plus_millis(2_000 + 4_000 + 8_000 + 16_000 + 32_000 + 3 * 60_000)
    );
}

// ---- the session's steps ------------------------------------------------------------------------

#[test]
fn create_holds_a_new_session_and_wakes_for_the_reminder_3_days_before_the_end() {
    let t = run(Custody::Absent, Input::Create(sample_revisit(id())), T0);
    assert_eq!(t.outcome, Ok(()));
    let reminder = Timestamp::from_millis(ends().millis() - 3 * DAY_MS);
    assert_eq!(
        t.effects,
        [Effect::StoreSession, Effect::SetAlarm(reminder)]
    );
    assert_eq!(t.custody.session().map(|s| s.stage), Some(Stage::Issued));
    // Created with 3 days or fewer left: no reminder (the link is fresh), it wakes at the end.
    let mut late = sample_revisit(id());
    late.cooling_off_ends_at = T0.plus_millis(2 * DAY_MS);
    let t = run(Custody::Absent, Input::Create(late), T0);
    assert_eq!(
        t.effects,
        [
            Effect::StoreSession,
            Effect::SetAlarm(T0.plus_millis(2 * DAY_MS))
        ]
    );
}

// ---- notices: the link at creation, the reminder before the end (issue 13, item 5; R11) -------

/// The SMS text and phone of a `SendNotice` effect.
fn notice_of(effects: &[Effect], want: Notice) -> (String, String) {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::SendNotice { to, text, notice } if *notice == want => {
                Some((to.as_str().to_string(), text.clone()))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {want:?} notice in {effects:?}"))
}

#[test]
fn the_link_sms_carries_the_link_is_traced_and_the_link_is_not_kept() {
    let created = run(Custody::Absent, Input::Create(sample_revisit(id())), T0).custody;
    let link = "https://revisit.example/r/SECRET-LINK-TOKEN";
    let t = run(
        created.clone(),
        Input::SendLink { link: link.into() },
        at(1),
    );
    let (to, text) = notice_of(&t.effects, Notice::Link);
    assert_eq!(
        t.effects.len(),
        1,
        "nothing stored before the gateway answers"
    );
    assert_eq!(to, "13812345678");
    assert!(text.contains(link) && text.contains("P2***0001"), "{text}");
    // The gateway took it: traced, stored; the link is in no stored field.
    let t = run(
        t.custody,
        Input::Notified {
            notice: Notice::Link,
            outcome: Ok(()),
        },
        at(2),
    );
    assert_eq!(t.effects, [Effect::StoreSession]);
    let session = t.custody.session().unwrap();
    assert_eq!(
        session.trace.entries().last().map(|e| &e.event),
        Some(&TraceEvent::NoticeSent {
            notice: Notice::Link
        })
    );
    assert!(!serde_json::to_string(session)
        .unwrap()
        .contains("SECRET-LINK-TOKEN"));
    session.trace.verify().unwrap();
    // Refused by the phone's daily cap: traced as undelivered, with why.
    let t = run(
        created.clone(),
        Input::Notified {
            notice: Notice::Link,
            outcome: Err(NoticeFailure::PhoneDailyLimit),
        },
        at(2),
    );
    assert_eq!(
        t.custody
            .session()
            .unwrap()
            .trace
            .entries()
            .last()
            .map(|e| &e.event),
        Some(&TraceEvent::NoticeUndelivered {
            notice: Notice::Link,
            reason: NoticeFailure::PhoneDailyLimit
        })
    );
    // No link SMS for a revisit that has ended or is not held.
    for ended in [sealed(), delivered(), Custody::Absent] {
        let t = run(ended.clone(), Input::SendLink { link: link.into() }, at(5));
        assert!(t.effects.is_empty());
        assert_eq!(t.custody, ended);
    }
}

#[test]
fn an_unfinished_revisit_is_reminded_once_3_days_before_the_end_then_expires() {
    let created = run(Custody::Absent, Input::Create(sample_revisit(id())), T0).custody;
    let reminder = Timestamp::from_millis(ends().millis() - 3 * DAY_MS);
    // Woken early: sleeps until the reminder.
    let t = run(created.clone(), Input::Alarm, at(100));
    assert_eq!(t.effects, [Effect::SetAlarm(reminder)]);
    // At the reminder: the SMS (no link: only its digest is held), then sleep until the end.
    let t = run(created, Input::Alarm, reminder);
    let (to, text) = notice_of(&t.effects, Notice::Reminder);
    assert_eq!(to, "13812345678");
    assert_eq!(
        text,
        "提醒：您的保单P2***0001电子化回访尚未完成，犹豫期将于2027年1月30日结束。请打开此前短信中的链接完成回访，或在页面上选择电话回访。"
    );
    assert_eq!(t.effects.last(), Some(&Effect::SetAlarm(ends())));
    // The gateway failed: traced; it is not tried again (once), the next alarm sleeps to the end.
    let t = run(
        t.custody,
        Input::Notified {
            notice: Notice::Reminder,
            outcome: Err(NoticeFailure::Gateway),
        },
        reminder.plus_millis(10),
    );
    assert!(t.custody.session().unwrap().reminded());
    let t = run(t.custody, Input::Alarm, reminder.plus_millis(60_000));
    assert_eq!(t.effects, [Effect::SetAlarm(ends())]);
    let t = run(t.custody, Input::Alarm, ends());
    assert_eq!(t.custody.session().map(|s| s.stage), Some(Stage::Expired));
    let session = t.custody.session().unwrap();
    let events: Vec<_> = session.trace.entries().iter().map(|e| &e.event).collect();
    assert_eq!(
        events,
        [
            &TraceEvent::Created,
            &TraceEvent::NoticeUndelivered {
                notice: Notice::Reminder,
                reason: NoticeFailure::Gateway
            },
            &TraceEvent::Expired
        ]
    );
}

#[test]
fn a_finished_revisit_is_not_reminded_and_the_reminder_follows_the_chosen_language() {
    // Completed before the reminder: the alarm delivers, nothing is sent.
    let custody = sealed();
    let reminder = Timestamp::from_millis(ends().millis() - 3 * DAY_MS);
    let t = run(custody, Input::Alarm, reminder);
    assert_eq!(t.effects, [Effect::Deliver]);
    // Verified (opened) in English: the reminder is in English.
    let mut session = verified_session(id());
    session.lang = crate::script::Lang::En;
    let t = run(Custody::Live(session), Input::Alarm, reminder);
    let (_, text) = notice_of(&t.effects, Notice::Reminder);
    assert!(text.starts_with("Reminder:"), "{text}");
}

#[test]
fn create_when_it_exists_is_a_conflict_and_changes_nothing() {
    let live = Custody::Live(verified_session(id()));
    for existing in [live, sealed(), delivered()] {
        let t = run(existing.clone(), Input::Create(sample_revisit(id())), at(5));
        assert_eq!(t.outcome, Err(CustodyError::Exists));
        assert!(t.effects.is_empty());
        assert_eq!(t.custody, existing);
    }
}

#[test]
fn a_step_is_stored_and_its_sms_sent() {
    let t = run(
        Custody::Live(Session::new(sample_revisit(id()))),
        step(open()),
        at(1),
    );
    assert_eq!(t.effects, [Effect::StoreSession]);
    let code = OtpCode::parse(CODE).unwrap();
    let issue = Event::IssueCode {
        code,
        salt: [1; 16],
    };
    let t = run(t.custody, step(issue), at(2));
    assert_eq!(t.outcome, Ok(()));
    match t.effects.as_slice() {
        [Effect::HoldSession, Effect::TakeCodeCaps { to, sent_at }] => {
            assert_eq!(to.as_str(), "13812345678");
            assert_eq!(*sent_at, at(2));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_refused_step_is_still_stored_and_refused() {
    let t = run(
        Custody::Live(verified_session(id())),
        step(Event::Complete),
        at(40),
    );
    assert_eq!(
        t.outcome,
        Err(CustodyError::Refused(Refusal::ItemsRemaining {
            remaining: 3
        }))
    );
    assert_eq!(t.effects, [Effect::StoreSession]);
}

#[test]
fn each_step_that_finishes_the_session_seals_once() {
    let verified = || Custody::Live(verified_session(id()));
    let mut answered = verified();
    for index in 0..3 {
        let answer = Event::Answer {
            index,
            answer: AnswerKind::Yes,
            comment: None,
        };
        answered = run(answered, step(answer), at(40 + 20 * index as u64)).custody;
    }
    let finishing = [
        (answered, Event::Complete, Stage::Completed),
        (
            verified(),
            Event::SwitchToPhone { reason: None },
            Stage::SwitchedToPhone,
        ),
        (verified(), Event::Cancel, Stage::Cancelled),
    ];
    for (custody, event, stage) in finishing {
        let t = run(custody, step(event), at(100));
        assert_eq!(t.outcome, Ok(()));
        assert_eq!(t.effects, [Effect::StoreSession, Effect::Seal]);
        assert_eq!(t.custody.session().map(|s| s.stage), Some(stage));
        // Once finished, later steps neither change the session nor seal again.
        let again = run(t.custody.clone(), step(Event::Complete), at(101));
        assert_eq!(again.effects, [Effect::StoreSession]);
        assert_eq!(again.custody, t.custody);
        assert_eq!(again.outcome, Err(Refusal::Finished.into()));
    }
}

#[test]
fn a_late_event_expires_the_session_and_seals_it_though_refused() {
    // R1: at the cooling-off end the link dies whatever the event.
    let t = run(Custody::Live(verified_session(id())), step(open()), ends());
    assert_eq!(t.outcome, Err(Refusal::Expired.into()));
    assert_eq!(t.effects, [Effect::StoreSession, Effect::Seal]);
    assert_eq!(t.custody.session().map(|s| s.stage), Some(Stage::Expired));
}

#[test]
fn the_seal_goes_to_the_outbox_and_is_delivered_at_once() {
    let session = finished_session(id(), &[AnswerKind::Yes; 3]);
    let record = seal(&session);
    let t = run(
        Custody::Live(session.clone()),
        Input::Sealed(record.clone()),
        at(300),
    );
    assert_eq!(t.effects, [Effect::StoreOutbox, Effect::SetAlarm(at(300))]);
    assert_eq!(
        t.custody.outbox(),
        Some(&Outbox {
            sealed: record.clone(),
            attempts: 0
        })
    );
    // A seal for a session that is not finished changes nothing.
    let live = Custody::Live(verified_session(id()));
    let t = run(live.clone(), Input::Sealed(record), at(300));
    assert_eq!((t.custody, t.effects), (live, vec![]));
}

#[test]
fn steps_on_a_sealed_session_are_refused_without_a_store() {
    let custody = sealed();
    let t = run(
        custody.clone(),
        step(Event::SwitchToPhone { reason: None }),
        at(301),
    );
    assert_eq!(t.outcome, Err(Refusal::Finished.into()));
    assert!(t.effects.is_empty());
    assert_eq!(t.custody, custody);
}

// ---- the alarm ----------------------------------------------------------------------------------

#[test]
fn the_alarm_at_the_cooling_off_end_expires_and_seals() {
    let t = run(Custody::Live(verified_session(id())), Input::Alarm, ends());
    assert_eq!(t.outcome, Ok(()));
    assert_eq!(t.effects, [Effect::StoreSession, Effect::Seal]);
    assert_eq!(t.custody.session().map(|s| s.stage), Some(Stage::Expired));
}

#[test]
fn an_alarm_before_the_end_sleeps_until_what_comes_next() {
    let live = Custody::Live(verified_session(id()));
    let t = run(live.clone(), Input::Alarm, at(100));
    let reminder = Timestamp::from_millis(ends().millis() - 3 * DAY_MS);
    assert_eq!(t.effects, [Effect::SetAlarm(reminder)]);
    assert_eq!(t.custody, live);
    // Reminded already: until the end.
    let (reminded, outcome) = verified_session(id()).apply(
        Event::Notified {
            notice: Notice::Reminder,
            outcome: Ok(()),
        },
        at(150),
    );
    assert!(outcome.is_ok());
    let t = run(Custody::Live(reminded), Input::Alarm, at(200));
    assert_eq!(t.effects, [Effect::SetAlarm(ends())]);
}

#[test]
fn the_alarm_delivers_the_outbox() {
    let custody = sealed();
    let t = run(custody.clone(), Input::Alarm, at(300));
    assert_eq!(t.effects, [Effect::Deliver]);
    assert_eq!(t.custody, custody);
}

#[test]
fn the_alarm_seals_a_finished_session_whose_seal_was_lost() {
    let session = finished_session(id(), &[AnswerKind::No; 3]);
    let t = run(Custody::Live(session), Input::Alarm, at(300));
    assert_eq!(t.effects, [Effect::Seal]);
}

#[test]
fn nothing_held_nothing_done() {
    let t = run(Custody::Absent, Input::Alarm, at(1));
    assert_eq!((t.custody, t.effects), (Custody::Absent, vec![]));
    let t = run(Custody::Absent, step(open()), at(1));
    assert_eq!(t.outcome, Err(CustodyError::Unknown));
    assert_eq!(Custody::Absent.status(), Err(CustodyError::Unknown));
}

// ---- delivery and the tombstone -----------------------------------------------------------------

#[test]
fn the_acknowledgement_leaves_a_tombstone_and_erases_the_session() {
    // R2
    let custody = sealed();
    let (session, record) = match &custody {
        Custody::Sealed { session, outbox } => (session.clone(), outbox.sealed.record.clone()),
        _ => unreachable!(),
    };
    let t = run(
        custody,
        Input::Delivered {
            record_hash: "ab".repeat(32),
        },
        at(400),
    );
    let tombstone = Tombstone {
        revisit_id: id(),
        link_digest: session.revisit.link_digest.clone(),
        outcome: Outcome::Completed,
        record_hash: "ab".repeat(32),
        delivered_at: at(400),
        link_expires_at: record.cooling_off_ends_at,
    };
    let erase_at = ends().plus_millis(30 * DAY_MS);
    assert_eq!(
        t.effects,
        [
            Effect::StoreTombstone,
            Effect::EraseSession,
            Effect::SetAlarm(erase_at)
        ]
    );
    assert_eq!(t.custody, Custody::Delivered(tombstone.clone()));
    let stored = serde_json::to_string(&tombstone).unwrap();
    assert!(!stored.contains(session.revisit.phone.as_str()));
    // A second acknowledgement (a retry that crossed the first) changes nothing.
    let again = run(
        t.custody.clone(),
        Input::Delivered {
            record_hash: "cd".repeat(32),
        },
        at(401),
    );
    assert_eq!((again.custody, again.effects), (t.custody, vec![]));
}

#[test]
fn the_tombstone_is_erased_after_its_grace_and_not_before() {
    let custody = delivered();
    let erase_at = ends().plus_millis(TOMBSTONE_GRACE_MS);
    let t = run(custody.clone(), Input::Alarm, erase_at);
    assert_eq!(t.effects, [Effect::EraseAll]);
    assert_eq!(t.custody, Custody::Absent);
    let early = ends().plus_millis(TOMBSTONE_GRACE_MS - 1);
    let t = run(custody.clone(), Input::Alarm, early);
    assert_eq!(t.effects, [Effect::SetAlarm(erase_at)]);
    assert_eq!(t.custody, custody);
}

#[test]
fn a_tombstone_reads_as_the_status_and_as_the_end_of_the_link() {
    let custody = delivered();
    let status = custody.status().unwrap();
    assert_eq!(
        (
            status.stage,
            status.delivered,
            status.items_answered,
            status.item_count
        ),
        (Stage::Completed, true, None, None)
    );
    assert_eq!(status.record_hash, Some("ab".repeat(32)));
    assert_eq!(status.expires_at, ends().to_rfc3339());
    let Custody::Delivered(mut t) = custody else {
        unreachable!()
    };
    let link = t.link_digest.clone();
    let as_custody = |t: &Tombstone| Custody::Delivered(t.clone());
    assert_eq!(
        as_custody(&t).session_for_link(&link).err(),
        Some(Refusal::Finished.into())
    );
    assert_eq!(
        as_custody(&t).session_for_link("another link").err(),
        Some(CustodyError::UnknownLink)
    );
    for (outcome, refusal) in [
        (Outcome::Expired, Refusal::Expired),
        (Outcome::SwitchedToPhone, Refusal::Finished),
        (Outcome::Cancelled, Refusal::Finished),
    ] {
        t.outcome = outcome;
        assert_eq!(t.refusal(), refusal);
        assert_eq!(
            as_custody(&t).session_for_link(&link).err(),
            Some(refusal.into())
        );
    }
    // The insurer's events after delivery: finished.
    let t = run(as_custody(&t), step(Event::Cancel), at(500));
    assert_eq!(t.outcome, Err(Refusal::Finished.into()));
    assert!(t.effects.is_empty());
}

#[test]
fn the_status_of_a_held_session_names_the_pending_record() {
    let live = Custody::Live(verified_session(id()));
    let status = live.status().unwrap();
    assert_eq!((status.delivered, status.record_hash), (false, None));
    let custody = sealed();
    let hash = custody.outbox().map(|o| o.sealed.seal.record_hash.clone());
    let status = custody.status().unwrap();
    assert_eq!((status.delivered, status.record_hash), (false, hash));
    assert_eq!(status.items_answered, Some(3));
}

#[test]
fn only_the_current_link_opens_the_session() {
    let live = Custody::Live(verified_session(id()));
    let link = live
        .session()
        .map(|s| s.revisit.link_digest.clone())
        .unwrap();
    assert!(live.session_for_link(&link).is_ok());
    assert_eq!(
        live.session_for_link("old").err(),
        Some(CustodyError::UnknownLink)
    );
    assert!(sealed().session_for_link(&link).is_ok());
}

#[test]
fn the_stored_parts_read_back_as_the_state() {
    let session = verified_session(id());
    let Custody::Sealed { outbox, .. } = sealed() else {
        unreachable!()
    };
    let Custody::Delivered(tombstone) = delivered() else {
        unreachable!()
    };
    assert_eq!(
        Custody::from_parts(Some(session.clone()), None, None),
        Custody::Live(session.clone())
    );
    assert_eq!(
        Custody::from_parts(Some(session.clone()), Some(*outbox.clone()), None),
        Custody::Sealed {
            session,
            outbox: outbox.clone()
        }
    );
    assert_eq!(
        Custody::from_parts(None, None, Some(tombstone.clone())),
        Custody::Delivered(tombstone)
    );
    assert_eq!(Custody::from_parts(None, None, None), Custody::Absent);
}

#[test]
fn only_the_storage_effects_are_writes_a_shell_may_run_together() {
    let wake = at(60);
    assert_eq!(Effect::StoreSession.as_write(), Some(Write::Session));
    assert_eq!(Effect::StoreOutbox.as_write(), Some(Write::Outbox));
    assert_eq!(Effect::StoreTombstone.as_write(), Some(Write::Tombstone));
    assert_eq!(Effect::SetAlarm(wake).as_write(), Some(Write::Alarm(wake)));
    // Held, erased or sent: not a write of a part, so never folded into a run of writes.
    for effect in [
        Effect::HoldSession,
        Effect::EraseSession,
        Effect::EraseAll,
        Effect::Seal,
        Effect::Deliver,
    ] {
        assert_eq!(effect.as_write(), None, "{effect:?}");
    }
}
