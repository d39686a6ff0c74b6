//! The auditors' tools (R3, R4): re-verifying the whole archive (`verify-archive`), exporting it
//! to a file an auditor checks offline (`export`, `verify-export`), and the evidence report of one
//! revisit; and moving an archive between engines (`copy-archive`). Everything here reads the
//! archive through the store's traits.

pub mod copy_archive;
pub mod export;
pub mod report;
pub mod verify_archive;
