//! Every guardrail of the policy, on hand-made plans and the demo fleet's topology.

use chrono::{TimeDelta, TimeZone, Utc};

use super::*;
use crate::fleet::Fleet;
use crate::model::{
    AlertKind, FleetSpec, HealthState, Placement, PlanOptions, PlanStep, Unplaceable,
};

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 30, 15, 16, 0).unwrap()
}

fn spec() -> AutopilotSpec {
    AutopilotSpec {
        enabled: true,
        kinds: vec![AlertKind::ServerDown, AlertKind::DatabaseDown],
        ..AutopilotSpec::default()
    }
}

fn policy(spec: AutopilotSpec) -> Policy {
    Policy {
        spec,
        detection: DetectionSettings::default(),
    }
}

fn topology() -> Topology {
    let spec = FleetSpec::parse("demo.toml", crate::sim::DEMO_FLEET).unwrap();
    Fleet::new(&spec, t0()).topology().clone()
}

fn request(kind: PlanKind, target: Option<&str>) -> PlanRequest {
    PlanRequest {
        kind,
        target: target.map(str::to_string),
        options: PlanOptions::default(),
    }
}

fn recommendation(
    kind: PlanKind,
    target: Option<&str>,
    alert: Option<AlertKind>,
) -> Recommendation {
    Recommendation {
        request: request(kind, target),
        reason: "app-07 is down".into(),
        alert_kind: alert,
        alerts: Vec::new(),
        since: t0(),
    }
}

fn step(op: StepOp) -> PlanStep {
    PlanStep {
        op,
        description: "a step".into(),
        deadline_s: 60,
    }
}

fn make_plan(kind: PlanKind, target: Option<&str>, steps: Vec<StepOp>) -> Plan {
    let placements = steps
        .iter()
        .filter_map(|op| match op {
            StepOp::MoveSite { site, from, to } => Some(Placement {
                site: site.clone(),
                from: from.clone(),
                to: to.clone(),
            }),
            _ => None,
        })
        .collect();
    Plan {
        id: "plan-1".into(),
        kind,
        target: target.map(str::to_string),
        summary: "a plan".into(),
        steps: steps.into_iter().map(step).collect(),
        placements,
        unplaceable: Vec::new(),
        warnings: Vec::new(),
        risk: None,
        confirm: None,
        offers: Vec::new(),
        scope: "servers".into(),
        topology_version: 1,
        created_at: t0(),
        expires_at: t0() + TimeDelta::minutes(2),
    }
}

/// Evacuating `server`: drain it, move `sites` sites to `to`.
fn evacuation(server: &str, to: &str, sites: usize) -> Plan {
    let mut steps = vec![StepOp::SetAdmin {
        server: server.into(),
        admin: crate::model::Admin::Drain,
    }];
    steps.extend((0..sites).map(|i| StepOp::MoveSite {
        site: format!("{server}-s{i}"),
        from: server.into(),
        to: to.into(),
    }));
    make_plan(PlanKind::EvacuateServer, Some(server), steps)
}

fn down(server: &str) -> Recommendation {
    recommendation(
        PlanKind::EvacuateServer,
        Some(server),
        Some(AlertKind::ServerDown),
    )
}

#[test]
fn blast_radius_counts_distinct_servers_and_sites() {
    let plan = evacuation("app-07", "fo-2", 17);
    let radius = BlastRadius::of(&plan);
    assert_eq!(radius.servers.len(), 2);
    assert_eq!(radius.sites.len(), 17);
    assert_eq!(radius.words(), "2 servers and 17 sites");
    let recycle = plan_with_steps(vec![
        StepOp::RecycleWeb {
            server: "web-1".into(),
        },
        StepOp::RecycleWeb {
            server: "web-2".into(),
        },
        StepOp::WaitHealthy {
            server: "web-1".into(),
            stable_s: 10,
        },
    ]);
    assert_eq!(BlastRadius::of(&recycle).words(), "2 servers");
}

fn plan_with_steps(steps: Vec<StepOp>) -> Plan {
    make_plan(PlanKind::RecycleWeb, None, steps)
}

#[test]
fn an_opted_in_kind_within_the_caps_is_executed() {
    let p = policy(spec());
    let verdict = p.decide(
        &AutopilotBook::default(),
        &down("app-07"),
        &evacuation("app-07", "fo-2", 17),
        &topology(),
        t0(),
    );
    assert_eq!(verdict, Verdict::Execute { confirm: None });
}

#[test]
fn kinds_not_opted_in_are_ignored() {
    let p = policy(spec());
    let suspect = recommendation(
        PlanKind::EvacuateSwitch,
        Some("sw-3"),
        Some(AlertKind::SwitchSuspect),
    );
    let plan = make_plan(PlanKind::EvacuateSwitch, Some("sw-3"), vec![]);
    assert_eq!(
        p.decide(
            &AutopilotBook::default(),
            &suspect,
            &plan,
            &topology(),
            t0()
        ),
        Verdict::Nothing(Idle::NotOptedIn)
    );
    // Housekeeping with no alert behind it is never opted in by a kind.
    let demote = recommendation(PlanKind::DemoteSpares, None, None);
    assert!(!p.opted_in(&demote));
    assert!(p.opted_in(&down("app-07")));
}

#[test]
fn off_does_nothing() {
    let p = policy(AutopilotSpec {
        enabled: false,
        ..spec()
    });
    assert_eq!(p.mode(&AutopilotBook::default()), AutopilotMode::Off);
    assert_eq!(
        p.decide(
            &AutopilotBook::default(),
            &down("app-07"),
            &evacuation("app-07", "fo-2", 3),
            &topology(),
            t0()
        ),
        Verdict::Nothing(Idle::Off)
    );
}

#[test]
fn pause_stops_everything_until_resumed() {
    let p = policy(spec());
    let mut book = AutopilotBook {
        paused: Some(Paused {
            by: "alice".into(),
            at: t0(),
        }),
        ..AutopilotBook::default()
    };
    assert_eq!(p.mode(&book), AutopilotMode::Paused);
    let plan = evacuation("app-07", "fo-2", 3);
    assert_eq!(
        p.decide(&book, &down("app-07"), &plan, &topology(), t0()),
        Verdict::Nothing(Idle::Paused)
    );
    book.paused = None;
    assert_eq!(
        p.decide(&book, &down("app-07"), &plan, &topology(), t0()),
        Verdict::Execute { confirm: None }
    );
}

#[test]
fn dry_run_decides_would_have() {
    let p = policy(AutopilotSpec {
        dry_run: true,
        ..spec()
    });
    assert_eq!(p.mode(&AutopilotBook::default()), AutopilotMode::DryRun);
    let plan = evacuation("app-07", "fo-2", 17);
    let rec = down("app-07");
    let verdict = p.decide(&AutopilotBook::default(), &rec, &plan, &topology(), t0());
    assert_eq!(verdict, Verdict::WouldHave);
    assert_eq!(
        describe(&verdict, &plan, &rec, true),
        "autopilot (dry run): would have evacuated app-07 (evacuate_server, 2 servers and 17 sites) — app-07 is down"
    );
}

#[test]
fn the_block_period_holds_and_ends() {
    let p = policy(AutopilotSpec {
        block_s: 3600,
        ..spec()
    });
    let mut book = AutopilotBook::default();
    p.record_action(&mut book, &evacuation("app-07", "fo-2", 17), "act-1", t0());
    // The destination of the first action is acted on by the second.
    let second = evacuation("fo-2", "fo-1", 17);
    let later = t0() + TimeDelta::minutes(30);
    let verdict = p.decide(&book, &down("fo-2"), &second, &topology(), later);
    let Verdict::Blocked(block) = &verdict else {
        panic!("expected a block, got {verdict:?}");
    };
    assert_eq!(block.target, "fo-2");
    assert_eq!(block.until, t0() + TimeDelta::hours(1));
    assert_eq!(
        describe(&verdict, &second, &down("fo-2"), false),
        "autopilot: blocked: fo-2 was acted on automatically at 15:16:00, block period until 16:16:00; evacuate_server fo-2 was not run"
    );
    // So is the target itself.
    assert!(matches!(
        p.decide(
            &book,
            &down("app-07"),
            &evacuation("app-07", "fo-1", 1),
            &topology(),
            later
        ),
        Verdict::Blocked(_)
    ));
    // Another server that only receives sites from fo-2's neighbour is not blocked.
    assert_eq!(
        p.decide(
            &book,
            &down("app-08"),
            &evacuation("app-08", "fo-2", 1),
            &topology(),
            later
        ),
        Verdict::Execute { confirm: None }
    );
    assert_eq!(book.next_expiry(later), Some(t0() + TimeDelta::hours(1)));
    // Once it ends, the autopilot may act again.
    let after = t0() + TimeDelta::seconds(3600);
    assert_eq!(
        p.decide(&book, &down("fo-2"), &second, &topology(), after),
        Verdict::Execute { confirm: None }
    );
    book.expire(after);
    assert!(book.blocks.is_empty() && book.blocked(after).is_empty());
}

#[test]
fn the_per_action_cap_refuses() {
    let p = policy(AutopilotSpec {
        max_servers_per_action: 2,
        max_sites_per_action: 10,
        ..spec()
    });
    let book = AutopilotBook::default();
    let plan = evacuation("app-07", "fo-2", 17);
    let verdict = p.decide(&book, &down("app-07"), &plan, &topology(), t0());
    assert_eq!(
        verdict,
        Verdict::Refused(Breach {
            what: "sites",
            per_hour: false,
            cap: 10,
            used: 0
        })
    );
    assert_eq!(
        describe(&verdict, &plan, &down("app-07"), false),
        "autopilot: refused: evacuate_server app-07 touches 2 servers and 17 sites, over the cap of 10 sites per action; a human must decide"
    );
    // Servers too: a switch evacuation onto two failover servers touches 5.
    let mut steps = Vec::new();
    for (i, from) in ["app-04", "app-05", "app-06"].iter().enumerate() {
        steps.push(StepOp::MoveSite {
            site: format!("s{i}"),
            from: (*from).into(),
            to: if i == 0 { "fo-1" } else { "fo-2" }.into(),
        });
    }
    let switch = make_plan(PlanKind::EvacuateSwitch, Some("sw-2"), steps);
    let rec = recommendation(
        PlanKind::EvacuateSwitch,
        Some("sw-2"),
        Some(AlertKind::ServerDown),
    );
    assert!(matches!(
        p.decide(&book, &rec, &switch, &topology(), t0()),
        Verdict::Refused(Breach {
            what: "servers",
            per_hour: false,
            cap: 2,
            ..
        })
    ));
}

#[test]
fn the_hourly_cap_refuses_once_used_and_allows_again_an_hour_later() {
    let p = policy(AutopilotSpec {
        max_servers_per_action: 2,
        max_servers_per_hour: 4,
        block_s: 60,
        ..spec()
    });
    let mut book = AutopilotBook::default();
    p.record_action(&mut book, &evacuation("app-07", "fo-2", 5), "act-1", t0());
    let t1 = t0() + TimeDelta::minutes(10);
    p.record_action(&mut book, &evacuation("app-08", "fo-1", 5), "act-2", t1);
    assert_eq!(p.budget(&book, t1).servers, 4);
    assert_eq!(p.budget(&book, t1).sites, 10);
    // A third server is over the hour's 4 (fo-1 is already counted).
    let third = evacuation("app-09", "fo-1", 5);
    let t2 = t0() + TimeDelta::minutes(20);
    let verdict = p.decide(&book, &down("app-09"), &third, &topology(), t2);
    assert_eq!(
        verdict,
        Verdict::Refused(Breach {
            what: "servers",
            per_hour: true,
            cap: 4,
            used: 4
        })
    );
    assert!(
        describe(&verdict, &third, &down("app-09"), false).contains(
            "over the cap of 4 servers per hour (4 touched automatically in the last hour)"
        )
    );
    // An hour after the first action its servers leave the budget.
    let t3 = t0() + TimeDelta::minutes(61);
    assert_eq!(p.budget(&book, t3).servers, 2);
    assert_eq!(
        p.decide(&book, &down("app-09"), &third, &topology(), t3),
        Verdict::Execute { confirm: None }
    );
    book.expire(t3);
    assert_eq!(book.acted.len(), 1);
}

#[test]
fn a_flapping_targets_failback_is_never_automatic() {
    let p = policy(AutopilotSpec {
        failback: true,
        ..spec()
    });
    let failback_rec = recommendation(PlanKind::Failback, None, None);
    let failback = make_plan(
        PlanKind::Failback,
        None,
        vec![
            StepOp::WaitHealthy {
                server: "app-07".into(),
                stable_s: 60,
            },
            StepOp::MoveSite {
                site: "s1".into(),
                from: "fo-2".into(),
                to: "app-07".into(),
            },
        ],
    );
    let mut topology = topology();
    let book = AutopilotBook::default();
    assert_eq!(
        p.decide(&book, &failback_rec, &failback, &topology, t0()),
        Verdict::Execute { confirm: None }
    );
    let app07 = topology
        .servers
        .iter_mut()
        .find(|s| s.id == "app-07")
        .unwrap();
    app07.health.state = HealthState::Flapping;
    assert_eq!(
        p.decide(&book, &failback_rec, &failback, &topology, t0()),
        Verdict::Nothing(Idle::FlappingFailback)
    );
    // Up again, but it flapped within the window: still never.
    let app07 = topology
        .servers
        .iter_mut()
        .find(|s| s.id == "app-07")
        .unwrap();
    app07.health.state = HealthState::Up;
    app07.health.transitions = DetectionSettings::default().flap_transitions + 1;
    assert_eq!(
        p.decide(&book, &failback_rec, &failback, &topology, t0()),
        Verdict::Nothing(Idle::FlappingFailback)
    );
    // Failback is off unless the file turns it on.
    let off = policy(spec());
    assert!(!off.opted_in(&failback_rec));
}

#[test]
fn an_opted_in_forced_failover_passes_the_confirmation() {
    let p = policy(spec());
    let mut failover = make_plan(
        PlanKind::DbFailover,
        Some("db-2"),
        vec![StepOp::DbFailover {
            from: "db-1".into(),
            to: "db-2".into(),
            forced: true,
        }],
    );
    failover.confirm = Some("db-2".into());
    let rec = recommendation(PlanKind::DbFailover, None, Some(AlertKind::DatabaseDown));
    assert_eq!(
        p.decide(
            &AutopilotBook::default(),
            &rec,
            &failover,
            &topology(),
            t0()
        ),
        Verdict::Execute {
            confirm: Some("db-2".into())
        }
    );
}

#[test]
fn a_plan_short_of_capacity_takes_its_first_offer_first() {
    let mut plan = evacuation("app-07", "fo-2", 3);
    assert_eq!(Policy::first_offer(&plan), None);
    plan.unplaceable.push(Unplaceable {
        site: "s9".into(),
        from: "app-07".into(),
        reason: "no capacity".into(),
    });
    assert_eq!(Policy::first_offer(&plan), None);
    plan.offers = vec![
        request(PlanKind::PromoteSpare, None),
        request(PlanKind::EvacuateServer, Some("app-08")),
    ];
    assert_eq!(
        Policy::first_offer(&plan),
        Some(&request(PlanKind::PromoteSpare, None))
    );
}

#[test]
fn decisions_keep_the_newest_twenty() {
    let mut book = AutopilotBook::default();
    for i in 0..25 {
        book.remember(AutopilotDecision {
            at: t0() + TimeDelta::seconds(i),
            request: request(PlanKind::EvacuateServer, Some("app-07")),
            outcome: "blocked".into(),
            detail: format!("decision {i}"),
            action_id: None,
        });
    }
    assert_eq!(book.decisions.len(), DECISIONS_KEPT);
    assert_eq!(book.decisions[0].detail, "decision 24");
}

#[test]
fn the_book_reads_older_saves_without_its_fields() {
    let book: AutopilotBook = serde_json::from_str("{}").unwrap();
    assert_eq!(book, AutopilotBook::default());
}
