//! What each event is worth telling each receiver, as the deliveries the
//! outbox stages. Pure: an event (and the incident it is about) in,
//! deliveries out; the same event always gives the same keys, so staging it
//! again adds nothing.
//!
//! - a public status update, when posted (not on an edit): the status
//!   page, the webhook and chat;
//! - an incident, when declared: chat;
//! - an action, when it finished: chat;
//! - a critical alert, when it opened: chat.

use serde_json::{Value, json};

use crate::model::{
    Action, Alert, AlertSeverity, EntryKind, Event, EventPayload, Incident, NewDelivery,
    OutboxTarget, TimelineEntry, Visibility,
};

/// The incident an event needs to be told (a status update's), if any.
pub fn incident_of(event: &Event) -> Option<i64> {
    match &event.payload {
        EventPayload::Timeline(entry) if is_posted_status(entry) => Some(entry.incident_id),
        _ => None,
    }
}

/// The deliveries `event` makes for `target`; `incident` is the incident
/// [`incident_of`] named, read at staging.
pub fn deliveries(
    target: OutboxTarget,
    event: &Event,
    incident: Option<&Incident>,
) -> Vec<NewDelivery> {
    let made = match (&event.payload, target) {
        (EventPayload::Timeline(entry), _) if is_posted_status(entry) => {
            incident.map(|incident| status_update(entry, incident))
        }
        (EventPayload::Incident(incident), OutboxTarget::Chat) if incident.version == 1 => {
            Some(declared(incident))
        }
        (EventPayload::Action(action), OutboxTarget::Chat) if action.state.is_finished() => {
            Some(finished(action))
        }
        (EventPayload::Alert(alert), OutboxTarget::Chat)
            if alert.severity == AlertSeverity::Critical
                && alert.resolved_at.is_none()
                && alert.acknowledged.is_none()
                && alert.silenced.is_none() =>
        {
            Some(opened(alert))
        }
        _ => None,
    };
    made.map(|(key, incident_id, payload)| NewDelivery {
        target,
        key,
        incident_id,
        payload,
    })
    .into_iter()
    .collect()
}

/// A public status update as posted (version 1, not deleted).
fn is_posted_status(entry: &TimelineEntry) -> bool {
    entry.kind == EntryKind::StatusUpdate
        && entry.visibility == Visibility::Public
        && entry.version == 1
        && entry.deleted_at.is_none()
}

type Made = (String, Option<i64>, Value);

fn incident_json(incident: &Incident) -> Value {
    json!({
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "impact": incident.impact,
        "components": incident.components,
        "started_at": incident.started_at,
    })
}

fn status_update(entry: &TimelineEntry, incident: &Incident) -> Made {
    (
        format!("status-update-{}", entry.id),
        Some(incident.id),
        json!({
            "type": "status_update",
            "incident": incident_json(incident),
            "update": {
                "id": entry.id,
                "status": entry.status,
                "body": entry.body,
                "author": entry.author,
                "occurred_at": entry.occurred_at,
            },
        }),
    )
}

fn declared(incident: &Incident) -> Made {
    (
        format!("incident-{}", incident.id),
        Some(incident.id),
        json!({"type": "incident_declared", "incident": incident_json(incident)}),
    )
}

fn finished(action: &Action) -> Made {
    (
        format!("action-{}-{}", action.id, action.state.as_str()),
        action.incident_id,
        json!({
            "type": "action_finished",
            "action": {
                "id": action.id,
                "kind": action.kind,
                "target": action.target,
                "summary": action.summary,
                "state": action.state,
                "started_by": action.started_by,
                "started_at": action.started_at,
                "finished_at": action.finished_at,
            },
        }),
    )
}

fn opened(alert: &Alert) -> Made {
    (
        format!("alert-{}-{}", alert.id, alert.opened_at.timestamp_micros()),
        None,
        json!({
            "type": "alert_opened",
            "alert": {
                "id": alert.id,
                "kind": alert.kind,
                "severity": alert.severity,
                "target": alert.target,
                "message": alert.message,
                "opened_at": alert.opened_at,
            },
        }),
    )
}
