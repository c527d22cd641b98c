//! How reports write times: local times of day in the configured zone for the
//! narrative, and UTC `Posted` stamps in the status-page format.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use chrono_tz::Tz;

use crate::model::Timestamp;

/// The status-page stamp after `Posted `, e.g. `Sep 12, 2017 - 13:42`. The day
/// is zero-padded (`Apr 01`) so an exported stamp reads back to itself.
const POSTED_FORMAT: &str = "%b %d, %Y - %H:%M";

/// `Sep 12, 2017 - 13:42` (UTC, minute precision).
pub fn posted_text(at: Timestamp) -> String {
    at.format(POSTED_FORMAT).to_string()
}

/// Reads a whole `Posted Sep 12, 2017 - 13:42 UTC` line (surrounding blanks
/// ignored). `None` when the line is not one.
pub fn parse_posted_line(line: &str) -> Option<Timestamp> {
    let stamp = line.trim().strip_prefix("Posted ")?.strip_suffix(" UTC")?;
    parse_posted_stamp(stamp)
}

/// Whether a line looks like it means to be a `Posted … UTC` line, valid or not.
pub fn looks_like_posted_line(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("Posted ") && line.ends_with(" UTC")
}

fn parse_posted_stamp(stamp: &str) -> Option<Timestamp> {
    // Written by hand rather than with chrono's parser so that what is accepted
    // is exactly `Mon D[D], YYYY - HH:MM`, nothing more lenient.
    let (month_day, rest) = stamp.split_once(", ")?;
    let (year, clock) = rest.split_once(" - ")?;
    let (month, day) = month_day.split_once(' ')?;
    let month = month_number(month)?;
    let day = small_number(day, 2)?;
    let year: i32 = if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) {
        year.parse().ok()?
    } else {
        return None;
    };
    let (hour, minute) = clock.split_once(':')?;
    if hour.len() != 2 || minute.len() != 2 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = date.and_hms_opt(small_number(hour, 2)?, small_number(minute, 2)?, 0)?;
    Some(NaiveDateTime::and_utc(&time))
}

fn small_number(text: &str, max_digits: usize) -> Option<u32> {
    if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month_number(name: &str) -> Option<u32> {
    let index = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))?;
    u32::try_from(index + 1).ok()
}

/// Local times in the configured zone, relative to the incident's first day:
/// a time on that day reads `15h15 PDT`, a time on another day `Sep 12 01h36 PDT`.
#[derive(Debug, Clone, Copy)]
pub struct LocalClock {
    tz: Tz,
    first_day: NaiveDate,
}

impl LocalClock {
    /// A clock whose first day is the local date of `start`.
    pub fn new(tz: Tz, start: Timestamp) -> Self {
        LocalClock {
            tz,
            first_day: start.with_timezone(&tz).date_naive(),
        }
    }

    /// `15h15 PDT`, or `Sep 12 01h36 PDT` when not on the first day.
    pub fn time(&self, at: Timestamp) -> String {
        let local = at.with_timezone(&self.tz);
        let date = local.date_naive();
        let mut text = String::with_capacity(20);
        if date != self.first_day {
            let month = MONTHS.get(date.month0() as usize).copied().unwrap_or("???");
            let _ = write!(text, "{month} {:02} ", date.day());
        }
        // By hand rather than `format("%Hh%M %Z")`: an export formats one time
        // per timeline entry, and parsing the format string each time showed.
        let _ = write!(
            text,
            "{:02}h{:02} {}",
            local.hour(),
            local.minute(),
            local.offset()
        );
        text
    }

    /// `15h15 PDT` whatever the day.
    pub fn time_of_day(&self, at: Timestamp) -> String {
        let local = at.with_timezone(&self.tz);
        format!(
            "{:02}h{:02} {}",
            local.hour(),
            local.minute(),
            local.offset()
        )
    }

    /// Whether `at` falls on the first day in the local zone.
    pub fn on_first_day(&self, at: Timestamp) -> bool {
        at.with_timezone(&self.tz).date_naive() == self.first_day
    }

    /// `Monday September 11th 2017`.
    pub fn long_date(&self, at: Timestamp) -> String {
        let local = at.with_timezone(&self.tz);
        let day = local.day();
        format!(
            "{} {} {day}{} {}",
            local.format("%A"),
            local.format("%B"),
            ordinal_suffix(day),
            local.year()
        )
    }

    /// The zone's IANA name, e.g. `America/Los_Angeles`.
    pub fn zone_name(&self) -> &'static str {
        self.tz.name()
    }
}

fn ordinal_suffix(day: u32) -> &'static str {
    if (11..=13).contains(&(day % 100)) {
        return "th";
    }
    match day % 10 {
        1 => "st",
        2 => "nd",
        3 => "rd",
        _ => "th",
    }
}

/// Whole minutes in `seconds`, rounded to the nearest minute; negative spans count as zero.
pub fn rounded_minutes(seconds: i64) -> u64 {
    u64::try_from(seconds.max(0)).map_or(0, |s| (s + 30) / 60)
}

/// Whole minutes in `seconds`, rounded to the nearest minute (halves away
/// from zero); negative spans stay negative.
pub fn signed_minutes(seconds: i64) -> i64 {
    let minutes = i64::try_from(rounded_minutes(seconds.saturating_abs())).unwrap_or(i64::MAX);
    if seconds < 0 { -minutes } else { minutes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn posted_stamps_are_zero_padded_and_read_back() {
        let at = utc(2020, 4, 1, 16, 57);
        assert_eq!(posted_text(at), "Apr 01, 2020 - 16:57");
        assert_eq!(
            parse_posted_line("Posted Apr 01, 2020 - 16:57 UTC"),
            Some(at)
        );
        assert_eq!(
            parse_posted_line("Posted Apr 1, 2020 - 16:57 UTC"),
            Some(at)
        );
        assert_eq!(parse_posted_line("Posted Apr 31, 2020 - 16:57 UTC"), None);
        assert_eq!(parse_posted_line("Posted Apr 01, 2020 - 16:57"), None);
        assert_eq!(parse_posted_line("Posted Apr 01, 2020 - 6:57 UTC"), None);
        assert_eq!(parse_posted_line("Posted Foo 01, 2020 - 16:57 UTC"), None);
    }

    #[test]
    fn local_times_name_the_zone_and_the_day_when_it_changes() {
        let start = utc(2017, 9, 11, 22, 15);
        let la = LocalClock::new(chrono_tz::America::Los_Angeles, start);
        assert_eq!(la.time(start), "15h15 PDT");
        assert_eq!(la.time(utc(2017, 9, 12, 8, 36)), "Sep 12 01h36 PDT");
        assert_eq!(la.long_date(start), "Monday September 11th 2017");
        let utc_clock = LocalClock::new(chrono_tz::UTC, start);
        assert_eq!(utc_clock.time(start), "22h15 UTC");
        assert_eq!(utc_clock.time(utc(2017, 9, 12, 1, 36)), "Sep 12 01h36 UTC");
    }

    #[test]
    fn signed_minutes_round_to_the_nearest_minute_and_keep_their_sign() {
        assert_eq!(signed_minutes(0), 0);
        assert_eq!(signed_minutes(29), 0);
        assert_eq!(signed_minutes(30), 1);
        assert_eq!(signed_minutes(-360), -6);
        assert_eq!(signed_minutes(-390), -7);
        assert_eq!(signed_minutes(-89), -1);
        assert_eq!(rounded_minutes(-360), 0, "durations never go negative");
    }

    #[test]
    fn ordinals() {
        let suffixes: Vec<_> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31]
            .iter()
            .map(|d| ordinal_suffix(*d))
            .collect();
        assert_eq!(
            suffixes,
            [
                "st", "nd", "rd", "th", "th", "th", "th", "st", "nd", "rd", "st"
            ]
        );
    }
}
