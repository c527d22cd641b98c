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
mod target;

pub use board::{ActionBoard, Progress, follow_up_text, progress};

use uuid::Uuid;

use super::keymap::Action as KeyAction;
use super::keys::{Key, KeyChord};
use super::msg::{Effect, WriteError};
use super::state::{Model, Overlay};
use crate::model::{Action, ActionState, ExecuteRequest, Plan, PlanKind, PlanRequest};

/// The longest confirmation text accepted (ids are far shorter).
const CONFIRM_MAX: usize = 200;
/// Rows of chrome around the modal's scrolling body (border, footer, margins).
const MODAL_CHROME: usize = 8;

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

/// What the next key can do about a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Nothing reached the API: Enter sends the same request with the same
    /// Idempotency-Key, so it can never run twice.
    Resend,
    /// The plan no longer fits the fleet (or is gone): `r` makes a new one.
    Replan,
    /// A cooldown holds: `c` acknowledges it and runs anyway.
    AcknowledgeCooldown,
    /// The target's id must be typed: Enter opens the input.
    Confirm,
    /// Nothing to do here (a role, a missing driver): the message says why.
    None,
}

/// A request the API refused (or that did not reach it), and what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub error: WriteError,
    pub remedy: Remedy,
    /// One sentence for the commander: what happened and which key helps.
    pub headline: String,
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

    pub fn plan(&self) -> Option<&Plan> {
        self.plan.as_ref()
    }

    pub fn stage(&self) -> &Stage {
        &self.stage
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
    fn is_live(&self, model: &Model) -> bool {
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

/// A key while the plan modal is open.
pub fn key(model: &mut Model, chord: KeyChord, effects: &mut Vec<Effect>) {
    let overlay = std::mem::replace(&mut model.ui.overlay, Overlay::None);
    let Overlay::Plan(mut modal) = overlay else {
        model.ui.overlay = overlay;
        return;
    };
    model.mark_dirty();
    if modal.confirming() {
        return confirm_key(model, modal, chord, effects);
    }
    let plain = !chord.ctrl && !chord.alt;
    match chord.key {
        Key::Esc => return close(model, modal),
        Key::Enter => return enter(model, modal, effects),
        Key::Char('r') if plain => return replan(model, modal, effects),
        Key::Char('f') if plain => return follow_up(model, modal, effects),
        Key::Char('c') if plain => return acknowledge_cooldown(model, modal, effects),
        Key::Char('o') if plain => return take_offer(model, modal, 0, effects),
        Key::Char(c @ '1'..='9') if plain => {
            let n = c as usize - '1' as usize;
            return take_offer(model, modal, n, effects);
        }
        _ => {}
    }
    let page = usize::from(model.screen.1).saturating_sub(MODAL_CHROME).max(1);
    let last = modal.body_rows(model);
    match model.keymap.action(&chord) {
        Some(KeyAction::Down) => modal.scroll = (modal.scroll + 1).min(last),
        Some(KeyAction::Up) => modal.scroll = modal.scroll.saturating_sub(1),
        Some(KeyAction::PageDown) => modal.scroll = (modal.scroll + page).min(last),
        Some(KeyAction::PageUp) => modal.scroll = modal.scroll.saturating_sub(page),
        Some(KeyAction::Top) => modal.scroll = 0,
        Some(KeyAction::Bottom) => modal.scroll = last,
        Some(KeyAction::AbortAction) => {
            model.ui.overlay = Overlay::Plan(modal);
            return abort(model, effects);
        }
        _ => {}
    }
    model.ui.overlay = Overlay::Plan(modal);
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
            let abort_failed = error.code.as_deref() == Some("not_running")
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

fn start_planning(model: &mut Model, request: PlanRequest, effects: &mut Vec<Effect>) {
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

fn close(model: &mut Model, modal: Box<PlanModal>) {
    if modal.is_live(model) {
        let show = model.keymap.hint(KeyAction::ShowAction);
        model.actions.parked = Some(modal);
        model.toast(
            format!("hidden: the action continues ({show} shows it again)"),
            false,
        );
    } else if let Some(id) = modal.action_id()
        && model.actions.parked.as_ref().and_then(|p| p.action_id()) == Some(id)
    {
        model.actions.parked = None;
    }
}

fn enter(model: &mut Model, mut modal: Box<PlanModal>, effects: &mut Vec<Effect>) {
    match &modal.stage {
        Stage::Review => {
            if modal.plan.as_ref().is_some_and(|p| p.confirm.is_some()) {
                modal.stage = Stage::Confirm {
                    typed: String::new(),
                    wrong: None,
                };
            } else {
                return execute(model, modal, ExecuteRequest::default(), None, effects);
            }
        }
        Stage::Refused {
            refusal,
            key,
            request,
        } => match refusal.remedy {
            Remedy::Resend => {
                let (key, request) = (key.clone(), request.clone());
                return execute(model, modal, request, Some(key), effects);
            }
            Remedy::Confirm => {
                modal.stage = Stage::Confirm {
                    typed: String::new(),
                    wrong: None,
                }
            }
            _ => {}
        },
        Stage::NoPlan(_) => return replan(model, modal, effects),
        Stage::Following { .. } if !modal.is_live(model) => return close(model, modal),
        _ => {}
    }
    model.ui.overlay = Overlay::Plan(modal);
}

fn confirm_key(
    model: &mut Model,
    mut modal: Box<PlanModal>,
    chord: KeyChord,
    effects: &mut Vec<Effect>,
) {
    let expected = modal
        .plan
        .as_ref()
        .and_then(|p| p.confirm.clone())
        .unwrap_or_default();
    let Stage::Confirm { typed, wrong } = &mut modal.stage else {
        model.ui.overlay = Overlay::Plan(modal);
        return;
    };
    match chord.key {
        Key::Esc => modal.stage = Stage::Review,
        Key::Enter => {
            let typed = typed.trim().to_string();
            if !expected.is_empty() && typed == expected {
                let request = ExecuteRequest {
                    confirm: Some(typed),
                    ..ExecuteRequest::default()
                };
                return execute(model, modal, request, None, effects);
            }
            *wrong = Some(if typed.is_empty() {
                format!("type {expected} to confirm")
            } else {
                format!("'{typed}' is not the target: type {expected} exactly")
            });
        }
        Key::Backspace => {
            typed.pop();
            *wrong = None;
        }
        Key::Char('u') if chord.ctrl => {
            typed.clear();
            *wrong = None;
        }
        Key::Char(c) if !chord.ctrl && !chord.alt && typed.chars().count() < CONFIRM_MAX => {
            typed.push(c);
            *wrong = None;
        }
        _ => {}
    }
    model.ui.overlay = Overlay::Plan(modal);
}

/// Send the plan for execution: with `key` when retrying the same request
/// (the API answers a repeat with the first action), else a fresh key.
fn execute(
    model: &mut Model,
    mut modal: Box<PlanModal>,
    request: ExecuteRequest,
    key: Option<String>,
    effects: &mut Vec<Effect>,
) {
    if let Some(reason) = model.action_block() {
        model.toast(format!("not executed: {reason}"), true);
    } else if let Some(plan) = modal.plan.clone() {
        let key = key.unwrap_or_else(|| Uuid::new_v4().to_string());
        model.actions.remember(plan.clone());
        effects.push(Effect::Execute {
            plan: Box::new(plan),
            request: request.clone(),
            key: key.clone(),
        });
        modal.stage = Stage::Sending { key, request };
    }
    model.ui.overlay = Overlay::Plan(modal);
}

fn replan(model: &mut Model, modal: Box<PlanModal>, effects: &mut Vec<Effect>) {
    if let Some(reason) = model.action_block() {
        model.toast(format!("not planned: {reason}"), true);
        model.ui.overlay = Overlay::Plan(modal);
        return;
    }
    let can_replan = match &modal.stage {
        Stage::NoPlan(_) | Stage::Review => true,
        Stage::Refused { refusal, .. } => refusal.remedy != Remedy::Resend,
        _ => false,
    };
    match (&modal.origin, can_replan) {
        (Origin::Request(request), true) => {
            let request = request.clone();
            start_planning(model, request, effects);
        }
        (Origin::Undo { action_id }, true) => {
            let origin = modal.origin.clone();
            effects.push(Effect::Undo(action_id.clone()));
            model.ui.overlay = Overlay::Plan(Box::new(PlanModal::planning(origin)));
        }
        _ => model.ui.overlay = Overlay::Plan(modal),
    }
}

fn follow_up(model: &mut Model, modal: Box<PlanModal>, effects: &mut Vec<Effect>) {
    let offer = modal
        .action_id()
        .and_then(|id| model.actions.get(id))
        .filter(|a| a.state == ActionState::NeedsFollowUp)
        .and_then(|a| a.follow_up.as_ref())
        .map(|f| f.offer.clone());
    match offer {
        Some(request) => {
            model.ui.overlay = Overlay::Plan(modal);
            open_request(model, request, effects);
        }
        None => model.ui.overlay = Overlay::Plan(modal),
    }
}

fn take_offer(model: &mut Model, modal: Box<PlanModal>, n: usize, effects: &mut Vec<Effect>) {
    let offers_shown = matches!(
        modal.stage,
        Stage::Review | Stage::Refused { .. } | Stage::NoPlan(_)
    );
    let offer = modal
        .plan
        .as_ref()
        .filter(|_| offers_shown)
        .and_then(|p| p.offers.get(n))
        .cloned();
    model.ui.overlay = Overlay::Plan(modal);
    if let Some(request) = offer {
        open_request(model, request, effects);
    }
}

/// Plan `request` in place of the modal on screen.
fn open_request(model: &mut Model, request: PlanRequest, effects: &mut Vec<Effect>) {
    if let Some(reason) = model.action_block() {
        model.toast(format!("{}: not allowed, {reason}", request.kind.as_str()), true);
        return;
    }
    start_planning(model, request, effects);
}

fn acknowledge_cooldown(model: &mut Model, modal: Box<PlanModal>, effects: &mut Vec<Effect>) {
    match &modal.stage {
        Stage::Refused {
            refusal, request, ..
        } if refusal.remedy == Remedy::AcknowledgeCooldown => {
            // The body differs, so it is another request: a new key.
            let request = ExecuteRequest {
                acknowledge_cooldown: true,
                ..request.clone()
            };
            execute(model, modal, request, None, effects);
        }
        _ => model.ui.overlay = Overlay::Plan(modal),
    }
}

/// Why the planner (or undo) gave no plan, and what to do next.
fn plan_refusal(error: WriteError) -> Refusal {
    let (headline, remedy) = match error.status {
        None => (
            "not sent: API unreachable; press r to try again".to_string(),
            Remedy::Replan,
        ),
        Some(403) => (
            "this token may not make plans: failover actions need a commander's token".into(),
            Remedy::None,
        ),
        Some(401) => (
            "the API refused the token: check --token or WARROOM_TOKEN".into(),
            Remedy::None,
        ),
        Some(_) => (
            "no plan: the planner refused (press r to try again)".into(),
            Remedy::Replan,
        ),
    };
    Refusal {
        error,
        remedy,
        headline,
    }
}

/// Why execute was refused, and what to do next. `confirm` is the id the
/// plan wants typed, if any.
fn execute_refusal(error: WriteError, confirm: Option<&str>) -> Refusal {
    let code = error.code.as_deref().unwrap_or("");
    let (headline, remedy) = match (error.status, code) {
        (None, _) => (
            "not sent: API unreachable; press Enter to retry (same Idempotency-Key: it can never run twice)".to_string(),
            Remedy::Resend,
        ),
        (Some(409), _) | (_, "topology_changed") => (
            "the topology changed since this plan was made: press r to plan again".into(),
            Remedy::Replan,
        ),
        (Some(410), _) | (_, "plan_expired") => (
            "this plan expired: press r to plan again".into(),
            Remedy::Replan,
        ),
        (Some(404), _) => (
            "the API no longer knows this plan: press r to plan again".into(),
            Remedy::Replan,
        ),
        (Some(412), _) => (
            format!(
                "confirmation required: press Enter and type {}",
                confirm.unwrap_or("the target's id")
            ),
            Remedy::Confirm,
        ),
        (Some(423), _) => (
            "locked: another running action holds this scope; wait for it, or abort it (A)".into(),
            Remedy::Replan,
        ),
        (Some(429), _) => (
            "cooldown after an automatic action: press c to acknowledge it and run anyway".into(),
            Remedy::AcknowledgeCooldown,
        ),
        (Some(403), _) => (
            "this token may not run failover actions: they need a commander's token".into(),
            Remedy::None,
        ),
        (Some(401), _) => (
            "the API refused the token: check --token or WARROOM_TOKEN".into(),
            Remedy::None,
        ),
        (Some(status), _) => (format!("refused ({status})"), Remedy::Replan),
    };
    Refusal {
        error,
        remedy,
        headline,
    }
}

/// `evacuate_server app-04`: the kind and the target, for one line.
pub fn action_label(action: &Action) -> String {
    label(action.kind, action.target.as_deref(), &[])
}

/// The kind and target of a plan request.
pub fn request_label(request: &PlanRequest) -> String {
    label(request.kind, request.target.as_deref(), &request.options.sites)
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
