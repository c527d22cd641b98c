//! Recommendations (DESIGN.md §4, issue 15): for the open alerts, the plans
//! worth making now, best first, each with one sentence saying why.
//!
//! Only what the planner can actually make is offered: every candidate is
//! planned with [`make_plan`] and left out when the planner refuses it or
//! the plan has no step. A plan that cannot place every site is still
//! offered; its reason says what it cannot place and which spare it offers.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::TimeDelta;

use super::view::{count, list_ids};
use super::{PlannerSettings, make_plan};
use crate::model::{
    Admin, Alert, AlertKind, HealthState, Plan, PlanKind, PlanOptions, PlanRequest, Recommendation,
    Role, Server, StepOp, SwitchHealth, Timestamp, Topology,
};

/// The id the candidate plans get: they are thrown away.
const CANDIDATE: &str = "recommendation";

/// Ranks, best first: the alert's severity and how much it unblocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Switch,
    Server,
    Database,
    Cache,
    StuckBackends,
    StaleClients,
    Capacity,
    Failback,
    Redundancy,
}

/// The plans worth making now for `alerts` on `topology`, best first.
///
/// Resolved alerts are ignored; silenced or acknowledged ones still count.
/// Pure and deterministic: the same inputs give the same list, ties broken
/// by target id. See the module documentation for what is offered.
pub fn recommend(
    topology: &Topology,
    alerts: &[Alert],
    now: Timestamp,
    settings: &PlannerSettings,
) -> Vec<Recommendation> {
    let open: Vec<&Alert> = alerts.iter().filter(|a| a.resolved_at.is_none()).collect();
    let servers: HashMap<&str, &Server> = topology
        .servers
        .iter()
        .rev() // the first entry of a duplicated id wins, as in the planner
        .map(|s| (s.id.as_str(), s))
        .collect();
    let mut ranked: Vec<(Rank, u32, String, Recommendation)> = Vec::new();
    let mut offer = |rank: Rank, weight: u32, recommendation: Recommendation| {
        let key = recommendation.request.target.clone().unwrap_or_default();
        ranked.push((rank, weight, key, recommendation));
    };

    // Suspect (or down) switches, from their alerts.
    let mut suspect: BTreeMap<&str, Vec<&Alert>> = BTreeMap::new();
    for alert in open.iter().filter(|a| a.kind == AlertKind::SwitchSuspect) {
        suspect
            .entry(alert.target.as_str())
            .or_default()
            .push(alert);
    }
    let behind_suspect = |server: &Server| suspect.contains_key(server.switch.as_str());
    let server_alerts: Vec<(&Alert, &Server)> = open
        .iter()
        .filter(|a| matches!(a.kind, AlertKind::ServerDown | AlertKind::ServerFlapping))
        .filter_map(|a| servers.get(a.target.as_str()).map(|s| (*a, *s)))
        .filter(|(_, s)| matches!(s.role, Role::App | Role::Failover))
        .collect();

    let mut evacuating = false;
    for (switch, switch_alerts) in &suspect {
        let mut answered = switch_alerts.clone();
        answered.extend(
            server_alerts
                .iter()
                .filter(|(_, s)| s.switch == *switch)
                .map(|(a, _)| *a),
        );
        let request = request(PlanKind::EvacuateSwitch, Some(switch));
        let Some(plan) = candidate(topology, &request, now, settings) else {
            continue;
        };
        let mut failing: Vec<&Server> = server_alerts
            .iter()
            .filter(|(_, s)| s.switch == *switch)
            .map(|(_, s)| *s)
            .collect();
        failing.sort_by(|a, b| a.id.cmp(&b.id));
        failing.dedup_by(|a, b| a.id == b.id);
        let failing: Vec<String> = failing
            .iter()
            .map(|s| format!("{} {}", s.id, s.health.state.as_str()))
            .collect();
        let state = topology
            .switches
            .iter()
            .find(|s| s.id == *switch)
            .map_or(SwitchHealth::Suspect, |s| s.health);
        let what = if failing.is_empty() {
            format!("{switch} is {}", switch_word(state))
        } else {
            format!(
                "{switch} is {} ({})",
                switch_word(state),
                list_ids(&failing)
            )
        };
        let sites = plan.placements.len() + plan.unplaceable.len();
        let reason = format!(
            "{what}: {}",
            moves(
                &plan,
                &format!("its {}", count(sites, "site")),
                "in one plan"
            )
        );
        evacuating = true;
        offer(
            Rank::Switch,
            0,
            answering(request, reason, AlertKind::SwitchSuspect, &answered),
        );
    }

    // Down or flapping servers not behind a suspect switch, most sites first.
    for (alert, server) in &server_alerts {
        if behind_suspect(server) {
            continue;
        }
        let request = request(PlanKind::EvacuateServer, Some(&server.id));
        let Some(plan) = candidate(topology, &request, now, settings) else {
            continue;
        };
        let state = match server.health.state {
            HealthState::Flapping => format!(
                "flapping ({})",
                count(server.health.transitions as usize, "up/down transition")
            ),
            state => state.as_str().to_string(),
        };
        let sites = plan.placements.len() + plan.unplaceable.len();
        let reason = if sites == 0 {
            format!(
                "{} is {state}: drain it so nothing new lands on it (it hosts no sites)",
                server.id
            )
        } else {
            format!(
                "{} is {state}: {}",
                server.id,
                moves(&plan, &format!("its {}", count(sites, "site")), "")
            )
        };
        evacuating = true;
        offer(
            Rank::Server,
            u32::MAX - server.site_count,
            answering(request, reason, alert.kind, &[alert]),
        );
    }

    for alert in &open {
        let (rank, kind) = match alert.kind {
            AlertKind::DatabaseDown => (Rank::Database, PlanKind::DbFailover),
            AlertKind::CacheDown => (Rank::Cache, PlanKind::CacheFailover),
            AlertKind::StuckBackends => (Rank::StuckBackends, PlanKind::RestartSites),
            AlertKind::StaleClients => (Rank::StaleClients, PlanKind::RecycleWeb),
            AlertKind::FailoverCapacity if !evacuating => (Rank::Capacity, PlanKind::PromoteSpare),
            AlertKind::CacheNoStandby => (Rank::Redundancy, PlanKind::RestoreCache),
            AlertKind::DatabaseNoReplica => (Rank::Redundancy, PlanKind::RestoreDbReplica),
            _ => continue,
        };
        let Some(plan) = candidate(topology, &request(kind, None), now, settings) else {
            continue;
        };
        let reason = alert_reason(topology, alert, &plan, &servers);
        // Ask for the target the planner chose, so the plan made from the
        // recommendation is the one its reason describes.
        let request = PlanRequest {
            kind,
            target: plan.target.clone(),
            options: PlanOptions::default(),
        };
        offer(rank, 0, answering(request, reason, alert.kind, &[alert]));
    }

    if let Some(recommendation) = failback(topology, now, settings) {
        offer(Rank::Failback, 0, recommendation);
    }
    if let Some(recommendation) = demote_spares(topology, now, settings) {
        offer(Rank::Redundancy, 0, recommendation);
    }

    ranked.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    ranked.dedup_by(|a, b| a.3.request == b.3.request);
    ranked.into_iter().map(|(_, _, _, r)| r).collect()
}

/// The plan for `request`, when the planner makes one with steps.
fn candidate(
    topology: &Topology,
    request: &PlanRequest,
    now: Timestamp,
    settings: &PlannerSettings,
) -> Option<Plan> {
    make_plan(topology, request, CANDIDATE.to_string(), now, settings)
        .ok()
        .filter(|plan| !plan.steps.is_empty())
}

fn request(kind: PlanKind, target: Option<&str>) -> PlanRequest {
    PlanRequest {
        kind,
        target: target.map(str::to_string),
        options: PlanOptions::default(),
    }
}

/// A recommendation answering `alerts` (ids sorted, `since` the oldest).
fn answering(
    request: PlanRequest,
    reason: String,
    kind: AlertKind,
    alerts: &[&Alert],
) -> Recommendation {
    let ids: BTreeSet<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
    let since = alerts.iter().map(|a| a.opened_at).min().unwrap_or_default();
    Recommendation {
        request,
        reason,
        alert_kind: Some(kind),
        alerts: ids.into_iter().map(str::to_string).collect(),
        since,
    }
}

fn switch_word(health: SwitchHealth) -> &'static str {
    match health {
        SwitchHealth::Down => "down",
        SwitchHealth::Ok | SwitchHealth::Suspect => "suspect",
    }
}

/// What an evacuation does: "move its 34 sites to fo-1 and fo-2 in one
/// plan", or, when some cannot be placed, "move 20 of its 34 sites to fo-1;
/// 14 sites cannot be placed yet: the plan offers promoting app-09 first".
fn moves(plan: &Plan, what: &str, how: &str) -> String {
    let targets: BTreeSet<&str> = plan.placements.iter().map(|p| p.to.as_str()).collect();
    let targets = list_ids(&targets.into_iter().collect::<Vec<_>>());
    let how = if how.is_empty() {
        String::new()
    } else {
        format!(" {how}")
    };
    let (placed, stuck) = (plan.placements.len(), plan.unplaceable.len());
    let head = match (placed, stuck) {
        (_, 0) => return format!("move {what} to {targets}{how}"),
        (0, _) => format!("no failover slot is free for {what}"),
        _ => format!("move {placed} of {what} to {targets}{how}"),
    };
    let spares: Vec<&str> = plan
        .offers
        .iter()
        .filter(|o| o.kind == PlanKind::PromoteSpare)
        .filter_map(|o| o.target.as_deref())
        .collect();
    let stuck = count(stuck, "site");
    if spares.is_empty() {
        format!("{head}; {stuck} cannot be placed: no spare can be promoted")
    } else {
        format!(
            "{head}; {stuck} cannot be placed yet: the plan offers promoting {} first",
            list_ids(&spares)
        )
    }
}

/// The sentence for an alert answered by a node or site plan.
fn alert_reason(
    topology: &Topology,
    alert: &Alert,
    plan: &Plan,
    servers: &HashMap<&str, &Server>,
) -> String {
    let target = plan.target.as_deref().unwrap_or("?");
    match plan.kind {
        PlanKind::DbFailover => {
            let writer = topology
                .database
                .as_ref()
                .map_or("?", |d| d.writer.as_str());
            let state = topology
                .database
                .as_ref()
                .map_or("unhealthy", |d| d.health.state.as_str());
            let forced = if plan.confirm.is_some() {
                format!(" (a forced failover: type {target} to confirm)")
            } else {
                String::new()
            };
            format!("database writer {writer} is {state}: make {target} the writer{forced}")
        }
        PlanKind::CacheFailover => {
            let active = topology.cache.as_ref().map_or("?", |c| c.active.as_str());
            let state = topology
                .cache
                .as_ref()
                .map_or("unhealthy", |c| c.health.state.as_str());
            format!("active cache node {active} is {state}: make {target} the active cache node")
        }
        PlanKind::RestartSites => {
            let backends: u64 = topology
                .sites
                .iter()
                .map(|s| u64::from(s.stuck_backends))
                .sum();
            let sites = plan.steps.len();
            format!(
                "{} on {} stuck on a previous database writer: restart {}",
                count(usize::try_from(backends).unwrap_or(usize::MAX), "backend"),
                count(sites, "site"),
                if sites == 1 { "it" } else { "them" }
            )
        }
        PlanKind::RecycleWeb => {
            let stale = topology.cache.as_ref().map_or(0, |c| c.stale_clients);
            let web: Vec<&str> = plan
                .steps
                .iter()
                .filter_map(|s| match &s.op {
                    StepOp::RecycleWeb { server } => Some(server.as_str()),
                    _ => None,
                })
                .collect();
            format!(
                "{} still connected to an old cache node: restart {} one at a time",
                if stale == 1 {
                    "1 web client is".to_string()
                } else {
                    format!("{stale} web clients are")
                },
                list_ids(&web)
            )
        }
        PlanKind::PromoteSpare => {
            let slots = servers
                .get(target)
                .map_or(0, |s| s.capacity.saturating_sub(s.site_count));
            format!(
                "failover capacity is short: promote {target} into the failover pool ({})",
                count(slots as usize, "free slot")
            )
        }
        PlanKind::RestoreCache => {
            format!("the cache has no standby: {}", lower_first(&plan.summary))
        }
        PlanKind::RestoreDbReplica => {
            format!(
                "the database has no replica: {}",
                lower_first(&plan.summary)
            )
        }
        _ => format!("{}: {}", alert.message, lower_first(&plan.summary)),
    }
}

/// `failback` when sites are away from home servers that are up, ready or
/// draining (not in maintenance), behind a healthy switch and stable for
/// `failback_stable_s`: every such site, or the one home's sites.
fn failback(
    topology: &Topology,
    now: Timestamp,
    settings: &PlannerSettings,
) -> Option<Recommendation> {
    let stable = TimeDelta::seconds(i64::try_from(settings.failback_stable_s).unwrap_or(i64::MAX));
    let switches: HashMap<&str, SwitchHealth> = topology
        .switches
        .iter()
        .rev()
        .map(|s| (s.id.as_str(), s.health))
        .collect();
    let servers: HashMap<&str, &Server> = topology
        .servers
        .iter()
        .rev()
        .map(|s| (s.id.as_str(), s))
        .collect();
    let home_ready = |home: &Server| {
        home.health.state == HealthState::Up
            && home.admin != Admin::Maint
            && matches!(home.role, Role::App | Role::Failover)
            && switches
                .get(home.switch.as_str())
                .is_none_or(|h| *h == SwitchHealth::Ok)
            && now - home.health.since >= stable
    };
    // Per home away from: ready or not, and its sites away.
    let mut homes: BTreeMap<&str, (bool, Vec<&str>)> = BTreeMap::new();
    for site in topology.sites.iter().filter(|s| s.server != s.home_server) {
        let entry = homes.entry(site.home_server.as_str()).or_insert_with(|| {
            let ready = servers
                .get(site.home_server.as_str())
                .is_some_and(|h| home_ready(h));
            (ready, Vec::new())
        });
        entry.1.push(site.id.as_str());
    }
    let ready: Vec<&str> = homes
        .iter()
        .filter(|(_, (ready, _))| *ready)
        .map(|(id, _)| *id)
        .collect();
    if ready.is_empty() {
        return None;
    }
    let (target, sites) = match ready.as_slice() {
        [one] => (Some(*one), Vec::new()),
        _ if ready.len() == homes.len() => (None, Vec::new()),
        _ => {
            let mut sites: Vec<String> = ready
                .iter()
                .flat_map(|home| homes[home].1.iter().map(|s| s.to_string()))
                .collect();
            sites.sort();
            (None, sites)
        }
    };
    let request = PlanRequest {
        kind: PlanKind::Failback,
        target: target.map(str::to_string),
        options: PlanOptions {
            sites,
            also: Vec::new(),
        },
    };
    let plan = candidate(topology, &request, now, settings)?;
    if plan.placements.is_empty() {
        return None;
    }
    let since = ready
        .iter()
        .filter_map(|id| servers.get(id))
        .map(|h| h.health.since + stable)
        .min()
        .unwrap_or(now);
    let (homes_word, verb) = if ready.len() == 1 {
        (ready[0].to_string(), "is")
    } else {
        (list_ids(&ready), "are")
    };
    let reason = format!(
        "{homes_word} {verb} up and stable again: move {} back home",
        count(plan.placements.len(), "site")
    );
    Some(Recommendation {
        request,
        reason,
        alert_kind: None,
        alerts: Vec::new(),
        since,
    })
}

/// `demote_spares` when promoted spares carry no other server's sites and
/// nothing is down or flapping.
fn demote_spares(
    topology: &Topology,
    now: Timestamp,
    settings: &PlannerSettings,
) -> Option<Recommendation> {
    let app_servers = &settings.normal.app_servers;
    let promoted: Vec<&Server> = topology
        .servers
        .iter()
        .filter(|s| s.role == Role::Failover && app_servers.contains(&s.id))
        .collect();
    if promoted.is_empty()
        || topology
            .servers
            .iter()
            .any(|s| s.health.state.is_unhealthy())
        || topology
            .switches
            .iter()
            .any(|s| s.health != SwitchHealth::Ok)
    {
        return None;
    }
    let request = request(PlanKind::DemoteSpares, None);
    let plan = candidate(topology, &request, now, settings)?;
    let demoted: Vec<&str> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.op {
            StepOp::SetRole { server, .. } => Some(server.as_str()),
            _ => None,
        })
        .collect();
    let since = promoted.iter().map(|s| s.health.since).max().unwrap_or(now);
    Some(Recommendation {
        reason: format!(
            "{} {} no other server's sites and nothing is down: return {} to the app role",
            list_ids(&demoted),
            if demoted.len() == 1 {
                "carries"
            } else {
                "carry"
            },
            if demoted.len() == 1 { "it" } else { "them" }
        ),
        request,
        alert_kind: None,
        alerts: Vec::new(),
        since,
    })
}

/// "Make cache-2 …" -> "make cache-2 …", without the closing period.
fn lower_first(sentence: &str) -> String {
    let sentence = sentence.trim_end_matches('.');
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
