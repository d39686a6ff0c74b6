//! Staff accounts, sessions and the staff log as the console keeps them: the [`StaffStore`] trait
//! (it keeps and reads, decides nothing; SQLite implements it in `archive::sqlite`), argon2
//! password hashes, and session ids from the OS's random source, stored only as their SHA-256.

use crate::archive::ArchiveError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use huifang_core::casework::{Actor, Role};
use huifang_core::signing::sha256_hex;
use huifang_core::Timestamp;

/// A member of staff as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffAccount {
    /// The login name, also the id the case log records (`by`).
    pub staff_id: String,
    /// The name the console shows.
    pub display_name: String,
    /// What they do.
    pub role: Role,
    /// Set when they also sell: they never see cases on their own sales.
    pub seller_code: Option<String>,
    /// Their password's argon2 PHC string.
    pub password_hash: String,
    /// Disabled by an admin: no login, no session.
    pub disabled: bool,
}

impl StaffAccount {
    /// The account as the case rules see it.
    pub fn actor(&self) -> Actor {
        Actor {
            staff_id: self.staff_id.clone(),
            role: self.role,
            seller_code: self.seller_code.clone(),
        }
    }
}

/// A live session: who, and the token every form of it must carry (CSRF).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSession {
    /// The member of staff.
    pub account: StaffAccount,
    /// The per-session form token.
    pub csrf_token: String,
    /// The SHA-256 of the session id (how the store knows it).
    pub id_sha256: String,
}

/// One line of the staff log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffLogEntry {
    /// When.
    pub at: Timestamp,
    /// Who (for a failed login: the name tried, when well-formed, else `?`).
    pub staff_id: String,
    /// What: `login`, `login_failed`, `login_throttled`, `logout`, `read_queue`, `read_case`,
    /// `case_action:<command>`, `reveal_phone`, `export_queue`, `csrf_refused`.
    pub action: String,
    /// What it concerned: a case id or a queue.
    pub target: Option<String>,
    /// `ok`, or the refusal's code.
    pub outcome: String,
}

/// The console's store of staff, sessions and the staff log. The log is append-only: there is no
/// method that changes or removes a line.
pub trait StaffStore: Send + Sync {
    /// Adds an account; `false` (and nothing changed) if the id is taken.
    fn add_staff(&self, account: &StaffAccount, now: Timestamp) -> Result<bool, ArchiveError>;
    /// The account named `staff_id`.
    fn staff(&self, staff_id: &str) -> Result<Option<StaffAccount>, ArchiveError>;
    /// Stores a new session (by its id's SHA-256) until `expires_at`.
    fn start_session(
        &self,
        id_sha256: &str,
        staff_id: &str,
        csrf_token: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), ArchiveError>;
    /// The session whose id hashes to `id_sha256`, if it is live at `now`.
    fn session(&self, id_sha256: &str, now: Timestamp)
        -> Result<Option<LiveSession>, ArchiveError>;
    /// Ends the session (logout).
    fn end_session(&self, id_sha256: &str, now: Timestamp) -> Result<(), ArchiveError>;
    /// Appends a line to the staff log.
    fn log_staff_action(&self, entry: &StaffLogEntry) -> Result<(), ArchiveError>;
    /// How many `action` lines `staff_id` has at or after `since`.
    fn count_actions_since(
        &self,
        staff_id: &str,
        action: &str,
        since: Timestamp,
    ) -> Result<u32, ArchiveError>;
    /// The last `limit` lines of the staff log, newest first.
    fn staff_log(&self, limit: u32) -> Result<Vec<StaffLogEntry>, ArchiveError>;
    /// Every account, by id.
    fn list_staff(&self) -> Result<Vec<StaffAccount>, ArchiveError>;
    /// Gives `staff_id` `role`; `false` if there is no such enabled account.
    fn set_role(&self, staff_id: &str, role: Role) -> Result<bool, ArchiveError>;
    /// Disables `staff_id` at `now` and ends its sessions; `false` if there is no such enabled
    /// account.
    fn disable_staff(&self, staff_id: &str, now: Timestamp) -> Result<bool, ArchiveError>;
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Too short to be a password.
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// The OS random source failed.
    #[error("no random salt: {0}")]
    Random(String),
    /// argon2 failed.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The argon2id PHC string of `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC string (a malformed one matches nothing).
pub fn password_matches(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// 256 random bits from the OS, as 64 hex characters.
pub fn random_token() -> Result<String, ArchiveError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ArchiveError::Storage(format!("the OS random source failed: {e}")))?;
    Ok(hex::encode(bytes))
}

/// How a session id is stored: its SHA-256, hex (a stolen database yields no usable cookie).
pub fn session_key(id: &str) -> String {
    sha256_hex(id)
}

/// A staff id or seller code: short, plain, never the system's own name.
pub fn is_staff_id(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text != crate::casework::log::SYSTEM
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

/// The role named `text` (`call_agent`, `branch_handler`, `reviewer`, `supervisor`, `auditor`,
/// `admin`).
pub fn parse_role(text: &str) -> Option<Role> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_string())).ok()
}

/// The role's name as stored.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::CallAgent => "call_agent",
        Role::BranchHandler => "branch_handler",
        Role::Reviewer => "reviewer",
        Role::Supervisor => "supervisor",
        Role::Auditor => "auditor",
        Role::Admin => "admin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_its_hash_and_nothing_else() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery", &phc));
        assert!(!password_matches("correct horse batterx", &phc));
        assert!(!password_matches("correct horse battery", "not a hash"));
        assert!(matches!(
            hash_password("short"),
            Err(PasswordError::TooShort)
        ));
    }

    #[test]
    fn tokens_are_random_and_sessions_are_kept_by_their_hash() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(session_key(&a).len(), 64);
        assert_ne!(session_key(&a), a);
    }

    #[test]
    fn roles_round_trip_by_name() {
        for role in [
            Role::CallAgent,
            Role::BranchHandler,
            Role::Reviewer,
            Role::Supervisor,
            Role::Auditor,
            Role::Admin,
        ] {
            assert_eq!(parse_role(role_name(role)), Some(role));
        }
        assert_eq!(parse_role("boss"), None);
    }
}
