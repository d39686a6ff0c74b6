//! `huifang-origin validate-script FILE…`: revisit scripts checked by the core's rules, the way
//! the edge will check them, before the insurer sends them.

use huifang_core::script::Script;
use std::process::ExitCode;

/// Checks each file; one line per file, exit 1 if any is invalid.
pub fn cli(files: &[String]) -> ExitCode {
    let mut bad = 0;
    for file in files {
        let checked = std::fs::read_to_string(file)
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
