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

use super::clock::Clock;
use crate::exec::Executor;
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
        };
        Ok(SavedWorld {
            version,
            saved_at: self.clock.now(),
            state: serde_json::to_string(&state)?,
        })
    }
}
