//! The outbox worker, one per leader's term: it stages what the event log
//! says to tell each configured receiver (`messages`), then delivers each
//! target's deliveries in order, one at a time, retrying with backoff while
//! the receiver is down and giving up only when it refuses for good.
//!
//! Staging reads the event log from the target's cursor and moves the
//! cursor in the same transaction that stages, and every delivery has a key
//! unique per target: after a crash or a change of leader nothing is staged
//! twice or skipped. A delivery is marked delivered once the receiver
//! answered 2xx; a crash between its answer and the mark sends it again
//! with the same `Idempotency-Key`, which is what a receiver dedupes on.
//! The outcomes of status-page and webhook deliveries are written to the
//! incident's timeline.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::messages;
use super::send::{Senders, Sent};
use crate::model::{
    Delivery, DeliveryOutcome, EntryKind, OutboxTarget, Source, Timestamp, Visibility,
};
use crate::server::AppState;
use crate::server::detect::add_entries;
use crate::store::{EntryRecord, Store, StoreError};

/// Events read per staging round.
const PAGE: u32 = 500;
/// Looked at again at least this often (a due retry, a missed wake-up).
const POLL: Duration = Duration::from_secs(1);
/// The longest wait between two tries of one delivery.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Starts the worker for the term: first puts a cursor on each target that
/// has none (at the end of the event log, before any request is served, so
/// nothing from now on is missed), then runs until the term ends. `store`
/// is the term's (fenced on replicas): a deposed leader can no longer mark
/// anything delivered.
pub async fn start(
    state: AppState,
    store: Arc<dyn Store>,
    senders: Senders,
    shutdown: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, StoreError> {
    for target in senders.targets() {
        if store.outbox_cursor(target).await?.is_none() {
            let last = store.last_event_seq().await?;
            store.outbox_stage(target, last, &[], Utc::now()).await?;
        }
    }
    Ok(tokio::spawn(run(state, store, senders, shutdown)))
}

async fn run(
    state: AppState,
    store: Arc<dyn Store>,
    senders: Senders,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut wakeups = state.hub.subscribe();
    let targets = senders.targets();
    loop {
        let mut next: Option<Timestamp> = None;
        for &target in &targets {
            if let Err(err) = stage(store.as_ref(), target).await {
                tracing::warn!(%err, target = target.as_str(), "could not stage deliveries");
            }
            match deliver(&state, store.as_ref(), &senders, target).await {
                Ok(due) => next = [next, due].into_iter().flatten().min(),
                Err(StoreError::Fenced { .. }) => return,
                Err(err) => {
                    tracing::warn!(%err, target = target.as_str(), "could not deliver");
                }
            }
        }
        // Until the next delivery falls due (now, if it is overdue), at most POLL.
        let wait = match next {
            Some(at) => (at - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(POLL),
            None => POLL,
        };
        tokio::select! {
            _ = wakeups.recv() => {}
            () = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Stages what the events past the target's cursor are worth telling it.
async fn stage(store: &dyn Store, target: OutboxTarget) -> Result<(), StoreError> {
    let now = Utc::now();
    let Some(mut cursor) = store.outbox_cursor(target).await? else {
        return Err(StoreError::Backend(format!(
            "the outbox has no cursor for {}",
            target.as_str()
        )));
    };
    loop {
        let events = store.events_since(cursor, PAGE).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(());
        };
        let mut deliveries = Vec::new();
        for event in &events {
            let incident = match messages::incident_of(event) {
                Some(id) => match store.get_incident(id).await {
                    Ok(incident) => Some(incident),
                    Err(StoreError::NotFound { .. }) => None,
                    Err(err) => return Err(err),
                },
                None => None,
            };
            deliveries.extend(messages::deliveries(target, event, incident.as_ref()));
        }
        store.outbox_stage(target, last, &deliveries, now).await?;
        cursor = last;
        if events.len() < PAGE as usize {
            return Ok(());
        }
    }
}

/// Delivers the target's deliveries that are due, in order, until one
/// fails or none is left; returns when the next one is due.
async fn deliver(
    state: &AppState,
    store: &dyn Store,
    senders: &Senders,
    target: OutboxTarget,
) -> Result<Option<Timestamp>, StoreError> {
    loop {
        let Some(head) = store.outbox_head(target).await? else {
            return Ok(None);
        };
        if head.next_attempt_at > Utc::now() {
            return Ok(Some(head.next_attempt_at));
        }
        let remote = match (target, head.incident_id) {
            (OutboxTarget::Statuspage, Some(incident)) => {
                store.outbox_remote(target, incident).await?
            }
            _ => None,
        };
        let sent = senders.send(&head, remote.as_deref()).await;
        let at = Utc::now();
        let outcome = match sent {
            Sent::Delivered { remote_id } => DeliveryOutcome::Delivered { at, remote_id },
            Sent::Retry { error, after } => {
                let backoff = after.unwrap_or_else(|| backoff(head.attempts + 1));
                DeliveryOutcome::Retry {
                    at,
                    next_attempt_at: at
                        + chrono::TimeDelta::from_std(backoff).unwrap_or(chrono::TimeDelta::MAX),
                    error,
                }
            }
            Sent::Refused { error } => DeliveryOutcome::GaveUp { at, error },
        };
        let recorded = store.outbox_record(head.id, &outcome).await?;
        record_in_timeline(state, &recorded, &outcome).await;
        if let DeliveryOutcome::Retry {
            next_attempt_at, ..
        } = outcome
        {
            return Ok(Some(next_attempt_at));
        }
    }
}

/// 1 s after the first failure, doubling, at most [`MAX_BACKOFF`].
fn backoff(attempts: u32) -> Duration {
    let exponent = attempts.saturating_sub(1).min(16);
    Duration::from_secs(1u64 << exponent).min(MAX_BACKOFF)
}

/// What the status page or the webhook made of a status update, in the
/// incident's timeline: its delivery, its first failure (once: it is
/// retried until it goes through) and a refusal.
async fn record_in_timeline(state: &AppState, delivery: &Delivery, outcome: &DeliveryOutcome) {
    let (Some(incident_id), OutboxTarget::Statuspage | OutboxTarget::Webhook) =
        (delivery.incident_id, delivery.target)
    else {
        return;
    };
    let what = delivery.payload["update"]["status"]
        .as_str()
        .unwrap_or("status update");
    let title = delivery.target.title();
    let body = match outcome {
        DeliveryOutcome::Delivered { remote_id, .. } => match remote_id {
            Some(id) if delivery.target == OutboxTarget::Statuspage => {
                format!("Published to the {title} ({what}; its incident {id})")
            }
            _ => format!("Published to the {title} ({what})"),
        },
        DeliveryOutcome::Retry { error, .. } if delivery.attempts == 1 => {
            format!("Not yet published to the {title}: {error}; retrying until it answers")
        }
        DeliveryOutcome::Retry { .. } => return,
        DeliveryOutcome::GaveUp { error, .. } => {
            format!("Not published to the {title}, refused: {error}")
        }
    };
    let record = EntryRecord {
        kind: EntryKind::Note,
        status: None,
        visibility: Visibility::Internal,
        body,
        author: title.to_string(),
        occurred_at: state.clock.now(),
        starred: false,
        marker: None,
        source: Source::Integration,
    };
    add_entries(state, incident_id, vec![record]).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_second_to_a_minute() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
