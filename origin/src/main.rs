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
        Command::Export(args) => audit::export::export_cli(args),
        Command::VerifyArchive(options) => audit::verify_archive::cli(&options),
        Command::VerifyExport(args) => audit::export::verify_cli(&args),
        Command::ValidateScript(args) => insurer::scripts::cli(&args),
        Command::SampleRun(args) => origin::sampling::run::cli(&args),
        Command::RedrawSample(args) => origin::sampling::redraw::cli(&args),
        Command::FirstUseReport(args) => origin::statistics::first_use::cli(&args),
        Command::PublicKey { file } => dev::secrets::public_key_cli(&file),
        Command::DevSecrets { file } => dev::secrets::ensure_cli(&file),
        #[cfg(feature = "bench")]
        Command::BenchIngest(options) => dev::bench::cli(&options),
        #[cfg(feature = "bench")]
        Command::BenchScale(options) => dev::scale::cli(&options),
        Command::Staff { command } => origin::console::staff_cli::staff_cli(command),
        Command::Completions { shell } => {
            origin::cli::completions(shell, &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("huifang-origin: {message}");
    ExitCode::from(code)
}
