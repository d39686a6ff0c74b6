//! The worked signing example in docs/API.md is what the signing client produces, and what an independent
//! HMAC-SHA256 over the documented string to sign gives: the document cannot drift from the code.

use hmac::{Hmac, Mac};
use origin::insurer::client::sign;
use sha2::{Digest, Sha256};

fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/API.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fenced blocks after "**Worked example**", up to the next heading.
fn worked_example_blocks(readme: &str) -> Vec<String> {
    let start = readme
        .find("**Worked example**")
        .expect("docs/API.md's Signing section has a **Worked example**");
    let section = &readme[start..];
    let section = &section[..section.find("\n#").unwrap_or(section.len())];
    section
        .split("```")
        .skip(1)
        .step_by(2)
        .map(|block| block.strip_prefix("text\n").unwrap_or(block).to_string())
        .collect()
}

fn field<'a>(block: &'a str, name: &str) -> &'a str {
    block
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
        .unwrap_or_else(|| panic!("the worked example has no `{name}:` line"))
}

#[test]
fn the_worked_example_is_what_the_client_signs() {
    let readme = readme();
    let blocks = worked_example_blocks(&readme);
    let values = &blocks[0];
    let (secret, method, path, body) = (
        field(values, "secret"),
        field(values, "method"),
        field(values, "path"),
        field(values, "body"),
    );
    let timestamp: u64 = field(values, "timestamp")
        .parse()
        .expect("timestamp: digits");

    let signed = sign(secret.as_bytes(), method, path, timestamp, body.as_bytes());
    assert_eq!(field(values, "body sha256"), signed.body_sha256);
    assert_eq!(field(values, "signature"), signed.signature);
    assert_eq!(blocks[1].trim_end_matches('\n'), signed.string_to_sign);
    assert!(
        readme.contains(&format!("The body is {} bytes", body.len())),
        "docs/API.md states the body's length in bytes"
    );

    // Independently of the core: SHA-256 of the body and HMAC-SHA256 of the four documented lines.
    let body_hash = hex::encode(Sha256::digest(body.as_bytes()));
    assert_eq!(field(values, "body sha256"), body_hash);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{method}\n{path}\n{timestamp}\n{body_hash}").as_bytes());
    assert_eq!(
        field(values, "signature"),
        format!("v1={}", hex::encode(mac.finalize().into_bytes()))
    );
}
