//! Who is in the room (DESIGN.md §3): consoles say they are here with a
//! heartbeat and goodbye when they quit; `GET /v1/presence` lists them and a
//! `presence` event announces every join and leave (never a heartbeat of a
//! console already present). Kept in the store, so every replica serves
//! and sees the same room. Any token may be in the room.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::model::{
    ErrorCode, EventPayload, PRESENCE_TTL, Presence, PresenceChange, PresenceEvent, PresenceList,
    Timestamp, valid_client_id,
};
use crate::server::AppState;
use crate::server::auth::Caller;
use crate::server::error::{ApiResult, Failure};
use crate::store::{PresenceBeat, Store};

/// Presence is on the wall clock: heartbeats are real seconds, also when
/// the world is simulated (whose clock may run many times faster).
fn wall_now() -> Timestamp {
    chrono::Utc::now()
}

/// The oldest heartbeat that still counts at `now`.
pub(crate) fn live_after(now: Timestamp) -> Timestamp {
    now - chrono::TimeDelta::from_std(PRESENCE_TTL).unwrap_or(chrono::TimeDelta::seconds(45))
}

fn client_id(path: Result<Path<String>, PathRejection>) -> ApiResult<String> {
    let Path(id) = path?;
    if !valid_client_id(&id) {
        return Err(Failure::invalid(format!(
            "a client id is 1 to {} letters, digits, `-` or `_`",
            crate::model::CLIENT_ID_MAX
        )));
    }
    Ok(id)
}

/// The consoles connected now (a heartbeat within the last 45 s), by the
/// time they joined. Times are wall-clock.
#[utoipa::path(get, path = "/v1/presence", tag = "meta", operation_id = "list_presence",
    responses((status = 200, body = PresenceList)),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, _caller: Caller) -> ApiResult<Json<PresenceList>> {
    let consoles = state.store.presence(live_after(wall_now())).await?;
    Ok(Json(PresenceList { consoles }))
}

/// A console's heartbeat (any token): it is in the room under the token's
/// name and role. Send one at start and every 15 s; an entry without one
/// for 45 s expires. The first heartbeat (201) announces a `joined` event;
/// later ones (200) announce nothing.
#[utoipa::path(put, path = "/v1/presence/{client_id}", tag = "meta", operation_id = "presence_beat",
    params(("client_id" = String, Path, pattern = "^[A-Za-z0-9_-]{1,64}$", description = "the console's own id (1 to 64 of A-Z a-z 0-9 - _), e.g. a UUID")),
    responses((status = 201, description = "joined the room", body = Presence),
        (status = 200, description = "still here", body = Presence),
        (status = 403, description = "another token's console holds this client id", body = crate::model::ApiErrorBody),
        (status = 422, description = "not a client id", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn beat(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<Response> {
    let client_id = client_id(path)?;
    let now = wall_now();
    let beat = PresenceBeat {
        client_id,
        name: caller.name.clone(),
        role: caller.role,
    };
    let Some((presence, joined)) = state
        .store
        .presence_beat(&beat, now, live_after(now))
        .await?
    else {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "another token's console is in the room with this client id; choose another",
        ));
    };
    if joined {
        announce(&state, PresenceChange::Joined, vec![presence.clone()]).await?;
        Ok((StatusCode::CREATED, Json(presence)).into_response())
    } else {
        Ok((StatusCode::OK, Json(presence)).into_response())
    }
}

/// A console's goodbye: it leaves the room at once (a `left` event). Only
/// the token that joined with this client id can say it.
#[utoipa::path(delete, path = "/v1/presence/{client_id}", tag = "meta", operation_id = "presence_leave",
    params(("client_id" = String, Path, pattern = "^[A-Za-z0-9_-]{1,64}$", description = "the console's own id")),
    responses((status = 204, description = "left the room"),
        (status = 404, description = "no console of this token with this id is in the room", body = crate::model::ApiErrorBody),
        (status = 422, description = "not a client id", body = crate::model::ApiErrorBody)),
    security(("bearer" = [])))]
pub async fn leave(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> ApiResult<StatusCode> {
    let client_id = client_id(path)?;
    match state.store.presence_leave(&client_id, &caller.name).await? {
        Some(presence) => {
            announce(&state, PresenceChange::Left, vec![presence]).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        None => Err(Failure::not_found(
            "no console of yours with this client id is in the room",
        )),
    }
}

async fn announce(
    state: &AppState,
    change: PresenceChange,
    gone: Vec<Presence>,
) -> Result<(), crate::store::StoreError> {
    let at = state.clock.now();
    let events = gone
        .into_iter()
        .map(|presence| {
            (
                at,
                EventPayload::Presence(PresenceEvent { change, presence }),
            )
        })
        .collect();
    state.hub.publish(events).await.map(|_| ())
}

/// How often each replica removes the consoles whose heartbeats stopped.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Removes expired consoles every [`SWEEP_EVERY`] and announces each as
/// `expired`, until `shutdown`. Every replica sweeps; the store hands each
/// expired entry to one of them, so each is announced once.
pub async fn sweep(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        if let Err(err) = sweep_once(&state, state.store.as_ref()).await {
            tracing::warn!(%err, "sweeping expired presence failed; trying again");
        }
    }
}

async fn sweep_once(state: &AppState, store: &dyn Store) -> Result<(), crate::store::StoreError> {
    let gone = store.presence_expire(live_after(wall_now())).await?;
    if gone.is_empty() {
        return Ok(());
    }
    announce(state, PresenceChange::Expired, gone).await
}
