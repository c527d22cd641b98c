//! The console's copy of the fleet: the last topology snapshot with the
//! events since applied to it, indexed by id so one event costs O(1), plus
//! what the views need precomputed (servers grouped by switch, site counts,
//! latency history).

use std::collections::{HashMap, VecDeque};

use crate::model::{
    ComponentKind, HealthEvent, HealthState, Server, Site, SwitchHealth, Timestamp, Topology,
    TopologyEvent,
};
use crate::tui::logic::downtime::Spell;

/// Latency samples kept per server for the sparkline.
pub const LATENCY_SAMPLES: usize = 32;

/// One row of the servers pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerRow {
    /// A switch header; the index is into `topology.switches`, `None` for
    /// servers whose switch is not in the topology.
    Switch(Option<usize>),
    Server(usize),
}

/// Sites per health state, in `HealthState` order (up, degraded, down, flapping, unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HealthCounts(pub [u32; 5]);

impl HealthCounts {
    pub fn get(&self, state: HealthState) -> u32 {
        self.0[state_index(state)]
    }

    fn add(&mut self, state: HealthState) {
        self.0[state_index(state)] += 1;
    }

    fn remove(&mut self, state: HealthState) {
        let slot = &mut self.0[state_index(state)];
        *slot = slot.saturating_sub(1);
    }
}

fn state_index(state: HealthState) -> usize {
    match state {
        HealthState::Up => 0,
        HealthState::Degraded => 1,
        HealthState::Down => 2,
        HealthState::Flapping => 3,
        HealthState::Unknown => 4,
    }
}

/// What applying an event changed, so the caller knows which derived views
/// to refresh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub changed: bool,
    /// A site's health or down_since changed.
    pub site_health: bool,
    /// A site moved, appeared, or was renamed.
    pub site_placement: bool,
}

#[derive(Debug, Clone)]
pub struct FleetSnapshot {
    pub topology: Topology,
    /// Whether a snapshot has arrived yet.
    pub loaded: bool,
    /// The version of the last whole snapshot. Events up to it are in it;
    /// events after it apply, even when several share one version (one
    /// detection round changes a server and its sites under one version).
    base_version: u64,
    /// Rows of the servers pane: each switch followed by its servers,
    /// switches with trouble first; a healthy switch is one row when folded.
    pub server_rows: Vec<ServerRow>,
    /// Healthy switches are folded to their header row.
    pub folded: bool,
    /// Unhealthy servers per switch (the last slot: servers whose switch is
    /// unknown): the rows change only when a switch's count leaves or reaches 0.
    group_unhealthy: Vec<u32>,
    /// Recent latency (ms) per server, parallel to `topology.servers`; oldest first.
    pub latency: Vec<VecDeque<Option<f64>>>,
    pub counts: HealthCounts,
    /// Lower-case "id name server" per site, parallel to `topology.sites`, for the filter.
    pub site_search: Vec<String>,
    /// Each site's health state, parallel to `topology.sites`: the health
    /// grid reads 1 byte a site instead of walking every `Site` each frame.
    pub site_states: Vec<HealthState>,
    /// The longest site id, in characters: the sites table sizes its id
    /// column from it so ids never run into names.
    pub site_id_width: usize,
    /// Down spells of sites that ended while this console watched, by site
    /// id (the current spell is the site's `down_since`): the sites pane
    /// adds them up into the downtime so far in the incident.
    pub site_spells: HashMap<String, Vec<Spell>>,
    switch_index: HashMap<String, usize>,
    server_index: HashMap<String, usize>,
    site_index: HashMap<String, usize>,
}

impl Default for FleetSnapshot {
    fn default() -> Self {
        FleetSnapshot {
            topology: Topology {
                version: 0,
                service: String::new(),
                switches: Vec::new(),
                servers: Vec::new(),
                sites: Vec::new(),
                cache: None,
                database: None,
            },
            loaded: false,
            base_version: 0,
            server_rows: Vec::new(),
            folded: false,
            group_unhealthy: Vec::new(),
            latency: Vec::new(),
            counts: HealthCounts::default(),
            site_search: Vec::new(),
            site_id_width: 0,
            site_states: Vec::new(),
            site_spells: HashMap::new(),
            switch_index: HashMap::new(),
            server_index: HashMap::new(),
            site_index: HashMap::new(),
        }
    }
}

impl FleetSnapshot {
    pub fn from_topology(topology: Topology) -> FleetSnapshot {
        let mut snapshot = FleetSnapshot::default();
        snapshot.replace(topology);
        snapshot
    }

    /// Take a whole new snapshot. Latency history carries over by server id,
    /// and the snapshot's latencies become the newest samples.
    pub fn replace(&mut self, topology: Topology) {
        let mut old_latency: HashMap<String, VecDeque<Option<f64>>> = self
            .topology
            .servers
            .iter()
            .map(|s| s.id.clone())
            .zip(std::mem::take(&mut self.latency))
            .collect();
        // Sites that came back while the console was not listening (a gap,
        // a reconnect): their spell ended when their current health began.
        let was_down: HashMap<&str, Timestamp> = self
            .topology
            .sites
            .iter()
            .filter_map(|s| Some((s.id.as_str(), s.down_since?)))
            .collect();
        for site in &topology.sites {
            if site.down_since.is_none()
                && let Some(&since) = was_down.get(site.id.as_str())
            {
                record_spell(&mut self.site_spells, &site.id, since, site.health.since);
            }
        }
        self.base_version = topology.version;
        self.topology = topology;
        self.loaded = true;
        self.latency = self
            .topology
            .servers
            .iter()
            .map(|server| {
                let mut ring = old_latency.remove(&server.id).unwrap_or_default();
                push_sample(&mut ring, server.health.latency_ms);
                ring
            })
            .collect();
        self.reindex();
    }

    /// Only the latency samples of a snapshot older than what we hold
    /// (latency is not evented, so every snapshot's numbers are news).
    pub fn sample_latency(&mut self, topology: &Topology) {
        for server in &topology.servers {
            if let Some(&i) = self.server_index.get(&server.id) {
                push_sample(&mut self.latency[i], server.health.latency_ms);
                self.topology.servers[i].health.latency_ms = server.health.latency_ms;
            }
        }
    }

    fn reindex(&mut self) {
        let t = &self.topology;
        self.switch_index = t
            .switches
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        self.server_index = t
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        self.site_index = t
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        self.site_id_width = t
            .sites
            .iter()
            .map(|s| s.id.chars().count())
            .max()
            .unwrap_or(0);
        self.latency.resize_with(t.servers.len(), VecDeque::new);
        self.site_search = t.sites.iter().map(search_text).collect();
        self.counts = HealthCounts::default();
        for site in &t.sites {
            self.counts.add(site.health.state);
        }
        self.site_states = t.sites.iter().map(|s| s.health.state).collect();
        self.rebuild_server_rows();
    }

    /// Server `i` became unhealthy (or healthy again): rebuild the rows
    /// only when its switch moves between healthy and troubled.
    fn count_unhealthy(&mut self, i: usize, unhealthy: bool) {
        let group = self
            .switch_index
            .get(&self.topology.servers[i].switch)
            .copied()
            .unwrap_or(self.topology.switches.len());
        let Some(count) = self.group_unhealthy.get_mut(group) else {
            return self.rebuild_server_rows();
        };
        let before = *count;
        *count = if unhealthy {
            before + 1
        } else {
            before.saturating_sub(1)
        };
        if (before == 0) != (*count == 0) {
            self.rebuild_server_rows();
        }
    }

    /// One latency sample for each server in `latency` (the rows on screen).
    pub fn sample_servers(&mut self, latency: &std::collections::BTreeMap<String, Option<f64>>) {
        for (id, ms) in latency {
            if let Some(&i) = self.server_index.get(id) {
                self.topology.servers[i].health.latency_ms = *ms;
                if let Some(ring) = self.latency.get_mut(i) {
                    push_sample(ring, *ms);
                }
            }
        }
    }

    /// Servers down or flapping now (kept per switch as health changes).
    pub fn unhealthy_servers(&self) -> u32 {
        self.group_unhealthy.iter().sum()
    }

    /// Fold (or unfold) the healthy switches to one row each.
    pub fn fold_healthy(&mut self, fold: bool) {
        self.folded = fold;
        self.rebuild_server_rows();
    }

    fn rebuild_server_rows(&mut self) {
        let t = &self.topology;
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); t.switches.len() + 1];
        for (i, server) in t.servers.iter().enumerate() {
            let group = self
                .switch_index
                .get(&server.switch)
                .copied()
                .unwrap_or(t.switches.len());
            groups[group].push(i);
        }
        self.group_unhealthy = groups
            .iter()
            .map(|servers| {
                servers
                    .iter()
                    .filter(|&&i| t.servers[i].health.state.is_unhealthy())
                    .count() as u32
            })
            .collect();
        let unhealthy = &self.group_unhealthy;
        let troubled = |group: usize, _: &[usize]| {
            t.switches
                .get(group)
                .is_some_and(|s| s.health != SwitchHealth::Ok)
                || unhealthy[group] > 0
        };
        let mut order: Vec<(bool, usize, Vec<usize>)> = groups
            .into_iter()
            .enumerate()
            .filter(|(group, servers)| *group < t.switches.len() || !servers.is_empty())
            .map(|(group, servers)| (!troubled(group, &servers), group, servers))
            .collect();
        // Switches with trouble first; otherwise the topology's order.
        order.sort_by_key(|(healthy, group, _)| (*healthy, *group));
        self.server_rows.clear();
        for (healthy, group, servers) in order {
            let unknown_switch = group == t.switches.len();
            self.server_rows
                .push(ServerRow::Switch((!unknown_switch).then_some(group)));
            if !(healthy && self.folded) {
                self.server_rows
                    .extend(servers.into_iter().map(ServerRow::Server));
            }
        }
    }

    pub fn server(&self, id: &str) -> Option<&Server> {
        self.server_index
            .get(id)
            .map(|&i| &self.topology.servers[i])
    }

    pub fn site(&self, id: &str) -> Option<&Site> {
        self.site_index.get(id).map(|&i| &self.topology.sites[i])
    }

    pub fn server_position(&self, id: &str) -> Option<usize> {
        self.server_index.get(id).copied()
    }

    pub fn site_position(&self, id: &str) -> Option<usize> {
        self.site_index.get(id).copied()
    }

    /// Whether an event of `version` is already part of what we hold.
    pub fn has_version(&self, version: u64) -> bool {
        self.loaded && version <= self.base_version
    }

    /// Apply one component's health change.
    pub fn apply_health(&mut self, event: &HealthEvent) -> Applied {
        let mut applied = Applied::default();
        let id = event.component_id.as_str();
        match event.component {
            ComponentKind::Server => {
                if let Some(&i) = self.server_index.get(id) {
                    let was = self.topology.servers[i].health.state.is_unhealthy();
                    self.topology.servers[i].health = event.health.clone();
                    let now = event.health.state.is_unhealthy();
                    if was != now {
                        self.count_unhealthy(i, now);
                    }
                    // The console no longer polls the topology: health
                    // events carry the latency samples the sparkline shows.
                    if let Some(ring) = self.latency.get_mut(i) {
                        push_sample(ring, event.health.latency_ms);
                    }
                    applied.changed = true;
                }
            }
            ComponentKind::Site => {
                if let Some(&i) = self.site_index.get(id) {
                    let site = &mut self.topology.sites[i];
                    let was_down = site.down_since;
                    self.counts.remove(site.health.state);
                    self.counts.add(event.health.state);
                    self.site_states[i] = event.health.state;
                    site.health = event.health.clone();
                    site.down_since = if event.health.state.is_unhealthy() {
                        event
                            .down_since
                            .or(site.down_since)
                            .or(Some(event.health.since))
                    } else {
                        None
                    };
                    if let (Some(since), None) = (was_down, site.down_since) {
                        record_spell(&mut self.site_spells, id, since, event.health.since);
                    }
                    applied.changed = true;
                    applied.site_health = true;
                }
            }
            ComponentKind::Switch => {
                if let Some(&i) = self.switch_index.get(id) {
                    let switch = &mut self.topology.switches[i];
                    let was = switch.health;
                    switch.health = match event.health.state {
                        HealthState::Down => SwitchHealth::Down,
                        HealthState::Degraded | HealthState::Flapping => SwitchHealth::Suspect,
                        _ => SwitchHealth::Ok,
                    };
                    // Switch events carry the unhealthy share as error_rate.
                    switch.unhealthy_nodes =
                        (event.health.error_rate * f64::from(switch.nodes)).round() as u32;
                    if was != switch.health {
                        self.rebuild_server_rows();
                    }
                    applied.changed = true;
                }
            }
            ComponentKind::Cache => {
                if let Some(cache) = &mut self.topology.cache {
                    cache.health = event.health.clone();
                    applied.changed = true;
                }
            }
            ComponentKind::Database => {
                if let Some(database) = &mut self.topology.database {
                    database.health = event.health.clone();
                    applied.changed = true;
                }
            }
        }
        self.topology.version = self.topology.version.max(event.version);
        applied
    }

    /// Replace the objects the event carries, by id; unknown ids are added.
    pub fn apply_topology(&mut self, event: &TopologyEvent) -> Applied {
        let mut applied = Applied {
            changed: true,
            ..Applied::default()
        };
        let mut reindex = false;
        for switch in &event.switches {
            match self.switch_index.get(&switch.id) {
                Some(&i) => self.topology.switches[i] = switch.clone(),
                None => {
                    self.topology.switches.push(switch.clone());
                    reindex = true;
                }
            }
        }
        for server in &event.servers {
            match self.server_index.get(&server.id) {
                Some(&i) => {
                    let old = &mut self.topology.servers[i];
                    reindex |= old.switch != server.switch;
                    *old = server.clone();
                }
                None => {
                    self.topology.servers.push(server.clone());
                    reindex = true;
                }
            }
        }
        for site in &event.sites {
            applied.site_placement = true;
            applied.site_health = true;
            match self.site_index.get(&site.id) {
                Some(&i) => {
                    self.counts.remove(self.topology.sites[i].health.state);
                    self.counts.add(site.health.state);
                    self.site_states[i] = site.health.state;
                    self.topology.sites[i] = site.clone();
                    self.site_search[i] = search_text(site);
                }
                None => {
                    self.topology.sites.push(site.clone());
                    reindex = true;
                }
            }
        }
        if let Some(cache) = &event.cache {
            self.topology.cache = Some(cache.clone());
        }
        if let Some(database) = &event.database {
            self.topology.database = Some(database.clone());
        }
        self.topology.version = self.topology.version.max(event.version);
        if reindex {
            self.reindex();
        } else if !event.switches.is_empty() || !event.servers.is_empty() {
            self.rebuild_server_rows();
        }
        applied
    }
}

impl FleetSnapshot {
    /// Adds the down spells the store knows for the followed incident, so
    /// the sites pane counts those that ended before this console
    /// connected. A spell reaching the answer's `until` while the site is
    /// still down is left out: the site's current state counts it. Spells
    /// seen here already overlap and are counted once.
    pub fn merge_downtime(&mut self, downtime: &crate::model::IncidentDowntime) {
        for site in &downtime.sites {
            let down_now = self
                .site(&site.site)
                .is_some_and(|s| s.health.state.is_unhealthy());
            for spell in &site.spells {
                if spell.to < downtime.until || !down_now {
                    record_spell(&mut self.site_spells, &site.site, spell.from, spell.to);
                }
            }
        }
    }
}

/// Spells kept per site: a site flapping all day keeps its latest ones.
const SPELLS_KEPT: usize = 256;

fn record_spell(
    spells: &mut HashMap<String, Vec<Spell>>,
    site: &str,
    from: Timestamp,
    to: Timestamp,
) {
    if from >= to {
        return;
    }
    let kept = spells.entry(site.to_string()).or_default();
    if kept.contains(&(from, to)) {
        return;
    }
    if kept.len() >= SPELLS_KEPT {
        kept.remove(0);
    }
    kept.push((from, to));
}

fn push_sample(ring: &mut VecDeque<Option<f64>>, sample: Option<f64>) {
    if ring.len() == LATENCY_SAMPLES {
        ring.pop_front();
    }
    ring.push_back(sample);
}

fn search_text(site: &Site) -> String {
    format!(
        "{} {} {} {}",
        site.id, site.name, site.server, site.home_server
    )
    .to_lowercase()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone, Utc};

    use super::*;
    use crate::model::{FleetSpec, Health};
    use crate::tui::logic::downtime::downtime_in;

    fn at(minute: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2017, 9, 11, 22, 0, 0).unwrap() + TimeDelta::minutes(minute)
    }

    fn site_event(state: HealthState, minute: i64) -> HealthEvent {
        HealthEvent {
            version: 2,
            component: ComponentKind::Site,
            component_id: "site-001".into(),
            previous: HealthState::Up,
            health: Health {
                state,
                since: at(minute),
                latency_ms: None,
                error_rate: 0.0,
                transitions: 0,
            },
            down_since: state.is_unhealthy().then_some(at(minute)),
        }
    }

    #[test]
    fn spells_the_store_knows_count_also_when_this_console_did_not_see_them() {
        use crate::model::{DownSpell, IncidentDowntime, SiteDowntime};
        let spec = FleetSpec::parse("demo.toml", crate::sim::DEMO_FLEET).expect("demo fleet");
        let topology = crate::fleet::Fleet::new(&spec, at(0)).topology().clone();
        let mut fleet = FleetSnapshot::from_topology(topology);
        // A spell before this console connected, and one it saw itself.
        fleet.apply_health(&site_event(HealthState::Down, 30));
        fleet.apply_health(&site_event(HealthState::Up, 35));
        let answer = IncidentDowntime {
            incident_id: 1,
            from: at(0),
            until: at(40),
            sites: vec![SiteDowntime {
                site: "site-001".into(),
                seconds: 15 * 60,
                spells: vec![
                    DownSpell {
                        from: at(5),
                        to: at(15),
                    },
                    DownSpell {
                        from: at(30),
                        to: at(35),
                    },
                ],
            }],
        };
        fleet.merge_downtime(&answer);
        fleet.merge_downtime(&answer);
        assert_eq!(
            fleet.site_spells["site-001"],
            [(at(30), at(35)), (at(5), at(15))],
            "each spell once, however often the answer comes"
        );
        let down = downtime_in(&fleet.site_spells["site-001"], None, at(0), at(40));
        assert_eq!(down, TimeDelta::minutes(15));
    }

    #[test]
    fn a_site_that_came_back_keeps_its_spell_for_the_incident_downtime() {
        let spec = FleetSpec::parse("demo.toml", crate::sim::DEMO_FLEET).expect("demo fleet");
        let topology = crate::fleet::Fleet::new(&spec, at(0)).topology().clone();
        let mut fleet = FleetSnapshot::from_topology(topology);
        fleet.apply_health(&site_event(HealthState::Down, 10));
        fleet.apply_health(&site_event(HealthState::Up, 25));
        fleet.apply_health(&site_event(HealthState::Down, 40));
        assert_eq!(fleet.site_spells["site-001"], [(at(10), at(25))]);
        let site = fleet.site("site-001").expect("site");
        // 15 minutes down and back, then down again for 5 so far.
        let down = downtime_in(
            &fleet.site_spells["site-001"],
            site.down_since,
            at(5),
            at(45),
        );
        assert_eq!(down, TimeDelta::minutes(20));

        // A new snapshot after a gap in which the site came back ends its spell.
        let mut later = fleet.topology.clone();
        let site = later
            .sites
            .iter_mut()
            .find(|s| s.id == "site-001")
            .expect("site");
        site.down_since = None;
        site.health.state = HealthState::Up;
        site.health.since = at(50);
        fleet.replace(later);
        assert_eq!(
            fleet.site_spells["site-001"],
            [(at(10), at(25)), (at(40), at(50))]
        );
    }
}
