//! Progress on stderr for the long commands (verify-archive, verify-export, export, batch): done of
//! total, the rate and the time left, redrawn in place. Shown only when stderr is a terminal and
//! `--quiet` was not given, so that scripts and CI logs see only the commands' own lines.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;

/// `--quiet`, which every long command takes.
#[derive(Clone, Copy, Debug, Default, clap::Args)]
pub struct Quiet {
    /// No progress bar (it is shown only when stderr is a terminal).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Whether progress would be seen: stderr is a terminal and `--quiet` was not given.
pub fn visible(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A bar counting `unit` (e.g. "records") towards `total`, labelled with the command; hidden unless
/// [`visible`]. Without a total it counts with the rate only.
pub fn bar(command: &str, unit: &str, total: Option<u64>, quiet: bool) -> ProgressBar {
    if !visible(quiet) {
        return ProgressBar::hidden();
    }
    let template = if total.is_some() {
        format!(
            "{{prefix}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit} ({{rate}}, {{eta}} left)"
        )
    } else {
        format!("{{prefix}} {{human_pos}} {unit} ({{rate}})")
    };
    let style = ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        )
        .progress_chars("=> ");
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr())
        .with_style(style)
        .with_prefix(command.to_string());
    // The first line at once, rather than after the first unit of work.
    bar.tick();
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_always_hides_the_bar() {
        assert!(!visible(true));
        assert!(bar("verify-archive", "records", Some(10), true).is_hidden());
    }
}
