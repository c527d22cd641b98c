//! A leader's term: everything only the leader runs (the simulator or the
//! probes, detection, the executor and its follow-ups, the periodic save),
//! started on the world the store holds and stopped as a whole when the
//! term ends. A standalone node has one term for its whole life; a replica
//! has one each time it wins the lease, and between terms it follows: it
//! keeps its view of the world current from the state the leader saves.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::durable::{self, Snapshotter, WorldState};
use super::hub::LeaderWrites;
use super::integrations::{Senders, outbox};
use super::{AppState, SimHandle, detect, sim_driver, stepper};
use crate::exec::{Executor, Host, SimWorld};
use crate::fleet::Fleet;
use crate::model::{FleetSpec, Plan};
use crate::probe::Probers;
use crate::sim::{Scenario, Sim};
use crate::store::{SavedWorld, Store};

/// What every term of this process starts from.
pub struct Shape {
    pub spec: FleetSpec,
    /// The scenario playing, for a simulated fleet (each term restores the
    /// simulator with it).
    pub scenario: Option<Scenario>,
}

/// The executor and the store of the term in force, as request handlers
/// and the term's own tasks reach them.
#[derive(Clone)]
pub struct TermCtx {
    pub exec: Executor,
    /// The store as this term writes it: fenced at its epoch on replicas.
    pub store: Arc<dyn Store>,
}

/// A running term. Dropping it ends it: the leader's writes stop first,
/// then its tasks.
pub struct Term {
    state: AppState,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _probers: Option<Probers>,
}

impl Term {
    /// Starts a term writing through `store`. `applied` holds the plans of
    /// a saved world already put in place; without it the world is first
    /// read back from the store (a replica taking over: the last leader's
    /// state is the truth, not this replica's view of it).
    pub async fn start(
        state: &AppState,
        shape: &Shape,
        store: Arc<dyn Store>,
        applied: Option<Vec<(Plan, Option<String>)>>,
    ) -> anyhow::Result<Term> {
        let plans = match applied {
            Some(plans) => plans,
            None => match store.load_world().await? {
                Some(saved) => apply_world(state, shape, &saved)?,
                None => Vec::new(),
            },
        };
        let (shutdown_tx, shutdown) = watch::channel(false);
        let (obs_tx, obs_rx) = mpsc::channel(4096);
        let (applied_tx, applied_rx) = watch::channel(0u64);
        let mut tasks = Vec::new();
        let mut probers = None;
        let exec = Executor::new(
            &shape.spec.executor,
            state.fleet.clone(),
            store.clone(),
            state.sim.as_ref().map(|handle| SimWorld {
                sim: handle.sim.clone(),
                speed: handle.speed,
                stepped: handle.stepper.is_some(),
            }),
            shutdown.clone(),
        )?;
        let host: Arc<dyn Host> = Arc::new(state.with_term(TermCtx {
            exec: exec.clone(),
            store: store.clone(),
        }));
        match &state.sim {
            Some(SimHandle {
                sim,
                stepper: Some(stepper),
                ..
            }) => tasks.push(stepper::spawn(
                stepper,
                stepper::Driven {
                    sim: sim.clone(),
                    clock: state.clock.clone(),
                    observations: obs_tx,
                    applied: applied_rx,
                    exec: exec.clone(),
                    host: host.clone(),
                },
                shutdown.clone(),
            )?),
            Some(handle) => tasks.push(sim_driver::spawn(
                handle.sim.clone(),
                handle.speed,
                state.clock.clone(),
                obs_tx,
                shutdown.clone(),
            )),
            None => probers = Some(crate::probe::spawn_probers(&shape.spec, obs_tx)),
        }
        exec.restore_plans(plans, state.clock.now());
        let ctx = TermCtx {
            exec: exec.clone(),
            store: store.clone(),
        };
        let ctx_store = store.clone();
        let term_state = state.with_term(ctx.clone());
        state.hub.lead(Some(LeaderWrites {
            snapshot: Snapshotter {
                fleet: state.fleet.clone(),
                sim: state.sim.as_ref().map(|h| h.sim.clone()),
                exec: exec.clone(),
                clock: state.clock.clone(),
                autopilot: state.autopilot.clone(),
            },
            store,
        }));
        state.set_current_term(Some(ctx));
        let mut term = Term {
            state: state.clone(),
            shutdown: shutdown_tx,
            tasks,
            _probers: probers,
        };
        term.tasks.push(tokio::spawn(save_periodically(
            state.hub.clone(),
            shutdown.clone(),
        )));
        term.tasks.push(tokio::spawn(detect::observe_loop(
            term_state.clone(),
            obs_rx,
            applied_tx,
        )));
        // Actions a stopped orchestrator (or the last leader) left running
        // are marked interrupted before anyone can ask for them.
        exec.recover(host.as_ref()).await?;
        if shape.spec.integrations.sends() {
            let senders = Senders::resolve(&shape.spec.integrations)?;
            term.tasks.push(
                outbox::start(term_state.clone(), ctx_store, senders, shutdown.clone()).await?,
            );
        }
        // On virtual time the stepper checks follow-ups at each moment.
        if state.sim.as_ref().is_none_or(|h| h.stepper.is_none()) {
            term.tasks
                .push(tokio::spawn(exec.watch_follow_ups(host, shutdown)));
        }
        Ok(term)
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        self.state.hub.lead(None);
        self.state.set_current_term(None);
        let _ = self.shutdown.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Saves the world state every `durable::SAVE_EVERY`, for what changes
/// without an event (probe counters, the sim clock), until the term ends.
async fn save_periodically(hub: super::Hub, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(durable::SAVE_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => hub.save_state().await,
            _ = shutdown.changed() => return,
        }
    }
}

/// Puts the saved world in place of this process's view of it: the fleet,
/// the simulator and the clock. Returns the plans it had on offer. A fleet
/// file that contradicts the saved state is an error listing every
/// contradiction and what to do.
pub fn apply_world(
    state: &AppState,
    shape: &Shape,
    saved: &SavedWorld,
) -> anyhow::Result<Vec<(Plan, Option<String>)>> {
    let world = WorldState::parse(saved)?;
    if let (Some(handle), Some(sim_state)) = (&state.sim, &world.sim) {
        let sim = Sim::restore(&shape.spec, sim_state, shape.scenario.clone())
            .map_err(|e| anyhow::anyhow!("cannot continue the saved simulator: {e}"))?;
        state.clock.set(sim.now());
        *handle.sim.lock().unwrap_or_else(|p| p.into_inner()) = sim;
    }
    let fleet =
        Fleet::restore(&shape.spec, &world.fleet, state.clock.now()).map_err(|problems| {
            let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
            anyhow::anyhow!(
                "the fleet file contradicts the world state saved in the store \
             (nothing was changed):\n{}",
                list.join("\n")
            )
        })?;
    *state.fleet.lock().unwrap_or_else(|p| p.into_inner()) = fleet;
    state.autopilot.restore(world.autopilot);
    Ok(world.plans)
}

/// How often a follower reads the leader's saved world.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// A follower's view: the world as the leader last saved it, read again
/// whenever it changed, until `stop`.
pub async fn follow(state: AppState, shape: Arc<Shape>, mut stop: watch::Receiver<bool>) {
    let mut seen: Option<(u64, crate::model::Timestamp)> = None;
    let mut complained = false;
    loop {
        match state.store.load_world().await {
            Ok(Some(saved)) if seen != Some((saved.version, saved.saved_at)) => {
                match apply_world(&state, &shape, &saved) {
                    Ok(_) => {
                        seen = Some((saved.version, saved.saved_at));
                        complained = false;
                    }
                    Err(err) if !complained => {
                        tracing::error!(%err, "cannot follow the leader's world state");
                        complained = true;
                    }
                    Err(_) => {}
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "could not read the leader's world state"),
        }
        tokio::select! {
            () = tokio::time::sleep(FOLLOW_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The simulator and clock a node starts with: the saved simulator when the
/// store has one, else a new one playing `scenario`.
pub fn initial_sim(
    spec: &FleetSpec,
    seed: u64,
    speed: f64,
    scenario: Option<Scenario>,
    stepper: Option<super::Stepper>,
) -> (super::Clock, SimHandle) {
    // On virtual time the world starts when the scenario's outage did (or
    // on a whole second): the record then reads like the original's.
    let start = match (&stepper, scenario.as_ref().and_then(|s| s.start)) {
        (Some(_), Some(start)) => start,
        (Some(_), None) => {
            let now = chrono::Utc::now();
            now - chrono::TimeDelta::nanoseconds(i64::from(now.timestamp_subsec_nanos()))
        }
        (None, _) => chrono::Utc::now(),
    };
    let mut world = Sim::new(spec, seed, start);
    if let Some(scenario) = scenario {
        world.load_scenario(scenario);
    }
    let clock = super::Clock::sim(world.now());
    (
        clock,
        SimHandle {
            sim: Arc::new(std::sync::Mutex::new(world)),
            speed,
            stepper,
        },
    )
}
