//! The orchestration API (DESIGN.md §3): axum router, auth, errors, the SSE
//! event hub, OpenAPI, and the loop that turns observations into health,
//! alerts and events.

mod auth;
mod clock;
mod detect;
mod durable;
mod error;
mod hub;
mod metrics;
mod openapi;
mod routes;
mod sim_driver;
mod sse;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};

pub use crate::model::AccessRole;
pub use auth::{Caller, TokenEntry, Tokens, default_token_path, generated_token};
pub use clock::Clock;
pub use hub::Hub;
pub use openapi::ApiDoc;

use crate::exec::{Executor, Host, SimWorld};
use crate::fleet::Fleet;
use crate::model::FleetSpec;
use crate::probe::Probers;
use crate::sim::{Scenario, Sim};
use crate::store::Store;

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
    pub store: Arc<dyn Store>,
    pub hub: Hub,
    pub fleet: Arc<Mutex<Fleet>>,
    pub sim: Option<SimHandle>,
    pub clock: Clock,
    pub metrics: Arc<metrics::Metrics>,
    pub shutdown: watch::Receiver<bool>,
    /// Plans, actions, leases, cooldowns and follow-ups.
    pub exec: Executor,
}

#[derive(Clone)]
pub struct SimHandle {
    pub sim: Arc<Mutex<Sim>>,
    pub speed: f64,
}

/// How the world is observed.
pub enum WorldSource {
    /// A simulated fleet, driven at `speed` sim-seconds per real second.
    Simulated {
        seed: u64,
        speed: f64,
        scenario: Option<Scenario>,
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

/// A started orchestrator: its state for the router, plus the background
/// tasks, which stop when this is dropped or `shutdown` is called.
pub struct Orchestrator {
    pub state: AppState,
    shutdown_tx: watch::Sender<bool>,
    _probers: Option<Probers>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Orchestrator {
    /// Starts the orchestrator. When the store holds a saved world state,
    /// the fleet file gives the shape and the store the state: placements,
    /// roles, health with its counters, open alerts, the topology version,
    /// plans, and the simulator's world (clock, faults, random stream,
    /// scenario position). A fleet file that contradicts the saved state is
    /// an error listing every contradiction and what to do.
    pub async fn start(config: ServerConfig) -> anyhow::Result<Orchestrator> {
        let (shutdown_tx, shutdown) = watch::channel(false);
        let (obs_tx, obs_rx) = mpsc::channel(4096);
        let mut tasks = Vec::new();
        let mut probers = None;
        let saved = match config.store.load_world().await? {
            Some(saved) => Some(durable::WorldState::parse(&saved)?),
            None => None,
        };
        let (clock, sim) = match config.source {
            WorldSource::Simulated {
                seed,
                speed,
                scenario,
            } => {
                if config.spec.is_probed() {
                    anyhow::bail!(
                        "this fleet file names real probe targets; the simulator (and --scenario) needs a fleet without them"
                    );
                }
                if !(speed.is_finite() && speed > 0.0 && speed <= 100_000.0) {
                    anyhow::bail!("--speed must be above 0 and at most 100000, got {speed}");
                }
                if let Some(scenario) = &scenario {
                    scenario.check_against(&config.spec)?;
                }
                let world = match saved.as_ref().and_then(|s| s.sim.as_ref()) {
                    Some(state) => Sim::restore(&config.spec, state, scenario)
                        .map_err(|e| anyhow::anyhow!("cannot continue the saved simulator: {e}"))?,
                    None => {
                        let mut world = Sim::new(&config.spec, seed, chrono::Utc::now());
                        if let Some(scenario) = scenario {
                            world.load_scenario(scenario);
                        }
                        world
                    }
                };
                let clock = Clock::sim(world.now());
                let sim = Arc::new(Mutex::new(world));
                tasks.push(sim_driver::spawn(
                    sim.clone(),
                    speed,
                    clock.clone(),
                    obs_tx,
                    shutdown.clone(),
                ));
                (clock, Some(SimHandle { sim, speed }))
            }
            WorldSource::Probed => {
                if !config.spec.is_probed() {
                    anyhow::bail!("this fleet file names no probe targets; run it simulated");
                }
                probers = Some(crate::probe::spawn_probers(&config.spec, obs_tx));
                (Clock::Wall, None)
            }
        };
        let fleet = match &saved {
            Some(saved) => {
                Fleet::restore(&config.spec, &saved.fleet, clock.now()).map_err(|problems| {
                    let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
                    anyhow::anyhow!(
                        "the fleet file contradicts the world state saved in the store \
                         (nothing was changed):\n{}",
                        list.join("\n")
                    )
                })?
            }
            None => Fleet::new(&config.spec, clock.now()),
        };
        let fleet = Arc::new(Mutex::new(fleet));
        let exec = Executor::new(
            &config.spec.executor,
            fleet.clone(),
            config.store.clone(),
            sim.as_ref().map(|handle| SimWorld {
                sim: handle.sim.clone(),
                speed: handle.speed,
            }),
            shutdown.clone(),
        )?;
        if let Some(saved) = saved {
            exec.restore_plans(saved.plans, clock.now());
        }
        let snapshot = durable::Snapshotter {
            fleet: fleet.clone(),
            sim: sim.as_ref().map(|h| h.sim.clone()),
            exec: exec.clone(),
            clock: clock.clone(),
        };
        let hub = Hub::start(config.store.clone(), Some(snapshot));
        tasks.push(tokio::spawn(save_periodically(
            hub.clone(),
            shutdown.clone(),
        )));
        let state = AppState {
            tokens: Arc::new(config.tokens),
            store: config.store,
            hub,
            fleet,
            sim,
            clock,
            metrics: Arc::default(),
            shutdown,
            exec,
        };
        tasks.push(tokio::spawn(detect::observe_loop(state.clone(), obs_rx)));
        // Actions a stopped orchestrator left running are marked
        // interrupted before anyone can ask for them.
        let host: Arc<dyn Host> = Arc::new(state.clone());
        state.exec.recover(host.as_ref()).await?;
        tasks.push(tokio::spawn(
            state
                .exec
                .clone()
                .watch_follow_ups(host, state.shutdown.clone()),
        ));
        Ok(Orchestrator {
            state,
            shutdown_tx,
            _probers: probers,
            tasks,
        })
    }

    /// Stop the background tasks and end open event streams.
    pub fn shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
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

/// Saves the world state every `durable::SAVE_EVERY`, for what changes
/// without an event (probe counters, the sim clock), until shutdown.
async fn save_periodically(hub: Hub, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(durable::SAVE_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => hub.save_state().await,
            _ = shutdown.changed() => return,
        }
    }
}

/// The whole API. `main` and the tests use this same router.
pub fn router(state: AppState) -> Router {
    use routes::{actions, incidents, meta, plans, postmortem, sim, timeline, topology};
    let v1 = Router::new()
        .route("/openapi.json", get(meta::openapi))
        .route("/whoami", get(meta::whoami))
        .route("/topology", get(topology::topology))
        .route("/health/{component_id}/history", get(topology::history))
        .route("/latency", get(topology::latency))
        .route("/alerts", get(topology::alerts))
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
        .route("/plans", post(plans::create))
        .route("/plans/{id}", get(plans::get))
        .route("/plans/{id}/execute", post(plans::execute))
        .route("/actions", get(actions::list))
        .route("/actions/{id}", get(actions::get))
        .route("/actions/{id}/abort", post(actions::abort))
        .route("/actions/{id}/undo", post(actions::undo))
        .route("/sim", get(sim::status))
        .route("/sim/faults", post(sim::inject));
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
        let orchestrator = Orchestrator::start(config).await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
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
