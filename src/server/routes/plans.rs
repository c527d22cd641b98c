//! Plans: made from the topology as it is, executed into actions.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::exec::Host;
use crate::model::{Action, ApiErrorBody, ExecuteRequest, Plan, PlanRequest};
use crate::server::AppState;
use crate::server::auth::{Caller, Commander};
use crate::server::error::{ApiResult, Failure};
use crate::server::extract::{AppJson, IdempotencyKey, IfMatch, OptionalAppJson};

fn location(path: String) -> [(header::HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(&path).unwrap_or(HeaderValue::from_static("/v1"));
    [(header::LOCATION, value)]
}

/// Make a plan (commander). Plans are pure and cheap: nothing changes until
/// one is executed, before it expires and while the topology is still at
/// the plan's `topology_version`.
#[utoipa::path(post, path = "/v1/plans", tag = "plans", operation_id = "create_plan",
    request_body = PlanRequest,
    responses((status = 201, body = Plan, headers(("Location" = String, description = "the plan's URL"), ("ETag" = String, description = "the topology version the plan was made from, quoted: send it back as `If-Match` to execute"))),
        (status = 403, description = "not a commander token", body = ApiErrorBody),
        (status = 422, description = "the body is not acceptable, or the planner refused (the code says why: missing_target, unknown_target, wrong_target, nothing_to_do, no_healthy_target, unsafe_target, not_configured)", body = ApiErrorBody),
        (status = 503, description = "`no_leader`: no replica leads right now; nothing was done (retry after `Retry-After`)", body = ApiErrorBody, headers(("Retry-After" = String, description = "seconds"))),
        (status = 504, description = "`leader_timeout`: forwarded to the leader, which did not answer in time", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Commander(_caller): Commander,
    AppJson(request): AppJson<PlanRequest>,
) -> ApiResult<Response> {
    let plan = state.exec()?.create_plan(&request, state.clock.now())?;
    let at = location(format!("/v1/plans/{}", plan.id));
    let tag = topology_etag(&plan);
    Ok((StatusCode::CREATED, at, tag, Json(plan)).into_response())
}

/// A plan; 410 once it has expired.
#[utoipa::path(get, path = "/v1/plans/{id}", tag = "plans", operation_id = "get_plan",
    params(("id" = String, Path)),
    responses((status = 200, body = Plan, headers(("ETag" = String, description = "the topology version the plan was made from, quoted: send it back as `If-Match` to execute"))),
        (status = 404, description = "no such plan", body = ApiErrorBody),
        (status = 410, description = "`plan_expired`", body = ApiErrorBody),
        (status = 503, description = "`no_leader`: no replica leads right now (retry after `Retry-After`)", body = ApiErrorBody, headers(("Retry-After" = String, description = "seconds"))),
        (status = 504, description = "`leader_timeout`: forwarded to the leader, which did not answer in time", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let plan = state.exec()?.plan(&id, state.clock.now())?;
    Ok((topology_etag(&plan), Json(plan)).into_response())
}

/// `ETag: "<topology version>"`: what executing the plan needs as `If-Match`.
pub fn topology_etag(plan: &Plan) -> [(header::HeaderName, HeaderValue); 1] {
    super::etag(i64::try_from(plan.topology_version).unwrap_or(i64::MAX))
}

/// Execute a plan (commander). Needs an `Idempotency-Key` (a retry with the
/// same key answers 200 with the action the first call started, and runs
/// nothing) and `If-Match: <topology version>` equal to the plan's. Refusals:
/// 410 `plan_expired`, 409 `topology_changed`, 412 `confirmation_required`
/// (forced database failover: `confirm` must be the target's id), 423
/// `locked` (another running action holds a component), 429 `cooldown`
/// (after an automatic action; send `acknowledge_cooldown`), 422 `no_driver`.
#[utoipa::path(post, path = "/v1/plans/{id}/execute", tag = "plans", operation_id = "execute_plan",
    request_body(content = Option<ExecuteRequest>, description = "may be left out (or `null`): no confirmation and no acknowledgement"),
    params(("id" = String, Path), IdempotencyKey, IfMatch),
    responses((status = 201, description = "the action started", body = Action, headers(("Location" = String, description = "the action's URL"))),
        (status = 200, description = "a retry with a known key: the action the first call started", body = Action, headers(("Location" = String, description = "the action's URL"))),
        (status = 403, description = "not a commander token", body = ApiErrorBody),
        (status = 404, description = "no such plan", body = ApiErrorBody),
        (status = 409, description = "`topology_changed`: the topology is no longer at the plan's version", body = ApiErrorBody),
        (status = 410, description = "`plan_expired`", body = ApiErrorBody),
        (status = 412, description = "`confirmation_required`: a forced database failover needs `confirm` equal to the target's id", body = ApiErrorBody),
        (status = 422, description = "the body is not acceptable, `no_driver`, or `idempotency_key_reused` (for another plan)", body = ApiErrorBody),
        (status = 423, description = "`locked`: another running action holds a component", body = ApiErrorBody),
        (status = 429, description = "`cooldown` after an automatic action: send `acknowledge_cooldown`", body = ApiErrorBody),
        (status = 503, description = "`no_leader`: no replica leads right now; nothing was done (retry after `Retry-After`)", body = ApiErrorBody, headers(("Retry-After" = String, description = "seconds"))),
        (status = 504, description = "`leader_timeout`: forwarded to the leader, which did not answer in time; retry with the same key", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn execute(
    State(state): State<AppState>,
    Commander(caller): Commander,
    path: Result<Path<String>, PathRejection>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(version): IfMatch,
    OptionalAppJson(request): OptionalAppJson<ExecuteRequest>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let version = u64::try_from(version).map_err(|_| {
        Failure::invalid("If-Match must be the plan's topology version, e.g. `If-Match: 42`")
    })?;
    let host: Arc<dyn Host> = Arc::new(state.clone());
    let (action, created) = state
        .exec()?
        .execute(host, &id, &key, version, &request, &caller.name)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let at = location(format!("/v1/actions/{}", action.id));
    Ok((status, at, Json(action)).into_response())
}
