//! The simulated world and the scenario runner.
//!
//! `Sim` is a deterministic fleet on its own clock: a seeded ChaCha8 stream
//! is its only source of randomness and nothing reads the wall clock, so the
//! same fleet, seed and calls give the same observations. The caller paces
//! it (`--speed X` = X sim seconds per real second) by calling `step`.
//!
//! World rules, per fault (`model::FaultKind`):
//! - `server_down`: the server's probes fail ("connection timed out").
//! - `server_flap`: the server is away 40 s of every 120 s (seeded phase).
//! - `switch_fault`: every node behind the switch flaps with its own phase,
//!   and answers slowly between drops.
//! - `cache_node_down`: the cache node's probes fail.
//! - `cache_failover_regression`: armed; on a later `cache_failover` every web
//!   server keeps a stale connection to the old node (`stale_clients`) until
//!   recycled, and `code_path_failing` holds while stale clients exist and
//!   the old node is unavailable.
//! - `db_master_down`: the writer's probes fail; after `DB_PROMOTION_DELAY`
//!   the managed service promotes the first healthy replica (epoch + 1) and
//!   a seeded ~35% of the serving sites get 1–4 backends stuck on the dead
//!   node, until `restart_site` or a manual `db_failover`.
//! - `recover`: clears every fault on its target (on a cache node that
//!   includes the armed regression). A node that was dead comes back empty:
//!   a cache standby stays out of the pair until `cache_standby`, a dead
//!   ex-writer out of the database cluster until `rebuild_replica`.

mod error;
mod faults;
mod offset;
mod operations;
mod persist;
mod scenario;
mod targets;
mod world;

pub use error::SimError;
pub use faults::DB_PROMOTION_DELAY;
pub use offset::Offset;
pub use persist::SimState;
pub use scenario::{
    BUILTIN_SCENARIOS, ResponsePlan, Scenario, ScenarioError, ScenarioStep, ScriptedResponse,
    StepAction,
};
pub use world::{Sim, StepError};

/// The demo fleet (`assets/fleets/demo.toml`), embedded so `warroom demo`
/// needs no files.
pub const DEMO_FLEET: &str = include_str!("../../assets/fleets/demo.toml");

#[cfg(test)]
mod tests;
