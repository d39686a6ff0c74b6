//! Working days on the mainland calendar, from the State Council's yearly holiday notices: the
//! deadline of a problem case (R12: 15 working days from discovery) and the days a task has left.
//!
//! The table (`core/data/holidays-cn.json`) is checked in, one entry per year as the notice gives it:
//! holidays (weekends inside a holiday run included) and make-up working days (a Saturday or Sunday
//! worked). A date past the table's last year is an error, never a guess: a deadline computed on a
//! guessed calendar could fall on a holiday nobody has announced yet.

use crate::time::{Timestamp, BEIJING_OFFSET_MS, DAY_MS};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::BTreeSet;

/// The table shipped with Huifang.
const SHIPPED_TABLE: &str = include_str!("../data/holidays-cn.json");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("{date} is after {last}, the last day of the holiday table; add the next year's State Council notice to the table")]
    PastTable { date: NaiveDate, last: NaiveDate },
    #[error("{date} is before {first}, the first day of the holiday table")]
    BeforeTable { date: NaiveDate, first: NaiveDate },
    #[error("the holiday table is invalid: {0}")]
    BadTable(String),
}

#[derive(Deserialize)]
struct Table {
    years: Vec<YearEntry>,
}

#[derive(Deserialize)]
struct YearEntry {
    year: i32,
    notice: String,
    holidays: Vec<HolidayRun>,
    make_up_working_days: Vec<NaiveDate>,
}

#[derive(Deserialize)]
struct HolidayRun {
    name: String,
    from: NaiveDate,
    to: NaiveDate,
}

/// Which days are worked, for the years the table covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    first: NaiveDate,
    last: NaiveDate,
    holidays: BTreeSet<NaiveDate>,
    make_up_days: BTreeSet<NaiveDate>,
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn first_of(year: i32) -> Result<NaiveDate, CalendarError> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| CalendarError::BadTable(format!("year {year}")))
}

impl WorkingCalendar {
    /// The calendar from the table shipped in the repository.
    pub fn shipped() -> Result<Self, CalendarError> {
        Self::from_json(SHIPPED_TABLE)
    }

    /// Reads a table: consecutive years, each holiday inside its year and on no make-up day, each
    /// make-up day a weekend day of its year.
    pub fn from_json(text: &str) -> Result<Self, CalendarError> {
        let table: Table =
            serde_json::from_str(text).map_err(|e| CalendarError::BadTable(e.to_string()))?;
        let bad = |msg: String| CalendarError::BadTable(msg);
        let (Some(first_year), Some(last_year)) = (table.years.first(), table.years.last()) else {
            return Err(bad("no year".into()));
        };
        let first = first_of(first_year.year)?;
        let last = first_of(last_year.year + 1)?
            .pred_opt()
            .ok_or_else(|| bad("last year".into()))?;
        let mut holidays = BTreeSet::new();
        let mut make_up_days = BTreeSet::new();
        for (i, entry) in table.years.iter().enumerate() {
            let year = entry.year;
            if year != first_year.year + i as i32 {
                return Err(bad(format!("{year}: the years must follow each other")));
            }
            if entry.notice.trim().is_empty() {
                return Err(bad(format!("{year}: name the notice the dates come from")));
            }
            for run in &entry.holidays {
                if run.from > run.to || run.from.year() != year || run.to.year() != year {
                    return Err(bad(format!(
                        "{year} {}: {}..{} is not a run of days in {year}",
                        run.name, run.from, run.to
                    )));
                }
                let mut day = run.from;
                while day <= run.to {
                    holidays.insert(day);
                    day = day.succ_opt().ok_or_else(|| bad(format!("{day}")))?;
                }
            }
            for &day in &entry.make_up_working_days {
                if day.year() != year || !is_weekend(day) {
                    return Err(bad(format!(
                        "{year}: make-up working day {day} is not a weekend day of {year}"
                    )));
                }
                if holidays.contains(&day) {
                    return Err(bad(format!(
                        "{year}: {day} is both a holiday and a make-up working day"
                    )));
                }
                make_up_days.insert(day);
            }
        }
        Ok(Self {
            first,
            last,
            holidays,
            make_up_days,
        })
    }

    /// The last day the table covers.
    pub fn covered_until(&self) -> NaiveDate {
        self.last
    }

    fn check(&self, date: NaiveDate) -> Result<(), CalendarError> {
        if date > self.last {
            return Err(CalendarError::PastTable {
                date,
                last: self.last,
            });
        }
        if date < self.first {
            return Err(CalendarError::BeforeTable {
                date,
                first: self.first,
            });
        }
        Ok(())
    }

    /// Whether `date` is worked: a weekday that is no holiday, or a make-up working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.check(date)?;
        Ok(self.make_up_days.contains(&date)
            || !(is_weekend(date) || self.holidays.contains(&date)))
    }

    /// The `n`-th working day after `start` (`start` itself never counts, as a deadline "within n
    /// working days of discovery" is read). `n = 0` is `start`.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        self.check(start)?;
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day
                .checked_add_days(Days::new(1))
                .ok_or(CalendarError::PastTable {
                    date: day,
                    last: self.last,
                })?;
            if self.is_working_day(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// Working days after `today` up to and including `deadline`: 0 on the deadline's day and after.
    pub fn working_days_left(
        &self,
        today: NaiveDate,
        deadline: NaiveDate,
    ) -> Result<u32, CalendarError> {
        self.check(today)?;
        self.check(deadline)?;
        let mut count = 0;
        let mut day = today;
        while day < deadline {
            day = day.succ_opt().ok_or(CalendarError::PastTable {
                date: day,
                last: self.last,
            })?;
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

/// The Beijing calendar date of an instant.
pub fn beijing_date(t: Timestamp) -> NaiveDate {
    let days = (t.millis() + BEIJING_OFFSET_MS) / DAY_MS;
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_days(Days::new(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// The end of a Beijing date: the first instant of the next day. A deadline on a date is met by
/// anything done before this.
pub fn end_of_beijing_day(date: NaiveDate) -> Timestamp {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
    let days = u64::try_from((date - epoch).num_days() + 1).unwrap_or(0);
    Timestamp::from_millis((days * DAY_MS).saturating_sub(BEIJING_OFFSET_MS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().expect("a test date")
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::shipped().expect("the shipped table is valid")
    }

    #[test]
    fn working_days_per_year_match_the_published_totals() {
        // Make-up days only move days off, so a year works its weekdays less its statutory holidays
        // (全国年节及纪念日放假办法: 11 days until 2024, 13 from 2025): 2023 260−11, 2024 262−11,
        // 2025 261−13, 2026 261−13. A wrong date in the table breaks this count.
        let cal = calendar();
        for (year, expected) in [(2023, 249), (2024, 251), (2025, 248), (2026, 248)] {
            let mut day = d(&format!("{year}-01-01"));
            let mut worked = 0;
            while day.year() == year {
                worked += u32::from(cal.is_working_day(day).expect("covered"));
                day = day.succ_opt().expect("a next day");
            }
            assert_eq!(worked, expected, "{year}");
        }
    }

    #[test]
    fn a_case_found_the_friday_before_national_day_is_due_after_the_holiday_week() {
        let cal = calendar();
        // 2024: Sun 29 Sep and Sat 12 Oct are worked, 1–7 Oct are not.
        assert_eq!(
            cal.add_working_days(d("2024-09-27"), 15),
            Ok(d("2024-10-23"))
        );
        // 2025: National Day and Mid-Autumn together, 1–8 Oct; Sun 28 Sep and Sat 11 Oct worked.
        assert_eq!(
            cal.add_working_days(d("2025-09-26"), 15),
            Ok(d("2025-10-23"))
        );
        // 2026: Fri 25 Sep is Mid-Autumn itself; counting starts on Mon 28 Sep; Sat 10 Oct worked.
        assert_eq!(
            cal.add_working_days(d("2026-09-25"), 15),
            Ok(d("2026-10-22"))
        );
    }

    #[test]
    fn spring_festival_and_its_make_up_days() {
        let cal = calendar();
        for off in [
            "2026-02-15",
            "2026-02-16",
            "2026-02-17",
            "2026-02-23",
            "2025-01-28",
            "2025-02-04",
        ] {
            assert_eq!(cal.is_working_day(d(off)), Ok(false), "{off}");
        }
        for worked in [
            "2026-02-14",
            "2026-02-28",
            "2025-01-26",
            "2025-02-08",
            "2024-02-04",
            "2024-02-18",
        ] {
            assert_eq!(cal.is_working_day(d(worked)), Ok(true), "{worked}");
        }
        // Fri 13 Feb 2026 → Sat 14 (worked) is the first working day after it.
        assert_eq!(
            cal.add_working_days(d("2026-02-13"), 1),
            Ok(d("2026-02-14"))
        );
        assert_eq!(
            cal.add_working_days(d("2026-02-14"), 1),
            Ok(d("2026-02-24"))
        );
    }

    #[test]
    fn past_the_table_is_an_error_never_a_guess() {
        let cal = calendar();
        assert_eq!(cal.covered_until(), d("2026-12-31"));
        assert_eq!(
            cal.add_working_days(d("2026-12-20"), 15),
            Err(CalendarError::PastTable {
                date: d("2027-01-01"),
                last: d("2026-12-31")
            })
        );
        let err = cal
            .is_working_day(d("2027-01-04"))
            .expect_err("not covered");
        assert!(err.to_string().contains("add the next year"), "{err}");
        assert!(matches!(
            cal.is_working_day(d("2022-12-30")),
            Err(CalendarError::BeforeTable { .. })
        ));
    }

    #[test]
    fn a_bad_table_is_refused_with_the_reason() {
        let year = |body: &str| format!(r#"{{"years":[{{"year":2026,"notice":"n",{body}}}]}}"#);
        let weekday_make_up = year(r#""holidays":[],"make_up_working_days":["2026-01-05"]"#);
        let backwards = year(
            r#""holidays":[{"name":"x","from":"2026-05-05","to":"2026-05-01"}],"make_up_working_days":[]"#,
        );
        let both = year(
            r#""holidays":[{"name":"x","from":"2026-01-03","to":"2026-01-04"}],"make_up_working_days":["2026-01-04"]"#,
        );
        for (text, says) in [
            (weekday_make_up, "not a weekend"),
            (backwards, "not a run"),
            (both, "both"),
        ] {
            let err = WorkingCalendar::from_json(&text).expect_err("refused");
            assert!(err.to_string().contains(says), "{err}");
        }
        let gap = r#"{"years":[{"year":2024,"notice":"n","holidays":[],"make_up_working_days":[]},{"year":2026,"notice":"n","holidays":[],"make_up_working_days":[]}]}"#;
        assert!(WorkingCalendar::from_json(gap).is_err());
        assert!(WorkingCalendar::from_json(r#"{"years":[]}"#).is_err());
    }

    #[test]
    fn days_left_counts_working_days_after_today() {
        let cal = calendar();
        // Mon 21 Sep 2026 to Wed 30 Sep: 22 23 24 | 25–27 Mid-Autumn | 28 29 30 → 6.
        assert_eq!(
            cal.working_days_left(d("2026-09-21"), d("2026-09-30")),
            Ok(6)
        );
        assert_eq!(
            cal.working_days_left(d("2026-09-30"), d("2026-09-30")),
            Ok(0)
        );
        assert_eq!(
            cal.working_days_left(d("2026-10-08"), d("2026-09-30")),
            Ok(0)
        );
    }

    #[test]
    fn beijing_dates_turn_at_16_utc() {
        let t = Timestamp::parse_rfc3339("2026-09-30T15:59:59.999Z").expect("t");
        assert_eq!(beijing_date(t), d("2026-09-30"));
        assert_eq!(beijing_date(t.plus_millis(1)), d("2026-10-01"));
        assert_eq!(end_of_beijing_day(d("2026-09-30")), t.plus_millis(1));
    }

    proptest! {
        #[test]
        fn adding_working_days_lands_on_a_working_day_and_counts_back(
            offset in 0u64..1300, n in 1u32..40,
        ) {
            let cal = calendar();
            let start = d("2023-01-01") + Days::new(offset);
            if let Ok(due) = cal.add_working_days(start, n) {
                prop_assert!(due > start);
                prop_assert_eq!(cal.is_working_day(due), Ok(true));
                prop_assert_eq!(cal.working_days_left(start, due), Ok(n));
                // One more working day is always later.
                if let Ok(next) = cal.add_working_days(start, n + 1) {
                    prop_assert!(next > due);
                }
            } else {
                // Only the table's end stops it.
                let far = start + Days::new(u64::from(n) * 3);
                prop_assert!(far > cal.covered_until() || start > cal.covered_until());
            }
        }
    }
}
