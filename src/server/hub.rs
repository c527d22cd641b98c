//! The event hub: every event is written to the store (which assigns its
//! sequence number) and then broadcast to live subscribers, in sequence
//! order. One writer task batches appends so a burst costs one commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{broadcast, mpsc, oneshot};

use super::durable::Snapshotter;
use crate::model::{Event, EventPayload, Timestamp};
use crate::store::{Store, StoreError};

/// Most events one commit carries.
const MAX_BATCH: usize = 512;
/// Live events a slow subscriber may fall behind before it re-reads the store.
const LIVE_BUFFER: usize = 4096;

/// An event as broadcast: serialized once, however many clients follow it.
#[derive(Debug)]
pub struct Published {
    pub event: Event,
    pub json: String,
}

impl Published {
    pub fn new(event: Event) -> Published {
        let json = serde_json::to_string(&event).unwrap_or_else(|_| "{}".into());
        Published { event, json }
    }
}

struct Publish {
    events: Vec<(Timestamp, EventPayload)>,
    done: Option<oneshot::Sender<Result<Vec<Event>, StoreError>>>,
}

#[derive(Clone)]
pub struct Hub {
    tx: mpsc::Sender<Publish>,
    live: broadcast::Sender<Arc<Published>>,
    store: Arc<dyn Store>,
    published: Arc<AtomicU64>,
}

impl Hub {
    /// Start the writer task. It ends when every `Hub` clone is dropped.
    /// With a snapshotter, every batch of events is written with the world
    /// state in one transaction (see `durable`).
    pub fn start(store: Arc<dyn Store>, snapshot: Option<Snapshotter>) -> Hub {
        let (tx, rx) = mpsc::channel(1024);
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let published = Arc::new(AtomicU64::new(0));
        tokio::spawn(write_loop(
            rx,
            store.clone(),
            live.clone(),
            published.clone(),
            snapshot,
        ));
        Hub {
            tx,
            live,
            store,
            published,
        }
    }

    /// Persist and broadcast events; returns them with their sequence
    /// numbers once they are durable.
    pub async fn publish(
        &self,
        events: Vec<(Timestamp, EventPayload)>,
    ) -> Result<Vec<Event>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (done, wait) = oneshot::channel();
        let closed = || StoreError::Backend("the event hub has stopped".into());
        self.tx
            .send(Publish {
                events,
                done: Some(done),
            })
            .await
            .map_err(|_| closed())?;
        wait.await.map_err(|_| closed())?
    }

    /// Publish without waiting for the commit (for the detection loop, which
    /// must not stall on a slow disk). Order relative to other publishes holds.
    pub async fn publish_nowait(&self, events: Vec<(Timestamp, EventPayload)>) {
        if events.is_empty() {
            return;
        }
        if self.tx.send(Publish { events, done: None }).await.is_err() {
            tracing::warn!("event hub stopped; events dropped");
        }
    }

    /// Save the world state now, without an event (what changes without
    /// one: probe counters, the sim clock). Ordered with the publishes.
    pub async fn save_state(&self) {
        let _ = self
            .tx
            .send(Publish {
                events: Vec::new(),
                done: None,
            })
            .await;
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.live.subscribe()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn subscribers(&self) -> usize {
        self.live.receiver_count()
    }

    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }
}

async fn write_loop(
    mut rx: mpsc::Receiver<Publish>,
    store: Arc<dyn Store>,
    live: broadcast::Sender<Arc<Published>>,
    published: Arc<AtomicU64>,
    snapshot: Option<Snapshotter>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let mut count = batch[0].events.len();
        while count < MAX_BATCH {
            match rx.try_recv() {
                Ok(more) => {
                    count += more.events.len();
                    batch.push(more);
                }
                Err(_) => break,
            }
        }
        let mut all = Vec::with_capacity(count);
        let mut waiters = Vec::with_capacity(batch.len());
        for publish in batch {
            waiters.push((publish.events.len(), publish.done));
            all.extend(publish.events);
        }
        let world = snapshot.as_ref().and_then(|s| match s.take() {
            Ok(world) => Some(world),
            Err(err) => {
                tracing::error!(%err, "could not serialize the world state");
                None
            }
        });
        let written = match &world {
            Some(world) => match store.save_world(world, &all).await {
                Ok(events) => Ok(events),
                // The events must not be lost with the snapshot.
                Err(err) => {
                    tracing::error!(%err, "could not save the world state");
                    if all.is_empty() {
                        continue;
                    }
                    store.append_events(&all).await
                }
            },
            None if all.is_empty() => continue,
            None => store.append_events(&all).await,
        };
        match written {
            Ok(events) => {
                published.fetch_add(events.len() as u64, Ordering::Relaxed);
                for event in &events {
                    // No receivers is fine: nobody is listening right now.
                    let _ = live.send(Arc::new(Published::new(event.clone())));
                }
                let mut rest = events.into_iter();
                for (n, done) in waiters {
                    let mine: Vec<Event> = rest.by_ref().take(n).collect();
                    if let Some(done) = done {
                        let _ = done.send(Ok(mine));
                    }
                }
            }
            Err(err) => {
                tracing::error!(%err, "could not persist {} events", all.len());
                for (_, done) in waiters {
                    if let Some(done) = done {
                        let _ = done.send(Err(StoreError::Backend(err.to_string())));
                    }
                }
            }
        }
    }
}
