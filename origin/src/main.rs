//! `huifang-origin`: reads the subcommand and hands over to the library.

use origin::config::{ConfigError, ServeConfig};
use origin::dev_secrets;
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "\
usage:
  huifang-origin serve [--listen ADDR] [--db PATH] [--edge-keys kid=hex,...] [--admin-token T] [--sms-outbox]
      --listen      HUIFANG_ORIGIN_LISTEN       default 127.0.0.1:8788
      --db          HUIFANG_ORIGIN_DB           default origin.sqlite3
      --edge-keys   HUIFANG_EDGE_PUBLIC_KEYS    required: the edge public keys to trust
      --admin-token HUIFANG_ORIGIN_ADMIN_TOKEN  bearer token of the insurer's calls (record list,
                                                terminations, reports); without it they are off.
                                                Prefer the variable: flags show in `ps`
      --sms-outbox  HUIFANG_SMS_OUTBOX=1        dev mode: serve GET /sms/outbox and open the evidence
                                                reports without the token (local and test use only)
  huifang-origin dev-secrets PATH   create or complete a wrangler .dev.vars file
  huifang-origin public-key PATH    print the edge public key from it as kid=hex
  huifang-origin verify-archive --db PATH --edge-keys kid=hex,... [--threads N] [--json]
      re-verify every archived record and the archive chain; one line per failure, exit 1 if any
  huifang-origin export --db PATH --out FILE --edge-keys kid=hex,... [--policy P] [--from T] [--to T]
      write records and their chain fields to a JSON Lines file for auditors (T: RFC 3339)
  huifang-origin verify-export FILE [--edge-keys kid=hex,...]
      verify an export offline: seals, traces, the chain; one line per failure, exit 1 if any
  huifang-origin validate-script FILE...
      check revisit scripts (scripts/*.json): unique ids, both languages, no empty text, sane
      reading times, known product kinds; one line per file, exit 1 if any is invalid
  huifang-origin revisit create FILE|- | status ID | cancel ID | reissue ID [--edge URL] [--secret-file PATH]
      one call to the edge's insurer API, signed with INSURER_API_SECRET (see `revisit --help`)
  huifang-origin batch --edge URL|region=URL,... --csv FILE [--secret-file PATH] [--concurrency N]
      create a revisit per CSV row at its region's edge; links on stdout, bad rows by line on stderr
  huifang-origin bench-ingest --db PATH [--records N] [--threads N] [--json]
      records verified and stored per second (only in a build with --features bench)";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        return usage_error();
    };
    match (command.as_str(), rest) {
        ("serve", rest) => match ServeConfig::from_args(rest, |name| std::env::var(name).ok()) {
            Ok(config) => match origin::serve(config).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e.to_string(), 1),
            },
            Err(ConfigError::Help) => help(),
            Err(e) => fail(&e.to_string(), 2),
        },
        ("dev-secrets", [path]) => match dev_secrets::ensure(Path::new(path)) {
            Ok(added) if added.is_empty() => {
                println!("{path}: every key is already set; nothing changed");
                ExitCode::SUCCESS
            }
            Ok(added) => {
                println!("{path}: added {}", added.join(", "));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string(), 1),
        },
        ("public-key", [path]) => match dev_secrets::public_key(Path::new(path)) {
            Ok(line) => {
                println!("{line}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string(), 1),
        },
        ("validate-script", files) if !files.is_empty() => validate_scripts(files),
        ("revisit", rest) => origin::insurer_client::cli(rest).await,
        ("batch", rest) => origin::batch::cli(rest).await,
        ("verify-archive", rest) => origin::verify::cli(rest),
        ("export", rest) => origin::export::export_cli(rest),
        ("verify-export", rest) => origin::export::verify_cli(rest),
        #[cfg(feature = "bench")]
        ("bench-ingest", rest) => origin::bench::cli(rest),
        ("--help" | "-h" | "help", []) => help(),
        _ => usage_error(),
    }
}

/// `validate-script`: each file parsed and checked by the core's rules, the way the edge will.
fn validate_scripts(files: &[String]) -> ExitCode {
    let mut bad = 0;
    for file in files {
        let checked = std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|json| huifang_core::script::Script::from_json(&json));
        match checked {
            Ok(script) => {
                let every = script
                    .items
                    .iter()
                    .filter(|i| i.products.is_empty())
                    .count();
                println!(
                    "{file}: ok: script {} version {}, {} items ({every} for every product)",
                    script.id,
                    script.version,
                    script.items.len()
                );
            }
            Err(e) => {
                bad += 1;
                eprintln!("{file}: invalid: {e}");
            }
        }
    }
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn help() -> ExitCode {
    println!("{USAGE}");
    ExitCode::SUCCESS
}

fn usage_error() -> ExitCode {
    eprintln!("{USAGE}");
    ExitCode::from(2)
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("huifang-origin: {message}");
    ExitCode::from(code)
}
