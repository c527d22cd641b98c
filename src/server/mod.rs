//! The orchestration API (DESIGN.md §3): axum router, auth, errors, the SSE
//! event hub, OpenAPI, and the loop that turns observations into health,
//! alerts and events.

mod auth;
pub mod autopilot;
mod clock;
mod detect;
mod durable;
mod elector;
mod error;
mod extract;
mod forward;
mod hub;
pub mod integrations;
mod metrics;
pub mod node;
mod openapi;
mod routes;
mod sim_driver;
mod sse;
mod stepper;
mod term;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post, put};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};

pub use crate::model::AccessRole;
pub use auth::{Caller, TokenEntry, Tokens, default_token_path, generated_token};
pub use clock::Clock;
pub use hub::Hub;
pub use openapi::ApiDoc;
pub use stepper::Stepper;

use crate::exec::Executor;
use crate::fleet::Fleet;
use crate::model::FleetSpec;
use crate::sim::{Scenario, Sim};
use crate::store::{Candidate, LeaseTiming, Store};
pub use node::Node;
use term::{Term, TermCtx};

/// Request bodies larger than this get 413.
pub const BODY_LIMIT: usize = 256 * 1024;

/// Response bodies smaller than this are sent as they are: compressing an
/// error or a single incident saves less than it costs.
pub const COMPRESS_ABOVE: u16 = 1024;

/// gzip or zstd, as the client accepts, for bodies of [`COMPRESS_ABOVE`]
/// bytes or more. Never the event stream: a compressor buffers, and a
/// buffered event arrives late (tower-http's default predicate agrees;
/// this one says so here).
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .no_br()
        .no_deflate()
        .compress_when(SizeAbove::new(COMPRESS_ABOVE).and(NotForContentType::SSE))
}

/// Everything a handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub tokens: Arc<Tokens>,
    /// The store as requests write it (never fenced: incident and timeline
    /// writes are transactions any replica may make).
    pub store: Arc<dyn Store>,
    pub hub: Hub,
    pub fleet: Arc<Mutex<Fleet>>,
    pub sim: Option<SimHandle>,
    pub clock: Clock,
    pub metrics: Arc<metrics::Metrics>,
    pub shutdown: watch::Receiver<bool>,
    /// This replica: its id, its role and the leader it knows.
    pub node: Node,
    /// How Alertmanager's alerts are put on nodes (the fleet file's).
    pub alertmanager: Arc<crate::model::AlertmanagerSpec>,
    /// The guarded autopilot (`[autopilot]` in the fleet file).
    pub autopilot: Arc<autopilot::Autopilot>,
    /// Set on the clones a term's own tasks hold: the term they belong to,
    /// even after a newer one started.
    term: Option<TermCtx>,
    /// The term in force, for requests; `None` while following.
    current: Arc<Mutex<Option<TermCtx>>>,
}

impl AppState {
    /// The same state, bound to `term`.
    fn with_term(&self, term: TermCtx) -> AppState {
        AppState {
            term: Some(term),
            ..self.clone()
        }
    }

    fn set_current_term(&self, term: Option<TermCtx>) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = term;
    }

    /// The term this state belongs to, else the one in force.
    fn term(&self) -> Option<TermCtx> {
        self.term.clone().or_else(|| {
            self.current
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
        })
    }

    /// The executor (plans, actions, leases, cooldowns and follow-ups) of
    /// the term in force; 503 `no_leader` while this replica does not lead.
    pub fn exec(&self) -> Result<Executor, error::Failure> {
        self.term().map(|t| t.exec).ok_or_else(|| {
            error::Failure::no_leader(
                "this replica does not lead right now (an election is under way); try again",
            )
        })
    }

    /// The store as the leader writes it: fenced at its epoch on replicas.
    /// `None` when no term is in force (the write is then not made).
    pub(crate) fn leader_store(&self) -> Option<Arc<dyn Store>> {
        self.term().map(|t| t.store)
    }
}

#[derive(Clone)]
pub struct SimHandle {
    pub sim: Arc<Mutex<Sim>>,
    pub speed: f64,
    /// On virtual time: the drill's stepper moves the clock.
    pub stepper: Option<Stepper>,
}

/// How the world is observed.
pub enum WorldSource {
    /// A simulated fleet, driven at `speed` sim-seconds per real second.
    Simulated {
        seed: u64,
        speed: f64,
        scenario: Option<Scenario>,
    },
    /// A simulated fleet on virtual time: the clock moves only when the
    /// drill advances it through `stepper` (a drill, DESIGN.md §7).
    Virtual {
        seed: u64,
        /// The pace a watched drill keeps (sim seconds per real second,
        /// as `GET /v1/sim` reports it); 1 when nobody watches.
        speed: f64,
        scenario: Option<Scenario>,
        stepper: Stepper,
    },
    /// Real probes of the targets the fleet file names.
    Probed,
}

pub struct ServerConfig {
    pub spec: FleetSpec,
    pub store: Arc<dyn Store>,
    pub tokens: Tokens,
    pub source: WorldSource,
}

/// The simulator a node starts with, after checking that the fleet and the
/// scenario suit it.
fn simulated(
    spec: &FleetSpec,
    seed: u64,
    speed: f64,
    scenario: Option<Scenario>,
    stepper: Option<Stepper>,
) -> anyhow::Result<(Clock, SimHandle)> {
    if spec.is_probed() {
        anyhow::bail!(
            "this fleet file names real probe targets; the simulator (and --scenario) needs a fleet without them"
        );
    }
    if let Some(scenario) = &scenario {
        scenario.check_against(spec)?;
    }
    Ok(term::initial_sim(spec, seed, speed, scenario, stepper))
}

/// Who this process is among replicas.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// A name unique among the replicas; a restarted replica with the same
    /// id takes its lease over at once.
    pub id: String,
    /// Where this replica's API answers, for the others to forward to.
    pub url: String,
    pub timing: LeaseTiming,
}

impl NodeConfig {
    /// A node answering at `url`, named after it.
    pub fn at(url: &str) -> NodeConfig {
        let id = url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string();
        NodeConfig {
            id,
            url: url.to_string(),
            timing: LeaseTiming::DEFAULT,
        }
    }
}

/// A started orchestrator: its state for the router, plus the background
/// tasks, which stop when this is dropped or `shutdown` is called.
pub struct Orchestrator {
    pub state: AppState,
    shutdown_tx: watch::Sender<bool>,
    /// A standalone node's one term.
    _term: Option<Term>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Orchestrator {
    /// Starts a standalone orchestrator or, on a store that carries
    /// replicas, one not reachable by others (tests, the demo).
    pub async fn start(config: ServerConfig) -> anyhow::Result<Orchestrator> {
        Orchestrator::start_node(config, NodeConfig::at("http://127.0.0.1:0")).await
    }

    /// Starts the orchestrator. When the store holds a saved world state,
    /// the fleet file gives the shape and the store the state: placements,
    /// roles, health with its counters, open alerts, the topology version,
    /// plans, and the simulator's world (clock, faults, random stream,
    /// scenario position). A fleet file that contradicts the saved state is
    /// an error listing every contradiction and what to do.
    ///
    /// On SQLite the node is standalone and starts its one term here. On a
    /// store that carries replicas (PostgreSQL) it starts as a follower and
    /// campaigns for the lease; it leads (probes, detects, simulates,
    /// executes) only while it holds it.
    pub async fn start_node(
        config: ServerConfig,
        node: NodeConfig,
    ) -> anyhow::Result<Orchestrator> {
        let (shutdown_tx, shutdown) = watch::channel(false);
        let (clock, sim, scenario) = match config.source {
            WorldSource::Simulated {
                seed,
                speed,
                scenario,
            } => {
                if !(speed.is_finite() && speed > 0.0 && speed <= 100_000.0) {
                    anyhow::bail!("--speed must be above 0 and at most 100000, got {speed}");
                }
                let (clock, sim) = simulated(&config.spec, seed, speed, scenario.clone(), None)?;
                (clock, Some(sim), scenario)
            }
            WorldSource::Virtual {
                seed,
                speed,
                scenario,
                stepper,
            } => {
                let (clock, sim) =
                    simulated(&config.spec, seed, speed, scenario.clone(), Some(stepper))?;
                (clock, Some(sim), scenario)
            }
            WorldSource::Probed => {
                if !config.spec.is_probed() {
                    anyhow::bail!("this fleet file names no probe targets; run it simulated");
                }
                (Clock::Wall, None, None)
            }
        };
        let fleet = Arc::new(Mutex::new(Fleet::new(&config.spec, clock.now())));
        let replication = config.store.replication();
        let (hub, role) = match &replication {
            None => (Hub::start(config.store.clone()), node::Role::Standalone),
            Some(replication) => {
                let wakeups = match replication.event_wakeups().await {
                    Ok(wakeups) => Some(wakeups),
                    Err(err) => {
                        tracing::warn!(%err, "no event notifications; polling the events table");
                        None
                    }
                };
                (
                    Hub::start_tailing(config.store.clone(), wakeups).await?,
                    node::Role::Follower,
                )
            }
        };
        let state = AppState {
            tokens: Arc::new(config.tokens),
            store: config.store.clone(),
            hub,
            fleet,
            sim,
            clock,
            metrics: Arc::default(),
            shutdown: shutdown.clone(),
            node: Node::new(&node.id, &node.url, role),
            alertmanager: Arc::new(config.spec.integrations.alertmanager.clone()),
            autopilot: Arc::new(autopilot::Autopilot::new(&config.spec)),
            term: None,
            current: Arc::default(),
        };
        let shape = Arc::new(term::Shape {
            spec: config.spec,
            scenario,
        });
        // The saved world, also on a follower: it serves reads at once, and
        // a fleet file that contradicts the store is refused at start.
        let plans = match config.store.load_world().await? {
            Some(saved) => term::apply_world(&state, &shape, &saved)?,
            None => Vec::new(),
        };
        // Every replica sweeps expired presence (the store hands each
        // expired console to one sweeper).
        let mut tasks = vec![tokio::spawn(routes::presence::sweep(
            state.clone(),
            shutdown.clone(),
        ))];
        let mut standalone_term = None;
        match replication {
            None => {
                standalone_term =
                    Some(Term::start(&state, &shape, config.store, Some(plans)).await?);
            }
            Some(replication) => {
                let elector = elector::Elector {
                    state: state.clone(),
                    shape,
                    replication,
                    timing: node.timing,
                    me: Candidate {
                        node_id: node.id.clone(),
                        instance: uuid::Uuid::new_v4().simple().to_string(),
                        url: node.url.clone(),
                    },
                };
                tasks.push(tokio::spawn(elector.run(shutdown)));
            }
        }
        Ok(Orchestrator {
            state,
            shutdown_tx,
            _term: standalone_term,
            tasks,
        })
    }

    /// Stop the background tasks and end open event streams. A leading
    /// replica gives its lease up on the way (wait for [`Orchestrator::stopped`]).
    pub fn shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
    }

    /// Shuts down and waits until the elector has resigned the lease.
    pub async fn stopped(mut self) {
        self.shutdown();
        for task in std::mem::take(&mut self.tasks) {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(3), task).await;
        }
    }
}

impl Drop for Orchestrator {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The whole API. `main` and the tests use this same router.
pub fn router(state: AppState) -> Router {
    use routes::recommendations;
    use routes::{
        actions, alerts, autopilot, incidents, meta, plans, postmortem, presence, roles, sim,
        timeline, topology,
    };
    let v1 = Router::new()
        .route("/openapi.json", get(meta::openapi))
        .route("/whoami", get(meta::whoami))
        .route("/presence", get(presence::list))
        .route(
            "/presence/{client_id}",
            put(presence::beat).delete(presence::leave),
        )
        .route("/topology", get(topology::topology))
        .route("/health/{component_id}/history", get(topology::history))
        .route("/latency", get(topology::latency))
        .route("/alerts", get(topology::alerts))
        .route("/recommendations", get(recommendations::list))
        .route("/events", get(sse::events))
        .route("/incidents", get(incidents::list).post(incidents::create))
        .route(
            "/incidents/{id}",
            get(incidents::get).patch(incidents::update),
        )
        .route(
            "/incidents/{id}/timeline",
            get(timeline::list).post(timeline::create),
        )
        .route(
            "/incidents/{id}/timeline/{entry_id}",
            patch(timeline::update).delete(timeline::delete),
        )
        .route("/incidents/{id}/postmortem", get(postmortem::postmortem))
        .route("/incidents/{id}/downtime", get(postmortem::downtime))
        .route("/incidents/{id}/roles", get(roles::list))
        .route("/incidents/{id}/roles/{role}", put(roles::change))
        .route("/actions", get(actions::list))
        .route("/actions/{id}", get(actions::get))
        .route("/sim", get(sim::status))
        .route("/autopilot", get(autopilot::status));
    // What only the leader can do: on a follower these are forwarded to it.
    let leader_only = Router::new()
        .route("/plans", post(plans::create))
        .route("/plans/{id}", get(plans::get))
        .route("/plans/{id}/execute", post(plans::execute))
        .route("/actions/{id}/abort", post(actions::abort))
        .route("/actions/{id}/undo", post(actions::undo))
        .route("/sim/faults", post(sim::inject))
        .route("/autopilot", post(autopilot::command))
        .route("/alerts/{id}/ack", post(alerts::ack))
        .route("/alerts/{id}/silence", post(alerts::silence))
        .route(
            "/integrations/alertmanager",
            post(integrations::alertmanager::receive),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forward::leader_only,
        ));
    let v1 = v1.merge(leader_only);
    Router::new()
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(metrics::metrics))
        .nest("/v1", v1)
        .fallback(meta::not_found)
        .method_not_allowed_fallback(meta::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(compression())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            meta::count_requests,
        ))
        .with_state(state)
}

/// `GET /metrics` alone, for `serve --metrics-listen`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::metrics))
        .fallback(routes::meta::not_found)
        .with_state(state)
}

/// Serve on an already bound listener until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// An orchestrator serving on a loopback port inside this process: what
/// `warroom demo` runs and what the tests talk to.
pub struct LocalServer {
    pub addr: std::net::SocketAddr,
    pub orchestrator: Orchestrator,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalServer {
    /// Start the orchestrator and serve it on `127.0.0.1:0`.
    pub async fn start(config: ServerConfig) -> anyhow::Result<LocalServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let node = NodeConfig::at(&format!("http://{addr}"));
        let orchestrator = Orchestrator::start_node(config, node).await?;
        let mut stop = orchestrator.state.shutdown.clone();
        let task = tokio::spawn(serve(listener, orchestrator.state.clone(), async move {
            let _ = stop.changed().await;
        }));
        Ok(LocalServer {
            addr,
            orchestrator,
            task,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop serving and wait until the listener is closed.
    pub async fn stop(self) {
        self.orchestrator.shutdown();
        let _ = self.task.await;
    }
}
