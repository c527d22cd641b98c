//! Keys while the plan modal is open: execute, confirm, retry, plan again,
//! take an offer or the follow-up, scroll, hide or close. What each key
//! does comes from the keymap's modal context.

use super::refusal::Remedy;
use super::{Origin, PlanModal, Stage, TYPE_AHEAD, hidden_note};
use crate::model::{ActionState, ExecuteRequest, PlanRequest};
use crate::tui::component::{Change, Ctx, Outcome};
use crate::tui::keymap::{Action as KeyAction, Context};
use crate::tui::keys::{Key, KeyChord};
use crate::tui::msg::Effect;
use crate::tui::overlay::{Help, Overlay};

/// The longest confirmation text accepted (ids are far shorter).
const CONFIRM_MAX: usize = 200;
/// Rows of chrome around the modal's scrolling body (border, footer, margins).
const MODAL_CHROME: usize = 8;

impl PlanModal {
    /// A key while the plan modal is open.
    pub fn key(&mut self, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
        if self.confirming() {
            return self.confirm_key(chord, ctx);
        }
        let action = ctx.keymap.action(Context::Modal, &chord);
        if self.stage == Stage::Planning {
            // Esc leaves at once; anything else waits for the plan.
            if action == Some(KeyAction::Close) {
                return Outcome::close();
            }
            if self.queued.len() < TYPE_AHEAD {
                self.queued.push(chord);
            }
            return Outcome::keep();
        }
        let page = usize::from(ctx.screen.1)
            .saturating_sub(MODAL_CHROME)
            .max(1);
        let last = self.body_rows(ctx.data);
        match action {
            Some(KeyAction::Close) => self.close(ctx),
            Some(KeyAction::Execute) => self.enter(ctx),
            Some(KeyAction::Replan) => self.replan(ctx),
            Some(KeyAction::FollowUp) => self.follow_up(ctx),
            Some(KeyAction::AcknowledgeCooldown) => self.acknowledge_cooldown(ctx),
            Some(KeyAction::TakeOffer) => self.take_offer(0, ctx),
            Some(KeyAction::AbortAction) => {
                Outcome::keep().change(Change::Run(KeyAction::AbortAction))
            }
            Some(KeyAction::Help) => {
                let me = Overlay::Plan(Box::new(self.clone()));
                Outcome::replace(Overlay::Help(Help::new(Context::Modal, Some(me))))
            }
            Some(KeyAction::Down) => self.scroll_to((self.scroll + 1).min(last)),
            Some(KeyAction::Up) => self.scroll_to(self.scroll.saturating_sub(1)),
            Some(KeyAction::PageDown) => self.scroll_to((self.scroll + page).min(last)),
            Some(KeyAction::PageUp) => self.scroll_to(self.scroll.saturating_sub(page)),
            Some(KeyAction::Top) => self.scroll_to(0),
            Some(KeyAction::Bottom) => self.scroll_to(last),
            // Offers beyond the first: their number.
            _ => match chord.key {
                Key::Char(c @ '1'..='9') if !chord.ctrl && !chord.alt => {
                    self.take_offer(c as usize - '1' as usize, ctx)
                }
                _ => Outcome::keep(),
            },
        }
    }

    fn scroll_to(&mut self, row: usize) -> Outcome<Overlay> {
        self.scroll = row;
        Outcome::keep()
    }

    /// Esc: close the modal, or hide it while its execute or action is in
    /// flight (`a` shows it again; the action continues either way).
    fn close(&mut self, ctx: &Ctx) -> Outcome<Overlay> {
        if self.is_live(ctx.data) {
            Outcome::hold().note(hidden_note(ctx))
        } else {
            Outcome::close()
        }
    }

    fn enter(&mut self, ctx: &Ctx) -> Outcome<Overlay> {
        match &self.stage {
            Stage::Review => {
                if self.plan.as_ref().is_some_and(|p| p.confirm.is_some()) {
                    self.stage = Stage::Confirm {
                        typed: String::new(),
                        wrong: None,
                    };
                } else {
                    return self.execute(ExecuteRequest::default(), None, ctx);
                }
            }
            Stage::Refused {
                refusal,
                key,
                request,
            } => match refusal.remedy {
                Remedy::Resend => {
                    let (key, request) = (key.clone(), request.clone());
                    return self.execute(request, Some(key), ctx);
                }
                Remedy::Confirm => {
                    self.stage = Stage::Confirm {
                        typed: String::new(),
                        wrong: None,
                    }
                }
                _ => {}
            },
            Stage::NoPlan(_) => return self.replan(ctx),
            Stage::Following { .. } if !self.is_live(ctx.data) => return Outcome::close(),
            _ => {}
        }
        Outcome::keep()
    }

    fn confirm_key(&mut self, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
        let expected = self
            .plan
            .as_ref()
            .and_then(|p| p.confirm.clone())
            .unwrap_or_default();
        let Stage::Confirm { typed, wrong } = &mut self.stage else {
            return Outcome::keep();
        };
        match ctx.keymap.action_typing(Context::Modal, &chord) {
            Some(KeyAction::Close) => {
                self.stage = Stage::Review;
                return Outcome::keep();
            }
            Some(KeyAction::Execute) => {
                let typed = typed.trim().to_string();
                if !expected.is_empty() && typed == expected {
                    let request = ExecuteRequest {
                        confirm: Some(typed),
                        ..ExecuteRequest::default()
                    };
                    return self.execute(request, None, ctx);
                }
                *wrong = Some(if typed.is_empty() {
                    format!("type {expected} to confirm")
                } else {
                    format!("'{typed}' is not the target: type {expected} exactly")
                });
                return Outcome::keep();
            }
            _ => {}
        }
        match chord.key {
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
        Outcome::keep()
    }

    /// Send the plan for execution: with `key` when retrying the same request
    /// (the API answers a repeat with the first action), else a fresh key.
    fn execute(
        &mut self,
        request: ExecuteRequest,
        key: Option<String>,
        ctx: &Ctx,
    ) -> Outcome<Overlay> {
        if let Some(reason) = ctx.action_block() {
            return Outcome::keep().error(format!("not executed: {reason}"));
        }
        let Some(plan) = self.plan.clone() else {
            return Outcome::keep();
        };
        let key = key.unwrap_or_else(|| ctx.ids.next());
        self.stage = Stage::Sending {
            key: key.clone(),
            request: request.clone(),
        };
        Outcome::keep()
            .change(Change::RememberPlan(Box::new(plan.clone())))
            .effect(Effect::Execute {
                plan: Box::new(plan),
                request,
                key,
            })
    }

    fn replan(&mut self, ctx: &Ctx) -> Outcome<Overlay> {
        if let Some(reason) = ctx.action_block() {
            return Outcome::keep().error(format!("not planned: {reason}"));
        }
        let can_replan = match &self.stage {
            Stage::NoPlan(_) | Stage::Review => true,
            Stage::Refused { refusal, .. } => refusal.remedy != Remedy::Resend,
            _ => false,
        };
        match (&self.origin, can_replan) {
            (Origin::Request(request), true) => {
                let (modal, effect) = PlanModal::request(request.clone());
                Outcome::replace(Overlay::Plan(Box::new(modal))).effect(effect)
            }
            (Origin::Undo { action_id }, true) => {
                let effect = Effect::Undo(action_id.clone());
                let modal = PlanModal::planning(self.origin.clone());
                Outcome::replace(Overlay::Plan(Box::new(modal))).effect(effect)
            }
            _ => Outcome::keep(),
        }
    }

    fn follow_up(&mut self, ctx: &Ctx) -> Outcome<Overlay> {
        let offer = self
            .action_id()
            .and_then(|id| ctx.data.actions.get(id))
            .filter(|a| a.state == ActionState::NeedsFollowUp)
            .and_then(|a| a.follow_up.as_ref())
            .map(|f| f.offer.clone());
        match offer {
            Some(request) => open_request(request, ctx),
            None => Outcome::keep(),
        }
    }

    fn take_offer(&mut self, n: usize, ctx: &Ctx) -> Outcome<Overlay> {
        let offers_shown = matches!(
            self.stage,
            Stage::Review | Stage::Refused { .. } | Stage::NoPlan(_)
        );
        let offer = self
            .plan
            .as_ref()
            .filter(|_| offers_shown)
            .and_then(|p| p.offers.get(n))
            .cloned();
        match offer {
            Some(request) => open_request(request, ctx),
            None => Outcome::keep(),
        }
    }

    fn acknowledge_cooldown(&mut self, ctx: &Ctx) -> Outcome<Overlay> {
        match &self.stage {
            Stage::Refused {
                refusal, request, ..
            } if refusal.remedy == Remedy::AcknowledgeCooldown => {
                // The body differs, so it is another request: a new key.
                let request = ExecuteRequest {
                    acknowledge_cooldown: true,
                    ..request.clone()
                };
                self.execute(request, None, ctx)
            }
            _ => Outcome::keep(),
        }
    }
}

/// Plan `request` in place of the modal on screen.
fn open_request(request: PlanRequest, ctx: &Ctx) -> Outcome<Overlay> {
    if let Some(reason) = ctx.action_block() {
        return Outcome::keep().error(format!("{}: not allowed, {reason}", request.kind.as_str()));
    }
    let (modal, effect) = PlanModal::request(request);
    Outcome::replace(Overlay::Plan(Box::new(modal))).effect(effect)
}
