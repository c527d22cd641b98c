use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::model::{ApiErrorBody, ErrorCode, SimFault, SimStatus};
use crate::server::auth::{Caller, Commander};
use crate::server::error::{ApiResult, Failure};
use crate::server::extract::AppJson;
use crate::server::{AppState, SimHandle};
use crate::store::AuditRecord;

fn simulator(state: &AppState) -> ApiResult<&SimHandle> {
    state.sim.as_ref().ok_or_else(|| {
        Failure::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NoSimulator,
            "this orchestrator watches a real fleet; no simulator runs",
        )
    })
}

/// The simulator's clock, speed, scenario and its next steps.
#[utoipa::path(get, path = "/v1/sim", tag = "sim", operation_id = "get_sim",
    responses((status = 200, body = SimStatus), (status = 404, description = "`no_simulator`: the fleet is real", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn status(State(state): State<AppState>, _caller: Caller) -> ApiResult<Json<SimStatus>> {
    let handle = simulator(&state)?;
    let sim = handle.sim.lock().unwrap_or_else(|p| p.into_inner());
    Ok(Json(sim.status(handle.speed)))
}

/// Inject a fault into the simulated world (commander only).
#[utoipa::path(post, path = "/v1/sim/faults", tag = "sim", operation_id = "inject_fault",
    request_body = SimFault,
    responses((status = 202, body = SimStatus),
        (status = 403, description = "not a commander token", body = ApiErrorBody),
        (status = 404, description = "`no_simulator`: the fleet is real", body = ApiErrorBody),
        (status = 422, description = "the body is not acceptable, or the simulated fleet has no such target for this fault", body = ApiErrorBody),
        (status = 503, description = "`no_leader`: no replica leads right now; nothing was done (retry after `Retry-After`)", body = ApiErrorBody, headers(("Retry-After" = String, description = "seconds"))),
        (status = 504, description = "`leader_timeout`: forwarded to the leader, which did not answer in time", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn inject(
    State(state): State<AppState>,
    Commander(caller): Commander,
    AppJson(fault): AppJson<SimFault>,
) -> ApiResult<(StatusCode, Json<SimStatus>)> {
    let handle = simulator(&state)?;
    let status = {
        let mut sim = handle.sim.lock().unwrap_or_else(|p| p.into_inner());
        sim.inject(&fault)
            .map_err(|e| Failure::invalid(e.to_string()))?;
        sim.status(handle.speed)
    };
    let record = AuditRecord {
        at: state.clock.now(),
        actor: caller.name.clone(),
        action: "sim.fault".into(),
        target: fault.target.clone(),
        incident_id: None,
        detail: serde_json::json!({ "kind": fault.kind }),
    };
    if let Err(err) = state.store.append_audit(&record).await {
        tracing::error!(%err, "could not audit a sim fault");
    }
    Ok((StatusCode::ACCEPTED, Json(status)))
}
