//! Executing a plan: the checks that admit it, the leases running actions
//! hold, and the cooldowns automatic actions leave behind.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use tokio::sync::watch;

use super::runner::Run;
use super::{ExecError, Executor, Host, new_id, record};
use crate::model::{
    Action, ActionState, ExecuteRequest, IncidentState, Plan, StepOp, StepProgress, StepState,
    Timestamp, Topology,
};
use crate::store::AuditRecord;

/// Running actions and recent automatic ones, by the components they touch.
#[derive(Default)]
pub(super) struct Book {
    pub running: HashMap<String, Lease>,
    cooldowns: Vec<Cooldown>,
}

/// What a running action holds, and how to stop it.
pub(super) struct Lease {
    what: String,
    components: BTreeSet<String>,
    /// Set to the name of whoever aborted the action.
    pub cancel: watch::Sender<Option<String>>,
    /// Becomes true when the action has finished.
    pub done: watch::Receiver<bool>,
}

struct Cooldown {
    action_id: String,
    what: String,
    components: BTreeSet<String>,
    until: Timestamp,
}

impl Book {
    fn holder(&self, components: &BTreeSet<String>) -> Option<ExecError> {
        self.running.iter().find_map(|(id, lease)| {
            let held = overlap(&lease.components, components)?;
            Some(ExecError::Locked {
                action_id: id.clone(),
                what: lease.what.clone(),
                held,
            })
        })
    }

    fn cooling(&self, components: &BTreeSet<String>, now: Timestamp) -> Option<ExecError> {
        self.cooldowns
            .iter()
            .filter(|c| c.until > now)
            .find_map(|c| {
                let held = overlap(&c.components, components)?;
                Some(ExecError::Cooldown {
                    action_id: c.action_id.clone(),
                    what: c.what.clone(),
                    held,
                    until: c.until,
                })
            })
    }

    /// The action no longer holds its lease.
    pub(super) fn release(&mut self, action_id: &str) {
        self.running.remove(action_id);
    }

    /// After an automatic action: its components cool down until `until`.
    pub(super) fn cool_down(
        &mut self,
        action: &Action,
        components: BTreeSet<String>,
        until: Timestamp,
    ) {
        if let Some(finished) = action.finished_at {
            self.cooldowns.retain(|c| c.until > finished);
        }
        self.cooldowns.push(Cooldown {
            action_id: action.id.clone(),
            what: record::headline(action.kind, action.target.as_deref()),
            components,
            until,
        });
    }
}

/// The shared components, listed for a message; `None` when there are none.
fn overlap(held: &BTreeSet<String>, wanted: &BTreeSet<String>) -> Option<String> {
    const SHOWN: usize = 5;
    let shared: Vec<&str> = held.intersection(wanted).map(String::as_str).collect();
    match shared.len() {
        0 => None,
        n if n > SHOWN => Some(format!(
            "{} and {} more",
            shared[..SHOWN].join(", "),
            n - SHOWN
        )),
        _ => Some(shared.join(", ")),
    }
}

/// Every component a plan's steps touch: servers, sites (and the server a
/// restarted site runs on), and `cache` / `database` for their failovers.
pub(super) fn components(plan: &Plan, topology: &Topology) -> BTreeSet<String> {
    let site_server: HashMap<&str, &str> = topology
        .sites
        .iter()
        .map(|s| (s.id.as_str(), s.server.as_str()))
        .collect();
    let mut touched = BTreeSet::new();
    for step in &plan.steps {
        match &step.op {
            StepOp::SetAdmin { server, .. }
            | StepOp::SetRole { server, .. }
            | StepOp::RecycleWeb { server }
            | StepOp::WaitHealthy { server, .. } => {
                touched.insert(server.clone());
            }
            StepOp::MoveSite { site, from, to } => {
                touched.extend([site.clone(), from.clone(), to.clone()]);
            }
            StepOp::CacheFailover { from, to } => {
                touched.extend(["cache".to_string(), from.clone(), to.clone()]);
            }
            StepOp::DbFailover { from, to, .. } => {
                touched.extend(["database".to_string(), from.clone(), to.clone()]);
            }
            StepOp::CacheStandby { node, active } => {
                touched.extend(["cache".to_string(), node.clone(), active.clone()]);
            }
            StepOp::RebuildReplica { node, writer } => {
                touched.extend(["database".to_string(), node.clone(), writer.clone()]);
            }
            StepOp::RestartSite { site } => {
                touched.insert(site.clone());
                if let Some(server) = site_server.get(site.as_str()) {
                    touched.insert((*server).to_string());
                }
            }
        }
    }
    touched
}

impl Executor {
    /// Executes a plan made here. `Ok((action, true))` when it started now;
    /// `Ok((action, false))` for a retry with the same idempotency key, which
    /// gets the action the first call started and runs nothing.
    pub async fn execute(
        &self,
        host: Arc<dyn Host>,
        plan_id: &str,
        idempotency_key: &str,
        if_match: u64,
        request: &ExecuteRequest,
        caller: &str,
    ) -> Result<(Action, bool), ExecError> {
        let inner = &self.inner;
        let _admitted = inner.admission.lock().await;
        // A retry first: it must get the same answer even when the plan has
        // expired or the action itself has moved the topology on since.
        if let Some(existing) = inner.store.action_for_key(idempotency_key).await? {
            if existing.plan_id == plan_id {
                return Ok((existing, false));
            }
            return Err(ExecError::KeyReused {
                plan_id: existing.plan_id,
            });
        }
        let (plan, undo_of) = inner
            .plans
            .get(plan_id)
            .ok_or_else(|| ExecError::PlanNotFound(plan_id.to_string()))?;
        let now = host.now();
        if now > plan.expires_at {
            return Err(ExecError::PlanExpired {
                id: plan.id,
                expired_at: plan.expires_at,
            });
        }
        if inner.driver.is_none() {
            return Err(ExecError::NoDriver);
        }
        let topology = self.topology();
        if if_match != topology.version || plan.topology_version != topology.version {
            return Err(ExecError::TopologyChanged {
                plan_id: plan.id,
                planned: plan.topology_version,
                if_match,
                current: topology.version,
            });
        }
        if let Some(expected) = &plan.confirm
            && request.confirm.as_deref().map(str::trim) != Some(expected.as_str())
        {
            return Err(ExecError::ConfirmationRequired {
                expected: expected.clone(),
                risk: plan
                    .risk
                    .clone()
                    .unwrap_or_else(|| "this plan needs a typed confirmation".to_string()),
            });
        }
        let components = components(&plan, &topology);
        {
            let book = inner.book.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(locked) = book.holder(&components) {
                return Err(locked);
            }
            if !request.acknowledge_cooldown
                && let Some(cooling) = book.cooling(&components, now)
            {
                return Err(cooling);
            }
        }

        let action = Action {
            id: new_id("act"),
            plan_id: plan.id.clone(),
            kind: plan.kind,
            target: plan.target.clone(),
            summary: plan.summary.clone(),
            state: ActionState::Running,
            steps: plan
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| StepProgress {
                    index: u32::try_from(i).unwrap_or(u32::MAX),
                    description: step.description.clone(),
                    state: StepState::Pending,
                    started_at: None,
                    finished_at: None,
                    output: None,
                    error: None,
                })
                .collect(),
            started_by: caller.to_string(),
            started_at: now,
            finished_at: None,
            incident_id: self.open_incident().await,
            follow_up: None,
            undo_of,
            automatic: request.automatic,
        };
        let (action, created) = inner
            .store
            .create_action(&action, &plan, idempotency_key, now)
            .await?;
        if !created {
            return Ok((action, false));
        }
        let (cancel, cancelled) = watch::channel(None);
        let (finished, done) = watch::channel(false);
        {
            let mut book = inner.book.lock().unwrap_or_else(|p| p.into_inner());
            book.running.insert(
                action.id.clone(),
                Lease {
                    what: record::headline(action.kind, action.target.as_deref()),
                    components: components.clone(),
                    cancel,
                    done,
                },
            );
        }
        self.audit(AuditRecord {
            at: now,
            actor: caller.to_string(),
            action: "action.execute".into(),
            target: format!("actions/{}", action.id),
            incident_id: action.incident_id,
            detail: serde_json::json!({
                "plan_id": plan.id,
                "kind": plan.kind,
                "target": plan.target,
                "summary": plan.summary,
                "automatic": action.automatic,
                "undo_of": action.undo_of,
            }),
        })
        .await;
        let run = Run {
            _busy: inner.activity.begin(),
            exec: self.clone(),
            host,
            action: action.clone(),
            plan,
            components,
            cancelled,
            finished,
        };
        tokio::spawn(run.run());
        Ok((action, true))
    }

    /// Whether the action `id` is running here (it holds its lease).
    pub fn is_running(&self, id: &str) -> bool {
        let book = self.inner.book.lock().unwrap_or_else(|p| p.into_inner());
        book.running.contains_key(id)
    }

    /// The newest open incident, whose timeline gets the action's entries.
    pub(super) async fn open_incident(&self) -> Option<i64> {
        match self
            .inner
            .store
            .list_incidents(Some(IncidentState::Open))
            .await
        {
            Ok(open) => open.first().map(|i| i.id),
            Err(err) => {
                tracing::error!(%err, "could not look up the open incident");
                None
            }
        }
    }
}
