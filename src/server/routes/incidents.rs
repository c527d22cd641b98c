use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{check_text, etag, if_match};
use crate::model::AccessRole;
use std::collections::HashSet;

use crate::model::{
    AffectedComponent, Alert, EntryKind, EventPayload, Incident, IncidentList, IncidentPatch,
    IncidentState, NewIncident, Timestamp,
};
use crate::server::AppState;
use crate::server::auth::Caller;
use crate::server::detect::{add_request_entries, detection_record};
use crate::server::error::{ApiResult, Failure};
use crate::store::{EntryRecord, StoreError};

const TITLE_MAX: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// `open` or `resolved`; all when absent.
    pub state: Option<IncidentState>,
}

/// Incidents, newest first.
#[utoipa::path(get, path = "/v1/incidents", tag = "incidents", params(ListQuery),
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
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "incidents", params(("id" = i64, Path)),
    responses((status = 200, body = Incident), (status = 404, body = crate::model::ApiErrorBody)),
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

fn check_components(components: &[AffectedComponent]) -> ApiResult<()> {
    for (i, c) in components.iter().enumerate() {
        check_text(&format!("components[{i}].name"), &c.name, 100, false)?;
    }
    Ok(())
}

/// Open an incident (responder or commander). Alerts already open are
/// recorded in its timeline as detections, back-dated to when they opened,
/// and so is every detection and action since `started_at`: an incident
/// declared after the fact (or back-dated) still holds what happened.
#[utoipa::path(post, path = "/v1/incidents", tag = "incidents", request_body = NewIncident,
    responses((status = 201, body = Incident), (status = 422, body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<NewIncident>, JsonRejection>,
) -> ApiResult<Response> {
    caller.require(AccessRole::Responder)?;
    let Json(new) = body?;
    check_text("title", &new.title, TITLE_MAX, false)?;
    check_components(&new.components)?;
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
#[utoipa::path(patch, path = "/v1/incidents/{id}", tag = "incidents", request_body = IncidentPatch,
    params(("id" = i64, Path), ("If-Match" = i64, Header, description = "the version the change is based on")),
    responses((status = 200, body = Incident), (status = 409, body = crate::model::ApiErrorBody), (status = 428, body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
    body: Result<Json<IncidentPatch>, JsonRejection>,
) -> ApiResult<Response> {
    caller.require(AccessRole::Responder)?;
    let Path(id) = path?;
    let version = if_match(&headers)?;
    let Json(patch) = body?;
    if let Some(title) = &patch.title {
        check_text("title", title, TITLE_MAX, false)?;
    }
    if let Some(components) = &patch.components {
        check_components(components)?;
    }
    let now = state.clock.now();
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
