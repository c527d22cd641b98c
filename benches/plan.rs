//! Evacuation plan: 1,000 sites on 20 failed app servers onto 50 failover
//! servers, in a fleet of 200 app servers (10,000 sites). Prints the mean
//! and p99 of `make_plan`. Target <= 5 ms (DESIGN.md §8).
//!
//! cargo bench --bench plan

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use warroom::model::{
    Admin, Health, HealthState, PlanKind, PlanOptions, PlanRequest, Role, Server, Site, Switch,
    SwitchHealth, Timestamp, Topology,
};
use warroom::plan::{PlannerSettings, make_plan};

const APP_SERVERS: usize = 200;
const FAILED: usize = 20;
const SITES_PER_APP: usize = 50;
const FAILOVER_SERVERS: usize = 50;
const FAILOVER_CAPACITY: u32 = 25;
const SWITCHES: usize = 20;

fn health(state: HealthState, since: Timestamp) -> Health {
    Health {
        state,
        since,
        latency_ms: None,
        error_rate: 0.0,
        transitions: 0,
    }
}

/// The 20 failed servers sit behind sw-00 and sw-01 (both down); failover
/// servers are spread over the other switches.
fn fleet(now: Timestamp) -> Topology {
    let switches = (0..SWITCHES)
        .map(|i| Switch {
            id: format!("sw-{i:02}"),
            health: if i < 2 {
                SwitchHealth::Down
            } else {
                SwitchHealth::Ok
            },
            unhealthy_nodes: 0,
            nodes: 0,
        })
        .collect();
    let mut servers = Vec::new();
    let mut sites = Vec::new();
    for i in 0..APP_SERVERS {
        let failed = i < FAILED;
        let id = format!("app-{i:03}");
        for k in 0..SITES_PER_APP {
            sites.push(Site {
                id: format!("site-{i:03}-{k:02}"),
                name: format!("Site {i}/{k}"),
                server: id.clone(),
                home_server: id.clone(),
                health: health(
                    if failed {
                        HealthState::Down
                    } else {
                        HealthState::Up
                    },
                    now,
                ),
                down_since: failed.then_some(now),
                stuck_backends: 0,
            });
        }
        servers.push(Server {
            id,
            role: Role::App,
            switch: format!(
                "sw-{:02}",
                if failed {
                    i % 2
                } else {
                    2 + i % (SWITCHES - 2)
                }
            ),
            capacity: SITES_PER_APP as u32 + 5,
            site_count: SITES_PER_APP as u32,
            admin: Admin::Ready,
            health: health(
                if failed {
                    HealthState::Down
                } else {
                    HealthState::Up
                },
                now,
            ),
        });
    }
    for i in 0..FAILOVER_SERVERS {
        servers.push(Server {
            id: format!("fo-{i:02}"),
            role: Role::Failover,
            switch: format!("sw-{:02}", 2 + i % (SWITCHES - 2)),
            capacity: FAILOVER_CAPACITY,
            site_count: 0,
            admin: Admin::Ready,
            health: health(HealthState::Up, now),
        });
    }
    Topology {
        version: 7,
        service: "bench".into(),
        switches,
        servers,
        sites,
        cache: None,
        database: None,
    }
}

fn evacuation(c: &mut Criterion) {
    let now = Utc
        .with_ymd_and_hms(2017, 9, 11, 23, 35, 0)
        .single()
        .expect("valid time");
    let topology = fleet(now);
    let request = PlanRequest {
        kind: PlanKind::EvacuateSwitch,
        target: Some("sw-00".into()),
        options: PlanOptions {
            sites: Vec::new(),
            also: vec!["sw-01".into()],
        },
    };
    let settings = PlannerSettings::default();
    let plan = || make_plan(&topology, &request, "bench".into(), now, &settings).expect("plan");

    let first = plan();
    assert_eq!(first.placements.len(), FAILED * SITES_PER_APP);
    assert!(first.unplaceable.is_empty());

    let mut samples: Vec<Duration> = (0..500)
        .map(|_| {
            let start = Instant::now();
            black_box(plan());
            start.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    let p99 = samples[samples.len() * 99 / 100];
    println!(
        "evacuation plan, {} sites from {FAILED} servers onto {FAILOVER_SERVERS} failover servers \
         ({} sites in the fleet): mean {:.3} ms, p99 {:.3} ms (target <= 5 ms)",
        first.placements.len(),
        topology.sites.len(),
        mean.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
    );

    c.bench_function("evacuation plan, 1k sites onto 50 failover servers", |b| {
        b.iter(|| black_box(plan()));
    });
}

criterion_group!(benches, evacuation);
criterion_main!(benches);
