//! The console's fixed clock and the pieces of its fixture models, for the
//! tests and the benchmark: settings, health, alerts, the demo incident and
//! its entries, and feeding the model messages through `update`.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use warroom::client::StreamItem;
use warroom::model::{
    Alert, AlertKind, AlertSeverity, EntryKind, Event, EventPayload, Health, HealthState, Impact,
    Incident, IncidentState, IncidentStatus, Marker, Severity, Source, TimelineEntry, UpdateStatus,
    Visibility,
};
use warroom::tui::{Model, Msg, Settings, update};

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

pub fn health(state: HealthState, since: DateTime<Utc>, latency: Option<f64>) -> Health {
    Health {
        state,
        since,
        latency_ms: latency,
        error_rate: if state == HealthState::Up { 0.0 } else { 0.5 },
        transitions: if state == HealthState::Flapping { 5 } else { 0 },
    }
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
        acknowledged: None,
        silenced: None,
        runbook: None,
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
        edited_by: None,
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
