//! Replicas on PostgreSQL (issue 11, DESIGN.md §4a and §8), measured on
//! real `warroom serve` processes on one throwaway PostgreSQL cluster:
//!
//! 1. leader failover (`support/failover.rs`): three replicas of the
//!    simulated demo fleet; `kill -9` of the leader, timed until a surviving
//!    replica answers a new plan and its execute (a cache failover,
//!    alternating between the two cache nodes, so it can run again and
//!    again); the killed replica is then started again with its
//!    `--node-id`. Median and max of 10 kills (target <= 5 s);
//! 2. timeline write latency: p50/p99 of sequential
//!    `POST /v1/incidents/{id}/timeline` on one `serve` on PostgreSQL next to
//!    one on a SQLite file (target p99 <= 10 ms on PostgreSQL); and, to show
//!    where the time goes, on the leader and on a follower of the replicas;
//! 3. SSE fan-out from a follower: 100 clients stream `/v1/events` from a
//!    follower while timeline entries are written on the leader at a steady
//!    rate; p50/p99 from the write's acknowledgement (and from its sending)
//!    to each client's receipt.
//!
//! Each figure is printed as one plain line. The machine's load is printed
//! first: on a busy 2-core machine the figures say as much about the
//! neighbours as about warroom.
//!
//! `cargo bench --bench replicas` (`-- writes` for part 2 alone, on one
//! `serve` per backend). Without `--bench` (under
//! `cargo test --all-targets`) a short smoke round runs instead. Needs the
//! PostgreSQL server binaries (`apt-get install postgresql`).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

#[path = "../tests/support"]
#[allow(dead_code)]
mod support {
    pub mod command;
    pub mod new_incident;
    pub mod new_note;
    pub mod postgres;
    pub mod serve;
    pub mod serve_args;
    pub mod tokens;
    pub mod wait;
}
#[path = "support/failover.rs"]
mod failover;
#[path = "support/replica_set.rs"]
mod replica_set;

use failover::failover_round;
use replica_set::{Files, ReplicaSet, WAIT, http};
use support::tokens::{RESPONDER, VIEWER};
use support::wait::eventually;

/// The bar of issue 11 for a leader failover.
const FAILOVER_TARGET: Duration = Duration::from_secs(5);

/// How much each part does: the full run, or the smoke round under cargo test.
struct Sizes {
    replicas: usize,
    kills: usize,
    warmup_writes: usize,
    writes: usize,
    clients: usize,
    events: usize,
    events_per_s: u64,
}

const FULL: Sizes = Sizes {
    replicas: 3,
    kills: 10,
    warmup_writes: 50,
    writes: 2000,
    clients: 100,
    events: 1000,
    events_per_s: 200,
};

const SMOKE: Sizes = Sizes {
    replicas: 3,
    kills: 1,
    warmup_writes: 5,
    writes: 50,
    clients: 5,
    events: 20,
    events_per_s: 50,
};

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs bench
    // targets without it.
    let full = std::env::args().any(|a| a == "--bench");
    let sizes = if full { &FULL } else { &SMOKE };
    let writes_only = std::env::args().any(|a| a == "writes");
    // Declared first, so dropped last: after every replica was killed,
    // also when a panic unwinds (its watchdog stops it if this process is
    // killed outright).
    let cluster = support::postgres::Cluster::start()
        .unwrap_or_else(|why| panic!("cannot start a throwaway PostgreSQL cluster: {why}"));
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run(&cluster, dir.path(), sizes, full, writes_only));
}

async fn run(
    cluster: &support::postgres::Cluster,
    dir: &Path,
    sizes: &Sizes,
    full: bool,
    writes_only: bool,
) {
    let smoke = if full {
        ""
    } else {
        "smoke run under cargo test (`cargo bench --bench replicas` measures): "
    };
    let http = http();
    // The figures depend on what else runs on the machine: say so.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "replicas bench: {} cores, load average {} at start",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );

    // 2. Timeline writes, one server at a time so they do not compete.
    let files = Files::new(dir);
    let sqlite = format!("sqlite://{}", dir.join("bench.db").display());
    let mut serve = files.serve(&sqlite, None).await;
    let on_sqlite = timeline_writes(&http, &serve.url, sizes).await;
    serve.child.kill().await.expect("stop the SQLite serve");
    let mut serve = files.serve(&cluster.database().await, Some("solo")).await;
    let on_postgres = timeline_writes(&http, &serve.url, sizes).await;
    serve.child.kill().await.expect("stop the PostgreSQL serve");
    if writes_only {
        print_writes(smoke, sizes, on_sqlite, on_postgres);
        return;
    }

    // 1. Leader failover, then 3. fan-out from a follower, on one replica set.
    let mut set = ReplicaSet::start(files, cluster.database().await, sizes.replicas).await;
    let mut failovers = Vec::new();
    for round in 0..sizes.kills {
        let failover = failover_round(&mut set, &http, round).await;
        if full {
            println!(
                "  kill {}: {} killed, {} leads (epoch {}): elected after {:.2} s, plan + execute answered after {:.2} s; refused before: {}",
                round + 1,
                failover.killed,
                failover.new_leader,
                failover.epoch,
                failover.elected.as_secs_f64(),
                failover.answered.as_secs_f64(),
                failover.refusals.summary(),
            );
        }
        failovers.push(failover);
    }
    let fanout = fanout_from_follower(&set, &http, sizes).await;
    // Where the PostgreSQL write time goes: the same writes on a replica
    // that leads (its event commit also saves the world state) and on one
    // that follows.
    let (leader, _) = {
        let set = &set;
        eventually(WAIT, "the replicas to agree on a leader", || {
            set.agreed_leader()
        })
        .await
    };
    let on_leader = timeline_writes(&http, set.url(leader), sizes).await;
    let follower = (leader + 1) % sizes.replicas;
    let on_follower = timeline_writes(&http, set.url(follower), sizes).await;
    set.stop().await;

    let mut answered: Vec<Duration> = failovers.iter().map(|f| f.answered).collect();
    let mut elected: Vec<Duration> = failovers.iter().map(|f| f.elected).collect();
    answered.sort();
    elected.sort();
    println!(
        "{smoke}leader failover, kill -9 -> a survivor answers a new plan and its execute, {} kills of {} replicas: median {:.2} s, max {:.2} s (target <= {} s); a new leader elected: median {:.2} s, max {:.2} s",
        answered.len(),
        sizes.replicas,
        median(&answered).as_secs_f64(),
        answered[answered.len() - 1].as_secs_f64(),
        FAILOVER_TARGET.as_secs(),
        median(&elected).as_secs_f64(),
        elected[elected.len() - 1].as_secs_f64(),
    );
    print_writes(smoke, sizes, on_sqlite, on_postgres);
    println!(
        "{smoke}timeline write on PostgreSQL among {} replicas, on the leader: {}; on a follower: {}",
        sizes.replicas,
        percentiles(on_leader),
        percentiles(on_follower),
    );
    println!(
        "{smoke}SSE fan-out from a follower, {} clients, {} timeline writes at {}/s on the leader: {} of {} delivered ({} before the write's acknowledgement, counted as 0), write acknowledged -> client receipt {}; write sent -> client receipt {}",
        sizes.clients,
        sizes.events,
        sizes.events_per_s,
        fanout.latencies.len(),
        sizes.clients * sizes.events,
        fanout.early,
        percentiles(fanout.latencies),
        percentiles(fanout.from_sent),
    );
}

// ---- 2. timeline writes ----

fn print_writes(smoke: &str, sizes: &Sizes, on_sqlite: Vec<Duration>, on_postgres: Vec<Duration>) {
    println!(
        "{smoke}timeline write (POST /v1/incidents/{{id}}/timeline, sequential, {} writes) on SQLite: {}",
        sizes.writes,
        percentiles(on_sqlite),
    );
    println!(
        "{smoke}timeline write (POST /v1/incidents/{{id}}/timeline, sequential, {} writes) on PostgreSQL: {} (target p99 <= 10 ms)",
        sizes.writes,
        percentiles(on_postgres),
    );
}

/// Opens an incident on `url` and returns its id.
async fn open_incident(http: &reqwest::Client, url: &str, title: &str) -> i64 {
    let response = http
        .post(format!("{url}/v1/incidents"))
        .bearer_auth(RESPONDER)
        .json(&support::new_incident::incident(title))
        .send()
        .await
        .expect("POST /v1/incidents");
    let status = response.status();
    let body: Value = response.json().await.expect("an incident");
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    body["id"].as_i64().expect("the incident's id")
}

/// Writes one note to the timeline of `incident`; panics unless created.
async fn write_note(http: &reqwest::Client, url: &str, incident: i64, key: &str, body: &str) {
    let response = http
        .post(format!("{url}/v1/incidents/{incident}/timeline"))
        .bearer_auth(RESPONDER)
        .header("idempotency-key", key)
        .json(&support::new_note::note(body))
        .send()
        .await
        .unwrap_or_else(|err| panic!("timeline write {key}: {err}"));
    let status = response.status();
    if status != reqwest::StatusCode::CREATED {
        let text = response.text().await.unwrap_or_default();
        panic!("timeline write {key}: {status} {text}");
    }
    // Read the body so the connection goes back to the pool.
    response.bytes().await.expect("the written entry");
}

/// The round trip of each of `sizes.writes` sequential timeline writes,
/// after a few not counted (connection set up, caches warm).
async fn timeline_writes(http: &reqwest::Client, url: &str, sizes: &Sizes) -> Vec<Duration> {
    let incident = open_incident(http, url, "timeline write bench").await;
    let mut took = Vec::with_capacity(sizes.writes);
    for i in 0..sizes.warmup_writes + sizes.writes {
        let started = Instant::now();
        write_note(
            http,
            url,
            incident,
            &format!("tl-{i}"),
            &format!("note {i}"),
        )
        .await;
        if i >= sizes.warmup_writes {
            took.push(started.elapsed());
        }
    }
    took
}

// ---- 3. SSE fan-out from a follower ----

struct Fanout {
    latencies: Vec<Duration>,
    /// Deliveries that came before the writer had the write's answer.
    early: usize,
    /// From sending each write (an upper bound: includes the write itself).
    from_sent: Vec<Duration>,
}

/// (sent, acknowledged) of each write by its number, in nanoseconds since base.
type Acks = Arc<Mutex<Vec<Option<(u64, u64)>>>>;

/// What one stream client received: (event number, nanoseconds since base).
type Received = Arc<Mutex<Vec<(usize, u64)>>>;

async fn fanout_from_follower(set: &ReplicaSet, http: &reqwest::Client, sizes: &Sizes) -> Fanout {
    let (leader, _) = eventually(WAIT, "the replicas to agree on a leader", || {
        set.agreed_leader()
    })
    .await;
    let follower = (leader + 1) % sizes.replicas;
    let (leader_url, follower_url) = (set.url(leader).to_string(), set.url(follower).to_string());
    let incident = open_incident(http, &leader_url, "fan-out bench").await;

    let base = Instant::now();
    // No timeout on a stream, and no compression: each event is read as
    // soon as the server sends it.
    let streams_http = reqwest::Client::builder()
        .no_proxy()
        .no_gzip()
        .no_zstd()
        .build()
        .expect("an HTTP client");
    let mut logs: Vec<Received> = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..sizes.clients {
        let log = Received::default();
        logs.push(log.clone());
        readers.push(tokio::spawn(read_stream(
            streams_http.clone(),
            follower_url.clone(),
            base,
            log,
        )));
    }
    let got_all = |n: usize| {
        let logs = logs.clone();
        move || {
            let logs = logs.clone();
            async move {
                logs.iter()
                    .all(|log| log.lock().expect("lock").iter().any(|(i, _)| *i == n))
                    .then_some(())
            }
        }
    };
    // Event 0 is a probe, written again until every client has received
    // one: then every stream is live (a client may connect after a write).
    let all_live = got_all(0);
    let mut probes = 0;
    let deadline = Instant::now() + WAIT;
    while all_live().await.is_none() {
        assert!(
            Instant::now() < deadline,
            "not every client of the follower received a probe event within {WAIT:?}"
        );
        let key = format!("probe-{probes}");
        write_note(http, &leader_url, incident, &key, "fanout-0.").await;
        probes += 1;
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            while all_live().await.is_none() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }

    let acks: Acks = Arc::new(Mutex::new(vec![None; sizes.events + 1]));
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / sizes.events_per_s));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut writes = Vec::new();
    for n in 1..=sizes.events {
        ticker.tick().await;
        let (http, url, acks) = (http.clone(), leader_url.clone(), acks.clone());
        // Each write on its own task, so a slow one does not hold the rate.
        writes.push(tokio::spawn(async move {
            let marker = format!("fanout-{n}.");
            let sent = base.elapsed().as_nanos() as u64;
            write_note(&http, &url, incident, &marker, &marker).await;
            acks.lock().expect("lock")[n] = Some((sent, base.elapsed().as_nanos() as u64));
        }));
    }
    for write in writes {
        write.await.expect("a timeline write");
    }
    // Waits for the last event everywhere; what is still missing after
    // that is reported as not delivered.
    let deadline = Instant::now() + WAIT;
    let delivered = got_all(sizes.events);
    while delivered().await.is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for reader in &readers {
        reader.abort();
    }

    let acks = acks.lock().expect("lock").clone();
    let mut latencies = Vec::new();
    let mut from_sent = Vec::new();
    let mut early = 0;
    for log in &logs {
        for &(n, at) in log.lock().expect("lock").iter() {
            let Some(Some((sent, acked))) = acks.get(n).filter(|_| n > 0) else {
                continue;
            };
            if at < *acked {
                early += 1;
            }
            latencies.push(Duration::from_nanos(at.saturating_sub(*acked)));
            from_sent.push(Duration::from_nanos(at.saturating_sub(*sent)));
        }
    }
    Fanout {
        latencies,
        from_sent,
        early,
    }
}

/// One SSE client of `url`: records the number of each `fanout-N.` entry
/// it receives and when. Reconnects never: a dropped stream ends it.
async fn read_stream(http: reqwest::Client, url: String, base: Instant, log: Received) {
    let Ok(response) = http
        .get(format!("{url}/v1/events"))
        .bearer_auth(VIEWER)
        .header("accept", "text/event-stream")
        .send()
        .await
    else {
        return;
    };
    let mut body = response.bytes_stream();
    let mut pending: Vec<u8> = Vec::new();
    while let Some(Ok(chunk)) = body.next().await {
        let at = base.elapsed().as_nanos() as u64;
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            if let Some(n) = fanout_number(&line) {
                log.lock().expect("lock").push((n, at));
            }
        }
    }
}

/// N of a `data:` line that carries a `fanout-N.` timeline entry.
fn fanout_number(line: &[u8]) -> Option<usize> {
    let line = std::str::from_utf8(line).ok()?;
    if !line.starts_with("data:") || !line.contains("\"timeline\"") {
        return None;
    }
    let at = line.find("fanout-")? + "fanout-".len();
    let digits: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

// ---- figures ----

fn median(sorted: &[Duration]) -> Duration {
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2
    } else {
        sorted[mid]
    }
}

fn percentiles(mut samples: Vec<Duration>) -> String {
    if samples.is_empty() {
        return "no samples".to_string();
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
    )
}
