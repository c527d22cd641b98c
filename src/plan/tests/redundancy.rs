//! Restoring redundancy: demoting promoted spares, the cache back on its
//! primary with a standby, a database replica rebuilt.

use super::*;
use crate::model::{NormalConfig, Role};

/// The settings with the demo fleet file's normal configuration.
fn settings() -> PlannerSettings {
    let spec = FleetSpec::parse("demo.toml", DEMO_FLEET).unwrap();
    PlannerSettings {
        normal: NormalConfig::from_spec(&spec),
        ..PlannerSettings::default()
    }
}

fn try_make(topology: &Topology, kind: PlanKind, target: Option<&str>) -> Result<Plan, PlanError> {
    make_plan(
        topology,
        &request(kind, target),
        "plan-1".to_string(),
        t0(),
        &settings(),
    )
}

fn make(topology: &Topology, kind: PlanKind, target: Option<&str>) -> Plan {
    try_make(topology, kind, target).unwrap()
}

/// After the switch incident: app-09 promoted and carrying app-06's sites,
/// everything healthy again for an hour.
fn after_the_fire() -> Topology {
    let mut topology = demo();
    server_mut(&mut topology, "app-09").role = Role::Failover;
    let guests: Vec<usize> = topology
        .sites
        .iter()
        .enumerate()
        .filter(|(_, s)| s.home_server == "app-06")
        .map(|(i, _)| i)
        .take(3)
        .collect();
    for i in guests {
        topology.sites[i].server = "app-09".into();
    }
    server_mut(&mut topology, "app-09").site_count += 3;
    server_mut(&mut topology, "app-06").site_count -= 3;
    topology
}

fn send_guests_home(topology: &mut Topology) {
    for site in &mut topology.sites {
        site.server = site.home_server.clone();
    }
    server_mut(topology, "app-09").site_count = 17;
    server_mut(topology, "app-06").site_count = 17;
}

fn step_ops(plan: &Plan) -> Vec<&StepOp> {
    plan.steps.iter().map(|s| &s.op).collect()
}

#[test]
fn a_spare_that_still_carries_other_sites_is_refused_with_the_reason() {
    let topology = after_the_fire();
    let err = try_make(&topology, PlanKind::DemoteSpares, Some("app-09")).unwrap_err();
    assert_eq!(err.code(), "unsafe_target");
    assert_eq!(
        err.to_string(),
        "'app-09' cannot be used now: app-09 still carries 3 sites from app-06: fail them back first"
    );
    // Without a target: the same reason, nothing else to demote.
    let err = try_make(&topology, PlanKind::DemoteSpares, None).unwrap_err();
    assert_eq!(err.code(), "unsafe_target");
    assert!(err.to_string().contains("3 sites from app-06"), "{err}");
}

#[test]
fn a_spare_with_only_its_own_sites_goes_back_to_the_app_role() {
    let mut topology = after_the_fire();
    send_guests_home(&mut topology);
    let p = make(&topology, PlanKind::DemoteSpares, None);
    assert_eq!(
        step_ops(&p),
        [&StepOp::SetRole {
            server: "app-09".into(),
            role: Role::App
        }]
    );
    assert_eq!(p.scope, "server:app-09");
    assert_eq!(
        p.summary,
        "Return app-09 to the app role: no other server's sites are left on it."
    );
    assert!(p.steps.iter().all(|s| s.deadline_s == 60));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);

    // Its undo promotes it again.
    let mut demoted = topology.clone();
    apply(&mut demoted, &p);
    let back = undo(&demoted, &p).unwrap();
    assert_eq!(back.kind, PlanKind::PromoteSpare);
    assert_eq!(
        step_ops(&back),
        [&StepOp::SetRole {
            server: "app-09".into(),
            role: Role::Failover
        }]
    );
    // And nothing is left to demote.
    let err = try_make(&demoted, PlanKind::DemoteSpares, None).unwrap_err();
    assert_eq!(err.code(), "nothing_to_do");
}

#[test]
fn only_promoted_spares_are_demoted_and_blocked_ones_are_named() {
    let mut topology = after_the_fire();
    server_mut(&mut topology, "app-08").role = Role::Failover;
    let p = make(&topology, PlanKind::DemoteSpares, None);
    assert_eq!(
        step_ops(&p),
        [&StepOp::SetRole {
            server: "app-08".into(),
            role: Role::App
        }]
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.starts_with("app-09 stays a failover server: app-09 still carries 3 sites")),
        "{:?}",
        p.warnings
    );
    assert_eq!(p.offers[0].kind, PlanKind::Failback);

    // A failover server of the fleet file is not a spare to demote.
    let err = try_make(&topology, PlanKind::DemoteSpares, Some("fo-1")).unwrap_err();
    assert_eq!(err.code(), "wrong_target");
    let err = try_make(&topology, PlanKind::DemoteSpares, Some("app-01")).unwrap_err();
    assert_eq!(err.code(), "nothing_to_do");
    let err = try_make(&topology, PlanKind::DemoteSpares, Some("app-99")).unwrap_err();
    assert_eq!(err.code(), "unknown_target");
    // Without the fleet file's roles nothing counts as promoted.
    let err = try_plan(&topology, PlanKind::DemoteSpares, None).unwrap_err();
    assert_eq!(err.code(), "nothing_to_do");
}

#[test]
fn demoting_warns_when_no_failover_capacity_is_left() {
    let mut topology = after_the_fire();
    send_guests_home(&mut topology);
    set_server(&mut topology, "fo-1", HealthState::Down, ago(60));
    set_server(&mut topology, "fo-2", HealthState::Down, ago(60));
    let p = make(&topology, PlanKind::DemoteSpares, None);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.starts_with("no failover capacity is left after this")),
        "{:?}",
        p.warnings
    );
}

/// The cache failed over to cache-2 in the incident.
fn cache_on_standby(topology: &mut Topology, standby: &[&str]) {
    let cache = topology.cache.as_mut().unwrap();
    cache.active = "cache-2".into();
    cache.standby = standby.iter().map(|s| s.to_string()).collect();
    cache.epoch += 1;
}

#[test]
fn the_cache_fails_back_to_its_primary_once_healthy_and_stable() {
    let mut topology = demo();
    cache_on_standby(&mut topology, &["cache-1"]);
    let p = make(&topology, PlanKind::RestoreCache, None);
    assert_eq!(p.target.as_deref(), Some("cache-1"));
    assert_eq!(p.scope, "cache");
    assert_eq!(
        step_ops(&p),
        [
            &StepOp::WaitHealthy {
                server: "cache-1".into(),
                stable_s: 300
            },
            &StepOp::CacheFailover {
                from: "cache-2".into(),
                to: "cache-1".into()
            }
        ]
    );
    assert_eq!(
        p.summary,
        "Fail the cache back to its primary cache-1; cache-2 becomes its standby."
    );
    assert_eq!(p.offers[0].kind, PlanKind::RecycleWeb);
    // Undo fails over to cache-2 again.
    let mut back = topology.clone();
    apply(&mut back, &p);
    let reverse = undo(&back, &p).unwrap();
    assert_eq!(reverse.kind, PlanKind::CacheFailover);
    assert_eq!(reverse.target.as_deref(), Some("cache-2"));
    // Back on the primary with a healthy standby: nothing to do.
    let err = try_make(&back, PlanKind::RestoreCache, None).unwrap_err();
    assert_eq!(err.code(), "nothing_to_do");
    assert_eq!(
        err.to_string(),
        "nothing to do: cache-1 is the active cache node and cache-2 its healthy standby"
    );
}

#[test]
fn a_primary_not_yet_stable_is_not_failed_back_to() {
    let mut topology = demo();
    cache_on_standby(&mut topology, &["cache-1"]);
    set_server(&mut topology, "cache-1", HealthState::Up, ago(100));
    let err = try_make(&topology, PlanKind::RestoreCache, None).unwrap_err();
    assert_eq!(err.code(), "unsafe_target");
    assert_eq!(
        err.to_string(),
        "'cache-1' cannot be used now: the cache cannot fail back yet: cache-1 up for 100 s, needs 300 s stable"
    );
}

#[test]
fn a_primary_out_of_the_pair_is_made_a_standby_then_failed_back_to() {
    let mut topology = demo();
    cache_on_standby(&mut topology, &[]);
    let p = make(&topology, PlanKind::RestoreCache, None);
    let ops = step_ops(&p);
    assert_eq!(
        ops[0],
        &StepOp::CacheStandby {
            node: "cache-1".into(),
            active: "cache-2".into()
        }
    );
    assert_eq!(p.steps[0].deadline_s, 900, "a copy gets the long deadline");
    assert!(matches!(ops[2], StepOp::CacheFailover { to, .. } if to == "cache-1"));
}

#[test]
fn with_the_primary_down_a_standby_is_re_established_or_refused() {
    // cache-1 is down and out of the pair: no node can stand by.
    let mut topology = demo();
    cache_on_standby(&mut topology, &["cache-1"]);
    set_server(&mut topology, "cache-1", HealthState::Down, ago(600));
    let err = try_make(&topology, PlanKind::RestoreCache, None).unwrap_err();
    assert_eq!(err.code(), "no_healthy_target");
    assert_eq!(
        err.to_string(),
        "no healthy target: no cache node can follow cache-2 now: cache-1 is down"
    );

    // On its primary, with the standby out of the pair but up: rebuild it.
    let mut topology = demo();
    topology.cache.as_mut().unwrap().standby.clear();
    let p = make(&topology, PlanKind::RestoreCache, None);
    assert_eq!(
        step_ops(&p),
        [&StepOp::CacheStandby {
            node: "cache-2".into(),
            active: "cache-1".into()
        }]
    );
    assert_eq!(
        p.summary,
        "Make cache-2 the standby of the active cache node cache-1."
    );
    assert_eq!(undo(&topology, &p).unwrap_err().code(), "not_reversible");
    let err = try_make(&topology, PlanKind::RestoreCache, Some("web-1")).unwrap_err();
    assert_eq!(err.code(), "wrong_target");
    let err = try_make(&topology, PlanKind::RestoreCache, Some("cache-1")).unwrap_err();
    assert_eq!(err.code(), "nothing_to_do");
    // Naming a node that already stands by healthy: nothing to do either.
    let mut paired = topology.clone();
    apply(&mut paired, &p);
    let err = try_make(&paired, PlanKind::RestoreCache, Some("cache-2")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "nothing to do: cache-2 is already a healthy standby of cache-1"
    );
}

#[test]
fn the_old_writer_is_rebuilt_as_a_replica_once_back() {
    // After the 2020 failover: db-2 writes, db-1 is out of the cluster.
    let mut topology = demo();
    {
        let db = topology.database.as_mut().unwrap();
        db.writer = "db-2".into();
        db.replicas.clear();
        db.epoch += 1;
    }
    set_server(&mut topology, "db-1", HealthState::Down, ago(3000));
    let err = try_make(&topology, PlanKind::RestoreDbReplica, None).unwrap_err();
    assert_eq!(err.code(), "no_healthy_target");
    assert_eq!(
        err.to_string(),
        "no healthy target: no database node can follow db-2 now: db-1 is down"
    );

    set_server(&mut topology, "db-1", HealthState::Up, ago(60));
    let p = make(&topology, PlanKind::RestoreDbReplica, None);
    assert_eq!(p.target.as_deref(), Some("db-1"));
    assert_eq!(p.scope, "database");
    assert_eq!(
        step_ops(&p),
        [&StepOp::RebuildReplica {
            node: "db-1".into(),
            writer: "db-2".into()
        }]
    );
    assert_eq!(p.steps[0].deadline_s, 900);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.starts_with("db-1 was the writer before the failover")),
        "{:?}",
        p.warnings
    );
    assert_eq!(
        p.summary,
        "Rebuild db-1 as a replica of the database writer db-2."
    );
    assert_eq!(undo(&topology, &p).unwrap_err().code(), "not_reversible");

    let err = try_make(&topology, PlanKind::RestoreDbReplica, Some("db-2")).unwrap_err();
    assert_eq!(err.code(), "wrong_target");
    let mut rebuilt = topology.clone();
    apply(&mut rebuilt, &p);
    let err = try_make(&rebuilt, PlanKind::RestoreDbReplica, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "nothing to do: the writer db-2 has a healthy replica: db-1"
    );
    let mut no_db = rebuilt;
    no_db.database = None;
    assert_eq!(
        try_make(&no_db, PlanKind::RestoreDbReplica, None)
            .unwrap_err()
            .code(),
        "not_configured"
    );
}

#[test]
fn redundancy_plans_are_deterministic_whatever_the_listing_order() {
    let mut topology = demo();
    cache_on_standby(&mut topology, &[]);
    server_mut(&mut topology, "app-09").role = Role::Failover;
    server_mut(&mut topology, "app-08").role = Role::Failover;
    let mut shuffled = topology.clone();
    shuffled.servers.reverse();
    shuffled.sites.reverse();
    for kind in [PlanKind::DemoteSpares, PlanKind::RestoreCache] {
        assert_eq!(make(&topology, kind, None), make(&shuffled, kind, None));
    }
}
