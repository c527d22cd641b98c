//! `GET /v1/events`: the event stream. A client that names where it left off
//! (`?since=SEQ` or `Last-Event-ID`) first gets every event it missed, read
//! from the store, then live ones; none is lost or repeated.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiResult, Failure};
use crate::model::Event;

const PAGE: u32 = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Deliver events with a sequence number above this one first.
    #[param(minimum = 0)]
    pub since: Option<i64>,
}

/// The event stream (Server-Sent Events).
#[utoipa::path(
    get, path = "/v1/events", tag = "events", operation_id = "events",
    params(EventsQuery, ("Last-Event-ID" = Option<String>, Header, pattern = "^[0-9]{1,18}$", description = "resume after this sequence number; wins over `since`")),
    responses((status = 200, description = "Server-Sent Events: each `data:` is an `Event` as JSON; the SSE `id:` is its `seq`, `event:` its kind",
            content((Event = "text/event-stream"))),
        (status = 422, description = "`since` or `Last-Event-ID` is not a sequence number", body = crate::model::ApiErrorBody)),
    security(("bearer" = []))
)]
pub async fn events(
    State(state): State<AppState>,
    _caller: Caller,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let Query(query) = query?;
    let last_event_id = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|s| (1..=18).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| {
                    Failure::invalid("Last-Event-ID must be an event sequence number")
                })?,
        ),
    };
    let since = last_event_id.or(query.since);
    if since.is_some_and(|s| s < 0) {
        return Err(Failure::invalid("since must be 0 or more"));
    }
    // Subscribe before reading the store, so nothing committed in between is missed.
    let mut live = state.hub.subscribe();
    let store = state.store.clone();
    let mut last = match since {
        Some(seq) => seq,
        None => store.last_event_seq().await?,
    };
    let mut shutdown = state.shutdown.clone();
    state
        .metrics
        .sse_clients
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let guard = ClientGuard(state.metrics.clone());

    let stream = async_stream::stream! {
        let _guard = guard;
        // Catch up from the store, page by page.
        loop {
            let page = match store.events_since(last, PAGE).await {
                Ok(page) => page,
                Err(err) => {
                    tracing::error!(%err, "event replay failed");
                    return;
                }
            };
            let full = page.len() as u32 == PAGE;
            for event in page {
                last = event.seq;
                yield Ok(to_sse(&event));
            }
            if !full {
                break;
            }
        }
        loop {
            let received = tokio::select! {
                r = live.recv() => r,
                _ = shutdown.changed() => return,
            };
            match received {
                Ok(published) if published.event.seq <= last => continue,
                Ok(published) if published.event.seq == last + 1 => {
                    last = published.event.seq;
                    yield Ok(sse_frame(&published.event, published.json.clone()));
                }
                // A gap (we lagged, or the event raced our subscription): fill it from the store.
                Ok(_) | Err(RecvError::Lagged(_)) => {
                    loop {
                        let page = match store.events_since(last, PAGE).await {
                            Ok(page) => page,
                            Err(err) => {
                                tracing::error!(%err, "event replay failed");
                                return;
                            }
                        };
                        let full = page.len() as u32 == PAGE;
                        for event in page {
                            last = event.seq;
                            yield Ok(to_sse(&event));
                        }
                        if !full {
                            break;
                        }
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(10))))
}

fn to_sse(event: &Event) -> SseEvent {
    sse_frame(
        event,
        serde_json::to_string(event).unwrap_or_else(|_| "{}".into()),
    )
}

fn sse_frame(event: &Event, data: String) -> SseEvent {
    SseEvent::default()
        .id(event.seq.to_string())
        .event(event.kind().as_str())
        .data(data)
}

struct ClientGuard(std::sync::Arc<super::metrics::Metrics>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0
            .sse_clients
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}
