//! The node's outage mechanics against stand-ins: an in-memory memcached
//! that speaks `get`/`set` on any number of connections, and a "database"
//! that accepts connections and never answers (a SIGSTOPped primary).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::*;

/// A memcached stand-in; dropping the handle stops accepting and closes
/// every connection (a killed node).
struct FakeCache {
    addr: String,
    task: tokio::task::JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl FakeCache {
    /// Closes the listener and every connection, and returns once they are
    /// closed (an abort alone takes effect at some later poll).
    async fn kill(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for FakeCache {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn fake_cache() -> FakeCache {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let data: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    let (stop, mut stopped) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => break,
                },
                _ = &mut stopped => break,
            };
            let data = Arc::clone(&data);
            connections.spawn(async move {
                let mut stream = BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let words: Vec<String> = line.split_whitespace().map(String::from).collect();
                    let answer = match words.first().map(String::as_str) {
                        Some("get") => match data.lock().expect("lock").get(&words[1]) {
                            Some(v) => {
                                let mut a =
                                    format!("VALUE {} 0 {}\r\n", words[1], v.len()).into_bytes();
                                a.extend_from_slice(v);
                                a.extend_from_slice(b"\r\nEND\r\n");
                                a
                            }
                            None => b"END\r\n".to_vec(),
                        },
                        Some("set") => {
                            let len: usize = words[4].parse().expect("len");
                            let mut value = vec![0; len + 2];
                            stream.read_exact(&mut value).await.expect("value");
                            value.truncate(len);
                            data.lock().expect("lock").insert(words[1].clone(), value);
                            b"STORED\r\n".to_vec()
                        }
                        _ => b"ERROR\r\n".to_vec(),
                    };
                    if stream.get_mut().write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
        connections.shutdown().await;
    });
    FakeCache {
        addr,
        task,
        stop: Some(stop),
    }
}

/// Accepts connections and never says a word, like a stopped PostgreSQL.
async fn silent_database() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (addr, task)
}

struct Running {
    url: String,
    cache_pointer: PathBuf,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start_node(cache: &str, db: &str) -> Running {
    let dir = tempfile::tempdir().expect("dir");
    let cache_pointer = dir.path().join("cache.active");
    let db_pointer = dir.path().join("db.active");
    std::fs::write(&cache_pointer, format!("{cache}\n")).expect("pointer");
    std::fs::write(&db_pointer, format!("{db}\n")).expect("pointer");
    let config = NodeConfig {
        sites: vec![NodeSite {
            id: "shop.lab".into(),
            name: "Shop".into(),
        }],
        cache_pointer: cache_pointer.clone(),
        db_pointer,
        db_name: "lab".into(),
        db_user: "postgres".into(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(serve_node("app-01".into(), listener, config));
    Running {
        url,
        cache_pointer,
        http: reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("client"),
        _dir: dir,
    }
}

impl Running {
    async fn health(&self) -> NodeHealth {
        self.http
            .get(format!("{}/health", self.url))
            .send()
            .await
            .expect("health")
            .json()
            .await
            .expect("json")
    }

    async fn get(&self, path: &str, host: &str) -> Result<(u16, String), reqwest::Error> {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .header(header::HOST, host)
            .send()
            .await?;
        Ok((response.status().as_u16(), response.text().await?))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_cache_failover_the_cart_path_keeps_the_old_node_until_restarted() {
    let old = fake_cache().await;
    let standby = fake_cache().await;
    let (db, _db) = silent_database().await;
    let node = start_node(&old.addr, &db).await;
    assert_eq!(node.get("/cart", "shop.lab").await.expect("cart").0, 200);
    assert_eq!(node.get("/cart", "nowhere.lab").await.expect("cart").0, 404);
    let health = node.health().await;
    assert_eq!(
        (health.status.as_str(), health.stale_cache_connections),
        ("ok", 0)
    );

    std::fs::write(&node.cache_pointer, format!("{}\n", standby.addr)).expect("failover");
    let health = node.health().await;
    assert_eq!(health.stale_cache_connections, 1, "{health:?}");
    assert_eq!(health.status, "degraded");
    assert_eq!(health.pinned_cache_node, old.addr);
    assert_eq!(health.cache_node, standby.addr);

    old.kill().await;
    let (status, body) = node.get("/cart", "shop.lab").await.expect("cart");
    assert_eq!(status, 502, "{body}");
    assert!(body.contains(&format!("cache node {} failed", health.pinned_cache_node)));
    // It reconnects only to the node it started with: still failing.
    assert_eq!(node.get("/cart", "shop.lab").await.expect("cart").0, 502);
    assert_eq!(
        node.health().await.stale_cache_connections,
        1,
        "still stale while failing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_cart_path_never_ran_holds_no_stale_connection() {
    let old = fake_cache().await;
    let standby = fake_cache().await;
    let (db, _db) = silent_database().await;
    let node = start_node(&old.addr, &db).await;
    std::fs::write(&node.cache_pointer, format!("{}\n", standby.addr)).expect("failover");
    assert_eq!(node.health().await.stale_cache_connections, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_on_a_silent_primary_hang_and_health_counts_them_stuck() {
    let cache = fake_cache().await;
    let (db, _db) = silent_database().await;
    let node = start_node(&cache.addr, &db).await;
    let page = node.get("/", "shop.lab").await;
    assert!(
        page.as_ref().is_err_and(|e| e.is_timeout()),
        "no answer without the database: {page:?}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let health = loop {
        let health = node.health().await;
        if health.stuck_db_connections >= 1 {
            break health;
        }
        assert!(std::time::Instant::now() < deadline, "{health:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(health.status, "degraded");
    assert!(health.db_calls_in_flight >= 1);
    assert_eq!(health.db_node, db);
    assert_eq!(
        health.stuck_sites.get("shop.lab"),
        Some(&health.stuck_db_connections),
        "{health:?}"
    );
}
