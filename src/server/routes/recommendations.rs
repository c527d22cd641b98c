//! `GET /v1/recommendations`: for the open alerts, the plans the console
//! should offer first, each with the reason (issue 15). Viewer and up; any
//! replica answers from the fleet it holds.

use axum::Json;
use axum::extract::State;

use crate::model::{ApiErrorBody, Recommendations};
use crate::plan::{PlannerSettings, recommend};
use crate::server::AppState;
use crate::server::auth::Caller;

/// The plans worth making now, best first, from the live topology and the
/// open alerts on the orchestrator's clock; empty when nothing needs doing.
/// Each names what to ask `POST /v1/plans` for; `topology_version` is the
/// version they were made from.
#[utoipa::path(get, path = "/v1/recommendations", tag = "plans", operation_id = "list_recommendations",
    responses((status = 200, body = Recommendations),
        (status = 401, description = "`unauthorized`: no valid bearer token", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, _caller: Caller) -> Json<Recommendations> {
    let now = state.clock.now();
    // Computed under the lock: cheaper than copying a large topology out.
    let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
    let settings = PlannerSettings {
        normal: fleet.normal().clone(),
        ..PlannerSettings::default()
    };
    let topology = fleet.topology();
    Json(Recommendations {
        topology_version: topology.version,
        recommendations: recommend(topology, &fleet.alerts(), now, &settings),
    })
}
