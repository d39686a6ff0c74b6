//! Instants as milliseconds since the Unix epoch, and their RFC 3339 text form.
//!
//! The core never reads a clock: the edge passes `now` into every rule. Insurers send times with an
//! offset (`2026-12-10T23:59:59+08:00`); we keep UTC milliseconds and print UTC (`…Z`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// An instant, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

/// A duration in milliseconds, for rule constants.
pub const SECOND_MS: u64 = 1_000;
pub const MINUTE_MS: u64 = 60 * SECOND_MS;
pub const HOUR_MS: u64 = 60 * MINUTE_MS;
/// Beijing time is UTC+8 all year (no daylight saving): a Beijing day starts at 16:00 UTC the day before.
pub const BEIJING_OFFSET_MS: u64 = 8 * HOUR_MS;
pub const DAY_MS: u64 = 24 * 60 * MINUTE_MS;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 date-time such as 2026-12-10T23:59:59+08:00")]
pub struct BadTimestamp;

impl Timestamp {
    pub fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    pub fn millis(self) -> u64 {
        self.0
    }

    pub fn seconds(self) -> u64 {
        self.0 / SECOND_MS
    }

    pub fn plus_millis(self, ms: u64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, or zero if `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)`. Years before 1970 are refused.
    pub fn parse_rfc3339(text: &str) -> Result<Self, BadTimestamp> {
        let b = text.as_bytes();
        if b.len() < 20 || !text.is_ascii() {
            return Err(BadTimestamp);
        }
        let num = |range: std::ops::Range<usize>| -> Result<i64, BadTimestamp> {
            let s = &text[range];
            if s.bytes().all(|c| c.is_ascii_digit()) {
                s.parse().map_err(|_| BadTimestamp)
            } else {
                Err(BadTimestamp)
            }
        };
        let sep_ok = b[4] == b'-'
            && b[7] == b'-'
            && matches!(b[10], b'T' | b't' | b' ')
            && b[13] == b':'
            && b[16] == b':';
        if !sep_ok {
            return Err(BadTimestamp);
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(BadTimestamp);
        }
        let mut rest = &text[19..];
        let mut millis = 0i64;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(BadTimestamp);
            }
            let first3: String = frac[..digits]
                .chars()
                .chain("000".chars())
                .take(3)
                .collect();
            millis = first3.parse().map_err(|_| BadTimestamp)?;
            rest = &frac[digits..];
        }
        let offset_minutes = match rest {
            "Z" | "z" => 0,
            _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
                let sign = match rest.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return Err(BadTimestamp),
                };
                let (h, m) = (num_in(rest, 1..3)?, num_in(rest, 4..6)?);
                if h > 23 || m > 59 {
                    return Err(BadTimestamp);
                }
                sign * (h * 60 + m)
            }
            _ => return Err(BadTimestamp),
        };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
        let ms = secs * 1_000 + millis;
        u64::try_from(ms).map(Timestamp).map_err(|_| BadTimestamp)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, always UTC.
    pub fn to_rfc3339(self) -> String {
        let ms = self.0 % 1_000;
        let secs = (self.0 / 1_000) as i64;
        let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            sod / 3_600,
            sod % 3_600 / 60,
            sod % 60
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

fn num_in(s: &str, range: std::ops::Range<usize>) -> Result<i64, BadTimestamp> {
    let part = &s[range];
    if part.bytes().all(|c| c.is_ascii_digit()) {
        part.parse().map_err(|_| BadTimestamp)
    } else {
        Err(BadTimestamp)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_utc_and_offsets_to_the_same_instant() {
        let utc = Timestamp::parse_rfc3339("2026-12-10T15:59:59Z").unwrap();
        let cst = Timestamp::parse_rfc3339("2026-12-10T23:59:59+08:00").unwrap();
        assert_eq!(utc, cst);
        assert_eq!(utc.0, 1_796_918_399_000);
    }

    #[test]
    fn keeps_milliseconds() {
        let t = Timestamp::parse_rfc3339("1970-01-01T00:00:01.5Z").unwrap();
        assert_eq!(t.0, 1_500);
        assert_eq!(t.to_rfc3339(), "1970-01-01T00:00:01.500Z");
    }

    #[test]
    fn refuses_impossible_dates_and_garbage() {
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-12-10T24:00:00Z",
            "2026-12-10T23:59:59",
            "2026-12-10T23:59:59+8:00",
            "1969-12-31T23:59:59Z",
            "tomorrow",
            "２０２６-12-10T23:59:59Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), Err(BadTimestamp), "{bad}");
        }
        assert!(Timestamp::parse_rfc3339("2024-02-29T00:00:00Z").is_ok());
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_instant(ms in 0u64..253_402_300_799_000) {
            let t = Timestamp(ms);
            prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Ok(t));
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}") {
            let _ = Timestamp::parse_rfc3339(&s);
        }
    }
}
