//! The executor (DESIGN.md §4): plans in, actions out.
//!
//! - Plans are made by the pure planner from the topology as it is and kept
//!   in memory until they expire.
//! - Executing one checks, in order: an idempotent retry (the same
//!   `Idempotency-Key` gives back the same action, whether or not the plan
//!   has expired since), the plan's expiry, the topology version, the typed
//!   confirmation, the lease on every component the plan touches, and the
//!   cooldown after automatic actions. The action and its key are stored in
//!   one transaction, so a retry never runs twice.
//! - Steps run in order in a task, each within its deadline, through the
//!   configured driver (`sim`, `exec`, `http`; see `drivers`), between the
//!   pre and post hooks; every change is stored and published as an
//!   `action` event, and each successful step is applied to the fleet model.
//! - After a cache or database failover, the action stays `needs_follow_up`
//!   while stale clients or stuck backends remain (see `follow_up`).
//!
//! Time: deadlines, cooldowns and expiries are on the orchestrator's clock.
//! With the simulator at speed X, a deadline of `d` sim seconds is `d / X`
//! real seconds (never less than 100 ms); command and webhook timeouts from
//! the fleet file are real time.
//!
//! The executor knows nothing of HTTP: the server hands it a [`Host`] for
//! the clock, the event hub and the timeline.

mod activity;
mod admission;
pub mod autopilot;
mod drivers;
mod error;
mod follow_up;
mod plans;
mod record;
mod runner;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::watch;

pub use activity::Activity;
pub use error::ExecError;
pub(crate) use record::entries_of;

use crate::fleet::{Fleet, FleetChange};
use crate::model::{
    Action, ActionState, DriverKind, ExecutorSpec, HooksSpec, Plan, PlanRequest, StepState,
    Timestamp,
};
use crate::plan::PlannerSettings;
use crate::sim::Sim;
use crate::store::{AuditRecord, EntryRecord, Store};

use drivers::Driver;

/// What the executor needs from the orchestrator that hosts it.
#[async_trait::async_trait]
pub trait Host: Send + Sync + 'static {
    /// The orchestrator's clock (the sim clock when a simulator runs).
    fn now(&self) -> Timestamp;
    /// Publish an `action` event.
    async fn publish_action(&self, action: &Action);
    /// Persist and publish what a step changed in the fleet model.
    async fn fleet_changed(&self, changes: Vec<FleetChange>);
    /// Write immutable action entries into an incident's timeline and publish them.
    async fn add_entries(&self, incident_id: i64, records: Vec<EntryRecord>);
}

/// The simulator the `sim` driver operates, and its speed (sim seconds per
/// real second).
#[derive(Clone)]
pub struct SimWorld {
    pub sim: Arc<Mutex<Sim>>,
    pub speed: f64,
    /// On virtual time (a drill): the clock moves only when the executor is
    /// idle, and a `wait_healthy` step parks until it moves (see [`Activity`]).
    pub stepped: bool,
}

/// How long a plan stays executable when the fleet file does not say: two
/// minutes of real time, whatever the simulator's speed.
const DEFAULT_PLAN_TTL_REAL_S: f64 = 120.0;
/// An aborted action is given this long to stop before abort answers anyway.
const ABORT_WAIT: Duration = Duration::from_secs(5);

/// The executor. Cheap to clone; clones share their state.
#[derive(Clone)]
pub struct Executor {
    inner: Arc<Inner>,
}

struct Inner {
    fleet: Arc<Mutex<Fleet>>,
    store: Arc<dyn Store>,
    sim: Option<SimWorld>,
    driver: Option<Driver>,
    hooks: HooksSpec,
    /// Where commands and hooks run: `[executor.exec] workdir`, if set.
    workdir: Option<String>,
    cooldown: TimeDelta,
    planner: PlannerSettings,
    /// Sim seconds per real second; 1 on the wall clock.
    speed: f64,
    plans: plans::PlanBook,
    /// Executes are admitted one at a time, so the checks and the creation
    /// of the action are one step.
    admission: tokio::sync::Mutex<()>,
    book: Mutex<admission::Book>,
    follow_ups: follow_up::FollowUps,
    activity: Activity,
    /// See [`SimWorld::stepped`].
    stepped: bool,
    shutdown: watch::Receiver<bool>,
}

impl Executor {
    /// An executor for the fleet `spec` describes. The driver is the one the
    /// fleet file names, else `sim` when a simulator runs, else none (execute
    /// is then refused with `no_driver`). When `shutdown` turns true, running
    /// actions stop where they are (their commands are killed) and stay
    /// `running` in the store, to be marked failed by the next start.
    pub fn new(
        spec: &ExecutorSpec,
        fleet: Arc<Mutex<Fleet>>,
        store: Arc<dyn Store>,
        sim: Option<SimWorld>,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<Executor> {
        let driver = match (spec.driver, &sim) {
            (Some(DriverKind::Sim) | None, Some(world)) => Some(Driver::sim(world.clone())),
            (Some(DriverKind::Sim), None) => {
                anyhow::bail!("executor.driver: the sim driver needs a simulated fleet")
            }
            (None, None) => None,
            (Some(DriverKind::Exec), _) => {
                Some(Driver::exec(spec.exec.clone().ok_or_else(|| {
                    anyhow::anyhow!("executor.exec: driver = \"exec\" needs [executor.exec]")
                })?))
            }
            (Some(DriverKind::Http), _) => {
                Some(Driver::http(spec.http.clone().ok_or_else(|| {
                    anyhow::anyhow!("executor.http: driver = \"http\" needs [executor.http]")
                })?)?)
            }
        };
        let speed = sim.as_ref().map_or(1.0, |w| w.speed);
        let stepped = sim.as_ref().is_some_and(|w| w.stepped);
        let ttl = match spec.plan_ttl_s {
            Some(s) => TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000)),
            None => TimeDelta::milliseconds((DEFAULT_PLAN_TTL_REAL_S * 1000.0 * speed) as i64),
        };
        let normal = fleet
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .normal()
            .clone();
        let planner = PlannerSettings {
            expires_after: ttl,
            normal,
            ..PlannerSettings::default()
        };
        Ok(Executor {
            inner: Arc::new(Inner {
                fleet,
                store,
                sim,
                driver,
                hooks: spec.hooks.clone(),
                workdir: spec.exec.as_ref().and_then(|e| e.workdir.clone()),
                cooldown: TimeDelta::seconds(i64::try_from(spec.cooldown_s).unwrap_or(0)),
                planner,
                speed,
                plans: plans::PlanBook::default(),
                admission: tokio::sync::Mutex::new(()),
                book: Mutex::new(admission::Book::default()),
                follow_ups: follow_up::FollowUps::default(),
                activity: Activity::default(),
                stepped,
                shutdown,
            }),
        })
    }

    /// The driver in use (`sim`, `exec`, `http`), if any.
    pub fn driver_name(&self) -> Option<&'static str> {
        self.inner.driver.as_ref().map(Driver::name)
    }

    /// Makes a plan from the topology as it is now and keeps it until it expires.
    pub fn create_plan(&self, request: &PlanRequest, now: Timestamp) -> Result<Plan, ExecError> {
        let topology = self.topology();
        let plan =
            crate::plan::make_plan(&topology, request, new_id("plan"), now, &self.inner.planner)?;
        self.check_runbooks(&plan)?;
        self.inner.plans.insert(plan.clone(), None, now);
        Ok(plan)
    }

    /// Makes a plan as [`Executor::create_plan`] does, without keeping it:
    /// for deciding whether to execute it at all (the autopilot decides on
    /// every change and keeps only the plans it executes).
    pub fn draft_plan(&self, request: &PlanRequest, now: Timestamp) -> Result<Plan, ExecError> {
        let topology = self.topology();
        let plan =
            crate::plan::make_plan(&topology, request, new_id("plan"), now, &self.inner.planner)?;
        self.check_runbooks(&plan)?;
        Ok(plan)
    }

    /// Keeps a drafted plan until it expires, so that it can be executed.
    pub fn keep_plan(&self, plan: Plan, now: Timestamp) {
        self.inner.plans.insert(plan, None, now);
    }

    /// A plan made here; [`ExecError::PlanExpired`] once it expired (for a
    /// while, then it is forgotten).
    pub fn plan(&self, id: &str, now: Timestamp) -> Result<Plan, ExecError> {
        let (plan, _) = self
            .inner
            .plans
            .get(id)
            .ok_or_else(|| ExecError::PlanNotFound(id.to_string()))?;
        if now > plan.expires_at {
            return Err(ExecError::PlanExpired {
                id: plan.id,
                expired_at: plan.expires_at,
            });
        }
        Ok(plan)
    }

    /// The reverse of an executed action, as a new plan made from the
    /// topology as it is now (the client executes it like any other).
    pub async fn undo(
        &self,
        host: &dyn Host,
        action_id: &str,
        caller: &str,
    ) -> Result<Plan, ExecError> {
        let store = &self.inner.store;
        let action = store
            .get_action(action_id)
            .await
            .map_err(|e| ExecError::from_lookup(action_id, e))?;
        if action.state == ActionState::Running {
            return Err(ExecError::StillRunning { id: action.id });
        }
        let executed = store
            .action_plan(action_id)
            .await
            .map_err(|e| ExecError::from_lookup(action_id, e))?;
        let now = host.now();
        let topology = self.topology();
        let plan = crate::plan::reverse_plan(
            &topology,
            &executed,
            new_id("plan"),
            now,
            &self.inner.planner,
        )?;
        self.check_runbooks(&plan)?;
        self.inner
            .plans
            .insert(plan.clone(), Some(action.id.clone()), now);
        self.audit(AuditRecord {
            at: now,
            actor: caller.to_string(),
            action: "action.undo".into(),
            target: format!("actions/{}", action.id),
            incident_id: action.incident_id,
            detail: serde_json::json!({ "plan_id": plan.id, "kind": plan.kind, "summary": plan.summary }),
        })
        .await;
        Ok(plan)
    }

    /// Stops a running action before its next step, cancelling the current
    /// step where the driver allows (a command is killed, a webhook call
    /// dropped). Answers with the action once it stopped, or as it is after
    /// a few seconds.
    pub async fn abort(
        &self,
        host: &dyn Host,
        action_id: &str,
        caller: &str,
    ) -> Result<Action, ExecError> {
        let lease = {
            let book = self.inner.book.lock().unwrap_or_else(|p| p.into_inner());
            book.running
                .get(action_id)
                .map(|lease| (lease.cancel.clone(), lease.done.clone()))
        };
        let Some((cancel, mut done)) = lease else {
            let action = self
                .inner
                .store
                .get_action(action_id)
                .await
                .map_err(|e| ExecError::from_lookup(action_id, e))?;
            return Err(ExecError::NotRunning {
                id: action.id,
                state: action.state,
            });
        };
        cancel.send_if_modified(|by| {
            let first = by.is_none();
            if first {
                *by = Some(caller.to_string());
            }
            first
        });
        let action = self
            .inner
            .store
            .get_action(action_id)
            .await
            .map_err(|e| ExecError::from_lookup(action_id, e))?;
        self.audit(AuditRecord {
            at: host.now(),
            actor: caller.to_string(),
            action: "action.abort".into(),
            target: format!("actions/{action_id}"),
            incident_id: action.incident_id,
            detail: serde_json::json!({ "kind": action.kind, "target": action.target }),
        })
        .await;
        // An error means the runner is gone: it finished.
        let _ = tokio::time::timeout(ABORT_WAIT, done.wait_for(|finished| *finished)).await;
        self.inner
            .store
            .get_action(action_id)
            .await
            .map_err(|e| ExecError::from_lookup(action_id, e))
    }

    /// At startup: actions left running by an orchestrator that stopped
    /// (a crash, a kill) are marked `interrupted`: the step in flight failed
    /// with the reason (it may or may not have taken effect, and it never
    /// runs again), the steps after it skipped; the record, the incident's
    /// timeline and the audit log say what ran and what did not. Their
    /// leases go with them. Actions waiting for a follow-up are watched
    /// again, and cooldowns after recent automatic actions hold again.
    ///
    /// Interrupted actions are not resumed: a step of the `exec` and `http`
    /// drivers is a command or a webhook whose effect the orchestrator
    /// cannot see, so running the rest of a plan after one of unknown
    /// outcome could act on a world that is not the one planned for.
    pub async fn recover(&self, host: &dyn Host) -> Result<(), ExecError> {
        let now = host.now();
        for mut action in self.inner.store.list_actions(None).await? {
            match action.state {
                ActionState::Running => {
                    for step in &mut action.steps {
                        match step.state {
                            StepState::Running => {
                                step.state = StepState::Failed;
                                step.error = Some(record::INTERRUPTED_IN_FLIGHT.into());
                                step.finished_at = Some(now);
                            }
                            StepState::Pending => {
                                step.state = StepState::Skipped;
                                step.error = Some(record::INTERRUPTED_NOT_RUN.into());
                            }
                            _ => {}
                        }
                    }
                    action.state = ActionState::Interrupted;
                    action.finished_at = Some(now);
                    self.inner.store.update_action(&action).await?;
                    host.publish_action(&action).await;
                    if let Some(incident_id) = action.incident_id {
                        let plan = self.inner.store.action_plan(&action.id).await?;
                        let body = record::finished(&action, &plan, None);
                        let entry = record::entry(&action.started_by, body, now);
                        host.add_entries(incident_id, vec![entry]).await;
                    }
                    self.audit(record::finish_audit(
                        &action,
                        now,
                        Some("interrupted by an orchestrator restart"),
                    ))
                    .await;
                }
                ActionState::NeedsFollowUp => self.inner.follow_ups.watch(action),
                _ => {}
            }
        }
        self.recover_cooldowns(now).await
    }

    /// Every plan still kept (offers not executed yet, until they expire),
    /// with the action each undoes: saved with the world state.
    pub fn saved_plans(&self) -> Vec<(Plan, Option<String>)> {
        self.inner.plans.all()
    }

    /// Keeps plans a previous run made (see [`Executor::saved_plans`]).
    pub fn restore_plans(&self, plans: Vec<(Plan, Option<String>)>, now: Timestamp) {
        for (plan, undo_of) in plans {
            self.inner.plans.insert(plan, undo_of, now);
        }
    }

    async fn recover_cooldowns(&self, now: Timestamp) -> Result<(), ExecError> {
        if self.inner.cooldown <= TimeDelta::zero() {
            return Ok(());
        }
        for action in self.inner.store.list_actions(None).await? {
            let Some(finished) = action.finished_at.filter(|_| action.automatic) else {
                continue;
            };
            if finished + self.inner.cooldown <= now {
                continue;
            }
            let plan = self.inner.store.action_plan(&action.id).await?;
            let components = admission::components(&plan, &self.topology());
            let mut book = self.inner.book.lock().unwrap_or_else(|p| p.into_inner());
            book.cool_down(&action, components, finished + self.inner.cooldown);
        }
        Ok(())
    }

    /// Running actions, for a drill's stepper.
    pub fn activity(&self) -> Activity {
        self.inner.activity.clone()
    }

    /// Refreshes the counts of the actions that wait for a follow-up once
    /// (a drill's stepper calls it at each moment of virtual time, where a
    /// live orchestrator runs [`Executor::watch_follow_ups`]).
    pub async fn check_follow_ups(&self, host: &dyn Host) {
        follow_up::check(self, host).await;
    }

    /// Watches actions that need a follow-up until shutdown: their count is
    /// refreshed from the topology and they succeed when it reaches zero.
    pub async fn watch_follow_ups(self, host: Arc<dyn Host>, shutdown: watch::Receiver<bool>) {
        follow_up::watch(self, host, shutdown).await;
    }

    /// Refuses a plan the `exec` driver could not carry out: a step whose op
    /// has no command (set_admin and set_role are then only recorded).
    fn check_runbooks(&self, plan: &Plan) -> Result<(), ExecError> {
        let Some(missing) = self
            .inner
            .driver
            .as_ref()
            .and_then(|d| d.missing_command(plan))
        else {
            return Ok(());
        };
        Err(ExecError::Plan(crate::plan::PlanError::NotConfigured(
            format!(
                "runbook for the {missing} step this plan needs: add `{missing} = [...]` (or `command = [...]`) under [executor.exec] in the fleet file"
            ),
        )))
    }

    fn topology(&self) -> crate::model::Topology {
        let fleet = self.inner.fleet.lock().unwrap_or_else(|p| p.into_inner());
        fleet.topology().clone()
    }

    /// Real time for `secs` seconds of the orchestrator's clock.
    fn real_duration(&self, secs: u64) -> Duration {
        Duration::from_secs_f64((secs as f64 / self.inner.speed).max(0.1))
    }

    async fn audit(&self, record: AuditRecord) {
        if let Err(err) = self.inner.store.append_audit(&record).await {
            tracing::error!(%err, action = %record.action, "could not write an audit record");
        }
    }
}

/// `prefix-` and 12 hex digits of a random UUID.
fn new_id(prefix: &str) -> String {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &uuid[..12])
}
