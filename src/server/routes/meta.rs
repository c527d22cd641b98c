use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{ErrorCode, Whoami};
use crate::server::AppState;
use crate::server::error::Failure;
use crate::server::node::{LeaderInfo, Role};
use crate::server::openapi::ApiDoc;

#[derive(Serialize, ToSchema)]
pub struct Liveness {
    pub status: &'static str,
    pub version: &'static str,
    pub simulated: bool,
    /// This replica's id (`--node-id`).
    pub node_id: String,
    /// `standalone` (SQLite, one node), `leader` or `follower`.
    #[schema(inline)]
    pub role: Role,
    /// The leader as this replica knows it; `null` during an election.
    pub leader: Option<LeaderInfo>,
    /// The fencing epoch of the lease this replica last saw (`null` when
    /// standalone or before any replica led).
    pub epoch: Option<i64>,
}

/// Liveness of the orchestrator itself, and its place among replicas. No
/// token needed.
#[utoipa::path(get, path = "/healthz", tag = "meta", operation_id = "healthz", responses((status = 200, body = Liveness)))]
pub async fn healthz(State(state): State<AppState>) -> Json<Liveness> {
    let view = state.node.view();
    Json(Liveness {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        simulated: state.sim.is_some(),
        node_id: state.node.id.to_string(),
        role: view.role,
        leader: view.leader,
        epoch: view.epoch,
    })
}

/// Who the caller is: the token's name and role, so a client can tell
/// what it may do before it tries.
#[utoipa::path(get, path = "/v1/whoami", tag = "meta", operation_id = "whoami", responses((status = 200, body = Whoami)),
    security(("bearer" = [])))]
pub async fn whoami(caller: crate::server::auth::Caller) -> Json<Whoami> {
    Json(Whoami {
        name: caller.name,
        role: caller.role,
    })
}

/// This contract, generated from the code. No token needed.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "this OpenAPI 3.1 document", body = Object)))]
pub async fn openapi() -> Response {
    Json(ApiDoc::document()).into_response()
}

pub async fn not_found() -> Failure {
    Failure::not_found("no such endpoint; see /v1/openapi.json")
}

pub async fn method_not_allowed() -> Failure {
    Failure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "this endpoint does not take that method; see /v1/openapi.json",
    )
}

pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().to_string();
    // The route as written (`/v1/incidents/{id}`), never the path itself:
    // ids would make a series per incident.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    state.metrics.record_status(response.status().as_u16());
    state.metrics.request_seconds.observe(
        &[("method", &method), ("route", &route)],
        started.elapsed().as_secs_f64(),
    );
    response
}
