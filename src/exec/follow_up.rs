//! Follow-ups (DESIGN.md §4): a cache or database failover is not done while
//! web servers hold stale connections to the old cache node or backends are
//! stuck on the old writer. Such an action stays `needs_follow_up`, offering
//! the plan that clears them, and a watcher keeps its count current until it
//! reaches zero, when the action succeeds.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch as watch_channel};

use super::{Executor, Host, record};
use crate::model::{
    Action, ActionState, FollowUp, FollowUpKind, PlanKind, PlanOptions, PlanRequest, Topology,
};
use crate::store::AuditRecord;

/// How often the counts are checked when nothing wakes the watcher sooner.
const POLL: Duration = Duration::from_millis(500);

/// Actions waiting for their follow-up, by id.
#[derive(Default)]
pub(super) struct FollowUps {
    pending: Mutex<BTreeMap<String, Action>>,
    wake: Notify,
}

impl FollowUps {
    pub(super) fn watch(&self, action: Action) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.insert(action.id.clone(), action);
    }

    /// Check the counts now (an action just finished; it may have cleared them).
    pub(super) fn wake(&self) {
        self.wake.notify_one();
    }

    fn snapshot(&self) -> Vec<Action> {
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.values().cloned().collect()
    }

    fn forget(&self, id: &str) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.remove(id);
    }

    fn settle(&self, action: &Action) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if action.state == ActionState::NeedsFollowUp {
            pending.insert(action.id.clone(), action.clone());
        } else {
            pending.remove(&action.id);
        }
    }
}

/// The follow-up a finished action of `kind` needs on `topology`, if any.
pub(super) fn needed(kind: PlanKind, topology: &Topology) -> Option<FollowUp> {
    let (kind, offer) = match kind {
        PlanKind::CacheFailover => (FollowUpKind::StaleClients, PlanKind::RecycleWeb),
        PlanKind::DbFailover => (FollowUpKind::StuckBackends, PlanKind::RestartSites),
        _ => return None,
    };
    let count = remaining(kind, topology);
    (count > 0).then(|| FollowUp {
        kind,
        count,
        offer: PlanRequest {
            kind: offer,
            target: None,
            options: PlanOptions::default(),
        },
    })
}

fn remaining(kind: FollowUpKind, topology: &Topology) -> u32 {
    match kind {
        FollowUpKind::StaleClients => topology.cache.as_ref().map_or(0, |c| c.stale_clients),
        FollowUpKind::StuckBackends => topology.database.as_ref().map_or(0, |d| d.stuck_backends),
    }
}

pub(super) async fn watch(
    exec: Executor,
    host: Arc<dyn Host>,
    mut shutdown: watch_channel::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = exec.inner.follow_ups.wake.notified() => {}
            _ = shutdown.changed() => return,
        }
        check(&exec, host.as_ref()).await;
    }
}

/// Refreshes every pending count; publishes the actions whose count changed.
pub(super) async fn check(exec: &Executor, host: &dyn Host) {
    let pending = exec.inner.follow_ups.snapshot();
    if pending.is_empty() {
        return;
    }
    let topology = exec.topology();
    for mut action in pending {
        let Some(follow_up) = action.follow_up.as_mut() else {
            exec.inner.follow_ups.forget(&action.id);
            continue;
        };
        let count = remaining(follow_up.kind, &topology);
        if count == follow_up.count {
            continue;
        }
        follow_up.count = count;
        let now = host.now();
        if count == 0 {
            action.state = ActionState::Succeeded;
            action.finished_at = Some(now);
        }
        exec.inner.follow_ups.settle(&action);
        if let Err(err) = exec.inner.store.update_action(&action).await {
            tracing::error!(%err, action = %action.id, "could not store a follow-up count");
        }
        host.publish_action(&action).await;
        if count == 0 {
            if let Some(incident_id) = action.incident_id {
                let body = record::follow_up_cleared(&action);
                host.add_entries(
                    incident_id,
                    vec![record::entry(&action.started_by, body, now)],
                )
                .await;
            }
            exec.audit(AuditRecord {
                at: now,
                actor: action.started_by.clone(),
                action: "action.follow_up_done".into(),
                target: format!("actions/{}", action.id),
                incident_id: action.incident_id,
                detail: serde_json::json!({ "kind": action.kind, "result": action.state }),
            })
            .await;
        }
    }
}
