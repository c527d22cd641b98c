//! Event fan-out: 100 SSE clients on loopback, events published at 1k/s
//! through the real hub (persisted to SQLite, then broadcast). Prints the
//! p50/p99 delivery latency, publish to client receipt. Target p99 <= 20 ms.
//!
//! cargo bench --bench sse_fanout

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use warroom::client::{Client, ClientConfig, StreamItem, StreamSettings};
use warroom::model::{EventPayload, FleetSpec, TopologyEvent};
use warroom::server::{AccessRole, LocalServer, ServerConfig, TokenEntry, Tokens, WorldSource};

const CLIENTS: usize = 100;
const RATE_PER_S: u64 = 1000;
const SECONDS: u64 = 3;
/// Under `cargo test` (no `--bench` argument) a short round checks the bench still works.
const SMOKE_SECONDS: u64 = 0;
const TOKEN: &str = "bench-token-bench-token";

fn fanout(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = std::env::var("BENCH_DB")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let latencies = runtime.block_on(run_round(&db, ClientKind::Light));
    report(
        "event fan-out, 100 SSE clients (raw readers), 1k events/s",
        &latencies,
    );
    let latencies = runtime.block_on(run_round(&db, ClientKind::Full));
    report(
        "event fan-out, 100 SSE clients (warroom client, full parse), 1k events/s",
        &latencies,
    );

    // Criterion's own measurement: time to publish-and-deliver one event to all clients.
    let mut group = c.benchmark_group("sse_fanout");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("one event to 100 clients", |b| {
        b.iter_custom(|iters| runtime.block_on(deliver_each(&db, iters)));
    });
    group.finish();
}

struct Harness {
    server: LocalServer,
    received: Arc<Mutex<Vec<Duration>>>,
    base: Instant,
    counts: Arc<Mutex<Vec<u64>>>,
    _streams: Vec<tokio::task::JoinHandle<()>>,
}

/// Full clients are the warroom client (SSE parser, JSON into the model),
/// all in this process, competing with the server for the same two cores.
/// Light clients read the raw stream and pick out the timestamp, so the
/// figure is the server's fan-out rather than the clients' parsing.
#[derive(Clone, Copy, PartialEq)]
enum ClientKind {
    Full,
    Light,
}

async fn start(db: &str) -> Harness {
    start_with(db, ClientKind::Full).await
}

async fn start_with(db: &str, kind: ClientKind) -> Harness {
    let spec = FleetSpec::parse("demo.toml", warroom::sim::DEMO_FLEET).expect("demo fleet");
    let store = warroom::store::open(db).await.expect("store");
    let tokens = Tokens::new(vec![TokenEntry {
        name: "bench".into(),
        role: AccessRole::Commander,
        token: TOKEN.into(),
    }]);
    let server = LocalServer::start(ServerConfig {
        spec,
        store,
        tokens,
        source: WorldSource::Simulated {
            seed: 1,
            speed: 1.0,
            scenario: None,
        },
    })
    .await
    .expect("server");
    let base = Instant::now();
    let received = Arc::new(Mutex::new(Vec::new()));
    let counts = Arc::new(Mutex::new(vec![0u64; CLIENTS]));
    let mut streams = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(CLIENTS);
    for i in 0..CLIENTS {
        if kind == ClientKind::Light {
            streams.push(tokio::spawn(light_client(
                server.addr,
                i,
                base,
                received.clone(),
                counts.clone(),
                ready_tx.clone(),
            )));
            continue;
        }
        let client =
            Client::new(ClientConfig::new(vec![server.url()], Some(TOKEN.into()))).expect("client");
        let mut stream = client.events(None, StreamSettings::default());
        let received = received.clone();
        let counts = counts.clone();
        let ready = ready_tx.clone();
        streams.push(tokio::spawn(async move {
            while let Some(item) = stream.next().await {
                match item {
                    StreamItem::Connected { .. } => {
                        let _ = ready.send(()).await;
                    }
                    StreamItem::Event(event) => {
                        if let EventPayload::Topology(t) = &event.payload
                            && t.reason == "bench"
                        {
                            let sent = t.version;
                            let now = base.elapsed().as_nanos() as u64;
                            received
                                .lock()
                                .expect("lock")
                                .push(Duration::from_nanos(now.saturating_sub(sent)));
                            counts.lock().expect("lock")[i] += 1;
                        }
                    }
                    StreamItem::Disconnected { .. } => {}
                }
            }
        }));
    }
    for _ in 0..CLIENTS {
        ready_rx.recv().await.expect("client connected");
    }
    Harness {
        server,
        received,
        base,
        counts,
        _streams: streams,
    }
}

async fn publish(h: &Harness) {
    let sent = h.base.elapsed().as_nanos() as u64;
    let now = h.server.orchestrator.state.clock.now();
    // The publish time rides in the version field of a small topology event.
    let payload = EventPayload::Topology(TopologyEvent {
        version: sent,
        reason: "bench".into(),
        ..TopologyEvent::default()
    });
    h.server
        .orchestrator
        .state
        .hub
        .publish_nowait(vec![(now, payload)])
        .await;
}

async fn wait_delivered(h: &Harness, expected_each: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = h
            .counts
            .lock()
            .expect("lock")
            .iter()
            .all(|&n| n >= expected_each);
        if done || Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn light_client(
    addr: std::net::SocketAddr,
    i: usize,
    base: Instant,
    received: Arc<Mutex<Vec<Duration>>>,
    counts: Arc<Mutex<Vec<u64>>>,
    ready: tokio::sync::mpsc::Sender<()>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return;
    };
    let request = format!(
        "GET /v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nAccept: text/event-stream\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).await.is_err() {
        return;
    }
    let mut lines = BufReader::new(stream).lines();
    let mut connected = false;
    while let Ok(Some(line)) = lines.next_line().await {
        if !connected && line.is_empty() {
            connected = true;
            let _ = ready.send(()).await;
            continue;
        }
        // `data: {"seq":..,"at":..,"kind":"topology","data":{"version":SENT,"reason":"bench"}}`
        let Some(at) = line.find("\"version\":") else {
            continue;
        };
        if !line.contains("\"reason\":\"bench\"") {
            continue;
        }
        let digits: String = line[at + 10..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(sent) = digits.parse::<u64>() {
            let now = base.elapsed().as_nanos() as u64;
            received
                .lock()
                .expect("lock")
                .push(Duration::from_nanos(now.saturating_sub(sent)));
            counts.lock().expect("lock")[i] += 1;
        }
    }
}

async fn run_round(db: &str, kind: ClientKind) -> Vec<Duration> {
    let h = start_with(db, kind).await;
    let seconds = if std::env::args().any(|a| a == "--bench") {
        SECONDS
    } else {
        SMOKE_SECONDS
    };
    // At least a few hundred events even in the smoke round.
    let total = (RATE_PER_S * seconds).max(200);
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / RATE_PER_S));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for _ in 0..total {
        ticker.tick().await;
        publish(&h).await;
    }
    wait_delivered(&h, total).await;
    let latencies = h.received.lock().expect("lock").clone();
    let delivered: u64 = h.counts.lock().expect("lock").iter().sum();
    println!("delivered {delivered} of {} events", total * CLIENTS as u64);
    h.server.stop().await;
    latencies
}

async fn deliver_each(db: &str, iters: u64) -> Duration {
    let h = start(db).await;
    let started = Instant::now();
    for i in 1..=iters {
        publish(&h).await;
        wait_delivered(&h, i).await;
    }
    let elapsed = started.elapsed();
    h.server.stop().await;
    elapsed
}

fn report(what: &str, latencies: &[Duration]) {
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "{what}: smoke run under cargo test, {} deliveries; run `cargo bench --bench sse_fanout` to measure",
            latencies.len()
        );
        return;
    }
    let mut sorted: Vec<Duration> = latencies.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        println!("{what}: no deliveries");
        return;
    }
    let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p) as usize];
    println!(
        "{what}: {} deliveries, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 <= 20 ms)",
        sorted.len(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        sorted[sorted.len() - 1].as_secs_f64() * 1e3,
    );
}

criterion_group!(benches, fanout);
criterion_main!(benches);
