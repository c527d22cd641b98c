use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::etag;
use std::collections::HashSet;

use crate::model::{
    Alert, ApiErrorBody, EntryKind, EventPayload, Incident, IncidentList, IncidentPatch,
    IncidentState, NewIncident, Timestamp,
};
use crate::server::AppState;
use crate::server::auth::{Caller, Responder};
use crate::server::detect::{add_request_entries, detection_record};
use crate::server::error::{ApiResult, Failure};
use crate::server::extract::{AppJson, IfMatch};
use crate::store::{EntryRecord, StoreError};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `open` or `resolved`; all when absent.
    pub state: Option<IncidentState>,
}

/// Incidents, newest first.
#[utoipa::path(get, path = "/v1/incidents", tag = "incidents", operation_id = "list_incidents",
    params(ListQuery),
    responses((status = 200, body = IncidentList)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<IncidentList>> {
    let Query(query) = query?;
    let incidents = state.store.list_incidents(query.state).await?;
    Ok(Json(IncidentList { incidents }))
}

/// One incident; its `ETag` is its version.
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "incidents", operation_id = "get_incident",
    params(("id" = i64, Path)),
    responses((status = 200, body = Incident, headers(("ETag" = String, description = "the version, quoted"))),
        (status = 404, description = "no such incident", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<i64>, PathRejection>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let incident = state.store.get_incident(id).await?;
    Ok((etag(incident.version), Json(incident)).into_response())
}

/// Open an incident (responder or commander). Alerts already open are
/// recorded in its timeline as detections, back-dated to when they opened,
/// and so is every detection and action since `started_at`: an incident
/// declared after the fact (or back-dated) still holds what happened.
#[utoipa::path(post, path = "/v1/incidents", tag = "incidents", operation_id = "create_incident",
    request_body = NewIncident,
    responses((status = 201, body = Incident, headers(("ETag" = String, description = "the version, quoted"))),
        (status = 403, description = "a viewer token", body = ApiErrorBody),
        (status = 422, description = "a field is not acceptable, or `started_at` is in the future", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Responder(caller): Responder,
    AppJson(new): AppJson<NewIncident>,
) -> ApiResult<Response> {
    let now = state.clock.now();
    if new
        .started_at
        .is_some_and(|t| t > now + chrono::TimeDelta::minutes(5))
    {
        return Err(Failure::invalid("started_at is in the future"));
    }
    let store = state.store.clone();
    let actor = caller.name.clone();
    let incident = state
        .hub
        .write(async move { store.create_incident(&new, &actor, now).await })
        .await?;
    record_since_start(&state, &incident).await;
    Ok((StatusCode::CREATED, etag(incident.version), Json(incident)).into_response())
}

/// Change an incident. Needs `If-Match: <version>`; 409 with the current
/// incident when someone else changed it first. A new `started_at` adds the
/// detections and actions since then that the timeline lacks.
#[utoipa::path(patch, path = "/v1/incidents/{id}", tag = "incidents", operation_id = "update_incident",
    request_body = IncidentPatch,
    params(("id" = i64, Path), IfMatch),
    responses((status = 200, body = Incident, headers(("ETag" = String, description = "the new version, quoted"))),
        (status = 403, description = "a viewer token", body = ApiErrorBody),
        (status = 404, description = "no such incident", body = ApiErrorBody),
        (status = 409, description = "`version_conflict`: changed since that version; the body's `current` is the incident now", body = ApiErrorBody),
        (status = 422, description = "a field is not acceptable, or `started_at` is in the future", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Responder(caller): Responder,
    path: Result<Path<i64>, PathRejection>,
    IfMatch(version): IfMatch,
    AppJson(patch): AppJson<IncidentPatch>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let now = state.clock.now();
    if patch
        .started_at
        .is_some_and(|t| t > now + chrono::TimeDelta::minutes(5))
    {
        return Err(Failure::invalid("started_at is in the future"));
    }
    let store = state.store.clone();
    let actor = caller.name.clone();
    let moved_start = patch.started_at.is_some();
    let incident = state
        .hub
        .write(async move {
            store
                .update_incident(id, version, &patch, &actor, now)
                .await
        })
        .await?;
    if moved_start {
        record_since_start(&state, &incident).await;
    }
    Ok((etag(incident.version), Json(incident)).into_response())
}

/// The detections the detector writes (see `detect::record_detections`) for
/// every alert open at `start` or opened since, and every clearing since,
/// from the event log. An alert's message may change while it is open;
/// its opening is told with the message it opened with, as the detector
/// told it then. Open alerts the log does not know (none, unless the log
/// lost events) are told as they read now.
async fn alert_detections(
    state: &AppState,
    start: Timestamp,
) -> Result<Vec<EntryRecord>, StoreError> {
    // Per alert opening (id, opened_at): its first form, and how it cleared.
    let mut openings: Vec<(Alert, Option<Alert>)> = Vec::new();
    let mut after = 0;
    loop {
        let events = state.store.events_since(after, EVENT_PAGE).await?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        for event in events {
            let EventPayload::Alert(alert) = event.payload else {
                continue;
            };
            let known = openings
                .iter_mut()
                .find(|(first, _)| first.id == alert.id && first.opened_at == alert.opened_at);
            match (known, alert.resolved_at.is_some()) {
                (Some((_, cleared)), true) => *cleared = Some(alert),
                (Some(_), false) => {}
                (None, true) => openings.push((alert.clone(), Some(alert))),
                (None, false) => openings.push((alert, None)),
            }
        }
    }
    let open_now = {
        let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        fleet.alerts()
    };
    for alert in open_now {
        if !openings
            .iter()
            .any(|(first, _)| first.id == alert.id && first.opened_at == alert.opened_at)
        {
            openings.push((alert, None));
        }
    }
    let mut records = Vec::new();
    for (first, cleared) in &openings {
        let cleared_at = cleared.as_ref().and_then(|c| c.resolved_at);
        if cleared_at.is_some_and(|at| at < start) {
            continue;
        }
        records.push(detection_record(first, first.opened_at, ""));
        if let (Some(cleared), Some(at)) = (cleared, cleared_at) {
            records.push(detection_record(cleared, at, "cleared: "));
        }
    }
    Ok(records)
}

/// Events read per page while looking for alert changes.
const EVENT_PAGE: u32 = 1000;

/// Adds to the incident's timeline what happened from its `started_at` on
/// and is not there yet: a detection for every alert open at the start or
/// opened since (at the time it opened), one for every alert cleared since
/// (at the time it cleared), and the entries of every action since the
/// start that ran outside this incident (rebuilt from the stored action, at
/// the times it started, failed a step and ended). The timeline thus holds every
/// detection and action since the start of impact, whenever the incident
/// was declared; the postmortem's narrative, metrics and impact follow.
/// Adding is idempotent: a detection with the same text and time, or an
/// action entry with the same text (the action may have written it itself,
/// a moment later than it is dated here), is never added twice, so moving
/// `started_at` again only adds what is new.
///
/// The incident change is committed already, so a failure here is logged
/// rather than answered: a retried create would open a second incident.
async fn record_since_start(state: &AppState, incident: &Incident) {
    if let Err(err) = add_since_start(state, incident).await {
        tracing::error!(%err, incident_id = incident.id, "could not add the detections and actions since the start");
    }
}

async fn add_since_start(state: &AppState, incident: &Incident) -> Result<(), StoreError> {
    let start = incident.started_at;
    let existing = state.store.list_entries(incident.id).await?;
    let key = |kind: EntryKind, body: &str, at: Timestamp| match kind {
        EntryKind::Action => (kind, body.to_string(), None),
        _ => (kind, body.to_string(), Some(at)),
    };
    let mut have: HashSet<(EntryKind, String, Option<Timestamp>)> = existing
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Detection | EntryKind::Action))
        .map(|e| key(e.kind, &e.body, e.occurred_at))
        .collect();

    let mut records = alert_detections(state, start).await?;
    for action in state.store.list_actions(None).await? {
        if action.incident_id == Some(incident.id)
            || action.finished_at.is_some_and(|end| end < start)
        {
            continue;
        }
        let plan = state.store.action_plan(&action.id).await?;
        records.extend(
            crate::exec::entries_of(&action, &plan)
                .into_iter()
                .filter(|r| r.occurred_at >= start),
        );
    }
    records.retain(|r| have.insert(key(r.kind, &r.body, r.occurred_at)));
    records.sort_by_key(|r| r.occurred_at);
    add_request_entries(state, incident.id, records).await;
    Ok(())
}
