//! Keys while the plan modal is open: execute, confirm, retry, plan again,
//! take an offer or the follow-up, scroll, hide or close.

use uuid::Uuid;

use super::refusal::Remedy;
use super::{Origin, PlanModal, Stage, abort, start_planning};
use crate::model::{ActionState, ExecuteRequest, PlanRequest};
use crate::tui::keymap::Action as KeyAction;
use crate::tui::keys::{Key, KeyChord};
use crate::tui::msg::Effect;
use crate::tui::state::{Model, Overlay};

/// The longest confirmation text accepted (ids are far shorter).
const CONFIRM_MAX: usize = 200;
/// Rows of chrome around the modal's scrolling body (border, footer, margins).
const MODAL_CHROME: usize = 8;

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
    let page = usize::from(model.screen.1)
        .saturating_sub(MODAL_CHROME)
        .max(1);
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

/// Esc: close the modal, or hide it while its execute or action is in
/// flight (`a` shows it again; the action continues either way).
fn close(model: &mut Model, modal: Box<PlanModal>) {
    if modal.is_live(model) {
        let show = model.keymap.hint(KeyAction::ShowAction);
        model.actions.parked = Some(modal);
        model.toast(
            format!("hidden: the action continues ({show} shows it again)"),
            false,
        );
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
    model.ui.overlay = Overlay::Plan(modal);
    if let Some(request) = offer {
        open_request(model, request, effects);
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
        model.toast(
            format!("{}: not allowed, {reason}", request.kind.as_str()),
            true,
        );
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
