//! The origin's integration tests, one binary (each file was its own before: one link of the whole
//! origin per file made `make test` slower, and their tests could not share the cores).
//! The modules are the former files, by what they cover.

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod admin;
mod cases;
mod cli;
mod console;
mod face;
mod https;
mod postgres;
mod records;
mod report;
mod routes;
mod sampling;
mod signing_readme;
mod sms;
