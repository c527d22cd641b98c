//! Behaviour tests of the simulator: the demo fleet, probes, each fault,
//! operations, scenarios and determinism.

use std::time::Duration;

use super::*;
use crate::model::{FaultKind, FleetSpec, Observation, ProbeOutcome, Role, SimFault, Timestamp};

mod faults;
mod operations;

pub(super) fn demo() -> FleetSpec {
    FleetSpec::parse("demo.toml", DEMO_FLEET).unwrap()
}

pub(super) fn start() -> Timestamp {
    "2017-09-11T22:15:00Z".parse().unwrap()
}

pub(super) fn sim(seed: u64) -> Sim {
    Sim::new(&demo(), seed, start())
}

pub(super) fn fault(kind: FaultKind, target: &str) -> SimFault {
    SimFault {
        kind,
        target: target.to_string(),
    }
}

pub(super) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Every probe of `id` in `obs`, in order.
pub(super) fn probes(obs: &[Observation], id: &str) -> Vec<(Timestamp, ProbeOutcome)> {
    obs.iter()
        .filter_map(|o| match o {
            Observation::Probes { at, results } => Some((at, results)),
            Observation::World { .. } => None,
        })
        .flat_map(|(at, results)| {
            results
                .iter()
                .filter(|(node, _)| node == id)
                .map(move |(_, outcome)| (*at, outcome.clone()))
        })
        .collect()
}

pub(super) fn worlds(obs: &[Observation]) -> Vec<(Timestamp, crate::model::WorldFacts)> {
    obs.iter()
        .filter_map(|o| match o {
            Observation::World { at, facts } => Some((*at, facts.clone())),
            Observation::Probes { .. } => None,
        })
        .collect()
}

#[test]
fn demo_fleet_parses_with_the_expected_shape() {
    let spec = demo();
    assert_eq!(spec.service, "Acme Sites");
    assert_eq!(spec.switches, ["sw-1", "sw-2", "sw-3"]);
    let with_role = |role: Role| -> Vec<(&str, &str)> {
        spec.servers
            .iter()
            .filter(|s| s.role == role)
            .map(|s| (s.id.as_str(), s.switch.as_str()))
            .collect()
    };
    let apps = with_role(Role::App);
    assert_eq!(apps.len(), 9);
    for (i, (id, switch)) in apps.iter().enumerate() {
        assert_eq!(*id, format!("app-{:02}", i + 1));
        assert_eq!(*switch, format!("sw-{}", i / 3 + 1));
    }
    assert_eq!(
        with_role(Role::Failover),
        [("fo-1", "sw-1"), ("fo-2", "sw-3")]
    );
    let webs = with_role(Role::Web);
    assert_eq!(webs.len(), 4);
    for switch in &spec.switches {
        assert!(
            webs.iter().any(|(_, s)| s == switch),
            "no web server on {switch}"
        );
    }
    assert_eq!(
        with_role(Role::Cache),
        [("cache-1", "sw-2"), ("cache-2", "sw-3")]
    );
    assert_eq!(with_role(Role::Db), [("db-1", "sw-1"), ("db-2", "sw-3")]);
    let cache = spec.cache.as_ref().unwrap();
    assert_eq!(
        (cache.active.as_str(), cache.standby.as_slice()),
        ("cache-1", &["cache-2".to_string()][..])
    );
    let db = spec.database.as_ref().unwrap();
    assert_eq!(
        (db.active.as_str(), db.standby.as_slice()),
        ("db-1", &["db-2".to_string()][..])
    );
    for s in spec
        .servers
        .iter()
        .filter(|s| matches!(s.role, Role::App | Role::Failover))
    {
        assert_eq!(s.capacity, 20, "{}", s.id);
    }
    assert_eq!(spec.sites.len(), 153);
    for (i, site) in spec.sites.iter().enumerate() {
        assert_eq!(site.id, format!("site-{:03}", i + 1));
        assert_eq!(site.home, format!("app-{:02}", i / 17 + 1));
        assert_ne!(site.name, site.id);
    }
    let names: std::collections::BTreeSet<_> = spec.sites.iter().map(|s| &s.name).collect();
    assert_eq!(names.len(), 153, "site names are unique");
    let p = spec.probe_defaults;
    assert_eq!(
        (p.interval_ms, p.timeout_ms, p.rise, p.fall),
        (5000, 2000, 2, 3)
    );
    assert_eq!(
        (
            spec.detection.flap_transitions,
            spec.detection.flap_window_s
        ),
        (3, 900)
    );
    assert!(!spec.is_probed());
}

#[test]
fn first_step_probes_every_node_and_reports_the_world() {
    let spec = demo();
    let mut sim = sim(1);
    let obs = sim.step(Duration::ZERO);
    assert_eq!(obs.len(), 2);
    let Observation::World { at, facts } = &obs[0] else {
        panic!("{obs:?}")
    };
    assert_eq!(*at, start());
    let cache = facts.cache.as_ref().unwrap();
    assert_eq!(
        (
            cache.active.as_str(),
            cache.stale_clients,
            cache.code_path_failing
        ),
        ("cache-1", 0, false)
    );
    assert_eq!(facts.database.as_ref().unwrap().writer, "db-1");
    assert!(facts.stuck_backends.is_empty());
    let Observation::Probes { at, results } = &obs[1] else {
        panic!("{obs:?}")
    };
    assert_eq!(*at, start());
    let ids: Vec<&str> = results.iter().map(|(id, _)| id.as_str()).collect();
    let all: Vec<&str> = spec.servers.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, all);
    for (id, outcome) in results {
        assert!(outcome.ok, "{id}: {outcome:?}");
        let latency = outcome.latency_ms.unwrap();
        if id.starts_with("app-") {
            assert!((24.0..=36.0).contains(&latency), "{id}: {latency}");
        }
    }
    // Nothing changes and no probe is due within the same instant.
    assert!(sim.step(Duration::ZERO).is_empty());
}

#[test]
fn each_node_is_probed_every_interval_with_its_own_phase() {
    let mut sim = sim(2);
    let obs = sim.step(secs(60));
    let mut first_offsets = std::collections::BTreeSet::new();
    for server in &demo().servers {
        let times: Vec<Timestamp> = probes(&obs, &server.id)
            .into_iter()
            .map(|(at, _)| at)
            .collect();
        assert_eq!(times.len(), 13, "{}: {times:?}", server.id);
        assert_eq!(times[0], start());
        first_offsets.insert((times[1] - start()).num_seconds());
        for pair in times[1..].windows(2) {
            assert_eq!((pair[1] - pair[0]).num_seconds(), 5, "{}", server.id);
        }
    }
    assert!(
        first_offsets.len() > 1,
        "phases are spread: {first_offsets:?}"
    );
    assert_eq!(sim.now(), start() + chrono::TimeDelta::seconds(60));
    // No new world facts without a change.
    assert_eq!(worlds(&obs).len(), 1);
}

#[test]
fn sub_second_steps_add_up_to_ticks() {
    let mut whole = sim(3);
    let mut parts = sim(3);
    let a = whole.step(secs(12));
    let mut b = Vec::new();
    for _ in 0..120 {
        b.extend(parts.step(Duration::from_millis(100)));
    }
    assert_eq!(a, b);
    assert_eq!(whole.now(), parts.now());
}

/// A run mixing scenario steps, injected faults and operations.
fn busy_run(seed: u64) -> (Vec<Observation>, crate::model::SimStatus) {
    let mut sim = sim(seed);
    sim.load_scenario(Scenario::builtin("switch-2017").unwrap());
    let mut obs = sim.step(secs(30));
    sim.inject(&fault(FaultKind::SwitchFault, "sw-3")).unwrap();
    sim.inject(&fault(FaultKind::DbMasterDown, "db-1")).unwrap();
    obs.extend(sim.step(Duration::from_millis(2500)));
    sim.move_site("site-052", "fo-1").unwrap();
    for _ in 0..40 {
        obs.extend(sim.step(secs(7)));
    }
    sim.inject(&fault(FaultKind::Recover, "sw-3")).unwrap();
    obs.extend(sim.step(secs(3600)));
    (obs, sim.status(60.0))
}

#[test]
fn same_seed_and_calls_give_the_same_observations() {
    let (a, status_a) = busy_run(42);
    let (b, status_b) = busy_run(42);
    assert!(a.len() > 1000);
    assert_eq!(a, b);
    assert_eq!(status_a, status_b);
    let (c, _) = busy_run(43);
    assert_ne!(a, c, "another seed gives another run");
}

#[test]
fn scenario_steps_fire_at_their_offsets() {
    let mut sim = sim(5);
    sim.load_scenario(Scenario::builtin("switch-2017").unwrap());
    sim.step(secs(44 * 60 + 59));
    let active = sim.status(1.0).active_faults;
    assert!(active.contains(&fault(FaultKind::ServerDown, "app-04")));
    assert!(active.contains(&fault(FaultKind::CacheFailoverRegression, "cache-1")));
    assert!(!active.contains(&fault(FaultKind::ServerFlap, "app-05")));
    sim.step(secs(1));
    assert!(
        sim.status(1.0)
            .active_faults
            .contains(&fault(FaultKind::ServerFlap, "app-05"))
    );
    sim.step(secs(60));
    let status = sim.status(1.0);
    assert!(
        !status
            .active_faults
            .contains(&fault(FaultKind::ServerDown, "app-06"))
    );
    assert_eq!(status.scenario.as_deref(), Some("switch-2017"));
    assert!(sim.step_errors().is_empty());
}

#[test]
fn next_steps_are_listed_soonest_first() {
    let text = r#"
name = "unordered"
[[step]]
at = "+10m"
fault = "server_down"
target = "app-02"
[[step]]
at = "+1m"
note = "first"
[[step]]
at = "+1h"
fault = "recover"
target = "app-02"
"#;
    let mut sim = sim(6);
    sim.load_scenario(Scenario::parse("u.toml", text).unwrap());
    let status = sim.status(2.5);
    assert_eq!(status.speed, 2.5);
    assert_eq!(status.seed, 6);
    assert_eq!(status.started_at, start());
    let offsets: Vec<&str> = status
        .next_steps
        .iter()
        .map(|s| s.offset.as_str())
        .collect();
    assert_eq!(offsets, ["+1m", "+10m", "+1h"]);
    assert_eq!(status.next_steps[0].fault, None);
    assert_eq!(status.next_steps[0].description, "first");
    assert_eq!(status.next_steps[1].fault, Some(FaultKind::ServerDown));
    assert_eq!(status.next_steps[1].target.as_deref(), Some("app-02"));
    assert_eq!(
        status.next_steps[1].due_at,
        start() + chrono::TimeDelta::minutes(10)
    );
    sim.step(secs(10 * 60));
    let status = sim.status(1.0);
    assert_eq!(status.next_steps.len(), 1);
    assert_eq!(
        status.active_faults,
        [fault(FaultKind::ServerDown, "app-02")]
    );
    assert_eq!(status.clock, start() + chrono::TimeDelta::minutes(10));
}

#[test]
fn a_step_that_does_not_fit_the_world_is_skipped_and_reported() {
    let text = "name = \"t\"\n[[step]]\nat = \"+5s\"\nfault = \"db_master_down\"\ntarget = \"db-2\"\n\
                [[step]]\nat = \"+6s\"\nfault = \"server_down\"\ntarget = \"app-01\"\n";
    let mut sim = sim(7);
    sim.load_scenario(Scenario::parse("t.toml", text).unwrap());
    sim.step(secs(10));
    assert_eq!(sim.step_errors().len(), 1);
    assert_eq!(sim.step_errors()[0].step, 0);
    assert!(
        sim.step_errors()[0]
            .message
            .contains("not the database writer"),
        "{:?}",
        sim.step_errors()
    );
    assert_eq!(
        sim.status(1.0).active_faults,
        [fault(FaultKind::ServerDown, "app-01")]
    );
}

#[test]
fn db_master_2020_promotes_the_replica_after_the_delay() {
    let mut sim = Sim::new(&demo(), 8, "2020-04-01T13:00:00Z".parse().unwrap());
    sim.load_scenario(Scenario::builtin("db-master-2020").unwrap());
    sim.step(secs(3 * 60 + 89));
    assert_eq!(sim.facts().database.unwrap().writer, "db-1");
    let obs = sim.step(secs(1));
    let facts = sim.facts();
    assert_eq!(facts.database.as_ref().unwrap().writer, "db-2");
    assert!(!facts.stuck_backends.is_empty());
    assert_eq!(
        worlds(&obs).len(),
        1,
        "the promotion is reported as it happens"
    );
}

#[test]
fn switch_2017_plays_out_with_its_scripted_responses() {
    let mut sim = sim(9);
    let scenario = Scenario::builtin("switch-2017").unwrap();
    let response_at = |plan: ResponsePlan| {
        let r = scenario.responses.iter().find(|r| r.plan == plan).unwrap();
        r.at.duration()
    };
    let failover_at = response_at(ResponsePlan::CacheFailover);
    let recycle_at = response_at(ResponsePlan::RecycleWeb);
    sim.load_scenario(scenario.clone());

    sim.step(failover_at);
    let cache_target = scenario
        .responses
        .iter()
        .find(|r| r.plan == ResponsePlan::CacheFailover)
        .and_then(|r| r.target.clone());
    sim.cache_failover(cache_target.as_deref()).unwrap();
    let cache = sim.facts().cache.unwrap();
    assert_eq!(
        (
            cache.active.as_str(),
            cache.stale_clients,
            cache.code_path_failing
        ),
        ("cache-2", 4, false)
    );

    // 18:00 PDT: the switch reboot takes the old node away.
    sim.step(secs(30 * 60));
    assert!(sim.facts().cache.unwrap().code_path_failing);
    // 18:05 PDT: the switch is replaced; the app servers answer again.
    let obs = sim.step(secs(6 * 60));
    for id in ["app-04", "app-05", "app-06"] {
        assert!(probes(&obs, id).last().unwrap().1.ok, "{id}");
    }
    assert!(
        sim.facts().cache.unwrap().code_path_failing,
        "still failing until recycled"
    );

    sim.step(recycle_at - (sim.now() - start()).to_std().unwrap());
    for web in ["web-1", "web-2", "web-3", "web-4"] {
        sim.recycle_web(web).unwrap();
    }
    let obs = sim.step(secs(1));
    let cache = worlds(&obs)[0].1.cache.clone().unwrap();
    assert_eq!((cache.stale_clients, cache.code_path_failing), (0, false));
    assert!(sim.step_errors().is_empty());
}

#[test]
fn db_master_2020_stuck_sites_clear_with_the_scripted_restart() {
    let mut sim = Sim::new(&demo(), 4, "2020-04-01T13:00:00Z".parse().unwrap());
    let scenario = Scenario::builtin("db-master-2020").unwrap();
    let restart = scenario.responses[0].clone();
    sim.load_scenario(scenario);
    sim.step(restart.at.duration());
    let stuck = sim.facts().stuck_backends;
    assert!(!stuck.is_empty());
    for site in stuck.keys() {
        sim.restart_site(site).unwrap();
    }
    assert!(sim.facts().stuck_backends.is_empty());
    assert_eq!(sim.facts().database.unwrap().writer, "db-2");
}

/// Stepping from one event to the next (`next_event`) sees exactly what
/// stepping every tick sees: scenario faults, the managed database, and an
/// operator's cache failover that leaves stale clients.
#[test]
fn stepping_event_to_event_sees_what_every_tick_sees() {
    for name in ["switch-2017", "db-master-2020"] {
        let scenario = Scenario::builtin(name).unwrap();
        let offset = |sim: &Sim| (sim.now() - sim.started_at()).to_std().unwrap();
        let (end, failover_at) = (secs(4 * 3600), secs(2 * 3600 + 15 * 60));
        let mut by_tick = sim(3);
        by_tick.load_scenario(scenario.clone());
        let mut by_event = sim(3);
        by_event.load_scenario(scenario);
        let mut seen_by_tick = by_tick.step(secs(0));
        let mut seen_by_event = by_event.step(secs(0));
        let mut steps = 0u64;
        while offset(&by_event) < end {
            let now = offset(&by_event);
            let next = by_event.next_event();
            assert!(next > now, "{name}: the next event is ahead of the clock");
            // The operator acts between events, at a moment both reach.
            let target = if now < failover_at {
                next.min(failover_at)
            } else {
                next
            };
            seen_by_event.extend(by_event.step(target - now));
            steps += 1;
            while offset(&by_tick) < target {
                seen_by_tick.extend(by_tick.step(secs(1)));
            }
            if target == failover_at {
                // The old node then flaps with its switch: whether the
                // stale clients' code path fails changes between probes.
                let flaps = fault(FaultKind::SwitchFault, "sw-2");
                for world in [&mut by_event, &mut by_tick] {
                    world.cache_failover(Some("cache-2")).unwrap();
                    world.inject(&flaps).unwrap();
                }
            }
        }
        assert_eq!(seen_by_event, seen_by_tick, "{name}");
        assert!(steps <= end.as_secs(), "{name}: {steps} steps for 4 h");
    }
}
