//! A site's downtime within an incident, by the postmortem's rule
//! (`report::impact`): a site is down while it is down or flapping, from the
//! moment it went down until it came back, clipped to the incident's window.

use chrono::TimeDelta;

use crate::model::Timestamp;

/// A down spell that ended: `(went down, came back)`.
pub type Spell = (Timestamp, Timestamp);

/// How long a site was down between `start` and `end`: its ended `spells`
/// plus the current one (down since `down_since`, still going at `end`),
/// each clipped to the window. Overlapping spells are counted once.
pub fn downtime_in(
    spells: &[Spell],
    down_since: Option<Timestamp>,
    start: Timestamp,
    end: Timestamp,
) -> TimeDelta {
    let mut windows: Vec<Spell> = spells
        .iter()
        .copied()
        .chain(down_since.map(|since| (since, end)))
        .map(|(from, to)| (from.max(start), to.min(end)))
        .filter(|(from, to)| from < to)
        .collect();
    windows.sort();
    let mut total = TimeDelta::zero();
    let mut covered_until: Option<Timestamp> = None;
    for (from, to) in windows {
        let from = covered_until.map_or(from, |until| from.max(until));
        if from < to {
            total += to - from;
        }
        covered_until = Some(covered_until.map_or(to, |until| until.max(to)));
    }
    total
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn at(minute: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2017, 9, 11, 22, 0, 0).unwrap() + TimeDelta::minutes(minute)
    }

    #[test]
    fn ended_and_current_spells_add_up_inside_the_window() {
        // Down 10 minutes before the incident started (5 of them count),
        // then down again from minute 30 and still down at 45.
        let spells = [(at(-5), at(5))];
        let down = downtime_in(&spells, Some(at(30)), at(0), at(45));
        assert_eq!(down, TimeDelta::minutes(5 + 15));
    }

    #[test]
    fn spells_outside_the_window_or_overlapping_count_once_or_not_at_all() {
        let spells = [(at(-30), at(-10)), (at(10), at(20)), (at(15), at(25))];
        assert_eq!(
            downtime_in(&spells, None, at(0), at(60)),
            TimeDelta::minutes(15)
        );
        // A resolved incident stops counting at its end.
        assert_eq!(
            downtime_in(&[], Some(at(50)), at(0), at(40)),
            TimeDelta::zero()
        );
        assert_eq!(downtime_in(&[], None, at(0), at(40)), TimeDelta::zero());
    }
}
