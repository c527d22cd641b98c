//! What actions write into the incident timeline and the audit log. A
//! timeline gets a start entry, an entry per failed step and a result entry
//! that lists what moved, so a 40-site evacuation is three entries, not 40.

use std::collections::BTreeMap;

use crate::model::{
    Action, ActionState, EntryKind, FollowUpKind, Plan, PlanKind, Source, StepOp, StepState,
    Timestamp, Visibility,
};
use crate::store::{AuditRecord, EntryRecord};

/// Sites listed by name in a result entry before the rest are counted.
const LISTED_SITES: usize = 60;

/// `evacuate_server app-04`, or just the kind when there is no target.
pub(super) fn headline(kind: PlanKind, target: Option<&str>) -> String {
    match target {
        Some(target) => format!("{} {target}", kind.as_str()),
        None => kind.as_str().to_string(),
    }
}

fn action_headline(action: &Action) -> String {
    headline(action.kind, action.target.as_deref())
}

/// An immutable `action` entry by `author`, happening now.
pub(super) fn entry(author: &str, body: String, now: Timestamp) -> EntryRecord {
    EntryRecord {
        kind: EntryKind::Action,
        status: None,
        visibility: Visibility::Internal,
        body,
        author: author.to_string(),
        occurred_at: now,
        starred: false,
        marker: None,
        source: Source::Action,
    }
}

pub(super) fn started(action: &Action) -> String {
    let how = if action.automatic {
        "started automatically by"
    } else {
        "started by"
    };
    let undo = action
        .undo_of
        .as_deref()
        .map(|id| format!(" (undoing {id})"))
        .unwrap_or_default();
    format!(
        "{}: {how} {}{undo} — {} [{}]",
        action_headline(action),
        action.started_by,
        action.summary,
        action.id
    )
}

pub(super) fn step_failed(action: &Action, index: usize, error: &str) -> String {
    let step = &action.steps[index];
    format!(
        "{}: step {}/{} ({}) failed: {error}",
        action_headline(action),
        index + 1,
        action.steps.len(),
        step.description
    )
}

pub(super) fn vetoed(action: &Action, reason: &str) -> String {
    format!(
        "{}: refused by the pre-action hook ({reason}); no step ran",
        action_headline(action)
    )
}

pub(super) fn post_hook_failed(action: &Action, reason: &str) -> String {
    format!(
        "{}: the post-action hook failed ({reason}); the action's result stands",
        action_headline(action)
    )
}

/// The result: the final state, how many steps ran, what moved, and what
/// still needs doing.
pub(super) fn finished(action: &Action, plan: &Plan, aborted_by: Option<&str>) -> String {
    let done = action
        .steps
        .iter()
        .filter(|s| s.state == StepState::Succeeded)
        .count();
    let total = action.steps.len();
    let took = action
        .finished_at
        .map(|end| format!(" in {} s", (end - action.started_at).num_seconds().max(0)))
        .unwrap_or_default();
    let mut body = match action.state {
        ActionState::Aborted => format!(
            "{}: aborted by {} after {done} of {total} steps{took}",
            action_headline(action),
            aborted_by.unwrap_or("someone")
        ),
        ActionState::Failed => format!(
            "{}: failed after {done} of {total} steps{took}",
            action_headline(action)
        ),
        ActionState::Interrupted => format!(
            "{}: interrupted by an orchestrator restart after {done} of {total} steps; {}",
            action_headline(action),
            interrupted_detail(action)
        ),
        ActionState::Succeeded | ActionState::NeedsFollowUp | ActionState::Running => format!(
            "{}: succeeded{took} ({done} of {total} steps)",
            action_headline(action)
        ),
    };
    let moved = moved_sites(action, plan);
    if !moved.is_empty() {
        body.push_str(" — moved ");
        body.push_str(&moved);
    }
    if let Some(follow_up) = &action.follow_up {
        let what = match follow_up.kind {
            FollowUpKind::StaleClients => "web server clients still hold stale cache connections",
            FollowUpKind::StuckBackends => "backends are still stuck on the old database writer",
        };
        body.push_str(&format!(
            "; not done yet: {} {what} — {} offered",
            follow_up.count,
            follow_up.offer.kind.as_str()
        ));
    }
    body
}

/// What ran and what did not, for an interrupted action: the step that was
/// in flight (it may or may not have taken effect) and the steps never run.
pub(super) fn interrupted_detail(action: &Action) -> String {
    let mut parts = Vec::new();
    for step in &action.steps {
        if step.state == StepState::Failed && step.error.as_deref() == Some(INTERRUPTED_IN_FLIGHT) {
            parts.push(format!(
                "step {} ({}) was running and may or may not have taken effect; it was not run again",
                step.index + 1,
                step.description
            ));
        }
    }
    let not_run: Vec<String> = action
        .steps
        .iter()
        .filter(|s| s.state == StepState::Skipped)
        .map(|s| (s.index + 1).to_string())
        .collect();
    match not_run.as_slice() {
        [] => parts.push("no step was left unrun".into()),
        [one] => parts.push(format!("step {one} did not run")),
        [first, .., last] => parts.push(format!(
            "steps {first}–{last} ({} steps) did not run",
            not_run.len()
        )),
    }
    parts.push("check the fleet and plan again".into());
    parts.join("; ")
}

/// The error of the step an orchestrator crash caught in flight.
pub(super) const INTERRUPTED_IN_FLIGHT: &str = "interrupted: the orchestrator stopped while this step ran; it may or may not have taken effect and was not run again";

/// The error of the steps an orchestrator crash left unrun.
pub(super) const INTERRUPTED_NOT_RUN: &str = "not run: the orchestrator stopped before this step";

pub(super) fn follow_up_cleared(action: &Action) -> String {
    let what = match action.follow_up.as_ref().map(|f| f.kind) {
        Some(FollowUpKind::StuckBackends) => "no backend is stuck on the old writer any more",
        _ => "no web server holds a stale cache connection any more",
    };
    format!("{}: {what}; done", action_headline(action))
}

/// `17 sites: to fo-1 site-001, site-002, …; to fo-2 …`, from the move steps
/// that succeeded, in step order per target.
fn moved_sites(action: &Action, plan: &Plan) -> String {
    let mut by_target: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut count = 0;
    for (step, progress) in plan.steps.iter().zip(&action.steps) {
        if let StepOp::MoveSite { site, to, .. } = &step.op
            && progress.state == StepState::Succeeded
        {
            by_target
                .entry(to.as_str())
                .or_default()
                .push(site.as_str());
            count += 1;
        }
    }
    if count == 0 {
        return String::new();
    }
    let mut listed = 0;
    let groups: Vec<String> = by_target
        .iter()
        .map(|(to, sites)| {
            let room = LISTED_SITES.saturating_sub(listed).min(sites.len());
            listed += room;
            let mut names = sites[..room].join(", ");
            if room < sites.len() {
                if !names.is_empty() {
                    names.push_str(", ");
                }
                names.push_str(&format!("{} more", sites.len() - room));
            }
            format!("to {to} ({}): {names}", sites.len())
        })
        .collect();
    let noun = if count == 1 { "site" } else { "sites" };
    format!("{count} {noun}: {}", groups.join("; "))
}

/// The entries an action's run writes into its incident's timeline, rebuilt
/// from the stored action and its plan: its start, each failed step and, once
/// it finished, its result, each at the time it happened. For an incident
/// declared (or back-dated) after the action ran; bodies are the same as the
/// runner writes (an abort names no one: who aborted is not stored).
pub(crate) fn entries_of(action: &Action, plan: &Plan) -> Vec<EntryRecord> {
    let by = action.started_by.as_str();
    let mut entries = vec![entry(by, started(action), action.started_at)];
    for (index, step) in action.steps.iter().enumerate() {
        if step.state != StepState::Failed {
            continue;
        }
        if let Some(error) = step.error.as_deref()
            && error != INTERRUPTED_IN_FLIGHT
        {
            let at = step
                .finished_at
                .or(step.started_at)
                .unwrap_or(action.started_at);
            entries.push(entry(by, step_failed(action, index, error), at));
        }
    }
    if action.state.is_finished()
        && let Some(end) = action.finished_at
    {
        entries.push(entry(by, finished(action, plan, None), end));
    }
    entries
}

/// The audit record of an action's outcome.
pub(super) fn finish_audit(action: &Action, now: Timestamp, error: Option<&str>) -> AuditRecord {
    let steps_done = action
        .steps
        .iter()
        .filter(|s| s.state == StepState::Succeeded)
        .count();
    AuditRecord {
        at: now,
        actor: action.started_by.clone(),
        action: "action.finish".into(),
        target: format!("actions/{}", action.id),
        incident_id: action.incident_id,
        detail: serde_json::json!({
            "kind": action.kind,
            "target": action.target,
            "result": action.state,
            "steps_succeeded": steps_done,
            "steps": action.steps.len(),
            "error": error,
            "follow_up": action.follow_up,
        }),
    }
}
