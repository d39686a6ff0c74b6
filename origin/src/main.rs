//! `huifang-origin`: reads the command line (clap, [`origin::cli`]) and hands over to the library,
//! by role: the server, the auditors' tools, the insurer's tools, the dev tools.

use clap::Parser;
use origin::cli::{Cli, Command};
use origin::server::settings::Settings;
use origin::{audit, dev, insurer};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    // Help and usage errors exit here: 0 for help, 2 with a suggestion for a wrong flag.
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => match Settings::from_args(args) {
            Ok(settings) => match origin::serve(settings).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e.to_string(), 1),
            },
            Err(e) => fail(&e.to_string(), 2),
        },
        Command::Batch(args) => insurer::batch::cli(args).await,
        Command::Revisit(args) => insurer::client::cli(args).await,
        // The archive's commands block (and the PostgreSQL client runs its own runtime, which may
        // not be started on an async thread): they run on a blocking thread.
        Command::Export(args) => blocking(move || audit::export::export_cli(args)).await,
        Command::CopyArchive(args) => blocking(move || audit::copy_archive::cli(&args)).await,
        Command::VerifyArchive(options) => {
            blocking(move || audit::verify_archive::cli(&options)).await
        }
        Command::VerifyExport(args) => audit::export::verify_cli(&args),
        Command::ValidateScript(args) => insurer::scripts::cli(&args),
        Command::SampleRun(args) => blocking(move || origin::sampling::run::cli(&args)).await,
        Command::RedrawSample(args) => blocking(move || origin::sampling::redraw::cli(&args)).await,
        Command::FirstUseReport(args) => {
            blocking(move || origin::statistics::first_use::cli(&args)).await
        }
        Command::PublicKey { file } => dev::secrets::public_key_cli(&file),
        Command::DevSecrets { file } => dev::secrets::ensure_cli(&file),
        #[cfg(feature = "bench")]
        Command::BenchIngest(options) => blocking(move || dev::bench::cli(&options)).await,
        #[cfg(feature = "bench")]
        Command::BenchScale(options) => blocking(move || dev::scale::cli(&options)).await,
        #[cfg(feature = "bench")]
        Command::BenchArchive(options) => blocking(move || dev::archive::cli(&options)).await,
        Command::Staff { command } => {
            blocking(move || origin::console::staff_cli::staff_cli(command)).await
        }
        Command::Completions { shell } => {
            origin::cli::completions(shell, &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

/// Runs a blocking command off the async threads.
async fn blocking(command: impl FnOnce() -> ExitCode + Send + 'static) -> ExitCode {
    tokio::task::spawn_blocking(command)
        .await
        .unwrap_or_else(|e| fail(&format!("the command's thread failed: {e}"), 1))
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("huifang-origin: {message}");
    ExitCode::from(code)
}
