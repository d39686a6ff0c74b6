//! One module per page; `crate::page_for` chooses which one is on screen.

pub mod code;
pub mod done;
pub mod error;
pub mod expired;
pub mod face;
pub mod id_number;
pub mod item;
pub mod landing;
pub mod loading;
pub mod review;
pub mod signature;
pub mod switched;
