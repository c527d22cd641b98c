//! Real faults on the lab's processes, the ones scenario files name:
//!
//! - `server_down`, `cache_node_down`: SIGKILL to the process group.
//! - `server_flap`: SIGSTOP / SIGCONT cycles of every process of the node.
//! - `switch_fault`: the same cycles, in step, for every process behind the
//!   switch (app, web, cache and database nodes alike).
//! - `db_master_down`: SIGSTOP to every process of the PostgreSQL primary,
//!   its backends included (each runs in a session of its own), so open
//!   connections hang as in 2020. Promoting the replica is the database
//!   failover runbook's job (the drill runs it as the managed service did).
//! - `cache_failover_regression`: nothing to do; the lab's nodes always keep
//!   their `/cart` connection on the cache node they started with.
//! - `recover`: ends the target's cycles, continues what was stopped and
//!   restarts app nodes that were killed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use super::control::Supervisor;
use super::process::members;
use super::{Lab, Layout};
use crate::model::{FaultKind, Role, SimFault};

/// A flapping process is stopped this long in each cycle…
pub const FLAP_AWAY: Duration = Duration::from_millis(1500);
/// …and runs this long: long enough for the probes (rise 2, fall 3) to see
/// both sides at the lab's probe intervals.
pub const FLAP_PRESENT: Duration = Duration::from_millis(1500);

/// Sends `signal` to each process; gone ones are skipped.
pub fn signal_all(pids: &[i32], signal: Signal) {
    for pid in pids {
        let _ = kill(Pid::from_raw(*pid), signal);
    }
}

/// What a fault left behind on one process slot.
#[derive(Debug)]
enum Hurt {
    Killed,
    Stopped,
    Cycling(tokio::task::JoinHandle<()>),
}

/// Plays faults on a running lab and remembers what it did, so `recover`
/// and [`Faults::clear`] can undo it. Use inside a Tokio runtime.
pub struct Faults {
    supervisor: Arc<Mutex<Supervisor>>,
    layout: Layout,
    hurt: BTreeMap<String, Hurt>,
}

impl Faults {
    pub fn new(lab: &Lab) -> Faults {
        Faults {
            supervisor: Arc::clone(&lab.supervisor),
            layout: lab.layout.clone(),
            hurt: BTreeMap::new(),
        }
    }

    /// The process group of a slot of the lab.
    fn group(&self, id: &str) -> anyhow::Result<i32> {
        self.supervisor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .procs
            .groups()
            .into_iter()
            .find(|(name, _)| name == id)
            .map(|(_, group)| group)
            .with_context(|| format!("the lab runs no process {id}"))
    }

    /// The slots a fault's target names: the slot, or everything behind a switch.
    fn slots_of(&self, fault: &SimFault) -> anyhow::Result<Vec<String>> {
        if self.layout.switches.contains(&fault.target) {
            return Ok(self
                .layout
                .slots()
                .filter(|s| s.switch == fault.target)
                .map(|s| s.id.clone())
                .collect());
        }
        match self.layout.slot(&fault.target) {
            Some(slot) => Ok(vec![slot.id.clone()]),
            None => bail!("the lab has no server or switch {}", fault.target),
        }
    }

    /// Applies one fault; returns what was done, in words.
    pub async fn apply(&mut self, fault: &SimFault) -> anyhow::Result<String> {
        let slots = self.slots_of(fault)?;
        let target = &fault.target;
        match fault.kind {
            FaultKind::ServerDown | FaultKind::CacheNodeDown => {
                for id in &slots {
                    self.end_cycles(id);
                    let group = self.group(id)?;
                    faults_kill(group)?;
                    self.hurt.insert(id.clone(), Hurt::Killed);
                }
                Ok(format!("killed {}", slots.join(", ")))
            }
            FaultKind::ServerFlap | FaultKind::SwitchFault => {
                let mut groups = Vec::new();
                for id in &slots {
                    if matches!(self.hurt.get(id), Some(Hurt::Killed)) {
                        continue;
                    }
                    groups.push(self.group(id)?);
                }
                let cycles = tokio::spawn(cycle(groups));
                // One task drives every process behind a switch in step; the
                // others point at it so `recover` of any of them ends it.
                for id in &slots {
                    self.end_cycles(id);
                }
                let first = slots.first().cloned().unwrap_or_default();
                self.hurt.insert(first, Hurt::Cycling(cycles));
                Ok(format!(
                    "SIGSTOP/SIGCONT cycles ({}s away every {}s) on {}",
                    FLAP_AWAY.as_secs_f64(),
                    (FLAP_AWAY + FLAP_PRESENT).as_secs_f64(),
                    slots.join(", ")
                ))
            }
            FaultKind::DbMasterDown => {
                let group = self.group(target)?;
                let pids = members(group);
                signal_all(&pids, Signal::SIGSTOP);
                self.hurt.insert(target.clone(), Hurt::Stopped);
                Ok(format!(
                    "SIGSTOP to the {} processes of PostgreSQL {target}",
                    pids.len()
                ))
            }
            FaultKind::CacheFailoverRegression => Ok(
                "nothing to arm: the lab's nodes always keep the /cart connection on their first cache node"
                    .to_string(),
            ),
            FaultKind::Recover => {
                let mut done = Vec::new();
                for id in &slots {
                    if let Some(what) = self.recover(id).await? {
                        done.push(what);
                    }
                }
                Ok(if done.is_empty() {
                    format!("nothing to recover on {target}")
                } else {
                    done.join("; ")
                })
            }
        }
    }

    /// Ends cycles that include `id` (they continue their processes).
    fn end_cycles(&mut self, id: &str) {
        if let Some(Hurt::Cycling(task)) = self.hurt.get(id) {
            task.abort();
            self.hurt.remove(id);
        }
    }

    async fn recover(&mut self, id: &str) -> anyhow::Result<Option<String>> {
        let Some(hurt) = self.hurt.remove(id) else {
            // A switch's cycles are kept under its first slot; continuing
            // every process of this one is harmless either way.
            if let Ok(group) = self.group(id) {
                signal_all(&members(group), Signal::SIGCONT);
            }
            return Ok(None);
        };
        let group = self.group(id)?;
        match hurt {
            Hurt::Cycling(task) => {
                task.abort();
                // The aborted task may have left its processes stopped.
                let _ = task.await;
                signal_all(&members(group), Signal::SIGCONT);
                Ok(Some(format!("{id}: cycles ended")))
            }
            Hurt::Stopped => {
                signal_all(&members(group), Signal::SIGCONT);
                Ok(Some(format!("{id}: continued")))
            }
            Hurt::Killed => {
                let restarts = self.layout.caches.iter().any(|c| c.id == id)
                    || self
                        .layout
                        .slot(id)
                        .is_some_and(|s| matches!(s.role, Role::App | Role::Failover | Role::Web));
                if !restarts {
                    return Ok(Some(format!(
                        "{id}: stays down (app nodes and cache nodes restart)"
                    )));
                }
                let supervisor = Arc::clone(&self.supervisor);
                let node = id.to_string();
                let done = tokio::task::spawn_blocking(move || {
                    supervisor
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .restart(&node)
                })
                .await??;
                Ok(Some(done))
            }
        }
    }

    /// Ends every cycle and continues every stopped process (what was killed
    /// stays dead): the lab's state at the end of a scenario.
    pub async fn clear(&mut self) {
        let ids: Vec<String> = self.hurt.keys().cloned().collect();
        for id in ids {
            match self.hurt.remove(&id) {
                Some(Hurt::Cycling(task)) => {
                    task.abort();
                    let _ = task.await;
                }
                Some(other) => {
                    self.hurt.insert(id, other);
                    continue;
                }
                None => continue,
            }
        }
        let groups: Vec<i32> = self
            .supervisor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .procs
            .groups()
            .into_iter()
            .map(|(_, g)| g)
            .collect();
        for group in groups {
            signal_all(&members(group), Signal::SIGCONT);
        }
        self.hurt.retain(|_, h| matches!(h, Hurt::Killed));
    }
}

impl Drop for Faults {
    fn drop(&mut self) {
        for hurt in self.hurt.values() {
            if let Hurt::Cycling(task) = hurt {
                task.abort();
            }
        }
    }
}

fn faults_kill(group: i32) -> anyhow::Result<()> {
    killpg(Pid::from_raw(group), Signal::SIGKILL)
        .with_context(|| format!("cannot kill process group {group}"))
}

/// Stops and continues every process of `groups`, in step, until aborted;
/// continues them when aborted between the two halves (the caller does too).
async fn cycle(groups: Vec<i32>) {
    struct ContinueOnDrop(Vec<i32>);
    impl Drop for ContinueOnDrop {
        fn drop(&mut self) {
            for group in &self.0 {
                signal_all(&members(*group), Signal::SIGCONT);
            }
        }
    }
    let _guard = ContinueOnDrop(groups.clone());
    loop {
        for group in &groups {
            signal_all(&members(*group), Signal::SIGSTOP);
        }
        tokio::time::sleep(FLAP_AWAY).await;
        for group in &groups {
            signal_all(&members(*group), Signal::SIGCONT);
        }
        tokio::time::sleep(FLAP_PRESENT).await;
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;
    use std::time::Instant;

    use super::*;

    /// The scheduler state letter of `pid` (`T` when stopped).
    fn state(pid: i32) -> Option<char> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat[stat.rfind(')')? + 1..].trim_start().chars().next()
    }

    async fn until(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    #[tokio::test]
    async fn cycles_stop_and_continue_the_group_and_leave_it_running_when_ended() {
        let mut child = {
            let mut command = Command::new("sleep");
            command.arg("300");
            std::os::unix::process::CommandExt::process_group(&mut command, 0);
            command.spawn().expect("sleep")
        };
        let pid = i32::try_from(child.id()).expect("pid");
        let cycles = tokio::spawn(cycle(vec![pid]));
        until("the first stop", || state(pid) == Some('T')).await;
        until("the first continue", || {
            state(pid).is_some_and(|s| s != 'T')
        })
        .await;
        until("the next stop", || state(pid) == Some('T')).await;
        cycles.abort();
        let _ = cycles.await;
        until("the end of the cycles to continue it", || {
            state(pid).is_some_and(|s| s != 'T')
        })
        .await;
        let _ = child.kill();
        let _ = child.wait();
    }
}
