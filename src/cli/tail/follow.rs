//! What `warroom tail` knows and what it has printed: the snapshot at the
//! start, then each stream item turned into lines. No I/O: the caller loads
//! snapshots, reads the stream and writes the lines.
//!
//! Nothing is printed twice: events at or below the last sequence number
//! are dropped (a reconnect, also to another replica, resumes after it),
//! and what a snapshot already showed (an entry's version, an open alert,
//! an incident's version, an action's progress, the topology version) is
//! not repeated by an event that arrives after it.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::fleet_lines::{self as fleet, StateCounts};
use super::lines;
use crate::client::StreamItem;
use crate::model::{
    Action, Alert, Cache, ComponentKind, Database, Event, EventPayload, HealthState, Incident,
    IncidentState, SwitchHealth, Timeline, TimelineEntry, Topology, TopologyEvent,
};

/// How many of the followed incident's newest entries the start shows.
pub const RECENT_ENTRIES: usize = 10;

/// Everything loaded from the API at once.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub topology: Topology,
    pub alerts: Vec<Alert>,
    pub incidents: Vec<Incident>,
    /// The timelines of the incidents [`Follower::followed`] named.
    pub timelines: Vec<Timeline>,
    pub actions: Vec<Action>,
    /// The API's clock when the snapshot was taken.
    pub now: DateTime<Utc>,
}

/// The API's clock between events: the last known reading moved on at the
/// simulator's speed (1 for a real fleet). Events only move it forward.
#[derive(Debug, Clone)]
pub struct ApiClock {
    reading: DateTime<Utc>,
    read_at: Instant,
    speed: f64,
}

impl ApiClock {
    pub fn new(reading: DateTime<Utc>, speed: f64) -> ApiClock {
        ApiClock {
            reading,
            read_at: Instant::now(),
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = self.read_at.elapsed().mul_f64(self.speed);
        self.reading + TimeDelta::from_std(elapsed).unwrap_or(TimeDelta::zero())
    }

    fn observe(&mut self, at: DateTime<Utc>) {
        if at > self.now() {
            self.reading = at;
            self.read_at = Instant::now();
        }
    }
}

/// A stream item turned into lines, and whether the caller must load a
/// snapshot and pass it to [`Follower::resync`] (events may be missed).
#[derive(Debug, Default, PartialEq)]
pub struct Step {
    pub lines: Vec<String>,
    pub reload: bool,
}

/// Site changes waiting to be summarised in one line.
#[derive(Debug, Clone, Copy)]
struct PendingSites {
    before: StateCounts,
    at: DateTime<Utc>,
}

pub struct Follower {
    zone: Tz,
    /// `--incident`: only this incident's timeline and changes.
    pin: Option<i64>,
    last_seq: Option<i64>,
    /// Fleet events at or below this version are in the last snapshot.
    snapshot_version: u64,
    servers: HashMap<String, HealthState>,
    switches: HashMap<String, SwitchHealth>,
    sites: HashMap<String, HealthState>,
    site_counts: StateCounts,
    pending_sites: Option<PendingSites>,
    cache: Option<Cache>,
    database: Option<Database>,
    alerts: BTreeMap<String, Alert>,
    incidents: HashMap<i64, Incident>,
    /// Entry id -> the version printed (or known).
    entries: HashMap<i64, i64>,
    actions: HashMap<String, Action>,
    /// The last connection error printed, so a retry loop with the same
    /// error does not print a line each time.
    link_error: Option<String>,
    clock: ApiClock,
}

impl Follower {
    /// `since`: the sequence number the stream starts after, if any.
    pub fn new(zone: Tz, pin: Option<i64>, since: Option<i64>, clock: ApiClock) -> Follower {
        Follower {
            zone,
            pin,
            last_seq: since,
            snapshot_version: 0,
            servers: HashMap::new(),
            switches: HashMap::new(),
            sites: HashMap::new(),
            site_counts: StateCounts::default(),
            pending_sites: None,
            cache: None,
            database: None,
            alerts: BTreeMap::new(),
            incidents: HashMap::new(),
            entries: HashMap::new(),
            actions: HashMap::new(),
            link_error: None,
            clock,
        }
    }

    /// The last event sequence number handled.
    pub fn last_seq(&self) -> Option<i64> {
        self.last_seq
    }

    /// The incidents whose timelines a snapshot should hold: the pinned
    /// one, else every open one (oldest first).
    pub fn followed(&self, incidents: &[Incident]) -> Vec<i64> {
        if let Some(pin) = self.pin {
            return vec![pin];
        }
        let mut open: Vec<&Incident> = incidents
            .iter()
            .filter(|i| i.state == IncidentState::Open)
            .collect();
        open.sort_by_key(|i| (i.started_at, i.id));
        open.into_iter().map(|i| i.id).collect()
    }

    /// The lines at start: where and what (one summary line), the open
    /// alerts, each followed incident with its newest entries, the actions
    /// still running. Everything in the snapshot counts as printed.
    pub fn start(&mut self, url: &str, simulated: bool, snapshot: Snapshot) -> Vec<String> {
        let zone = self.zone;
        self.clock.observe(snapshot.now);
        let mut lines = vec![fleet::summary_line(
            url,
            simulated,
            snapshot.now,
            zone,
            &snapshot.topology,
            snapshot.alerts.len(),
        )];
        self.seed_fleet(&snapshot.topology);
        let mut alerts = snapshot.alerts;
        alerts.sort_by_key(|a| a.opened_at);
        for alert in alerts {
            let opened_at = alert.opened_at;
            lines.extend(self.alert(alert, opened_at));
        }
        let followed = self.followed(&snapshot.incidents);
        for incident in &snapshot.incidents {
            self.incidents.insert(incident.id, incident.clone());
        }
        if followed.is_empty() {
            lines.push(lines::said(snapshot.now, zone, "no open incident"));
        }
        for id in &followed {
            let Some(incident) = self.incidents.get(id) else {
                continue;
            };
            lines.push(lines::incident_line(
                incident,
                incident.started_at,
                zone,
                false,
            ));
            let Some(timeline) = snapshot.timelines.iter().find(|t| t.incident_id == *id) else {
                continue;
            };
            let entries: Vec<&TimelineEntry> = timeline
                .entries
                .iter()
                .filter(|e| e.deleted_at.is_none())
                .collect();
            let hidden = entries.len().saturating_sub(RECENT_ENTRIES);
            if hidden > 0 {
                let text = format!("#{id}: {hidden} earlier timeline entries not shown");
                lines.push(lines::said(incident.started_at, zone, &text));
            }
            for entry in &timeline.entries {
                self.entries.insert(entry.id, entry.version);
            }
            for entry in entries.into_iter().skip(hidden) {
                lines.extend(lines::entry_lines(entry, zone, false));
            }
        }
        for action in snapshot.actions {
            if !action.state.is_finished() {
                lines.extend(lines::action_lines(None, &action, snapshot.now, zone));
            }
            self.actions.insert(action.id.clone(), action);
        }
        lines.push(lines::said(snapshot.now, zone, "following live events"));
        lines
    }

    /// After events may have been missed: what differs between what was
    /// printed and a fresh snapshot, as lines.
    pub fn resync(&mut self, snapshot: Snapshot) -> Vec<String> {
        let zone = self.zone;
        let now = snapshot.now;
        self.clock.observe(now);
        let mut lines: Vec<String> = self.flush_sites().into_iter().collect();
        let topology = &snapshot.topology;
        for server in &topology.servers {
            let was = self.servers.get(&server.id).copied();
            if let Some(was) = was.filter(|w| *w != server.health.state) {
                let what = format!("server {}", lines::clean(&server.id));
                let change = format!(
                    "{what}: {} -> {}",
                    was.as_str(),
                    server.health.state.as_str()
                );
                lines.push(lines::said(now, zone, &change));
            }
        }
        for switch in &topology.switches {
            let was = self.switches.get(&switch.id).copied();
            if let Some(was) = was.filter(|w| *w != switch.health) {
                let what = format!("switch {}", lines::clean(&switch.id));
                let change = format!("{what}: {} -> {}", was.as_str(), switch.health.as_str());
                lines.push(lines::said(now, zone, &change));
            }
        }
        let before = self.site_counts;
        let (cache, database) = (self.cache.clone(), self.database.clone());
        self.seed_fleet(topology);
        lines.extend(fleet::site_summary(&before, &self.site_counts, now, zone));
        if let (Some(was), Some(now_cache)) = (&cache, &topology.cache) {
            lines.extend(fleet::cache_line(was, now_cache, now, zone));
        }
        if let (Some(was), Some(now_db)) = (&database, &topology.database) {
            lines.extend(fleet::database_line(was, now_db, now, zone));
        }
        let open: Vec<String> = snapshot.alerts.iter().map(|a| a.id.clone()).collect();
        let gone: Vec<Alert> = self
            .alerts
            .values()
            .filter(|a| !open.contains(&a.id))
            .cloned()
            .collect();
        for alert in gone {
            self.alerts.remove(&alert.id);
            lines.push(lines::alert_cleared_line(&alert, now, zone));
        }
        for alert in snapshot.alerts {
            let opened_at = alert.opened_at;
            lines.extend(self.alert(alert, opened_at));
        }
        for incident in snapshot.incidents {
            lines.extend(self.incident(incident, now));
        }
        for timeline in snapshot.timelines {
            for entry in timeline.entries {
                lines.extend(self.entry(entry));
            }
        }
        for action in snapshot.actions {
            lines.extend(self.action(action, now));
        }
        lines
    }

    fn seed_fleet(&mut self, topology: &Topology) {
        self.snapshot_version = topology.version;
        self.servers = topology
            .servers
            .iter()
            .map(|s| (s.id.clone(), s.health.state))
            .collect();
        self.switches = topology
            .switches
            .iter()
            .map(|s| (s.id.clone(), s.health))
            .collect();
        self.sites = topology
            .sites
            .iter()
            .map(|s| (s.id.clone(), s.health.state))
            .collect();
        self.site_counts = StateCounts::of(self.sites.values().copied());
        self.pending_sites = None;
        self.cache = topology.cache.clone();
        self.database = topology.database.clone();
    }

    /// One stream item as lines.
    pub fn item(&mut self, item: StreamItem) -> Step {
        let zone = self.zone;
        match item {
            StreamItem::Event(event) => Step {
                lines: self.event(*event),
                reload: false,
            },
            StreamItem::Disconnected { error, retry_in } => {
                let mut lines: Vec<String> = self.flush_sites().into_iter().collect();
                if self.link_error.as_deref() != Some(error.as_str()) {
                    lines.push(lines::connection_lost_line(
                        &error,
                        retry_in,
                        self.clock.now(),
                        zone,
                    ));
                    self.link_error = Some(error);
                }
                Step {
                    lines,
                    reload: false,
                }
            }
            StreamItem::Connected { url, resumed } => {
                self.link_error = None;
                let mut lines: Vec<String> = self.flush_sites().into_iter().collect();
                lines.push(lines::reconnected_line(
                    &url,
                    resumed,
                    self.clock.now(),
                    zone,
                ));
                Step {
                    lines,
                    reload: !resumed,
                }
            }
        }
    }

    /// A reload after a reconnect failed: said, with what it means.
    pub fn reload_failed(&self, error: &str) -> String {
        let text = format!(
            "reloading failed: {}; changes made while disconnected may be missing",
            lines::clean(error)
        );
        lines::said(self.clock.now(), self.zone, &text)
    }

    /// Site changes are waiting for their summary line.
    pub fn sites_pending(&self) -> bool {
        self.pending_sites.is_some()
    }

    /// The summary of the site changes since the last one, if they changed
    /// the counts.
    pub fn flush_sites(&mut self) -> Option<String> {
        let pending = self.pending_sites.take()?;
        fleet::site_summary(&pending.before, &self.site_counts, pending.at, self.zone)
    }

    fn event(&mut self, event: Event) -> Vec<String> {
        if self.last_seq.is_some_and(|last| event.seq <= last) {
            return Vec::new();
        }
        self.last_seq = Some(event.seq);
        self.clock.observe(event.at);
        let at = event.at;
        let zone = self.zone;
        let lines = match event.payload {
            EventPayload::Health(health) => {
                if health.version <= self.snapshot_version {
                    return Vec::new();
                }
                match health.component {
                    ComponentKind::Site => {
                        self.site_changed(&health.component_id, health.health.state, at);
                        return Vec::new();
                    }
                    ComponentKind::Server => {
                        self.servers
                            .insert(health.component_id.clone(), health.health.state);
                    }
                    ComponentKind::Switch => {
                        let state = match health.health.state {
                            HealthState::Up => SwitchHealth::Ok,
                            HealthState::Down => SwitchHealth::Down,
                            _ => SwitchHealth::Suspect,
                        };
                        self.switches.insert(health.component_id.clone(), state);
                    }
                    ComponentKind::Cache | ComponentKind::Database => {}
                }
                fleet::health_line(&health, at, zone).into_iter().collect()
            }
            EventPayload::Topology(topology) => {
                if topology.version <= self.snapshot_version {
                    return Vec::new();
                }
                self.topology(topology, at)
            }
            EventPayload::Alert(alert) => self.alert(alert, at),
            EventPayload::Incident(incident) => self.incident(incident, at),
            EventPayload::Timeline(entry) => self.entry(entry),
            EventPayload::Action(action) => self.action(*action, at),
            EventPayload::Presence(presence) => vec![lines::presence_line(&presence, at, zone)],
        };
        if lines.is_empty() {
            return lines;
        }
        // Site changes so far come first: the lines stay in event order.
        let mut out: Vec<String> = self.flush_sites().into_iter().collect();
        out.extend(lines);
        out
    }

    fn site_changed(&mut self, id: &str, state: HealthState, at: DateTime<Utc>) {
        let before = self.site_counts;
        match self.sites.insert(id.to_string(), state) {
            Some(was) if was == state => return,
            Some(was) => self.site_counts.remove(was),
            None => {}
        }
        self.site_counts.add(state);
        match &mut self.pending_sites {
            Some(pending) => pending.at = at,
            None => self.pending_sites = Some(PendingSites { before, at }),
        }
    }

    fn topology(&mut self, topology: TopologyEvent, at: DateTime<Utc>) -> Vec<String> {
        for site in &topology.sites {
            self.site_changed(&site.id, site.health.state, at);
        }
        for server in &topology.servers {
            self.servers.insert(server.id.clone(), server.health.state);
        }
        let mut lines = Vec::new();
        if let Some(cache) = topology.cache {
            if let Some(was) = &self.cache {
                lines.extend(fleet::cache_line(was, &cache, at, self.zone));
            }
            self.cache = Some(cache);
        }
        if let Some(database) = topology.database {
            if let Some(was) = &self.database {
                lines.extend(fleet::database_line(was, &database, at, self.zone));
            }
            self.database = Some(database);
        }
        lines
    }

    /// `at`: the time the line gives (the event's, or the opening for a snapshot).
    fn alert(&mut self, alert: Alert, at: DateTime<Utc>) -> Vec<String> {
        let zone = self.zone;
        if alert.resolved_at.is_some() {
            // Only an alert shown as open is shown to clear: one already
            // reported cleared by a reload is not reported again.
            return match self.alerts.remove(&alert.id) {
                Some(_) => vec![lines::alert_cleared_line(&alert, at, zone)],
                None => Vec::new(),
            };
        }
        let line = match self.alerts.get(&alert.id) {
            // The same opening: messages are refreshed without events, so
            // a difference in the text alone is an older copy.
            Some(known) if known.opened_at == alert.opened_at => (known.severity != alert.severity)
                .then(|| lines::alert_changed_line(&alert, at, zone)),
            _ => Some(lines::alert_line(&alert, at, zone)),
        };
        self.alerts.insert(alert.id.clone(), alert);
        line.into_iter().collect()
    }

    fn incident(&mut self, incident: Incident, at: DateTime<Utc>) -> Vec<String> {
        let line = match self.incidents.get(&incident.id) {
            Some(known) if known.version >= incident.version => None,
            Some(known) => lines::incident_change_line(known, &incident, at, self.zone),
            None => Some(lines::incident_line(&incident, at, self.zone, true)),
        };
        let shown = self.pin.is_none_or(|pin| pin == incident.id);
        self.incidents.insert(incident.id, incident);
        line.filter(|_| shown).into_iter().collect()
    }

    fn entry(&mut self, entry: TimelineEntry) -> Vec<String> {
        if self.pin.is_some_and(|pin| pin != entry.incident_id) {
            return Vec::new();
        }
        let known = self.entries.get(&entry.id).copied();
        if known.is_some_and(|version| version >= entry.version) {
            return Vec::new();
        }
        self.entries.insert(entry.id, entry.version);
        lines::entry_lines(&entry, self.zone, known.is_some())
    }

    fn action(&mut self, action: Action, at: DateTime<Utc>) -> Vec<String> {
        let lines = match self.actions.get(&action.id) {
            Some(known) if *known == action => Vec::new(),
            known => lines::action_lines(known, &action, at, self.zone),
        };
        self.actions.insert(action.id.clone(), action);
        lines
    }
}

/// How long site changes may wait for more before their summary is printed.
pub const SITE_SUMMARY_DELAY: Duration = Duration::from_millis(500);

#[cfg(test)]
#[path = "follow_tests.rs"]
mod tests;
