//! Command-line flags for the offline subcommands (`verify-archive`, `bench-ingest`): `--name value`,
//! `--name=value` and bare switches, each flag known in advance.

/// Why the flags were refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    /// `--help` was asked for.
    #[error("help requested")]
    Help,
    /// A flag this command does not know.
    #[error("unknown option {0}")]
    Unknown(String),
    /// A flag that takes a value was last.
    #[error("{0} needs a value")]
    MissingValue(&'static str),
    /// A flag that must be given was not.
    #[error("{0} is required")]
    Required(&'static str),
    /// A value that does not parse.
    #[error("{flag}: {reason}")]
    Invalid {
        /// The flag.
        flag: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
}

/// The flags given, by name.
#[derive(Debug, Default)]
pub struct Flags {
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
}

impl Flags {
    /// Parses `args` knowing which flags take a value and which are switches.
    pub fn parse(
        args: &[String],
        value_flags: &[&'static str],
        switches: &[&'static str],
    ) -> Result<Self, FlagError> {
        let mut flags = Self::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                return Err(FlagError::Help);
            }
            if let Some(switch) = switches.iter().find(|s| **s == arg) {
                flags.switches.push(switch);
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (arg.as_str(), None),
            };
            let Some(flag) = value_flags.iter().find(|f| **f == name) else {
                return Err(FlagError::Unknown(arg.clone()));
            };
            let value = match inline {
                Some(v) => v,
                None => args.next().cloned().ok_or(FlagError::MissingValue(flag))?,
            };
            flags.values.push((flag, value));
        }
        Ok(flags)
    }

    /// The last value given for `flag`.
    pub fn value(&self, flag: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| v.as_str())
    }

    /// A flag's value, else the environment variable `var` (through `env`), else an error naming
    /// the flag.
    pub fn required_or_env(
        &self,
        flag: &'static str,
        var: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<String, FlagError> {
        self.value(flag)
            .map(str::to_string)
            .or_else(|| env(var))
            .ok_or(FlagError::Required(flag))
    }

    /// The value of a flag that must be given.
    pub fn required(&self, flag: &'static str) -> Result<&str, FlagError> {
        self.value(flag).ok_or(FlagError::Required(flag))
    }

    /// A positive whole number, or `default` when the flag is absent.
    pub fn count(&self, flag: &'static str, default: u64) -> Result<u64, FlagError> {
        match self.value(flag) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| FlagError::Invalid {
                    flag,
                    reason: format!("{v:?} is not a positive whole number"),
                }),
        }
    }

    /// Whether a switch was given.
    pub fn switch(&self, flag: &str) -> bool {
        self.switches.contains(&flag)
    }
}

/// The default number of worker threads: the machine's cores.
pub fn default_threads() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn values_switches_and_refusals() {
        let f = Flags::parse(
            &args(&["--db", "a.db", "--threads=3", "--json"]),
            &["--db", "--threads"],
            &["--json"],
        )
        .unwrap();
        assert_eq!(f.required("--db"), Ok("a.db"));
        assert_eq!(f.count("--threads", 1), Ok(3));
        assert_eq!(f.count("--records", 7), Ok(7));
        assert!(f.switch("--json"));
        assert_eq!(
            f.required("--records"),
            Err(FlagError::Required("--records"))
        );

        let zero = Flags::parse(&args(&["--threads", "0"]), &["--threads"], &[]).unwrap();
        assert!(matches!(
            zero.count("--threads", 1),
            Err(FlagError::Invalid { .. })
        ));
        assert_eq!(
            Flags::parse(&args(&["--db"]), &["--db"], &[]).unwrap_err(),
            FlagError::MissingValue("--db")
        );
        assert_eq!(
            Flags::parse(&args(&["--port", "1"]), &["--db"], &[]).unwrap_err(),
            FlagError::Unknown("--port".into())
        );
    }
}
