//! What a restart must not forget of the fleet, and putting it back.
//!
//! The fleet file gives the shape (which switches, servers and sites exist,
//! capacities, probe settings); the saved state gives everything the
//! orchestrator decided or learned: placements, admin states, roles of
//! promoted spares, health with its hysteresis counters, cache and database
//! roles and epochs, stale clients, stuck backends, open alerts and the
//! topology version. A saved state the file contradicts is reported, never
//! silently reset.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::state::Fleet;
use super::tracker::TrackerState;
use crate::model::{Alert, FleetSpec, Role, Timestamp, Topology};

/// The fleet's state as saved with the events that announce its changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetState {
    pub topology: Topology,
    /// Per server id.
    pub trackers: BTreeMap<String, TrackerState>,
    /// The open alerts.
    pub alerts: Vec<Alert>,
    pub code_path_failing: bool,
}

/// One way the fleet file contradicts the saved state: what, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contradiction(pub String);

impl std::fmt::Display for Contradiction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn hosts_sites(role: Role) -> bool {
    matches!(role, Role::App | Role::Failover)
}

impl Fleet {
    /// The state to save.
    pub fn state(&self) -> FleetState {
        FleetState {
            topology: self.topology.clone(),
            trackers: self
                .topology
                .servers
                .iter()
                .zip(&self.trackers)
                .map(|(s, t)| (s.id.clone(), t.state()))
                .collect(),
            alerts: self.alerts.values().cloned().collect(),
            code_path_failing: self.code_path_failing,
        }
    }

    /// The fleet `spec` describes, in the state `saved` recorded. Servers
    /// and sites the file adds start as `Fleet::new` starts them; ones it
    /// removed are forgotten, unless the saved state still needs them (a
    /// site placed on a removed server, the cache's active node gone, a
    /// promoted spare whose role the file changed): those are every
    /// contradiction, listed with what to do, and no fleet is made.
    pub fn restore(
        spec: &FleetSpec,
        saved: &FleetState,
        now: Timestamp,
    ) -> Result<Fleet, Vec<Contradiction>> {
        let mut fleet = Fleet::new(spec, now);
        let mut problems = Vec::new();
        let fresh_db = "or start on a fresh --db to forget the saved state";

        for server in &saved.topology.servers {
            let Some(&ix) = fleet.server_index.get(&server.id) else {
                continue;
            };
            let current = &mut fleet.topology.servers[ix];
            if server.role != current.role {
                if hosts_sites(server.role) && hosts_sites(current.role) {
                    current.role = server.role;
                } else {
                    problems.push(Contradiction(format!(
                        "server {} is a {} server in the saved state but a {} server in the \
                         fleet file: give it back its role in the fleet file, {fresh_db}",
                        server.id,
                        server.role.as_str(),
                        current.role.as_str()
                    )));
                    continue;
                }
            }
            current.admin = server.admin;
            current.health = server.health.clone();
            if let Some(tracker) = saved.trackers.get(&server.id) {
                fleet.trackers[ix].restore(tracker);
            }
        }

        // Placements: every site of the file goes where the saved state put it.
        let saved_sites: BTreeMap<&str, &crate::model::Site> = saved
            .topology
            .sites
            .iter()
            .map(|s| (s.id.as_str(), s))
            .collect();
        for list in &mut fleet.sites_on {
            list.clear();
        }
        for server in &mut fleet.topology.servers {
            server.site_count = 0;
        }
        for ix in 0..fleet.topology.sites.len() {
            let home = fleet.site_server[ix];
            let mut on = home;
            if let Some(saved_site) = saved_sites.get(fleet.topology.sites[ix].id.as_str()) {
                match fleet.server_index.get(&saved_site.server) {
                    Some(&server) if hosts_sites(fleet.topology.servers[server].role) => {
                        on = server;
                    }
                    Some(_) => problems.push(Contradiction(format!(
                        "site {} runs on {} in the saved state, but the fleet file makes {} a \
                         server that hosts no sites: make {} an app or failover server again \
                         (or move the site with a plan first), {fresh_db}",
                        saved_site.id, saved_site.server, saved_site.server, saved_site.server
                    ))),
                    None => problems.push(Contradiction(format!(
                        "site {} runs on server {} in the saved state, but the fleet file has \
                         no server {}: put {} back in the fleet file (and move the site away \
                         with a plan before removing it), {fresh_db}",
                        saved_site.id, saved_site.server, saved_site.server, saved_site.server
                    ))),
                }
                let site = &mut fleet.topology.sites[ix];
                site.health = saved_site.health.clone();
                site.down_since = saved_site.down_since;
                site.stuck_backends = saved_site.stuck_backends;
            }
            fleet.site_server[ix] = on;
            fleet.sites_on[on].push(ix);
            let server = &mut fleet.topology.servers[on];
            server.site_count += 1;
            fleet.topology.sites[ix].server = server.id.clone();
        }

        // Switches follow from their servers; a switch the saved state knew
        // keeps its verdict (the rule has memory: a suspect switch clears
        // only once its evidence is gone), re-judged on the next probe.
        for switch in 0..fleet.topology.switches.len() {
            let saved_health = saved
                .topology
                .switches
                .iter()
                .find(|s| s.id == fleet.topology.switches[switch].id)
                .map(|s| s.health);
            fleet.restore_switch(switch, saved_health, now);
        }

        if let (Some(saved_cache), Some(cache)) = (&saved.topology.cache, &mut fleet.topology.cache)
        {
            match fleet.server_index.get(&saved_cache.active) {
                Some(&ix) => {
                    *cache = saved_cache.clone();
                    fleet.cache_active = Some(ix);
                }
                None => problems.push(Contradiction(format!(
                    "the cache's active node is {} in the saved state (epoch {}), but the fleet \
                     file has no server {}: put it back in the fleet file, or fail the cache \
                     over before removing it, {fresh_db}",
                    saved_cache.active, saved_cache.epoch, saved_cache.active
                ))),
            }
        }
        if let (Some(saved_db), Some(db)) = (&saved.topology.database, &mut fleet.topology.database)
        {
            match fleet.server_index.get(&saved_db.writer) {
                Some(&ix) => {
                    *db = saved_db.clone();
                    fleet.db_writer = Some(ix);
                }
                None => problems.push(Contradiction(format!(
                    "the database writer is {} in the saved state (epoch {}), but the fleet \
                     file has no server {}: put it back in the fleet file, or fail the database \
                     over before removing it, {fresh_db}",
                    saved_db.writer, saved_db.epoch, saved_db.writer
                ))),
            }
        }

        fleet.stuck_sites.clear();
        fleet.stuck_total = 0;
        for (ix, site) in fleet.topology.sites.iter().enumerate() {
            if site.stuck_backends > 0 {
                fleet.stuck_sites.insert(ix);
                fleet.stuck_total = fleet.stuck_total.saturating_add(site.stuck_backends);
            }
        }
        fleet.code_path_failing = saved.code_path_failing;
        // The links are the fleet file's as it is now.
        fleet.alerts = saved
            .alerts
            .iter()
            .map(|a| {
                let mut alert = a.clone();
                alert.runbook = fleet.runbooks.get(&a.kind).cloned();
                (a.id.clone(), alert)
            })
            .collect();
        fleet.topology.version = saved.topology.version.max(fleet.topology.version);

        if problems.is_empty() {
            Ok(fleet)
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::model::{Admin, ProbeOutcome};

    fn spec(text: &str) -> FleetSpec {
        FleetSpec::parse("demo.toml", text).expect("fleet parses")
    }

    #[test]
    fn a_restored_fleet_is_the_saved_one_and_a_removed_host_is_reported() {
        let demo = spec(crate::sim::DEMO_FLEET);
        let t0 = Utc
            .with_ymd_and_hms(2017, 9, 11, 22, 0, 0)
            .single()
            .expect("time");
        let mut fleet = Fleet::new(&demo, t0);
        let all_up: Vec<(String, ProbeOutcome)> = fleet
            .topology()
            .servers
            .iter()
            .map(|s| (s.id.clone(), ProbeOutcome::up(10.0)))
            .collect();
        fleet.observe(t0, &all_up);
        let mut down = all_up.clone();
        for (id, outcome) in &mut down {
            if id == "app-04" {
                *outcome = ProbeOutcome::failed("timed out");
            }
        }
        for k in 1..=2 {
            fleet.observe(t0 + chrono::TimeDelta::seconds(5 * k), &down);
        }
        let site = fleet
            .topology()
            .sites
            .iter()
            .find(|s| s.server == "app-04")
            .map(|s| s.id.clone())
            .expect("a site on app-04");
        fleet.move_site(t0, &site, "fo-1").expect("move");
        fleet.set_admin(t0, "app-04", Admin::Drain).expect("drain");
        let saved = fleet.state();
        let json = serde_json::to_string(&saved).expect("serializes");
        let saved: FleetState = serde_json::from_str(&json).expect("deserializes");

        let restored = Fleet::restore(&demo, &saved, t0).expect("no contradiction");
        assert_eq!(restored.topology(), fleet.topology());
        assert_eq!(restored.alerts(), fleet.alerts());
        // The hysteresis counters came back too: one more failure makes it down.
        let mut a = fleet.clone();
        let mut b = restored.clone();
        let at = t0 + chrono::TimeDelta::seconds(15);
        // The same changes (the order of a server's sites may differ).
        let sorted = |changes: Vec<crate::fleet::FleetChange>| {
            let mut all: Vec<String> = changes.iter().map(|c| format!("{c:?}")).collect();
            all.sort();
            all
        };
        let (from_a, from_b) = (a.observe(at, &down), b.observe(at, &down));
        assert!(!from_a.is_empty(), "the third failure takes app-04 down");
        assert_eq!(sorted(from_a), sorted(from_b));
        assert_eq!(a.topology(), b.topology());

        // A fleet file without fo-1, where the site now runs, is refused.
        let without: String = crate::sim::DEMO_FLEET.replace("id = \"fo-1\"", "id = \"fo-9\"");
        let problems = Fleet::restore(&spec(&without), &saved, t0).expect_err("contradiction");
        assert!(
            problems
                .iter()
                .any(|p| p.0.contains(&site) && p.0.contains("fo-1") && p.0.contains("fresh --db")),
            "{problems:?}"
        );
    }
}
