//! Where the origin reads the time from: the wall clock, or a fixed one in tests.

use huifang_core::Timestamp;

/// Where handlers read the time from; tests pass a fixed one.
pub type Clock = fn() -> Timestamp;

/// The wall clock.
pub fn system_clock() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Timestamp::from_millis(ms)
}
