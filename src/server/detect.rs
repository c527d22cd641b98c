//! The detection loop: observations in, fleet changes out as events, health
//! history, and — while an incident is open — immutable `detection` entries.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{mpsc, watch};

use super::AppState;
use crate::fleet::FleetChange;
use crate::model::{
    Alert, EntryKind, EventPayload, HealthSample, IncidentState, Observation, Source, Timestamp,
    Visibility,
};
use crate::store::{EntryRecord, Store};

/// Latency samples of every server go to the history this often (sim time).
const SAMPLE_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Applies observations as they come. `applied` counts those applied so
/// far (with everything they caused), for a drill's stepper to wait on.
pub async fn observe_loop(
    state: AppState,
    mut rx: mpsc::Receiver<Observation>,
    applied: watch::Sender<u64>,
) {
    let mut last_sample: Option<Timestamp> = None;
    while let Some(observation) = rx.recv().await {
        state.metrics.observations.fetch_add(1, Ordering::Relaxed);
        if let Observation::Probes { at, results } = &observation {
            let mut first = state
                .metrics
                .first_failure
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            for (node, outcome) in results {
                if outcome.ok {
                    first.remove(node);
                } else {
                    first.entry(node.clone()).or_insert(*at);
                }
            }
        }
        let (changes, samples) = {
            let mut fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
            let changes = match &observation {
                Observation::Probes { at, results } => fleet.observe(*at, results),
                Observation::World { at, facts } => fleet.apply_facts(*at, facts),
            };
            let now = state.clock.now();
            let due = last_sample.is_none_or(|t| now - t >= SAMPLE_EVERY);
            let samples = if due {
                last_sample = Some(now);
                fleet
                    .topology()
                    .servers
                    .iter()
                    .map(|s| HealthSample {
                        component_id: s.id.clone(),
                        component: crate::model::ComponentKind::Server,
                        at: now,
                        state: s.health.state,
                        latency_ms: s.health.latency_ms,
                        error_rate: s.health.error_rate,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            (changes, samples)
        };
        apply_changes(&state, changes, samples).await;
        super::autopilot::consider(&state).await;
        applied.send_modify(|n| *n += 1);
    }
}

/// Persist and publish what the fleet reported.
pub async fn apply_changes(
    state: &AppState,
    changes: Vec<FleetChange>,
    mut samples: Vec<HealthSample>,
) {
    if changes.is_empty() && samples.is_empty() {
        return;
    }
    let now = state.clock.now();
    let mut events = Vec::with_capacity(changes.len());
    let mut opened = Vec::new();
    let mut resolved = Vec::new();
    for change in changes {
        match change {
            FleetChange::Health(h) => {
                samples.push(HealthSample {
                    component_id: h.component_id.clone(),
                    component: h.component,
                    at: h.health.since,
                    state: h.health.state,
                    latency_ms: h.health.latency_ms,
                    error_rate: h.health.error_rate,
                });
                events.push((now, EventPayload::Health(h)));
            }
            FleetChange::Topology(t) => events.push((now, EventPayload::Topology(t))),
            FleetChange::AlertOpened(a) => {
                observe_detection(state, &a);
                opened.push(a.clone());
                events.push((now, EventPayload::Alert(a)));
            }
            FleetChange::AlertWorked(a) => events.push((now, EventPayload::Alert(a))),
            FleetChange::AlertResolved(a) => {
                resolved.push(a.clone());
                events.push((now, EventPayload::Alert(a)));
            }
        }
    }
    let Some(store) = state.leader_store() else {
        tracing::warn!("fleet changes after the term ended are dropped");
        return;
    };
    if !samples.is_empty()
        && let Err(err) = store.append_health(&samples).await
    {
        tracing::error!(%err, "could not record health history");
    }
    if let Err(err) = state.hub.publish_as_leader(events).await {
        tracing::error!(%err, "could not publish fleet events");
    }
    if !opened.is_empty() || !resolved.is_empty() {
        record_detections(state, &opened, &resolved).await;
    }
}

/// How long the alert took from its node's first failed probe, for the
/// alerts a failing node opens.
fn observe_detection(state: &AppState, alert: &Alert) {
    use crate::model::AlertKind;
    if !matches!(
        alert.kind,
        AlertKind::ServerDown | AlertKind::CacheDown | AlertKind::DatabaseDown
    ) {
        return;
    }
    let first = state
        .metrics
        .first_failure
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&alert.target)
        .copied();
    if let Some(first) = first {
        let seconds = (alert.opened_at - first).num_milliseconds() as f64 / 1000.0;
        state
            .metrics
            .detection_seconds
            .observe(&[("kind", alert.kind.as_str())], seconds);
    }
}

/// Add one detection entry per alert change to every open incident.
async fn record_detections(state: &AppState, opened: &[Alert], resolved: &[Alert]) {
    let incidents = match state.store.list_incidents(Some(IncidentState::Open)).await {
        Ok(list) => list,
        Err(err) => {
            tracing::error!(%err, "could not list open incidents for detections");
            return;
        }
    };
    for incident in &incidents {
        let mut records: Vec<EntryRecord> = opened
            .iter()
            .map(|a| detection_record(a, a.opened_at, ""))
            .collect();
        records.extend(
            resolved
                .iter()
                .map(|a| detection_record(a, a.resolved_at.unwrap_or(a.opened_at), "cleared: ")),
        );
        add_entries(state, incident.id, records).await;
    }
}

pub fn detection_record(alert: &Alert, at: Timestamp, prefix: &str) -> EntryRecord {
    EntryRecord {
        kind: EntryKind::Detection,
        status: None,
        visibility: Visibility::Internal,
        body: format!("{prefix}{}", alert.message),
        author: "detector".into(),
        occurred_at: at,
        starred: false,
        marker: None,
        source: Source::Detector,
    }
}

/// Write entries the orchestrator itself makes (detections, actions),
/// through the leader's fenced store; each entry's event is written with
/// it. Dropped, with a warning, once this replica no longer leads.
pub async fn add_entries(state: &AppState, incident_id: i64, records: Vec<EntryRecord>) {
    let Some(store) = state.leader_store() else {
        tracing::warn!(incident_id, "entries after the term ended are dropped");
        return;
    };
    write_entries(state, store, incident_id, records).await;
}

/// Write entries a request adds (an incident's history since its start),
/// on whichever replica serves it.
pub async fn add_request_entries(state: &AppState, incident_id: i64, records: Vec<EntryRecord>) {
    write_entries(state, state.store.clone(), incident_id, records).await;
}

async fn write_entries(
    state: &AppState,
    store: Arc<dyn Store>,
    incident_id: i64,
    records: Vec<EntryRecord>,
) {
    if records.is_empty() {
        return;
    }
    let now = state.clock.now();
    let written = state
        .hub
        .write(async move {
            for record in records {
                if let Err(err) = store.create_entry(incident_id, &record, None, now).await {
                    tracing::error!(%err, incident_id, "could not add a timeline entry");
                }
            }
            Ok(())
        })
        .await;
    if let Err(err) = written {
        tracing::error!(%err, incident_id, "could not add timeline entries");
    }
}
