//! The command line as operators and auditors run it: the real binary, its help and usage errors,
//! its environment fallbacks, its progress bar under a terminal, and the auditors' commands over an
//! archive the origin wrote. Exit codes as docs/ORIGIN.md documents them (0 done, 1 a failure found,
//! 2 bad usage, 3 unreadable input).

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use crate::common;

use clap::CommandFactory;
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

/// An archive of `n` records written by the origin, and the keys that verify it.
async fn archive_of(n: u8) -> (TestOrigin, String, String) {
    let origin = origin();
    for id_byte in 1..=n {
        let (status, _) = origin
            .post_record(&sealed_with(&edge_key(), id_byte, &[AnswerKind::Yes; 3]))
            .await;
        assert!(status.is_success(), "{status}");
    }
    let db = origin
        .dir
        .join("origin.sqlite3")
        .to_str()
        .unwrap()
        .to_string();
    let keys = format!("edge-1={}", edge_key().public_key_hex());
    (origin, db, keys)
}

#[test]
fn every_subcommands_help_lists_its_flags() {
    let tree = origin::cli::Cli::command();
    let mut checked = 0;
    for sub in tree.get_subcommands() {
        let out = run(&[sub.get_name(), "--help"]);
        let (stdout, stderr) = text(&out);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{} --help: {stderr}",
            sub.get_name()
        );
        assert!(stdout.contains("Usage: huifang-origin"), "{stdout}");
        for arg in sub.get_arguments().filter_map(|a| a.get_long()) {
            assert!(
                stdout.contains(&format!("--{arg}")),
                "{}: --{arg}\n{stdout}",
                sub.get_name()
            );
        }
        checked += 1;
    }
    // serve, batch, revisit, export, verify-archive, verify-export, validate-script, public-key,
    // dev-secrets, completions.
    assert!(checked >= 10, "{checked}");
    let top = run(&["--help"]);
    let (stdout, _) = text(&top);
    assert!(
        stdout.contains("Exit codes:") && stdout.contains("verify-archive"),
        "{stdout}"
    );
}

#[test]
fn a_wrong_flag_gets_a_suggestion_and_exit_2() {
    let out = run(&["verify-archive", "--dbb", "origin.sqlite3"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("a similar argument exists: '--db'"),
        "{stderr}"
    );
    let out = run(&["verfy-export", "x.jsonl"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("'verify-export'"), "{stderr}");
    // No subcommand: the help, on stderr, as a usage error.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn verify_archive_takes_its_archive_and_keys_from_the_environment() {
    let (_origin, db, keys) = archive_of(2).await;
    let out = Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
        .arg("verify-archive")
        .env("HUIFANG_ORIGIN_DB", &db)
        .env("HUIFANG_EDGE_PUBLIC_KEYS", &keys)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("verify-archive: 2 records, 0 failed"),
        "{stdout}"
    );
    // Without a terminal, no progress: stderr stays empty.
    assert_eq!(stderr, "");
    // The flag wins over the variable.
    let out = Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
        .args([
            "verify-archive",
            "--edge-keys",
            &keys,
            "--db",
            "/nonexistent/a.sqlite3",
        ])
        .env("HUIFANG_ORIGIN_DB", &db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{:?}", text(&out));
}

/// Runs `args` under a pseudo-terminal (util-linux `script`), so that stderr is a terminal; returns
/// everything the terminal showed.
fn run_in_terminal(args: &[&str]) -> (Option<i32>, String) {
    let command = std::iter::once(env!("CARGO_BIN_EXE_huifang-origin"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("util-linux `script` runs the command under a pseudo-terminal");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn verify_archive_shows_progress_only_on_a_terminal() {
    let (_origin, db, keys) = archive_of(3).await;
    let (code, shown) = run_in_terminal(&["verify-archive", "--db", &db, "--edge-keys", &keys]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(
        shown.contains("verify-archive: 3 records, 0 failed"),
        "{shown}"
    );
    assert!(
        shown.contains("verify-archive [") && shown.contains("/3 records ("),
        "a progress line: {shown:?}"
    );
    let (code, quiet) = run_in_terminal(&[
        "verify-archive",
        "--quiet",
        "--db",
        &db,
        "--edge-keys",
        &keys,
    ]);
    assert_eq!(code, Some(0), "{quiet}");
    assert!(!quiet.contains("verify-archive ["), "--quiet: {quiet:?}");
    // Without a terminal (the other tests' pipes), nothing but the report.
    let piped = run(&["verify-archive", "--db", &db, "--edge-keys", &keys]);
    assert!(!text(&piped).0.contains('[') && text(&piped).1.is_empty());
}
