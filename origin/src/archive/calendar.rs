//! The archive's calendar: Beijing time (UTC+8, no daylight saving), in which the evidence report
//! shows every time, and calendar-year arithmetic for retention (R5: at least ten years from the
//! contract's termination).

use huifang_core::Timestamp;

/// Beijing time's offset from UTC.
pub const BEIJING_OFFSET_MS: u64 = 8 * 60 * 60 * 1_000;
/// R5: archived revisit evidence is kept at least this many calendar years after termination.
pub const RETENTION_YEARS: u16 = 10;

/// The Beijing wall-clock reading of `t` as `YYYY-MM-DDTHH:MM:SS.mmm` (from core's UTC form).
fn beijing_fields(t: Timestamp) -> String {
    let utc_form = t.plus_millis(BEIJING_OFFSET_MS).to_rfc3339();
    utc_form.trim_end_matches('Z').to_string()
}

/// `2026-11-26 17:05:03`: `t` in Beijing time, to the second.
pub fn beijing_time(t: Timestamp) -> String {
    let fields = beijing_fields(t);
    fields.get(..19).unwrap_or(&fields).replacen('T', " ", 1)
}

/// `2036-11-26`: the Beijing calendar date of `t`.
pub fn beijing_date(t: Timestamp) -> String {
    let fields = beijing_fields(t);
    fields.get(..10).unwrap_or(&fields).to_string()
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

/// `t` plus `years` calendar years on the Beijing calendar: the same day, month and time of day,
/// `years` later. A 29 February whose target year has none ends on 28 February, the month's last
/// day (Civil Code art. 202: "没有对应日的，为月末日"). `None` past the year 9999.
pub fn plus_calendar_years(t: Timestamp, years: u16) -> Option<Timestamp> {
    let fields = beijing_fields(t);
    let year: u16 = fields.get(..4)?.parse().ok()?;
    let target = year.checked_add(years).filter(|y| *y <= 9999)?;
    let month_day = fields.get(4..10)?;
    let month_day = if month_day == "-02-29" && !is_leap(target) {
        "-02-28"
    } else {
        month_day
    };
    let time = fields.get(10..)?;
    Timestamp::parse_rfc3339(&format!("{target:04}{month_day}{time}+08:00")).ok()
}

/// R5: the end of a record's retention, when its contract terminated at `terminated_at`.
pub fn retention_until(terminated_at: Timestamp) -> Option<Timestamp> {
    plus_calendar_years(terminated_at, RETENTION_YEARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn times_show_in_beijing_time() {
        let t = at("2026-11-26T16:05:03.250Z");
        assert_eq!(beijing_time(t), "2026-11-27 00:05:03");
        assert_eq!(beijing_date(t), "2026-11-27");
        assert_eq!(beijing_time(Timestamp(0)), "1970-01-01 08:00:00");
    }

    // R5: ten calendar years, not 3,650 days (three or so leap days differ).
    #[test]
    fn retention_is_ten_calendar_years_on_the_beijing_calendar() {
        let terminated = at("2026-12-10T23:59:59+08:00");
        assert_eq!(
            retention_until(terminated),
            Some(at("2036-12-10T23:59:59+08:00"))
        );
        assert_ne!(
            retention_until(terminated),
            Some(terminated.plus_millis(3_650 * 86_400_000))
        );
        // 00:30 in Beijing on 1 January is still 31 December in UTC: the Beijing date counts.
        assert_eq!(
            retention_until(at("2027-01-01T00:30:00+08:00")),
            Some(at("2037-01-01T00:30:00+08:00"))
        );
    }

    #[test]
    fn the_29th_of_february_ends_on_the_28th_when_the_target_year_has_none() {
        assert_eq!(
            retention_until(at("2024-02-29T10:00:00+08:00")),
            Some(at("2034-02-28T10:00:00+08:00"))
        );
        // ... and keeps the 29th when it has one.
        assert_eq!(
            plus_calendar_years(at("2024-02-29T10:00:00+08:00"), 4),
            Some(at("2028-02-29T10:00:00+08:00"))
        );
        // 29 February in Beijing that is still the 28th in UTC.
        assert_eq!(
            retention_until(at("2024-02-29T07:00:00+08:00")),
            Some(at("2034-02-28T07:00:00+08:00"))
        );
        assert_eq!(
            retention_until(at("2024-03-01T00:00:00+08:00")),
            Some(at("2034-03-01T00:00:00+08:00"))
        );
    }

    #[test]
    fn years_past_9999_have_no_date() {
        assert_eq!(
            plus_calendar_years(at("9995-06-01T00:00:00Z"), RETENTION_YEARS),
            None
        );
    }
}
