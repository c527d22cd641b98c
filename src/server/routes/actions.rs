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
use crate::model::{Action, ActionList, EventPayload, Plan, Timestamp};
use crate::server::AppState;
use crate::server::auth::{AccessRole, Caller};
use crate::server::detect::{add_entries, apply_changes};
use crate::server::error::{ApiResult, Failure};
use crate::store::{EntryRecord, StoreError};

#[derive(Debug, Deserialize, IntoParams)]
pub struct ActionsQuery {
    /// Only the actions run while this incident was open.
    pub incident: Option<i64>,
}

/// Actions, newest first.
#[utoipa::path(get, path = "/v1/actions", tag = "actions", params(ActionsQuery),
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
#[utoipa::path(get, path = "/v1/actions/{id}", tag = "actions", params(("id" = String, Path)),
    responses((status = 200, body = Action), (status = 404, body = crate::model::ApiErrorBody)),
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
#[utoipa::path(post, path = "/v1/actions/{id}/abort", tag = "actions", params(("id" = String, Path)),
    responses((status = 200, body = Action), (status = 404, body = crate::model::ApiErrorBody), (status = 409, body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn abort(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Action>> {
    caller.require(AccessRole::Commander)?;
    let Path(id) = path?;
    Ok(Json(state.exec.abort(&state, &id, &caller.name).await?))
}

/// The reverse of a finished action as a new plan (commander), made from the
/// topology as it is now; execute it like any plan. An evacuation's reverse
/// is a failback that waits until each home server is healthy and stable.
#[utoipa::path(post, path = "/v1/actions/{id}/undo", tag = "actions", params(("id" = String, Path)),
    responses((status = 201, body = Plan), (status = 404, body = crate::model::ApiErrorBody),
        (status = 409, description = "still running", body = crate::model::ApiErrorBody),
        (status = 422, description = "nothing to undo or not reversible", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn undo(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    caller.require(AccessRole::Commander)?;
    let Path(id) = path?;
    let plan = state.exec.undo(&state, &id, &caller.name).await?;
    Ok((StatusCode::CREATED, Json(plan)).into_response())
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
            other => Failure::new(status, other.code(), other.to_string()),
        }
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
        let event = EventPayload::Action(Box::new(action.clone()));
        if let Err(err) = self.hub.publish(vec![(self.clock.now(), event)]).await {
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
