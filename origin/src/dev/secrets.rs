//! Local development secrets: `dev-secrets PATH` writes the edge's wrangler `.dev.vars` with fresh
//! random values (never replacing one that is there), and `public-key PATH` derives the edge's public
//! key from it in the `kid=hex` form `serve --edge-keys` takes.

use huifang_core::signing::EdgeKey;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The shared secret the insurer signs its API requests to the edge with.
pub const INSURER_API_SECRET: &str = "INSURER_API_SECRET";
/// The edge's Ed25519 seed (hex).
pub const EDGE_SIGNING_KEY: &str = "EDGE_SIGNING_KEY";
/// The id the origin knows the edge key by.
pub const EDGE_KEY_ID: &str = "EDGE_KEY_ID";
/// The key of the edge's keyed hash of ID numbers (R6).
pub const ID_HASH_KEY: &str = "ID_HASH_KEY";
/// The key id written for a fresh dev key.
pub const DEV_KEY_ID: &str = "dev-1";

/// What can go wrong with the secrets file. Messages name the file and the key, never a value.
#[derive(Debug, thiserror::Error)]
pub enum DevSecretsError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The operating system's random source failed.
    #[error("no random bytes from the operating system: {0}")]
    Random(getrandom::Error),
    /// A key `public-key` needs is not in the file.
    #[error("{path} has no {key}; run `huifang-origin dev-secrets {path}` first")]
    MissingKey {
        /// The file.
        path: PathBuf,
        /// The missing key.
        key: &'static str,
    },
    /// `EDGE_SIGNING_KEY` is not a 32-byte hex seed.
    #[error("{0}: EDGE_SIGNING_KEY must be 32 bytes of hex")]
    BadSeed(PathBuf),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DevSecretsError + '_ {
    move |source| DevSecretsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn random_hex(bytes: usize) -> Result<String, DevSecretsError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(DevSecretsError::Random)?;
    Ok(hex::encode(buf))
}

/// Parses dotenv text (`KEY="value"`, `KEY='value'`, `KEY=value`, `export KEY=…`, `#` comments)
/// into (key, value) pairs in file order.
pub fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                return None;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (key, value) = line.split_once('=')?;
            let value = value.trim();
            let unquoted = ['"', '\'']
                .iter()
                .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
                .unwrap_or(value);
            Some((key.trim().to_string(), unquoted.to_string()))
        })
        .collect()
}

/// The lines to append so that `existing` has every dev secret, with fresh values.
fn missing_lines(
    existing: &[(String, String)],
) -> Result<Vec<(&'static str, String)>, DevSecretsError> {
    let has = |key: &str| existing.iter().any(|(k, _)| k == key);
    let mut out = Vec::new();
    for key in [
        INSURER_API_SECRET,
        EDGE_SIGNING_KEY,
        EDGE_KEY_ID,
        ID_HASH_KEY,
    ] {
        if has(key) {
            continue;
        }
        let value = match key {
            EDGE_KEY_ID => DEV_KEY_ID.to_string(),
            _ => random_hex(32)?,
        };
        out.push((key, value));
    }
    Ok(out)
}

/// Makes sure the file at `path` holds every dev secret; returns the names of the keys added (empty
/// when nothing changed). Existing keys are never replaced. The file is written with mode 0600.
pub fn ensure(path: &Path) -> Result<Vec<&'static str>, DevSecretsError> {
    let current = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io_error(path)(e)),
    };
    let missing = missing_lines(&parse_dotenv(&current))?;
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for (key, value) in &missing {
        text.push_str(&format!("{key}=\"{value}\"\n"));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    // Write a sibling and rename it over the file, so a crash never leaves half a secrets file.
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    write_private(&tmp, text.as_bytes())?;
    std::fs::rename(&tmp, path).map_err(io_error(path))?;
    Ok(missing.into_iter().map(|(key, _)| key).collect())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), DevSecretsError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_error(path))?;
    // `mode` applies only when the file is created; make sure of it for a leftover temp file too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io_error(path))?;
    }
    file.write_all(bytes).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

/// The edge's public key as `kid=hex`, derived from the secrets file at `path`.
pub fn public_key(path: &Path) -> Result<String, DevSecretsError> {
    let text = std::fs::read_to_string(path).map_err(io_error(path))?;
    let vars = parse_dotenv(&text);
    let get = |key: &'static str| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| DevSecretsError::MissingKey {
                path: path.to_path_buf(),
                key,
            })
    };
    let kid = get(EDGE_KEY_ID)?;
    let key = EdgeKey::from_seed_hex(kid, get(EDGE_SIGNING_KEY)?)
        .map_err(|_| DevSecretsError::BadSeed(path.to_path_buf()))?;
    Ok(format!("{kid}={}", key.public_key_hex()))
}

/// `huifang-origin dev-secrets PATH`: creates or completes the file; says what it added.
pub fn ensure_cli(path: &Path) -> ExitCode {
    let shown = path.display();
    match ensure(path) {
        Ok(added) if added.is_empty() => {
            println!("{shown}: every key is already set; nothing changed");
            ExitCode::SUCCESS
        }
        Ok(added) => {
            println!("{shown}: added {}", added.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("huifang-origin: {e}");
            ExitCode::from(1)
        }
    }
}

/// `huifang-origin public-key PATH`: prints the edge public key as `kid=hex`.
pub fn public_key_cli(path: &Path) -> ExitCode {
    match public_key(path) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("huifang-origin: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use huifang_core::signing::TrustedKeys;

    fn temp_file(name: &str) -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "huifang-origin-devsecrets-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        (dir.join("edge").join(".dev.vars"), dir)
    }

    #[test]
    fn the_file_gets_every_key_once_and_a_second_run_changes_nothing() {
        let (path, dir) = temp_file("idempotent");
        let added = ensure(&path).unwrap();
        assert_eq!(
            added,
            [
                INSURER_API_SECRET,
                EDGE_SIGNING_KEY,
                EDGE_KEY_ID,
                ID_HASH_KEY
            ]
        );
        let first = std::fs::read_to_string(&path).unwrap();
        let vars = parse_dotenv(&first);
        assert_eq!(vars.len(), 4);
        for (key, value) in &vars {
            let expected_len = if key == EDGE_KEY_ID { 5 } else { 64 };
            assert_eq!(value.len(), expected_len, "{key}");
        }
        assert!(first.contains("EDGE_KEY_ID=\"dev-1\"\n"));

        assert!(ensure(&path).unwrap().is_empty());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn existing_keys_are_kept_and_only_missing_ones_added() {
        let (path, dir) = temp_file("partial");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "# mine\nEDGE_KEY_ID=\"prod-7\"\nOTHER=1").unwrap();
        let added = ensure(&path).unwrap();
        assert_eq!(added, [INSURER_API_SECRET, EDGE_SIGNING_KEY, ID_HASH_KEY]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# mine\nEDGE_KEY_ID=\"prod-7\"\nOTHER=1\n"));
        assert!(!text.contains("dev-1"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_public_key_is_the_one_that_verifies_the_seed_signatures() {
        let (path, dir) = temp_file("public");
        ensure(&path).unwrap();
        let line = public_key(&path).unwrap();
        assert!(line.starts_with("dev-1="));
        let vars = parse_dotenv(&std::fs::read_to_string(&path).unwrap());
        let seed = &vars.iter().find(|(k, _)| k == EDGE_SIGNING_KEY).unwrap().1;
        let key = EdgeKey::from_seed_hex("dev-1", seed).unwrap();
        let trusted = TrustedKeys::parse(&line).unwrap();
        assert_eq!(trusted.verify("dev-1", b"m", &key.sign(b"m")), Ok(()));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_file_without_the_seed_is_refused_by_name() {
        let (path, dir) = temp_file("noseed");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "EDGE_KEY_ID=dev-1\n").unwrap();
        let err = public_key(&path).unwrap_err();
        assert!(matches!(
            err,
            DevSecretsError::MissingKey {
                key: EDGE_SIGNING_KEY,
                ..
            }
        ));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn dotenv_quotes_and_comments_are_understood() {
        let vars = parse_dotenv("# c\n\nA=\"1\"\nexport B='2'\nC = 3 \nnot a pair\n");
        assert_eq!(
            vars,
            [
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "2".to_string()),
                ("C".to_string(), "3".to_string())
            ]
        );
    }
}
