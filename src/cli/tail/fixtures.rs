//! Model values for the unit tests of `warroom tail`'s lines and follower.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::model::{
    Action, ActionState, Admin, Alert, AlertKind, AlertSeverity, EntryKind, Event, EventPayload,
    Health, HealthState, Impact, Incident, IncidentState, IncidentStatus, PlanKind, Role, Server,
    Severity, Site, Source, StepProgress, StepState, Switch, SwitchHealth, TimelineEntry, Topology,
    Visibility,
};

/// 2017-09-11 22:15:00 UTC plus `secs`.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2017, 9, 11, 22, 15, 0).unwrap() + chrono::TimeDelta::seconds(secs)
}

pub fn la() -> Tz {
    "America/Los_Angeles".parse().unwrap()
}

pub fn health(state: HealthState) -> Health {
    Health {
        state,
        since: t(0),
        latency_ms: Some(12.0),
        error_rate: if state == HealthState::Up { 0.0 } else { 1.0 },
        transitions: 0,
    }
}

pub fn server(id: &str, state: HealthState) -> Server {
    Server {
        id: id.into(),
        role: Role::App,
        switch: "sw-2".into(),
        capacity: 20,
        site_count: 2,
        admin: Admin::Ready,
        health: health(state),
    }
}

pub fn site(id: &str, server: &str, state: HealthState) -> Site {
    Site {
        id: id.into(),
        name: format!("Site {id}"),
        server: server.into(),
        home_server: server.into(),
        health: health(state),
        down_since: None,
        stuck_backends: 0,
    }
}

/// Two servers (app-04 down), one switch, four sites (two down).
pub fn topology(version: u64) -> Topology {
    Topology {
        version,
        service: "demo".into(),
        switches: vec![Switch {
            id: "sw-2".into(),
            health: SwitchHealth::Ok,
            unhealthy_nodes: 1,
            nodes: 2,
        }],
        servers: vec![
            server("app-04", HealthState::Down),
            server("app-05", HealthState::Up),
        ],
        sites: vec![
            site("s1", "app-04", HealthState::Down),
            site("s2", "app-04", HealthState::Down),
            site("s3", "app-05", HealthState::Up),
            site("s4", "app-05", HealthState::Up),
        ],
        cache: None,
        database: None,
    }
}

pub fn alert(target: &str, opened: i64) -> Alert {
    Alert {
        id: format!("server_down:{target}"),
        kind: AlertKind::ServerDown,
        severity: AlertSeverity::Critical,
        target: target.into(),
        message: format!("app server {target} behind sw-2 is down; 17 sites run on it"),
        opened_at: t(opened),
        resolved_at: None,
        acknowledged: None,
        silenced: None,
        runbook: None,
    }
}

pub fn incident(id: i64, version: i64) -> Incident {
    Incident {
        id,
        title: "Sites down behind sw-2".into(),
        severity: Severity::Sev2,
        status: IncidentStatus::Investigating,
        impact: Impact::Major,
        components: Vec::new(),
        state: IncidentState::Open,
        started_at: t(0),
        created_at: t(60),
        updated_at: t(60),
        resolved_at: None,
        version,
    }
}

pub fn entry(id: i64, incident_id: i64, body: &str, at: i64) -> TimelineEntry {
    TimelineEntry {
        id,
        incident_id,
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

pub fn step(description: &str, state: StepState) -> StepProgress {
    StepProgress {
        index: 0,
        description: description.into(),
        state,
        started_at: None,
        finished_at: None,
        output: None,
        error: None,
    }
}

/// An evacuation of app-04 with `states` as its steps' states.
pub fn action(state: ActionState, states: &[StepState]) -> Action {
    Action {
        id: "act-1".into(),
        plan_id: "plan-1".into(),
        kind: PlanKind::EvacuateServer,
        target: Some("app-04".into()),
        summary: "move 2 sites off app-04".into(),
        state,
        steps: states
            .iter()
            .enumerate()
            .map(|(i, s)| step(&format!("move s{} app-04 -> fo-1", i + 1), *s))
            .collect(),
        started_by: "commander".into(),
        started_at: t(120),
        finished_at: None,
        incident_id: Some(1),
        follow_up: None,
        undo_of: None,
        automatic: false,
    }
}

pub fn event(seq: i64, at: i64, payload: EventPayload) -> Event {
    Event {
        seq,
        at: t(at),
        payload,
    }
}
