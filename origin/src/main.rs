//! `huifang-origin`: reads the subcommand and hands over to the library, by role: the server,
//! the auditors' tools, the insurer's tools, the dev tools.

use origin::server::settings::{ConfigError, Settings};
use origin::{audit, dev, insurer};
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
      re-verify every archived record, the archive chain and the case log; one line per failure, exit 1 if any
  huifang-origin export --db PATH --out FILE --edge-keys kid=hex,... [--policy P] [--from T] [--to T]
      write records and their chain fields to a JSON Lines file for auditors (T: RFC 3339)
  huifang-origin verify-export FILE --edge-keys kid=hex,...
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
        ("serve", rest) => serve(rest).await,
        ("dev-secrets", [path]) => dev::secrets::ensure_cli(path),
        ("public-key", [path]) => dev::secrets::public_key_cli(path),
        ("validate-script", files) if !files.is_empty() => insurer::scripts::cli(files),
        ("revisit", rest) => insurer::client::cli(rest).await,
        ("batch", rest) => insurer::batch::cli(rest).await,
        ("verify-archive", rest) => audit::verify_archive::cli(rest),
        ("staff", rest) => origin::console::staff_cli::staff_cli(rest),
        ("export", rest) => audit::export::export_cli(rest),
        ("verify-export", rest) => audit::export::verify_cli(rest),
        #[cfg(feature = "bench")]
        ("bench-ingest", rest) => dev::bench::cli(rest),
        ("--help" | "-h" | "help", []) => help(),
        _ => usage_error(),
    }
}

/// `serve`: the settings read once, from flags and the environment, then the server.
async fn serve(args: &[String]) -> ExitCode {
    match Settings::from_args(args, |name| std::env::var(name).ok()) {
        Ok(settings) => match origin::serve(settings).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e.to_string(), 1),
        },
        Err(ConfigError::Help) => help(),
        Err(e) => fail(&e.to_string(), 2),
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
