//! How values from the API are written for the policyholder: dates in Beijing time, counts and
//! countdowns. Plain functions, tested on the host.

use crate::i18n::Lang;
use huifang_core::session::AnswerKind;
use huifang_core::wire::ItemView;
use huifang_core::words::{self, CalendarTime};
use huifang_core::Timestamp;

const BEIJING_OFFSET_MS: u64 = 8 * 60 * 60 * 1_000;

/// `2027-01-15T15:59:59.000Z` → `2027年1月15日 23:59` (`15 Jan 2027, 23:59`) in Beijing time;
/// `None` if it is not a date.
pub fn beijing_date_time(rfc3339: &str, lang: Lang) -> Option<String> {
    let utc = Timestamp::parse_rfc3339(rfc3339).ok()?;
    // China has no daylight saving: shift by eight hours and read the fields of the UTC form.
    let local = utc.plus_millis(BEIJING_OFFSET_MS).to_rfc3339();
    let field = |range: std::ops::Range<usize>| local.get(range);
    let time = CalendarTime {
        year: field(0..4)?,
        month: field(5..7)?.parse().ok().filter(|m| (1..=12).contains(m))?,
        day: field(8..10)?.parse().ok()?,
        hour: field(11..13)?,
        minute: field(14..16)?,
    };
    Some((words::of(lang).date_time)(&time))
}

/// How many items were answered "no": each is a problem case the insurer follows up (R12).
pub fn doubts(items: &[ItemView]) -> usize {
    items
        .iter()
        .filter(|i| i.answer == Some(AnswerKind::No))
        .count()
}

/// Whole seconds from `now_ms` until `deadline_ms`, rounded up; zero once it has passed.
pub fn seconds_left(deadline_ms: f64, now_ms: f64) -> u64 {
    let left = ((deadline_ms - now_ms) / 1_000.0).ceil();
    if left.is_finite() && left > 0.0 {
        left as u64
    } else {
        0
    }
}

/// Digits typed on a Chinese keyboard may come full-width (０-９); spaces are pasted along with codes.
pub fn normalize_code(typed: &str) -> String {
    typed
        .chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')),
            c if c.is_whitespace() || c == '-' => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_shown_in_beijing_time() {
        assert_eq!(
            beijing_date_time("2027-01-15T15:59:59.000Z", Lang::ZhCn).as_deref(),
            Some("2027年1月15日 23:59")
        );
        assert_eq!(
            beijing_date_time("2027-01-15T15:59:59.000Z", Lang::En).as_deref(),
            Some("15 Jan 2027, 23:59")
        );
        // Crossing midnight and a year end.
        assert_eq!(
            beijing_date_time("2026-12-31T16:30:00Z", Lang::ZhCn).as_deref(),
            Some("2027年1月1日 00:30")
        );
        assert_eq!(beijing_date_time("next week", Lang::En), None);
    }

    #[test]
    fn the_countdown_rounds_up_and_stops_at_zero() {
        assert_eq!(seconds_left(60_000.0, 0.0), 60);
        assert_eq!(seconds_left(60_000.0, 100.0), 60);
        assert_eq!(seconds_left(60_000.0, 59_001.0), 1);
        assert_eq!(seconds_left(60_000.0, 60_000.0), 0);
        assert_eq!(seconds_left(0.0, 5_000.0), 0);
        assert_eq!(seconds_left(f64::NAN, 0.0), 0);
    }

    #[test]
    fn codes_typed_full_width_or_with_spaces_are_normalized() {
        assert_eq!(normalize_code("１２３ ４５６"), "123456");
        assert_eq!(normalize_code(" 123-456 "), "123456");
        assert_eq!(normalize_code("12a456"), "12a456");
    }

    #[test]
    fn doubts_are_counted() {
        let item = |answer| ItemView {
            index: 0,
            id: "i".into(),
            title: "t".into(),
            body: vec!["b".into()],
            min_read_secs: 1,
            answer,
            comment: None,
            problem_on_no: true,
        };
        let items = [
            item(Some(AnswerKind::Yes)),
            item(Some(AnswerKind::No)),
            item(Some(AnswerKind::No)),
        ];
        assert_eq!(doubts(&items), 2);
    }
}
