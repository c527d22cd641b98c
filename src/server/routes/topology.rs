use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::model::{AlertList, HealthHistory, LatencyReport, Topology};
use crate::server::AppState;
use crate::server::auth::Caller;
use crate::server::error::{ApiResult, Failure};

/// The whole fleet now; `version` rises on every change.
#[utoipa::path(get, path = "/v1/topology", tag = "fleet", operation_id = "get_topology",
    responses((status = 200, body = Topology), (status = 401, body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn topology(State(state): State<AppState>, _caller: Caller) -> Json<Topology> {
    let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
    Json(fleet.topology().clone())
}

/// Alerts open now (switch suspect, stuck backends, stale connections, capacity, …).
#[utoipa::path(get, path = "/v1/alerts", tag = "fleet", operation_id = "list_alerts",
    responses((status = 200, body = AlertList)), security(("bearer" = [])))]
pub async fn alerts(State(state): State<AppState>, _caller: Caller) -> Json<AlertList> {
    let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
    Json(AlertList {
        alerts: fleet.alerts(),
    })
}

/// The most servers one latency request may name.
const LATENCY_MAX_SERVERS: usize = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LatencyQuery {
    /// Server ids, comma-separated (at most 500 names, empty ones count);
    /// unknown ids are left out.
    #[param(example = "app-01,app-02", pattern = "^[^,]*(?:,[^,]*){0,499}$")]
    pub servers: String,
}

/// The latency of the named servers now: what the console's sparklines
/// sample for the rows on screen, instead of reading the whole topology.
#[utoipa::path(get, path = "/v1/latency", tag = "fleet", operation_id = "get_latency",
    params(LatencyQuery),
    responses((status = 200, body = LatencyReport), (status = 422, body = crate::model::ApiErrorBody),
        (status = 401, body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn latency(
    State(state): State<AppState>,
    _caller: Caller,
    query: Result<Query<LatencyQuery>, QueryRejection>,
) -> ApiResult<Json<LatencyReport>> {
    let Query(query) = query?;
    // Every name counts towards the limit, empty ones too: the limit is
    // on the request, as the document states it.
    let named = query.servers.split(',').count();
    let wanted: Vec<&str> = query.servers.split(',').filter(|s| !s.is_empty()).collect();
    if named > LATENCY_MAX_SERVERS {
        return Err(Failure::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            crate::model::ErrorCode::InvalidBody,
            format!("{named} servers named; at most {LATENCY_MAX_SERVERS} per request"),
        ));
    }
    let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
    let latency_ms = fleet
        .topology()
        .servers
        .iter()
        .filter(|s| wanted.contains(&s.id.as_str()))
        .map(|s| (s.id.clone(), s.health.latency_ms))
        .collect();
    Ok(Json(LatencyReport { latency_ms }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only samples at or after this time.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// At most this many samples, the newest: 1 to 10000 (default 1000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<u32>,
}

/// Recorded health of one switch, server, site or node: every state change
/// plus periodic latency samples of servers.
#[utoipa::path(get, path = "/v1/health/{component_id}/history", tag = "fleet", operation_id = "get_health_history",
    params(("component_id" = String, Path, description = "a switch, server or site id, e.g. `app-01`"), HistoryQuery),
    responses((status = 200, body = HealthHistory), (status = 404, description = "no such switch, server or site", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> ApiResult<Json<HealthHistory>> {
    let Path(component_id) = path?;
    let Query(query) = query?;
    let known = {
        let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        let t = fleet.topology();
        t.servers.iter().any(|s| s.id == component_id)
            || t.sites.iter().any(|s| s.id == component_id)
            || t.switches.iter().any(|s| s.id == component_id)
    };
    if !known {
        return Err(Failure::not_found(format!(
            "no switch, server or site is called '{component_id}'"
        )));
    }
    let limit = query.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(Failure::invalid("limit must be from 1 to 10000"));
    }
    let samples = state
        .store
        .health_history(&component_id, query.since, limit)
        .await?;
    Ok(Json(HealthHistory {
        component_id,
        samples,
    }))
}
