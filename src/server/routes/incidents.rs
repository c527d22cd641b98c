use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{check_text, etag, if_match};
use crate::model::AccessRole;
use crate::model::{
    AffectedComponent, EventPayload, Incident, IncidentList, IncidentPatch, IncidentState,
    NewIncident,
};
use crate::server::AppState;
use crate::server::auth::Caller;
use crate::server::detect::{add_entries, detection_record};
use crate::server::error::{ApiResult, Failure};

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
/// recorded in its timeline as detections, back-dated to when they opened.
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
    let incident = state.store.create_incident(&new, &caller.name, now).await?;
    state
        .hub
        .publish(vec![(now, EventPayload::Incident(incident.clone()))])
        .await?;
    let open_alerts = {
        let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        fleet.alerts()
    };
    let records = open_alerts
        .iter()
        .map(|a| detection_record(a, a.opened_at, ""))
        .collect();
    add_entries(&state, incident.id, records).await;
    Ok((StatusCode::CREATED, etag(incident.version), Json(incident)).into_response())
}

/// Change an incident. Needs `If-Match: <version>`; 409 with the current
/// incident when someone else changed it first.
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
    let incident = state
        .store
        .update_incident(id, version, &patch, &caller.name, now)
        .await?;
    state
        .hub
        .publish(vec![(now, EventPayload::Incident(incident.clone()))])
        .await?;
    Ok((etag(incident.version), Json(incident)).into_response())
}
