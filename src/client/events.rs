//! The event stream, kept alive: it resumes from the last sequence number it
//! saw, reconnects with capped exponential backoff and jitter, moves to the
//! next API URL when one fails, and treats a silent connection (no event and
//! no keep-alive within `idle_timeout`) as dead.

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::StreamExt;
use rand::Rng;
use tokio::sync::mpsc;

use super::Client;
use crate::model::Event;

#[derive(Debug, Clone, Copy)]
pub struct StreamSettings {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// The server sends a keep-alive every 10 s; silence this long means the link is dead.
    pub idle_timeout: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(25),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// Connected to `url`. `resumed` is false when events may have been
    /// missed (no sequence number known yet): refetch snapshots then.
    Connected {
        url: String,
        resumed: bool,
    },
    Event(Box<Event>),
    /// The connection failed or dropped; the next try is in `retry_in`.
    Disconnected {
        error: String,
        retry_in: Duration,
    },
}

/// A live subscription; dropping it stops the background task.
pub struct EventStream {
    rx: mpsc::Receiver<StreamItem>,
    _guard: StreamGuard,
}

impl EventStream {
    pub async fn next(&mut self) -> Option<StreamItem> {
        self.rx.recv().await
    }

    /// The receiving end, for an event loop that selects over channels; the
    /// stream runs until the guard is dropped.
    pub fn into_parts(self) -> (mpsc::Receiver<StreamItem>, StreamGuard) {
        (self.rx, self._guard)
    }
}

/// Aborts the stream's task when dropped.
pub struct StreamGuard(tokio::task::AbortHandle);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(super) fn subscribe(
    client: Client,
    since: Option<i64>,
    settings: StreamSettings,
) -> EventStream {
    let (tx, rx) = mpsc::channel(1024);
    let task = tokio::spawn(run(client, since, settings, tx));
    EventStream {
        rx,
        _guard: StreamGuard(task.abort_handle()),
    }
}

enum End {
    /// The receiver is gone: stop.
    Closed,
    /// The connection failed or ended; `healthy` when it delivered data.
    Failed { error: String, healthy: bool },
}

async fn run(
    client: Client,
    mut last: Option<i64>,
    settings: StreamSettings,
    tx: mpsc::Sender<StreamItem>,
) {
    let urls = client.urls().to_vec();
    let mut index = urls
        .iter()
        .position(|u| u == client.active_url())
        .unwrap_or(0);
    let mut backoff = settings.initial_backoff;
    let mut failures_in_round = 0usize;
    loop {
        let url = &urls[index % urls.len()];
        match connect_and_follow(&client, url, &mut last, settings, &tx).await {
            End::Closed => return,
            End::Failed { error, healthy } => {
                if healthy {
                    backoff = settings.initial_backoff;
                    failures_in_round = 0;
                } else {
                    failures_in_round += 1;
                }
                // Move on to the next replica; back off once every URL has failed in a row.
                index = (index + 1) % urls.len();
                let wait = if failures_in_round > 0 && failures_in_round.is_multiple_of(urls.len())
                {
                    let jittered = backoff.mul_f64(rand::rng().random_range(0.5..=1.0));
                    backoff = (backoff * 2).min(settings.max_backoff);
                    jittered
                } else {
                    Duration::ZERO
                };
                if tx
                    .send(StreamItem::Disconnected {
                        error,
                        retry_in: wait,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

async fn connect_and_follow(
    client: &Client,
    base: &str,
    last: &mut Option<i64>,
    settings: StreamSettings,
    tx: &mpsc::Sender<StreamItem>,
) -> End {
    let mut url = format!("{base}/v1/events");
    if let Some(seq) = *last {
        url.push_str(&format!("?since={seq}"));
    }
    // The shared client has a total request timeout, which would cut a
    // stream; this request has its own deadline for the headers only.
    let mut request = client
        .http()
        .get(&url)
        .header("accept", "text/event-stream")
        .timeout(Duration::from_secs(60 * 60 * 24 * 365));
    if let Some(token) = client.token() {
        request = request.bearer_auth(token);
    }
    let headers_deadline = client.config().request_timeout;
    let response = match tokio::time::timeout(headers_deadline, request.send()).await {
        Err(_) => {
            return End::Failed {
                error: format!(
                    "no answer from {base} within {} s",
                    headers_deadline.as_secs()
                ),
                healthy: false,
            };
        }
        Ok(Err(err)) => {
            return End::Failed {
                error: super::ClientError::from_reqwest(&err, base).to_string(),
                healthy: false,
            };
        }
        Ok(Ok(response)) => response,
    };
    if !response.status().is_success() {
        let error = super::ClientError::from_response(response).await;
        return End::Failed {
            error: error.to_string(),
            healthy: false,
        };
    }
    if tx
        .send(StreamItem::Connected {
            url: base.to_string(),
            resumed: last.is_some(),
        })
        .await
        .is_err()
    {
        return End::Closed;
    }
    let mut stream = response.bytes_stream().eventsource();
    let mut healthy = false;
    // One watchdog for the connection, not a timer per event: at a thousand
    // events a second a per-event timeout costs more than the parsing.
    let mut watchdog = tokio::time::interval(settings.idle_timeout / 2);
    watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    watchdog.tick().await;
    let mut last_data = tokio::time::Instant::now();
    loop {
        let next = tokio::select! {
            next = stream.next() => next,
            _ = watchdog.tick() => {
                if last_data.elapsed() >= settings.idle_timeout {
                    return End::Failed {
                        error: format!("{base} went silent for {} s", settings.idle_timeout.as_secs()),
                        healthy,
                    };
                }
                continue;
            }
        };
        last_data = tokio::time::Instant::now();
        match next {
            None => {
                return End::Failed {
                    error: format!("{base} closed the event stream"),
                    healthy,
                };
            }
            Some(Err(err)) => {
                return End::Failed {
                    error: format!("event stream from {base} broke: {err}"),
                    healthy,
                };
            }
            Some(Ok(sse)) => {
                healthy = true;
                if sse.data.is_empty() {
                    continue;
                }
                let event: Event = match serde_json::from_str(&sse.data) {
                    Ok(event) => event,
                    Err(err) => {
                        tracing::warn!(%err, "skipping an event the client cannot read");
                        continue;
                    }
                };
                if last.is_some_and(|l| event.seq <= l) {
                    continue;
                }
                *last = Some(event.seq);
                if tx.send(StreamItem::Event(Box::new(event))).await.is_err() {
                    return End::Closed;
                }
            }
        }
    }
}
