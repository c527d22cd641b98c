use super::*;
use crate::model::{Admin, Placement, Role};

/// app-04 failed at 15:15 and its 17 sites were evacuated (it is drained);
/// then it came back at `back_since` in `state`, and sw-2 is ok again.
fn after_evacuation(state: HealthState, back_since: Timestamp) -> (Topology, Plan) {
    let mut topology = demo();
    lose(&mut topology, "app-04", HealthState::Down, ago(80 * 60));
    let evacuation = plan(&topology, PlanKind::EvacuateServer, Some("app-04"));
    apply(&mut topology, &evacuation);
    set_server(&mut topology, "app-04", state, back_since);
    (topology, evacuation)
}

fn moves(p: &Plan) -> usize {
    p.steps
        .iter()
        .filter(|s| matches!(s.op, StepOp::MoveSite { .. }))
        .count()
}

#[test]
fn stable_home_gets_its_sites_back_after_a_wait() {
    let (topology, evacuation) = after_evacuation(HealthState::Up, ago(600));
    let p = plan(&topology, PlanKind::Failback, Some("app-04"));
    assert_eq!((p.placements.len(), p.unplaceable.len()), (17, 0));
    assert!(
        p.placements
            .iter()
            .all(|x| x.to == "app-04" && x.from.starts_with("fo-"))
    );
    assert_eq!(
        p.steps[0].op,
        StepOp::WaitHealthy {
            server: "app-04".into(),
            stable_s: 300
        }
    );
    assert!(p.steps[0].deadline_s >= 300 + 60);
    assert_eq!(
        p.steps[1].op,
        StepOp::SetAdmin {
            server: "app-04".into(),
            admin: Admin::Ready
        }
    );
    assert_eq!(moves(&p), 17);
    assert_eq!(p.scope, "server:app-04");
    assert_eq!(p.summary, "Fail back 17 sites to app-04.");
    // Exactly the sites the evacuation moved.
    let mut back: Vec<&str> = p.placements.iter().map(|x| x.site.as_str()).collect();
    let mut out: Vec<&str> = evacuation
        .placements
        .iter()
        .map(|x| x.site.as_str())
        .collect();
    back.sort_unstable();
    out.sort_unstable();
    assert_eq!(back, out);
}

#[test]
fn a_flapping_home_is_refused() {
    let (topology, _) = after_evacuation(HealthState::Flapping, ago(600));
    let p = plan(&topology, PlanKind::Failback, Some("app-04"));
    assert!(p.placements.is_empty());
    assert_eq!(moves(&p), 0);
    assert!(p.steps.is_empty(), "{:?}", p.steps);
    assert_eq!(p.unplaceable.len(), 17);
    assert!(
        p.unplaceable
            .iter()
            .all(|u| u.reason == "home app-04 is flapping")
    );
}

#[test]
fn a_recently_up_home_is_refused_with_how_long_it_has_been_up() {
    let (topology, _) = after_evacuation(HealthState::Up, ago(40));
    let p = plan(&topology, PlanKind::Failback, None);
    assert_eq!(moves(&p), 0);
    assert_eq!(p.unplaceable.len(), 17);
    assert!(
        p.unplaceable
            .iter()
            .all(|u| u.reason == "home app-04 up for 40 s, needs 300 s stable"),
        "{:?}",
        p.unplaceable[0]
    );
    assert!(
        p.summary.starts_with("No site can fail back yet"),
        "{}",
        p.summary
    );
}

/// Something that keeps a home server from taking its sites back.
type Breakage = fn(&mut Topology);

#[test]
fn down_degraded_maintenance_and_suspect_switch_homes_are_refused() {
    let cases: [(Breakage, &str); 4] = [
        (
            |t| set_server(t, "app-04", HealthState::Down, ago(600)),
            "home app-04 is down",
        ),
        (
            |t| set_server(t, "app-04", HealthState::Degraded, ago(600)),
            "home app-04 is degraded",
        ),
        (
            |t| server_mut(t, "app-04").admin = Admin::Maint,
            "home app-04 is in maintenance",
        ),
        (
            |t| set_switch(t, "sw-2", SwitchHealth::Suspect),
            "home app-04 is behind suspect switch sw-2",
        ),
    ];
    for (break_it, reason) in cases {
        let (mut topology, _) = after_evacuation(HealthState::Up, ago(600));
        break_it(&mut topology);
        let p = plan(&topology, PlanKind::Failback, None);
        assert_eq!(moves(&p), 0, "{reason}");
        assert!(
            p.unplaceable.iter().all(|u| u.reason == reason),
            "{reason}: {:?}",
            p.unplaceable
        );
    }
}

#[test]
fn only_the_chosen_sites_and_homes_fail_back() {
    let (mut topology, evacuation) = after_evacuation(HealthState::Up, ago(600));
    // app-07's first site is away too, on fo-2.
    let site = topology
        .sites
        .iter()
        .find(|s| s.server == "app-07")
        .unwrap()
        .id
        .clone();
    apply(
        &mut topology,
        &Plan {
            steps: vec![crate::model::PlanStep {
                op: StepOp::MoveSite {
                    site: site.clone(),
                    from: "app-07".into(),
                    to: "fo-2".into(),
                },
                description: String::new(),
                deadline_s: 60,
            }],
            ..evacuation.clone()
        },
    );
    let all = plan(&topology, PlanKind::Failback, None);
    assert_eq!(all.placements.len(), 18);
    assert_eq!(all.scope, "fleet");

    let by_home = plan(&topology, PlanKind::Failback, Some("app-07"));
    assert_eq!(
        by_home.placements,
        [Placement {
            site: site.clone(),
            from: "fo-2".into(),
            to: "app-07".into()
        }]
    );
    assert_eq!(
        by_home.steps.len(),
        2,
        "wait, then move; app-07 was never drained"
    );

    let mut req = request(PlanKind::Failback, None);
    req.options.sites = vec![evacuation.placements[0].site.clone()];
    let one = make_plan(&topology, &req, "p".into(), t0(), &Default::default()).unwrap();
    assert_eq!(one.placements.len(), 1);
    assert_eq!(one.placements[0].site, evacuation.placements[0].site);

    req.options.sites = vec!["site-999".into()];
    let err = make_plan(&topology, &req, "p".into(), t0(), &Default::default()).unwrap_err();
    assert_eq!(err.code(), "unknown_target");
}

#[test]
fn nothing_to_fail_back_when_every_site_is_home() {
    assert_eq!(
        error_code(try_plan(&demo(), PlanKind::Failback, None)),
        "nothing_to_do"
    );
    assert_eq!(
        error_code(try_plan(&demo(), PlanKind::Failback, Some("web-1"))),
        "wrong_target"
    );
}

#[test]
fn undoing_an_evacuation_is_a_failback_of_the_moved_sites() {
    let (topology, evacuation) = after_evacuation(HealthState::Up, ago(600));
    let p = undo(&topology, &evacuation).unwrap();
    assert_eq!(p.kind, PlanKind::Failback);
    assert_eq!(p.id, "plan-2");
    let mut expected: Vec<Placement> = evacuation
        .placements
        .iter()
        .map(|x| Placement {
            site: x.site.clone(),
            from: x.to.clone(),
            to: x.from.clone(),
        })
        .collect();
    expected.sort_by(|a, b| a.site.cmp(&b.site));
    assert_eq!(p.placements, expected);
    assert!(
        matches!(&p.steps[0].op, StepOp::WaitHealthy { server, stable_s: 300 } if server == "app-04")
    );

    // Not yet stable: the undo waits, listing why.
    let (early, evacuation) = after_evacuation(HealthState::Up, ago(40));
    let p = undo(&early, &evacuation).unwrap();
    assert_eq!(moves(&p), 0);
    assert_eq!(p.unplaceable.len(), 17);
}

#[test]
fn undoing_an_evacuation_that_moved_nothing_sets_the_source_ready_again() {
    let mut topology = demo();
    topology.sites.retain(|s| s.server != "app-04");
    server_mut(&mut topology, "app-04").site_count = 0;
    let drain = plan(&topology, PlanKind::EvacuateServer, Some("app-04"));
    apply(&mut topology, &drain);
    let p = undo(&topology, &drain).unwrap();
    assert_eq!(
        p.steps.iter().map(|s| s.op.clone()).collect::<Vec<_>>(),
        [
            StepOp::WaitHealthy {
                server: "app-04".into(),
                stable_s: 300
            },
            StepOp::SetAdmin {
                server: "app-04".into(),
                admin: Admin::Ready
            }
        ]
    );
}

#[test]
fn undo_of_other_kinds() {
    let mut topology = demo();
    let promotion = plan(&topology, PlanKind::PromoteSpare, Some("app-07"));
    apply(&mut topology, &promotion);
    let demote = undo(&topology, &promotion).unwrap();
    assert_eq!(
        demote.steps[0].op,
        StepOp::SetRole {
            server: "app-07".into(),
            role: Role::App
        }
    );

    let failover = plan(&topology, PlanKind::DbFailover, None);
    apply(&mut topology, &failover);
    let back = undo(&topology, &failover).unwrap();
    assert_eq!(
        back.steps[0].op,
        StepOp::DbFailover {
            from: "db-2".into(),
            to: "db-1".into(),
            forced: false
        }
    );

    let cache = plan(&topology, PlanKind::CacheFailover, None);
    apply(&mut topology, &cache);
    let back = undo(&topology, &cache).unwrap();
    assert_eq!(
        back.steps[0].op,
        StepOp::CacheFailover {
            from: "cache-2".into(),
            to: "cache-1".into()
        }
    );

    let web = plan(&topology, PlanKind::RecycleWeb, None);
    assert_eq!(undo(&topology, &web).unwrap_err().code(), "not_reversible");
}
