use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::model::{ErrorCode, Whoami};
use crate::server::AppState;
use crate::server::error::Failure;
use crate::server::openapi::ApiDoc;

#[derive(Serialize, ToSchema)]
pub struct Liveness {
    pub status: &'static str,
    pub version: &'static str,
    pub simulated: bool,
}

/// Liveness of the orchestrator itself. No token needed.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, body = Liveness)))]
pub async fn healthz(State(state): State<AppState>) -> Json<Liveness> {
    Json(Liveness {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        simulated: state.sim.is_some(),
    })
}

/// Who the caller is: the token's name and role, so a client can tell
/// what it may do before it tries.
#[utoipa::path(get, path = "/v1/whoami", tag = "meta", responses((status = 200, body = Whoami), (status = 401, body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn whoami(caller: crate::server::auth::Caller) -> Json<Whoami> {
    Json(Whoami {
        name: caller.name,
        role: caller.role,
    })
}

/// This contract, generated from the code. No token needed.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta", responses((status = 200, description = "OpenAPI 3.1 document")))]
pub async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
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
    let response = next.run(request).await;
    state.metrics.record_status(response.status().as_u16());
    response
}
