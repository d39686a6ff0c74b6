//! Two origin processes on one PostgreSQL database (issue 17; R3, R4): the same 200 records
//! delivered to both at once are each stored once, every delivery is acknowledged (one of the two
//! as a duplicate), the archive chain and the case log are intact (`verify-archive` passes), and the
//! record and case-log rows cannot be changed.
//!
//! Needs `HUIFANG_TEST_PG` (tools/pg.sh start prints it); without it, under `make test`
//! (`HUIFANG_TEST_PG_REQUIRED=1`) the test fails, in a plain `cargo test` it is skipped with a notice.

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

const RECORDS: usize = 200;

fn test_database() -> Option<String> {
    match std::env::var("HUIFANG_TEST_PG") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            let required = std::env::var("HUIFANG_TEST_PG_REQUIRED").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "HUIFANG_TEST_PG is not set: this test must run on PostgreSQL"
            );
            eprintln!(
                "NOTICE: HUIFANG_TEST_PG is not set: the two-origin PostgreSQL test is skipped"
            );
            None
        }
    }
}

/// A fresh schema of the test database, dropped on drop.
struct Schema {
    base: String,
    name: String,
}

impl Schema {
    fn fresh(base: &str, name: &str) -> Self {
        let name = format!("t_{}_{name}", std::process::id());
        let mut admin = postgres::Client::connect(base, postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
            ))
            .unwrap();
        Self {
            base: base.to_string(),
            name,
        }
    }

    /// The `--db` of a store in this schema.
    fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-c%20search_path%3D{}", self.base, self.name)
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).unwrap()
    }

    fn count(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).unwrap().get(0)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.base, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// `huifang-origin serve` on a free port; killed on drop.
struct Origin {
    child: Child,
    addr: String,
}

impl Origin {
    fn start(db: &str) -> Self {
        let keys = format!("edge-1={}", edge_key().public_key_hex());
        let mut child = Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--db",
                db,
                "--edge-keys",
                &keys,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let addr = first
            .strip_prefix("origin listening on http://")
            .unwrap_or_else(|| panic!("{first}"))
            .to_string();
        // Keep reading its stdout, so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, addr }
    }

    /// `POST /records` over a fresh connection: the status and the body.
    fn post_record(&self, body: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "POST /records HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            self.addr,
            body.len()
        )
        .unwrap();
        stream.write_all(body).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Record `n`: distinct revisits; every fifth has a "no" (a problem case for the case log).
fn sealed(n: usize) -> Vec<u8> {
    let id = RevisitId::from_random({
        let mut bytes = [0x5a; 12];
        bytes[..8].copy_from_slice(&(n as u64).to_be_bytes());
        bytes
    });
    let answers: &[AnswerKind] = if n.is_multiple_of(5) {
        &[AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes]
    } else {
        &ALL_YES
    };
    let session = finished_session(id, answers);
    serde_json::to_vec(&Record::of(&session, "test").unwrap().seal(&edge_key())).unwrap()
}

#[test]
fn two_origins_on_one_database_store_each_record_once_and_keep_the_chain() {
    let Some(base) = test_database() else { return };
    let schema = Schema::fresh(&base, "two_origins");
    let db = schema.url();
    let origins = [Origin::start(&db), Origin::start(&db)];
    let bodies: Vec<Vec<u8>> = (0..RECORDS).map(sealed).collect();

    // Each origin takes the records in the same order with three senders, so that the same record
    // reaches both at about the same moment.
    let next = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let acks: Vec<(usize, u16, String)> = std::thread::scope(|scope| {
        let senders: Vec<_> = (0..6)
            .map(|s| {
                let (origin, next, bodies) = (&origins[s % 2], &next[s % 2], &bodies);
                scope.spawn(move || {
                    let mut acks = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some(body) = bodies.get(n) else {
                            return acks;
                        };
                        let (status, reply) = origin.post_record(body);
                        acks.push((n, status, reply));
                    }
                })
            })
            .collect();
        senders
            .into_iter()
            .flat_map(|s| s.join().unwrap())
            .collect()
    });
    assert_eq!(acks.len(), 2 * RECORDS);
    let mut duplicates = vec![0; RECORDS];
    for (n, status, reply) in &acks {
        assert_eq!(*status, 200, "record {n}: {reply}");
        let ack: Value = serde_json::from_str(reply).unwrap();
        if ack["duplicate"] == json!(true) {
            duplicates[*n] += 1;
        }
    }
    // One of the two deliveries of each record stored it; the other found it stored.
    assert!(duplicates.iter().all(|d| *d == 1), "{duplicates:?}");

    assert_eq!(schema.count("SELECT COUNT(*) FROM records"), RECORDS as i64);
    assert_eq!(schema.count("SELECT MAX(seq) FROM records"), RECORDS as i64);
    assert_eq!(
        schema.count("SELECT COUNT(*) FROM deliveries"),
        2 * RECORDS as i64
    );
    assert_eq!(
        schema.count("SELECT COUNT(*) FROM case_log"),
        (RECORDS / 5) as i64,
        "one case opened per record with a no"
    );

    // The chain and the case log verify, through the command an auditor runs.
    let keys = format!("edge-1={}", edge_key().public_key_hex());
    let out = Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
        .args([
            "verify-archive",
            "--db",
            &db,
            "--edge-keys",
            &keys,
            "--json",
            "--quiet",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["records"], json!(RECORDS));
    assert_eq!(report["failed"], json!(0));
    assert_eq!(report["head_seq"], json!(RECORDS));
    assert_eq!(report["case_entries"], json!(RECORDS / 5));
    assert_eq!(report["case_failures"], json!([]));
    assert!(report["db"].as_str().unwrap().starts_with("postgres://"));

    // R4: PostgreSQL itself refuses to change a stored record or case-log entry.
    let mut client = schema.client();
    for sql in [
        "UPDATE records SET outcome = 'expired' WHERE seq = 1",
        "DELETE FROM records WHERE seq = 200",
        "UPDATE case_log SET actor = 'x' WHERE seq = 1",
        "DELETE FROM case_log",
    ] {
        let error = client.execute(sql, &[]).unwrap_err();
        let message = error.as_db_error().unwrap().message().to_string();
        assert!(message.contains("append-only"), "{sql}: {message}");
    }
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `verify-archive --json` of `db`: passes, and its record count and heads.
fn verified(db: &str) -> (Value, Value, Value) {
    let keys = format!("edge-1={}", edge_key().public_key_hex());
    let (ok, stdout, stderr) = run(&[
        "verify-archive",
        "--db",
        db,
        "--edge-keys",
        &keys,
        "--json",
        "-q",
    ]);
    assert!(ok, "{db}: {stdout} {stderr}");
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["failed"], json!(0), "{report}");
    assert_eq!(report["case_failures"], json!([]), "{report}");
    (
        report["records"].clone(),
        report["head_chain"].clone(),
        report["case_head_chain"].clone(),
    )
}

// An archive the origin wrote on SQLite moves to PostgreSQL and back with `copy-archive`; each
// side verifies with the same head (R4), and a second copy into the same database is refused.
#[test]
fn copy_archive_moves_an_archive_to_postgresql_and_back() {
    let Some(base) = test_database() else { return };
    let origin = origin();
    // The origin's router is async; the PostgreSQL client below is not, and runs outside it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for id_byte in 1..=12 {
            let answers: &[AnswerKind] = if id_byte % 4 == 0 {
                &[AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes]
            } else {
                &ALL_YES
            };
            let (status, body) = origin
                .post_record(&sealed_with(&edge_key(), id_byte, answers))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    });
    drop(runtime);
    let sqlite = origin.dir.join("origin.sqlite3");
    let sqlite = format!("sqlite:{}", sqlite.display());
    let schema = Schema::fresh(&base, "copy_cli");
    let pg = schema.url();
    let back = origin.dir.join("back.sqlite3").display().to_string();

    let (ok, stdout, stderr) = run(&["copy-archive", "--from", &sqlite, "--to", &pg, "-q"]);
    assert!(ok, "{stdout} {stderr}");
    assert!(stdout.contains("12 records"), "{stdout}");
    assert!(stdout.contains("the same on both sides"), "{stdout}");
    assert!(
        !stdout.contains("options="),
        "the URL is shown without its options: {stdout}"
    );
    let (ok, stdout, stderr) = run(&["copy-archive", "--from", &pg, "--to", &back, "-q"]);
    assert!(ok, "{stdout} {stderr}");

    let original = verified(&sqlite);
    assert_eq!(original.0, json!(12));
    assert_eq!(verified(&pg), original);
    assert_eq!(verified(&back), original);

    // Again into the same database: refused (exit 3), nothing added.
    let out = Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
        .args(["copy-archive", "--from", &sqlite, "--to", &pg, "-q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the target is not empty"));
    assert_eq!(schema.count("SELECT COUNT(*) FROM records"), 12);
    // The facts came with the rows (PostgreSQL has no back-fill).
    assert_eq!(schema.count("SELECT COUNT(*) FROM revisit_facts"), 12);

    // The commands main added take the PostgreSQL archive too (each on a blocking thread: the
    // client runs its own runtime).
    let out = Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
        .args([
            "staff",
            "add",
            "--db",
            &pg,
            "--id",
            "sup-1",
            "--role",
            "supervisor",
        ])
        .env("HUIFANG_STAFF_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(schema.count("SELECT COUNT(*) FROM staff"), 1);
    let (ok, stdout, stderr) = run(&[
        "sample-run",
        "--db",
        &pg,
        "--by",
        "sup-1",
        "--from",
        "2000-01-01T00:00:00Z",
        "--to",
        "2100-01-01T00:00:00Z",
        "--minimum",
        "4",
    ]);
    assert!(ok, "{stdout} {stderr}");
    assert!(stdout.starts_with("S0001: "), "{stdout}");
    let (ok, stdout, stderr) = run(&["redraw-sample", "S0001", "--db", &pg]);
    assert!(ok, "{stdout} {stderr}");
    assert!(stdout.contains("S0001: matches"), "{stdout}");
    // verify-archive walks the sample log there too (R13).
    let keys = format!("edge-1={}", edge_key().public_key_hex());
    let (ok, stdout, stderr) = run(&[
        "verify-archive",
        "--db",
        &pg,
        "--edge-keys",
        &keys,
        "--json",
        "-q",
    ]);
    assert!(ok, "{stdout} {stderr}");
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(report["sample_entries"], json!(1), "{report}");
    assert_eq!(report["sample_failures"], json!([]), "{report}");
    let report = origin.dir.join("first-use.html");
    let report_path = report.display().to_string();
    let (ok, stdout, stderr) = run(&["first-use-report", "--db", &pg, "--out", &report_path]);
    assert!(ok, "{stdout} {stderr}");
    assert!(std::fs::metadata(&report).unwrap().len() > 0);
}
