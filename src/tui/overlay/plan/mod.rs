//! Failover actions in the console (DESIGN.md §5): one key makes a plan for
//! the selected target, a modal shows it, Enter executes it, progress and
//! the result show live, and follow-ups are one key away.
//!
//! The modal moves through [`Stage`]s: planning → review (→ typing the
//! target id for a forced failover) → sending → following the action, or
//! back to review with a [`Refusal`] that says what to do next. Nothing here
//! does I/O: plans and executions go out as effects and come back through
//! [`PlanModal::on_reply`]; progress comes from `action` events applied to
//! the mirror's action board. Keys typed while the plan is being made are
//! queued and applied to it once it arrives: they never reach the screen
//! underneath.

mod keys;
mod refusal;

pub use refusal::{Refusal, Remedy};

use crate::model::{ActionState, ExecuteRequest, Plan, PlanRequest};
use crate::tui::component::{Ctx, Next, Outcome};
use crate::tui::data::Mirror;
use crate::tui::keymap::{Action as KeyAction, Context};
use crate::tui::keys::KeyChord;
use crate::tui::msg::{Effect, Wrote};
use refusal::{execute_refusal, plan_refusal};

use super::Overlay;

/// Keys kept while a plan is being made, at most.
const TYPE_AHEAD: usize = 16;

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
    /// Keys typed while planning, applied once the plan is shown.
    pub queued: Vec<KeyChord>,
}

impl PlanModal {
    /// Waiting for the plan (or the undo's reverse plan) that `origin` asks for.
    pub fn planning(origin: Origin) -> PlanModal {
        PlanModal {
            origin,
            stage: Stage::Planning,
            plan: None,
            scroll: 0,
            queued: Vec::new(),
        }
    }

    /// A modal making the plan for `request`, with the effect that asks for it.
    pub fn request(request: PlanRequest) -> (PlanModal, Effect) {
        let effect = Effect::CreatePlan(request.clone());
        (PlanModal::planning(Origin::Request(request)), effect)
    }

    /// Watching an action (`a`).
    pub fn following(action_id: String, plan: Option<Plan>) -> PlanModal {
        PlanModal {
            origin: Origin::Watch,
            stage: Stage::Following { action_id },
            plan,
            scroll: 0,
            queued: Vec::new(),
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
    pub fn is_live(&self, data: &Mirror) -> bool {
        match &self.stage {
            Stage::Sending { .. } => true,
            Stage::Following { action_id } => data
                .actions
                .get(action_id)
                .is_some_and(|a| a.state == ActionState::Running),
            _ => false,
        }
    }

    /// Whether it waits for the answer to executing `plan_id` (any plan when `None`).
    pub fn sending_plan(&self, plan_id: Option<&str>) -> bool {
        matches!(self.stage, Stage::Sending { .. })
            && plan_id.is_none_or(|id| self.plan.as_ref().is_some_and(|p| p.id == id))
    }

    /// An upper bound of the body's rows, to keep scrolling inside it.
    fn body_rows(&self, data: &Mirror) -> usize {
        let plan_rows = self.plan.as_ref().map_or(0, |p| {
            p.placements.len()
                + p.unplaceable.len() * 2
                + p.warnings.len() * 3
                + p.offers.len()
                + p.steps.len()
        });
        let action_rows = self
            .action_id()
            .and_then(|id| data.actions.get(id))
            .map_or(0, |a| a.steps.len() * 5);
        plan_rows.max(action_rows) + 20
    }
    /// An answer to a write, when it is this modal's: the plan it waits
    /// for, or the answer to its execute.
    pub fn on_reply(&mut self, wrote: &Wrote, ctx: &Ctx) -> Option<Outcome<Overlay>> {
        match wrote {
            Wrote::Plan(result) if self.stage == Stage::Planning => {
                match result {
                    Ok(plan) => {
                        // An answer for an earlier request (closed, then
                        // another key) is of another kind; wait for ours.
                        if let Origin::Request(request) = &self.origin
                            && request.kind != plan.kind
                        {
                            return None;
                        }
                        self.plan = Some((**plan).clone());
                        self.stage = Stage::Review;
                        self.scroll = 0;
                    }
                    Err(error) => {
                        self.stage = Stage::NoPlan(plan_refusal(error.clone(), ctx.keymap))
                    }
                }
                Some(self.replay_queued(ctx))
            }
            Wrote::Action(result) if self.sending_plan(None) => match result {
                Ok(action) => {
                    if !self.sending_plan(Some(&action.plan_id)) {
                        return None;
                    }
                    self.stage = Stage::Following {
                        action_id: action.id.clone(),
                    };
                    self.scroll = 0;
                    Some(Outcome::keep())
                }
                Err(error) => {
                    let Stage::Sending { key, request } =
                        std::mem::replace(&mut self.stage, Stage::Review)
                    else {
                        return None;
                    };
                    let confirm = self.plan.as_ref().and_then(|p| p.confirm.clone());
                    let refusal = execute_refusal(error.clone(), confirm.as_deref(), ctx.keymap);
                    self.stage = Stage::Refused {
                        refusal,
                        key,
                        request,
                    };
                    Some(Outcome::keep())
                }
            },
            _ => None,
        }
    }

    /// Apply the keys typed while planning, in order. A key that replaces
    /// the modal (an offer taken) hands the rest to the new one.
    fn replay_queued(&mut self, ctx: &Ctx) -> Outcome<Overlay> {
        let mut out = Outcome::keep();
        let mut queued = std::mem::take(&mut self.queued).into_iter();
        while let Some(chord) = queued.next() {
            let step = self.key(chord, ctx);
            out.effects.extend(step.effects);
            out.changes.extend(step.changes);
            if step.note.is_some() {
                out.note = step.note;
            }
            match step.next {
                Next::Keep => continue,
                Next::Replace(Overlay::Plan(mut next)) => {
                    next.queued.extend(queued);
                    out.next = Next::Replace(Overlay::Plan(next));
                }
                other => out.next = other,
            }
            break;
        }
        out
    }
}

/// `Esc` hides a live modal; the toast says how to bring it back.
pub(crate) fn hidden_note(ctx: &Ctx) -> String {
    let show = ctx.key(Context::Global, KeyAction::ShowAction);
    format!("hidden: the action continues ({show} shows it again)")
}
