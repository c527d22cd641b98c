//! `GET /v1/autopilot` (what it does, its guardrails' state, its newest
//! decisions) and `POST /v1/autopilot` (pause and resume, commander).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::model::{
    ApiErrorBody, AutopilotCommand, AutopilotStatus, AutopilotVerb, EntryKind, ErrorCode,
    IncidentState, Source, Validate, Visibility,
};
use crate::server::AppState;
use crate::server::auth::{Caller, Commander};
use crate::server::autopilot::AUTHOR;
use crate::server::detect::add_entries;
use crate::server::error::{ApiResult, Failure};
use crate::server::extract::AppJson;
use crate::store::{AuditRecord, EntryRecord};

/// Whatever the verb, the body's shape is all there is to check.
impl Validate for AutopilotCommand {}

/// What the autopilot does (`off`, `active`, `dry_run`, `paused`), the
/// alert kinds it may act on, its block periods, the last hour's budget
/// and its newest decisions. On a follower: as the leader last saved it.
#[utoipa::path(get, path = "/v1/autopilot", tag = "autopilot", operation_id = "get_autopilot",
    responses((status = 200, body = AutopilotStatus)),
    security(("bearer" = [])))]
pub async fn status(State(state): State<AppState>, _caller: Caller) -> Json<AutopilotStatus> {
    Json(state.autopilot.status(state.clock.now()))
}

/// Pause or resume the autopilot (commander). Pausing stops every
/// automatic decision until it is resumed; both are written to the open
/// incident's timeline and the audit log. Pausing a paused autopilot (or
/// resuming a running one) changes nothing and answers the same.
#[utoipa::path(post, path = "/v1/autopilot", tag = "autopilot", operation_id = "command_autopilot",
    request_body = AutopilotCommand,
    responses((status = 200, description = "the autopilot after the command", body = AutopilotStatus),
        (status = 403, description = "not a commander token", body = ApiErrorBody),
        (status = 409, description = "`autopilot_off`: the fleet file does not enable the autopilot", body = ApiErrorBody),
        (status = 422, description = "the body is not acceptable", body = ApiErrorBody),
        (status = 503, description = "`no_leader`: no replica leads right now; nothing was done (retry after `Retry-After`)", body = ApiErrorBody, headers(("Retry-After" = String, description = "seconds"))),
        (status = 504, description = "`leader_timeout`: forwarded to the leader, which did not answer in time", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn command(
    State(state): State<AppState>,
    Commander(caller): Commander,
    AppJson(command): AppJson<AutopilotCommand>,
) -> ApiResult<Json<AutopilotStatus>> {
    let autopilot = state.autopilot.clone();
    if !autopilot.enabled() {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            ErrorCode::AutopilotOff,
            "the autopilot is off: the fleet file has no [autopilot] section with enabled = true",
        ));
    }
    // Leader only (the route is forwarded): the term's store is fenced.
    state.exec()?;
    let now = state.clock.now();
    let (changed, verb, audit) = match command.command {
        AutopilotVerb::Pause => (
            autopilot.pause(&caller.name, now),
            "paused",
            "autopilot.pause",
        ),
        AutopilotVerb::Resume => (autopilot.resume(), "resumed", "autopilot.resume"),
    };
    if changed {
        // Saved now, not at the next event: a pause survives a crash.
        state.hub.save_state().await;
        let incident_id = match state.store.list_incidents(Some(IncidentState::Open)).await {
            Ok(open) => open.first().map(|i| i.id),
            Err(err) => {
                tracing::error!(%err, "could not look up the open incident");
                None
            }
        };
        let record = AuditRecord {
            at: now,
            actor: caller.name.clone(),
            action: audit.into(),
            target: AUTHOR.into(),
            incident_id,
            detail: serde_json::json!({ "mode": autopilot.status(now).mode }),
        };
        if let Err(err) = state.store.append_audit(&record).await {
            tracing::error!(%err, "could not audit an autopilot command");
        }
        if let Some(incident_id) = incident_id {
            let entry = EntryRecord {
                kind: EntryKind::Note,
                status: None,
                visibility: Visibility::Internal,
                body: format!("autopilot {verb} by {}", caller.name),
                author: caller.name.clone(),
                occurred_at: now,
                starred: false,
                marker: None,
                source: Source::Autopilot,
            };
            add_entries(&state, incident_id, vec![entry]).await;
        }
    }
    Ok(Json(autopilot.status(now)))
}
