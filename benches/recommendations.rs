//! Recommendations during a switch fault (DESIGN.md §8): a fleet of 10,000
//! sites on 1,000 servers (benches/support/big_fleet.rs's idle-bar shape),
//! where every server behind sw-01 is down or flapping: 23 app servers and
//! their sites, two failover servers, a web server, the active cache node
//! and the database writer. The fleet state machine detects it from probe
//! results, so the alerts are the ones detection opens. Prints the mean and
//! p99 of `plan::recommend`. Target <= 5 ms.
//!
//! Then the route itself, end to end: `GET /v1/recommendations` over
//! loopback from an in-process orchestrator simulating the same fleet on
//! virtual time, with a `switch_fault` injected on sw-01 and the clock
//! advanced until the switch is suspect (the response parsed by the client).
//!
//! cargo bench --bench recommendations

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use warroom::fleet::Fleet;
use warroom::model::{AlertKind, FleetSpec, HealthState, PlanKind, ProbeOutcome, Timestamp};
use warroom::plan::{PlannerSettings, recommend};

#[path = "support/big_fleet.rs"]
mod big_fleet;

use big_fleet::{FleetShape, fleet_toml};

const FAULTY_SWITCH: &str = "sw-01";

/// The fleet after the switch fault: every node behind `FAULTY_SWITCH`
/// probed down (even positions) or flapping (odd ones), the rest up.
fn faulted_fleet(spec: &FleetSpec, start: Timestamp) -> Fleet {
    let mut fleet = Fleet::new(spec, start);
    let servers: Vec<(String, bool)> = fleet
        .topology()
        .servers
        .iter()
        .map(|s| (s.id.clone(), s.switch == FAULTY_SWITCH))
        .collect();
    let behind: Vec<&str> = servers
        .iter()
        .filter(|(_, faulty)| *faulty)
        .map(|(id, _)| id.as_str())
        .collect();
    let probe = |fleet: &mut Fleet, at: i64, ok: &dyn Fn(usize) -> bool| {
        let results: Vec<(String, ProbeOutcome)> = servers
            .iter()
            .map(|(id, faulty)| {
                let position = behind.iter().position(|b| b == id);
                let up = !*faulty || position.is_some_and(ok);
                let outcome = if up {
                    ProbeOutcome::up(10.0)
                } else {
                    ProbeOutcome::failed("timed out")
                };
                (id.clone(), outcome)
            })
            .collect();
        fleet.observe(start + TimeDelta::seconds(at), &results);
    };
    probe(&mut fleet, 0, &|_| true);
    // Three failures take a node down, two successes bring it back; two
    // such cycles are four transitions: the odd ones are flapping.
    let mut at = 5;
    for cycle in 0..3 {
        for _ in 0..3 {
            probe(&mut fleet, at, &|_| false);
            at += 5;
        }
        if cycle < 2 {
            for _ in 0..2 {
                probe(&mut fleet, at, &|n| n % 2 == 1);
                at += 5;
            }
        }
    }
    fleet
}

fn recommendations(c: &mut Criterion) {
    let spec = FleetSpec::parse("big.toml", &fleet_toml(FleetShape::IDLE_BAR)).expect("fleet");
    let start = Utc
        .with_ymd_and_hms(2017, 9, 11, 22, 15, 0)
        .single()
        .expect("valid time");
    let fleet = faulted_fleet(&spec, start);
    let topology = fleet.topology().clone();
    let alerts = fleet.alerts();
    let now = start + TimeDelta::minutes(5);
    let settings = PlannerSettings {
        normal: fleet.normal().clone(),
        ..PlannerSettings::default()
    };

    assert_eq!(topology.sites.len(), 10_000);
    assert_eq!(topology.servers.len(), 1_000);
    let behind: Vec<_> = topology
        .servers
        .iter()
        .filter(|s| s.switch == FAULTY_SWITCH)
        .collect();
    assert!(behind.iter().all(|s| s.health.state.is_unhealthy()));
    assert!(
        behind
            .iter()
            .any(|s| s.health.state == HealthState::Flapping)
    );
    let first = recommend(&topology, &alerts, now, &settings);
    let lead = first.first().expect("a recommendation");
    assert_eq!(lead.request.kind, PlanKind::EvacuateSwitch);
    assert_eq!(lead.request.target.as_deref(), Some(FAULTY_SWITCH));
    assert_eq!(lead.alert_kind, Some(AlertKind::SwitchSuspect));
    assert!(
        first
            .iter()
            .all(|r| r.request.kind != PlanKind::EvacuateServer),
        "the switch evacuation covers its servers"
    );

    let mut samples: Vec<Duration> = (0..300)
        .map(|_| {
            let begin = Instant::now();
            black_box(recommend(&topology, &alerts, now, &settings));
            begin.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    let p99 = samples[samples.len() * 99 / 100];
    let kinds: Vec<&str> = first.iter().map(|r| r.request.kind.as_str()).collect();
    println!(
        "recommendations, {} sites / {} servers, {} nodes behind {FAULTY_SWITCH} down or flapping, \
         {} alerts open: mean {:.3} ms, p99 {:.3} ms (target <= 5 ms)\n  {} recommended: {}\n  first: {}",
        topology.sites.len(),
        topology.servers.len(),
        behind.len(),
        alerts.len(),
        mean.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        first.len(),
        kinds.join(", "),
        lead.reason,
    );

    c.bench_function(
        "recommendations, 10k sites / 1k servers, switch fault",
        |b| {
            b.iter(|| black_box(recommend(&topology, &alerts, now, &settings)));
        },
    );
}

/// `GET /v1/recommendations` through HTTP on a simulated 10k-site fleet
/// during a switch fault.
fn route(c: &mut Criterion) {
    use warroom::client::{Client, ClientConfig};
    use warroom::model::SimFault;
    use warroom::server::{
        AccessRole, LocalServer, ServerConfig, Stepper, TokenEntry, Tokens, WorldSource,
    };

    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let spec = FleetSpec::parse("big.toml", &fleet_toml(FleetShape::IDLE_BAR)).expect("fleet");
    let stepper = Stepper::new();
    let (server, client) = runtime.block_on(async {
        let store = warroom::store::open("sqlite::memory:")
            .await
            .expect("a store");
        let tokens = Tokens::new(vec![TokenEntry {
            name: "bench".into(),
            role: AccessRole::Commander,
            token: "bench-token".into(),
        }]);
        let server = LocalServer::start(ServerConfig {
            spec,
            store,
            tokens,
            source: WorldSource::Virtual {
                seed: 1,
                speed: 1.0,
                scenario: None,
                stepper: stepper.clone(),
            },
        })
        .await
        .expect("the orchestrator starts");
        let client = Client::new(ClientConfig::new(
            vec![server.url()],
            Some("bench-token".into()),
        ))
        .expect("a client");
        stepper.settle().await.expect("settled");
        client
            .inject_fault(&SimFault {
                kind: warroom::model::FaultKind::SwitchFault,
                target: FAULTY_SWITCH.into(),
            })
            .await
            .expect("the fault is injected");
        let start = client.sim_status().await.expect("sim").clock;
        let mut now = start;
        while now < start + TimeDelta::minutes(30) {
            now = stepper
                .advance(now + TimeDelta::seconds(5))
                .await
                .expect("advanced");
            let suspect = client
                .alerts()
                .await
                .expect("alerts")
                .alerts
                .iter()
                .any(|a| a.kind == AlertKind::SwitchSuspect);
            if suspect {
                break;
            }
        }
        (server, client)
    });
    let answer = runtime
        .block_on(client.recommendations())
        .expect("recommendations");
    let lead = answer.recommendations.first().expect("a recommendation");
    assert_eq!(lead.request.kind, PlanKind::EvacuateSwitch);
    let mut samples: Vec<Duration> = (0..200)
        .map(|_| {
            let begin = Instant::now();
            black_box(
                runtime
                    .block_on(client.recommendations())
                    .expect("answered"),
            );
            begin.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    let p99 = samples[samples.len() * 99 / 100];
    println!(
        "GET /v1/recommendations over loopback, 10000 sites / 1000 servers, switch fault on {FAULTY_SWITCH}: \
         mean {:.3} ms, p99 {:.3} ms (target <= 5 ms)\n  first: {}",
        mean.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        lead.reason
    );
    c.bench_function(
        "GET /v1/recommendations, 10k sites / 1k servers, switch fault",
        |b| {
            b.iter(|| {
                black_box(
                    runtime
                        .block_on(client.recommendations())
                        .expect("answered"),
                )
            });
        },
    );
    runtime.block_on(server.stop());
}

criterion_group!(benches, recommendations, route);
criterion_main!(benches);
