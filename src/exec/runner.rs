//! One action, run to its end in its own task: the pre hook, the steps in
//! order (each within its deadline, each stoppable by an abort), the fleet
//! model updated after every successful step, the post hook, the follow-up
//! check, and the result stored, published, written to the timeline and audited.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::drivers::{Failed, StepCall, Vars, run_command, substitute};
use super::{Executor, Host, follow_up, record};
use crate::fleet::FleetChange;
use crate::model::{
    Action, ActionState, CacheFacts, DatabaseFacts, EntryKind, HealthState, Plan, PlanStep, StepOp,
    StepState, Timestamp, Topology, WorldFacts,
};
use crate::store::StoreError;

/// How often a `wait_healthy` step looks at the topology (real time).
const WAIT_POLL: Duration = Duration::from_millis(25);

pub(super) struct Run {
    /// Counted busy while the action runs (for a drill's stepper).
    pub _busy: super::activity::Busy,
    pub exec: Executor,
    pub host: Arc<dyn Host>,
    pub action: Action,
    pub plan: Plan,
    pub components: BTreeSet<String>,
    /// Holds the name of whoever aborted the action.
    pub cancelled: watch::Receiver<Option<String>>,
    pub finished: watch::Sender<bool>,
}

/// How a `wait_healthy` step ended.
enum Waited {
    Up(String),
    /// Its deadline passed on the orchestrator's clock.
    Missed,
    Failed(Failed),
}

/// The store refused a write of the run: this replica no longer leads.
struct Deposed;

/// How one step ended.
enum StepEnd {
    Done(Option<String>),
    Failed(Failed),
    Aborted(String),
}

/// How the whole run ended, for the result entry and the audit record.
#[derive(Default)]
struct Outcome {
    aborted_by: Option<String>,
    error: Option<String>,
    /// Why the pre hook refused the action, when it did.
    vetoed: Option<String>,
    post_hook_error: Option<String>,
}

impl Run {
    /// Runs the action to its end, unless the orchestrator shuts down first:
    /// then it stops where it is (a running command is killed with the step)
    /// and is left `running` in the store, as after a crash.
    pub(super) async fn run(self) {
        let mut shutdown = self.exec.inner.shutdown.clone();
        tokio::select! {
            () = self.run_to_end() => {}
            _ = shutdown.wait_for(|stopping| *stopping) => {}
        }
    }

    async fn run_to_end(mut self) {
        if self.save().await.is_err() {
            return;
        }
        self.note(record::started(&self.action)).await;
        let mut outcome = Outcome::default();
        match self.pre_hook().await {
            StepEnd::Done(_) => {
                if self.steps(&mut outcome).await.is_err() {
                    // Another replica leads now; it marked the action
                    // interrupted, and this one runs nothing more.
                    return;
                }
                outcome.post_hook_error = self.post_hook().await;
            }
            StepEnd::Failed(failed) => self.veto(failed, &mut outcome),
            StepEnd::Aborted(by) => {
                self.skip_from(0);
                self.action.state = ActionState::Aborted;
                outcome.aborted_by = Some(by);
            }
        }
        self.finish(outcome).await;
    }

    /// Runs the steps in order. Each step's start is stored before it runs,
    /// so a replica that lost the lease (the store refuses the write) never
    /// starts another step.
    async fn steps(&mut self, outcome: &mut Outcome) -> Result<(), Deposed> {
        for i in 0..self.plan.steps.len() {
            let aborted_by = self.cancelled.borrow().clone();
            if let Some(by) = aborted_by {
                self.skip_from(i);
                self.action.state = ActionState::Aborted;
                outcome.aborted_by = Some(by);
                return Ok(());
            }
            let now = self.host.now();
            let progress = &mut self.action.steps[i];
            progress.state = StepState::Running;
            progress.started_at = Some(now);
            self.save().await?;

            let end = self.step(i).await;
            let now = self.host.now();
            let progress = &mut self.action.steps[i];
            progress.finished_at = Some(now);
            match end {
                StepEnd::Done(output) => {
                    progress.state = StepState::Succeeded;
                    progress.output = output;
                    self.save().await?;
                }
                StepEnd::Failed(failed) => {
                    progress.state = StepState::Failed;
                    progress.error = Some(failed.error.clone());
                    progress.output = failed.output;
                    self.skip_from(i + 1);
                    self.action.state = ActionState::Failed;
                    self.note(record::step_failed(&self.action, i, &failed.error))
                        .await;
                    outcome.error = Some(failed.error);
                    return Ok(());
                }
                StepEnd::Aborted(by) => {
                    progress.state = StepState::Aborted;
                    progress.error = Some(format!("aborted by {by}"));
                    self.skip_from(i + 1);
                    self.action.state = ActionState::Aborted;
                    outcome.aborted_by = Some(by);
                    return Ok(());
                }
            }
        }
        self.action.state = ActionState::Succeeded;
        if let Some(follow_up) = follow_up::needed(self.action.kind, &self.exec.topology()) {
            self.action.state = ActionState::NeedsFollowUp;
            self.action.follow_up = Some(follow_up);
        }
        Ok(())
    }

    /// Runs step `i` through the driver (or watches health for a wait),
    /// within its deadline, until done or aborted; then records it in the
    /// fleet model.
    async fn step(&self, i: usize) -> StepEnd {
        let step = &self.plan.steps[i];
        let deadline = self.exec.real_duration(step.deadline_s);
        let call = StepCall {
            action_id: &self.action.id,
            kind: self.action.kind,
            target: self.action.target.as_deref(),
            index: i,
            description: &step.description,
            op: &step.op,
        };
        let exec = &self.exec;
        let host = self.host.as_ref();
        let work = async {
            match (&step.op, exec.inner.driver.as_ref()) {
                (StepOp::WaitHealthy { server, stable_s }, _) => {
                    let deadline_at = host.now()
                        + chrono::TimeDelta::seconds(
                            i64::try_from(step.deadline_s).unwrap_or(i64::MAX / 1000),
                        );
                    match exec
                        .wait_healthy(host, server, *stable_s, deadline_at)
                        .await
                    {
                        Waited::Up(output) => Ok(Some(output)),
                        Waited::Missed => Err(Failed::new(self.missed_deadline(step))),
                        Waited::Failed(failed) => Err(failed),
                    }
                }
                (_, Some(driver)) => driver.run(&call).await,
                (_, None) => Err(Failed::new("no executor driver is configured")),
            }
        };
        let mut cancelled = self.cancelled.clone();
        let end = tokio::select! {
            done = tokio::time::timeout(deadline, work) => match done {
                Ok(Ok(output)) => StepEnd::Done(output),
                Ok(Err(failed)) => StepEnd::Failed(failed),
                Err(_) => StepEnd::Failed(Failed::new(self.missed_deadline(step))),
            },
            by = aborted(&mut cancelled) => StepEnd::Aborted(by),
        };
        match end {
            StepEnd::Done(output) => match self.exec.apply(host, &step.op) {
                Ok(changes) => {
                    self.host.fleet_changed(changes).await;
                    StepEnd::Done(output)
                }
                Err(error) => StepEnd::Failed(Failed { error, output }),
            },
            other => other,
        }
    }

    fn missed_deadline(&self, step: &PlanStep) -> String {
        let mut why = format!("missed its deadline of {} s", step.deadline_s);
        if let StepOp::WaitHealthy { server, stable_s } = &step.op {
            let topology = self.exec.topology();
            let state = topology
                .servers
                .iter()
                .find(|s| s.id == *server)
                .map_or("unknown", |s| s.health.state.as_str());
            why = format!(
                "{server} was not up for {stable_s} s within the deadline of {} s (it is {state} now)",
                step.deadline_s
            );
        }
        why
    }

    async fn pre_hook(&mut self) -> StepEnd {
        let Some(template) = self.exec.inner.hooks.pre.clone() else {
            return StepEnd::Done(None);
        };
        let mut cancelled = self.cancelled.clone();
        tokio::select! {
            done = self.hook("pre", &template) => match done {
                Ok(output) => StepEnd::Done(output),
                Err(failed) => StepEnd::Failed(failed),
            },
            by = aborted(&mut cancelled) => StepEnd::Aborted(by),
        }
    }

    /// The pre hook refused: no step runs and the action fails.
    fn veto(&mut self, failed: Failed, outcome: &mut Outcome) {
        let reason = format!("not run: the pre-action hook refused ({})", failed.error);
        for step in &mut self.action.steps {
            step.state = StepState::Skipped;
            step.error = Some(reason.clone());
        }
        if let Some(first) = self.action.steps.first_mut() {
            first.output = failed.output;
        }
        self.action.state = ActionState::Failed;
        outcome.error = Some(format!("pre-action hook: {}", failed.error));
        outcome.vetoed = Some(failed.error);
    }

    /// Runs the post hook; its failure is reported, not fatal.
    async fn post_hook(&mut self) -> Option<String> {
        let template = self.exec.inner.hooks.post.clone()?;
        self.hook("post", &template).await.err().map(|f| f.error)
    }

    async fn hook(
        &self,
        which: &'static str,
        template: &[String],
    ) -> Result<Option<String>, Failed> {
        let mut vars = Vars::new();
        vars.insert("op", which.to_string());
        vars.insert("action", self.action.id.clone());
        vars.insert("kind", self.action.kind.as_str().to_string());
        vars.insert("target", self.action.target.clone().unwrap_or_default());
        vars.insert("result", self.action.state.as_str().to_string());
        let argv = substitute(template, &vars);
        let timeout = Duration::from_millis(self.exec.inner.hooks.timeout_ms);
        run_command(&argv, self.exec.inner.workdir.as_deref(), timeout).await
    }

    fn skip_from(&mut self, first: usize) {
        for step in self.action.steps.iter_mut().skip(first) {
            step.state = StepState::Skipped;
        }
    }

    async fn finish(mut self, outcome: Outcome) {
        let now = self.host.now();
        self.action.finished_at = Some(now);
        // Released before the result is visible, so whoever sees it finished
        // can run the next action at once.
        {
            let inner = &self.exec.inner;
            let mut book = inner.book.lock().unwrap_or_else(|p| p.into_inner());
            book.release(&self.action.id);
            if self.action.automatic && inner.cooldown > chrono::TimeDelta::zero() {
                book.cool_down(&self.action, self.components.clone(), now + inner.cooldown);
            }
        }
        if self.action.state == ActionState::NeedsFollowUp {
            self.exec.inner.follow_ups.watch(self.action.clone());
        }
        // A deposed leader's end is refused like its steps; the new leader
        // has marked the action interrupted.
        let _ = self.save().await;
        if let Some(reason) = &outcome.post_hook_error {
            self.note(record::post_hook_failed(&self.action, reason))
                .await;
        }
        if let Some(reason) = &outcome.vetoed {
            self.note(record::vetoed(&self.action, reason)).await;
        }
        self.note(record::finished(
            &self.action,
            &self.plan,
            outcome.aborted_by.as_deref(),
        ))
        .await;
        let mut audit = record::finish_audit(&self.action, now, outcome.error.as_deref());
        if let Some(detail) = audit.detail.as_object_mut() {
            detail.insert("aborted_by".into(), serde_json::json!(outcome.aborted_by));
            detail.insert(
                "post_hook_error".into(),
                serde_json::json!(outcome.post_hook_error),
            );
        }
        self.exec.audit(audit).await;
        self.exec.inner.follow_ups.wake();
        let _ = self.finished.send(true);
    }

    /// Stores the action as it is now and publishes it. `Err(Deposed)` when
    /// the store refused the write because this replica no longer leads:
    /// the run must stop where it is, running nothing more.
    async fn save(&self) -> Result<(), Deposed> {
        match self.exec.inner.store.update_action(&self.action).await {
            Ok(()) => {}
            Err(err @ StoreError::Fenced { .. }) => {
                tracing::warn!(%err, action = %self.action.id, "stopping the action: no longer the leader");
                return Err(Deposed);
            }
            Err(err) => {
                tracing::error!(%err, action = %self.action.id, "could not store action progress");
            }
        }
        self.host.publish_action(&self.action).await;
        Ok(())
    }

    /// An entry in the incident's timeline: the one open at the start, else
    /// one declared while the action ran. The declaration added what the
    /// action had written until then (see `record::entries_of`), so an
    /// entry that incident holds already is not written twice.
    async fn note(&self, body: String) {
        let incident_id = match self.action.incident_id {
            Some(id) => id,
            None => match self.exec.open_incident().await {
                Some(id) if !self.already_noted(id, &body).await => id,
                _ => return,
            },
        };
        let entry = record::entry(&self.action.started_by, body, self.host.now());
        self.host.add_entries(incident_id, vec![entry]).await;
    }

    async fn already_noted(&self, incident_id: i64, body: &str) -> bool {
        match self.exec.inner.store.list_entries(incident_id).await {
            Ok(entries) => entries
                .iter()
                .any(|e| e.kind == EntryKind::Action && e.body == body),
            Err(err) => {
                tracing::error!(%err, incident_id, "could not read the timeline");
                false
            }
        }
    }
}

/// Resolves with the aborter's name once the action is aborted.
async fn aborted(cancelled: &mut watch::Receiver<Option<String>>) -> String {
    let by = match cancelled.wait_for(Option::is_some).await {
        Ok(by) => by.clone(),
        Err(_) => None,
    };
    match by {
        Some(by) => by,
        // The sender lives as long as the lease; without it no abort can come.
        None => std::future::pending().await,
    }
}

impl Executor {
    /// Waits until `server` has been up for `stable_s` seconds of the
    /// orchestrator's clock, or until `deadline_at` on that clock. The
    /// caller also bounds it in real time. On virtual time it parks until
    /// the clock moves rather than polling.
    async fn wait_healthy(
        &self,
        host: &dyn Host,
        server: &str,
        stable_s: u64,
        deadline_at: Timestamp,
    ) -> Waited {
        loop {
            let now = host.now();
            let health = {
                let fleet = self.inner.fleet.lock().unwrap_or_else(|p| p.into_inner());
                fleet
                    .topology()
                    .servers
                    .iter()
                    .find(|s| s.id == server)
                    .map(|s| (s.health.state, s.health.since))
            };
            match health {
                None => return Waited::Failed(Failed::new(format!("there is no server {server}"))),
                Some((HealthState::Up, since)) => {
                    let up_s = (now - since).num_seconds();
                    if up_s >= i64::try_from(stable_s).unwrap_or(i64::MAX) {
                        return Waited::Up(format!("{server} up for {up_s} s"));
                    }
                }
                Some(_) => {}
            }
            if now >= deadline_at {
                return Waited::Missed;
            }
            if self.inner.stepped {
                let parked = self.inner.activity.park();
                parked.woken().await;
            } else {
                tokio::time::sleep(WAIT_POLL).await;
            }
        }
    }

    /// Records a step the driver carried out in the fleet model: placement,
    /// admin state and role directly; cache and database roles, stale
    /// clients and stuck backends from the simulator's facts (or, for a real
    /// fleet, from what the step did).
    fn apply(&self, host: &dyn Host, op: &StepOp) -> Result<Vec<FleetChange>, String> {
        let touches_facts = matches!(
            op,
            StepOp::CacheFailover { .. }
                | StepOp::DbFailover { .. }
                | StepOp::RecycleWeb { .. }
                | StepOp::RestartSite { .. }
                | StepOp::CacheStandby { .. }
                | StepOp::RebuildReplica { .. }
        );
        let sim_facts = match (&self.inner.sim, touches_facts) {
            (Some(world), true) => {
                let sim = world.sim.lock().unwrap_or_else(|p| p.into_inner());
                Some(sim.facts())
            }
            _ => None,
        };
        let now = host.now();
        let mut fleet = self.inner.fleet.lock().unwrap_or_else(|p| p.into_inner());
        let refused = |err: crate::fleet::FleetError| {
            format!("the driver carried it out, but the orchestrator could not record it: {err}")
        };
        let mut changes = match op {
            StepOp::MoveSite { site, to, .. } => fleet.move_site(now, site, to).map_err(refused)?,
            StepOp::SetAdmin { server, admin } => {
                fleet.set_admin(now, server, *admin).map_err(refused)?
            }
            StepOp::SetRole { server, role } => {
                fleet.set_role(now, server, *role).map_err(refused)?
            }
            _ => Vec::new(),
        };
        let facts = match sim_facts {
            Some(facts) => Some(facts),
            None if self.inner.sim.is_none() => facts_after(op, fleet.topology()),
            None => None,
        };
        if let Some(facts) = facts {
            changes.extend(fleet.apply_facts(now, &facts));
        }
        Ok(changes)
    }
}

/// For a real fleet, which reports no world facts: the cache or database
/// roles as a successful step left them. A promoted database replica leaves
/// the old writer outside the cluster (PostgreSQL's old primary does not
/// follow the new one by itself) until `rebuild_replica` makes it a replica
/// again. Stuck backends are restated as they are, since facts name every
/// stuck site.
fn facts_after(op: &StepOp, topology: &Topology) -> Option<WorldFacts> {
    let swap = |members: &[String], from: &str, to: &str| -> Vec<String> {
        let mut rest: Vec<String> = members.iter().filter(|m| *m != to).cloned().collect();
        if from != to && !rest.iter().any(|m| m == from) {
            rest.push(from.to_string());
        }
        rest
    };
    let stuck = topology
        .sites
        .iter()
        .filter(|s| s.stuck_backends > 0)
        .map(|s| (s.id.clone(), s.stuck_backends))
        .collect();
    match op {
        StepOp::CacheFailover { from, to } => {
            let cache = topology.cache.as_ref()?;
            Some(WorldFacts {
                cache: Some(CacheFacts {
                    active: to.clone(),
                    standby: swap(&cache.standby, from, to),
                    epoch: cache.epoch + 1,
                    stale_clients: 0,
                    code_path_failing: false,
                }),
                database: None,
                stuck_backends: stuck,
                stale_cache_clients: None,
            })
        }
        StepOp::DbFailover { from, to, .. } => {
            let db = topology.database.as_ref()?;
            Some(WorldFacts {
                cache: None,
                database: Some(DatabaseFacts {
                    writer: to.clone(),
                    replicas: db
                        .replicas
                        .iter()
                        .filter(|r| *r != to && *r != from)
                        .cloned()
                        .collect(),
                    epoch: db.epoch + 1,
                }),
                stuck_backends: stuck,
                stale_cache_clients: None,
            })
        }
        StepOp::CacheStandby { node, .. } => {
            let cache = topology.cache.as_ref()?;
            let mut standby = cache.standby.clone();
            if !standby.contains(node) {
                standby.push(node.clone());
            }
            Some(WorldFacts {
                cache: Some(CacheFacts {
                    active: cache.active.clone(),
                    standby,
                    epoch: cache.epoch,
                    stale_clients: cache.stale_clients,
                    code_path_failing: false,
                }),
                database: None,
                stuck_backends: stuck,
                stale_cache_clients: None,
            })
        }
        StepOp::RebuildReplica { node, .. } => {
            let db = topology.database.as_ref()?;
            let mut replicas = db.replicas.clone();
            if !replicas.contains(node) {
                replicas.push(node.clone());
            }
            Some(WorldFacts {
                cache: None,
                database: Some(DatabaseFacts {
                    writer: db.writer.clone(),
                    replicas,
                    epoch: db.epoch,
                }),
                stuck_backends: stuck,
                stale_cache_clients: None,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::fleet::Fleet;
    use crate::model::FleetSpec;

    #[test]
    fn a_real_fleets_failover_facts_swap_the_roles() {
        let spec = FleetSpec::parse("demo.toml", crate::sim::DEMO_FLEET).expect("demo fleet");
        let at = Utc
            .with_ymd_and_hms(2020, 4, 1, 13, 0, 0)
            .single()
            .expect("time");
        let fleet = Fleet::new(&spec, at);
        let op = StepOp::DbFailover {
            from: "db-1".into(),
            to: "db-2".into(),
            forced: true,
        };
        let facts = facts_after(&op, fleet.topology()).expect("db facts");
        let db = facts.database.expect("database");
        assert_eq!(db.writer, "db-2");
        assert!(db.replicas.is_empty(), "db-1 follows no one until rebuilt");
        assert_eq!(db.epoch, 1);
        let op = StepOp::CacheFailover {
            from: "cache-1".into(),
            to: "cache-2".into(),
        };
        let cache = facts_after(&op, fleet.topology())
            .and_then(|f| f.cache)
            .expect("cache facts");
        assert_eq!(
            (cache.active.as_str(), cache.standby.as_slice()),
            ("cache-2", &["cache-1".to_string()][..])
        );
        let op = StepOp::RebuildReplica {
            node: "db-3".into(),
            writer: "db-1".into(),
        };
        let db = facts_after(&op, fleet.topology())
            .and_then(|f| f.database)
            .expect("db facts");
        assert_eq!(
            (db.writer.as_str(), db.replicas.as_slice()),
            ("db-1", &["db-2".to_string(), "db-3".to_string()][..])
        );
        let op = StepOp::CacheStandby {
            node: "cache-2".into(),
            active: "cache-1".into(),
        };
        let cache = facts_after(&op, fleet.topology())
            .and_then(|f| f.cache)
            .expect("cache facts");
        assert_eq!(cache.standby, ["cache-2"], "already a standby: listed once");
        assert!(
            facts_after(
                &StepOp::RestartSite {
                    site: "site-001".into()
                },
                fleet.topology()
            )
            .is_none()
        );
    }
}
