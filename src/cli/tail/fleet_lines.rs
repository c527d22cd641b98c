//! The fleet's lines for `warroom tail`: the one-line summary at start,
//! site changes summarised as counts, and health changes of servers,
//! switches, the cache and the database (failovers, stale connections).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::lines::{clean, hms, plural};
use crate::model::{
    Cache, ComponentKind, Database, HealthEvent, HealthState, SwitchHealth, Topology,
};

/// How many of a kind of component are in each health state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    pub up: u32,
    pub degraded: u32,
    pub down: u32,
    pub flapping: u32,
    pub unknown: u32,
}

impl StateCounts {
    pub fn of(states: impl IntoIterator<Item = HealthState>) -> StateCounts {
        let mut counts = StateCounts::default();
        for state in states {
            counts.add(state);
        }
        counts
    }

    fn slot(&mut self, state: HealthState) -> &mut u32 {
        match state {
            HealthState::Up => &mut self.up,
            HealthState::Degraded => &mut self.degraded,
            HealthState::Down => &mut self.down,
            HealthState::Flapping => &mut self.flapping,
            HealthState::Unknown => &mut self.unknown,
        }
    }

    pub fn add(&mut self, state: HealthState) {
        *self.slot(state) += 1;
    }

    pub fn remove(&mut self, state: HealthState) {
        let slot = self.slot(state);
        *slot = slot.saturating_sub(1);
    }

    pub fn total(&self) -> u32 {
        self.up + self.degraded + self.down + self.flapping + self.unknown
    }

    /// The unhealthy states first, as (word, count); zero counts left out.
    fn parts(&self) -> Vec<(&'static str, u32)> {
        [
            ("down", self.down),
            ("flapping", self.flapping),
            ("degraded", self.degraded),
            ("unknown", self.unknown),
            ("up", self.up),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

fn describe_counts(counts: &StateCounts) -> String {
    let parts: Vec<String> = counts
        .parts()
        .iter()
        .map(|(word, n)| format!("{n} {word}"))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// The fleet in one clause: servers, switches, sites, cache and database.
pub fn fleet_summary(topology: &Topology) -> String {
    let servers = StateCounts::of(topology.servers.iter().map(|s| s.health.state));
    let sites = StateCounts::of(topology.sites.iter().map(|s| s.health.state));
    let mut parts = vec![format!(
        "servers {} of {}",
        describe_counts(&servers),
        servers.total()
    )];
    if !topology.switches.is_empty() {
        let count = |h: SwitchHealth| topology.switches.iter().filter(|s| s.health == h).count();
        let switches: Vec<String> = [SwitchHealth::Down, SwitchHealth::Suspect, SwitchHealth::Ok]
            .into_iter()
            .filter(|h| count(*h) > 0)
            .map(|h| format!("{} {}", count(h), h.as_str()))
            .collect();
        parts.push(format!("switches {}", switches.join(", ")));
    }
    parts.push(format!(
        "sites {} of {}",
        describe_counts(&sites),
        sites.total()
    ));
    if let Some(cache) = &topology.cache {
        parts.push(format!(
            "cache {} {}",
            clean(&cache.active),
            cache.health.state.as_str()
        ));
    }
    if let Some(db) = &topology.database {
        parts.push(format!(
            "database {} {}",
            clean(&db.writer),
            db.health.state.as_str()
        ));
    }
    parts.join("; ")
}

/// The first line: where tail is connected, the zone and date of its
/// times, and the fleet.
pub fn summary_line(
    url: &str,
    simulated: bool,
    now: DateTime<Utc>,
    zone: Tz,
    topology: &Topology,
    open_alerts: usize,
) -> String {
    let date = now.with_timezone(&zone).format("%Y-%m-%d");
    let sim = if simulated { "simulated, " } else { "" };
    format!(
        "{} connected to {} ({sim}times in {zone}, {date}): {}; {}",
        hms(now, zone),
        clean(url),
        fleet_summary(topology),
        plural(open_alerts, "open alert", "open alerts"),
    )
}

/// A delta in parentheses when `after` differs from `before`.
fn delta(before: u32, after: u32) -> String {
    match i64::from(after) - i64::from(before) {
        0 => String::new(),
        d if d > 0 => format!(" (+{d})"),
        d => format!(" ({d})"),
    }
}

/// The sites in one line after a burst of site health changes, with what
/// changed: `sites: 17 down (+3), 383 of 400 up (-3)`. `None` when the
/// counts came back to where they were.
pub fn site_summary(
    before: &StateCounts,
    after: &StateCounts,
    at: DateTime<Utc>,
    zone: Tz,
) -> Option<String> {
    if before == after {
        return None;
    }
    let mut parts = Vec::new();
    for (word, was, now) in [
        ("down", before.down, after.down),
        ("flapping", before.flapping, after.flapping),
        ("degraded", before.degraded, after.degraded),
        ("unknown", before.unknown, after.unknown),
    ] {
        if now > 0 || was != now {
            parts.push(format!("{now} {word}{}", delta(was, now)));
        }
    }
    parts.push(format!(
        "{} of {} up{}",
        after.up,
        after.total(),
        delta(before.up, after.up)
    ));
    Some(format!("{} sites: {}", hms(at, zone), parts.join(", ")))
}

/// A switch's health travels as `up` (ok), `degraded` (suspect) or `down`.
fn switch_word(state: HealthState) -> &'static str {
    match state {
        HealthState::Up => "ok",
        HealthState::Degraded => "suspect",
        other => other.as_str(),
    }
}

/// A health change of a server, switch, cache node or database writer.
/// Sites are summarised by [`site_summary`] instead: `None` for them.
pub fn health_line(event: &HealthEvent, at: DateTime<Utc>, zone: Tz) -> Option<String> {
    let id = clean(&event.component_id);
    let health = &event.health;
    let (what, from, to) = match event.component {
        ComponentKind::Site => return None,
        ComponentKind::Switch => (
            format!("switch {id}"),
            switch_word(event.previous),
            switch_word(health.state),
        ),
        ComponentKind::Server => (
            format!("server {id}"),
            event.previous.as_str(),
            health.state.as_str(),
        ),
        ComponentKind::Cache => (
            format!("cache node {id}"),
            event.previous.as_str(),
            health.state.as_str(),
        ),
        ComponentKind::Database => (
            format!("database writer {id}"),
            event.previous.as_str(),
            health.state.as_str(),
        ),
    };
    let detail = match (event.component, health.state) {
        (ComponentKind::Switch, HealthState::Up) => String::new(),
        (ComponentKind::Switch, _) => format!(
            " ({:.0}% of the nodes behind it unhealthy)",
            health.error_rate * 100.0
        ),
        (_, HealthState::Flapping) => format!(" ({} transitions)", health.transitions),
        (_, HealthState::Down | HealthState::Degraded) if health.error_rate > 0.0 => {
            format!(" (error rate {:.0}%)", health.error_rate * 100.0)
        }
        (_, HealthState::Up) => health
            .latency_ms
            .map(|ms| format!(" (latency {ms:.0} ms)"))
            .unwrap_or_default(),
        _ => String::new(),
    };
    Some(format!("{} {what}: {from} -> {to}{detail}", hms(at, zone)))
}

/// A cache failover, or stale connections appearing or all gone.
pub fn cache_line(before: &Cache, after: &Cache, at: DateTime<Utc>, zone: Tz) -> Option<String> {
    let text = if before.active != after.active || before.epoch != after.epoch {
        format!(
            "cache: active node {} (was {}), epoch {}",
            clean(&after.active),
            clean(&before.active),
            after.epoch
        )
    } else if before.stale_clients == 0 && after.stale_clients > 0 {
        format!(
            "cache: {} web server connections still on an old cache node",
            after.stale_clients
        )
    } else if before.stale_clients > 0 && after.stale_clients == 0 {
        "cache: no stale connections left".to_string()
    } else {
        return None;
    };
    Some(format!("{} {text}", hms(at, zone)))
}

/// A database failover, or stuck backends appearing or all gone.
pub fn database_line(
    before: &Database,
    after: &Database,
    at: DateTime<Utc>,
    zone: Tz,
) -> Option<String> {
    let text = if before.writer != after.writer || before.epoch != after.epoch {
        format!(
            "database: writer {} (was {}), epoch {}",
            clean(&after.writer),
            clean(&before.writer),
            after.epoch
        )
    } else if before.stuck_backends == 0 && after.stuck_backends > 0 {
        format!(
            "database: {} backends stuck on an old writer",
            after.stuck_backends
        )
    } else if before.stuck_backends > 0 && after.stuck_backends == 0 {
        "database: no stuck backends left".to_string()
    } else {
        return None;
    };
    Some(format!("{} {text}", hms(at, zone)))
}

#[cfg(test)]
#[path = "fleet_lines_tests.rs"]
mod tests;
