//! Real probes against real local servers: a healthy HTTP server, a listener
//! that accepts and never answers, and one that fails and recovers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::errors::expect_error;
use crate::support::raw::Api;
use crate::support::tokens::COMMANDER;
use crate::support::wait::eventually;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use warroom::model::{FleetSpec, HealthState, Topology};
use warroom::server::WorldSource;

const INTERVAL_MS: u64 = 100;
const TIMEOUT_MS: u64 = 80;
const FALL: u64 = 2;

/// An HTTP server on 127.0.0.1 that answers 200 (or 503 while `failing`)
/// and counts the requests it got.
struct HealthServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    failing: Arc<AtomicBool>,
}

async fn health_server() -> HealthServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let failing = Arc::new(AtomicBool::new(false));
    let (count, fail) = (requests.clone(), failing.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (count, fail) = (count.clone(), fail.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let answer: &[u8] = if fail.load(Ordering::SeqCst) {
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nsick"
                } else {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                };
                let _ = socket.write_all(answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    HealthServer {
        addr,
        requests,
        failing,
    }
}

/// Accepts connections and never answers; holds them open and counts them.
async fn black_hole() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (addr, accepted)
}

fn probe(target: &str) -> String {
    format!(
        "probe = {{ {target}, interval_ms = {INTERVAL_MS}, timeout_ms = {TIMEOUT_MS}, rise = 1, fall = {FALL} }}"
    )
}

fn fleet(healthy: SocketAddr, hole: SocketAddr, toggled: SocketAddr) -> FleetSpec {
    let text = format!(
        r#"
service = "probed for real"
[[switch]]
id = "sw-1"
[[server]]
id = "app-ok"
role = "app"
switch = "sw-1"
capacity = 2
{ok}
[[server]]
id = "app-hole"
role = "app"
switch = "sw-1"
capacity = 2
{hole}
[[server]]
id = "app-toggle"
role = "app"
switch = "sw-1"
capacity = 2
{toggle}
[[server]]
id = "web-tcp"
role = "web"
switch = "sw-1"
{tcp}
[[site]]
id = "site-ok"
home = "app-ok"
[[site]]
id = "site-hole"
home = "app-hole"
"#,
        ok = probe(&format!("http = \"http://{healthy}/health\"")),
        hole = probe(&format!("http = \"http://{hole}/health\"")),
        toggle = probe(&format!("http = \"http://{toggled}/health\"")),
        tcp = probe(&format!("tcp = \"{healthy}\"")),
    );
    FleetSpec::parse("probed.toml", &text).expect("test fleet parses")
}

fn state(topology: &Topology, id: &str) -> HealthState {
    let server = topology
        .servers
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.health.state);
    let site = topology
        .sites
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.health.state);
    server
        .or(site)
        .unwrap_or_else(|| panic!("no {id} in the topology"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_probes_tell_healthy_from_black_holed_servers() {
    let healthy = health_server().await;
    let toggled = health_server().await;
    let (hole, hole_accepts) = black_hole().await;
    let started = Instant::now();
    let started_wall = chrono::Utc::now();
    let api = Api::start(fleet(healthy.addr, hole, toggled.addr), WorldSource::Probed).await;
    let viewer = api.viewer();

    // Down within timeout × fall, plus one interval for the first probe's
    // stagger, plus slack for a loaded machine.
    let budget =
        Duration::from_millis(TIMEOUT_MS * FALL + INTERVAL_MS) + Duration::from_millis(1500);
    let topology = eventually(budget, "app-hole down and app-ok up", || async {
        let t = viewer.topology().await.ok()?;
        (state(&t, "app-hole") == HealthState::Down && state(&t, "app-ok") == HealthState::Up)
            .then_some(t)
    })
    .await;
    let took = started.elapsed();
    assert!(took <= budget, "took {took:?}");
    // When it went down, by the orchestrator's own clock: within
    // timeout × fall after the first probe, which starts within one interval.
    let hole = topology
        .servers
        .iter()
        .find(|s| s.id == "app-hole")
        .unwrap();
    let down_after = (hole.health.since - started_wall)
        .to_std()
        .unwrap_or_default();
    let bound = Duration::from_millis(TIMEOUT_MS * FALL + INTERVAL_MS + 300);
    assert!(
        down_after <= bound,
        "marked down {down_after:?} after start, above {bound:?}"
    );
    assert_eq!(
        state(&topology, "web-tcp"),
        HealthState::Up,
        "the TCP probe of a listening port"
    );
    assert_eq!(state(&topology, "site-hole"), HealthState::Down);
    assert_eq!(state(&topology, "site-ok"), HealthState::Up);
    let ok = topology.servers.iter().find(|s| s.id == "app-ok").unwrap();
    assert!(
        ok.health
            .latency_ms
            .is_some_and(|ms| ms < TIMEOUT_MS as f64),
        "{:?}",
        ok.health
    );
    let alerts = viewer.alerts().await.unwrap().alerts;
    assert!(
        alerts.iter().any(|a| a.id == "server_down:app-hole"),
        "{alerts:?}"
    );

    // Neither prober is stuck: while the black hole holds its connections,
    // both targets keep being probed, and the healthy one stays up.
    let (requests, accepts) = (
        healthy.requests.load(Ordering::SeqCst),
        hole_accepts.load(Ordering::SeqCst),
    );
    eventually(
        Duration::from_secs(5),
        "five more probes of each target",
        || async {
            let t = viewer.topology().await.ok()?;
            assert_eq!(
                state(&t, "app-ok"),
                HealthState::Up,
                "the healthy server left up"
            );
            assert_eq!(
                state(&t, "app-hole"),
                HealthState::Down,
                "the black hole came back"
            );
            let more_requests = healthy.requests.load(Ordering::SeqCst) >= requests + 5;
            let more_accepts = hole_accepts.load(Ordering::SeqCst) >= accepts + 5;
            (more_requests && more_accepts).then_some(())
        },
    )
    .await;

    // A target that starts failing goes down after `fall` probes and comes
    // back after `rise` (1) good one.
    toggled.failing.store(true, Ordering::SeqCst);
    eventually(
        Duration::from_secs(3),
        "app-toggle down on 503s",
        || async {
            (state(&viewer.topology().await.ok()?, "app-toggle") == HealthState::Down).then_some(())
        },
    )
    .await;
    toggled.failing.store(false, Ordering::SeqCst);
    eventually(Duration::from_secs(3), "app-toggle back up", || async {
        (state(&viewer.topology().await.ok()?, "app-toggle") == HealthState::Up).then_some(())
    })
    .await;

    // The history of the black hole records its fall.
    let history = viewer.health_history("app-hole").await.unwrap();
    assert!(
        history.samples.iter().any(|s| s.state == HealthState::Down),
        "{:?}",
        history.samples
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probed_fleet_has_no_simulator() {
    let healthy = health_server().await;
    let (hole, _) = black_hole().await;
    let api = Api::start(fleet(healthy.addr, hole, healthy.addr), WorldSource::Probed).await;
    let liveness = api.viewer().healthz().await.unwrap();
    assert_eq!(liveness["simulated"], false);
    let err = api.viewer().sim_status().await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    let response = api
        .http()
        .post(api.at("/v1/sim/faults"))
        .bearer_auth(COMMANDER)
        .json(&json!({"kind": "server_down", "target": "app-ok"}))
        .send()
        .await
        .unwrap();
    let (code, _) = expect_error(response, 404).await;
    assert_eq!(code, "no_simulator");
    api.stop().await;
}
