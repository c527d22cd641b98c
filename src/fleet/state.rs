//! The fleet: topology snapshot, per-node trackers and the indexes that keep
//! each update proportional to what it touches.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::FleetChange;
use super::alerts::{Settle, StuckSummary};
use super::changes::ChangeSet;
use super::derive::{self, NodeSignal, SiteInputs, SwitchCount};
use super::tracker::{self, NodeTracker};
use crate::model::{
    Admin, Alert, Cache, CacheFacts, ComponentKind, Database, DatabaseFacts, DetectionSettings,
    FleetSpec, Health, HealthState, NormalConfig, ProbeOutcome, Server, Site, Switch, SwitchHealth,
    Timestamp, Topology, WorldFacts,
};

/// The topology and health state machine of one fleet (DESIGN.md §4).
///
/// Pure: time always comes in as a parameter. Every call that changes the
/// topology raises `topology().version` by exactly one, and every event it
/// returns carries that new version. Probe metrics (latency, error rate,
/// transition count) are refreshed in the snapshot on every probe without
/// raising the version; only state, placement and role changes do.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub(super) topology: Topology,
    detection: DetectionSettings,
    /// Parallel to `topology.servers`.
    pub(super) trackers: Vec<NodeTracker>,
    pub(super) server_index: HashMap<String, usize>,
    pub(super) site_index: HashMap<String, usize>,
    /// Per server: the sites placed on it now.
    pub(super) sites_on: Vec<Vec<usize>>,
    /// Per site: the server it is placed on now.
    pub(super) site_server: Vec<usize>,
    /// Per server: its switch.
    pub(super) switch_of: Vec<usize>,
    /// Per switch: the servers behind it.
    pub(super) servers_behind: Vec<Vec<usize>>,
    pub(super) cache_active: Option<usize>,
    pub(super) db_writer: Option<usize>,
    pub(super) code_path_failing: bool,
    /// Sites with stuck backends, so clearing them never walks every site.
    pub(super) stuck_sites: BTreeSet<usize>,
    pub(super) stuck_total: u32,
    pub(super) alerts: BTreeMap<String, Alert>,
    /// The fleet file's `[runbooks]`: a link per alert kind.
    pub(super) runbooks: BTreeMap<crate::model::AlertKind, String>,
    /// The normal configuration the fleet file gives (roles, primaries).
    normal: NormalConfig,
}

impl Fleet {
    /// Builds the fleet from a parsed fleet file. Every health starts Unknown
    /// (since `now`), every site on its home server, cache and database roles
    /// as the file gives them (epoch 0, no stale clients). The version is 1.
    ///
    /// A spec built by hand rather than by `FleetSpec::parse` may be
    /// inconsistent: a server naming an unlisted switch gets that switch,
    /// duplicate ids keep their first entry, and a site whose home is not a
    /// known server is left out.
    pub fn new(spec: &FleetSpec, now: Timestamp) -> Fleet {
        let mut switches: Vec<Switch> = Vec::new();
        let mut switch_index: HashMap<String, usize> = HashMap::new();
        let mut add_switch = |id: &str, switches: &mut Vec<Switch>| -> usize {
            *switch_index.entry(id.to_string()).or_insert_with(|| {
                switches.push(Switch {
                    id: id.to_string(),
                    health: SwitchHealth::Ok,
                    unhealthy_nodes: 0,
                    nodes: 0,
                });
                switches.len() - 1
            })
        };
        for id in &spec.switches {
            add_switch(id, &mut switches);
        }

        let mut servers = Vec::new();
        let mut trackers = Vec::new();
        let mut server_index = HashMap::new();
        let mut switch_of = Vec::new();
        for server in &spec.servers {
            if server_index.contains_key(&server.id) {
                continue;
            }
            server_index.insert(server.id.clone(), servers.len());
            switch_of.push(add_switch(&server.switch, &mut switches));
            trackers.push(NodeTracker::new(spec.probe_settings(server)));
            servers.push(Server {
                id: server.id.clone(),
                role: server.role,
                switch: server.switch.clone(),
                capacity: server.capacity,
                site_count: 0,
                admin: Admin::Ready,
                health: Health::unknown(now),
            });
        }

        let mut servers_behind = vec![Vec::new(); switches.len()];
        for (server, &switch) in switch_of.iter().enumerate() {
            servers_behind[switch].push(server);
        }
        for (switch, behind) in switches.iter_mut().zip(&servers_behind) {
            switch.nodes = u32::try_from(behind.len()).unwrap_or(u32::MAX);
        }

        let mut sites = Vec::new();
        let mut site_index = HashMap::new();
        let mut site_server = Vec::new();
        let mut sites_on = vec![Vec::new(); servers.len()];
        for site in &spec.sites {
            let Some(&home) = server_index.get(&site.home) else {
                continue;
            };
            if site_index.contains_key(&site.id) {
                continue;
            }
            site_index.insert(site.id.clone(), sites.len());
            sites_on[home].push(sites.len());
            site_server.push(home);
            let server: &mut Server = &mut servers[home];
            server.site_count += 1;
            sites.push(Site {
                id: site.id.clone(),
                name: site.name.clone(),
                server: site.home.clone(),
                home_server: site.home.clone(),
                health: Health::unknown(now),
                down_since: None,
                stuck_backends: 0,
            });
        }

        let cache = spec.cache.as_ref().map(|c| Cache {
            active: c.active.clone(),
            standby: c.standby.clone(),
            epoch: 0,
            stale_clients: 0,
            health: Health::unknown(now),
        });
        let database = spec.database.as_ref().map(|d| Database {
            writer: d.active.clone(),
            replicas: d.standby.clone(),
            epoch: 0,
            stuck_backends: 0,
            health: Health::unknown(now),
        });
        let cache_active = cache
            .as_ref()
            .and_then(|c| server_index.get(&c.active).copied());
        let db_writer = database
            .as_ref()
            .and_then(|d| server_index.get(&d.writer).copied());

        Fleet {
            topology: Topology {
                version: 1,
                service: spec.service.clone(),
                switches,
                servers,
                sites,
                cache,
                database,
            },
            detection: spec.detection,
            trackers,
            server_index,
            site_index,
            sites_on,
            site_server,
            switch_of,
            servers_behind,
            cache_active,
            db_writer,
            code_path_failing: false,
            stuck_sites: BTreeSet::new(),
            stuck_total: 0,
            alerts: BTreeMap::new(),
            runbooks: spec.runbooks.clone(),
            normal: NormalConfig::from_spec(spec),
        }
    }

    /// The fleet file's normal configuration: what restoring redundancy
    /// restores (promoted spares, the cache and database primaries).
    pub fn normal(&self) -> &NormalConfig {
        &self.normal
    }

    /// The current topology. Its version equals the version of the last change returned.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Applies a batch of probe results taken at `at`, in order, and returns
    /// every change it caused: server health, then what follows from it
    /// (cache/database, switches, sites), then alerts. Results for ids that
    /// are not servers of this fleet are ignored.
    pub fn observe(
        &mut self,
        at: Timestamp,
        results: &[(String, ProbeOutcome)],
    ) -> Vec<FleetChange> {
        let mut changes = ChangeSet::new(self.topology.version + 1, "probe results");
        // Switches whose evidence a probe may have changed without a state
        // change: a failed probe, or any probe behind a switch already
        // suspect (it may clear). Each is recounted once, after the batch.
        let mut switches = BTreeSet::new();
        for (id, outcome) in results {
            let Some(&server) = self.server_index.get(id.as_str()) else {
                continue;
            };
            let previous = self.topology.servers[server].health.state;
            let changed = self.trackers[server].record(
                at,
                outcome,
                &self.detection,
                &mut self.topology.servers[server].health,
            );
            if changed {
                let s = &self.topology.servers[server];
                changes.health(ComponentKind::Server, &s.id, previous, &s.health, None);
                changes.server_state(server);
            }
            // Every probe, so the cache/database objects show fresh metrics too.
            self.mirror_cluster_health(server, &mut changes);
            if changed {
                self.server_state_changed(server, previous, at, &mut changes);
            } else {
                let switch = self.switch_of[server];
                if !outcome.ok || self.topology.switches[switch].health != SwitchHealth::Ok {
                    switches.insert(switch);
                }
            }
        }
        for switch in switches {
            self.recount_switch(switch, at, &mut changes);
        }
        self.finish(at, changes)
    }

    /// Applies the world's facts as of `at`: cache and database roles (a
    /// missing part leaves that cluster as it was) and stuck backends per site
    /// (a complete statement: sites not named have none).
    pub fn apply_facts(&mut self, at: Timestamp, facts: &WorldFacts) -> Vec<FleetChange> {
        let mut changes = ChangeSet::new(self.topology.version + 1, "world facts");
        let mut every_site = false;
        if let Some(cache) = &facts.cache {
            every_site = self.apply_cache_facts(cache, at, &mut changes);
        } else if let Some(stale) = facts.stale_cache_clients
            && let Some(cache) = &mut self.topology.cache
            && cache.stale_clients != stale
        {
            cache.stale_clients = stale;
            changes.cache();
        }
        if let Some(database) = &facts.database {
            self.apply_database_facts(database, at, &mut changes);
        }
        self.apply_stuck_backends(&facts.stuck_backends, at, &mut changes);
        if every_site {
            for site in 0..self.topology.sites.len() {
                self.rederive_site(site, at, &mut changes);
            }
        }
        self.finish(at, changes)
    }

    /// Alerts open now, most severe first, then by id.
    pub fn alerts(&self) -> Vec<Alert> {
        let mut open: Vec<Alert> = self.alerts.values().cloned().collect();
        open.sort_by(|a, b| (a.severity, &a.id).cmp(&(b.severity, &b.id)));
        open
    }

    /// Closes a call: if anything changed, moves to the new version, builds
    /// the events and settles alerts (which only change with the topology).
    pub(super) fn finish(&mut self, at: Timestamp, changes: ChangeSet) -> Vec<FleetChange> {
        if changes.is_empty() {
            return Vec::new();
        }
        let touched = changes.touched_servers();
        let switches = changes.touched_switches().clone();
        self.topology.version = changes.version();
        let mut out = changes.into_changes(&self.topology);
        out.extend(self.settle_alerts(at, &touched, switches));
        out
    }

    /// Settles the alerts of the touched servers, their switches, the
    /// `switches` whose health changed, and the fleet-wide ones.
    fn settle_alerts(
        &mut self,
        at: Timestamp,
        servers: &BTreeSet<usize>,
        mut switches: BTreeSet<usize>,
    ) -> Vec<FleetChange> {
        let mut settle = Settle::new(&mut self.alerts, at);
        for &server in servers {
            settle.server(&self.topology.servers[server], &self.detection);
            switches.insert(self.switch_of[server]);
        }
        let window = tracker::window(&self.detection);
        for switch in switches {
            let behind = self.servers_behind[switch].iter().map(|&server| {
                (
                    &self.topology.servers[server],
                    self.trackers[server].last_failure(),
                )
            });
            settle.switch(&self.topology.switches[switch], behind, window);
        }
        let stuck = StuckSummary {
            backends: self.stuck_total,
            sites: u32::try_from(self.stuck_sites.len()).unwrap_or(u32::MAX),
        };
        settle.fleet_wide(&self.topology, &self.server_index, stuck);
        let mut changes = settle.into_changes();
        for change in &mut changes {
            if let FleetChange::AlertOpened(alert) = change
                && let Some(link) = self.runbooks.get(&alert.kind)
            {
                alert.runbook = Some(link.clone());
                if let Some(open) = self.alerts.get_mut(&alert.id) {
                    open.runbook = Some(link.clone());
                }
            }
        }
        changes
    }

    /// Keeps the cache and database objects' health equal to their active
    /// node's, reporting a state change as a Cache/Database health event.
    fn mirror_cluster_health(&mut self, server: usize, changes: &mut ChangeSet) {
        let health = &self.topology.servers[server].health;
        if self.cache_active == Some(server)
            && let Some(cache) = &mut self.topology.cache
        {
            let previous = cache.health.state;
            cache.health = health.clone();
            if previous != health.state {
                changes.health(ComponentKind::Cache, &cache.active, previous, health, None);
            }
        }
        if self.db_writer == Some(server)
            && let Some(database) = &mut self.topology.database
        {
            let previous = database.health.state;
            database.health = health.clone();
            if previous != health.state {
                changes.health(
                    ComponentKind::Database,
                    &database.writer,
                    previous,
                    health,
                    None,
                );
            }
        }
    }

    /// Propagates a server's state change to its switch and its sites (and
    /// every site, when the server is the active cache node and its
    /// usability changed).
    fn server_state_changed(
        &mut self,
        server: usize,
        previous: HealthState,
        at: Timestamp,
        changes: &mut ChangeSet,
    ) {
        self.recount_switch(self.switch_of[server], at, changes);
        for k in 0..self.sites_on[server].len() {
            let site = self.sites_on[server][k];
            self.rederive_site(site, at, changes);
        }
        let now_unhealthy = self.topology.servers[server].health.state.is_unhealthy();
        if self.cache_active == Some(server) && previous.is_unhealthy() != now_unhealthy {
            for site in 0..self.topology.sites.len() {
                self.rederive_site(site, at, changes);
            }
        }
    }

    /// Re-applies the switch rule to `switch` as of `at`, reporting a
    /// changed unhealthy count (topology) and a changed health (event).
    pub(super) fn recount_switch(&mut self, switch: usize, at: Timestamp, changes: &mut ChangeSet) {
        let count = SwitchCount::of(
            self.servers_behind[switch]
                .iter()
                .map(|&server| self.signal(server)),
            at,
            tracker::window(&self.detection),
        );
        let sw = &mut self.topology.switches[switch];
        let health = derive::switch_health(sw.health, count);
        if sw.unhealthy_nodes != count.unhealthy {
            sw.unhealthy_nodes = count.unhealthy;
            changes.switch(switch);
        }
        if sw.health != health {
            let previous = derive::switch_state(sw.health);
            sw.health = health;
            let record = derive::switch_as_health(health, at, count.unhealthy, sw.nodes);
            changes.health(ComponentKind::Switch, &sw.id, previous, &record, None);
            changes.switch_state(switch);
        }
    }

    /// Sets a restored switch's counts from its servers, and its health to
    /// `saved` when the saved state had the switch (else the rule's verdict
    /// as of `at`). Reports nothing: restoring is not a change.
    pub(super) fn restore_switch(
        &mut self,
        switch: usize,
        saved: Option<SwitchHealth>,
        at: Timestamp,
    ) {
        let count = SwitchCount::of(
            self.servers_behind[switch]
                .iter()
                .map(|&server| self.signal(server)),
            at,
            tracker::window(&self.detection),
        );
        let sw = &mut self.topology.switches[switch];
        sw.unhealthy_nodes = count.unhealthy;
        sw.health = saved.unwrap_or_else(|| derive::switch_health(SwitchHealth::Ok, count));
    }

    /// What the switch rule reads of one server.
    pub(super) fn signal(&self, server: usize) -> NodeSignal {
        let tracker = &self.trackers[server];
        NodeSignal {
            state: self.topology.servers[server].health.state,
            last_failure: tracker.last_failure(),
            interval: tracker.interval(),
        }
    }

    /// Re-derives one site's health from its inputs, reporting a state change.
    pub(super) fn rederive_site(&mut self, site: usize, at: Timestamp, changes: &mut ChangeSet) {
        let inputs = SiteInputs {
            server: self.topology.servers[self.site_server[site]].health.state,
            stuck_backends: self.topology.sites[site].stuck_backends,
            cache_unhealthy: self.cache_unhealthy(),
            code_path_failing: self.code_path_failing,
        };
        let state = derive::site_state(inputs);
        let s = &mut self.topology.sites[site];
        if let Some(previous) = derive::enter_site_state(s, state, at) {
            changes.health(
                ComponentKind::Site,
                &s.id,
                previous,
                &s.health,
                s.down_since,
            );
        }
    }

    fn cache_unhealthy(&self) -> bool {
        self.cache_active
            .is_some_and(|server| self.topology.servers[server].health.state.is_unhealthy())
    }

    /// Health of the node `id` as the cluster object should show it.
    fn node_health(&self, id: &str, at: Timestamp) -> (Option<usize>, Health) {
        match self.server_index.get(id) {
            Some(&server) => (Some(server), self.topology.servers[server].health.clone()),
            None => (None, Health::unknown(at)),
        }
    }

    /// Returns true when every site must be re-derived (the cache's
    /// usability or the failing code path changed).
    fn apply_cache_facts(
        &mut self,
        facts: &CacheFacts,
        at: Timestamp,
        changes: &mut ChangeSet,
    ) -> bool {
        let was_unhealthy = self.cache_unhealthy();
        let was_failing = self.code_path_failing;
        let (active, health) = self.node_health(&facts.active, at);
        self.cache_active = active;
        self.code_path_failing = facts.code_path_failing;

        let cache = self.topology.cache.get_or_insert_with(|| Cache {
            active: facts.active.clone(),
            standby: Vec::new(),
            epoch: 0,
            stale_clients: 0,
            health: Health::unknown(at),
        });
        let roles = (
            &cache.active,
            &cache.standby,
            cache.epoch,
            cache.stale_clients,
        );
        if roles
            != (
                &facts.active,
                &facts.standby,
                facts.epoch,
                facts.stale_clients,
            )
        {
            cache.active = facts.active.clone();
            cache.standby = facts.standby.clone();
            cache.epoch = facts.epoch;
            cache.stale_clients = facts.stale_clients;
            changes.cache();
        }
        let previous = cache.health.state;
        cache.health = health;
        if previous != cache.health.state {
            changes.health(
                ComponentKind::Cache,
                &cache.active,
                previous,
                &cache.health,
                None,
            );
        }
        was_unhealthy != self.cache_unhealthy() || was_failing != self.code_path_failing
    }

    fn apply_database_facts(
        &mut self,
        facts: &DatabaseFacts,
        at: Timestamp,
        changes: &mut ChangeSet,
    ) {
        let (writer, health) = self.node_health(&facts.writer, at);
        self.db_writer = writer;
        let stuck_total = self.stuck_total;
        let database = self.topology.database.get_or_insert_with(|| Database {
            writer: facts.writer.clone(),
            replicas: Vec::new(),
            epoch: 0,
            stuck_backends: stuck_total,
            health: Health::unknown(at),
        });
        let roles = (&database.writer, &database.replicas, database.epoch);
        if roles != (&facts.writer, &facts.replicas, facts.epoch) {
            database.writer = facts.writer.clone();
            database.replicas = facts.replicas.clone();
            database.epoch = facts.epoch;
            changes.database();
        }
        let previous = database.health.state;
        database.health = health;
        if previous != database.health.state {
            changes.health(
                ComponentKind::Database,
                &database.writer,
                previous,
                &database.health,
                None,
            );
        }
    }

    /// Touches only the sites that had or now have stuck backends.
    fn apply_stuck_backends(
        &mut self,
        stuck: &BTreeMap<String, u32>,
        at: Timestamp,
        changes: &mut ChangeSet,
    ) {
        let mut touched = std::mem::take(&mut self.stuck_sites);
        touched.extend(
            stuck
                .iter()
                .filter(|&(_, &n)| n > 0)
                .filter_map(|(id, _)| self.site_index.get(id).copied()),
        );
        let mut total = 0u32;
        for site in touched {
            let count = stuck
                .get(&self.topology.sites[site].id)
                .copied()
                .unwrap_or(0);
            if self.topology.sites[site].stuck_backends != count {
                self.topology.sites[site].stuck_backends = count;
                changes.site(site);
            }
            if count > 0 {
                self.stuck_sites.insert(site);
                total = total.saturating_add(count);
            }
            self.rederive_site(site, at, changes);
        }
        self.stuck_total = total;
        if let Some(database) = &mut self.topology.database
            && database.stuck_backends != total
        {
            database.stuck_backends = total;
            changes.database();
        }
    }
}
