//! The planner (DESIGN.md §4): topology in, [`Plan`] out.
//!
//! Pure: no I/O, no clock reads (`now` is a parameter), no randomness. The
//! same topology, request, id, time and settings always give the same plan,
//! whatever order the topology lists its servers and sites in.
//!
//! Every plan lists its steps (each with a deadline), every site placement,
//! every site it could not place and why, warnings for the commander, the
//! topology version it was made from and when it expires. Executing it is
//! the executor's job (`exec`), which checks that version.

mod draft;
mod error;
mod evacuate;
mod failback;
mod nodes;
mod recommend;
mod redundancy;
mod reverse;
mod view;

#[cfg(test)]
mod tests;

pub use error::PlanError;
pub use recommend::recommend;

use chrono::TimeDelta;

use crate::model::{NormalConfig, Plan, PlanKind, PlanRequest, Timestamp, Topology};
use view::FleetView;

/// Timings the planner writes into plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannerSettings {
    /// A plan expires this long after it was made (default 2 minutes).
    pub expires_after: TimeDelta,
    /// A home server must have been up this long before sites fail back to it (default 300 s).
    pub failback_stable_s: u64,
    /// Deadline of each ordinary step (default 60 s).
    pub step_deadline_s: u64,
    /// Deadline of a `wait_healthy` step (default 900 s); never shorter than
    /// the stability window plus `step_deadline_s`.
    pub wait_deadline_s: u64,
    /// The fleet file's normal configuration: which failover servers are
    /// promoted spares, which cache node and database node are the primaries.
    pub normal: NormalConfig,
}

impl Default for PlannerSettings {
    fn default() -> Self {
        PlannerSettings {
            expires_after: TimeDelta::minutes(2),
            failback_stable_s: 300,
            step_deadline_s: 60,
            wait_deadline_s: 900,
            normal: NormalConfig::default(),
        }
    }
}

/// Makes a plan from the topology as it is.
///
/// Pure: the same inputs give the same plan (the caller chooses `id`).
/// `created_at` is `now`, `expires_at` is `now + settings.expires_after`
/// and `topology_version` is `topology.version`.
pub fn make_plan(
    topology: &Topology,
    request: &PlanRequest,
    id: String,
    now: Timestamp,
    settings: &PlannerSettings,
) -> Result<Plan, PlanError> {
    let view = FleetView::new(topology);
    let draft = match request.kind {
        PlanKind::EvacuateServer | PlanKind::EvacuateSwitch => {
            evacuate::evacuation(&view, request, settings)?
        }
        PlanKind::PromoteSpare => evacuate::promote_spare(&view, request, settings)?,
        PlanKind::CacheFailover => nodes::cache_failover(&view, request, settings)?,
        PlanKind::RecycleWeb => nodes::recycle_web(&view, request, settings)?,
        PlanKind::DbFailover => nodes::db_failover(&view, request, settings)?,
        PlanKind::RestartSites => nodes::restart_sites(&view, request, settings)?,
        PlanKind::Failback => failback::failback_request(&view, request, now, settings)?,
        PlanKind::DemoteSpares => redundancy::demote_spares(&view, request, settings)?,
        PlanKind::RestoreCache => redundancy::restore_cache(&view, request, now, settings)?,
        PlanKind::RestoreDbReplica => redundancy::restore_db_replica(&view, request, settings)?,
    };
    Ok(draft.finish(id, topology.version, now, settings))
}

/// The reverse (undo) of an executed plan, made from the topology as it is now:
///
/// - evacuations: a failback of the sites they moved, once each home server
///   is healthy and stable, and the drained sources set ready again;
/// - `promote_spare`: the promoted servers back to the app role;
/// - `cache_failover` / `db_failover`: a failover back to the previous node
///   (a switchover or forced failover as the current node's health requires);
/// - `demote_spares`: the demoted servers promoted into the failover pool again;
/// - `restore_cache` that failed the cache back: a failover to the node it left.
///
/// Restarts (`recycle_web`, `restart_sites`), `failback`, a rebuilt cache
/// standby alone and `restore_db_replica` cannot be undone:
/// [`PlanError::NotReversible`].
pub fn reverse_plan(
    topology: &Topology,
    executed: &Plan,
    id: String,
    now: Timestamp,
    settings: &PlannerSettings,
) -> Result<Plan, PlanError> {
    let view = FleetView::new(topology);
    let draft = reverse::reverse(&view, executed, now, settings)?;
    Ok(draft.finish(id, topology.version, now, settings))
}
