//! The autopilot's runner: after every observation batch the detection loop
//! has applied, it looks at the recommendations (when the topology or the
//! open alerts changed, or a block period ended), makes the plan for the
//! best one it may answer, lets the policy (`exec::autopilot`) decide, and
//! executes it through the term's executor without waiting for it. Every
//! decision goes to the open incident's timeline (one is opened when none
//! is, if the fleet file says so), and a plan over the blast-radius cap
//! raises an `autopilot_held` alert until its recommendation is gone.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::exec::autopilot::{AutopilotBook, Paused, Policy, Verdict, describe};
use crate::exec::{ExecError, Host};
use crate::model::{
    Alert, AutopilotDecision, AutopilotStatus, EntryKind, ExecuteRequest, FleetSpec, Impact,
    IncidentState, IncidentStatus, NewIncident, NormalConfig, Plan, PlanRequest, Recommendation,
    Severity, Source, Timestamp, Topology, Visibility,
};
use crate::plan::PlannerSettings;
use crate::store::EntryRecord;

use super::AppState;
use super::detect::{add_entries, apply_changes, detection_record};

/// An incident title's longest (the API's rule for titles).
const TITLE_MAX: usize = 200;

/// The name its actions, entries and incidents carry.
pub const AUTHOR: &str = "autopilot";

/// The autopilot of one orchestrator: its policy, what it remembers (saved
/// with the world state) and what it last looked at.
pub struct Autopilot {
    policy: Policy,
    book: Mutex<AutopilotBook>,
    memo: Mutex<Memo>,
}

/// What the runner remembers between rounds (not saved: a restart looks again).
#[derive(Default)]
struct Memo {
    /// The topology version and the open alerts it last looked at.
    seen: Option<(u64, Vec<String>)>,
    /// When a block period or an hourly budget entry ends next.
    wake: Option<Timestamp>,
    /// The last decision written, so a blocked or refused plan is written
    /// once, not every round.
    last: Option<(String, PlanRequest)>,
    /// The action it started last, while it may still be running.
    running: Option<String>,
}

impl Autopilot {
    pub fn new(spec: &FleetSpec) -> Autopilot {
        Autopilot {
            policy: Policy {
                spec: spec.autopilot.clone(),
                detection: spec.detection,
            },
            book: Mutex::new(AutopilotBook::default()),
            memo: Mutex::new(Memo::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.policy.spec.enabled
    }

    fn book(&self) -> std::sync::MutexGuard<'_, AutopilotBook> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, Memo> {
        self.memo.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What it remembers, for the saved world state.
    pub fn saved(&self) -> AutopilotBook {
        self.book().clone()
    }

    /// Takes back what a previous run (or the last leader) remembered; the
    /// next round looks at the fleet afresh.
    pub fn restore(&self, book: AutopilotBook) {
        *self.book() = book;
        *self.memo() = Memo::default();
    }

    /// `GET /v1/autopilot`.
    pub fn status(&self, now: Timestamp) -> AutopilotStatus {
        let book = self.book();
        AutopilotStatus {
            mode: self.policy.mode(&book),
            kinds: self.policy.spec.kinds.clone(),
            paused_by: book.paused.as_ref().map(|p| p.by.clone()),
            paused_at: book.paused.as_ref().map(|p| p.at),
            blocked: book.blocked(now),
            hour: self.policy.budget(&book, now),
            decisions: book.decisions.clone(),
        }
    }

    /// Pauses it; false when it was paused already.
    pub fn pause(&self, by: &str, now: Timestamp) -> bool {
        let mut book = self.book();
        if book.paused.is_some() {
            return false;
        }
        book.paused = Some(Paused {
            by: by.to_string(),
            at: now,
        });
        true
    }

    /// Resumes it; false when it was not paused. The next round looks at
    /// the fleet as it is, and what it decided before the pause may be
    /// written again.
    pub fn resume(&self) -> bool {
        let resumed = self.book().paused.take().is_some();
        if resumed {
            *self.memo() = Memo::default();
        }
        resumed
    }
}

/// One round, after an observation batch was applied. Cheap when nothing
/// changed since the last round; never waits for an action to finish.
pub async fn consider(state: &AppState) {
    let autopilot = state.autopilot.clone();
    if !autopilot.enabled() {
        return;
    }
    // Only the leader acts (its term's executor).
    let Ok(exec) = state.exec() else { return };
    let now = state.clock.now();
    // What changed is read first: the topology is copied only when the
    // round goes on (at 10k sites a copy is not free, and rounds are many).
    let (alerts, version) = {
        let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        (fleet.alerts(), fleet.topology().version)
    };
    let seen = (
        version,
        alerts.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
    );
    let running = {
        let mut memo = autopilot.memo();
        let woke = memo.wake.is_some_and(|t| now >= t);
        if memo.seen.as_ref() == Some(&seen) && !woke {
            return;
        }
        memo.seen = Some(seen);
        let mut book = autopilot.book();
        book.expire(now);
        memo.wake = book.next_expiry(now);
        if book.paused.is_some() {
            return;
        }
        memo.running.clone()
    };
    // Its own action still running: wait for it (looking again next round).
    // The executor knows without asking the store.
    if let Some(id) = running {
        if exec.is_running(&id) {
            autopilot.memo().seen = None;
            return;
        }
        autopilot.memo().running = None;
    }
    let (topology, alerts, normal) = {
        let fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        (
            fleet.topology().clone(),
            fleet.alerts(),
            fleet.normal().clone(),
        )
    };
    let recommendations = current_recommendations(&topology, &alerts, normal, now);
    release_held(state, &autopilot, &recommendations, now).await;
    // The best recommendation it may answer that makes a plan (one the
    // planner has nothing to do for, e.g. a downed server already
    // evacuated, gives way to the next).
    let drafted = recommendations
        .iter()
        .filter(|r| autopilot.policy.opted_in(r))
        .find_map(|r| match exec.draft_plan(&r.request, now) {
            Ok(plan) => Some((r, plan)),
            Err(err) => {
                tracing::debug!(%err, request = ?r.request, "autopilot: no plan for a recommendation");
                None
            }
        });
    let Some((recommendation, plan)) = drafted else {
        autopilot.memo().last = None;
        return;
    };
    // Short of capacity: the first offer (promote a spare) now, the plan
    // itself on a later round.
    let plan = match Policy::first_offer(&plan) {
        Some(offer) => match exec.draft_plan(offer, now) {
            Ok(plan) => plan,
            Err(err) => {
                tracing::debug!(%err, "autopilot: no plan for the offer");
                return;
            }
        },
        None => plan,
    };
    let verdict = {
        let book = autopilot.book();
        autopilot
            .policy
            .decide(&book, recommendation, &plan, &topology, now)
    };
    let Some(outcome) = verdict.outcome() else {
        return;
    };
    let asked = PlanRequest {
        kind: plan.kind,
        target: plan.target.clone(),
        options: Default::default(),
    };
    let key = (outcome.to_string(), asked.clone());
    if outcome != "executed" && autopilot.memo().last.as_ref() == Some(&key) {
        return;
    }
    let dry_run = autopilot.policy.spec.dry_run;
    let mut detail = describe(&verdict, &plan, recommendation, dry_run);
    // The incident first, so that the action's own entries land in it.
    let incident = open_incident(state, &autopilot, recommendation, &alerts, now).await;
    let mut outcome = outcome.to_string();
    let mut action_id = None;
    match &verdict {
        Verdict::Execute { confirm } => match execute(state, &exec, &plan, confirm).await {
            Ok(id) => {
                autopilot
                    .policy
                    .record_action(&mut autopilot.book(), &plan, &id, now);
                autopilot.memo().running = Some(id.clone());
                action_id = Some(id);
            }
            Err(
                ExecError::Locked { .. }
                | ExecError::TopologyChanged { .. }
                | ExecError::PlanExpired { .. },
            ) => {
                // Another action holds a component, or the fleet moved on:
                // a later round tries again.
                autopilot.memo().seen = None;
                return;
            }
            Err(err) => {
                outcome = "failed".into();
                detail = format!("autopilot: could not run {}: {err}", headline(&plan));
            }
        },
        Verdict::Refused(_) if !dry_run => hold(state, &autopilot, &plan, &detail, now).await,
        _ => {}
    }
    autopilot.memo().last = Some((outcome.clone(), asked.clone()));
    if let Some(incident_id) = incident {
        let entry = EntryRecord {
            kind: EntryKind::Action,
            status: None,
            visibility: Visibility::Internal,
            body: detail.clone(),
            author: AUTHOR.into(),
            occurred_at: now,
            starred: false,
            marker: None,
            source: Source::Autopilot,
        };
        add_entries(state, incident_id, vec![entry]).await;
    }
    autopilot.book().remember(AutopilotDecision {
        at: now,
        request: asked,
        outcome,
        detail,
        action_id,
    });
}

/// The recommendations for the fleet as it is now, best first
/// (`plan::recommend`, with the planner's defaults and the fleet file's
/// normal configuration, as the executor plans with).
fn current_recommendations(
    topology: &Topology,
    alerts: &[Alert],
    normal: NormalConfig,
    now: Timestamp,
) -> Vec<Recommendation> {
    let settings = PlannerSettings {
        normal,
        ..PlannerSettings::default()
    };
    crate::plan::recommend(topology, alerts, now, &settings)
}

fn headline(plan: &Plan) -> String {
    match &plan.target {
        Some(target) => format!("{} {target}", plan.kind.as_str()),
        None => plan.kind.as_str().to_string(),
    }
}

/// Executes the plan as `autopilot`: automatic (a cooldown follows it),
/// acknowledging cooldowns, with the confirmation the opt-in stands for.
/// Returns once the action started.
async fn execute(
    state: &AppState,
    exec: &crate::exec::Executor,
    plan: &Plan,
    confirm: &Option<String>,
) -> Result<String, ExecError> {
    let now = state.clock.now();
    exec.keep_plan(plan.clone(), now);
    let host: Arc<dyn Host> = Arc::new(state.clone());
    let request = ExecuteRequest {
        confirm: confirm.clone(),
        acknowledge_cooldown: true,
        automatic: true,
    };
    let key = format!("autopilot-{}", plan.id);
    let (action, _) = exec
        .execute(
            host,
            &plan.id,
            &key,
            plan.topology_version,
            &request,
            AUTHOR,
        )
        .await?;
    Ok(action.id)
}

/// The newest open incident; when none is open and the fleet file allows
/// it, a new one (sev2, "Autopilot: <reason>", started when the condition
/// began) with the open alerts as its first detections.
async fn open_incident(
    state: &AppState,
    autopilot: &Autopilot,
    recommendation: &Recommendation,
    alerts: &[Alert],
    now: Timestamp,
) -> Option<i64> {
    match state.store.list_incidents(Some(IncidentState::Open)).await {
        Ok(open) => {
            if let Some(incident) = open.first() {
                return Some(incident.id);
            }
        }
        Err(err) => {
            tracing::error!(%err, "autopilot: could not look up the open incident");
            return None;
        }
    }
    if !autopilot.policy.spec.open_incident {
        return None;
    }
    let store = state.leader_store()?;
    let title: String = format!("Autopilot: {}", recommendation.reason)
        .chars()
        .filter(|c| !c.is_control())
        .take(TITLE_MAX)
        .collect();
    let new = NewIncident {
        title,
        severity: Severity::Sev2,
        status: IncidentStatus::Investigating,
        impact: Impact::None,
        components: Vec::new(),
        started_at: Some(recommendation.since.min(now)),
    };
    let created = state
        .hub
        .write(async move { store.create_incident(&new, AUTHOR, now).await })
        .await;
    let incident = match created {
        Ok(incident) => incident,
        Err(err) => {
            tracing::error!(%err, "autopilot: could not open an incident");
            return None;
        }
    };
    let detections = alerts
        .iter()
        .map(|a| detection_record(a, a.opened_at, ""))
        .collect();
    add_entries(state, incident.id, detections).await;
    Some(incident.id)
}

/// Raises `autopilot_held` on the plan's target (its kind when it has none).
async fn hold(state: &AppState, autopilot: &Autopilot, plan: &Plan, detail: &str, now: Timestamp) {
    let target = plan
        .target
        .clone()
        .unwrap_or_else(|| plan.kind.as_str().to_string());
    autopilot.book().held.insert(
        target.clone(),
        PlanRequest {
            kind: plan.kind,
            target: plan.target.clone(),
            options: Default::default(),
        },
    );
    let change = {
        let mut fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        fleet.autopilot_held(&target, detail, now)
    };
    apply_changes(state, change.into_iter().collect(), Vec::new()).await;
}

/// Clears the `autopilot_held` alerts whose recommendation is gone.
async fn release_held(
    state: &AppState,
    autopilot: &Autopilot,
    recommendations: &[Recommendation],
    now: Timestamp,
) {
    let held: BTreeMap<String, PlanRequest> = {
        let mut book = autopilot.book();
        book.held.retain(|_, request| {
            recommendations.iter().any(|r| {
                r.request.kind == request.kind
                    && (r.request.target.is_none() || r.request.target == request.target)
            })
        });
        book.held.clone()
    };
    let changes = {
        let mut fleet = state.fleet.lock().unwrap_or_else(|p| p.into_inner());
        fleet.autopilot_released(|target| held.contains_key(target), now)
    };
    if !changes.is_empty() {
        apply_changes(state, changes, Vec::new()).await;
    }
}
