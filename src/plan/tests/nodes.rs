use super::*;

#[test]
fn db_switchover_when_the_writer_is_up() {
    let p = plan(&demo(), PlanKind::DbFailover, None);
    assert_eq!(
        p.steps.iter().map(|s| s.op.clone()).collect::<Vec<_>>(),
        [StepOp::DbFailover {
            from: "db-1".into(),
            to: "db-2".into(),
            forced: false
        }]
    );
    assert_eq!((p.risk.as_deref(), p.confirm.as_deref()), (None, None));
    assert_eq!(p.scope, "database");
    assert!(p.offers.iter().any(|o| o.kind == PlanKind::RestartSites));
}

#[test]
fn forced_db_failover_states_the_risk_and_needs_the_target_typed() {
    let mut topology = demo();
    let db = topology.database.as_mut().unwrap();
    db.health = health(HealthState::Down, ago(120));
    db.stuck_backends = 40;
    set_server(&mut topology, "db-1", HealthState::Down, ago(120));
    let p = plan(&topology, PlanKind::DbFailover, None);
    assert_eq!(
        p.risk.as_deref(),
        Some("the writer db-1 is down: transactions not yet replicated to db-2 may be lost")
    );
    assert_eq!(p.confirm.as_deref(), Some("db-2"));
    assert!(matches!(
        p.steps[0].op,
        StepOp::DbFailover { forced: true, .. }
    ));
    assert!(
        p.warnings.iter().any(|w| w.contains("40 backends")),
        "{:?}",
        p.warnings
    );
    // No restarts inside the failover: that is restart_sites.
    assert!(
        !p.steps
            .iter()
            .any(|s| matches!(s.op, StepOp::RestartSite { .. }))
    );
}

#[test]
fn db_failover_is_refused_without_a_healthy_replica_or_to_the_writer() {
    let mut topology = demo();
    set_server(&mut topology, "db-2", HealthState::Flapping, ago(60));
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::DbFailover, None)),
        "no_healthy_target"
    );
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::DbFailover, Some("db-2"))),
        "unsafe_target"
    );
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::DbFailover, Some("db-1"))),
        "nothing_to_do"
    );
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::DbFailover, Some("app-01"))),
        "wrong_target"
    );
}

#[test]
fn cache_failover_to_the_healthy_standby_warns_about_stale_connections() {
    let mut topology = demo();
    set_switch(&mut topology, "sw-2", SwitchHealth::Suspect);
    let p = plan(&topology, PlanKind::CacheFailover, None);
    assert_eq!(
        p.steps.iter().map(|s| s.op.clone()).collect::<Vec<_>>(),
        [StepOp::CacheFailover {
            from: "cache-1".into(),
            to: "cache-2".into()
        }]
    );
    assert_eq!(p.scope, "cache");
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("stale") && w.contains("recycle_web"))
    );
    assert!(p.offers.iter().any(|o| o.kind == PlanKind::RecycleWeb));
}

#[test]
fn cache_failover_is_refused_without_a_healthy_standby() {
    for state in [
        HealthState::Down,
        HealthState::Flapping,
        HealthState::Unknown,
    ] {
        let mut topology = demo();
        set_server(&mut topology, "cache-2", state, ago(60));
        let err = try_plan(&topology, PlanKind::CacheFailover, None).unwrap_err();
        assert_eq!(err.code(), "no_healthy_target", "{state:?}");
        assert!(err.to_string().contains("cache-2"), "{err}");
    }
}

#[test]
fn restart_sites_picks_exactly_the_stuck_sites() {
    let mut topology = demo();
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::RestartSites, None)),
        "nothing_to_do"
    );
    for (id, stuck) in [("site-120", 2), ("site-007", 5), ("site-033", 1)] {
        topology
            .sites
            .iter_mut()
            .find(|s| s.id == id)
            .unwrap()
            .stuck_backends = stuck;
    }
    let p = plan(&topology, PlanKind::RestartSites, None);
    let restarted: Vec<StepOp> = p.steps.iter().map(|s| s.op.clone()).collect();
    let expected: Vec<StepOp> = ["site-007", "site-033", "site-120"]
        .iter()
        .map(|s| StepOp::RestartSite {
            site: s.to_string(),
        })
        .collect();
    assert_eq!(restarted, expected);
    assert_eq!(p.scope, "sites");
    assert_eq!(p.summary, "Restart 3 sites to free 8 stuck backends.");

    let mut req = request(PlanKind::RestartSites, None);
    req.options.sites = vec!["site-050".into(), "site-002".into()];
    let chosen = make_plan(&topology, &req, "p".into(), t0(), &Default::default()).unwrap();
    assert_eq!(
        chosen
            .steps
            .iter()
            .map(|s| s.op.clone())
            .collect::<Vec<_>>(),
        [
            StepOp::RestartSite {
                site: "site-002".into()
            },
            StepOp::RestartSite {
                site: "site-050".into()
            }
        ]
    );
    req.options.sites = vec!["site-999".into()];
    let err = make_plan(&topology, &req, "p".into(), t0(), &Default::default()).unwrap_err();
    assert_eq!(err.code(), "unknown_target");
}

#[test]
fn restart_warns_while_the_writer_is_still_down() {
    let mut topology = demo();
    topology.sites[0].stuck_backends = 3;
    topology.database.as_mut().unwrap().health = health(HealthState::Down, ago(60));
    let p = plan(&topology, PlanKind::RestartSites, None);
    assert!(
        p.warnings.iter().any(|w| w.contains("db-1 is down")),
        "{:?}",
        p.warnings
    );
    assert!(p.offers.iter().any(|o| o.kind == PlanKind::DbFailover));
}

fn recycled(p: &Plan) -> Vec<&str> {
    p.steps
        .iter()
        .map(|s| match &s.op {
            StepOp::RecycleWeb { server } => server.as_str(),
            other => panic!("unexpected step {other:?}"),
        })
        .collect()
}

#[test]
fn recycle_web_is_rolling_one_step_per_healthy_server() {
    let mut topology = demo();
    let p = plan(&topology, PlanKind::RecycleWeb, None);
    assert_eq!(recycled(&p), ["web-1", "web-2", "web-3", "web-4"]);
    assert_eq!(p.scope, "web");

    set_server(&mut topology, "web-2", HealthState::Down, ago(60));
    let p = plan(&topology, PlanKind::RecycleWeb, None);
    assert_eq!(recycled(&p), ["web-1", "web-3", "web-4"]);
    assert!(
        p.warnings
            .iter()
            .any(|w| w == "web-2 is down: not recycled")
    );
    assert!(!p.warnings.iter().any(|w| w.starts_with("only")));

    set_server(&mut topology, "web-3", HealthState::Down, ago(60));
    set_server(&mut topology, "web-4", HealthState::Flapping, ago(60));
    let p = plan(&topology, PlanKind::RecycleWeb, None);
    assert_eq!(recycled(&p), ["web-1"]);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.starts_with("only web-1 is healthy")),
        "{:?}",
        p.warnings
    );

    let one = plan(&topology, PlanKind::RecycleWeb, Some("web-3"));
    assert_eq!(recycled(&one), ["web-3"]);
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::RecycleWeb, Some("app-01"))),
        "wrong_target"
    );

    set_server(&mut topology, "web-1", HealthState::Down, ago(60));
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::RecycleWeb, None)),
        "no_healthy_target"
    );
}
