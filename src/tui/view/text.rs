//! Small text helpers for the views: times, durations, fixed-width cells.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

/// `HH:MM` in `zone`.
pub fn clock(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%H:%M").to_string()
}

/// The zone's abbreviation at `at` (`PDT`, `CEST`).
pub fn zone_abbreviation(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Z").to_string()
}

/// A duration at minute resolution: `<1m`, `42m`, `3h07m`, `2d04h`.
pub fn minutes(d: TimeDelta) -> String {
    let m = d.num_minutes().max(0);
    if m < 1 {
        "<1m".into()
    } else if m < 60 {
        format!("{m}m")
    } else if m < 24 * 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{}d{:02}h", m / (24 * 60), (m / 60) % 24)
    }
}

/// A duration at second resolution: `7s`, `3m05s`, then like [`minutes`].
pub fn seconds(d: TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        minutes(d)
    }
}

/// `text` cut or padded to exactly `width` characters (ids and names are
/// one cell per character in practice; a wide character only shifts its row).
pub fn cell(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        let mut out = String::with_capacity(width + text.len() - count);
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', width - count));
        out
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = text.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

/// Like [`cell`], right-aligned.
pub fn cell_right(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count >= width {
        cell(text, width)
    } else {
        let mut out: String = std::iter::repeat_n(' ', width - count).collect();
        out.push_str(text);
        out
    }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` samples as bars scaled between their min and max; a
/// missing sample (failed probe) is a gap.
pub fn sparkline<'a>(
    samples: impl DoubleEndedIterator<Item = &'a Option<f64>> + ExactSizeIterator,
    width: usize,
) -> String {
    let recent: Vec<Option<f64>> = samples.rev().take(width).copied().collect();
    let values = recent.iter().flatten();
    let (low, high) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = (high - low).max(1.0);
    let mut out = String::with_capacity(width * 3);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(recent.len())));
    for sample in recent.iter().rev() {
        out.push(match sample {
            Some(v) => BARS[(((v - low) / span) * 7.0).round().clamp(0.0, 7.0) as usize],
            None => ' ',
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(minutes(TimeDelta::seconds(30)), "<1m");
        assert_eq!(minutes(TimeDelta::minutes(42)), "42m");
        assert_eq!(minutes(TimeDelta::minutes(187)), "3h07m");
        assert_eq!(minutes(TimeDelta::hours(52)), "2d04h");
        assert_eq!(seconds(TimeDelta::seconds(185)), "3m05s");
    }

    #[test]
    fn cells_have_the_exact_width() {
        assert_eq!(cell("app-01", 8), "app-01  ");
        assert_eq!(cell("Three Rivers Landscaping", 10), "Three Riv…");
        assert_eq!(cell_right("12ms", 6), "  12ms");
    }

    #[test]
    fn sparkline_scales_and_right_aligns() {
        let samples = [Some(10.0), Some(20.0), None, Some(30.0)];
        assert_eq!(sparkline(samples.iter(), 6), "  ▁▅ █");
        assert_eq!(sparkline(samples.iter(), 2), " ▁");
    }
}
