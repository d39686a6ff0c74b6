//! Local development and measurement: the wrangler dev secrets, the SMS outbox (the dev SMS
//! gateway testers read codes from) and the ingest benchmark.

#[cfg(any(test, feature = "bench"))]
pub mod archive;
#[cfg(any(test, feature = "bench"))]
pub mod bench;
pub mod face_sim;
pub mod outbox;
#[cfg(feature = "bench")]
pub mod scale;
pub mod secrets;
