//! Plans: made from the topology as it is, executed into actions.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::exec::Host;
use crate::model::AccessRole;
use crate::model::{Action, ErrorCode, ExecuteRequest, Plan, PlanRequest};
use crate::server::AppState;
use crate::server::auth::Caller;
use crate::server::error::{ApiResult, Failure, too_large};

const KEY_MAX: usize = 200;

fn location(path: String) -> [(header::HeaderName, HeaderValue); 1] {
    let value = HeaderValue::from_str(&path).unwrap_or(HeaderValue::from_static("/v1"));
    [(header::LOCATION, value)]
}

/// Make a plan (commander). Plans are pure and cheap: nothing changes until
/// one is executed, before it expires and while the topology is still at
/// the plan's `topology_version`.
#[utoipa::path(post, path = "/v1/plans", tag = "plans", request_body = PlanRequest,
    responses((status = 201, body = Plan), (status = 422, description = "the planner refused (code says why: unknown_target, nothing_to_do, no_healthy_target, …)", body = crate::model::ApiErrorBody),
        (status = 403, body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<PlanRequest>, JsonRejection>,
) -> ApiResult<Response> {
    caller.require(AccessRole::Commander)?;
    let Json(request) = body?;
    let plan = state.exec()?.create_plan(&request, state.clock.now())?;
    let at = location(format!("/v1/plans/{}", plan.id));
    Ok((StatusCode::CREATED, at, Json(plan)).into_response())
}

/// A plan; 410 once it has expired.
#[utoipa::path(get, path = "/v1/plans/{id}", tag = "plans", params(("id" = String, Path)),
    responses((status = 200, body = Plan), (status = 404, body = crate::model::ApiErrorBody), (status = 410, body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Plan>> {
    let Path(id) = path?;
    Ok(Json(state.exec()?.plan(&id, state.clock.now())?))
}

/// Execute a plan (commander). Needs an `Idempotency-Key` (a retry with the
/// same key answers 200 with the action the first call started, and runs
/// nothing) and `If-Match: <topology version>` equal to the plan's. Refusals:
/// 410 `plan_expired`, 409 `topology_changed`, 412 `confirmation_required`
/// (forced database failover: `confirm` must be the target's id), 423
/// `locked` (another running action holds a component), 429 `cooldown`
/// (after an automatic action; send `acknowledge_cooldown`), 422 `no_driver`.
#[utoipa::path(post, path = "/v1/plans/{id}/execute", tag = "plans", request_body(content = Option<ExecuteRequest>, description = "may be empty"),
    params(("id" = String, Path),
        ("Idempotency-Key" = String, Header, description = "required; a retry with the same key never runs twice"),
        ("If-Match" = u64, Header, description = "required; the topology version the plan was made from")),
    responses((status = 201, description = "the action started", body = Action),
        (status = 200, description = "a retry with a known key: the action the first call started", body = Action),
        (status = 409, body = crate::model::ApiErrorBody), (status = 410, body = crate::model::ApiErrorBody),
        (status = 412, body = crate::model::ApiErrorBody), (status = 422, body = crate::model::ApiErrorBody),
        (status = 423, body = crate::model::ApiErrorBody), (status = 428, body = crate::model::ApiErrorBody),
        (status = 429, body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn execute(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    caller.require(AccessRole::Commander)?;
    let Path(id) = path?;
    let key = idempotency_key(&headers)?;
    let version = topology_version(&headers)?;
    let request = execute_request(body)?;
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

fn idempotency_key(headers: &HeaderMap) -> ApiResult<String> {
    let value = headers.get("idempotency-key").ok_or_else(|| {
        Failure::new(
            StatusCode::PRECONDITION_REQUIRED,
            ErrorCode::IdempotencyKeyRequired,
            "send an `Idempotency-Key` header (any unique text, e.g. a UUID) so that a retry never runs the plan twice",
        )
    })?;
    let key = value
        .to_str()
        .map_err(|_| Failure::invalid("Idempotency-Key must be printable text"))?
        .trim();
    if key.is_empty() || key.len() > KEY_MAX {
        return Err(Failure::invalid(format!(
            "Idempotency-Key must be 1 to {KEY_MAX} characters"
        )));
    }
    Ok(key.to_string())
}

fn topology_version(headers: &HeaderMap) -> ApiResult<u64> {
    let value = headers.get(header::IF_MATCH).ok_or_else(|| {
        Failure::new(
            StatusCode::PRECONDITION_REQUIRED,
            ErrorCode::IfMatchRequired,
            "send `If-Match: <topology version>` with the plan's topology_version",
        )
    })?;
    value
        .to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| {
            Failure::bad_request(
                ErrorCode::BadIfMatch,
                "If-Match must be the plan's topology version, e.g. `If-Match: 42`",
            )
        })
}

/// The body is optional: empty means no confirmation and no acknowledgement.
fn execute_request(body: Result<Bytes, BytesRejection>) -> ApiResult<ExecuteRequest> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            Failure::bad_request(ErrorCode::BadBody, rejection.body_text())
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(ExecuteRequest::default());
    }
    serde_json::from_slice(&bytes).map_err(|err| match err.classify() {
        serde_json::error::Category::Data => Failure::invalid(err.to_string()),
        _ => Failure::bad_request(
            ErrorCode::BadJson,
            format!("the body is not valid JSON: {err}"),
        ),
    })
}
