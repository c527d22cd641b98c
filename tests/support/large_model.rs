//! A large fleet for the console's benchmark (`benches/console.rs`).

use chrono::TimeDelta;

use warroom::model::{
    Admin, Alert, AlertKind, AlertSeverity, Cache, Database, EntryKind, HealthState, Role, Server,
    Site, Switch, SwitchHealth, Timeline, Topology,
};
use warroom::tui::{Keymap, Loaded, Model, Msg};

use super::console::*;

/// A fleet of the given size for the benchmark: `servers` app servers
/// behind `servers / 20` switches, `sites` sites spread over them, and an
/// incident with `entries` timeline entries.
pub fn large_model(sites: usize, servers: usize, entries: usize, width: u16, height: u16) -> Model {
    let now = fixed_now();
    let switches: Vec<Switch> = (0..servers.div_ceil(20))
        .map(|i| Switch {
            id: format!("sw-{i:03}"),
            health: if i == 3 {
                SwitchHealth::Suspect
            } else {
                SwitchHealth::Ok
            },
            unhealthy_nodes: if i == 3 { 12 } else { 0 },
            nodes: 20,
        })
        .collect();
    let server_list: Vec<Server> = (0..servers)
        .map(|i| Server {
            id: format!("app-{i:04}"),
            role: Role::App,
            switch: format!("sw-{:03}", i / 20),
            capacity: 20,
            site_count: (sites / servers.max(1)) as u32,
            admin: Admin::Ready,
            health: health(
                if i % 97 == 0 {
                    HealthState::Down
                } else {
                    HealthState::Up
                },
                now,
                Some(20.0 + (i % 13) as f64),
            ),
        })
        .collect();
    let site_list: Vec<Site> = (0..sites)
        .map(|i| {
            let down = i % 41 == 0;
            Site {
                id: format!("site-{i:05}"),
                name: format!("Client number {i} Bakery & Co"),
                server: format!("app-{:04}", i % servers.max(1)),
                home_server: format!("app-{:04}", i % servers.max(1)),
                health: health(
                    if down {
                        HealthState::Down
                    } else {
                        HealthState::Up
                    },
                    now,
                    None,
                ),
                down_since: down.then(|| now - TimeDelta::minutes((i % 90) as i64)),
                stuck_backends: 0,
            }
        })
        .collect();
    let topology = Topology {
        version: 1,
        service: "Bench Sites".into(),
        switches,
        servers: server_list,
        sites: site_list,
        cache: Some(Cache {
            active: "cache-1".into(),
            standby: vec!["cache-2".into()],
            epoch: 1,
            stale_clients: 0,
            health: health(HealthState::Up, now, Some(2.0)),
        }),
        database: Some(Database {
            writer: "db-1".into(),
            replicas: vec!["db-2".into()],
            epoch: 1,
            stuck_backends: 0,
            health: health(HealthState::Up, now, Some(4.0)),
        }),
    };
    let mut model = Model::new(settings(), Keymap::default(), true, true, now);
    send(&mut model, Msg::Resize(width, height));
    send(&mut model, Msg::Tick(now));
    connected(&mut model);
    for _ in 0..warroom::tui::LATENCY_SAMPLES {
        send(
            &mut model,
            Msg::Loaded(Loaded::Topology(Box::new(topology.clone()))),
        );
    }
    let alerts: Vec<Alert> = (0..40)
        .map(|i| {
            alert(
                AlertKind::ServerDown,
                AlertSeverity::Critical,
                &format!("app-{i:04}"),
                "server down",
                now,
            )
        })
        .collect();
    send(&mut model, Msg::Loaded(Loaded::Alerts(alerts)));
    send(
        &mut model,
        Msg::Loaded(Loaded::Incidents(vec![demo_incident()])),
    );
    let timeline = Timeline {
        incident_id: 7,
        entries: (0..entries as i64)
            .map(|i| {
                entry(
                    i + 1,
                    (entries as i64 - i) / 10,
                    EntryKind::Note,
                    "a note about what happened next",
                )
            })
            .collect(),
    };
    send(&mut model, Msg::Loaded(Loaded::Timeline(timeline)));
    model.settle();
    model
}
