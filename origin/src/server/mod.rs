//! The origin's HTTP API. [`app`] builds the router (tests drive it directly);
//! [`crate::serve`] runs it on a socket with the [`settings::Settings`] read once at startup. Extractors ([`extract`]) own
//! authentication and parsing, so every handler starts from typed input; [`error::OriginError`] is
//! the one error type, mapped to a status in one place.

pub mod admin;
pub mod app;
pub mod cases;
pub mod error;
pub mod extract;
pub mod face;
pub mod face_provider;
pub mod gateway;
pub mod page;
pub mod policies;
pub mod records;
pub mod report;
pub mod settings;
pub mod sms;
pub mod state;

pub use app::app;
pub use state::AppState;
