//! `warroom lab-node`: one app server of the lab. It serves the pages of
//! the sites it is told about (Host header -> site, unknown hosts 404) and a
//! `/health` JSON report, and uses the cache and the database on every page.
//!
//! It carries the two outages' mechanics, so faults in the lab are real:
//! - 2017: the `/cart` code path keeps one memcached connection to the node
//!   that was active when this process started, and only reconnects to that
//!   same node, until restarted. After a cache failover it talks to the old
//!   node (and fails once that node is gone); once the path has been used,
//!   `/health` counts it in `stale_cache_connections` until the restart.
//!   Pages resolve the active node every time.
//! - 2020: database calls go through one pool, opened at start on the
//!   primary of that moment, with no timeout anywhere. When that primary
//!   stops answering, the workers serving requests wait forever; `/health`
//!   counts calls older than [`STUCK_AFTER`] in `stuck_db_connections`, and
//!   per site in `stuck_sites`.

mod cache;
mod check;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use cache::CacheConn;

/// A database call running longer than this is stuck.
pub const STUCK_AFTER: Duration = Duration::from_secs(1);
/// "No timeout" for the database pool: a day.
const NO_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
const DB_POOL_SIZE: u32 = 4;
const PAGE_TTL_S: u32 = 30;

/// What the lab tells a node (a JSON file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeConfig {
    pub sites: Vec<NodeSite>,
    /// A file holding the active memcached node, `host:port`.
    pub cache_pointer: PathBuf,
    /// A file holding the PostgreSQL primary, `host:port`.
    pub db_pointer: PathBuf,
    pub db_name: String,
    pub db_user: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSite {
    /// Its Host header.
    pub id: String,
    pub name: String,
}

/// The `/health` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeHealth {
    /// `ok`, or `degraded` while a connection is stale or a call is stuck.
    pub status: String,
    pub node: String,
    pub sites: usize,
    pub requests: u64,
    pub failed_requests: u64,
    /// The active memcached node, as the pointer file says now.
    pub cache_node: String,
    /// The node the `/cart` path holds its connection to.
    pub pinned_cache_node: String,
    pub stale_cache_connections: u32,
    /// The primary this node's pool was opened on.
    pub db_node: String,
    pub db_calls_in_flight: u32,
    pub stuck_db_connections: u32,
    /// The stuck calls by site (Host header).
    #[serde(default)]
    pub stuck_sites: BTreeMap<String, u32>,
}

/// Reads a pointer file: one `host:port` line.
pub fn read_pointer(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let addr = text.trim().to_string();
    if addr.parse::<SocketAddr>().is_err() {
        anyhow::bail!("{} does not hold host:port", path.display());
    }
    Ok(addr)
}

struct Node {
    id: String,
    sites: HashMap<String, NodeSite>,
    cache_pointer: PathBuf,
    /// The `/cart` path's connection: its node never changes.
    pinned: tokio::sync::Mutex<Pinned>,
    pinned_addr: String,
    db: sqlx::PgPool,
    db_addr: String,
    /// Start times and sites of the database calls in flight, by call number.
    db_calls: std::sync::Mutex<BTreeMap<u64, (Instant, String)>>,
    next_call: AtomicU64,
    requests: AtomicU64,
    failed: AtomicU64,
}

struct Pinned {
    conn: Option<CacheConn>,
    /// The path has connected at least once: from then on it holds on to
    /// its node, whether the connection is open right now or not.
    used: bool,
}

/// Serves the node on `listener` until the process ends.
pub async fn serve_node(
    id: String,
    listener: tokio::net::TcpListener,
    config: NodeConfig,
) -> anyhow::Result<()> {
    let db_addr = read_pointer(&config.db_pointer)?;
    let pinned_addr = read_pointer(&config.cache_pointer)?;
    let (host, port) = db_addr
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| anyhow::anyhow!("bad database address {db_addr}"))?;
    let options = PgConnectOptions::new()
        .host(&host)
        .port(port)
        .username(&config.db_user)
        .database(&config.db_name);
    let db = PgPoolOptions::new()
        .max_connections(DB_POOL_SIZE)
        .acquire_timeout(NO_TIMEOUT)
        .connect_lazy_with(options);
    // The node at start decides for good (the 2017 optimisation); the
    // connection opens on the path's first request.
    let node = Arc::new(Node {
        sites: config
            .sites
            .into_iter()
            .map(|s| (s.id.to_ascii_lowercase(), s))
            .collect(),
        id,
        cache_pointer: config.cache_pointer,
        pinned: tokio::sync::Mutex::new(Pinned {
            conn: None,
            used: false,
        }),
        pinned_addr,
        db,
        db_addr,
        db_calls: std::sync::Mutex::new(BTreeMap::new()),
        next_call: AtomicU64::new(0),
        requests: AtomicU64::new(0),
        failed: AtomicU64::new(0),
    });
    axum::serve(listener, router(node)).await?;
    Ok(())
}

fn router(node: Arc<Node>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/cart", get(cart))
        .route("/check/{kind}/{addr}", get(check::check))
        .fallback(page)
        .with_state(node)
}

async fn health(State(node): State<Arc<Node>>) -> Json<NodeHealth> {
    let active = read_pointer(&node.cache_pointer).unwrap_or_default();
    let stale = {
        let pinned = node.pinned.try_lock();
        // A request holding the lock is using the path: it is in use.
        let used = pinned.map(|p| p.used).unwrap_or(true);
        u32::from(used && !active.is_empty() && active != node.pinned_addr)
    };
    let (in_flight, stuck, stuck_sites) = {
        let calls = node.db_calls.lock().unwrap_or_else(|e| e.into_inner());
        let mut stuck_sites: BTreeMap<String, u32> = BTreeMap::new();
        for (start, site) in calls.values() {
            if start.elapsed() >= STUCK_AFTER {
                *stuck_sites.entry(site.clone()).or_default() += 1;
            }
        }
        let stuck: u32 = stuck_sites.values().sum();
        (calls.len(), stuck, stuck_sites)
    };
    let degraded = stale > 0 || stuck > 0;
    Json(NodeHealth {
        status: if degraded { "degraded" } else { "ok" }.to_string(),
        node: node.id.clone(),
        sites: node.sites.len(),
        requests: node.requests.load(Ordering::Relaxed),
        failed_requests: node.failed.load(Ordering::Relaxed),
        cache_node: active,
        pinned_cache_node: node.pinned_addr.clone(),
        stale_cache_connections: stale,
        db_node: node.db_addr.clone(),
        db_calls_in_flight: u32::try_from(in_flight).unwrap_or(u32::MAX),
        stuck_db_connections: stuck,
        stuck_sites,
    })
}

/// The site a request is for: its Host header without the port.
fn site_of<'a>(node: &'a Node, headers: &HeaderMap) -> Option<&'a NodeSite> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let host = host.split(':').next()?.to_ascii_lowercase();
    node.sites.get(&host)
}

fn failure(node: &Node, status: StatusCode, text: String) -> Response {
    node.failed.fetch_add(1, Ordering::Relaxed);
    (status, format!("{text}\n")).into_response()
}

/// A page: cache read-through on the active node, then the database.
async fn page(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    node.requests.fetch_add(1, Ordering::Relaxed);
    let Some(site) = site_of(&node, &headers) else {
        return failure(&node, StatusCode::NOT_FOUND, "no such site here".into());
    };
    let cached = match cached_page(&node, &site.id).await {
        Ok(cached) => cached,
        Err(error) => {
            return failure(
                &node,
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cache unavailable: {error}"),
            );
        }
    };
    let title = match page_title(&node, &site.id).await {
        Ok(title) => title.unwrap_or_else(|| site.name.clone()),
        Err(error) => {
            return failure(
                &node,
                StatusCode::SERVICE_UNAVAILABLE,
                format!("database unavailable: {error}"),
            );
        }
    };
    format!(
        "{title} ({}) served by {}\ncache: {cached}\n",
        site.id, node.id
    )
    .into_response()
}

/// `hit` or `miss` on the active node, which is read from the pointer file
/// for every page (this code path follows a failover).
async fn cached_page(node: &Node, site: &str) -> anyhow::Result<&'static str> {
    let addr = read_pointer(&node.cache_pointer)?;
    let mut conn = CacheConn::connect(&addr).await?;
    let key = format!("page:{site}");
    if conn.get(&key).await?.is_some() {
        return Ok("hit");
    }
    conn.set(&key, node.id.as_bytes(), PAGE_TTL_S).await?;
    Ok("miss")
}

/// The page's title from the database, through the pool with no timeout.
/// The query runs in a task of its own, as a worker would: it keeps waiting
/// even when the client gave up, and counts as stuck while it waits.
async fn page_title(node: &Arc<Node>, site: &str) -> anyhow::Result<Option<String>> {
    let call = node.next_call.fetch_add(1, Ordering::Relaxed);
    node.db_calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(call, (Instant::now(), site.to_string()));
    let worker = {
        let node = Arc::clone(node);
        let site = site.to_string();
        tokio::spawn(async move {
            let title: Result<Option<String>, sqlx::Error> =
                sqlx::query_scalar("SELECT title FROM pages WHERE site = $1")
                    .bind(&site)
                    .fetch_optional(&node.db)
                    .await;
            node.db_calls
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&call);
            title
        })
    };
    Ok(worker.await??)
}

/// The "optimised" code path: the connection pinned to the first cache node.
async fn cart(State(node): State<Arc<Node>>, headers: HeaderMap) -> Response {
    node.requests.fetch_add(1, Ordering::Relaxed);
    let Some(site) = site_of(&node, &headers) else {
        return failure(&node, StatusCode::NOT_FOUND, "no such site here".into());
    };
    let mut pinned = node.pinned.lock().await;
    let result = async {
        if pinned.conn.is_none() {
            pinned.conn = Some(CacheConn::connect(&node.pinned_addr).await?);
            pinned.used = true;
        }
        let conn = pinned
            .conn
            .as_mut()
            .ok_or_else(|| std::io::Error::other("no connection"))?;
        let key = format!("cart:{}", site.id);
        let items = conn.get(&key).await?.map_or(0, |v| {
            String::from_utf8_lossy(&v).parse::<u64>().unwrap_or(0)
        }) + 1;
        conn.set(&key, items.to_string().as_bytes(), 3600).await?;
        Ok::<u64, std::io::Error>(items)
    }
    .await;
    match result {
        Ok(items) => format!(
            "cart of {}: {items} visits, served by {}\n",
            site.id, node.id
        )
        .into_response(),
        Err(error) => {
            pinned.conn = None;
            failure(
                &node,
                StatusCode::BAD_GATEWAY,
                format!("cart: cache node {} failed: {error}", node.pinned_addr),
            )
        }
    }
}

#[cfg(test)]
mod tests;
