//! The auditors' tools (R3, R4): re-verifying the whole archive (`verify-archive`), exporting it
//! to a file an auditor checks offline (`export`, `verify-export`), and the evidence report of one
//! revisit. Everything here reads the archive through the [`crate::archive::Archive`] trait.

pub mod export;
pub mod report;
pub mod verify_archive;
