//! Collects what one call changed and turns it into `FleetChange`s.

use std::collections::BTreeSet;

use super::FleetChange;
use crate::model::{
    ComponentKind, Health, HealthEvent, HealthState, Timestamp, Topology, TopologyEvent,
};

/// The changes of one `Fleet` call. Every event it yields carries `version`,
/// the topology version the call moves to if it changed anything.
#[derive(Debug)]
pub(super) struct ChangeSet {
    version: u64,
    reason: &'static str,
    health: Vec<HealthEvent>,
    switches: BTreeSet<usize>,
    servers: BTreeSet<usize>,
    /// Servers whose health state changed (their alerts need settling).
    server_states: BTreeSet<usize>,
    /// Switches whose health changed (their alerts need settling).
    switch_states: BTreeSet<usize>,
    sites: BTreeSet<usize>,
    cache: bool,
    database: bool,
}

impl ChangeSet {
    /// `version` is the version after the call; `reason` goes into the topology event.
    pub(super) fn new(version: u64, reason: &'static str) -> Self {
        ChangeSet {
            version,
            reason,
            health: Vec::new(),
            switches: BTreeSet::new(),
            servers: BTreeSet::new(),
            server_states: BTreeSet::new(),
            switch_states: BTreeSet::new(),
            sites: BTreeSet::new(),
            cache: false,
            database: false,
        }
    }

    pub(super) fn version(&self) -> u64 {
        self.version
    }

    pub(super) fn is_empty(&self) -> bool {
        self.health.is_empty()
            && self.switches.is_empty()
            && self.servers.is_empty()
            && self.sites.is_empty()
            && !self.cache
            && !self.database
    }

    pub(super) fn health(
        &mut self,
        component: ComponentKind,
        component_id: &str,
        previous: HealthState,
        health: &Health,
        down_since: Option<Timestamp>,
    ) {
        self.health.push(HealthEvent {
            version: self.version,
            component,
            component_id: component_id.to_string(),
            previous,
            health: health.clone(),
            down_since,
        });
    }

    pub(super) fn switch(&mut self, index: usize) {
        self.switches.insert(index);
    }

    pub(super) fn switch_state(&mut self, index: usize) {
        self.switch_states.insert(index);
    }

    /// Switches whose health changed in this call.
    pub(super) fn touched_switches(&self) -> &BTreeSet<usize> {
        &self.switch_states
    }

    pub(super) fn server(&mut self, index: usize) {
        self.servers.insert(index);
    }

    pub(super) fn server_state(&mut self, index: usize) {
        self.server_states.insert(index);
    }

    /// Servers whose alerts may have changed: their state, or anything else
    /// about them, changed.
    pub(super) fn touched_servers(&self) -> BTreeSet<usize> {
        self.servers.union(&self.server_states).copied().collect()
    }

    pub(super) fn site(&mut self, index: usize) {
        self.sites.insert(index);
    }

    pub(super) fn cache(&mut self) {
        self.cache = true;
    }

    pub(super) fn database(&mut self) {
        self.database = true;
    }

    /// Health events in the order they happened, then one topology event
    /// with every object whose non-health fields changed, taken whole from
    /// `topology` as it stands after the call.
    pub(super) fn into_changes(self, topology: &Topology) -> Vec<FleetChange> {
        let mut out: Vec<FleetChange> = self.health.into_iter().map(FleetChange::Health).collect();
        let has_topology = !self.switches.is_empty()
            || !self.servers.is_empty()
            || !self.sites.is_empty()
            || self.cache
            || self.database;
        if has_topology {
            out.push(FleetChange::Topology(TopologyEvent {
                version: self.version,
                reason: self.reason.to_string(),
                switches: pick(&self.switches, &topology.switches),
                servers: pick(&self.servers, &topology.servers),
                sites: pick(&self.sites, &topology.sites),
                cache: if self.cache {
                    topology.cache.clone()
                } else {
                    None
                },
                database: if self.database {
                    topology.database.clone()
                } else {
                    None
                },
            }));
        }
        out
    }
}

fn pick<T: Clone>(indices: &BTreeSet<usize>, objects: &[T]) -> Vec<T> {
    indices
        .iter()
        .filter_map(|&i| objects.get(i).cloned())
        .collect()
}
