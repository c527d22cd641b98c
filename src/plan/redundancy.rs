//! Restoring redundancy after the fire (DESIGN.md §4): promoted spares back
//! to the app role, the cache back on its primary with a standby, the
//! database writer with a replica again.
//!
//! "Normal" is what the fleet file says (`PlannerSettings::normal`): which
//! servers are app servers, which cache and database nodes are primaries.

use std::collections::{BTreeMap, BTreeSet};

use super::PlannerSettings;
use super::draft::Draft;
use super::error::PlanError;
use super::nodes::node_fit;
use super::view::{FleetView, count, free_slots, health_problem, list_ids, scope_for_servers};
use crate::model::{
    Admin, HealthState, PlanKind, PlanOptions, PlanRequest, Role, Server, StepOp, SwitchHealth,
    Timestamp,
};

/// `demote_spares`: promoted spares (failover servers the fleet file makes
/// app servers) go back to the app role once no other server's sites are
/// left on them. A named spare that still carries such sites is refused
/// with the reason; without a target, those are left out with a warning.
pub(super) fn demote_spares(
    view: &FleetView<'_>,
    request: &PlanRequest,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let kind = PlanKind::DemoteSpares;
    let app_servers = &settings.normal.app_servers;
    let is_promoted = |s: &Server| s.role == Role::Failover && app_servers.contains(&s.id);
    let guests = guests_by_server(view);
    let blocked_reason = |id: &str| -> Option<String> {
        let homes = guests.get(id)?;
        let sites: usize = homes.values().sum();
        let home_ids: Vec<&str> = homes.keys().copied().collect();
        Some(format!(
            "{id} still carries {} from {}: fail them back first",
            count(sites, "site"),
            list_ids(&home_ids)
        ))
    };

    let (demoted, blocked): (Vec<&Server>, Vec<(&str, String)>) = match request.target.as_deref() {
        Some(id) => {
            let Some(server) = view.server(id) else {
                return Err(PlanError::UnknownTarget {
                    target: id.to_string(),
                    expected: "server",
                });
            };
            if !is_promoted(server) {
                return Err(match server.role {
                    Role::App => PlanError::NothingToDo(format!("{id} is already an app server")),
                    Role::Failover => PlanError::WrongTarget {
                        kind,
                        target: id.to_string(),
                        reason: format!(
                            "{id} is a failover server in the fleet file, not a promoted spare"
                        ),
                    },
                    role => PlanError::WrongTarget {
                        kind,
                        target: id.to_string(),
                        reason: format!("{id} is a {} server, not a spare", role.as_str()),
                    },
                });
            }
            if let Some(reason) = blocked_reason(id) {
                return Err(PlanError::UnsafeTarget {
                    target: id.to_string(),
                    reason,
                });
            }
            (vec![server], Vec::new())
        }
        None => {
            let mut promoted: Vec<&Server> = view
                .topology
                .servers
                .iter()
                .filter(|s| is_promoted(s))
                .collect();
            promoted.sort_by(|a, b| a.id.cmp(&b.id));
            promoted.dedup_by(|a, b| a.id == b.id);
            if promoted.is_empty() {
                return Err(PlanError::NothingToDo(
                    "no promoted spare: every failover server is one the fleet file names"
                        .to_string(),
                ));
            }
            let mut free = Vec::new();
            let mut blocked = Vec::new();
            for server in promoted {
                match blocked_reason(&server.id) {
                    Some(reason) => blocked.push((server.id.as_str(), reason)),
                    None => free.push(server),
                }
            }
            if free.is_empty() {
                let ids: Vec<&str> = blocked.iter().map(|(id, _)| *id).collect();
                let reasons: Vec<&str> = blocked.iter().map(|(_, r)| r.as_str()).collect();
                return Err(PlanError::UnsafeTarget {
                    target: list_ids(&ids),
                    reason: reasons.join("; "),
                });
            }
            (free, blocked)
        }
    };

    let ids: Vec<&str> = demoted.iter().map(|s| s.id.as_str()).collect();
    let mut draft = Draft::new(
        kind,
        request.target.clone(),
        scope_for_servers(view, &ids),
        settings,
    );
    if !blocked.is_empty() {
        for (id, reason) in &blocked {
            draft.warn(format!("{id} stays a failover server: {reason}"));
        }
        draft.offers.push(PlanRequest {
            kind: PlanKind::Failback,
            target: None,
            options: PlanOptions::default(),
        });
    }
    let left: u32 = view
        .topology
        .servers
        .iter()
        .filter(|s| {
            s.role == Role::Failover
                && !ids.contains(&s.id.as_str())
                && s.health.state == HealthState::Up
                && s.admin == Admin::Ready
        })
        .map(free_slots)
        .sum();
    if left == 0 {
        draft.warn(
            "no failover capacity is left after this: no healthy ready failover server has a free slot"
                .to_string(),
        );
    }
    let stranded: Vec<&str> = view
        .topology
        .servers
        .iter()
        .filter(|s| {
            matches!(s.role, Role::App | Role::Failover)
                && s.health.state.is_unhealthy()
                && s.site_count > 0
        })
        .map(|s| s.id.as_str())
        .collect();
    if !stranded.is_empty() {
        draft.warn(format!(
            "{} still down or flapping with sites on {}: failover capacity may be needed again",
            list_ids(&stranded),
            if stranded.len() == 1 { "it" } else { "them" }
        ));
    }
    for server in &demoted {
        draft.step(
            StepOp::SetRole {
                server: server.id.clone(),
                role: Role::App,
            },
            format!("return {} to the app role", server.id),
        );
    }
    draft.summary = format!(
        "Return {} to the app role: no other server's sites are left on {}.",
        list_ids(&ids),
        if ids.len() == 1 { "it" } else { "them" }
    );
    Ok(draft)
}

/// Per server: the sites on it whose home is another server, counted by home.
fn guests_by_server<'a>(view: &FleetView<'a>) -> BTreeMap<&'a str, BTreeMap<&'a str, usize>> {
    let mut guests: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for site in &view.topology.sites {
        if site.server != site.home_server {
            *guests
                .entry(site.server.as_str())
                .or_default()
                .entry(site.home_server.as_str())
                .or_default() += 1;
        }
    }
    guests
}

/// `restore_cache`: when the active node is not the fleet file's primary
/// and the primary is healthy and stable, fail back to it (making it a
/// standby first if it is not one); the node it leaves becomes its standby.
/// Otherwise, when the active node has no healthy standby, make a healthy
/// cache node (the target, or the first by id) its standby.
pub(super) fn restore_cache(
    view: &FleetView<'_>,
    request: &PlanRequest,
    now: Timestamp,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let kind = PlanKind::RestoreCache;
    let cache = view
        .topology
        .cache
        .as_ref()
        .ok_or_else(|| PlanError::NotConfigured("cache".into()))?;
    let active = cache.active.as_str();
    let target = request.target.as_deref();
    if let Some(id) = target {
        check_member(view, kind, id, Role::Cache, "cache node")?;
        if id == active {
            return Err(PlanError::NothingToDo(format!(
                "{id} is already the active cache node"
            )));
        }
    }
    let healthy_standby: Vec<&str> = cache
        .standby
        .iter()
        .filter(|n| n.as_str() != active && matches!(node_fit(view, n), Ok(None)))
        .map(String::as_str)
        .collect();
    let primary = settings
        .normal
        .cache_primary
        .as_deref()
        .filter(|p| *p != active && view.server(p).is_some());

    // Fail back to the primary: the normal configuration.
    if let Some(primary) = primary
        && target.is_none_or(|t| t == primary)
    {
        match stable_node(view, primary, now, settings.failback_stable_s) {
            Ok(()) => {
                let mut draft =
                    Draft::new(kind, Some(primary.to_string()), "cache".into(), settings);
                if !cache.standby.iter().any(|n| n == primary) {
                    draft.long_step(
                        StepOp::CacheStandby {
                            node: primary.to_string(),
                            active: active.to_string(),
                        },
                        format!("make {primary} a standby of {active} again"),
                    );
                }
                draft.wait_healthy(primary, settings.failback_stable_s);
                draft.step(
                    StepOp::CacheFailover {
                        from: active.to_string(),
                        to: primary.to_string(),
                    },
                    format!("make {primary} the active cache node again instead of {active}"),
                );
                if let Some(problem) = view
                    .server(active)
                    .and_then(|s| health_problem(s.health.state))
                {
                    draft.warn(format!(
                        "{active} {problem}: the cache has no healthy standby until it is back"
                    ));
                }
                draft.warn(format!(
                    "web servers may keep stale connections to {active} after the switch; follow with recycle_web"
                ));
                draft.offers.push(PlanRequest {
                    kind: PlanKind::RecycleWeb,
                    target: None,
                    options: PlanOptions::default(),
                });
                draft.summary = format!(
                    "Fail the cache back to its primary {primary}; {active} becomes its standby."
                );
                return Ok(draft);
            }
            Err(reason) if target.is_some() || !healthy_standby.is_empty() => {
                return Err(PlanError::UnsafeTarget {
                    target: primary.to_string(),
                    reason: format!("the cache cannot fail back yet: {reason}"),
                });
            }
            // No healthy standby: re-establish one below, the primary when it can be.
            Err(_) => {}
        }
    }

    if let Some(id) = target
        && healthy_standby.contains(&id)
    {
        return Err(PlanError::NothingToDo(format!(
            "{id} is already a healthy standby of {active}"
        )));
    }
    if target.is_none() && !healthy_standby.is_empty() {
        return Err(PlanError::NothingToDo(format!(
            "{active} is the active cache node and {} its healthy standby",
            list_ids(&healthy_standby)
        )));
    }
    let node = standby_candidate(view, Role::Cache, active, &healthy_standby, target, "cache")?;
    let mut draft = Draft::new(kind, Some(node.to_string()), "cache".into(), settings);
    draft.long_step(
        StepOp::CacheStandby {
            node: node.to_string(),
            active: active.to_string(),
        },
        format!("make {node} the standby of {active}: its copy is rebuilt from {active}"),
    );
    if primary == Some(node) {
        draft.offers.push(PlanRequest {
            kind,
            target: None,
            options: PlanOptions::default(),
        });
        draft.warn(format!(
            "{node} is the primary: once it has been up {} s, restore_cache again fails back to it",
            settings.failback_stable_s
        ));
    }
    draft.summary = format!("Make {node} the standby of the active cache node {active}.");
    Ok(draft)
}

/// `restore_db_replica`: after a failover the writer has no healthy
/// replica; rebuild a healthy database node outside the cluster (the old
/// writer, once back) as a streaming replica of the writer.
pub(super) fn restore_db_replica(
    view: &FleetView<'_>,
    request: &PlanRequest,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let kind = PlanKind::RestoreDbReplica;
    let db = view
        .topology
        .database
        .as_ref()
        .ok_or_else(|| PlanError::NotConfigured("database".into()))?;
    let writer = db.writer.as_str();
    let target = request.target.as_deref();
    if let Some(id) = target {
        check_member(view, kind, id, Role::Db, "database node")?;
        if id == writer {
            return Err(PlanError::WrongTarget {
                kind,
                target: id.to_string(),
                reason: format!("{id} is the writer; a replica follows it"),
            });
        }
    }
    let healthy_replicas: Vec<&str> = db
        .replicas
        .iter()
        .filter(|n| n.as_str() != writer && matches!(node_fit(view, n), Ok(None)))
        .map(String::as_str)
        .collect();
    if let Some(id) = target
        && healthy_replicas.contains(&id)
    {
        return Err(PlanError::NothingToDo(format!(
            "{id} already replicates {writer}"
        )));
    }
    if target.is_none() && !healthy_replicas.is_empty() {
        return Err(PlanError::NothingToDo(format!(
            "the writer {writer} has a healthy replica: {}",
            list_ids(&healthy_replicas)
        )));
    }
    let node = standby_candidate(
        view,
        Role::Db,
        writer,
        &healthy_replicas,
        target,
        "database",
    )?;
    let mut draft = Draft::new(kind, Some(node.to_string()), "database".into(), settings);
    if let Some(problem) = health_problem(db.health.state) {
        draft.warn(format!(
            "the writer {writer} {problem}: copying its data may fail"
        ));
    }
    if settings.normal.database_primary.as_deref() == Some(node) {
        draft.warn(format!(
            "{node} was the writer before the failover: writes it had not replicated are discarded with its old data"
        ));
    }
    draft.long_step(
        StepOp::RebuildReplica {
            node: node.to_string(),
            writer: writer.to_string(),
        },
        format!(
            "rebuild {node} as a streaming replica of {writer}: a fresh copy of {writer}'s data, then streaming"
        ),
    );
    draft.summary = format!("Rebuild {node} as a replica of the database writer {writer}.");
    Ok(draft)
}

/// Refuses a target that is not a node of `role`.
fn check_member(
    view: &FleetView<'_>,
    kind: PlanKind,
    id: &str,
    role: Role,
    what: &'static str,
) -> Result<(), PlanError> {
    match view.server(id) {
        None => Err(PlanError::UnknownTarget {
            target: id.to_string(),
            expected: what,
        }),
        Some(server) if server.role != role => Err(PlanError::WrongTarget {
            kind,
            target: id.to_string(),
            reason: format!("{id} is a {} server, not a {what}", server.role.as_str()),
        }),
        Some(_) => Ok(()),
    }
}

/// The node that becomes the standby (replica) of `active`: the target, or
/// the first by id of the nodes of `role` that are neither active nor
/// already healthy standbys, and are up, ready and behind a healthy switch.
fn standby_candidate<'a>(
    view: &FleetView<'a>,
    role: Role,
    active: &str,
    healthy: &[&str],
    target: Option<&'a str>,
    component: &str,
) -> Result<&'a str, PlanError> {
    if let Some(id) = target {
        return match node_fit(view, id) {
            Ok(None) => Ok(id),
            Ok(Some(reason)) | Err(reason) => Err(PlanError::UnsafeTarget {
                target: id.to_string(),
                reason,
            }),
        };
    }
    let mut nodes: Vec<&Server> = view
        .topology
        .servers
        .iter()
        .filter(|s| s.role == role && s.id != active && !healthy.contains(&s.id.as_str()))
        .collect();
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    nodes.dedup_by(|a, b| a.id == b.id);
    let mut refused = Vec::new();
    for node in &nodes {
        match node_fit(view, &node.id) {
            Ok(None) => return Ok(node.id.as_str()),
            Ok(Some(reason)) | Err(reason) => refused.push(reason),
        }
    }
    let nothing = if refused.is_empty() {
        format!("the {component} has no node besides {active}")
    } else {
        format!(
            "no {component} node can follow {active} now: {}",
            refused
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    Err(PlanError::NoHealthyTarget(nothing))
}

/// Ok when `id` is up (not degraded), not in maintenance, behind a healthy
/// switch and has been up `stable_s` seconds; otherwise why not.
fn stable_node(
    view: &FleetView<'_>,
    id: &str,
    now: Timestamp,
    stable_s: u64,
) -> Result<(), String> {
    let Some(server) = view.server(id) else {
        return Err(format!("{id} is not in the fleet"));
    };
    if let Some(problem) = health_problem(server.health.state) {
        return Err(format!("{id} {problem}"));
    }
    if server.admin == Admin::Maint {
        return Err(format!("{id} is in maintenance"));
    }
    let switch = view.switch_health(server);
    if switch != SwitchHealth::Ok {
        return Err(format!(
            "{id} is behind {} switch {}",
            switch.as_str(),
            server.switch
        ));
    }
    let up_for = u64::try_from((now - server.health.since).num_seconds()).unwrap_or(0);
    if up_for < stable_s {
        return Err(format!("{id} up for {up_for} s, needs {stable_s} s stable"));
    }
    Ok(())
}
