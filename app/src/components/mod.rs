//! Pieces shared by several pages.

pub mod actions;
pub mod answered_items;
pub mod header;
pub mod notice;
pub mod progress;
pub mod read_aloud;
pub mod reading_gate;
pub mod switch_to_phone;
pub mod view_options;
