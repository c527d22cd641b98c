//! Derived alerts: which conditions hold, and opening/resolving them.
//!
//! Alerts are settled per scope so that a call only re-checks what it
//! touched: the servers whose state or settings changed, their switches, and
//! the fleet-wide conditions (cache, database, stuck backends, capacity).

use std::collections::{BTreeMap, HashMap};

use chrono::TimeDelta;

use super::{Fleet, FleetChange, FleetError};
use crate::model::{
    Admin, Alert, AlertAck, AlertKind, AlertSeverity, AlertSilence, DetectionSettings, HealthState,
    Role, Server, Switch, SwitchHealth, Timestamp, Topology,
};

impl Fleet {
    /// Records that `by` acknowledged the open alert `id` at `at` (again:
    /// the latest acknowledgment counts). Nothing else changes.
    pub fn acknowledge(&mut self, id: &str, by: &str, at: Timestamp) -> Result<Alert, FleetError> {
        let alert = self
            .alerts
            .get_mut(id)
            .ok_or_else(|| FleetError::UnknownAlert(id.to_string()))?;
        alert.acknowledged = Some(AlertAck {
            by: by.to_string(),
            at,
        });
        Ok(alert.clone())
    }

    /// Hides the open alert `id` until `until`, for `reason`. A silence
    /// ends when the alert resolves: the next one starts loud.
    pub fn silence(
        &mut self,
        id: &str,
        by: &str,
        at: Timestamp,
        until: Timestamp,
        reason: &str,
    ) -> Result<Alert, FleetError> {
        let alert = self
            .alerts
            .get_mut(id)
            .ok_or_else(|| FleetError::UnknownAlert(id.to_string()))?;
        alert.silenced = Some(AlertSilence {
            by: by.to_string(),
            at,
            until,
            reason: reason.to_string(),
        });
        Ok(alert.clone())
    }
}

/// The stable id of an alert: `kind:target`.
pub fn alert_id(kind: AlertKind, target: &str) -> String {
    format!("{}:{target}", kind.as_str())
}

/// Backends stuck on a previous database writer, summed over sites (kept by
/// the fleet so that settling alerts never walks every site).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct StuckSummary {
    pub backends: u32,
    pub sites: u32,
}

/// Alert kinds about the fleet as a whole; their targets move (a cache
/// failover changes the active node), so they are settled by kind.
const FLEET_WIDE: [AlertKind; 7] = [
    AlertKind::CacheDown,
    AlertKind::StaleClients,
    AlertKind::DatabaseDown,
    AlertKind::StuckBackends,
    AlertKind::FailoverCapacity,
    AlertKind::CacheNoStandby,
    AlertKind::DatabaseNoReplica,
];

/// A condition that holds now, before it is matched against the open alerts.
#[derive(Debug, Clone, PartialEq)]
struct AlertDraft {
    kind: AlertKind,
    severity: AlertSeverity,
    target: String,
    message: String,
}

impl AlertDraft {
    fn critical(kind: AlertKind, target: &str, message: String) -> Self {
        AlertDraft {
            kind,
            severity: AlertSeverity::Critical,
            target: target.to_string(),
            message,
        }
    }
}

/// Matches conditions against the open alerts, one scope at a time: opens
/// new alerts (opened at `at`), resolves those whose condition is gone (each
/// exactly once), and refreshes the message of those still open without an
/// event, so a changing count never looks like a new alert.
pub(super) struct Settle<'a> {
    open: &'a mut BTreeMap<String, Alert>,
    at: Timestamp,
    changes: Vec<FleetChange>,
}

impl<'a> Settle<'a> {
    pub(super) fn new(open: &'a mut BTreeMap<String, Alert>, at: Timestamp) -> Self {
        Settle {
            open,
            at,
            changes: Vec::new(),
        }
    }

    pub(super) fn into_changes(self) -> Vec<FleetChange> {
        self.changes
    }

    /// `server_down` and `server_flapping` for one server.
    pub(super) fn server(&mut self, server: &Server, detection: &DetectionSettings) {
        let draft = match server.health.state {
            HealthState::Down => Some(AlertDraft::critical(
                AlertKind::ServerDown,
                &server.id,
                format!("{} is down{}", describe(server), sites_on(server)),
            )),
            HealthState::Flapping => Some(AlertDraft::critical(
                AlertKind::ServerFlapping,
                &server.id,
                format!(
                    "{} is flapping: {} in the last {}{}",
                    describe(server),
                    plural(
                        server.health.transitions,
                        "up/down transition",
                        "up/down transitions"
                    ),
                    duration_words(detection.flap_window_s),
                    sites_on(server),
                ),
            )),
            _ => None,
        };
        let scope = [
            alert_id(AlertKind::ServerDown, &server.id),
            alert_id(AlertKind::ServerFlapping, &server.id),
        ];
        self.scope(&scope, draft.into_iter().collect());
    }

    /// `switch_suspect` for one switch; `behind` are the servers behind it
    /// with the time each last failed a probe, `window` the flapping window
    /// (how far back a failed probe still counts as evidence).
    pub(super) fn switch<'s>(
        &mut self,
        switch: &Switch,
        behind: impl Iterator<Item = (&'s Server, Option<Timestamp>)>,
        window: TimeDelta,
    ) {
        let draft = (switch.health != SwitchHealth::Ok).then(|| {
            let message = if switch.health == SwitchHealth::Down {
                let down: Vec<&str> = behind.map(|(s, _)| s.id.as_str()).collect();
                format!(
                    "switch {} down: all {} nodes behind it down ({})",
                    switch.id,
                    switch.nodes,
                    down.join(", ")
                )
            } else {
                format!(
                    "switch {} suspect: {}",
                    switch.id,
                    switch_evidence(behind, self.at, window)
                )
            };
            AlertDraft::critical(AlertKind::SwitchSuspect, &switch.id, message)
        });
        let scope = [alert_id(AlertKind::SwitchSuspect, &switch.id)];
        self.scope(&scope, draft.into_iter().collect());
    }

    /// The fleet-wide alerts: cache, database, stale clients, stuck
    /// backends, failover capacity and the redundancy of the cache and the
    /// database. Walks servers once, never sites; `server_index` finds the
    /// standby nodes.
    pub(super) fn fleet_wide(
        &mut self,
        topology: &Topology,
        server_index: &HashMap<String, usize>,
        stuck: StuckSummary,
    ) {
        let scope: Vec<String> = self
            .open
            .values()
            .filter(|a| FLEET_WIDE.contains(&a.kind))
            .map(|a| a.id.clone())
            .collect();
        let mut drafts = fleet_wide_drafts(topology, stuck);
        drafts.extend(redundancy_drafts(topology, server_index));
        self.scope(&scope, drafts);
    }

    /// Settles one scope: `scope` are the ids that may be open for it,
    /// `drafts` the conditions of that scope that hold now.
    fn scope(&mut self, scope: &[String], drafts: Vec<AlertDraft>) {
        let drafts: Vec<(String, AlertDraft)> = drafts
            .into_iter()
            .map(|d| (alert_id(d.kind, &d.target), d))
            .collect();
        for id in scope {
            if drafts.iter().any(|(holding, _)| holding == id) {
                continue;
            }
            if let Some(mut alert) = self.open.remove(id) {
                alert.resolved_at = Some(self.at);
                self.changes.push(FleetChange::AlertResolved(alert));
            }
        }
        for (id, draft) in drafts {
            if let Some(alert) = self.open.get_mut(&id) {
                alert.message = draft.message;
                continue;
            }
            let alert = Alert {
                id: id.clone(),
                kind: draft.kind,
                severity: draft.severity,
                target: draft.target,
                message: draft.message,
                opened_at: self.at,
                resolved_at: None,
                acknowledged: None,
                silenced: None,
                runbook: None,
            };
            self.open.insert(id, alert.clone());
            self.changes.push(FleetChange::AlertOpened(alert));
        }
    }
}

fn fleet_wide_drafts(topology: &Topology, stuck: StuckSummary) -> Vec<AlertDraft> {
    let mut drafts = Vec::new();
    if let Some(cache) = &topology.cache {
        if cache.health.state.is_unhealthy() {
            drafts.push(AlertDraft::critical(
                AlertKind::CacheDown,
                &cache.active,
                format!(
                    "active cache node {} is {}; sites that use the cache are degraded",
                    cache.active,
                    cache.health.state.as_str()
                ),
            ));
        }
        if cache.stale_clients > 0 {
            drafts.push(AlertDraft::critical(
                AlertKind::StaleClients,
                &cache.active,
                format!(
                    "{} still connected to a previous cache node after failover to {} (epoch {}); recycle them",
                    plural(cache.stale_clients, "web client is", "web clients are"),
                    cache.active,
                    cache.epoch
                ),
            ));
        }
    }

    if let Some(database) = &topology.database
        && database.health.state.is_unhealthy()
    {
        drafts.push(AlertDraft::critical(
            AlertKind::DatabaseDown,
            &database.writer,
            format!(
                "database writer {} is {}",
                database.writer,
                database.health.state.as_str()
            ),
        ));
    }

    if stuck.backends > 0 {
        let target = topology
            .database
            .as_ref()
            .map_or("database", |d| d.writer.as_str());
        drafts.push(AlertDraft::critical(
            AlertKind::StuckBackends,
            target,
            format!(
                "{} on {} stuck on a previous database writer; restart them",
                plural(stuck.backends, "backend", "backends"),
                plural(stuck.sites, "site is", "sites are"),
            ),
        ));
    }

    let capacity = failover_capacity(&topology.servers);
    let message = if capacity.stranded > capacity.free {
        Some(format!(
            "{} on unhealthy servers but only {} left on healthy ready failover servers",
            plural(capacity.stranded, "site is", "sites are"),
            plural(capacity.free, "free slot is", "free slots are"),
        ))
    } else if capacity.hosts && capacity.usable == 0 {
        Some(
            "no failover capacity: no ready failover server that is not down or flapping has a free slot; the next failed server's sites have nowhere to go"
                .to_string(),
        )
    } else {
        None
    };
    if let Some(message) = message {
        drafts.push(AlertDraft {
            kind: AlertKind::FailoverCapacity,
            severity: AlertSeverity::Warning,
            target: "failover-pool".to_string(),
            message,
        });
    }
    drafts
}

/// "The cache has no standby", "the database has no replica": a standby
/// counts unless it is the active node or down or flapping (a node not yet
/// probed counts, so a starting fleet does not alert).
fn redundancy_drafts(
    topology: &Topology,
    server_index: &HashMap<String, usize>,
) -> Vec<AlertDraft> {
    let mut drafts = Vec::new();
    let standing_by = |active: &str, nodes: &[String]| -> Result<(), String> {
        let mut lost = Vec::new();
        for node in nodes.iter().filter(|n| n.as_str() != active) {
            match server_index.get(node).map(|&i| &topology.servers[i]) {
                Some(server) if !server.health.state.is_unhealthy() => return Ok(()),
                Some(server) => lost.push(format!("{node} is {}", server.health.state.as_str())),
                None => lost.push(format!("{node} is not in the fleet")),
            }
        }
        Err(if lost.is_empty() {
            "no node follows it".to_string()
        } else {
            lost.join(", ")
        })
    };
    if let Some(cache) = &topology.cache
        && let Err(why) = standing_by(&cache.active, &cache.standby)
    {
        drafts.push(AlertDraft {
            kind: AlertKind::CacheNoStandby,
            severity: AlertSeverity::Warning,
            target: "cache".to_string(),
            message: format!(
                "the cache has no standby: {} is active and {why}; restore the cache's redundancy",
                cache.active
            ),
        });
    }
    if let Some(database) = &topology.database
        && let Err(why) = standing_by(&database.writer, &database.replicas)
    {
        drafts.push(AlertDraft {
            kind: AlertKind::DatabaseNoReplica,
            severity: AlertSeverity::Warning,
            target: "database".to_string(),
            message: format!(
                "the database has no replica: {} is the writer and {why}; rebuild a replica",
                database.writer
            ),
        });
    }
    drafts
}

/// The failover pool as the capacity alert sees it.
#[derive(Default)]
struct Capacity {
    /// Sites on unhealthy app/failover servers.
    stranded: u32,
    /// Free slots on Up and Ready failover servers.
    free: u32,
    /// Free slots on Ready failover servers that are not down or flapping
    /// (not yet probed counts: a starting fleet does not alert).
    usable: u32,
    /// Whether any server hosts sites at all.
    hosts: bool,
}

fn failover_capacity(servers: &[Server]) -> Capacity {
    let mut capacity = Capacity::default();
    for server in servers {
        let hosts_sites = matches!(server.role, Role::App | Role::Failover);
        capacity.hosts |= hosts_sites;
        if hosts_sites && server.health.state.is_unhealthy() {
            capacity.stranded = capacity.stranded.saturating_add(server.site_count);
        }
        if server.role == Role::Failover && server.admin == Admin::Ready {
            let slots = server.capacity.saturating_sub(server.site_count);
            if server.health.state == HealthState::Up {
                capacity.free = capacity.free.saturating_add(slots);
            }
            if !server.health.state.is_unhealthy() {
                capacity.usable = capacity.usable.saturating_add(slots);
            }
        }
    }
    capacity
}

/// How many nodes a switch alert names besides the latest one.
const EVIDENCE_NAMED: usize = 3;

/// What one node behind a suspect switch shows.
enum Evidence {
    Down,
    Flapping,
    FailedProbe,
}

/// The evidence against a suspect switch, in one clause: the node with the
/// latest evidence, then "while" the oldest others, e.g. "app-05
/// failed a probe at 23:00:03 UTC while app-04 has been down since 22:15:15
/// UTC". Evidence is a node down or flapping (since when), or one that
/// failed a probe within `window` of `at` (when).
fn switch_evidence<'s>(
    behind: impl Iterator<Item = (&'s Server, Option<Timestamp>)>,
    at: Timestamp,
    window: TimeDelta,
) -> String {
    let mut evidence: Vec<(Timestamp, &str, Evidence)> = behind
        .filter_map(|(server, last_failure)| match server.health.state {
            HealthState::Down => Some((server.health.since, server.id.as_str(), Evidence::Down)),
            HealthState::Flapping => {
                Some((server.health.since, server.id.as_str(), Evidence::Flapping))
            }
            _ => last_failure
                .filter(|&f| at - f <= window)
                .map(|f| (f, server.id.as_str(), Evidence::FailedProbe)),
        })
        .collect();
    // Oldest first, ties by id, so the sentence is stable.
    evidence.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let Some((lead_at, lead, lead_kind)) = evidence.pop() else {
        return "no node behind it shows a failure any more".to_string();
    };
    let lead = match lead_kind {
        Evidence::Down => format!("{lead} went down at {}", clock(lead_at)),
        Evidence::Flapping => format!("{lead} started flapping at {}", clock(lead_at)),
        Evidence::FailedProbe => format!("{lead} failed a probe at {}", clock(lead_at)),
    };
    if evidence.is_empty() {
        return lead;
    }
    let mut others: Vec<String> = evidence
        .iter()
        .take(EVIDENCE_NAMED)
        .map(|(t, id, kind)| match kind {
            Evidence::Down => format!("{id} has been down since {}", clock(*t)),
            Evidence::Flapping => format!("{id} has been flapping since {}", clock(*t)),
            Evidence::FailedProbe => format!("{id} failed a probe at {}", clock(*t)),
        })
        .collect();
    if evidence.len() > EVIDENCE_NAMED {
        others.push(plural(
            u32::try_from(evidence.len() - EVIDENCE_NAMED).unwrap_or(u32::MAX),
            "more node failing",
            "more nodes failing",
        ));
    }
    format!("{lead} while {}", join_and(&others))
}

/// "a", "a and b", "a, b and c".
fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A time of day as the fleet keeps it: "22:15:15 UTC".
fn clock(at: Timestamp) -> String {
    at.format("%H:%M:%S UTC").to_string()
}

/// "app server app-04 behind sw-2".
fn describe(server: &Server) -> String {
    format!(
        "{} server {} behind {}",
        server.role.as_str(),
        server.id,
        server.switch
    )
}

/// "; 3 sites run on it", or nothing for a server without sites.
fn sites_on(server: &Server) -> String {
    if server.site_count == 0 {
        String::new()
    } else {
        format!(
            "; {} on it",
            plural(server.site_count, "site runs", "sites run")
        )
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "15 minutes", "90 seconds", "hour" (as in "in the last hour").
fn duration_words(seconds: u64) -> String {
    let count = |n: u64, one: &str, many: &str| {
        if n == 1 {
            one.to_string()
        } else {
            format!("{n} {many}")
        }
    };
    if seconds.is_multiple_of(3600) {
        count(seconds / 3600, "hour", "hours")
    } else if seconds.is_multiple_of(60) {
        count(seconds / 60, "minute", "minutes")
    } else {
        count(seconds, "second", "seconds")
    }
}
