//! The world state that survives a restart (DESIGN.md §4a): the fleet (with
//! health counters and open alerts), the simulator's world and the plans
//! still on offer, as one JSON document the event hub writes with every
//! batch of events, in the same transaction, and every [`SAVE_EVERY`] for
//! what changes without an event (probe counters, the sim clock).
//!
//! The snapshot is taken when the batch is written, so the saved state is
//! never behind the events stored with it: a change whose event is stored
//! is in the state (a restart never re-announces an alert that was open).
//! A change can at most reach the state one batch before its own event;
//! after a crash in that window its event is missing, the state is not.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::autopilot::Autopilot;
use super::clock::Clock;
use crate::exec::Executor;
use crate::exec::autopilot::AutopilotBook;
use crate::fleet::{Fleet, FleetState};
use crate::model::Plan;
use crate::sim::{Sim, SimState};
use crate::store::SavedWorld;

/// How often the state is saved when no event carries it.
pub const SAVE_EVERY: Duration = Duration::from_secs(1);

/// The saved document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorldState {
    pub fleet: FleetState,
    pub sim: Option<SimState>,
    /// Plans on offer, with the action each undoes.
    pub plans: Vec<(Plan, Option<String>)>,
    /// The autopilot's pause, the last hour's automatic actions, its block
    /// periods and newest decisions (absent from older saves).
    #[serde(default)]
    pub autopilot: AutopilotBook,
}

impl WorldState {
    pub fn parse(saved: &SavedWorld) -> anyhow::Result<WorldState> {
        serde_json::from_str(&saved.state).map_err(|e| {
            anyhow::anyhow!(
                "the world state saved in the store (topology version {}) is unreadable: {e}; \
                 start on a fresh --db, or with the warroom that wrote it",
                saved.version
            )
        })
    }
}

/// Takes snapshots of the live state. Cheap to clone.
#[derive(Clone)]
pub struct Snapshotter {
    pub fleet: Arc<Mutex<Fleet>>,
    pub sim: Option<Arc<Mutex<Sim>>>,
    pub exec: Executor,
    pub clock: Clock,
    pub autopilot: Arc<Autopilot>,
}

impl Snapshotter {
    /// The state as it is now. The simulator and the fleet are read under
    /// both locks (sim first, the order everyone else takes them in), so
    /// they agree with each other.
    pub fn take(&self) -> Result<SavedWorld, serde_json::Error> {
        let (fleet, sim) = {
            let sim = self
                .sim
                .as_ref()
                .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()));
            let fleet = self.fleet.lock().unwrap_or_else(|p| p.into_inner());
            (fleet.state(), sim.map(|s| s.state()))
        };
        let version = fleet.topology.version;
        let state = WorldState {
            fleet,
            sim,
            plans: self.exec.saved_plans(),
            autopilot: self.autopilot.saved(),
        };
        Ok(SavedWorld {
            version,
            saved_at: self.clock.now(),
            state: serde_json::to_string(&state)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FleetSpec;
    use crate::store::{SqliteStore, Store};

    /// What one save costs at the demo fleet's size: the snapshot (both
    /// locks, serde) and the write of it with no event, on a SQLite file.
    /// Printed for the record (`--nocapture`); the bound is loose, for a
    /// debug build on a busy machine.
    #[tokio::test]
    async fn a_save_at_the_demo_fleets_size_is_cheap() {
        let spec = FleetSpec::parse("demo.toml", crate::sim::DEMO_FLEET).expect("demo fleet");
        let start = chrono::Utc::now();
        let mut sim = Sim::new(&spec, 1, start);
        let mut fleet = Fleet::new(&spec, start);
        for observation in sim.step(Duration::from_secs(60)) {
            match observation {
                crate::model::Observation::Probes { at, results } => {
                    fleet.observe(at, &results);
                }
                crate::model::Observation::World { at, facts } => {
                    fleet.apply_facts(at, &facts);
                }
            }
        }
        let fleet = Arc::new(Mutex::new(fleet));
        let dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open_file(&dir.path().join("w.db"))
                .await
                .expect("store"),
        );
        let (_tx, shutdown) = tokio::sync::watch::channel(false);
        let exec = Executor::new(&spec.executor, fleet.clone(), store.clone(), None, shutdown)
            .expect("executor");
        let snapshot = Snapshotter {
            fleet,
            sim: Some(Arc::new(Mutex::new(sim))),
            exec,
            clock: Clock::Wall,
            autopilot: Arc::new(Autopilot::new(&spec)),
        };
        const ROUNDS: u32 = 50;
        let mut take = Duration::ZERO;
        let mut write = Duration::ZERO;
        let mut size = 0;
        for _ in 0..ROUNDS {
            let t = std::time::Instant::now();
            let world = snapshot.take().expect("snapshot");
            take += t.elapsed();
            size = world.state.len();
            let t = std::time::Instant::now();
            store.save_world(&world, &[]).await.expect("save");
            write += t.elapsed();
        }
        let loaded = store.load_world().await.expect("load").expect("saved");
        let state = WorldState::parse(&loaded).expect("parses");
        assert_eq!(state.fleet.topology.servers.len(), spec.servers.len());
        println!(
            "world state: {size} bytes; snapshot {:?}, write {:?} per save (mean of {ROUNDS})",
            take / ROUNDS,
            write / ROUNDS
        );
        assert!(take / ROUNDS < Duration::from_millis(50));
        assert!(write / ROUNDS < Duration::from_millis(200));
    }
}
