//! The simulator's world as saved with the rest of the orchestrator's state,
//! so a restarted `serve --scenario` continues where it was: the clock, the
//! random stream's position, the faults in force, placements, roles, the
//! cache and database, and the position in the scenario.

use std::collections::BTreeSet;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::scenario::Scenario;
use super::world::{ActiveFault, Sim, StaleCacheClients, StepError};
use crate::model::{FleetSpec, Role, SimFault, Timestamp};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimState {
    pub seed: u64,
    pub rng_seed: [u8; 32],
    pub rng_stream: u64,
    /// The ChaCha8 word position, as decimal text (a u128).
    pub rng_word_pos: String,
    pub start: Timestamp,
    pub clock_ns: u64,
    pub next_tick: u64,
    pub nodes: Vec<NodeState>,
    /// Site id, server it runs on, stuck backends.
    pub sites: Vec<(String, String, u32)>,
    /// Faults in force with their flap phase, in injection order.
    pub faults: Vec<(SimFault, u64)>,
    pub cache: Option<CacheState>,
    pub database: Option<DatabaseState>,
    pub scenario: Option<ScenarioPosition>,
    /// Scenario step index and message.
    pub step_errors: Vec<(usize, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeState {
    pub id: String,
    pub role: Role,
    pub phase_ms: u64,
    pub next_probe_ms: u64,
    pub switch_phase_s: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheState {
    pub active: String,
    pub standby: Vec<String>,
    /// Cache nodes out of the pair until re-established as a standby.
    #[serde(default)]
    pub detached: Vec<String>,
    pub epoch: u32,
    /// The old node and the web servers still connected to it.
    pub stale: Option<(String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseState {
    pub writer: String,
    pub replicas: Vec<String>,
    pub ejected: Vec<String>,
    pub epoch: u32,
    pub promotion_due_ms: Option<u64>,
}

/// Which scenario plays, and how many of its steps (in play order) were played.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioPosition {
    pub name: String,
    pub next: usize,
}

impl Sim {
    /// The world to save.
    pub fn state(&self) -> SimState {
        SimState {
            seed: self.seed,
            rng_seed: self.rng.get_seed(),
            rng_stream: self.rng.get_stream(),
            rng_word_pos: self.rng.get_word_pos().to_string(),
            start: self.start,
            clock_ns: self.clock_ns,
            next_tick: self.next_tick,
            nodes: self
                .nodes
                .iter()
                .map(|n| NodeState {
                    id: n.id.clone(),
                    role: n.role,
                    phase_ms: n.phase_ms,
                    next_probe_ms: n.next_probe_ms,
                    switch_phase_s: n.switch_phase_s,
                })
                .collect(),
            sites: self
                .sites
                .iter()
                .map(|s| (s.id.clone(), s.server.clone(), s.stuck_backends))
                .collect(),
            faults: self
                .faults
                .iter()
                .map(|f| (f.fault.clone(), f.phase_s))
                .collect(),
            cache: self.cache.as_ref().map(|c| CacheState {
                active: c.active.clone(),
                standby: c.standby.clone(),
                detached: c.detached.clone(),
                epoch: c.epoch,
                stale: c
                    .stale
                    .as_ref()
                    .map(|s| (s.old_node.clone(), s.web_servers.iter().cloned().collect())),
            }),
            database: self.database.as_ref().map(|d| DatabaseState {
                writer: d.writer.clone(),
                replicas: d.replicas.clone(),
                ejected: d.ejected.clone(),
                epoch: d.epoch,
                promotion_due_ms: d.promotion_due_ms,
            }),
            scenario: self.scenario.as_ref().map(|p| ScenarioPosition {
                name: p.scenario.name.clone(),
                next: p.next,
            }),
            step_errors: self
                .step_errors
                .iter()
                .map(|e| (e.step, e.message.clone()))
                .collect(),
        }
    }

    /// The saved world, on the fleet `spec` describes. `scenario` must be
    /// the one that was playing (same name) when one was; a world saved
    /// without a scenario starts playing `scenario` from the sim's start.
    /// Nodes and sites the file no longer has are dropped; new ones start
    /// as in `Sim::new`.
    pub fn restore(
        spec: &FleetSpec,
        saved: &SimState,
        scenario: Option<Scenario>,
    ) -> Result<Sim, String> {
        let mut sim = Sim::new(spec, saved.seed, saved.start);
        let word_pos: u128 = saved
            .rng_word_pos
            .parse()
            .map_err(|e| format!("the saved random stream position is unreadable: {e}"))?;
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::from_seed(saved.rng_seed);
        rng.set_stream(saved.rng_stream);
        rng.set_word_pos(word_pos);
        sim.rng = rng;
        sim.clock_ns = saved.clock_ns;
        sim.next_tick = saved.next_tick;
        for node in &mut sim.nodes {
            if let Some(s) = saved.nodes.iter().find(|s| s.id == node.id) {
                node.role = s.role;
                node.phase_ms = s.phase_ms;
                node.next_probe_ms = s.next_probe_ms;
                node.switch_phase_s = s.switch_phase_s;
            }
        }
        for site in &mut sim.sites {
            if let Some((_, server, stuck)) = saved.sites.iter().find(|(id, _, _)| *id == site.id)
                && sim.nodes.iter().any(|n| n.id == *server)
            {
                site.server = server.clone();
                site.stuck_backends = *stuck;
            }
        }
        sim.faults = saved
            .faults
            .iter()
            .map(|(fault, phase_s)| ActiveFault {
                fault: fault.clone(),
                phase_s: *phase_s,
            })
            .collect();
        if let (Some(cache), Some(saved)) = (&mut sim.cache, &saved.cache) {
            cache.active = saved.active.clone();
            cache.standby = saved.standby.clone();
            cache.detached = saved.detached.clone();
            cache.epoch = saved.epoch;
            cache.stale = saved.stale.as_ref().map(|(old, web)| StaleCacheClients {
                old_node: old.clone(),
                web_servers: web.iter().cloned().collect::<BTreeSet<String>>(),
            });
        }
        if let (Some(db), Some(saved)) = (&mut sim.database, &saved.database) {
            db.writer = saved.writer.clone();
            db.replicas = saved.replicas.clone();
            db.ejected = saved.ejected.clone();
            db.epoch = saved.epoch;
            db.promotion_due_ms = saved.promotion_due_ms;
        }
        sim.step_errors = saved
            .step_errors
            .iter()
            .map(|(step, message)| StepError {
                step: *step,
                message: message.clone(),
            })
            .collect();
        match (&saved.scenario, scenario) {
            (Some(position), Some(scenario)) if position.name == scenario.name => {
                sim.load_scenario(scenario);
                if let Some(playing) = &mut sim.scenario {
                    playing.next = position.next.min(playing.schedule.len());
                }
            }
            (Some(position), Some(scenario)) => {
                return Err(format!(
                    "the saved simulator is playing scenario {} ({} steps played); start with \
                     --scenario {} to continue it, or on a fresh --db to play {}",
                    position.name, position.next, position.name, scenario.name
                ));
            }
            (Some(position), None) => {
                return Err(format!(
                    "the saved simulator is playing scenario {} ({} steps played); start with \
                     --scenario {} to continue it, or on a fresh --db to run without one",
                    position.name, position.next, position.name
                ));
            }
            (None, Some(scenario)) => sim.load_scenario(scenario),
            (None, None) => {}
        }
        Ok(sim)
    }
}
