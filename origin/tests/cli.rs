//! The auditors' commands as an auditor runs them: the real binary over an archive the origin wrote.
//! Exit codes as the README documents them (0 verified, 1 a failure found).

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use huifang_core::session::AnswerKind;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn verify_export_warns_loudly_without_the_auditors_own_keys() {
    let origin = origin();
    for id_byte in 1..=3 {
        let (status, _) = origin
            .post_record(&sealed_with(&edge_key(), id_byte, &[AnswerKind::Yes; 3]))
            .await;
        assert!(status.is_success(), "{status}");
    }
    let db = origin.dir.join("origin.sqlite3");
    let export = origin.dir.join("export.jsonl");
    let keys = format!("edge-1={}", edge_key().public_key_hex());
    let out = run(&[
        "export",
        "--db",
        db.to_str().unwrap(),
        "--out",
        export.to_str().unwrap(),
        "--edge-keys",
        &keys,
    ]);
    assert!(out.status.success(), "{:?}", text(&out));

    let with_keys = run(&[
        "verify-export",
        export.to_str().unwrap(),
        "--edge-keys",
        &keys,
    ]);
    let (stdout, stderr) = text(&with_keys);
    assert_eq!(with_keys.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("3 records")
            && stdout.contains("checked with the keys given with --edge-keys"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("WARNING") && !stderr.contains("WARNING"),
        "{stdout}{stderr}"
    );

    // Without keys it still verifies, but says on both streams what that is worth.
    let without = run(&["verify-export", export.to_str().unwrap()]);
    let (stdout, stderr) = text(&without);
    assert_eq!(without.status.code(), Some(0), "{stdout}{stderr}");
    for stream in [&stdout, &stderr] {
        assert!(
            stream.contains("WARNING: no --edge-keys given") && stream.contains("edge-1"),
            "{stream}"
        );
    }

    // A stranger's keys: every seal fails, exit 1.
    let stranger = format!("edge-1={}", stranger_key().public_key_hex());
    let wrong = run(&[
        "verify-export",
        export.to_str().unwrap(),
        "--edge-keys",
        &stranger,
    ]);
    let (stdout, _) = text(&wrong);
    assert_eq!(wrong.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("FAIL ")).count(),
        3,
        "{stdout}"
    );
}
