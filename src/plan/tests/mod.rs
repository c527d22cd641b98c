//! Planner tests on the demo fleet (sw-1: app-01..03, fo-1, web-1, web-4,
//! db-1; sw-2: app-04..06, web-2, cache-1; sw-3: app-07..09, fo-2, web-3,
//! cache-2, db-2; app servers host 17 sites each, capacity 20; fo-1 and fo-2
//! are empty with capacity 20), with health set by hand.

mod evacuate;
mod failback;
mod nodes;
mod property;
mod recommend;
mod redundancy;

use chrono::{TimeDelta, TimeZone, Utc};

use super::{PlanError, PlannerSettings, make_plan, reverse_plan};
use crate::fleet::Fleet;
use crate::model::{
    FleetSpec, Health, HealthState, Plan, PlanKind, PlanOptions, PlanRequest, Server, StepOp,
    SwitchHealth, Timestamp, Topology,
};
use crate::sim::DEMO_FLEET;

/// 16:35 PDT on the day of the switch incident.
pub(super) fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2017, 9, 11, 23, 35, 0).unwrap()
}

pub(super) fn ago(seconds: i64) -> Timestamp {
    t0() - TimeDelta::seconds(seconds)
}

pub(super) fn health(state: HealthState, since: Timestamp) -> Health {
    Health {
        state,
        since,
        latency_ms: (state == HealthState::Up).then_some(4.0),
        error_rate: 0.0,
        transitions: 0,
    }
}

/// The demo fleet with everything up for an hour.
pub(super) fn demo() -> Topology {
    let spec = FleetSpec::parse("demo.toml", DEMO_FLEET).unwrap();
    let mut topology = Fleet::new(&spec, ago(7200)).topology().clone();
    let up = health(HealthState::Up, ago(3600));
    for server in &mut topology.servers {
        server.health = up.clone();
    }
    for site in &mut topology.sites {
        site.health = up.clone();
    }
    if let Some(cache) = &mut topology.cache {
        cache.health = up.clone();
    }
    if let Some(db) = &mut topology.database {
        db.health = up.clone();
    }
    topology
}

pub(super) fn server_mut<'a>(topology: &'a mut Topology, id: &str) -> &'a mut Server {
    topology.servers.iter_mut().find(|s| s.id == id).unwrap()
}

pub(super) fn server<'a>(topology: &'a Topology, id: &str) -> &'a Server {
    topology.servers.iter().find(|s| s.id == id).unwrap()
}

pub(super) fn set_server(topology: &mut Topology, id: &str, state: HealthState, since: Timestamp) {
    server_mut(topology, id).health = health(state, since);
}

pub(super) fn set_switch(topology: &mut Topology, id: &str, state: SwitchHealth) {
    topology
        .switches
        .iter_mut()
        .find(|s| s.id == id)
        .unwrap()
        .health = state;
}

/// The server goes down (or flaps) and every site on it goes down with it.
pub(super) fn lose(topology: &mut Topology, id: &str, state: HealthState, since: Timestamp) {
    set_server(topology, id, state, since);
    for site in topology.sites.iter_mut().filter(|s| s.server == id) {
        site.health = health(HealthState::Down, since);
        site.down_since = Some(since);
    }
}

/// 16:35 on 2017-09-11: app-04 down since 15:15, app-05 flapping since
/// 16:00, app-06 down since 16:35, switch sw-2 suspect.
pub(super) fn switch_2017() -> Topology {
    let mut topology = demo();
    lose(&mut topology, "app-04", HealthState::Down, ago(80 * 60));
    lose(&mut topology, "app-05", HealthState::Flapping, ago(35 * 60));
    lose(&mut topology, "app-06", HealthState::Down, ago(0));
    set_switch(&mut topology, "sw-2", SwitchHealth::Suspect);
    topology
}

pub(super) fn request(kind: PlanKind, target: Option<&str>) -> PlanRequest {
    PlanRequest {
        kind,
        target: target.map(str::to_string),
        options: PlanOptions::default(),
    }
}

pub(super) fn try_plan(
    topology: &Topology,
    kind: PlanKind,
    target: Option<&str>,
) -> Result<Plan, PlanError> {
    make_plan(
        topology,
        &request(kind, target),
        "plan-1".to_string(),
        t0(),
        &PlannerSettings::default(),
    )
}

pub(super) fn plan(topology: &Topology, kind: PlanKind, target: Option<&str>) -> Plan {
    try_plan(topology, kind, target).unwrap()
}

pub(super) fn undo(topology: &Topology, executed: &Plan) -> Result<Plan, PlanError> {
    reverse_plan(
        topology,
        executed,
        "plan-2".to_string(),
        t0(),
        &PlannerSettings::default(),
    )
}

pub(super) fn error_code(result: Result<Plan, PlanError>) -> &'static str {
    result.map(|p| p.summary).unwrap_err().code()
}

/// Carries a plan out on the topology as a driver would, refusing (by
/// panicking) any move onto a full server.
pub(super) fn apply(topology: &mut Topology, plan: &Plan) {
    for step in &plan.steps {
        match &step.op {
            StepOp::SetAdmin { server, admin } => server_mut(topology, server).admin = *admin,
            StepOp::SetRole { server, role } => server_mut(topology, server).role = *role,
            StepOp::MoveSite { site, from, to } => {
                let target = server_mut(topology, to);
                assert!(
                    target.site_count < target.capacity,
                    "{to} is full, cannot take {site}"
                );
                target.site_count += 1;
                server_mut(topology, from).site_count -= 1;
                let site = topology.sites.iter_mut().find(|s| s.id == *site).unwrap();
                assert_eq!(site.server, *from);
                site.server = to.clone();
            }
            StepOp::CacheFailover { from, to } => {
                let cache = topology.cache.as_mut().unwrap();
                cache.active = to.clone();
                cache.standby = vec![from.clone()];
                cache.epoch += 1;
            }
            StepOp::DbFailover { from, to, .. } => {
                let db = topology.database.as_mut().unwrap();
                db.writer = to.clone();
                db.replicas = vec![from.clone()];
                db.epoch += 1;
            }
            StepOp::CacheStandby { node, .. } => {
                topology.cache.as_mut().unwrap().standby.push(node.clone());
            }
            StepOp::RebuildReplica { node, .. } => {
                topology
                    .database
                    .as_mut()
                    .unwrap()
                    .replicas
                    .push(node.clone());
            }
            StepOp::RecycleWeb { .. } | StepOp::RestartSite { .. } | StepOp::WaitHealthy { .. } => {
            }
        }
    }
    topology.version += 1;
}

/// Sites placed per target server.
pub(super) fn placed_on(plan: &Plan, server: &str) -> usize {
    plan.placements.iter().filter(|p| p.to == server).count()
}

#[test]
fn every_plan_carries_version_times_and_deadlines() {
    let mut topology = switch_2017();
    topology.version = 42;
    let p = plan(&topology, PlanKind::EvacuateSwitch, Some("sw-2"));
    assert_eq!(p.id, "plan-1");
    assert_eq!(p.topology_version, 42);
    assert_eq!(p.created_at, t0());
    assert_eq!(p.expires_at, t0() + TimeDelta::minutes(2));
    assert!(
        p.summary.ends_with('.') && !p.summary.contains('\n'),
        "{}",
        p.summary
    );
    assert!(
        p.steps
            .iter()
            .all(|s| s.deadline_s == 60 && !s.description.is_empty())
    );
}

#[test]
fn planning_is_deterministic_whatever_the_listing_order() {
    let topology = switch_2017();
    let first = plan(&topology, PlanKind::EvacuateSwitch, Some("sw-2"));
    assert_eq!(
        first,
        plan(&topology, PlanKind::EvacuateSwitch, Some("sw-2"))
    );

    let mut shuffled = topology.clone();
    shuffled.servers.reverse();
    shuffled.sites.reverse();
    shuffled.switches.reverse();
    assert_eq!(
        first,
        plan(&shuffled, PlanKind::EvacuateSwitch, Some("sw-2"))
    );
}

#[test]
fn error_codes_are_stable() {
    let topology = demo();
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::EvacuateServer, None)),
        "missing_target"
    );
    assert_eq!(
        error_code(try_plan(
            &topology,
            PlanKind::EvacuateServer,
            Some("app-99")
        )),
        "unknown_target"
    );
    let mut no_cache = topology.clone();
    no_cache.cache = None;
    assert_eq!(
        error_code(try_plan(&no_cache, PlanKind::CacheFailover, None)),
        "not_configured"
    );
}
