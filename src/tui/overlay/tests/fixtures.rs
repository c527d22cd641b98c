//! A small world for the overlays' tests: a fleet of two switches, three
//! servers and four sites; two open incidents and a resolved one; the
//! followed incident's timeline with a detector entry, a note, a marker and
//! a public update; a running action. [`World::ctx`] reads it with a
//! counting id source, the default (or an overridden) keymap and a fixed
//! clock, so every id and time a component makes is known in advance.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::model::{
    AccessRole, Action, ActionState, Admin, AffectedComponent, ComponentStatus, EntryKind, Health,
    HealthState, Impact, Incident, IncidentState, IncidentStatus, Marker, Plan, PlanKind,
    PlanRequest, PlanStep, Role, Server, Severity, Site, Source, StepOp, Switch, SwitchHealth,
    TimelineEntry, Topology, UpdateStatus, Visibility,
};
use crate::tui::component::{Ctx, Next, Outcome};
use crate::tui::data::{FleetSnapshot, Mirror};
use crate::tui::ids::IdSource;
use crate::tui::keymap::{Keymap, Override};
use crate::tui::keys::{Key, KeyChord};
use crate::tui::overlay::Overlay;
use crate::tui::settings::Settings;

/// The incident the console follows (the newest open one).
pub const FOLLOWED: i64 = 2;
/// The older open incident.
pub const OLDER: i64 = 1;
/// The resolved incident.
pub const RESOLVED: i64 = 3;

/// 2024-03-01 03:00:00 UTC plus `secs`.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 3, 0, 0)
        .single()
        .expect("valid time")
        + TimeDelta::seconds(secs)
}

/// The clock every [`Ctx`] reads.
pub fn now() -> DateTime<Utc> {
    t(3600)
}

/// A key by its config name (`"j"`, `"ctrl-s"`, `"shift-tab"`, `"esc"`).
pub fn key(name: &str) -> KeyChord {
    KeyChord::parse(name).unwrap_or_else(|| panic!("not a key name: {name}"))
}

/// The terminal event a chord comes from, for the components with text areas.
pub fn event(chord: KeyChord) -> KeyEvent {
    let code = match chord.key {
        Key::Char(c) => KeyCode::Char(c),
        Key::Enter => KeyCode::Enter,
        Key::Esc => KeyCode::Esc,
        Key::Tab => KeyCode::Tab,
        Key::BackTab => KeyCode::BackTab,
        Key::Backspace => KeyCode::Backspace,
        Key::Delete => KeyCode::Delete,
        Key::Insert => KeyCode::Insert,
        Key::Up => KeyCode::Up,
        Key::Down => KeyCode::Down,
        Key::Left => KeyCode::Left,
        Key::Right => KeyCode::Right,
        Key::PageUp => KeyCode::PageUp,
        Key::PageDown => KeyCode::PageDown,
        Key::Home => KeyCode::Home,
        Key::End => KeyCode::End,
        Key::F(n) => KeyCode::F(n),
    };
    let mut modifiers = KeyModifiers::NONE;
    if chord.ctrl {
        modifiers |= KeyModifiers::CONTROL;
    }
    if chord.alt {
        modifiers |= KeyModifiers::ALT;
    }
    if chord.shift || chord.key == Key::BackTab {
        modifiers |= KeyModifiers::SHIFT;
    }
    KeyEvent::new(code, modifiers)
}

/// Each character of `text` as the key that types it.
pub fn chars(text: &str) -> Vec<KeyChord> {
    text.chars().map(KeyChord::char).collect()
}

/// What becomes of the overlay, in one word: `keep`, `close`, `hold`, or
/// `replace:<overlay>`.
pub fn next(out: &Outcome<Overlay>) -> String {
    match &out.next {
        Next::Keep => "keep".into(),
        Next::Close => "close".into(),
        Next::Hold => "hold".into(),
        Next::Replace(overlay) => format!("replace:{}", overlay_name(overlay)),
    }
}

pub fn overlay_name(overlay: &Overlay) -> &'static str {
    match overlay {
        Overlay::None => "none",
        Overlay::Help(_) => "help",
        Overlay::Palette(_) => "palette",
        Overlay::Compose(_) => "compose",
        Overlay::IncidentForm(_) => "incident_form",
        Overlay::Switcher(_) => "switcher",
        Overlay::Confirm(_) => "confirm",
        Overlay::Conflict(_) => "conflict",
        Overlay::Plan(_) => "plan",
        Overlay::Reader(_) => "reader",
        Overlay::AlertView(_) => "alert_view",
        Overlay::RoleForm(_) => "role_form",
    }
}

/// The overlay a `Replace` outcome puts on screen.
pub fn replacement(out: Outcome<Overlay>) -> Overlay {
    match out.next {
        Next::Replace(overlay) => overlay,
        other => panic!("expected a replacement, got {other:?}"),
    }
}

/// The footer text of an outcome, and whether it is an error.
pub fn note(out: &Outcome<Overlay>) -> Option<(&str, bool)> {
    out.note.as_ref().map(|n| (n.text.as_str(), n.error))
}

fn health(state: HealthState) -> Health {
    Health {
        state,
        since: t(0),
        latency_ms: Some(12.0),
        error_rate: if state == HealthState::Up { 0.0 } else { 1.0 },
        transitions: 0,
    }
}

fn server(id: &str, role: Role, switch: &str, state: HealthState) -> Server {
    Server {
        id: id.into(),
        role,
        switch: switch.into(),
        capacity: 20,
        site_count: 2,
        admin: Admin::Ready,
        health: health(state),
    }
}

fn site(id: &str, server: &str, state: HealthState) -> Site {
    Site {
        id: id.into(),
        name: format!("Site {id}"),
        server: server.into(),
        home_server: server.into(),
        health: health(state),
        down_since: (state == HealthState::Down).then(|| t(30)),
        stuck_backends: 0,
    }
}

/// sw-1 (app-01, fo-1) is fine; sw-2 (app-04) lost its server and two sites.
pub fn topology() -> Topology {
    let switch = |id: &str, health, unhealthy_nodes, nodes| Switch {
        id: id.into(),
        health,
        unhealthy_nodes,
        nodes,
    };
    Topology {
        version: 7,
        service: "demo".into(),
        switches: vec![
            switch("sw-1", SwitchHealth::Ok, 0, 2),
            switch("sw-2", SwitchHealth::Suspect, 1, 1),
        ],
        servers: vec![
            server("app-01", Role::App, "sw-1", HealthState::Up),
            server("fo-1", Role::Failover, "sw-1", HealthState::Up),
            server("app-04", Role::App, "sw-2", HealthState::Down),
        ],
        sites: vec![
            site("s1", "app-01", HealthState::Up),
            site("s2", "app-01", HealthState::Up),
            site("s3", "app-04", HealthState::Down),
            site("s4", "app-04", HealthState::Down),
        ],
        cache: None,
        database: None,
    }
}

pub fn component(name: &str, status: ComponentStatus) -> AffectedComponent {
    AffectedComponent {
        name: name.into(),
        status,
    }
}

pub fn incident(id: i64, title: &str, started: i64, state: IncidentState) -> Incident {
    Incident {
        id,
        title: title.into(),
        severity: Severity::Sev2,
        status: IncidentStatus::Investigating,
        impact: Impact::Major,
        components: vec![
            component("api", ComponentStatus::PartialOutage),
            component("web", ComponentStatus::Operational),
        ],
        state,
        started_at: t(started),
        created_at: t(started),
        updated_at: t(started),
        resolved_at: (state == IncidentState::Resolved).then(|| t(started + 600)),
        version: 4,
    }
}

/// A person's note on the followed incident.
pub fn note_entry(id: i64, body: &str, at: i64) -> TimelineEntry {
    TimelineEntry {
        id,
        incident_id: FOLLOWED,
        kind: EntryKind::Note,
        status: None,
        visibility: Visibility::Internal,
        body: body.into(),
        author: "commander".into(),
        occurred_at: t(at),
        recorded_at: t(at),
        edited_at: None,
        edited_by: None,
        version: 1,
        starred: false,
        marker: None,
        source: Source::User,
        deleted_at: None,
    }
}

/// The timeline of the followed incident: a detector's entry (with the
/// detected marker), a note, the acknowledged marker and a public update.
pub fn timeline() -> Vec<TimelineEntry> {
    let detection = TimelineEntry {
        kind: EntryKind::Detection,
        marker: Some(Marker::Detected),
        source: Source::Detector,
        author: "detector".into(),
        ..note_entry(10, "app-04 behind sw-2 is down", 30)
    };
    let marker = TimelineEntry {
        kind: EntryKind::Marker,
        marker: Some(Marker::Acknowledged),
        ..note_entry(12, "Acknowledged", 120)
    };
    let update = TimelineEntry {
        kind: EntryKind::StatusUpdate,
        status: Some(UpdateStatus::Investigating),
        visibility: Visibility::Public,
        ..note_entry(13, "We are investigating slow sites.", 180)
    };
    vec![
        detection,
        note_entry(11, "Looking at app-04", 60),
        marker,
        update,
    ]
}

pub fn entry(id: i64) -> TimelineEntry {
    timeline()
        .into_iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no entry #{id} in the fixture"))
}

pub fn request(kind: PlanKind, target: Option<&str>) -> PlanRequest {
    PlanRequest {
        kind,
        target: target.map(str::to_string),
        options: Default::default(),
    }
}

/// A plan of `kind`: one step, no confirmation, no offers.
pub fn plan(id: &str, kind: PlanKind, target: Option<&str>) -> Plan {
    Plan {
        id: id.into(),
        kind,
        target: target.map(str::to_string),
        summary: format!("{} {}", kind.as_str(), target.unwrap_or("")),
        steps: vec![PlanStep {
            op: StepOp::MoveSite {
                site: "s3".into(),
                from: "app-04".into(),
                to: "fo-1".into(),
            },
            description: "move s3 app-04 -> fo-1".into(),
            deadline_s: 60,
        }],
        placements: Vec::new(),
        unplaceable: Vec::new(),
        warnings: Vec::new(),
        risk: None,
        confirm: None,
        offers: Vec::new(),
        scope: "switch:sw-2".into(),
        topology_version: 7,
        created_at: now(),
        expires_at: now() + TimeDelta::minutes(5),
    }
}

/// The action that executing `plan` started.
pub fn action(id: &str, plan: &Plan, state: ActionState) -> Action {
    Action {
        id: id.into(),
        plan_id: plan.id.clone(),
        kind: plan.kind,
        target: plan.target.clone(),
        summary: plan.summary.clone(),
        state,
        steps: Vec::new(),
        started_by: "commander".into(),
        started_at: now(),
        finished_at: None,
        incident_id: Some(FOLLOWED),
        follow_up: None,
        undo_of: None,
        automatic: false,
    }
}

/// What a component's [`Ctx`] reads, owned.
pub struct World {
    pub data: Mirror,
    pub keymap: Keymap,
    pub settings: Settings,
    pub ids: IdSource,
    pub screen: (u16, u16),
}

impl World {
    /// The fixture's world, seen by a commander with the default keys.
    pub fn new() -> World {
        let mut data = Mirror::new(None);
        data.fleet = FleetSnapshot::from_topology(topology());
        data.incidents.replace(vec![
            incident(OLDER, "Cache latency", -3600, IncidentState::Open),
            incident(FOLLOWED, "Sites down behind sw-2", 0, IncidentState::Open),
            incident(RESOLVED, "Failover drill", -7200, IncidentState::Resolved),
        ]);
        data.incidents.follow_current();
        data.incidents.timeline.replace(FOLLOWED, timeline());
        let running = plan("plan-0", PlanKind::EvacuateServer, Some("app-04"));
        data.actions
            .replace(vec![action("act-0", &running, ActionState::Running)]);
        data.role = Some(AccessRole::Commander);
        World {
            data,
            keymap: Keymap::default(),
            settings: Settings::default(),
            ids: IdSource::counting(),
            screen: (120, 40),
        }
    }

    /// The same world with `overrides` applied to the keymap.
    pub fn with_keys(overrides: &[(Option<&str>, &str, &str)]) -> World {
        let overrides: Vec<Override> = overrides
            .iter()
            .map(|(context, key, action)| Override::new(*context, key, action))
            .collect();
        World {
            keymap: Keymap::with_overrides(&overrides).expect("valid overrides"),
            ..World::new()
        }
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            data: &self.data,
            keymap: &self.keymap,
            settings: &self.settings,
            now: now(),
            screen: self.screen,
            ids: &self.ids,
        }
    }
}
