//! Times typed by a person, for back-dating an entry: `14:05` (today),
//! `2026-11-21 14:05`, seconds optional, in the configured zone unless the
//! text ends in `UTC` or `Z`; or `-15m` / `-2h` / `-90s` back from now.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// What the field accepts, for error messages and the editor's hint.
pub const FORMATS: &str = "HH:MM, YYYY-MM-DD HH:MM (add UTC for UTC), or -15m / -2h";

/// Parse `text` against `now` (the API's clock) in `zone`.
pub fn parse(text: &str, now: DateTime<Utc>, zone: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Some(ago) = text.strip_prefix('-') {
        return relative(ago)
            .map(|delta| now - delta)
            .ok_or_else(|| format!("'{text}' is not a time: use {FORMATS}"));
    }
    let (text, utc) = match text
        .strip_suffix("UTC")
        .or_else(|| text.strip_suffix("utc"))
        .or_else(|| text.strip_suffix('Z'))
    {
        Some(rest) => (rest.trim_end(), true),
        None => (text, false),
    };
    let local = |naive: NaiveDateTime| -> Result<DateTime<Utc>, String> {
        if utc {
            return Ok(Utc.from_utc_datetime(&naive));
        }
        zone.from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("{naive} does not exist in {zone} (a clock change)"))
    };
    if let Some(time) = time_of_day(text) {
        let today: NaiveDate = if utc {
            now.date_naive()
        } else {
            now.with_timezone(&zone).date_naive()
        };
        return local(today.and_time(time));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return local(naive);
        }
    }
    Err(format!("'{text}' is not a time: use {FORMATS}"))
}

fn time_of_day(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()
}

fn relative(text: &str) -> Option<TimeDelta> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().ok()?;
    match unit.trim() {
        "s" | "sec" => TimeDelta::try_seconds(n),
        "m" | "min" => TimeDelta::try_minutes(n),
        "h" | "hr" => TimeDelta::try_hours(n),
        "d" => TimeDelta::try_days(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 22, 30, 0).unwrap()
    }

    #[test]
    fn a_time_of_day_is_today_in_the_zone() {
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        // 22:30 UTC is 14:30 PST; 14:05 PST is 22:05 UTC.
        let t = parse("14:05", now(), la).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 21, 22, 5, 0).unwrap());
    }

    #[test]
    fn utc_suffix_means_utc() {
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        let t = parse("2026-11-21 13:42 UTC", now(), la).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 21, 13, 42, 0).unwrap());
        let t = parse("13:42Z", now(), la).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 21, 13, 42, 0).unwrap());
    }

    #[test]
    fn relative_times_count_back_from_now() {
        assert_eq!(
            parse("-15m", now(), Tz::UTC).unwrap(),
            now() - TimeDelta::minutes(15)
        );
        assert_eq!(
            parse("-2h", now(), Tz::UTC).unwrap(),
            now() - TimeDelta::hours(2)
        );
    }

    #[test]
    fn nonsense_is_refused_with_the_formats() {
        for bad in ["yesterday", "25:00", "-15x", "2026-13-01 10:00", "-"] {
            let err = parse(bad, now(), Tz::UTC).unwrap_err();
            assert!(err.contains("HH:MM"), "{bad}: {err}");
        }
    }
}
