use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{check_text, etag};
use crate::model::{EntryKind, EntryPatch, NewEntry, Source, Timeline, TimelineEntry, Visibility};
use crate::server::AppState;
use crate::server::auth::{Caller, Responder};
use crate::server::error::{ApiResult, Failure};
use crate::server::extract::{AppJson, IfMatch, OptionalIdempotencyKey};
use crate::store::EntryRecord;

const BODY_MAX: usize = 64 * 1024;

/// An incident's timeline, oldest first by `occurred_at`.
#[utoipa::path(get, path = "/v1/incidents/{id}/timeline", tag = "timeline", operation_id = "list_timeline",
    params(("id" = i64, Path)),
    responses((status = 200, body = Timeline), (status = 404, description = "no such incident", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
    path: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<Timeline>> {
    let Path(id) = path?;
    state.store.get_incident(id).await?;
    let entries = state.store.list_entries(id).await?;
    Ok(Json(Timeline {
        incident_id: id,
        entries,
    }))
}

fn check_body(kind: EntryKind, body: &str) -> ApiResult<()> {
    if body.is_empty() && kind == EntryKind::Marker {
        return Ok(());
    }
    check_text("body", body, BODY_MAX, true)
}

/// Add an entry (responder or commander). With an `Idempotency-Key`, a
/// retry returns the entry the first call made (200) instead of a second one.
#[utoipa::path(post, path = "/v1/incidents/{id}/timeline", tag = "timeline", operation_id = "create_entry",
    request_body = NewEntry,
    params(("id" = i64, Path), OptionalIdempotencyKey),
    responses((status = 201, body = TimelineEntry, headers(("ETag" = String, description = "the version, quoted"))),
        (status = 200, description = "a retry with a known key: the entry the first call made", body = TimelineEntry, headers(("ETag" = String, description = "the version, quoted"))),
        (status = 403, description = "a viewer token", body = crate::model::ApiErrorBody),
        (status = 404, description = "no such incident", body = crate::model::ApiErrorBody),
        (status = 422, description = "a field is not acceptable, `occurred_at` is in the future, or the key was used for another entry (`idempotency_key_reused`)", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Responder(caller): Responder,
    path: Result<Path<i64>, PathRejection>,
    OptionalIdempotencyKey(key): OptionalIdempotencyKey,
    AppJson(new): AppJson<NewEntry>,
) -> ApiResult<Response> {
    let Path(incident_id) = path?;
    let now = state.clock.now();
    let record = entry_record(new, &caller, now)?;
    // The entry and the event announcing it are one commit; a retry with
    // the same key replays the entry and announces nothing again.
    let store = state.store.clone();
    let (entry, created) = state
        .hub
        .write(async move {
            store
                .create_entry(incident_id, &record, key.as_deref(), now)
                .await
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, etag(entry.version), Json(entry)).into_response())
}

/// The entry as stored: `NewEntry`'s own rules are checked already; what
/// needs the server's clock and the token is decided here.
fn entry_record(
    new: NewEntry,
    caller: &Caller,
    now: crate::model::Timestamp,
) -> ApiResult<EntryRecord> {
    if new
        .occurred_at
        .is_some_and(|t| t > now + chrono::TimeDelta::minutes(5))
    {
        return Err(Failure::invalid("occurred_at is in the future"));
    }
    let visibility = new.visibility.unwrap_or(match new.kind {
        EntryKind::StatusUpdate => Visibility::Public,
        _ => Visibility::Internal,
    });
    Ok(EntryRecord {
        kind: new.kind,
        status: new.status,
        visibility,
        body: new.body,
        author: caller.name.clone(),
        occurred_at: new.occurred_at.unwrap_or(now),
        starred: new.starred,
        marker: new.marker,
        source: new.source.unwrap_or(Source::User),
    })
}

/// Edit an entry. Needs `If-Match: <version>`; 409 with the current entry
/// when someone else changed it first. Detector and action entries are immutable.
#[utoipa::path(patch, path = "/v1/incidents/{id}/timeline/{entry_id}", tag = "timeline", operation_id = "update_entry",
    request_body = EntryPatch,
    params(("id" = i64, Path), ("entry_id" = i64, Path), IfMatch),
    responses((status = 200, body = TimelineEntry, headers(("ETag" = String, description = "the new version, quoted"))),
        (status = 403, description = "a viewer token", body = crate::model::ApiErrorBody),
        (status = 404, description = "no such incident or entry", body = crate::model::ApiErrorBody),
        (status = 409, description = "`version_conflict` (the body's `current` is the entry now) or `immutable_entry`", body = crate::model::ApiErrorBody),
        (status = 422, description = "a field is not acceptable for this entry's kind, or `occurred_at` is in the future", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Responder(caller): Responder,
    path: Result<Path<(i64, i64)>, PathRejection>,
    IfMatch(version): IfMatch,
    AppJson(patch): AppJson<EntryPatch>,
) -> ApiResult<Response> {
    let Path((incident_id, entry_id)) = path?;
    let now = state.clock.now();
    let current = state.store.get_entry(incident_id, entry_id).await?;
    if let Some(body) = &patch.body {
        check_body(current.kind, body)?;
    }
    if patch.status.is_some() && current.kind != EntryKind::StatusUpdate {
        return Err(Failure::invalid("only a status_update has a status"));
    }
    if matches!(patch.marker, Some(Some(_))) && current.kind != EntryKind::Marker {
        return Err(Failure::invalid("only a marker entry has a marker"));
    }
    if current.kind == EntryKind::Marker && matches!(patch.marker, Some(None)) {
        return Err(Failure::invalid(
            "a marker entry cannot lose its marker; delete it instead",
        ));
    }
    if patch
        .occurred_at
        .is_some_and(|t| t > now + chrono::TimeDelta::minutes(5))
    {
        return Err(Failure::invalid("occurred_at is in the future"));
    }
    let store = state.store.clone();
    let actor = caller.name.clone();
    let entry = state
        .hub
        .write(async move {
            store
                .update_entry(incident_id, entry_id, version, &patch, &actor, now)
                .await
        })
        .await?;
    Ok((etag(entry.version), Json(entry)).into_response())
}

/// Delete an entry (soft: it stays in the audit log). Needs `If-Match`.
#[utoipa::path(delete, path = "/v1/incidents/{id}/timeline/{entry_id}", tag = "timeline", operation_id = "delete_entry",
    params(("id" = i64, Path), ("entry_id" = i64, Path), IfMatch),
    responses((status = 200, description = "the entry as deleted, with `deleted_at`", body = TimelineEntry, headers(("ETag" = String, description = "the new version, quoted"))),
        (status = 403, description = "a viewer token", body = crate::model::ApiErrorBody),
        (status = 404, description = "no such incident or entry", body = crate::model::ApiErrorBody),
        (status = 409, description = "`version_conflict` (the body's `current` is the entry now) or `immutable_entry`", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Responder(caller): Responder,
    path: Result<Path<(i64, i64)>, PathRejection>,
    IfMatch(version): IfMatch,
) -> ApiResult<Response> {
    let Path((incident_id, entry_id)) = path?;
    let now = state.clock.now();
    let store = state.store.clone();
    let actor = caller.name.clone();
    let entry = state
        .hub
        .write(async move {
            store
                .delete_entry(incident_id, entry_id, version, &actor, now)
                .await
        })
        .await?;
    Ok((etag(entry.version), Json(entry)).into_response())
}
