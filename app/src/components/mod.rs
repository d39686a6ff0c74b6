//! Pieces shared by several pages.

pub mod header;
pub mod notice;
pub mod progress;
pub mod reading_gate;
pub mod switch_to_phone;
