//! Evacuation of one or several failed servers at once, and promotion of a
//! spare app server into the failover pool when capacity runs out.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashSet};

use super::PlannerSettings;
use super::draft::Draft;
use super::error::PlanError;
use super::view::{FleetView, count, free_slots, hosts_sites, list_ids, scope_for_servers};
use crate::model::{
    Admin, HealthState, PlanKind, PlanOptions, PlanRequest, Role, Server, Site, StepOp,
    SwitchHealth,
};

/// `evacuate_server` / `evacuate_switch`, plus every source in `options.also`.
///
/// Every source is marked ineligible before any site is placed, so no site
/// lands on another failing server. Sites go, in order (down longest first,
/// then by id), to the healthy ready failover server with the most free
/// slots (ties by id); no target goes over its capacity; what does not fit
/// is listed with the reason, and spares to promote are offered.
pub(super) fn evacuation<'a>(
    view: &FleetView<'a>,
    request: &PlanRequest,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let kind = request.kind;
    let target = request
        .target
        .as_deref()
        .ok_or(PlanError::MissingTarget { kind })?;
    let mut sources: BTreeMap<&'a str, &'a Server> = BTreeMap::new();
    if kind == PlanKind::EvacuateSwitch {
        add_switch(view, kind, target, &mut sources)?;
    } else {
        let server = source_server(view, kind, target)?;
        sources.insert(server.id.as_str(), server);
    }
    for extra in &request.options.also {
        if view.switch(extra).is_some() {
            add_switch(view, kind, extra, &mut sources)?;
        } else if view.server(extra).is_some() {
            let server = source_server(view, kind, extra)?;
            sources.insert(server.id.as_str(), server);
        } else {
            return Err(PlanError::UnknownTarget {
                target: extra.clone(),
                expected: "server or switch",
            });
        }
    }
    if sources.is_empty() {
        return Err(PlanError::NothingToDo(format!(
            "no app or failover server sits behind {target}"
        )));
    }

    // A hash set: this test runs once per site of the whole fleet.
    let is_source: HashSet<&str> = sources.keys().copied().collect();
    let mut moving: Vec<&Site> = view
        .topology
        .sites
        .iter()
        .filter(|site| is_source.contains(site.server.as_str()))
        .collect();
    // Sites down longest go first: they are the ones hurting now.
    moving.sort_by(|a, b| {
        (a.down_since.is_none(), a.down_since, &a.id).cmp(&(
            b.down_since.is_none(),
            b.down_since,
            &b.id,
        ))
    });
    let to_drain: Vec<&Server> = sources
        .values()
        .filter(|s| s.admin == Admin::Ready)
        .copied()
        .collect();
    let source_ids: Vec<&str> = sources.keys().copied().collect();
    if moving.is_empty() && to_drain.is_empty() {
        return Err(PlanError::NothingToDo(format!(
            "{} {} no sites and {} already drained",
            list_ids(&source_ids),
            if source_ids.len() == 1 {
                "hosts"
            } else {
                "host"
            },
            if source_ids.len() == 1 { "is" } else { "are" },
        )));
    }

    let scope = match kind {
        PlanKind::EvacuateSwitch if request.options.also.is_empty() => format!("switch:{target}"),
        _ => scope_for_servers(view, &source_ids),
    };
    let mut draft = Draft::new(kind, Some(target.to_string()), scope, settings);
    warn_switch_left_behind(view, &sources, &mut draft);
    for source in sources.values() {
        if source.health.state == HealthState::Up && source.site_count > 0 {
            draft.warn(format!(
                "{} is up: its sites move off a healthy server",
                source.id
            ));
        }
    }
    let already_down = moving
        .iter()
        .filter(|s| s.health.state == HealthState::Down)
        .count();
    if already_down > 0 {
        draft.warn(match (already_down, moving.len()) {
            (1, 1) => "the site is already down".to_string(),
            (down, all) if down == all => format!("all {all} sites are already down"),
            (down, all) => format!("{down} of the {all} sites are already down"),
        });
    }

    let targets = failover_targets(view, &sources, &mut draft);
    for source in &to_drain {
        draft.step(
            StepOp::SetAdmin {
                server: source.id.clone(),
                admin: Admin::Drain,
            },
            format!("drain {} so that nothing new lands on it", source.id),
        );
    }

    // Max-heap on (free slots, lowest id): O(sites × log targets).
    let mut heap: BinaryHeap<(u32, Reverse<usize>)> = targets
        .iter()
        .enumerate()
        .map(|(rank, server)| (free_slots(server), Reverse(rank)))
        .filter(|&(free, _)| free > 0)
        .collect();
    let total_free: usize = heap.iter().map(|&(free, _)| free as usize).sum();
    let no_capacity = format!(
        "no failover capacity left: {} for {}",
        count(total_free, "free slot"),
        count(moving.len(), "site")
    );
    let mut used = vec![false; targets.len()];
    for site in &moving {
        match heap.pop() {
            Some((free, Reverse(rank))) => {
                draft.move_site(&site.id, &site.server, &targets[rank].id);
                used[rank] = true;
                if free > 1 {
                    heap.push((free - 1, Reverse(rank)));
                }
            }
            None => draft.cannot_place(&site.id, &site.server, &no_capacity),
        }
    }
    if !draft.unplaceable.is_empty() {
        offer_spares(view, &sources, &mut draft);
    }

    let used_ids: Vec<&str> = targets
        .iter()
        .zip(&used)
        .filter(|&(_, &used)| used)
        .map(|(server, _)| server.id.as_str())
        .collect();
    let what = format!(
        "{} ({})",
        list_ids(&source_ids),
        count(moving.len(), "site")
    );
    draft.summary = match (draft.placements.len(), draft.unplaceable.len()) {
        (0, 0) => format!("Drain {}; no site to move.", list_ids(&source_ids)),
        (_, 0) => format!("Evacuate {what} onto {}.", list_ids(&used_ids)),
        (0, stuck) => format!(
            "Drain {what}: no failover capacity, {} cannot be placed.",
            count(stuck, "site")
        ),
        (placed, stuck) => format!(
            "Evacuate {what}: {placed} onto {}, {stuck} cannot be placed.",
            list_ids(&used_ids)
        ),
    };
    Ok(draft)
}

/// `promote_spare`: the named app server, or the best candidate, joins the failover pool.
pub(super) fn promote_spare(
    view: &FleetView<'_>,
    request: &PlanRequest,
    settings: &PlannerSettings,
) -> Result<Draft, PlanError> {
    let kind = PlanKind::PromoteSpare;
    let server = match request.target.as_deref() {
        Some(id) => {
            let Some(server) = view.server(id) else {
                return Err(not_a_server(view, kind, id));
            };
            match server.role {
                Role::App => {}
                Role::Failover => {
                    return Err(PlanError::NothingToDo(format!(
                        "{id} is already a failover server"
                    )));
                }
                role => {
                    return Err(PlanError::WrongTarget {
                        kind,
                        target: id.to_string(),
                        reason: format!(
                            "{id} is a {} server; only app servers become spares",
                            role.as_str()
                        ),
                    });
                }
            }
            if let Some(reason) = view.unfit_to_host(server) {
                return Err(PlanError::UnsafeTarget {
                    target: id.to_string(),
                    reason,
                });
            }
            server
        }
        None => *spare_candidates(view, &BTreeMap::new(), &BTreeSet::new())
            .first()
            .ok_or_else(|| {
                PlanError::NoHealthyTarget(
                    "no app server is up, ready, behind a healthy switch and has free slots"
                        .to_string(),
                )
            })?,
    };

    let id = server.id.as_str();
    let free = free_slots(server);
    let mut draft = Draft::new(kind, Some(id.to_string()), format!("server:{id}"), settings);
    if server.site_count > 0 {
        draft.warn(format!(
            "{id} keeps its {}; it adds {} to the failover pool",
            count(server.site_count as usize, "site"),
            count(free as usize, "free slot")
        ));
    }
    draft.step(
        StepOp::SetRole {
            server: id.to_string(),
            role: Role::Failover,
        },
        format!("make {id} a failover server"),
    );
    draft.summary = format!(
        "Promote {id} into the failover pool ({}).",
        count(free as usize, "free slot")
    );
    Ok(draft)
}

/// App servers that could join the failover pool, best first: up, ready,
/// behind a healthy switch not in `avoid_switches`, not a source, with free
/// slots; most free slots first, ties by id.
fn spare_candidates<'a>(
    view: &FleetView<'a>,
    sources: &BTreeMap<&str, &Server>,
    avoid_switches: &BTreeSet<&str>,
) -> Vec<&'a Server> {
    let mut candidates: Vec<&Server> = view
        .topology
        .servers
        .iter()
        .filter(|s| {
            s.role == Role::App
                && free_slots(s) > 0
                && !sources.contains_key(s.id.as_str())
                && !avoid_switches.contains(s.switch.as_str())
                && view.unfit_to_host(s).is_none()
        })
        .collect();
    candidates
        .sort_by(|a, b| (Reverse(free_slots(a)), &a.id).cmp(&(Reverse(free_slots(b)), &b.id)));
    candidates.dedup_by(|a, b| a.id == b.id);
    candidates
}

/// Offers the fewest best spares whose free slots cover the sites left
/// unplaced (or all there are), and says what they add.
fn offer_spares(view: &FleetView<'_>, sources: &BTreeMap<&str, &Server>, draft: &mut Draft) {
    let shortfall = draft.unplaceable.len();
    let affected: BTreeSet<&str> = sources.values().map(|s| s.switch.as_str()).collect();
    let mut offered = Vec::new();
    let mut added = 0usize;
    for candidate in spare_candidates(view, sources, &affected) {
        if added >= shortfall {
            break;
        }
        added += free_slots(candidate) as usize;
        offered.push(candidate.id.as_str());
    }
    let unplaced = format!("{} cannot be placed", count(shortfall, "site"));
    if offered.is_empty() {
        let outside = list_ids(&affected.iter().collect::<Vec<_>>());
        let warning = format!(
            "{unplaced}: no healthy ready app server outside {outside} has free slots to promote into the failover pool"
        );
        draft.warnings.insert(0, warning);
        return;
    }
    let short = if added < shortfall {
        format!(", still {} short", shortfall - added)
    } else {
        String::new()
    };
    // The shortfall is the news a commander needs first.
    let (spares, slots) = (list_ids(&offered), count(added, "free slot"));
    let warning = format!(
        "{unplaced}: promoting {spares} into the failover pool adds {slots}{short}; then plan the evacuation again"
    );
    draft.warnings.insert(0, warning);
    draft.offers.extend(offered.iter().map(|id| PlanRequest {
        kind: PlanKind::PromoteSpare,
        target: Some((*id).to_string()),
        options: PlanOptions::default(),
    }));
}

/// Failover servers that may receive sites, sorted by id; the others
/// (not sources) are named in a warning with the reason.
fn failover_targets<'a>(
    view: &FleetView<'a>,
    sources: &BTreeMap<&str, &Server>,
    draft: &mut Draft,
) -> Vec<&'a Server> {
    let mut targets = Vec::new();
    let mut refused = Vec::new();
    for server in &view.topology.servers {
        if server.role != Role::Failover || sources.contains_key(server.id.as_str()) {
            continue;
        }
        match view.unfit_to_host(server) {
            None => targets.push(server),
            Some(reason) => refused.push(reason),
        }
    }
    targets.sort_by(|a, b| a.id.cmp(&b.id));
    targets.dedup_by(|a, b| a.id == b.id);
    refused.sort();
    refused.dedup();
    for reason in refused {
        draft.warn(format!("{reason}: not used as a failover target"));
    }
    targets
}

/// Warns when a suspect or down switch has servers with sites that this
/// plan leaves behind, and offers the switch evacuation instead.
fn warn_switch_left_behind(
    view: &FleetView<'_>,
    sources: &BTreeMap<&str, &Server>,
    draft: &mut Draft,
) {
    let switches: BTreeSet<&str> = sources.values().map(|s| s.switch.as_str()).collect();
    for switch_id in switches {
        let Some(switch) = view.switch(switch_id) else {
            continue;
        };
        if switch.health == SwitchHealth::Ok {
            continue;
        }
        let behind = view.site_hosts_behind(switch_id);
        let left: Vec<&str> = behind
            .iter()
            .filter(|s| !sources.contains_key(s.id.as_str()) && s.site_count > 0)
            .map(|s| s.id.as_str())
            .collect();
        if left.is_empty() {
            continue;
        }
        let evacuated: Vec<&str> = behind
            .iter()
            .filter(|s| sources.contains_key(s.id.as_str()))
            .map(|s| s.id.as_str())
            .collect();
        draft.warn(format!(
            "switch {switch_id} is {}: evacuating {}{} leaves {} behind it",
            switch.health.as_str(),
            list_ids(&evacuated),
            if evacuated.len() == 1 { " alone" } else { "" },
            list_ids(&left)
        ));
        let also: Vec<String> = sources
            .values()
            .filter(|s| s.switch != switch_id)
            .map(|s| s.id.clone())
            .collect();
        draft.offers.push(PlanRequest {
            kind: PlanKind::EvacuateSwitch,
            target: Some(switch_id.to_string()),
            options: PlanOptions {
                sites: Vec::new(),
                also,
            },
        });
    }
}

/// An evacuation source named directly: an app or failover server.
fn source_server<'a>(
    view: &FleetView<'a>,
    kind: PlanKind,
    id: &str,
) -> Result<&'a Server, PlanError> {
    match view.server(id) {
        Some(server) if hosts_sites(server.role) => Ok(server),
        Some(server) => Err(PlanError::WrongTarget {
            kind,
            target: id.to_string(),
            reason: format!(
                "{id} is a {} server; only app and failover servers host sites",
                server.role.as_str()
            ),
        }),
        None => Err(not_a_server(view, kind, id)),
    }
}

/// Every app and failover server behind the switch becomes a source.
fn add_switch<'a>(
    view: &FleetView<'a>,
    kind: PlanKind,
    id: &str,
    sources: &mut BTreeMap<&'a str, &'a Server>,
) -> Result<(), PlanError> {
    if view.switch(id).is_none() {
        return Err(if view.server(id).is_some() {
            PlanError::WrongTarget {
                kind,
                target: id.to_string(),
                reason: format!("{id} is a server; use evacuate_server"),
            }
        } else {
            PlanError::UnknownTarget {
                target: id.to_string(),
                expected: "switch",
            }
        });
    }
    for server in view.site_hosts_behind(id) {
        sources.insert(server.id.as_str(), server);
    }
    Ok(())
}

/// The error for an id that names no server: a switch where a server was
/// expected, or nothing at all.
fn not_a_server(view: &FleetView<'_>, kind: PlanKind, id: &str) -> PlanError {
    if view.switch(id).is_some() {
        let reason = if kind == PlanKind::EvacuateServer {
            format!("{id} is a switch; use evacuate_switch")
        } else {
            format!("{id} is a switch, not a server")
        };
        PlanError::WrongTarget {
            kind,
            target: id.to_string(),
            reason,
        }
    } else {
        PlanError::UnknownTarget {
            target: id.to_string(),
            expected: "server",
        }
    }
}
