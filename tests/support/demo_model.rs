//! The demo model of the console's tests: the demo fleet in the middle of
//! the switch incident, built through `update` at the fixed clock; keys, and
//! the screen as text.

use chrono::{TimeDelta, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use warroom::client::StreamItem;
use warroom::fleet::Fleet;
use warroom::model::{
    Admin, Alert, AlertKind, AlertSeverity, EntryKind, Event, EventPayload, FleetSpec, HealthState,
    Role, SimStatus, SwitchHealth, Timeline, Topology,
};
use warroom::sim::DEMO_FLEET;
use warroom::tui::{DemoLabel, Keymap, Loaded, Model, Msg, Settings, Theme, update, view};

use super::console::*;

/// A model that has not heard from the API yet.
pub fn empty_model() -> Model {
    let mut model = Model::new(settings(), Keymap::default(), true, true, fixed_now());
    update(&mut model, Msg::Resize(120, 40));
    update(&mut model, Msg::Tick(fixed_now()));
    model
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

pub fn alert_event(seq: i64, alert: Alert) -> Msg {
    Msg::Stream(StreamItem::Event(Box::new(Event {
        seq,
        at: fixed_now(),
        payload: EventPayload::Alert(alert),
    })))
}
