//! Every requirement id cited anywhere in the repository (`R1`…`R15`) is defined in
//! `docs/REQUIREMENTS.md`, so a citation always resolves inside the repository.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The folders whose files may cite requirement ids, relative to the workspace root.
const CITING_ROOTS: &[&str] = &[
    "core",
    "edge",
    "app",
    "origin",
    "e2e",
    "tools",
    "scripts",
    "style",
    "docs",
    "README.md",
];
/// What is never ours to check: build output and installed packages.
const SKIPPED_DIRS: &[&str] = &["target", "node_modules", "dist", "build", "test-results"];
const CITING_EXTENSIONS: &[&str] = &[
    "rs", "mjs", "js", "sh", "md", "toml", "json", "html", "css", "sql",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ sits in the workspace root")
        .to_path_buf()
}

/// The ids `R<digits>` in `text`, as whole words (so `R2D2` or `BR10` are not ids).
fn cited_ids(text: &str) -> BTreeSet<u32> {
    let bytes = text.as_bytes();
    let mut ids = BTreeSet::new();
    for (i, _) in text.match_indices('R') {
        let before_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let digits: String = text[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let end = i + 1 + digits.len();
        let after_ok =
            end >= bytes.len() || !(bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_');
        if before_ok && after_ok && !digits.is_empty() {
            if let Ok(n) = digits.parse() {
                ids.insert(n);
            }
        }
    }
    ids
}

/// The ids the requirements page defines: the rows of its table, `| <a id="Rn"></a>Rn | …`.
fn defined_ids(page: &str) -> BTreeSet<u32> {
    page.lines()
        .filter_map(|line| line.strip_prefix("| <a id=\"R"))
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

fn files_under(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if CITING_EXTENSIONS.contains(&ext) {
            out.push(path.to_path_buf());
        }
        return;
    }
    let Ok(entries) = fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.is_dir() && (SKIPPED_DIRS.contains(&name) || name.starts_with('.')) {
            continue;
        }
        files_under(&p, out);
    }
}

#[test]
fn the_page_defines_r1_to_r15() {
    let page = fs::read_to_string(workspace_root().join("docs/REQUIREMENTS.md"))
        .expect("docs/REQUIREMENTS.md");
    assert_eq!(defined_ids(&page), (1..=15).collect());
}

#[test]
fn every_cited_requirement_is_defined() {
    let root = workspace_root();
    let page = fs::read_to_string(root.join("docs/REQUIREMENTS.md")).expect("docs/REQUIREMENTS.md");
    let defined = defined_ids(&page);
    let mut files = Vec::new();
    for r in CITING_ROOTS {
        files_under(&root.join(r), &mut files);
    }
    assert!(
        files.len() > 50,
        "the walk found only {} files: is the root right?",
        files.len()
    );
    let mut citations = 0;
    let mut undefined = Vec::new();
    for file in &files {
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        for id in cited_ids(&text) {
            citations += 1;
            if !defined.contains(&id) {
                undefined.push(format!(
                    "{}: R{id}",
                    file.strip_prefix(&root).unwrap_or(file).display()
                ));
            }
        }
    }
    assert!(
        citations > 100,
        "only {citations} citations found: is the scan right?"
    );
    assert!(
        undefined.is_empty(),
        "cited but not defined in docs/REQUIREMENTS.md: {undefined:#?}"
    );
}

#[test]
fn ids_are_whole_words() {
    assert_eq!(
        cited_ids("R9, (R10) and R2D2 or BR4 R15."),
        [9, 10, 15].into()
    );
    // Built at run time, so that this file does not itself cite an undefined id.
    let beyond = format!("R{} at the end R", 16);
    assert_eq!(cited_ids(&beyond), [16].into());
    assert!(defined_ids("| R1 | no anchor |").is_empty());
}
