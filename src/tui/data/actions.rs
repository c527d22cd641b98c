//! The console's copy of the actions: the API's list kept current by
//! `action` events, the plans this console executed, and progress counts.

use crate::model::{
    Action, ActionState, FollowUp, FollowUpKind, Plan, PlanKind, StepOp, StepProgress, StepState,
};

/// Executed plans remembered, to tell which of an action's steps move sites.
const PLANS_KEPT: usize = 32;

/// Actions, newest first, as the API reported them.
#[derive(Debug, Clone, Default)]
pub struct ActionBoard {
    pub list: Vec<Action>,
    pub loaded: bool,
    /// Plans executed from this console, oldest first (at most `PLANS_KEPT`).
    plans: Vec<Plan>,
}

impl ActionBoard {
    /// Insert or replace one action from an `action` event. Events arrive in
    /// order, so the event's version wins. Returns whether anything visible
    /// changed.
    pub fn apply(&mut self, action: Action) -> bool {
        match self.list.iter().position(|a| a.id == action.id) {
            Some(i) if self.list[i] == action => false,
            Some(i) => {
                self.list[i] = action;
                true
            }
            None => {
                self.list.insert(0, action);
                true
            }
        }
    }

    /// Take an action from an HTTP answer (execute, abort). Such an answer
    /// may be older than events already applied: it replaces what we hold
    /// only when it is at least as far along.
    pub fn merge(&mut self, action: Action) -> bool {
        match self.list.iter().position(|a| a.id == action.id) {
            Some(i) if stage(&action) < stage(&self.list[i]) => false,
            _ => self.apply(action),
        }
    }

    /// Take a fresh list (from `GET /v1/actions`). An action that events
    /// moved further than the list shows keeps its newer state, and actions
    /// that started after the list was read stay at the top.
    pub fn replace(&mut self, actions: Vec<Action>) -> bool {
        let mut old = std::mem::take(&mut self.list);
        let newest_listed = actions.iter().map(|a| a.started_at).max();
        let mut fresh: Vec<Action> = Vec::with_capacity(actions.len());
        for action in actions {
            match old.iter().position(|a| a.id == action.id) {
                Some(i) if stage(&old[i]) > stage(&action) => fresh.push(old.swap_remove(i)),
                _ => fresh.push(action),
            }
        }
        let mut newer: Vec<Action> = old
            .into_iter()
            .filter(|a| {
                newest_listed.is_none_or(|t| a.started_at >= t)
                    && !fresh.iter().any(|f| f.id == a.id)
            })
            .collect();
        newer.sort_by_key(|a| std::cmp::Reverse(a.started_at));
        newer.extend(fresh);
        self.list = newer;
        self.loaded = true;
        true
    }

    pub fn get(&self, id: &str) -> Option<&Action> {
        self.list.iter().find(|a| a.id == id)
    }

    /// The newest running action.
    pub fn running(&self) -> Option<&Action> {
        self.list.iter().find(|a| a.state == ActionState::Running)
    }

    /// The newest action waiting for its follow-up.
    pub fn needing_follow_up(&self) -> Option<&Action> {
        self.list
            .iter()
            .find(|a| a.state == ActionState::NeedsFollowUp)
    }

    /// The plan `action` executes, when this console executed it.
    pub fn plan_for(&self, action: &Action) -> Option<&Plan> {
        self.plans.iter().rev().find(|p| p.id == action.plan_id)
    }

    pub fn remember(&mut self, plan: Plan) {
        self.plans.retain(|p| p.id != plan.id);
        if self.plans.len() == PLANS_KEPT {
            self.plans.remove(0);
        }
        self.plans.push(plan);
    }

    /// The newest finished action that has a reverse and was not undone yet.
    pub fn undoable(&self) -> Result<&Action, String> {
        let undone = |id: &str| self.list.iter().any(|a| a.undo_of.as_deref() == Some(id));
        let candidate = self
            .list
            .iter()
            .find(|a| a.state.is_finished() && reversible(a.kind) && !undone(&a.id));
        match candidate {
            Some(action) => Ok(action),
            None if self.running().is_some() => Err(
                "nothing finished to undo: the running action can be undone once it finishes (or abort it)"
                    .into(),
            ),
            None if self.list.is_empty() => Err("nothing to undo: no action has run yet".into()),
            None => Err(
                "nothing to undo: restarts and failbacks have no reverse, and the rest are undone"
                    .into(),
            ),
        }
    }
}

/// How far along an action is, for telling an older copy from a newer one.
fn stage(action: &Action) -> (u8, usize, usize) {
    let state = match action.state {
        ActionState::Running => 0,
        ActionState::NeedsFollowUp => 1,
        _ => 2,
    };
    let started = action
        .steps
        .iter()
        .filter(|s| s.state != StepState::Pending)
        .count();
    let finished = action.steps.iter().filter(|s| step_finished(s)).count();
    (state, started, finished)
}

fn step_finished(step: &StepProgress) -> bool {
    !matches!(step.state, StepState::Pending | StepState::Running)
}

/// Kinds the API can reverse (restarts, failbacks and rebuilt standbys or
/// replicas it cannot; a `restore_cache` only when it failed back, so the
/// console does not promise it).
fn reversible(kind: PlanKind) -> bool {
    matches!(
        kind,
        PlanKind::EvacuateServer
            | PlanKind::EvacuateSwitch
            | PlanKind::PromoteSpare
            | PlanKind::CacheFailover
            | PlanKind::DbFailover
            | PlanKind::DemoteSpares
    )
}

/// An action's step counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub total: usize,
    /// Succeeded or skipped.
    pub done: usize,
    pub failed: usize,
    /// The step running now, 1-based.
    pub current: Option<usize>,
    /// Sites moved and sites to move, for plans that move sites.
    pub sites: Option<(usize, usize)>,
}

impl Progress {
    /// The step to name in "step k/n": the running one, else the last one reached.
    pub fn step(&self) -> usize {
        self.current.unwrap_or(self.done + self.failed)
    }
}

/// Count `action`'s steps. Site moves are read from `plan` when known; an
/// evacuation or failback started elsewhere is counted by the planner's
/// step wording ("move SITE from A to B").
pub fn progress(action: &Action, plan: Option<&Plan>) -> Progress {
    let mut progress = Progress {
        total: action.steps.len(),
        ..Progress::default()
    };
    for (i, step) in action.steps.iter().enumerate() {
        match step.state {
            StepState::Succeeded | StepState::Skipped => progress.done += 1,
            StepState::Failed => progress.failed += 1,
            StepState::Running => progress.current = progress.current.or(Some(i + 1)),
            StepState::Pending | StepState::Aborted => {}
        }
    }
    let moves: Vec<&StepProgress> = match plan {
        Some(plan) => action
            .steps
            .iter()
            .filter(|s| {
                plan.steps
                    .get(s.index as usize)
                    .is_some_and(|p| matches!(p.op, StepOp::MoveSite { .. }))
            })
            .collect(),
        None if moves_sites(action.kind) => action
            .steps
            .iter()
            .filter(|s| s.description.starts_with("move "))
            .collect(),
        None => Vec::new(),
    };
    if !moves.is_empty() {
        let moved = moves
            .iter()
            .filter(|s| s.state == StepState::Succeeded)
            .count();
        progress.sites = Some((moved, moves.len()));
    }
    progress
}

fn moves_sites(kind: PlanKind) -> bool {
    matches!(
        kind,
        PlanKind::EvacuateServer | PlanKind::EvacuateSwitch | PlanKind::Failback
    )
}

/// What a follow-up waits for, in words: "12 web server clients still hold
/// connections to the old cache node".
pub fn follow_up_text(follow_up: &FollowUp) -> String {
    let n = follow_up.count;
    match follow_up.kind {
        FollowUpKind::StaleClients => format!(
            "{n} web server client{} still hold{} connections to the old cache node",
            plural(n),
            if n == 1 { "s" } else { "" }
        ),
        FollowUpKind::StuckBackends => format!(
            "{n} {} still stuck on the old database writer",
            if n == 1 { "backend is" } else { "backends are" }
        ),
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}
