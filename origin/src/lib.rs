//! Huifang's origin: the insurer's reference receiver. It verifies and archives the sealed revisit
//! records the edge forwards, chained across records (R2–R4, R11, R12), keeps them for ten years
//! after the contract's termination (R5), lists and exports them for the insurer and its auditors,
//! prints an evidence report per revisit (R3), and hosts the SMS gateway hook the edge calls (R8).
//!
//! By role:
//! - [`server`]: the HTTP API (routes, extractors that own auth and parsing, one error type);
//! - [`archive`]: the e-archive's rules (the chain, retention) over a store trait, and its SQLite
//!   implementation with numbered migrations;
//! - [`casework`]: the problem cases and fallback tasks records open (R11, R12), as a hash-chained,
//!   append-only log beside the archive, worked as queues;
//! - [`console`]: the staff console, server-rendered pages under `/console` (login, queues,
//!   cases, actions, CSV export), with its own staff log;
//! - [`audit`]: the auditors' tools (verify-archive, export, verify-export) and the evidence report;
//! - [`insurer`]: the insurer's side of the edge's API (the signing client, batch, scripts);
//! - [`dev`]: local development and measurement (dev secrets, the SMS outbox, bench);
//! - [`serve`]: where they meet for `huifang-origin serve`;
//! - [`cli`]: the command line (clap), with [`args`] (values several commands share) and
//!   [`progress`] (the bars of the long commands).

pub mod archive;
pub mod args;
pub mod audit;
pub mod casework;
pub mod cli;
pub mod clock;
pub mod console;
pub mod dev;
pub mod insurer;
pub mod progress;
pub mod sampling;
pub mod serve;
pub mod server;
pub mod statistics;

pub use serve::{serve, ServeError};
pub use server::{app, AppState};
