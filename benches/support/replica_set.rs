//! The processes of the replicas bench: `warroom serve` replicas (child
//! processes of the built binary) on one database of a throwaway
//! PostgreSQL cluster, plus a single `serve` on SQLite or PostgreSQL. A
//! replica is killed when its `ServeProcess` is dropped (also on panic);
//! the cluster is stopped when the `Cluster` owning it is dropped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::serve::{ServeProcess, spawn_serve};
use crate::support::serve_args::{serve_args, tokens_file_text};

/// How long the bench waits for anything before it gives up.
pub const WAIT: Duration = Duration::from_secs(30);

/// One HTTP client for the whole bench: loopback only, never a proxy.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client")
}

/// The demo fleet (simulated) and the role tokens, as files in `dir`.
pub struct Files {
    pub dir: PathBuf,
    pub fleet: PathBuf,
    pub tokens: PathBuf,
}

impl Files {
    pub fn new(dir: &Path) -> Files {
        let tokens = dir.join("tokens.toml");
        std::fs::write(&tokens, tokens_file_text()).expect("tokens file");
        Files {
            dir: dir.to_path_buf(),
            fleet: Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fleets/demo.toml"),
            tokens,
        }
    }

    /// The arguments of `warroom serve` on `db` (a `sqlite://` or
    /// `postgres://` URL), as replica `node` when given.
    fn args(&self, db: &str, node: Option<&str>) -> Vec<String> {
        let mut args = serve_args(&self.fleet, Path::new("unused.db"), &self.tokens, &[]);
        let at = args.iter().position(|a| a == "--db").expect("--db");
        args[at + 1] = db.to_string();
        if let Some(node) = node {
            args.extend(["--node-id".to_string(), node.to_string()]);
        }
        args
    }

    /// One `warroom serve` on `db`, standalone (SQLite) or a replica of
    /// one (PostgreSQL).
    pub async fn serve(&self, db: &str, node: Option<&str>) -> ServeProcess {
        spawn_serve(&self.dir, &self.args(db, node)).await
    }
}

/// `GET /healthz` of one replica, or `None` when it does not answer.
pub async fn healthz(http: &reqwest::Client, url: &str) -> Option<Value> {
    http.get(format!("{url}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// Replicas on one PostgreSQL database; slot `i` is node `r{i+1}`, `None`
/// while it is down.
pub struct ReplicaSet {
    files: Files,
    db: String,
    nodes: Vec<Option<ServeProcess>>,
    http: reqwest::Client,
}

impl ReplicaSet {
    pub async fn start(files: Files, db: String, count: usize) -> ReplicaSet {
        let mut set = ReplicaSet {
            files,
            db,
            nodes: Vec::new(),
            http: http(),
        };
        for i in 0..count {
            let node = set.files.serve(&set.db, Some(&node_id(i))).await;
            set.nodes.push(Some(node));
        }
        set
    }

    /// The URLs of the replicas that run now.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().flatten().map(|n| n.url.clone()).collect()
    }

    pub fn url(&self, slot: usize) -> &str {
        &self.nodes[slot].as_ref().expect("a running replica").url
    }

    /// The slot of the one replica that leads, once every running one
    /// agrees on it (same leader, same epoch); with that epoch.
    pub async fn agreed_leader(&self) -> Option<(usize, i64)> {
        let mut leader = None;
        let mut seen = None;
        for (slot, node) in self.nodes.iter().enumerate() {
            let Some(node) = node else { continue };
            let health = healthz(&self.http, &node.url).await?;
            let epoch = health["epoch"].as_i64()?;
            let leader_id = health["leader"]["node_id"].as_str()?.to_string();
            if seen.get_or_insert((leader_id.clone(), epoch)) != &(leader_id, epoch) {
                return None;
            }
            match health["role"].as_str()? {
                "leader" if leader.is_none() => leader = Some(slot),
                "follower" => {}
                _ => return None,
            }
        }
        Some((leader?, seen?.1))
    }

    /// `kill -9` of the replica in `slot`, reaped before this returns.
    pub async fn kill_9(&mut self, slot: usize) {
        if let Some(mut node) = self.nodes[slot].take() {
            node.child.start_kill().expect("SIGKILL");
            node.child
                .wait()
                .await
                .expect("the killed replica is reaped");
        }
    }

    /// Starts the replica of `slot` again, with the same `--node-id`.
    pub async fn restart(&mut self, slot: usize) {
        assert!(self.nodes[slot].is_none(), "replica {slot} still runs");
        let node = self.files.serve(&self.db, Some(&node_id(slot))).await;
        self.nodes[slot] = Some(node);
    }

    /// Kills every replica (dropping the set does too).
    pub async fn stop(&mut self) {
        for slot in 0..self.nodes.len() {
            self.kill_9(slot).await;
        }
    }
}

pub fn node_id(slot: usize) -> String {
    format!("r{}", slot + 1)
}
