//! One alert, to work it (Enter on the alerts pane): its full text, since
//! when, the nodes and sites it touches, its runbook link, and the keys
//! that act on it — the suggested plan (the same key as in the panes),
//! acknowledge, silence (a duration and a reason). It reads the alert from
//! the mirror each time, so an acknowledgment or a silence shows at once;
//! once the alert resolved it keeps the last copy and says so.

use crossterm::event::KeyEvent;

use crate::model::{Alert, PlanRequest, SilenceRequest};
use crate::tui::component::{Ctx, Outcome};
use crate::tui::data::Mirror;
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::{Key, KeyChord};
use crate::tui::msg::Effect;
use crate::tui::target::request_for_alert;

use super::{Overlay, PlanModal};

/// The silence durations offered, in seconds.
pub const SILENCE_CHOICES: [u64; 5] = [15 * 60, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600];

#[derive(Debug, Clone, PartialEq)]
pub struct AlertView {
    /// The alert as last seen (kept when it resolves).
    pub alert: Alert,
    /// First row of the text shown.
    pub scroll: usize,
    /// The silence form, while it is open.
    pub silence: Option<SilenceForm>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SilenceForm {
    /// Index into [`SILENCE_CHOICES`].
    pub duration: usize,
    pub reason: String,
    /// Typing goes to the reason; the choice keys change the duration.
    pub error: Option<String>,
}

impl AlertView {
    pub fn new(alert: Alert) -> AlertView {
        AlertView {
            alert,
            scroll: 0,
            silence: None,
        }
    }

    /// The alert as the mirror holds it now (listed or silenced), or the
    /// last copy once it resolved (`false`).
    pub fn current<'a>(&'a self, data: &'a Mirror) -> (&'a Alert, bool) {
        match data.alerts.find(&self.alert.id) {
            Some(alert) => (alert, true),
            None => (&self.alert, false),
        }
    }

    pub fn key(&mut self, chord: KeyChord, _event: KeyEvent, ctx: &Ctx) -> Outcome<Overlay> {
        let (alert, open) = self.current(ctx.data);
        let alert = alert.clone();
        self.alert = alert.clone();
        if self.silence.is_some() {
            return self.silence_key(chord, ctx);
        }
        if let Some(action) = ctx.keymap.action(Context::List, &chord) {
            let last = alert.message.lines().count() + 12;
            match action {
                Action::Down => self.scroll = (self.scroll + 1).min(last),
                Action::Up => self.scroll = self.scroll.saturating_sub(1),
                Action::PageDown => self.scroll = (self.scroll + 10).min(last),
                Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
                Action::Top => self.scroll = 0,
                Action::Bottom => self.scroll = last,
                _ => return Outcome::close(),
            }
            return Outcome::keep();
        }
        let Some(action) = ctx.keymap.action(Context::Global, &chord) else {
            return Outcome::close();
        };
        match action {
            Action::AckAlert | Action::SilenceAlert if !open => {
                Outcome::keep().error("this alert has resolved: nothing to acknowledge or silence")
            }
            Action::AckAlert => match ctx.write_block() {
                Some(reason) => {
                    Outcome::keep().error(format!("acknowledge: not allowed, {reason}"))
                }
                None => Outcome::keep()
                    .effect(Effect::AckAlert(alert.id.clone()))
                    .note("acknowledging…"),
            },
            Action::SilenceAlert => match ctx.write_block() {
                Some(reason) => Outcome::keep().error(format!("silence: not allowed, {reason}")),
                None => {
                    self.silence = Some(SilenceForm {
                        duration: 1,
                        reason: String::new(),
                        error: None,
                    });
                    Outcome::keep()
                }
            },
            Action::Help => {
                let me = Overlay::AlertView(Box::new(self.clone()));
                Outcome::replace(Overlay::Help(super::Help::new(Context::List, Some(me))))
            }
            other => match request_for_alert(&alert) {
                Some((key, request)) if key == other => self.plan(request, ctx),
                _ => Outcome::close(),
            },
        }
    }

    /// The suggested plan, through the usual preview and confirmation.
    fn plan(&self, request: PlanRequest, ctx: &Ctx) -> Outcome<Overlay> {
        if let Some(reason) = ctx.action_block() {
            return Outcome::keep()
                .error(format!("{}: not allowed, {reason}", request.kind.as_str()));
        }
        let (modal, effect) = PlanModal::request(request);
        Outcome::replace(Overlay::Plan(Box::new(modal))).effect(effect)
    }

    fn silence_key(&mut self, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
        let Some(form) = self.silence.as_mut() else {
            return Outcome::keep();
        };
        match ctx.keymap.action_typing(Context::Form, &chord) {
            Some(Action::Cancel) => {
                self.silence = None;
                return Outcome::keep();
            }
            Some(Action::Submit) => {
                let reason = form.reason.trim();
                if reason.is_empty() {
                    form.error = Some("say why it is silenced (the timeline keeps it)".into());
                    return Outcome::keep();
                }
                let request = SilenceRequest {
                    duration_s: SILENCE_CHOICES[form.duration],
                    reason: reason.to_string(),
                };
                let id = self.alert.id.clone();
                self.silence = None;
                return Outcome::keep()
                    .effect(Effect::SilenceAlert { id, request })
                    .note("silencing…");
            }
            Some(
                choice @ (Action::ChoiceNext
                | Action::ChoicePrev
                | Action::NextField
                | Action::PrevField),
            ) => {
                let forward = matches!(choice, Action::ChoiceNext | Action::NextField);
                let n = SILENCE_CHOICES.len();
                form.duration = if forward {
                    (form.duration + 1) % n
                } else {
                    (form.duration + n - 1) % n
                };
                return Outcome::keep();
            }
            _ => {}
        }
        form.error = None;
        match chord.key {
            Key::Backspace => {
                form.reason.pop();
            }
            Key::Char('u') if chord.ctrl => form.reason.clear(),
            Key::Char(c)
                if !chord.ctrl
                    && !chord.alt
                    && form.reason.chars().count() < SilenceRequest::MAX_REASON =>
            {
                form.reason.push(c)
            }
            _ => {}
        }
        Outcome::keep()
    }
}
