//! Huifang's core: every rule of an electronic revisit (电子化回访), as plain functions over plain data.
//!
//! The browser app, the edge worker and the insurer's origin all link this crate and only translate
//! between the outside world and it. Clocks and random values are passed in; nothing here does I/O.
//! Requirement ids (R1–R15) are defined in `docs/REQUIREMENTS.md`.

pub mod canonical;
pub mod casework;
pub mod custody;
pub mod domain;
pub mod error_code;
pub mod first_use;
#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
pub mod html;
pub mod idempotency;
pub mod record;
pub mod sample_run;
pub mod sampling;
pub mod script;
pub mod session;
pub mod signature;
pub mod signing;
pub mod statistics;
pub mod throttle;
pub mod time;
pub mod trace;
pub mod wire;
pub mod words;
pub mod working_days;

pub use domain::{
    IdNumber, LinkToken, OtpCode, Phone, PolicyNumber, RevisitId, SalesChannel, SellerCode,
};
pub use error_code::{CodeClass, ErrorCode};
pub use time::Timestamp;
