//! The insurer's admin token. The insurer's own calls to the origin (the record list, termination
//! reports, and the evidence report outside dev mode) carry `Authorization: Bearer <admin token>`;
//! the [`crate::server::extract::Admin`] extractor checks it. Without a configured token those
//! calls are refused: the origin never serves the archive to anyone by default (R6).

use sha2::{Digest, Sha256};

/// The shortest admin token accepted (e.g. `openssl rand -hex 16` gives 32 characters).
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

/// The configured admin token, kept only as its SHA-256 so that comparing takes the same time
/// whatever the presented token is, and it never shows in a debug print.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken {
    digest: [u8; 32],
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(..)")
    }
}

/// Why a configured admin token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the admin token must be at least {MIN_ADMIN_TOKEN_CHARS} printable ASCII characters without spaces")]
pub struct WeakAdminToken;

impl AdminToken {
    /// Accepts a token of at least [`MIN_ADMIN_TOKEN_CHARS`] printable ASCII characters.
    pub fn parse(token: &str) -> Result<Self, WeakAdminToken> {
        let token = token.trim();
        let printable = token.bytes().all(|b| b.is_ascii_graphic());
        if token.len() < MIN_ADMIN_TOKEN_CHARS || !printable {
            return Err(WeakAdminToken);
        }
        Ok(Self {
            digest: Sha256::digest(token.as_bytes()).into(),
        })
    }

    /// Whether `presented` is this token, in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let other: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.digest
            .iter()
            .zip(other)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_only_itself_and_short_tokens_are_refused() {
        let token = AdminToken::parse(&"a1".repeat(16)).unwrap();
        assert!(token.matches(&"a1".repeat(16)));
        assert!(!token.matches(&"a1".repeat(15)));
        assert!(!token.matches(""));
        assert_eq!(AdminToken::parse(&"x".repeat(31)), Err(WeakAdminToken));
        assert_eq!(
            AdminToken::parse(&format!("{} ", "x".repeat(16)).repeat(2)),
            Err(WeakAdminToken)
        );
        assert_eq!(format!("{token:?}"), "AdminToken(..)");
    }
}
