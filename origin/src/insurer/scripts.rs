//! `huifang-origin validate-script FILE…`: revisit scripts checked by the core's rules, the way
//! the edge will check them, before the insurer sends them.

use huifang_core::script::Script;
use std::path::PathBuf;
use std::process::ExitCode;

/// `validate-script`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ValidateScriptArgs {
    /// The script files (JSON, as scripts/default.json).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

/// `validate-script`'s examples, shown after its `--help`.
pub const EXAMPLES: &str = "\
Examples:
  huifang-origin validate-script scripts/*.json

Prints one line per file (`FILE: ok: …` on stdout, `FILE: invalid: …` on stderr).
Exit: 0 every script is valid, 1 one is invalid or unreadable, 2 bad usage.";

/// Checks each file; one line per file, exit 1 if any is invalid.
pub fn cli(args: &ValidateScriptArgs) -> ExitCode {
    let mut bad = 0;
    for path in &args.files {
        let file = path.display();
        let checked = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|json| Script::from_json(&json));
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
