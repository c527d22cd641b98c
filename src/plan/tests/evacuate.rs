use std::collections::BTreeSet;

use super::*;
use crate::model::{Admin, PlanStep, Role};

fn sites_on(topology: &Topology, servers: &[&str]) -> BTreeSet<String> {
    topology
        .sites
        .iter()
        .filter(|s| servers.contains(&s.server.as_str()))
        .map(|s| s.id.clone())
        .collect()
}

fn promote_targets(p: &Plan) -> Vec<&str> {
    p.offers
        .iter()
        .filter(|o| o.kind == PlanKind::PromoteSpare)
        .filter_map(|o| o.target.as_deref())
        .collect()
}

fn drain_step(server: &str) -> StepOp {
    StepOp::SetAdmin {
        server: server.to_string(),
        admin: Admin::Drain,
    }
}

#[test]
fn three_servers_lost_is_one_plan_with_the_rest_listed_and_spares_offered() {
    let topology = switch_2017();
    let p = plan(&topology, PlanKind::EvacuateSwitch, Some("sw-2"));

    assert_eq!(p.scope, "switch:sw-2");
    assert_eq!(p.placements.len(), 40);
    assert_eq!(p.unplaceable.len(), 11);
    assert_eq!((placed_on(&p, "fo-1"), placed_on(&p, "fo-2")), (20, 20));
    for u in &p.unplaceable {
        assert_eq!(
            u.reason,
            "no failover capacity left: 40 free slots for 51 sites"
        );
        assert_eq!(u.from, "app-06", "the sites down longest are placed first");
    }
    // Every site of the three servers is accounted for exactly once.
    let mut accounted: Vec<&str> = p.placements.iter().map(|x| x.site.as_str()).collect();
    accounted.extend(p.unplaceable.iter().map(|x| x.site.as_str()));
    let unique: BTreeSet<String> = accounted.iter().map(|s| s.to_string()).collect();
    assert_eq!(accounted.len(), 51);
    assert_eq!(unique, sites_on(&topology, &["app-04", "app-05", "app-06"]));

    // Sources drained first, then one move per placement, in order.
    let ops: Vec<&StepOp> = p.steps.iter().map(|s: &PlanStep| &s.op).collect();
    assert_eq!(
        ops[..3],
        [
            &drain_step("app-04"),
            &drain_step("app-05"),
            &drain_step("app-06")
        ]
    );
    assert_eq!(ops.len(), 3 + 40);
    for (step, placement) in ops[3..].iter().zip(&p.placements) {
        assert_eq!(
            **step,
            StepOp::MoveSite {
                site: placement.site.clone(),
                from: placement.from.clone(),
                to: placement.to.clone(),
            }
        );
    }

    // App servers have 3 free slots each: four spares cover 11 sites. Not
    // from sw-2, best first (ties by id).
    assert_eq!(
        promote_targets(&p),
        ["app-01", "app-02", "app-03", "app-07"]
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("11 sites cannot be placed")
                && w.contains("app-01, app-02, app-03 and app-07")),
        "{:?}",
        p.warnings
    );
    assert!(
        p.warnings[0].starts_with("11 sites cannot be placed"),
        "shortfall first"
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w == "all 51 sites are already down")
    );
    assert!(
        p.summary
            .contains("40 onto fo-1 and fo-2, 11 cannot be placed"),
        "{}",
        p.summary
    );
}

#[test]
fn the_same_three_sources_named_one_by_one_give_the_same_plan() {
    let topology = switch_2017();
    let by_switch = plan(&topology, PlanKind::EvacuateSwitch, Some("sw-2"));
    let mut req = request(PlanKind::EvacuateServer, Some("app-04"));
    req.options.also = vec!["app-06".into(), "app-05".into(), "app-04".into()];
    let by_server = make_plan(&topology, &req, "plan-1".into(), t0(), &Default::default()).unwrap();
    assert_eq!(by_server.placements, by_switch.placements);
    assert_eq!(by_server.unplaceable, by_switch.unplaceable);
    assert_eq!(by_server.steps, by_switch.steps);
    assert_eq!(by_server.scope, "switch:sw-2");
}

#[test]
fn after_promoting_the_offered_spares_everything_is_placed() {
    let mut topology = switch_2017();
    let first = plan(&topology, PlanKind::EvacuateSwitch, Some("sw-2"));
    for spare in promote_targets(&first) {
        let promotion = plan(&topology, PlanKind::PromoteSpare, Some(spare));
        apply(&mut topology, &promotion);
        assert_eq!(server(&topology, spare).role, Role::Failover);
    }
    let second = plan(&topology, PlanKind::EvacuateSwitch, Some("sw-2"));
    assert_eq!(second.placements.len(), 51);
    assert!(second.unplaceable.is_empty());
    assert!(promote_targets(&second).is_empty());
    apply(&mut topology, &second); // panics if any server went over capacity
    for spare in ["app-01", "app-02", "app-03", "app-07"] {
        assert!(placed_on(&second, spare) <= 3);
    }
}

#[test]
fn one_empty_spare_is_offered_alone_and_then_everything_is_placed() {
    let mut topology = switch_2017();
    // app-07's clients have left: an empty ordinary server, as in 2017.
    topology.sites.retain(|s| s.server != "app-07");
    server_mut(&mut topology, "app-07").site_count = 0;

    let first = plan(&topology, PlanKind::EvacuateSwitch, Some("sw-2"));
    assert_eq!(first.unplaceable.len(), 11);
    assert_eq!(promote_targets(&first), ["app-07"]);

    let promotion = plan(&topology, PlanKind::PromoteSpare, None);
    assert_eq!(promotion.target.as_deref(), Some("app-07"));
    apply(&mut topology, &promotion);
    let second = plan(&topology, PlanKind::EvacuateSwitch, Some("sw-2"));
    assert_eq!((second.placements.len(), second.unplaceable.len()), (51, 0));
    assert_eq!(placed_on(&second, "app-07"), 17);
    assert_eq!(placed_on(&second, "fo-1") + placed_on(&second, "fo-2"), 34);
}

#[test]
fn one_server_behind_a_suspect_switch_warns_and_offers_the_switch() {
    let topology = switch_2017();
    let p = plan(&topology, PlanKind::EvacuateServer, Some("app-04"));
    assert_eq!(p.scope, "server:app-04");
    assert_eq!((p.placements.len(), p.unplaceable.len()), (17, 0));
    assert!(
        p.warnings.iter().any(|w| w
            == "switch sw-2 is suspect: evacuating app-04 alone leaves app-05 and app-06 behind it"),
        "{:?}",
        p.warnings
    );
    assert!(
        p.offers
            .iter()
            .any(|o| o.kind == PlanKind::EvacuateSwitch && o.target.as_deref() == Some("sw-2"))
    );
}

#[test]
fn unfit_failover_servers_are_never_chosen() {
    let mut topology = switch_2017();
    set_switch(&mut topology, "sw-2", SwitchHealth::Suspect);
    let template = server(&topology, "fo-2").clone();
    // Bigger than fo-1/fo-2, so each would be first choice if it counted.
    let unfit = [
        ("fo-flap", HealthState::Flapping, Admin::Ready, "sw-3"),
        ("fo-down", HealthState::Down, Admin::Ready, "sw-3"),
        ("fo-unknown", HealthState::Unknown, Admin::Ready, "sw-3"),
        ("fo-degraded", HealthState::Degraded, Admin::Ready, "sw-3"),
        ("fo-drain", HealthState::Up, Admin::Drain, "sw-3"),
        ("fo-maint", HealthState::Up, Admin::Maint, "sw-3"),
        ("fo-suspect", HealthState::Up, Admin::Ready, "sw-2"),
    ];
    for (id, state, admin, switch) in unfit {
        let mut s = template.clone();
        s.id = id.to_string();
        s.capacity = 60;
        s.admin = admin;
        s.switch = switch.to_string();
        s.health = health(state, ago(3600));
        topology.servers.push(s);
    }
    let p = plan(&topology, PlanKind::EvacuateServer, Some("app-06"));
    let targets: BTreeSet<&str> = p.placements.iter().map(|x| x.to.as_str()).collect();
    assert_eq!(targets, BTreeSet::from(["fo-1", "fo-2"]));
    for (id, ..) in unfit {
        assert!(
            p.warnings.iter().any(|w| w.starts_with(&format!("{id} "))
                && w.ends_with("not used as a failover target")),
            "no warning for {id}: {:?}",
            p.warnings
        );
    }
}

#[test]
fn a_failover_server_being_evacuated_is_not_a_target() {
    let mut topology = demo();
    set_switch(&mut topology, "sw-1", SwitchHealth::Suspect);
    let p = plan(&topology, PlanKind::EvacuateSwitch, Some("sw-1"));
    assert!(p.steps.iter().any(|s| s.op == drain_step("fo-1")));
    assert_eq!(placed_on(&p, "fo-1"), 0);
    // 51 sites of app-01..03; only fo-2's 20 slots remain.
    assert_eq!((p.placements.len(), p.unplaceable.len()), (20, 31));
    assert_eq!(
        promote_targets(&p)[0],
        "app-04",
        "spares come from outside sw-1"
    );
}

#[test]
fn capacity_already_used_on_a_failover_server_counts() {
    let mut topology = switch_2017();
    // One server at a time, as it went in 2017: each plan sees the last one's moves.
    for source in ["app-04", "app-05"] {
        let p = plan(&topology, PlanKind::EvacuateServer, Some(source));
        assert_eq!((p.placements.len(), p.unplaceable.len()), (17, 0));
        apply(&mut topology, &p);
    }
    let (fo1, fo2) = (server(&topology, "fo-1"), server(&topology, "fo-2"));
    assert_eq!(
        (fo1.site_count, fo2.site_count),
        (17, 17),
        "balanced by free slots"
    );
    let last = plan(&topology, PlanKind::EvacuateServer, Some("app-06"));
    assert_eq!((last.placements.len(), last.unplaceable.len()), (6, 11));
    assert_eq!((placed_on(&last, "fo-1"), placed_on(&last, "fo-2")), (3, 3));
    assert_eq!(
        last.unplaceable[0].reason,
        "no failover capacity left: 6 free slots for 17 sites"
    );
}

#[test]
fn wrong_and_unknown_targets_are_refused() {
    let topology = demo();
    let cases = [
        (PlanKind::EvacuateSwitch, "app-04", "wrong_target"),
        (PlanKind::EvacuateServer, "sw-2", "wrong_target"),
        (PlanKind::EvacuateServer, "web-1", "wrong_target"),
        (PlanKind::EvacuateSwitch, "sw-9", "unknown_target"),
        (PlanKind::EvacuateServer, "app-99", "unknown_target"),
    ];
    for (kind, target, code) in cases {
        assert_eq!(
            error_code(try_plan(&topology, kind, Some(target))),
            code,
            "{kind:?} {target}"
        );
    }
    let mut req = request(PlanKind::EvacuateServer, Some("app-04"));
    req.options.also = vec!["nope".into()];
    let err = make_plan(&topology, &req, "p".into(), t0(), &Default::default()).unwrap_err();
    assert_eq!(err.code(), "unknown_target");
}

#[test]
fn an_empty_drained_server_is_nothing_to_do() {
    let mut topology = demo();
    topology.sites.retain(|s| s.server != "app-04");
    server_mut(&mut topology, "app-04").site_count = 0;
    let drain_only = plan(&topology, PlanKind::EvacuateServer, Some("app-04"));
    assert_eq!(drain_only.steps.len(), 1);
    server_mut(&mut topology, "app-04").admin = Admin::Drain;
    assert_eq!(
        error_code(try_plan(
            &topology,
            PlanKind::EvacuateServer,
            Some("app-04")
        )),
        "nothing_to_do"
    );
}

#[test]
fn promote_spare_picks_the_healthy_app_server_with_most_room() {
    let mut topology = switch_2017();
    server_mut(&mut topology, "app-08").site_count = 10; // 10 free
    server_mut(&mut topology, "app-09").site_count = 5; // 15 free, but draining
    server_mut(&mut topology, "app-09").admin = Admin::Drain;
    let p = plan(&topology, PlanKind::PromoteSpare, None);
    assert_eq!(p.target.as_deref(), Some("app-08"));
    assert_eq!(p.scope, "server:app-08");
    assert_eq!(
        p.steps.iter().map(|s| &s.op).collect::<Vec<_>>(),
        [&StepOp::SetRole {
            server: "app-08".into(),
            role: Role::Failover
        }]
    );
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("app-08 keeps its 10 sites")),
        "{:?}",
        p.warnings
    );

    assert_eq!(
        error_code(try_plan(&topology, PlanKind::PromoteSpare, Some("app-05"))),
        "unsafe_target"
    );
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::PromoteSpare, Some("app-09"))),
        "unsafe_target"
    );
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::PromoteSpare, Some("fo-1"))),
        "nothing_to_do"
    );
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::PromoteSpare, Some("web-1"))),
        "wrong_target"
    );

    for s in topology.servers.iter_mut().filter(|s| s.role == Role::App) {
        s.health = health(HealthState::Flapping, ago(60));
    }
    assert_eq!(
        error_code(try_plan(&topology, PlanKind::PromoteSpare, None)),
        "no_healthy_target"
    );
}
