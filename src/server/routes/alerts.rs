//! Working an alert: acknowledge it (someone is on it) or silence it for a
//! while with a reason. Both are recorded on the alert (in the saved world,
//! so they survive restarts and leader changes), announced as an `alert`
//! event, and written to the timeline of every open incident. Responder
//! and up; only the leader holds the alerts, so a follower forwards these.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};

use crate::fleet::FleetChange;
use crate::model::{
    Alert, ApiErrorBody, EntryKind, IncidentState, SilenceRequest, Source, Timestamp, Visibility,
};
use crate::server::AppState;
use crate::server::auth::{Caller, Responder};
use crate::server::detect::{add_entries, apply_changes};
use crate::server::error::{ApiResult, Failure};
use crate::server::extract::AppJson;
use crate::store::EntryRecord;

/// Acknowledge an open alert: records who and when, in the alert and the
/// timeline; the console stops reminding about it.
#[utoipa::path(post, path = "/v1/alerts/{id}/ack", tag = "fleet", operation_id = "ack_alert",
    params(("id" = String, Path, description = "the alert's id, e.g. `server_down:app-04`")),
    responses((status = 200, body = Alert),
        (status = 403, description = "a viewer token", body = ApiErrorBody),
        (status = 404, description = "no such alert open", body = ApiErrorBody),
        (status = 503, description = "`no_leader`: no replica leads right now; nothing was done (retry after `Retry-After`)", body = ApiErrorBody, headers(("Retry-After" = String, description = "seconds"))),
        (status = 504, description = "`leader_timeout`: forwarded to the leader, which did not answer in time", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn ack(
    State(state): State<AppState>,
    Responder(caller): Responder,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Alert>> {
    let Path(id) = id?;
    let now = state.clock.now();
    let alert = {
        let mut fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        fleet.acknowledge(&id, &caller.name, now)
    }
    .map_err(|err| Failure::not_found(err.to_string()))?;
    announce(
        &state,
        &alert,
        format!("acknowledged by {}: {}", caller.name, alert.message),
        &caller,
        now,
    )
    .await?;
    Ok(Json(alert))
}

/// Silence an open alert for `duration_s` with a reason: the console hides
/// it (and counts it) until then. A silence ends when the alert resolves.
#[utoipa::path(post, path = "/v1/alerts/{id}/silence", tag = "fleet", operation_id = "silence_alert",
    params(("id" = String, Path, description = "the alert's id")),
    request_body = SilenceRequest,
    responses((status = 200, body = Alert),
        (status = 403, description = "a viewer token", body = ApiErrorBody),
        (status = 404, description = "no such alert open", body = ApiErrorBody),
        (status = 503, description = "`no_leader`: no replica leads right now; nothing was done (retry after `Retry-After`)", body = ApiErrorBody, headers(("Retry-After" = String, description = "seconds"))),
        (status = 504, description = "`leader_timeout`: forwarded to the leader, which did not answer in time", body = ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn silence(
    State(state): State<AppState>,
    Responder(caller): Responder,
    id: Result<Path<String>, PathRejection>,
    AppJson(request): AppJson<SilenceRequest>,
) -> ApiResult<Json<Alert>> {
    let Path(id) = id?;
    let now = state.clock.now();
    let secs = i64::try_from(request.duration_s).unwrap_or(i64::MAX);
    let until = now + chrono::TimeDelta::seconds(secs);
    let alert = {
        let mut fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        fleet.silence(&id, &caller.name, now, until, request.reason.trim())
    }
    .map_err(|err| Failure::not_found(err.to_string()))?;
    let body = format!(
        "silenced by {} for {}: {} (reason: {})",
        caller.name,
        for_words(request.duration_s),
        alert.message,
        request.reason.trim()
    );
    announce(&state, &alert, body, &caller, now).await?;
    Ok(Json(alert))
}

/// The alert event, and an entry in every open incident's timeline.
async fn announce(
    state: &AppState,
    alert: &Alert,
    body: String,
    caller: &Caller,
    now: Timestamp,
) -> ApiResult<()> {
    if state.leader_store().is_none() {
        return Err(Failure::no_leader(
            "this replica stopped leading; try again",
        ));
    }
    apply_changes(
        state,
        vec![FleetChange::AlertWorked(alert.clone())],
        Vec::new(),
    )
    .await;
    let incidents = state
        .store
        .list_incidents(Some(IncidentState::Open))
        .await?;
    for incident in incidents {
        let record = EntryRecord {
            kind: EntryKind::Detection,
            status: None,
            visibility: Visibility::Internal,
            body: body.clone(),
            author: caller.name.clone(),
            occurred_at: now,
            starred: false,
            marker: None,
            source: Source::Detector,
        };
        add_entries(state, incident.id, vec![record]).await;
    }
    Ok(())
}

/// "1 hour", "90 minutes", "45 seconds".
fn for_words(seconds: u64) -> String {
    let (n, unit) = if seconds.is_multiple_of(3600) {
        (seconds / 3600, "hour")
    } else if seconds.is_multiple_of(60) {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}
