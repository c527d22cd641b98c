//! Faults and what they do to the world: node availability, the managed
//! database's promotion and the backends it leaves stuck.

use std::time::Duration;

use rand::Rng;

use crate::model::{FaultKind, SimFault};

use super::SimError;
use super::targets::check_fault_target;
use super::world::{ActiveFault, Availability, FLAP_AWAY_S, FLAP_PERIOD_S, Sim};

/// How long the managed database service waits before promoting a replica
/// once the writer is dead (sim time).
pub const DB_PROMOTION_DELAY: Duration = Duration::from_secs(90);

/// Share of sites whose backends were busy when the writer was replaced,
/// and so stay stuck on the dead node.
const STUCK_SITE_SHARE: f64 = 0.35;

impl Sim {
    /// Applies a fault now. Unknown targets and targets of the wrong kind
    /// are refused and change nothing; injecting a fault already in force
    /// changes nothing. `recover` clears every fault on its target; a cache
    /// standby that was dead comes back empty, out of the pair until
    /// `cache_standby`; a dead ex-writer stays out of the database cluster
    /// until `rebuild_replica`.
    pub fn inject(&mut self, fault: &SimFault) -> Result<(), SimError> {
        check_fault_target(&self.spec, fault.kind, &fault.target)?;
        if self.faults.iter().any(|f| f.fault == *fault) {
            return Ok(());
        }
        match fault.kind {
            FaultKind::Recover => self.recover(&fault.target),
            FaultKind::DbMasterDown => {
                let writer = self.database.as_ref().map(|d| d.writer.as_str());
                if writer != Some(fault.target.as_str()) {
                    return Err(SimError::Refused(format!(
                        "'{}' is not the database writer (the writer is {})",
                        fault.target,
                        writer.unwrap_or("none")
                    )));
                }
                self.add_fault(fault);
            }
            _ => self.add_fault(fault),
        }
        self.run_managed_database(self.now_ms());
        Ok(())
    }

    fn add_fault(&mut self, fault: &SimFault) {
        let phase_s = if fault.kind == FaultKind::ServerFlap {
            self.rng.random_range(0..FLAP_PERIOD_S)
        } else {
            0
        };
        self.faults.push(ActiveFault {
            fault: fault.clone(),
            phase_s,
        });
    }

    fn recover(&mut self, target: &str) {
        let was_dead = self.is_dead(target);
        self.faults.retain(|f| f.fault.target != target);
        if let Some(cache) = &mut self.cache
            && was_dead
            && let Some(pos) = cache.standby.iter().position(|id| id == target)
        {
            cache.standby.remove(pos);
            cache.detached.push(target.to_string());
        }
    }

    /// True while a fault keeps the node from answering at all
    /// (`server_down`, `cache_node_down`, `db_master_down`).
    pub(super) fn is_dead(&self, node: &str) -> bool {
        self.faults.iter().any(|f| {
            f.fault.target == node
                && matches!(
                    f.fault.kind,
                    FaultKind::ServerDown | FaultKind::CacheNodeDown | FaultKind::DbMasterDown
                )
        })
    }

    /// Dead or flapping (on its own or through its switch).
    pub(super) fn is_faulty(&self, node: &str) -> bool {
        let switch = self
            .node(node)
            .map(|i| self.nodes[i].switch.as_str())
            .unwrap_or_default();
        self.is_dead(node)
            || self.faults.iter().any(|f| {
                (f.fault.kind == FaultKind::ServerFlap && f.fault.target == node)
                    || (f.fault.kind == FaultKind::SwitchFault && f.fault.target == switch)
            })
    }

    /// Whether node `i` answers at sim time `t_ms`, and why not.
    pub(super) fn availability(&self, i: usize, t_ms: u64) -> Availability {
        let node = &self.nodes[i];
        if self.is_dead(&node.id) {
            return Availability::Unavailable("connection timed out");
        }
        let t_s = t_ms / 1_000;
        let away = |phase_s: u64| (t_s + phase_s) % FLAP_PERIOD_S < FLAP_AWAY_S;
        let mut degraded = false;
        for f in &self.faults {
            match f.fault.kind {
                FaultKind::ServerFlap if f.fault.target == node.id && away(f.phase_s) => {
                    return Availability::Unavailable("connection refused");
                }
                FaultKind::SwitchFault if f.fault.target == node.switch => {
                    if away(node.switch_phase_s) {
                        return Availability::Unavailable("no route to host");
                    }
                    // Between drops a faulty switch still loses packets.
                    degraded = true;
                }
                _ => {}
            }
        }
        Availability::Available { degraded }
    }

    /// The managed database service: once the writer is dead it waits
    /// `DB_PROMOTION_DELAY`, then promotes the first healthy replica (trying
    /// again every tick while there is none). Backends busy at that moment
    /// stay stuck on the dead node.
    pub(super) fn run_managed_database(&mut self, t_ms: u64) {
        let Some(writer) = self.database.as_ref().map(|d| d.writer.clone()) else {
            return;
        };
        let writer_dead = self.is_dead(&writer);
        let due = match self.database.as_mut() {
            Some(db) if !writer_dead => {
                db.promotion_due_ms = None;
                return;
            }
            Some(db) => *db
                .promotion_due_ms
                .get_or_insert(t_ms + super::world::duration_ms(DB_PROMOTION_DELAY)),
            None => return,
        };
        if due > t_ms {
            return;
        }
        let replicas = self
            .database
            .as_ref()
            .map(|d| d.replicas.clone())
            .unwrap_or_default();
        let Some(new_writer) = replicas.into_iter().find(|r| !self.is_faulty(r)) else {
            return;
        };
        if let Some(db) = &mut self.database {
            db.replicas.retain(|r| *r != new_writer);
            db.ejected
                .push(std::mem::replace(&mut db.writer, new_writer));
            db.epoch += 1;
            db.promotion_due_ms = None;
        }
        self.leave_backends_stuck(t_ms);
    }

    /// A seeded share of the sites that were serving requests (their server
    /// answers) get 1–4 backends stuck on the old writer.
    fn leave_backends_stuck(&mut self, t_ms: u64) {
        for s in 0..self.sites.len() {
            let serving = self
                .node(&self.sites[s].server)
                .is_some_and(|i| self.availability(i, t_ms).is_available());
            if serving && self.rng.random_bool(STUCK_SITE_SHARE) {
                let stuck = self.rng.random_range(1..=4);
                let site = &mut self.sites[s];
                site.stuck_backends = site.stuck_backends.max(stuck);
            }
        }
    }
}
