//! The face step (R8): through the insurer's provider, a reference bound to one session and taken
//! once, failures counted like wrong codes, and the script's alternative always open.

use super::*;
use crate::fixtures::sample_revisit;
use crate::record::Record;
use crate::script::{FaceAlternative, FaceCheck};
use crate::session::{FaceOutcome, FaceResult, ScoreBand, FACE_REFERENCE_VALID_MS};
use proptest::prelude::*;

const URL: &str = "http://origin.test/face/sim/page-77";

fn face_session(alternative: FaceAlternative, seed: u8) -> Session {
    let mut revisit = sample_revisit(RevisitId::from_random([seed; 12]));
    revisit.script.identity = vec![
        IdentityStep::SmsCode,
        IdentityStep::Face,
        IdentityStep::Signature,
    ];
    revisit.script.face = Some(FaceCheck {
        provider: "模拟人脸核验".into(),
        alternative,
    });
    revisit.id_number_digest = "right-digest".into();
    assert_eq!(revisit.script.validate(), Ok(()));
    let s = ok(Session::new(revisit), open(), at(1)).0;
    let s = ok(s, issue(CODE), at(2)).0;
    let s = ok(s, submit(CODE), at(3)).0;
    assert_eq!(s.next_step(), Some(IdentityStep::Face));
    assert_eq!(s.stage, Stage::Opened);
    s
}

fn started(s: Session, reference: &str, secs: u64) -> Session {
    let (s, effects) = ok(s, Event::StartFace, at(secs));
    assert!(matches!(
        effects.as_slice(),
        [Effect::StartFaceCheck { .. }]
    ));
    let started = Event::FaceStarted {
        reference: reference.into(),
        redirect_url: URL.into(),
    };
    ok(s, started, at(secs)).0
}

fn result(outcome: FaceOutcome) -> FaceResult {
    FaceResult {
        outcome,
        provider: "模拟人脸核验".into(),
        score_band: Some(ScoreBand::High),
        evidence_id: "sim-ev-0001".into(),
    }
}

fn returned(reference: &str) -> Event {
    Event::FaceReturned {
        reference: reference.into(),
    }
}

fn answered(reference: &str, outcome: FaceOutcome) -> Event {
    Event::FaceResult {
        reference: reference.into(),
        result: Some(result(outcome)),
    }
}

#[test]
fn a_passed_face_check_is_traced_sealed_and_taken_once() {
    let s = face_session(FaceAlternative::IdNumber, 1);
    let view = crate::wire::SessionView::of(&s, at(4));
    let face = view.face.expect("the face step's view");
    assert_eq!(face.provider, "模拟人脸核验");
    assert_eq!(face.alternative, FaceAlternative::IdNumber);
    assert_eq!((face.tries_left, face.redirect_url), (3, None));

    let s = started(s, "ref-1", 4);
    let view = crate::wire::SessionView::of(&s, at(5));
    assert_eq!(view.face.unwrap().redirect_url.as_deref(), Some(URL));
    // The reference is kept only as a digest.
    assert!(!serde_json::to_string(&s).unwrap().contains("ref-1"));

    let (s, effects) = ok(s, returned("ref-1"), at(30));
    assert_eq!(
        effects,
        [Effect::FetchFaceResult {
            revisit_id: s.revisit.id.to_string(),
            reference: "ref-1".into()
        }]
    );
    let (s, _) = ok(s, answered("ref-1", FaceOutcome::Passed), at(31));
    assert_eq!(s.stage, Stage::Verified);
    assert!(s.passed.contains(&IdentityStep::Face));
    assert!(crate::wire::SessionView::of(&s, at(31)).face.is_none());

    // Replayed: refused before the origin is asked, and again if its answer came twice.
    let (s, r) = refused(s, returned("ref-1"), at(32));
    assert_eq!(r, Refusal::FaceReferenceUsed);
    assert_eq!(r.code(), "face_reference_used");
    let (mut s, r) = refused(s, answered("ref-1", FaceOutcome::Passed), at(33));
    assert_eq!(r, Refusal::FaceReferenceUsed);
    assert_eq!(s.face.results.len(), 1);

    // The record carries the result and the evidence id, and the trace says so.
    for i in 0..s.revisit.script.items.len() {
        s = ok(s, yes(i), at(60 + 30 * i as u64)).0;
    }
    let submission = crate::signature::sample_submission();
    s = ok(s, Event::Sign { submission }, at(200)).0;
    s = ok(s, Event::Complete, at(201)).0;
    let record = Record::of(&s, "test").unwrap();
    assert_eq!(record.face, [result(FaceOutcome::Passed)]);
    assert!(record.trace.iter().any(|e| matches!(
        &e.event,
        TraceEvent::FaceChecked { evidence_id, outcome: FaceOutcome::Passed, .. }
            if evidence_id == "sim-ev-0001"
    )));
    assert!(record.trace.verify().is_ok());
}

#[test]
fn a_forged_or_another_sessions_reference_is_refused_and_changes_nothing() {
    let a = started(face_session(FaceAlternative::IdNumber, 1), "ref-a", 4);
    let b = started(face_session(FaceAlternative::IdNumber, 2), "ref-b", 4);
    // B's reference brought back to A: not A's check.
    let (a, r) = refused(a, returned("ref-b"), at(10));
    assert_eq!(r, Refusal::FaceReferenceUnknown);
    let (a, r) = refused(a, answered("ref-b", FaceOutcome::Passed), at(10));
    assert_eq!(r, Refusal::FaceReferenceUnknown);
    let (a, r) = refused(a, returned("forged"), at(11));
    assert_eq!(r.code(), "face_reference_unknown");
    assert!(!a.passed.contains(&IdentityStep::Face));
    // A's own check is still there to be taken back.
    assert!(a.face.pending.is_some());
    let (a, _) = ok(a, answered("ref-a", FaceOutcome::Passed), at(12));
    assert_eq!(a.stage, Stage::Verified);
    assert!(b.face.pending.is_some());
}

#[test]
fn a_return_the_origin_does_not_confirm_voids_the_reference() {
    let s = started(face_session(FaceAlternative::IdNumber, 1), "ref-1", 4);
    let forged = Event::FaceResult {
        reference: "ref-1".into(),
        result: None,
    };
    let (s, r) = refused(s, forged, at(10));
    assert_eq!(r, Refusal::FaceReturnRefused);
    assert!(matches!(
        s.trace.entries().last().unwrap().event,
        TraceEvent::FaceReturnRefused
    ));
    let (s, r) = refused(s, returned("ref-1"), at(11));
    assert_eq!(r, Refusal::FaceReferenceUsed);
    // Not a failure of the check: the tries are all there.
    assert_eq!(s.face_tries_left(), 3);
    // A result with an image-sized or odd evidence id is not taken either.
    let s = started(s, "ref-2", 12);
    let mut odd = result(FaceOutcome::Passed);
    odd.evidence_id = "data:image/png;base64,AAAA".into();
    let event = Event::FaceResult {
        reference: "ref-2".into(),
        result: Some(odd),
    };
    let (s, r) = refused(s, event, at(13));
    assert_eq!(r, Refusal::FaceReturnRefused);
    assert!(s.face.results.is_empty());
}

#[test]
fn a_reference_expires() {
    let s = started(face_session(FaceAlternative::IdNumber, 1), "ref-1", 4);
    let late = at(4).plus_millis(FACE_REFERENCE_VALID_MS + 1_000);
    let (s, r) = s.apply(returned("ref-1"), late);
    assert_eq!(r.unwrap_err(), Refusal::FaceReferenceExpired);
    assert!(s.face.pending.is_none());
    assert!(crate::wire::SessionView::of(&s, late)
        .face
        .unwrap()
        .redirect_url
        .is_none());
    let (_, r) = s.apply(returned("ref-1"), late);
    assert_eq!(r.unwrap_err(), Refusal::FaceReferenceUsed);
}

#[test]
fn three_failures_leave_the_alternative_which_completes_identity() {
    let mut s = face_session(FaceAlternative::IdNumber, 1);
    for n in 0..3u8 {
        let reference = format!("ref-{n}");
        s = started(s, &reference, 10 + u64::from(n) * 10);
        let (next, r) = refused(
            s,
            answered(&reference, FaceOutcome::Failed),
            at(15 + u64::from(n) * 10),
        );
        assert_eq!(r, Refusal::FaceFailed { tries_left: 2 - n });
        assert_eq!(r.tries_left(), Some(2 - n));
        s = next;
    }
    // Counted like wrong codes, against the day.
    assert_eq!(
        s.wrong_codes
            .count(crate::throttle::WRONG_CODES_PER_SESSION, at(40)),
        3
    );
    let (s, r) = refused(s, Event::StartFace, at(60));
    assert_eq!(r, Refusal::FaceTriesUsed);
    assert_eq!(
        crate::wire::SessionView::of(&s, at(60))
            .face
            .unwrap()
            .tries_left,
        0
    );
    let (s, _) = ok(s, Event::DeclineFace, at(61));
    assert_eq!(s.next_step(), Some(IdentityStep::IdNumber));
    assert!(matches!(
        s.trace.entries().last().unwrap().event,
        TraceEvent::FaceDeclined {
            alternative: FaceAlternative::IdNumber
        }
    ));
    let (s, r) = refused(s, Event::StartFace, at(62));
    assert_eq!(r, Refusal::WrongStep);
    let (s, _) = ok(s, id_number("right-digest"), at(63));
    assert_eq!(s.stage, Stage::Verified);
    // The signature is still asked for after the items.
    assert!(s.signature_required());
}

#[test]
fn a_cancelled_check_is_not_a_failure_and_can_be_started_again() {
    let s = started(face_session(FaceAlternative::IdNumber, 1), "ref-1", 4);
    let (s, _) = ok(s, answered("ref-1", FaceOutcome::Cancelled), at(10));
    assert_eq!(s.face_tries_left(), 3);
    assert_eq!(s.next_step(), Some(IdentityStep::Face));
    let s = started(s, "ref-2", 11);
    // Starting again voids the earlier reference.
    let s = started(s, "ref-3", 12);
    let (_, r) = refused(s, returned("ref-2"), at(13));
    assert_eq!(r, Refusal::FaceReferenceUsed);
}

#[test]
fn declining_with_the_phone_alternative_switches_to_phone() {
    let s = face_session(FaceAlternative::Phone, 1);
    let (s, _) = ok(s, Event::DeclineFace, at(10));
    assert_eq!(s.stage, Stage::SwitchedToPhone);
    let record = Record::of(&s, "test").unwrap();
    assert!(record.face.is_empty());
}

#[test]
fn the_face_events_are_refused_out_of_turn() {
    let s = face_session(FaceAlternative::IdNumber, 1);
    let (_, r) = refused(s, returned("nothing-started"), at(5));
    assert_eq!(r, Refusal::FaceReferenceUnknown);
    // A script without a face step: starting or declining one is the wrong step.
    let (_, r) = refused(verified_session(), Event::StartFace, at(5));
    assert_eq!(r, Refusal::AlreadyVerified);
    let fresh = ok(new_session(), open(), at(1)).0;
    let (fresh, r) = refused(fresh, Event::StartFace, at(2));
    assert_eq!(r, Refusal::WrongStep);
    let (_, r) = refused(fresh, Event::DeclineFace, at(2));
    assert_eq!(r, Refusal::WrongStep);
    // Before the SMS code: the face step is not next yet.
    let mut revisit = sample_revisit(RevisitId::from_random([7; 12]));
    revisit.script.identity = vec![IdentityStep::SmsCode, IdentityStep::Face];
    let s = ok(Session::new(revisit), open(), at(1)).0;
    let (_, r) = refused(s, Event::StartFace, at(2));
    assert_eq!(r, Refusal::WrongStep);
    // An origin answer no provider flow can use is not kept.
    let s = face_session(FaceAlternative::IdNumber, 1);
    let (s, _) = ok(s, Event::StartFace, at(4));
    for (reference, url) in [("ref 1", URL), ("ref-1", "javascript:alert(1)")] {
        let event = Event::FaceStarted {
            reference: reference.into(),
            redirect_url: url.into(),
        };
        let (next, r) = s.clone().apply(event, at(4));
        assert_eq!(r.unwrap_err(), Refusal::FaceUnavailable);
        assert!(next.face.pending.is_none());
    }
}

proptest! {
    /// Whatever a stranger brings back, only the started reference is ever taken, and the face
    /// step passes only on its "passed".
    #[test]
    fn only_the_started_reference_is_taken(
        tries in proptest::collection::vec(("[A-Za-z0-9._:-]{1,12}", 0u8..3), 1..12)
    ) {
        let mut s = started(face_session(FaceAlternative::IdNumber, 1), "the-ref", 4);
        for (reference, outcome) in tries {
            let outcome = [FaceOutcome::Passed, FaceOutcome::Failed, FaceOutcome::Cancelled]
                [usize::from(outcome)];
            let (next, r) = s.apply(answered(&reference, outcome), at(10));
            if reference != "the-ref" {
                prop_assert_eq!(r.unwrap_err(), Refusal::FaceReferenceUnknown);
                prop_assert!(!next.passed.contains(&IdentityStep::Face));
                prop_assert!(next.face.pending.is_some());
            }
            s = next;
        }
    }
}

#[test]
fn a_session_locked_by_wrong_tries_refuses_the_face_check_too() {
    let mut s = started(face_session(FaceAlternative::IdNumber, 1), "ref-1", 4);
    let limit = crate::throttle::WRONG_CODES_PER_SESSION;
    while s.locked_secs(at(20)) == 0 {
        s.wrong_codes.record(limit, at(10));
    }
    let (s, r) = refused(s, Event::StartFace, at(20));
    assert!(matches!(r, Refusal::SessionLocked { .. }), "{r:?}");
    let (s, r) = refused(s, returned("ref-1"), at(20));
    assert_eq!(r.code(), "session_locked");
    // The alternative stays open.
    let (s, _) = ok(s, Event::DeclineFace, at(21));
    assert_eq!(s.next_step(), Some(IdentityStep::IdNumber));
}

#[test]
fn a_session_without_a_face_step_is_stored_as_before() {
    let s = ok(new_session(), open(), at(1)).0;
    let json = serde_json::to_string(&s).unwrap();
    assert!(!json.contains("\"face\""), "{json}");
    let back: Session = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    let s = started(face_session(FaceAlternative::IdNumber, 1), "ref-1", 4);
    let back: Session = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back.face, s.face);
}
