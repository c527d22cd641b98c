//! Fixed models for the console's tests and benchmark: built through
//! `update` from deterministic data, with a fixed clock.

#![allow(dead_code, reason = "each test crate uses a part of the support")]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use warroom::client::StreamItem;
use warroom::fleet::Fleet;
use warroom::model::{
    Admin, Alert, AlertKind, AlertSeverity, Cache, Database, EntryKind, Event, EventPayload,
    FleetSpec, Health, HealthState, Impact, Incident, IncidentState, IncidentStatus, Marker, Role,
    Server, Severity, SimStatus, Site, Source, Switch, SwitchHealth, Timeline, TimelineEntry,
    Topology, UpdateStatus, Visibility,
};
use warroom::sim::DEMO_FLEET;
use warroom::tui::{DemoLabel, Keymap, Loaded, Model, Msg, Settings, Theme, update, view};

/// The fixed wall clock of the fixtures: Monday 2017-09-11 16:52 PDT.
pub fn fixed_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2017, 9, 11, 23, 52, 0)
        .single()
        .expect("valid time")
}

pub const API_URL: &str = "http://127.0.0.1:7700";

pub fn settings() -> Settings {
    Settings {
        api_urls: vec![API_URL.to_string()],
        time_zone: chrono_tz::America::Los_Angeles,
        demo: None,
        read_only: false,
        theme_name: "default".into(),
        export_dir: std::env::temp_dir().join("warroom-test-postmortems"),
        journal_dir: None,
        update_every: Default::default(),
    }
}

/// A model that has not heard from the API yet.
pub fn empty_model() -> Model {
    let mut model = Model::new(settings(), Keymap::default(), true, true, fixed_now());
    update(&mut model, Msg::Resize(120, 40));
    update(&mut model, Msg::Tick(fixed_now()));
    model
}

fn health(state: HealthState, since: DateTime<Utc>, latency: Option<f64>) -> Health {
    Health {
        state,
        since,
        latency_ms: latency,
        error_rate: if state == HealthState::Up { 0.0 } else { 0.5 },
        transitions: if state == HealthState::Flapping { 5 } else { 0 },
    }
}

/// The demo fleet in the middle of the switch incident: app-04 down for
/// 37 minutes, app-05 flapping, sw-2 suspect, one site moved to fo-1.
/// `round` varies the latencies, for sparklines.
pub fn demo_topology(round: u32) -> Topology {
    let spec = FleetSpec::parse("demo.toml", DEMO_FLEET).expect("demo fleet");
    let now = fixed_now();
    let mut topology = Fleet::new(&spec, now - TimeDelta::hours(2))
        .topology()
        .clone();
    let outage = now - TimeDelta::minutes(37);
    let flapping_since = now - TimeDelta::minutes(8);
    topology.version = 100 + u64::from(round);
    for (i, server) in topology.servers.iter_mut().enumerate() {
        let base = match server.role {
            Role::Cache => 2.0,
            Role::Db => 4.0,
            Role::Web => 12.0,
            _ => 28.0,
        };
        let wobble = f64::from((round * 7 + i as u32 * 3) % 9);
        server.health = match server.id.as_str() {
            "app-04" => health(HealthState::Down, outage, None),
            "app-05" => health(
                HealthState::Flapping,
                flapping_since,
                Some(base + 40.0 + wobble * 4.0),
            ),
            _ => health(
                HealthState::Up,
                now - TimeDelta::hours(2),
                Some(base + wobble),
            ),
        };
        if server.id == "app-09" {
            server.admin = Admin::Drain;
        }
    }
    for site in &mut topology.sites {
        let server_state = match site.server.as_str() {
            "app-04" => HealthState::Down,
            "app-05" => HealthState::Flapping,
            _ => HealthState::Up,
        };
        site.health = health(server_state, outage, None);
        site.down_since = match server_state {
            HealthState::Down => Some(outage),
            HealthState::Flapping => Some(flapping_since),
            _ => None,
        };
    }
    if let Some(site) = topology.sites.iter_mut().find(|s| s.id == "site-052") {
        site.server = "fo-1".into();
        site.health = health(HealthState::Up, now - TimeDelta::minutes(20), None);
        site.down_since = None;
    }
    if let Some(site) = topology.sites.iter_mut().find(|s| s.id == "site-001") {
        site.health = health(HealthState::Degraded, now - TimeDelta::minutes(3), None);
    }
    for switch in &mut topology.switches {
        if switch.id == "sw-2" {
            switch.health = SwitchHealth::Suspect;
            switch.unhealthy_nodes = 3;
        }
    }
    let healthy = |id: &str| {
        health(
            HealthState::Up,
            now - TimeDelta::hours(2),
            Some(if id.starts_with("cache") { 2.0 } else { 4.0 }),
        )
    };
    if let Some(cache) = &mut topology.cache {
        cache.health = healthy("cache");
    }
    if let Some(db) = &mut topology.database {
        db.health = healthy("db");
    }
    topology
}

pub fn demo_alerts() -> Vec<Alert> {
    let now = fixed_now();
    vec![
        alert(
            AlertKind::ServerDown,
            AlertSeverity::Critical,
            "app-04",
            "app server app-04 behind sw-2 is down; 17 sites affected",
            now - TimeDelta::minutes(37),
        ),
        alert(
            AlertKind::SwitchSuspect,
            AlertSeverity::Critical,
            "sw-2",
            "switch sw-2 suspect: 3 of 5 nodes behind it unhealthy",
            now - TimeDelta::minutes(8),
        ),
        alert(
            AlertKind::FailoverCapacity,
            AlertSeverity::Warning,
            "failover",
            "34 sites are on unhealthy servers but only 23 failover slots are free",
            now - TimeDelta::minutes(8),
        ),
    ]
}

pub fn alert(
    kind: AlertKind,
    severity: AlertSeverity,
    target: &str,
    message: &str,
    at: DateTime<Utc>,
) -> Alert {
    Alert {
        id: format!("{}:{target}", kind.as_str()),
        kind,
        severity,
        target: target.into(),
        message: message.into(),
        opened_at: at,
        resolved_at: None,
    }
}

pub fn demo_incident() -> Incident {
    let started = fixed_now() - TimeDelta::minutes(37);
    Incident {
        id: 7,
        title: "Sites unreachable behind sw-2".into(),
        severity: Severity::Sev1,
        status: IncidentStatus::Identified,
        impact: Impact::Major,
        components: Vec::new(),
        state: IncidentState::Open,
        started_at: started,
        created_at: started,
        updated_at: fixed_now(),
        resolved_at: None,
        version: 3,
    }
}

pub fn entry(id: i64, minutes_ago: i64, kind: EntryKind, body: &str) -> TimelineEntry {
    let at = fixed_now() - TimeDelta::minutes(minutes_ago);
    TimelineEntry {
        id,
        incident_id: 7,
        kind,
        status: (kind == EntryKind::StatusUpdate).then_some(UpdateStatus::Investigating),
        visibility: if kind == EntryKind::StatusUpdate {
            Visibility::Public
        } else {
            Visibility::Internal
        },
        body: body.into(),
        author: if kind == EntryKind::Detection {
            "detector".into()
        } else {
            "dana".into()
        },
        occurred_at: at,
        recorded_at: at,
        edited_at: None,
        version: 1,
        starred: id == 2,
        marker: (kind == EntryKind::Marker).then_some(Marker::Acknowledged),
        source: if kind == EntryKind::Detection {
            Source::Detector
        } else {
            Source::User
        },
        deleted_at: None,
    }
}

pub fn demo_timeline() -> Timeline {
    Timeline {
        incident_id: 7,
        entries: vec![
            entry(
                1,
                37,
                EntryKind::Detection,
                "app-04 down: 17 sites unreachable",
            ),
            entry(2, 35, EntryKind::Marker, "acknowledged by dana"),
            entry(
                3,
                27,
                EntryKind::StatusUpdate,
                "We are investigating a high number of failed requests.",
            ),
            entry(
                4,
                8,
                EntryKind::Note,
                "app-05 flapping too; suspect the switch sw-2",
            ),
        ],
    }
}

/// Feed a message and return the effects.
pub fn send(model: &mut Model, msg: Msg) -> Vec<warroom::tui::Effect> {
    update(model, msg)
}

pub fn connected(model: &mut Model) {
    send(
        model,
        Msg::Stream(StreamItem::Connected {
            url: API_URL.into(),
            resumed: false,
        }),
    );
}

/// The demo model at the fixed clock: connected, fresh, with alerts, an
/// open incident and its timeline, and eight rounds of latency samples.
pub fn demo_model(width: u16, height: u16) -> Model {
    let mut model = Model::new(
        Settings {
            demo: Some(DemoLabel {
                scenario: Some("switch-2017".into()),
                speed: 60.0,
            }),
            ..settings()
        },
        Keymap::default(),
        true,
        true,
        fixed_now(),
    );
    send(&mut model, Msg::Resize(width, height));
    send(&mut model, Msg::Tick(fixed_now()));
    connected(&mut model);
    for round in 0..8 {
        send(
            &mut model,
            Msg::Loaded(Loaded::Topology(Box::new(demo_topology(round)))),
        );
    }
    send(&mut model, Msg::Loaded(Loaded::Alerts(demo_alerts())));
    send(
        &mut model,
        Msg::Loaded(Loaded::Incidents(vec![demo_incident()])),
    );
    send(&mut model, Msg::Loaded(Loaded::Timeline(demo_timeline())));
    let start = Utc
        .with_ymd_and_hms(2017, 9, 11, 22, 15, 0)
        .single()
        .expect("valid");
    send(
        &mut model,
        Msg::Loaded(Loaded::Sim(Box::new(SimStatus {
            clock: fixed_now(),
            started_at: start,
            speed: 60.0,
            seed: 1,
            scenario: Some("switch-2017".into()),
            active_faults: Vec::new(),
            next_steps: Vec::new(),
        }))),
    );
    model.settle();
    model
}

/// The whole screen as text, one line per row.
pub fn render(model: &Model, theme: &Theme, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|frame| view::draw(frame, model, theme))
        .expect("draw");
    terminal
}

pub fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent {
        code,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    })
}

pub fn char_key(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub fn health_event(
    seq: i64,
    version: u64,
    component: warroom::model::ComponentKind,
    id: &str,
    state: HealthState,
) -> Msg {
    let at = fixed_now();
    Msg::Stream(StreamItem::Event(Box::new(Event {
        seq,
        at,
        payload: EventPayload::Health(warroom::model::HealthEvent {
            version,
            component,
            component_id: id.into(),
            previous: HealthState::Up,
            health: health(state, at, None),
            down_since: state.is_unhealthy().then_some(at),
        }),
    })))
}

pub fn alert_event(seq: i64, alert: Alert) -> Msg {
    Msg::Stream(StreamItem::Event(Box::new(Event {
        seq,
        at: fixed_now(),
        payload: EventPayload::Alert(alert),
    })))
}

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
