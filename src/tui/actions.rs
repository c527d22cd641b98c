//! Failover actions in the console (DESIGN.md §5): one key makes a plan for
//! the selected target, a modal shows it, Enter executes it, progress and
//! the result show live, and follow-ups are one key away.
//!
//! The modal moves through [`Stage`]s: planning → review (→ typing the
//! target id for a forced failover) → sending → following the action, or
//! back to review with a [`Refusal`] that says what to do next. Nothing here
//! does I/O: plans, executions, aborts and undos go out as effects and come
//! back through `wrote_plan` / `wrote_action`; progress comes from `action`
//! events applied to the [`ActionBoard`].

mod board;
mod modal;
mod refusal;
mod target;

pub use board::{ActionBoard, Progress, follow_up_text, progress};
pub use modal::key;
pub use refusal::{Refusal, Remedy};

use super::keymap::Action as KeyAction;
use super::msg::{Effect, WriteError};
use super::state::{Model, Overlay};
use crate::model::{Action, ActionState, ExecuteRequest, Plan, PlanKind, PlanRequest};
use refusal::{execute_refusal, plan_refusal};

/// What the modal was opened for: what `r` asks for again.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A plan key, an offer or a follow-up: `POST /v1/plans` with this request.
    Request(PlanRequest),
    /// `U`: the reverse plan of this action.
    Undo { action_id: String },
    /// `a`: watching an action; there is nothing to plan again.
    Watch,
}

/// Where the modal is in the plan → execute → follow flow.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Waiting for the planner's answer.
    Planning,
    /// The planner refused, or the request did not reach it.
    NoPlan(Refusal),
    /// The plan is shown; Enter executes it.
    Review,
    /// A plan with `confirm`: the target's id is being typed.
    Confirm {
        typed: String,
        /// Why the last Enter was refused.
        wrong: Option<String>,
    },
    /// Execute was sent with this key; waiting for the answer.
    Sending {
        key: String,
        request: ExecuteRequest,
    },
    /// Execute was refused; the plan stays shown.
    Refused {
        refusal: Refusal,
        key: String,
        request: ExecuteRequest,
    },
    /// The action runs (or ran): shown live from `model.actions`.
    Following { action_id: String },
}

/// The plan modal: the plan as made, then the action running it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanModal {
    pub origin: Origin,
    pub stage: Stage,
    /// The plan shown (and executed); `None` while planning or for an
    /// action whose plan this console never saw.
    pub plan: Option<Plan>,
    /// First row of the body shown.
    pub scroll: usize,
}

impl PlanModal {
    fn planning(origin: Origin) -> PlanModal {
        PlanModal {
            origin,
            stage: Stage::Planning,
            plan: None,
            scroll: 0,
        }
    }

    fn following(action_id: String, plan: Option<Plan>) -> PlanModal {
        PlanModal {
            origin: Origin::Watch,
            stage: Stage::Following { action_id },
            plan,
            scroll: 0,
        }
    }

    /// The action the modal follows, once execute was accepted.
    pub fn action_id(&self) -> Option<&str> {
        match &self.stage {
            Stage::Following { action_id } => Some(action_id),
            _ => None,
        }
    }

    /// Whether the target's id is being typed.
    pub fn confirming(&self) -> bool {
        matches!(self.stage, Stage::Confirm { .. })
    }

    /// Whether closing would hide something still in flight: an execute
    /// awaiting its answer, or a running action.
    pub fn is_live(&self, model: &Model) -> bool {
        match &self.stage {
            Stage::Sending { .. } => true,
            Stage::Following { action_id } => model
                .actions
                .get(action_id)
                .is_some_and(|a| a.state == ActionState::Running),
            _ => false,
        }
    }

    fn sending_plan(&self, plan_id: Option<&str>) -> bool {
        matches!(self.stage, Stage::Sending { .. })
            && plan_id.is_none_or(|id| self.plan.as_ref().is_some_and(|p| p.id == id))
    }

    /// An upper bound of the body's rows, to keep scrolling inside it.
    fn body_rows(&self, model: &Model) -> usize {
        let plan_rows = self.plan.as_ref().map_or(0, |p| {
            p.placements.len()
                + p.unplaceable.len() * 2
                + p.warnings.len() * 3
                + p.offers.len()
                + p.steps.len()
        });
        let action_rows = self
            .action_id()
            .and_then(|id| model.actions.get(id))
            .map_or(0, |a| a.steps.len() * 5);
        plan_rows.max(action_rows) + 20
    }
}

/// A plan key (`E`, `P`, `C`, `W`, `D`, `R`, `B`) was pressed.
pub fn open(model: &mut Model, kind: PlanKind, effects: &mut Vec<Effect>) {
    model.mark_dirty();
    if let Some(reason) = model.action_block() {
        model.toast(format!("{}: not allowed, {reason}", kind.as_str()), true);
        return;
    }
    match target::request_for(model, kind) {
        Ok(request) => start_planning(model, request, effects),
        Err(hint) => model.toast(hint, true),
    }
}

/// `A`: abort the running action.
pub fn abort(model: &mut Model, effects: &mut Vec<Effect>) {
    model.mark_dirty();
    if let Some(reason) = model.action_block() {
        model.toast(format!("abort: not allowed, {reason}"), true);
        return;
    }
    let Some(action) = model.actions.running() else {
        model.toast("no action is running: nothing to abort", true);
        return;
    };
    let (id, label) = (action.id.clone(), action_label(action));
    model.actions.aborting = Some(id.clone());
    effects.push(Effect::Abort(id));
    model.toast(format!("aborting {label}…"), false);
}

/// `U`: undo the last finished action (a failback plan).
pub fn undo(model: &mut Model, effects: &mut Vec<Effect>) {
    model.mark_dirty();
    if let Some(reason) = model.action_block() {
        model.toast(format!("undo: not allowed, {reason}"), true);
        return;
    }
    match model.actions.undoable() {
        Ok(action) => {
            let action_id = action.id.clone();
            effects.push(Effect::Undo(action_id.clone()));
            model.ui.overlay =
                Overlay::Plan(Box::new(PlanModal::planning(Origin::Undo { action_id })));
        }
        Err(why) => model.toast(why, true),
    }
}

/// `a`: show the running (or last) action in the modal.
pub fn show(model: &mut Model) {
    model.mark_dirty();
    if let Some(parked) = model.actions.parked.take() {
        model.ui.overlay = Overlay::Plan(parked);
        return;
    }
    let newest = model.actions.running().or(model.actions.list.first());
    match newest {
        Some(action) => {
            let plan = model.actions.plan_for(action).cloned();
            let modal = PlanModal::following(action.id.clone(), plan);
            model.ui.overlay = Overlay::Plan(Box::new(modal));
        }
        None => model.toast("no failover action has run yet", false),
    }
}

/// The answer to `Effect::CreatePlan` or `Effect::Undo`.
pub fn wrote_plan(
    model: &mut Model,
    result: Result<Box<Plan>, WriteError>,
    effects: &mut Vec<Effect>,
) {
    let _ = effects;
    model.mark_dirty();
    let Overlay::Plan(modal) = &mut model.ui.overlay else {
        // The modal was closed while planning: nobody is waiting for it.
        return;
    };
    if modal.stage != Stage::Planning {
        return;
    }
    match result {
        Ok(plan) => {
            // An answer for an earlier request (closed, then another key)
            // is of another kind; the modal waits for its own.
            if let Origin::Request(request) = &modal.origin
                && request.kind != plan.kind
            {
                return;
            }
            modal.plan = Some(*plan);
            modal.stage = Stage::Review;
            modal.scroll = 0;
        }
        Err(error) => modal.stage = Stage::NoPlan(plan_refusal(error)),
    }
}

/// The answer to `Effect::Execute` or `Effect::Abort`.
pub fn wrote_action(
    model: &mut Model,
    result: Result<Box<Action>, WriteError>,
    effects: &mut Vec<Effect>,
) {
    let _ = effects;
    model.mark_dirty();
    match result {
        Ok(action) => {
            let action = *action;
            let (id, plan_id) = (action.id.clone(), action.plan_id.clone());
            let label = action_label(&action);
            let state = action.state;
            model.actions.merge(action);
            if let Some(modal) = sending_modal(model, Some(&plan_id)) {
                modal.stage = Stage::Following { action_id: id };
                modal.scroll = 0;
            } else if model.actions.aborting.as_deref() == Some(id.as_str()) {
                model.actions.aborting = None;
                model.toast(format!("{label}: {}", state.as_str()), false);
            }
        }
        Err(error) => {
            let abort_failed = error.code == Some(crate::model::ErrorCode::NotRunning)
                || (sending_modal(model, None).is_none() && model.actions.aborting.is_some());
            if abort_failed {
                model.actions.aborting = None;
                let text = match error.status {
                    None => "abort not sent: API unreachable; press A again".to_string(),
                    Some(_) => format!("abort refused: {}", error.message),
                };
                model.toast(text, true);
                return;
            }
            let parked = sending_modal_is_parked(model);
            match sending_modal(model, None) {
                Some(modal) => {
                    let Stage::Sending { key, request } =
                        std::mem::replace(&mut modal.stage, Stage::Review)
                    else {
                        return;
                    };
                    let confirm = modal.plan.as_ref().and_then(|p| p.confirm.clone());
                    let refusal = execute_refusal(error, confirm.as_deref());
                    let headline = refusal.headline.clone();
                    modal.stage = Stage::Refused {
                        refusal,
                        key,
                        request,
                    };
                    if parked {
                        let show = model.keymap.hint(KeyAction::ShowAction);
                        model.toast(format!("not executed: {headline} ({show} shows it)"), true);
                    }
                }
                None => model.toast(format!("action refused: {}", error.message), true),
            }
        }
    }
}

pub(super) fn start_planning(model: &mut Model, request: PlanRequest, effects: &mut Vec<Effect>) {
    effects.push(Effect::CreatePlan(request.clone()));
    model.ui.overlay = Overlay::Plan(Box::new(PlanModal::planning(Origin::Request(request))));
}

/// The modal waiting for an execute answer (for the plan `plan_id`, when
/// given): the one on screen, else the one hidden with Esc.
fn sending_modal<'a>(model: &'a mut Model, plan_id: Option<&str>) -> Option<&'a mut PlanModal> {
    if let Overlay::Plan(modal) = &mut model.ui.overlay
        && modal.sending_plan(plan_id)
    {
        return Some(modal);
    }
    model
        .actions
        .parked
        .as_deref_mut()
        .filter(|modal| modal.sending_plan(plan_id))
}

fn sending_modal_is_parked(model: &Model) -> bool {
    let on_screen = matches!(&model.ui.overlay, Overlay::Plan(m) if m.sending_plan(None));
    !on_screen
        && model
            .actions
            .parked
            .as_ref()
            .is_some_and(|m| m.sending_plan(None))
}

/// `evacuate_server app-04`: the kind and the target, for one line.
pub fn action_label(action: &Action) -> String {
    label(action.kind, action.target.as_deref(), &[])
}

/// The kind and target of a plan request.
pub fn request_label(request: &PlanRequest) -> String {
    label(
        request.kind,
        request.target.as_deref(),
        &request.options.sites,
    )
}

/// The kind and target of a plan.
pub fn plan_label(plan: &Plan) -> String {
    label(plan.kind, plan.target.as_deref(), &[])
}

fn label(kind: PlanKind, target: Option<&str>, sites: &[String]) -> String {
    match (target, sites) {
        (Some(target), _) => format!("{} {target}", kind.as_str()),
        (None, [one]) => format!("{} {one}", kind.as_str()),
        (None, []) => kind.as_str().to_string(),
        (None, many) => format!("{} ({} sites)", kind.as_str(), many.len()),
    }
}
