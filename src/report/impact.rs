//! Scope of impact computed from recorded health history: which sites were
//! down and for how long, how long each component was degraded, and when a
//! code path was failing while sites stayed up.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{ComponentKind, HealthSample, HealthState, Timestamp};

use super::clock::rounded_minutes;

/// Site downtime over one time window.
///
/// A site is *down* while its recorded state is `down` or `flapping`, and
/// *degraded* while it is `degraded`. Each sample holds until the site's next
/// sample (the last one until the window's end); before its first sample a
/// site counts as up. Minutes are rounded to the nearest minute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteImpact {
    /// Sites down at some point in the window.
    pub sites_affected: u32,
    pub total_sites: u32,
    /// `sites_affected / total_sites` in percent, one decimal (0 when there are no sites).
    pub percent_affected: f64,
    /// The most minutes one site spent down in the window (all its down spells added).
    pub longest_downtime_minutes: u64,
    /// The site with that downtime (the lowest id on a tie); `None` when no site was down.
    pub longest_downtime_site: Option<String>,
    /// Minutes down added up over every site.
    pub site_minutes_down: u64,
    /// Sites degraded at some point in the window but never down in it.
    pub sites_degraded_only: u32,
    /// Merged spans in which some site was degraded with a non-zero error rate
    /// while not down: a code path failing while the site itself answered.
    pub failing_windows: Vec<TimeWindow>,
}

/// A span of time, `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeWindow {
    pub from: Timestamp,
    pub to: Timestamp,
}

impl TimeWindow {
    pub fn seconds(&self) -> i64 {
        (self.to - self.from).num_seconds()
    }

    /// Length rounded to the nearest minute.
    pub fn minutes(&self) -> u64 {
        rounded_minutes(self.seconds())
    }
}

/// Minutes one non-site component (server, switch, cache, database) spent unhealthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentMinutes {
    pub component_id: String,
    pub kind: ComponentKind,
    /// Minutes in `down` or `flapping`.
    pub minutes_down: u64,
    /// Minutes in `degraded` (for a switch: `suspect`).
    pub minutes_degraded: u64,
}

/// Site impact between `start` and `end` from `site_history` (state-change
/// samples of sites, in any order). Same input, same output.
pub fn impact(
    site_history: &[HealthSample],
    total_sites: u32,
    start: Timestamp,
    end: Timestamp,
) -> SiteImpact {
    let mut affected = 0u32;
    let mut degraded_only = 0u32;
    let mut longest: Option<(i64, &str)> = None;
    let mut down_seconds_total = 0i64;
    let mut failing: Vec<TimeWindow> = Vec::new();

    for (site, samples) in by_component(site_history, |_| true) {
        let mut down_seconds = 0i64;
        let mut degraded_seconds = 0i64;
        for (sample, window) in spells(&samples, start, end) {
            let seconds = window.seconds();
            if sample.state.is_unhealthy() {
                down_seconds += seconds;
            } else if sample.state == HealthState::Degraded {
                degraded_seconds += seconds;
                if sample.error_rate > 0.0 {
                    failing.push(window);
                }
            }
        }
        if down_seconds > 0 {
            affected += 1;
            down_seconds_total += down_seconds;
            // Strictly greater: sites come in id order, so a tie keeps the lowest id.
            if longest.is_none_or(|(best, _)| down_seconds > best) {
                longest = Some((down_seconds, site));
            }
        } else if degraded_seconds > 0 {
            degraded_only += 1;
        }
    }

    SiteImpact {
        sites_affected: affected,
        total_sites,
        percent_affected: percent(affected, total_sites),
        longest_downtime_minutes: longest.map_or(0, |(seconds, _)| rounded_minutes(seconds)),
        longest_downtime_site: longest.map(|(_, site)| site.to_string()),
        site_minutes_down: rounded_minutes(down_seconds_total),
        sites_degraded_only: degraded_only,
        failing_windows: merge(failing),
    }
}

/// Each site's down (down or flapping) windows between `start` and `end`,
/// merged, by site id; sites never down are left out. The same rule as
/// [`impact`]'s site-minutes.
pub fn down_windows(
    site_history: &[HealthSample],
    start: Timestamp,
    end: Timestamp,
) -> Vec<(String, Vec<TimeWindow>)> {
    by_component(site_history, |_| true)
        .into_iter()
        .filter_map(|(site, samples)| {
            let windows: Vec<TimeWindow> = spells(&samples, start, end)
                .into_iter()
                .filter(|(sample, _)| sample.state.is_unhealthy())
                .map(|(_, window)| window)
                .collect();
            (!windows.is_empty()).then(|| (site.to_string(), merge(windows)))
        })
        .collect()
}

/// Minutes down and degraded between `start` and `end` for every component in
/// `component_history` that was unhealthy at all, ordered by id. Site samples
/// are left out: sites are counted by [`impact`].
pub fn component_minutes(
    component_history: &[HealthSample],
    start: Timestamp,
    end: Timestamp,
) -> Vec<ComponentMinutes> {
    let mut result = Vec::new();
    for (id, samples) in by_component(component_history, |s| s.component != ComponentKind::Site) {
        let mut down = 0i64;
        let mut degraded = 0i64;
        for (sample, window) in spells(&samples, start, end) {
            if sample.state.is_unhealthy() {
                down += window.seconds();
            } else if sample.state == HealthState::Degraded {
                degraded += window.seconds();
            }
        }
        let (minutes_down, minutes_degraded) = (rounded_minutes(down), rounded_minutes(degraded));
        if minutes_down > 0 || minutes_degraded > 0 {
            let kind = samples
                .first()
                .map_or(ComponentKind::Server, |s| s.component);
            result.push(ComponentMinutes {
                component_id: id.to_string(),
                kind,
                minutes_down,
                minutes_degraded,
            });
        }
    }
    result
}

fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0
}

/// Samples grouped by component id (ids ascending), each group ordered by time.
fn by_component(
    history: &[HealthSample],
    keep: impl Fn(&HealthSample) -> bool,
) -> BTreeMap<&str, Vec<&HealthSample>> {
    let mut groups: BTreeMap<&str, Vec<&HealthSample>> = BTreeMap::new();
    for sample in history.iter().filter(|s| keep(s)) {
        groups
            .entry(sample.component_id.as_str())
            .or_default()
            .push(sample);
    }
    for samples in groups.values_mut() {
        // Stable: two samples at the same instant keep their recorded order.
        samples.sort_by_key(|s| s.at);
    }
    groups
}

/// Each sample with the part of `[start, end)` in which it was the current state.
fn spells<'a>(
    samples: &[&'a HealthSample],
    start: Timestamp,
    end: Timestamp,
) -> Vec<(&'a HealthSample, TimeWindow)> {
    let mut result = Vec::new();
    for (index, sample) in samples.iter().enumerate() {
        let until = samples.get(index + 1).map_or(end, |next| next.at.min(end));
        let from = sample.at.max(start);
        if from < until {
            result.push((*sample, TimeWindow { from, to: until }));
        }
    }
    result
}

/// Overlapping or touching windows merged, in time order.
fn merge(mut windows: Vec<TimeWindow>) -> Vec<TimeWindow> {
    windows.sort_by_key(|w| (w.from, w.to));
    let mut merged: Vec<TimeWindow> = Vec::new();
    for window in windows {
        match merged.last_mut() {
            Some(last) if window.from <= last.to => last.to = last.to.max(window.to),
            _ => merged.push(window),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: i64) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2020, 4, 1, 13, 0, 0).unwrap()
            + chrono::Duration::minutes(minute)
    }

    fn sample(
        id: &str,
        kind: ComponentKind,
        minute: i64,
        state: HealthState,
        error_rate: f64,
    ) -> HealthSample {
        HealthSample {
            component_id: id.to_string(),
            component: kind,
            at: at(minute),
            state,
            latency_ms: None,
            error_rate,
        }
    }

    #[test]
    fn spells_are_clipped_to_the_window_and_the_state_before_it_carries_in() {
        let history = vec![
            // Down since before the window: only the part inside counts.
            sample("s-1", ComponentKind::Site, -30, HealthState::Down, 1.0),
            sample("s-1", ComponentKind::Site, 20, HealthState::Up, 0.0),
            // Still down when the window ends.
            sample("s-2", ComponentKind::Site, 50, HealthState::Flapping, 0.5),
        ];
        let result = impact(&history, 10, at(0), at(60));
        assert_eq!(result.sites_affected, 2);
        assert_eq!(result.site_minutes_down, 30);
        assert_eq!(result.longest_downtime_minutes, 20);
        assert_eq!(result.longest_downtime_site.as_deref(), Some("s-1"));
        assert_eq!(result.percent_affected, 20.0);
    }

    #[test]
    fn failing_windows_merge_across_sites_and_skip_down_sites() {
        let history = vec![
            sample("a", ComponentKind::Site, 10, HealthState::Degraded, 0.2),
            sample("a", ComponentKind::Site, 20, HealthState::Up, 0.0),
            sample("b", ComponentKind::Site, 15, HealthState::Degraded, 0.2),
            sample("b", ComponentKind::Site, 25, HealthState::Up, 0.0),
            // Slow but not failing: not a failing window.
            sample("c", ComponentKind::Site, 40, HealthState::Degraded, 0.0),
            sample("c", ComponentKind::Site, 45, HealthState::Up, 0.0),
            sample("d", ComponentKind::Site, 50, HealthState::Down, 1.0),
        ];
        let result = impact(&history, 4, at(0), at(60));
        assert_eq!(
            result.failing_windows,
            vec![TimeWindow {
                from: at(10),
                to: at(25)
            }]
        );
        assert_eq!(result.sites_degraded_only, 3);
        assert_eq!(result.sites_affected, 1);
    }

    #[test]
    fn component_minutes_split_down_and_degraded_and_ignore_sites() {
        let history = vec![
            sample("sw-2", ComponentKind::Switch, 0, HealthState::Degraded, 0.0),
            sample("sw-2", ComponentKind::Switch, 30, HealthState::Down, 0.0),
            sample("sw-2", ComponentKind::Switch, 40, HealthState::Up, 0.0),
            sample("app-01", ComponentKind::Server, 5, HealthState::Up, 0.0),
            sample("s-1", ComponentKind::Site, 0, HealthState::Down, 1.0),
        ];
        let result = component_minutes(&history, at(0), at(60));
        assert_eq!(
            result,
            vec![ComponentMinutes {
                component_id: "sw-2".into(),
                kind: ComponentKind::Switch,
                minutes_down: 10,
                minutes_degraded: 30,
            }]
        );
    }

    #[test]
    fn no_sites_means_zero_percent() {
        assert_eq!(impact(&[], 0, at(0), at(1)).percent_affected, 0.0);
    }
}
