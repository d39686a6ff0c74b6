//! The command line of `huifang-origin`, by clap's derive: every subcommand with its flags, help,
//! environment fallbacks and examples. Each command's own flags live next to it; this file only
//! gathers them into one tree (which `completions` also prints for the shells).

use crate::audit::copy_archive::{self, CopyArgs};
use crate::audit::export::verify::{self, VerifyExportArgs};
use crate::audit::export::write::{self, ExportArgs};
use crate::audit::verify_archive::{self, VerifyOptions};
use crate::insurer::batch::{self, BatchArgs};
use crate::insurer::client::{self, RevisitArgs};
use crate::insurer::scripts::{self, ValidateScriptArgs};
use crate::server::settings::{self, ServeArgs};
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;

/// What every exit code means, shown after the top-level `--help` (and in docs/ORIGIN.md).
pub const EXIT_CODES: &str = "\
Exit codes:
  0  done: everything verified, written or created
  1  a failure was found: a record or row that does not verify or was refused, an invalid script
  2  bad usage: an unknown or missing flag, a value that does not parse (with a suggestion)
  3  unreadable input: the archive or the export file cannot be read (verify-archive, export,
     verify-export, copy-archive; copy-archive also when its target is not empty)

Run `huifang-origin COMMAND --help` for a command's flags, environment variables and examples.";

/// `huifang-origin`: the insurer's side of Huifang.
#[derive(Debug, Parser)]
#[command(
    name = "huifang-origin",
    version,
    about = "The insurer's side of Huifang (回访): the origin server that archives sealed revisit \
             records, the auditors' tools, and the insurer's client of the edge.",
    after_help = EXIT_CODES,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands, by role: the server, the insurer's tools, the auditors' tools, the dev tools.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the origin's API: receive, verify and archive sealed records; host the SMS hook.
    #[command(after_help = settings::EXAMPLES)]
    Serve(ServeArgs),
    /// Create a revisit per CSV row at its region's edge; links on stdout, bad rows by line on stderr.
    #[command(after_help = batch::EXAMPLES)]
    Batch(BatchArgs),
    /// One signed call to the edge's insurer API (create, status, cancel, reissue).
    #[command(after_help = client::EXAMPLES)]
    Revisit(RevisitArgs),
    /// Write archived records and their chain to a JSON Lines file for auditors.
    #[command(after_help = write::EXAMPLES)]
    Export(ExportArgs),
    /// Re-verify every archived record, the archive chain, the case log and the sample log; one FAIL line per problem.
    #[command(after_help = verify_archive::EXAMPLES)]
    VerifyArchive(VerifyOptions),
    /// Copy a whole archive to another engine (SQLite ↔ PostgreSQL), verifying both chains.
    #[command(after_help = copy_archive::EXAMPLES)]
    CopyArchive(CopyArgs),
    /// Verify an export offline: seals, traces, the chain, the trailer; one FAIL line per problem.
    #[command(after_help = verify::EXAMPLES)]
    VerifyExport(VerifyExportArgs),
    /// The staff console's accounts (the first one included).
    #[command(after_help = crate::console::staff_cli::EXAMPLES)]
    Staff {
        #[command(subcommand)]
        command: crate::console::staff_cli::StaffCommand,
    },
    /// Check revisit scripts (unique ids, both languages, sane reading times, known products).
    #[command(after_help = scripts::EXAMPLES)]
    ValidateScript(ValidateScriptArgs),
    /// Draw a quality-sampling run over a period and seal it into the sample log (R13).
    #[command(after_help = crate::sampling::run::EXAMPLES)]
    SampleRun(crate::sampling::run::SampleRunArgs),
    /// Write the first-use report to the regulator as printable HTML (R15).
    #[command(after_help = crate::statistics::first_use::EXAMPLES)]
    FirstUseReport(crate::statistics::first_use::FirstUseArgs),
    /// Recompute a stored sample run from the archive and say whether it matches (R13).
    #[command(after_help = crate::sampling::redraw::EXAMPLES)]
    RedrawSample(crate::sampling::redraw::RedrawArgs),
    /// Print the edge public key of a dotenv file (EDGE_KEY_ID, EDGE_SIGNING_KEY) as kid=hex.
    #[command(
        after_help = "Examples:\n  huifang-origin public-key .dev.vars\n\nExit: 0 printed, 1 the file lacks the keys or cannot be read, 2 bad usage."
    )]
    PublicKey {
        /// The dotenv file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Create or complete a wrangler .dev.vars file with fresh random secrets (never replacing one).
    #[command(
        after_help = "Examples:\n  huifang-origin dev-secrets .dev.vars\n\nExit: 0 written or complete already, 1 the file cannot be written, 2 bad usage."
    )]
    DevSecrets {
        /// The dotenv file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Records verified and stored per second (`make bench`).
    #[cfg(feature = "bench")]
    #[command(after_help = crate::dev::bench::EXAMPLES)]
    BenchIngest(crate::dev::bench::IngestOptions),
    /// A sample run over a month and the statistics of a year on a million records (issue 14).
    #[cfg(feature = "bench")]
    #[command(after_help = crate::dev::scale::EXAMPLES)]
    BenchScale(crate::dev::scale::ScaleOptions),
    /// Builds (or reuses) an archive of N synthetic sealed records (`make bench`, issue 19).
    #[cfg(feature = "bench")]
    #[command(after_help = crate::dev::archive::EXAMPLES)]
    BenchArchive(crate::dev::archive::ArchiveOptions),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  huifang-origin completions bash > /etc/bash_completion.d/huifang-origin\n  huifang-origin completions zsh > \"${fpath[1]}/_huifang-origin\""
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Prints the completion script of `shell` for the whole command tree on `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    clap_complete::generate(shell, &mut Cli::command(), "huifang-origin", out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use huifang_core::signing::EdgeKey;

    fn key_list() -> String {
        let key = EdgeKey::from_seed_hex("dev-1", &"11".repeat(32)).unwrap();
        format!("dev-1={}", key.public_key_hex())
    }

    fn parse(args: &[&str]) -> Result<Command, ErrorKind> {
        Cli::try_parse_from(std::iter::once("huifang-origin").chain(args.iter().copied()))
            .map(|cli| cli.command)
            .map_err(|e| e.kind())
    }

    #[test]
    fn the_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command's help names each of its flags and variables, and gives examples.
    #[test]
    fn every_subcommand_documents_its_flags() {
        let mut cli = Cli::command();
        cli.build();
        let mut seen = 0;
        let mut check = |cmd: &mut clap::Command, path: &str| {
            let help = cmd.render_long_help().to_string();
            for arg in cmd.get_arguments() {
                if let Some(long) = arg.get_long() {
                    assert!(
                        help.contains(&format!("--{long}")),
                        "{path}: --{long} in\n{help}"
                    );
                    assert!(arg.get_help().is_some(), "{path}: --{long} has help text");
                }
                if let Some(var) = arg.get_env() {
                    let var = var.to_string_lossy();
                    assert!(
                        help.contains(&format!("env: {var}")),
                        "{path}: {var} in\n{help}"
                    );
                }
            }
            // Each command has examples; revisit's calls share revisit's.
            if path.matches(' ').count() == 1 {
                assert!(help.contains("Examples:"), "{path} has examples:\n{help}");
            }
            seen += 1;
        };
        fn walk(
            cmd: &mut clap::Command,
            path: &str,
            check: &mut dyn FnMut(&mut clap::Command, &str),
        ) {
            check(cmd, path);
            for sub in cmd.get_subcommands_mut() {
                let name = sub.get_name().to_string();
                if name != "help" {
                    walk(sub, &format!("{path} {name}"), check);
                }
            }
        }
        walk(&mut cli, "huifang-origin", &mut check);
        // The top, nine commands and completions, revisit's four calls.
        assert!(seen >= 15, "{seen} commands checked");
    }

    #[test]
    fn wrong_flags_are_usage_errors() {
        assert_eq!(
            parse(&["verify-archive", "--dbb", "x"]).unwrap_err(),
            ErrorKind::UnknownArgument
        );
        assert_eq!(
            parse(&["frobnicate"]).unwrap_err(),
            ErrorKind::InvalidSubcommand
        );
        assert_eq!(
            parse(&[
                "batch",
                "--csv",
                "x",
                "--edge",
                "http://a:1",
                "--concurrency",
                "0"
            ])
            .unwrap_err(),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            parse(&["validate-script"]).unwrap_err(),
            ErrorKind::MissingRequiredArgument
        );
        assert_eq!(
            parse(&[
                "export",
                "--db",
                "a",
                "--out",
                "b",
                "--edge-keys",
                &key_list(),
                "--from",
                "yesterday"
            ])
            .unwrap_err(),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            parse(&[]).unwrap_err(),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
    }

    #[test]
    fn verify_archive_options_come_from_flags() {
        let keys = key_list();
        let Ok(Command::VerifyArchive(o)) = parse(&[
            "verify-archive",
            "--db",
            "a.db",
            "--threads",
            "4",
            "--json",
            "--edge-keys",
            &keys,
        ]) else {
            panic!("verify-archive parses");
        };
        assert_eq!(o.db, crate::archive::Db::Sqlite(PathBuf::from("a.db")));
        assert_eq!((o.threads, o.json, o.progress.quiet), (4, true, false));
        assert_eq!(o.keys.entries, std::slice::from_ref(&keys));
        assert_eq!(
            parse(&["verify-archive", "--db", "a", "--edge-keys", "x=1"]).unwrap_err(),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            parse(&[
                "verify-archive",
                "--db",
                "a",
                "--threads",
                "0",
                "--edge-keys",
                &keys
            ])
            .unwrap_err(),
            ErrorKind::ValueValidation
        );
    }

    #[test]
    fn revisit_flags_go_before_or_after_the_call() {
        for args in [
            ["revisit", "--edge", "https://e.example", "status", "abc"],
            ["revisit", "status", "abc", "--edge", "https://e.example"],
        ] {
            let Ok(Command::Revisit(r)) = parse(&args) else {
                panic!("{args:?} parses");
            };
            assert_eq!(r.edge.edge, "https://e.example");
            assert!(matches!(r.call, client::RevisitCall::Status { ref id } if id == "abc"));
        }
    }

    #[test]
    fn completions_cover_every_subcommand() {
        let mut out = Vec::new();
        completions(clap_complete::Shell::Bash, &mut out);
        let script = String::from_utf8(out).unwrap();
        for name in [
            "verify-archive",
            "verify-export",
            "batch",
            "revisit",
            "--edge-keys",
        ] {
            assert!(script.contains(name), "{name}");
        }
    }
}
