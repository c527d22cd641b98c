//! Actions: executed plans, their progress, abort and undo. Also where the
//! orchestrator hosts the executor (`exec::Host`).

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::exec::{ExecError, Host};
use crate::fleet::FleetChange;
use crate::model::{Action, ActionList, ApiErrorBody, ErrorCode, EventPayload, Plan, Timestamp};
use crate::plan::PlanError;
use crate::server::AppState;
use crate::server::auth::{Caller, Commander};
use crate::server::detect::{add_entries, apply_changes};
use crate::server::error::{ApiResult, Failure};
use crate::store::{EntryRecord, StoreError};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionsQuery {
    /// Only the actions run while this incident was open.
    pub incident: Option<i64>,
}

/// Actions, newest first.
#[utoipa::path(get, path = "/v1/actions", tag = "actions", operation_id = "list_actions",
    params(ActionsQuery),
    responses((status = 200, body = ActionList)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    query: Result<Query<ActionsQuery>, QueryRejection>,
) -> ApiResult<Json<ActionList>> {
    let Query(query) = query?;
    let actions = state.store.list_actions(query.incident).await?;
    Ok(Json(ActionList { actions }))
}

/// One action with its step progress.
#[utoipa::path(get, path = "/v1/actions/{id}", tag = "actions", operation_id = "get_action",
    params(("id" = String, Path)),
    responses((status = 200, body = Action), (status = 404, description = "no such action", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Action>> {
    let Path(id) = path?;
    let action = state.store.get_action(&id).await.map_err(|err| match err {
        StoreError::NotFound { .. } => ExecError::ActionNotFound(id.clone()),
        other => ExecError::Store(other),
    })?;
    Ok(Json(action))
}

/// Abort a running action (commander): it stops before its next step, and
/// the current step's command or webhook call is cancelled. Answers with
/// the action once it stopped; 409 `not_running` when it already finished.
#[utoipa::path(post, path = "/v1/actions/{id}/abort", tag = "actions", operation_id = "abort_action",
    params(("id" = String, Path)),
    responses((status = 200, body = Action),
        (status = 403, description = "not a commander token", body = ApiErrorBody),
        (status = 404, description = "no such action", body = ApiErrorBody),
        (status = 409, description = "`not_running`: the action already finished", body = ApiErrorBody),
        (status = 503, description = "`no_leader`: no replica leads right now; nothing was done (retry after `Retry-After`)", body = ApiErrorBody, headers(("Retry-After" = String, description = "seconds"))),
        (status = 504, description = "`leader_timeout`: forwarded to the leader, which did not answer in time", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn abort(
    State(state): State<AppState>,
    Commander(caller): Commander,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Action>> {
    let Path(id) = path?;
    Ok(Json(state.exec()?.abort(&state, &id, &caller.name).await?))
}

/// The reverse of a finished action as a new plan (commander), made from the
/// topology as it is now; execute it like any plan. An evacuation's reverse
/// is a failback that waits until each home server is healthy and stable.
#[utoipa::path(post, path = "/v1/actions/{id}/undo", tag = "actions", operation_id = "undo_action",
    params(("id" = String, Path)),
    responses((status = 201, description = "the reverse plan; execute it like any plan", body = Plan,
            headers(("ETag" = String, description = "the topology version the plan was made from, quoted: send it back as `If-Match` to execute"))),
        (status = 403, description = "not a commander token", body = ApiErrorBody),
        (status = 404, description = "no such action", body = ApiErrorBody),
        (status = 409, description = "`action_running`: still running", body = ApiErrorBody),
        (status = 422, description = "nothing to undo, or not reversible (the code says why)", body = ApiErrorBody),
        (status = 503, description = "`no_leader`: no replica leads right now; nothing was done (retry after `Retry-After`)", body = ApiErrorBody, headers(("Retry-After" = String, description = "seconds"))),
        (status = 504, description = "`leader_timeout`: forwarded to the leader, which did not answer in time", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn undo(
    State(state): State<AppState>,
    Commander(caller): Commander,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let Path(id) = path?;
    let plan = state.exec()?.undo(&state, &id, &caller.name).await?;
    let tag = super::plans::topology_etag(&plan);
    Ok((StatusCode::CREATED, tag, Json(plan)).into_response())
}

impl From<ExecError> for Failure {
    fn from(err: ExecError) -> Failure {
        let status = match &err {
            ExecError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ExecError::PlanNotFound(_) | ExecError::ActionNotFound(_) => StatusCode::NOT_FOUND,
            ExecError::PlanExpired { .. } => StatusCode::GONE,
            ExecError::TopologyChanged { .. }
            | ExecError::NotRunning { .. }
            | ExecError::StillRunning { .. } => StatusCode::CONFLICT,
            ExecError::ConfirmationRequired { .. } => StatusCode::PRECONDITION_FAILED,
            ExecError::Locked { .. } => StatusCode::LOCKED,
            ExecError::Cooldown { .. } => StatusCode::TOO_MANY_REQUESTS,
            ExecError::KeyReused { .. } | ExecError::NoDriver | ExecError::Plan(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        match err {
            ExecError::Store(store) => Failure::from(store),
            other => Failure::new(status, exec_code(&other), other.to_string()),
        }
    }
}

/// The API's code for an executor refusal. An exhaustive match, so a new
/// refusal cannot reach the wire without a code.
fn exec_code(err: &ExecError) -> ErrorCode {
    match err {
        ExecError::PlanNotFound(_) | ExecError::ActionNotFound(_) => ErrorCode::NotFound,
        ExecError::PlanExpired { .. } => ErrorCode::PlanExpired,
        ExecError::KeyReused { .. } => ErrorCode::IdempotencyKeyReused,
        ExecError::TopologyChanged { .. } => ErrorCode::TopologyChanged,
        ExecError::ConfirmationRequired { .. } => ErrorCode::ConfirmationRequired,
        ExecError::Locked { .. } => ErrorCode::Locked,
        ExecError::Cooldown { .. } => ErrorCode::Cooldown,
        ExecError::NoDriver => ErrorCode::NoDriver,
        ExecError::Plan(e) => plan_code(e),
        ExecError::NotRunning { .. } => ErrorCode::NotRunning,
        ExecError::StillRunning { .. } => ErrorCode::ActionRunning,
        ExecError::Store(_) => ErrorCode::Internal,
    }
}

fn plan_code(err: &PlanError) -> ErrorCode {
    match err {
        PlanError::MissingTarget { .. } => ErrorCode::MissingTarget,
        PlanError::UnknownTarget { .. } => ErrorCode::UnknownTarget,
        PlanError::WrongTarget { .. } => ErrorCode::WrongTarget,
        PlanError::NothingToDo(_) => ErrorCode::NothingToDo,
        PlanError::NoHealthyTarget(_) => ErrorCode::NoHealthyTarget,
        PlanError::UnsafeTarget { .. } => ErrorCode::UnsafeTarget,
        PlanError::NotConfigured(_) => ErrorCode::NotConfigured,
        PlanError::NotReversible(_) => ErrorCode::NotReversible,
    }
}

/// The orchestrator as the executor's host: its clock, the event hub, the
/// fleet's change publishing and the timeline.
#[async_trait::async_trait]
impl Host for AppState {
    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    async fn publish_action(&self, action: &Action) {
        if let Some(finished) = action.finished_at
            && action.state.is_finished()
            && self
                .metrics
                .actions_seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(action.id.clone())
        {
            let seconds = (finished - action.started_at).num_milliseconds() as f64 / 1000.0;
            self.metrics.action_seconds.observe(
                &[
                    ("kind", action.kind.as_str()),
                    ("state", action.state.as_str()),
                ],
                seconds,
            );
        }
        let event = EventPayload::Action(Box::new(action.clone()));
        if let Err(err) = self
            .hub
            .publish_as_leader(vec![(self.clock.now(), event)])
            .await
        {
            tracing::error!(%err, action = %action.id, "could not publish an action event");
        }
    }

    async fn fleet_changed(&self, changes: Vec<FleetChange>) {
        apply_changes(self, changes, Vec::new()).await;
    }

    async fn add_entries(&self, incident_id: i64, records: Vec<EntryRecord>) {
        add_entries(self, incident_id, records).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActionState, PlanKind};

    /// The executor and the planner keep their own code strings (for their
    /// logs and tests); the wire codes must say the same.
    #[test]
    fn wire_codes_match_the_executors_own() {
        let at = Timestamp::default();
        let plan_errors = [
            PlanError::MissingTarget {
                kind: PlanKind::EvacuateServer,
            },
            PlanError::UnknownTarget {
                target: "x".into(),
                expected: "server",
            },
            PlanError::WrongTarget {
                kind: PlanKind::EvacuateServer,
                target: "x".into(),
                reason: "r".into(),
            },
            PlanError::NothingToDo("x".into()),
            PlanError::NoHealthyTarget("x".into()),
            PlanError::UnsafeTarget {
                target: "x".into(),
                reason: "r".into(),
            },
            PlanError::NotConfigured("cache".into()),
            PlanError::NotReversible("x".into()),
        ];
        let mut errors = vec![
            ExecError::PlanNotFound("p".into()),
            ExecError::ActionNotFound("a".into()),
            ExecError::PlanExpired {
                id: "p".into(),
                expired_at: at,
            },
            ExecError::KeyReused {
                plan_id: "p".into(),
            },
            ExecError::TopologyChanged {
                plan_id: "p".into(),
                planned: 1,
                if_match: 1,
                current: 2,
            },
            ExecError::ConfirmationRequired {
                expected: "db-2".into(),
                risk: "r".into(),
            },
            ExecError::Locked {
                action_id: "a".into(),
                what: "w".into(),
                held: "h".into(),
            },
            ExecError::Cooldown {
                action_id: "a".into(),
                what: "w".into(),
                held: "h".into(),
                until: at,
            },
            ExecError::NoDriver,
            ExecError::NotRunning {
                id: "a".into(),
                state: ActionState::Succeeded,
            },
            ExecError::StillRunning { id: "a".into() },
            ExecError::Store(StoreError::Backend("disk".into())),
        ];
        errors.extend(plan_errors.into_iter().map(ExecError::Plan));
        for err in &errors {
            assert_eq!(exec_code(err).as_str(), err.code(), "{err:?}");
            assert_eq!(err.code().parse::<ErrorCode>(), Ok(exec_code(err)));
        }
    }
}
