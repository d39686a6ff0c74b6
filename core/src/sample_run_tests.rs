#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::fixtures::finished_session;
use crate::record::{Flag, FlagKind, Record};
use crate::sampling::{draw, Method, PickReason, Strata};
use crate::session::AnswerKind;
use crate::RevisitId;

const SEED: &str = "00112233445566778899aabbccddeeff";

fn record() -> Record {
    let answers = [AnswerKind::Yes; 16];
    let n = crate::fixtures::sample_script().items.len();
    Record::of(
        &finished_session(RevisitId::from_random([3; 12]), &answers[..n]),
        "test",
    )
    .unwrap()
}

fn frame(n: u32) -> Vec<FrameEntry> {
    (0..n)
        .map(|i| {
            frame_entry(
                &format!("rv{i:05}"),
                &format!("P{:06}", (i * 7919) % 100_000),
                if i % 4 == 0 { None } else { Some("bank") },
                if i % 3 == 0 {
                    &["dividends-not-guaranteed"]
                } else {
                    &["no-promises-beyond-contract"]
                },
                i % 97 == 0,
            )
        })
        .collect()
}

fn spec() -> SampleSpec {
    SampleSpec {
        seed: SEED.into(),
        minimum: 20,
        ..SampleSpec::default()
    }
}

#[test]
fn product_type_comes_from_the_items_and_unknown_channels_get_their_own_stratum() {
    assert_eq!(
        product_type(["a", "dividends-not-guaranteed"]),
        "participating"
    );
    assert_eq!(
        product_type(["fees-and-uncertain-returns"]),
        "universal_or_investment_linked"
    );
    assert_eq!(product_type(["a", "b"]), "other");
    assert_eq!(channel_of(Some("  ")), None);
    assert_eq!(channel_of(Some("bank")), Some("bank".into()));
    let s = draw(&frame(400), &spec()).unwrap();
    let strata: Vec<&str> = s.strata.iter().map(|d| d.stratum.as_str()).collect();
    assert_eq!(
        strata,
        [
            "bank × other",
            "bank × participating",
            "unknown × other",
            "unknown × participating"
        ]
    );
}

#[test]
fn a_redraw_of_the_same_frame_matches_and_each_change_is_named() {
    let f = frame(500);
    let stored = draw(&f, &spec()).unwrap();
    assert_eq!(compare(&stored, &draw(&f, &spec()).unwrap()), vec![]);

    // A stored pick replaced by a revisit that was not drawn.
    let mut altered = stored.clone();
    let outside = f
        .iter()
        .find(|e| !stored.picks.iter().any(|p| p.revisit_id == e.revisit_id))
        .unwrap();
    let removed = altered.picks.remove(0);
    altered.picks.push(crate::sampling::Pick {
        revisit_id: outside.revisit_id.clone(),
        stratum: removed.stratum.clone(),
        reason: PickReason::Drawn,
    });
    altered
        .picks
        .sort_by(|a, b| a.revisit_id.cmp(&b.revisit_id));
    let diff = compare(&altered, &draw(&f, &spec()).unwrap());
    assert!(diff.contains(&Difference::PickNotRedrawn {
        revisit_id: outside.revisit_id.clone()
    }));
    assert!(diff.contains(&Difference::PickNotStored {
        revisit_id: removed.revisit_id.clone()
    }));

    // One more record in the frame: digest and size differ.
    let mut bigger = f.clone();
    bigger.push(frame_entry("rvzzz", "P9", None, &[], false));
    let diff = compare(&stored, &draw(&bigger, &spec()).unwrap());
    assert!(matches!(
        diff[0],
        Difference::FrameSize {
            stored: 500,
            redrawn: 501
        }
    ));
    assert!(matches!(diff[1], Difference::FrameDigest { .. }));
    assert!(diff.iter().all(|d| !d.to_string().is_empty()));
}

#[test]
fn a_clean_record_passes_every_computed_check() {
    let r = record();
    let checks = compute_checks(&r);
    let order: Vec<Check> = checks.iter().map(|c| c.check).collect();
    assert_eq!(order, CHECKS);
    for c in &checks {
        // The fixture does not sign: the reviewer judges that.
        let expected = (c.check != Check::Signature).then_some(true);
        assert_eq!(c.passed, expected, "{c:?}");
    }
    // The facts behind them, typed for the console to word: the code verified, the order.
    assert_eq!(checks[0].detail, vec![Fact::SmsCodeVerified]);
    assert!(matches!(
        &checks[1].detail[..],
        [Fact::AnswerOrder { answered, shown }] if answered == shown && shown[0] == 1
    ));
    assert!(checks[5]
        .detail
        .iter()
        .all(|f| matches!(f, Fact::PageHash { matches: true, .. })));
    // 20 s between answers, the first 10 s after the code was verified.
    let times = reading_times(&r);
    assert_eq!(times[0], (0, Some(10_000)));
    assert_eq!(times[1], (1, Some(20_000)));
}

#[test]
fn an_altered_page_a_flag_or_a_missing_answer_fails_its_check() {
    let mut r = record();
    if let ItemBody::Paragraphs(p) = &mut r.items[1].body {
        p[0].push('。');
    }
    r.flags.push(Flag {
        kind: FlagKind::AgentNetwork,
        item_index: None,
        seq: 1,
        detail: "10.0.0.0/24".into(),
    });
    r.flags.push(Flag {
        kind: FlagKind::AnsweredTooFast,
        item_index: Some(2),
        seq: 2,
        detail: "1200 ms".into(),
    });
    r.items[2].answer = None;
    let by: BTreeMap<Check, Option<bool>> = compute_checks(&r)
        .into_iter()
        .map(|c| (c.check, c.passed))
        .collect();
    assert_eq!(by[&Check::PageHashes], Some(false));
    assert_eq!(by[&Check::InterferenceFlags], Some(false));
    assert_eq!(by[&Check::ReadingTimes], Some(false));
    assert_eq!(by[&Check::ItemsAnsweredInOrder], Some(false));
    assert_eq!(by[&Check::IdentityEvidence], Some(true));
}

fn run(picks: &Sample) -> RunState {
    let entry = RunEntry {
        run_id: "run-1".into(),
        at: Timestamp(1),
        by: "sup".into(),
        event: RunEvent::Drawn {
            params: RunParams {
                period_from: Timestamp(0),
                period_to: Timestamp(10),
                outcome: "completed".into(),
                spec: SampleSpec {
                    method: Method::SeedRank,
                    strata: Strata::ChannelAndProductType,
                    ..spec()
                },
                records_head: 5,
                cases_head: 0,
            },
            sample: picks.clone(),
        },
    };
    RunState::replay(&[entry]).unwrap()
}

fn answers(holds: bool) -> Vec<CheckAnswer> {
    CHECKS
        .iter()
        .map(|&check| CheckAnswer { check, holds })
        .collect()
}

#[test]
fn reviews_follow_the_checklist_and_roles_and_sign_off_needs_every_pick() {
    let f = frame(30);
    let sample = draw(&f, &spec()).unwrap();
    let state = run(&sample);
    let id = sample.picks[0].revisit_id.clone();
    let ok: Vec<Computed> = vec![];
    let failed = vec![Computed {
        check: Check::PageHashes,
        passed: Some(false),
        detail: vec![],
    }];
    use crate::casework::Role::*;
    assert_eq!(
        state.decide_review(Auditor, &id, &ok, &answers(true), Verdict::Compliant, ""),
        Err(RunRefusal::Role)
    );
    assert_eq!(
        state.decide_review(
            Reviewer,
            "nope",
            &ok,
            &answers(true),
            Verdict::Compliant,
            ""
        ),
        Err(RunRefusal::NotAPick)
    );
    assert_eq!(
        state.decide_review(
            Reviewer,
            &id,
            &ok,
            &answers(true)[1..],
            Verdict::Compliant,
            ""
        ),
        Err(RunRefusal::Checklist)
    );
    let mut swapped = answers(true);
    swapped.swap(0, 1);
    assert_eq!(
        state.decide_review(Reviewer, &id, &ok, &swapped, Verdict::Compliant, ""),
        Err(RunRefusal::Checklist)
    );
    assert_eq!(
        state.decide_review(Reviewer, &id, &ok, &answers(false), Verdict::Compliant, ""),
        Err(RunRefusal::VerdictContradicts)
    );
    assert_eq!(
        state.decide_review(
            Reviewer,
            &id,
            &failed,
            &answers(true),
            Verdict::Compliant,
            ""
        ),
        Err(RunRefusal::VerdictContradicts)
    );
    assert_eq!(
        state.decide_review(
            Reviewer,
            &id,
            &failed,
            &answers(true),
            Verdict::Finding,
            " "
        ),
        Err(RunRefusal::NoteMissing)
    );
    assert_eq!(
        state.decide_review(Reviewer, &id, &ok, &answers(true), Verdict::Compliant, ""),
        Ok(())
    );
    assert_eq!(
        state.decide_sign_off(Supervisor, ""),
        Err(RunRefusal::NotAllReviewed)
    );
    assert_eq!(state.decide_sign_off(Reviewer, ""), Err(RunRefusal::Role));

    let mut entries = vec![RunEntry {
        run_id: "run-1".into(),
        at: Timestamp(1),
        by: "sup".into(),
        event: RunEvent::Drawn {
            params: state.params.clone(),
            sample: sample.clone(),
        },
    }];
    for (i, p) in sample.picks.iter().enumerate() {
        entries.push(RunEntry {
            run_id: "run-1".into(),
            at: Timestamp(2),
            by: "rev".into(),
            event: RunEvent::Reviewed {
                revisit_id: p.revisit_id.clone(),
                checks: answers(i != 0),
                verdict: if i == 0 {
                    Verdict::Finding
                } else {
                    Verdict::Compliant
                },
                note: String::new(),
                case_id: None,
            },
        });
    }
    let done = RunState::replay(&entries).unwrap();
    assert_eq!(done.findings(), 1);
    assert_eq!(
        done.decide_review(Reviewer, &id, &ok, &answers(true), Verdict::Compliant, ""),
        Err(RunRefusal::AlreadyReviewed)
    );
    assert_eq!(done.decide_sign_off(Supervisor, "ok"), Ok(()));
    entries.push(RunEntry {
        run_id: "run-1".into(),
        at: Timestamp(3),
        by: "sup".into(),
        event: RunEvent::SignedOff { note: "ok".into() },
    });
    let signed = RunState::replay(&entries).unwrap();
    assert_eq!(
        signed.decide_sign_off(Supervisor, ""),
        Err(RunRefusal::SignedOff)
    );
    // A second `drawn` is not a run.
    entries.push(entries[0].clone());
    assert_eq!(RunState::replay(&entries), None);
}
