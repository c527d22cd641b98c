//! The event hub: every event is written to the store (which assigns its
//! sequence number) and then broadcast to live subscribers, in sequence
//! order. One writer task batches appends so a burst costs one commit.
//!
//! A write that announces itself (an incident or timeline change, whose
//! event the store writes in the change's own transaction) goes through
//! [`Hub::write`], so its event is broadcast in order with the rest.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{Notify, broadcast, mpsc, oneshot};

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

/// What the writer task is asked to do, in order.
enum Work {
    Publish(Publish),
    /// A store write that writes its own events; run alone, then its
    /// events are read back and broadcast.
    Write(Job),
}

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

struct Publish {
    events: Vec<(Timestamp, EventPayload)>,
    done: Option<oneshot::Sender<Result<Vec<Event>, StoreError>>>,
    /// From the leader's own work (detection, actions, the simulator), as
    /// opposed to a request any replica serves: written only while this
    /// replica leads, through its fenced store.
    from_leader: bool,
}

/// What a leading replica writes with every batch: the world state, through
/// the store fenced at its epoch.
#[derive(Clone)]
pub struct LeaderWrites {
    pub snapshot: Snapshotter,
    pub store: Arc<dyn Store>,
}

/// How events reach the live subscribers once stored.
#[derive(Clone)]
enum Delivery {
    /// One node: straight from the writer, in the order it wrote them.
    Direct,
    /// Replicas: every node tails the store (which orders events from all
    /// of them); a write only wakes the tail up.
    Tail(Arc<Notify>),
}

#[derive(Clone)]
pub struct Hub {
    tx: mpsc::Sender<Work>,
    delivery: Delivery,
    live: broadcast::Sender<Arc<Published>>,
    store: Arc<dyn Store>,
    published: Arc<AtomicU64>,
    leader: Arc<Mutex<Option<LeaderWrites>>>,
    /// Dropped with the last clone: the tail then stops.
    _alive: Arc<()>,
}

impl Hub {
    /// One node: the writer task broadcasts what it stored. It ends when
    /// every `Hub` clone is dropped.
    pub fn start(store: Arc<dyn Store>) -> Hub {
        Hub::with_delivery(store, Delivery::Direct).0
    }

    /// A replica: broadcasts what the store holds, in sequence order, from
    /// whichever replica wrote it, tailing it by sequence number after
    /// `wakeups` (a hint) and at least every [`TAIL_POLL`].
    pub async fn start_tailing(
        store: Arc<dyn Store>,
        wakeups: Option<Arc<Notify>>,
    ) -> Result<Hub, StoreError> {
        let last = store.last_event_seq().await?;
        let poke = Arc::new(Notify::new());
        let (hub, alive) = Hub::with_delivery(store.clone(), Delivery::Tail(poke.clone()));
        tokio::spawn(tail_loop(TailLoop {
            store,
            live: hub.live.clone(),
            published: hub.published.clone(),
            poke,
            wakeups,
            last,
            alive,
        }));
        Ok(hub)
    }

    fn with_delivery(store: Arc<dyn Store>, delivery: Delivery) -> (Hub, Weak<()>) {
        let (tx, rx) = mpsc::channel(1024);
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let published = Arc::new(AtomicU64::new(0));
        let leader = Arc::new(Mutex::new(None));
        let alive = Arc::new(());
        tokio::spawn(write_loop(WriteLoop {
            rx,
            store: store.clone(),
            live: live.clone(),
            published: published.clone(),
            leader: leader.clone(),
            delivery: delivery.clone(),
            last: None,
        }));
        let weak = Arc::downgrade(&alive);
        (
            Hub {
                tx,
                delivery,
                live,
                store,
                published,
                leader,
                _alive: alive,
            },
            weak,
        )
    }

    /// While set, every batch is written with the world state, through the
    /// leader's fenced store, and the leader's own events are accepted.
    pub fn lead(&self, writes: Option<LeaderWrites>) {
        *self.leader.lock().unwrap_or_else(|p| p.into_inner()) = writes;
    }

    /// Persist and broadcast events of a request; returns them with their
    /// sequence numbers once they are durable.
    pub async fn publish(
        &self,
        events: Vec<(Timestamp, EventPayload)>,
    ) -> Result<Vec<Event>, StoreError> {
        self.send(events, false).await
    }

    /// Persist and broadcast events of the leader's own work; refused with
    /// [`StoreError::Fenced`] once this replica no longer leads.
    pub async fn publish_as_leader(
        &self,
        events: Vec<(Timestamp, EventPayload)>,
    ) -> Result<Vec<Event>, StoreError> {
        self.send(events, true).await
    }

    async fn send(
        &self,
        events: Vec<(Timestamp, EventPayload)>,
        from_leader: bool,
    ) -> Result<Vec<Event>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (done, wait) = oneshot::channel();
        let closed = || StoreError::Backend("the event hub has stopped".into());
        self.tx
            .send(Work::Publish(Publish {
                events,
                done: Some(done),
                from_leader,
            }))
            .await
            .map_err(|_| closed())?;
        wait.await.map_err(|_| closed())?
    }

    /// Publish without waiting for the commit (order relative to other
    /// publishes holds).
    pub async fn publish_nowait(&self, events: Vec<(Timestamp, EventPayload)>) {
        if events.is_empty() {
            return;
        }
        let publish = Publish {
            events,
            done: None,
            from_leader: false,
        };
        if self.tx.send(Work::Publish(publish)).await.is_err() {
            tracing::warn!("event hub stopped; events dropped");
        }
    }

    /// Save the world state now, without an event (what changes without
    /// one: probe counters, the sim clock). Ordered with the publishes.
    pub async fn save_state(&self) {
        let _ = self
            .tx
            .send(Work::Publish(Publish {
                events: Vec::new(),
                done: None,
                from_leader: true,
            }))
            .await;
    }

    /// Runs a store write that writes its own events (in its own
    /// transaction: see [`Store`]'s contract), and has them broadcast in
    /// sequence order with every other event. The write runs to its end
    /// even when the caller stops waiting (a client that hung up), so what
    /// it committed is announced.
    ///
    /// `write` must not publish through this hub itself: it would wait for
    /// the writer task that runs it.
    pub async fn write<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let closed = || StoreError::Backend("the event hub has stopped".into());
        let (done, wait) = oneshot::channel();
        let job = async move {
            let _ = done.send(write.await);
        };
        match &self.delivery {
            // One writer: the write takes its turn in the writer task, which
            // reads back and broadcasts what it wrote.
            Delivery::Direct => {
                self.tx
                    .send(Work::Write(Box::pin(job)))
                    .await
                    .map_err(|_| closed())?;
            }
            // Replicas: the tail broadcasts whatever any replica committed;
            // the write only wakes it.
            Delivery::Tail(poke) => {
                let poke = poke.clone();
                tokio::spawn(async move {
                    job.await;
                    poke.notify_one();
                });
            }
        }
        wait.await.map_err(|_| closed())?
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

/// How often a replica reads the events table when no wake-up came.
pub const TAIL_POLL: Duration = Duration::from_millis(500);

struct WriteLoop {
    rx: mpsc::Receiver<Work>,
    store: Arc<dyn Store>,
    live: broadcast::Sender<Arc<Published>>,
    published: Arc<AtomicU64>,
    leader: Arc<Mutex<Option<LeaderWrites>>>,
    delivery: Delivery,
    /// The last sequence number broadcast (direct delivery), once known.
    last: Option<i64>,
}

async fn write_loop(mut w: WriteLoop) {
    let mut next = None;
    loop {
        let first = match next.take() {
            Some(work) => work,
            None => match w.rx.recv().await {
                Some(work) => work,
                None => return,
            },
        };
        let first = match first {
            Work::Publish(publish) => publish,
            Work::Write(job) => {
                run_write(&mut w, job).await;
                continue;
            }
        };
        let mut batch = vec![first];
        let mut count = batch[0].events.len();
        while count < MAX_BATCH {
            match w.rx.try_recv() {
                Ok(Work::Publish(more)) => {
                    count += more.events.len();
                    batch.push(more);
                }
                Ok(write @ Work::Write(_)) => {
                    next = Some(write);
                    break;
                }
                Err(_) => break,
            }
        }
        let leader = w.leader.lock().unwrap_or_else(|p| p.into_inner()).clone();
        // Requests' events (incidents, timeline) change nothing the world
        // state holds: a batch of only those is written without it, so a
        // timeline write does not rewrite the whole world.
        let world_changed = batch.iter().any(|p| p.from_leader);
        let written = match &leader {
            Some(_) if !world_changed => write_plain(&w.store, &batch).await,
            Some(leader) => match write_as_leader(leader, &batch).await {
                Some(Err(err @ StoreError::Fenced { .. })) => {
                    tracing::warn!(%err, "the leader's events were refused");
                    batch = refuse_leaders(batch, &err);
                    write_plain(&w.store, &batch).await
                }
                other => other,
            },
            None => {
                let err = StoreError::Fenced {
                    epoch: 0,
                    current: None,
                };
                batch = refuse_leaders(batch, &err);
                write_plain(&w.store, &batch).await
            }
        };
        let Some(written) = written else { continue };
        match written {
            Ok(events) => {
                match &w.delivery {
                    Delivery::Direct => {
                        w.published
                            .fetch_add(events.len() as u64, Ordering::Relaxed);
                        for event in &events {
                            // No receivers is fine: nobody is listening right now.
                            let _ = w.live.send(Arc::new(Published::new(event.clone())));
                        }
                        if let Some(event) = events.last() {
                            w.last = Some(event.seq);
                        }
                    }
                    Delivery::Tail(poke) => poke.notify_one(),
                }
                let mut rest = events.into_iter();
                for publish in batch {
                    let mine: Vec<Event> = rest.by_ref().take(publish.events.len()).collect();
                    if let Some(done) = publish.done {
                        let _ = done.send(Ok(mine));
                    }
                }
            }
            Err(err) => {
                tracing::error!(%err, "could not persist {count} events");
                for publish in batch {
                    if let Some(done) = publish.done {
                        let _ = done.send(Err(StoreError::Backend(err.to_string())));
                    }
                }
            }
        }
    }
}

/// Runs a write that writes its own events, then broadcasts every event
/// past the last one broadcast: with one writer (this task) those are the
/// write's own.
async fn run_write(w: &mut WriteLoop, job: Job) {
    let Delivery::Direct = w.delivery else {
        job.await;
        return;
    };
    let after = match w.last {
        Some(last) => last,
        None => match w.store.last_event_seq().await {
            Ok(last) => last,
            Err(err) => {
                // Unknown floor: the write still runs; its events are
                // read by anyone resuming from the store.
                tracing::error!(%err, "could not read the last event before a write");
                job.await;
                return;
            }
        },
    };
    job.await;
    w.last = Some(after);
    const PAGE: u32 = 1000;
    loop {
        let last = w.last.unwrap_or(after);
        match w.store.events_since(last, PAGE).await {
            Ok(page) => {
                let full = page.len() == PAGE as usize;
                w.published.fetch_add(page.len() as u64, Ordering::Relaxed);
                for event in page {
                    w.last = Some(event.seq);
                    let _ = w.live.send(Arc::new(Published::new(event)));
                }
                if !full {
                    return;
                }
            }
            Err(err) => {
                // Left for the next write to pick up (it reads from `last`).
                tracing::error!(%err, "could not read back a write's events");
                return;
            }
        }
    }
}

fn flatten(batch: &[Publish]) -> Vec<(Timestamp, EventPayload)> {
    batch
        .iter()
        .flat_map(|p| p.events.iter().cloned())
        .collect()
}

/// The batch with the world state, through the leader's fenced store. A
/// failure to save the state must not lose the events: they are then
/// written alone (still fenced). `None` when there was nothing to write.
async fn write_as_leader(
    leader: &LeaderWrites,
    batch: &[Publish],
) -> Option<Result<Vec<Event>, StoreError>> {
    let all = flatten(batch);
    let world = match leader.snapshot.take() {
        Ok(world) => world,
        Err(err) => {
            tracing::error!(%err, "could not serialize the world state");
            if all.is_empty() {
                return None;
            }
            return Some(leader.store.append_events(&all).await);
        }
    };
    match leader.store.save_world(&world, &all).await {
        Ok(events) => Some(Ok(events)),
        Err(err @ StoreError::Fenced { .. }) => Some(Err(err)),
        Err(err) => {
            tracing::error!(%err, "could not save the world state");
            if all.is_empty() {
                return None;
            }
            Some(leader.store.append_events(&all).await)
        }
    }
}

/// The batch without the leader's own publishes, which are answered with
/// `err`: a replica that does not lead writes only its requests' events.
fn refuse_leaders(batch: Vec<Publish>, err: &StoreError) -> Vec<Publish> {
    let (refused, kept): (Vec<Publish>, Vec<Publish>) =
        batch.into_iter().partition(|p| p.from_leader);
    for publish in refused {
        if let Some(done) = publish.done {
            let _ = done.send(Err(match err {
                StoreError::Fenced { epoch, current } => StoreError::Fenced {
                    epoch: *epoch,
                    current: *current,
                },
                other => StoreError::Backend(other.to_string()),
            }));
        }
    }
    kept
}

async fn write_plain(
    store: &Arc<dyn Store>,
    batch: &[Publish],
) -> Option<Result<Vec<Event>, StoreError>> {
    let all = flatten(batch);
    if all.is_empty() {
        return None;
    }
    Some(store.append_events(&all).await)
}

struct TailLoop {
    store: Arc<dyn Store>,
    live: broadcast::Sender<Arc<Published>>,
    published: Arc<AtomicU64>,
    poke: Arc<Notify>,
    wakeups: Option<Arc<Notify>>,
    last: i64,
    alive: Weak<()>,
}

/// Reads every event past the last one delivered, in sequence order, and
/// broadcasts it; the store's sequence numbers are gapless and commit in
/// order, so `seq > last` never skips one.
async fn tail_loop(mut t: TailLoop) {
    const PAGE: u32 = 1000;
    loop {
        let wakeup = async {
            match &t.wakeups {
                Some(w) => w.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = t.poke.notified() => {}
            () = wakeup => {}
            () = tokio::time::sleep(TAIL_POLL) => {}
        }
        if t.alive.strong_count() == 0 {
            return;
        }
        loop {
            match t.store.events_since(t.last, PAGE).await {
                Ok(page) => {
                    let full = page.len() == PAGE as usize;
                    for event in page {
                        t.last = event.seq;
                        t.published.fetch_add(1, Ordering::Relaxed);
                        let _ = t.live.send(Arc::new(Published::new(event)));
                    }
                    if !full {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(%err, "could not read new events; trying again");
                    break;
                }
            }
        }
    }
}
