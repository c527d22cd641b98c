//! Everything drawn over the panes that takes the keys first. Each overlay
//! is one module owning its state, its keys and its answers to API
//! replies; [`Overlay`] only routes to them.

mod alert_view;
pub mod composer;
mod confirm;
mod conflict;
mod help;
mod incident_form;
mod palette;
pub mod plan;
mod reader;
mod role_form;
mod switcher;

pub use alert_view::{AlertView, SILENCE_CHOICES, SilenceForm};
pub use composer::{Composer, NewKind};
pub use confirm::{Confirm, OnYes};
pub use conflict::{ConflictView, MERGE_SEPARATOR};
pub use help::Help;
pub use incident_form::{FormField, INCIDENT_STATUSES, IncidentForm, SEVERITIES};
pub use palette::{Palette, matches as palette_matches};
pub use plan::{Origin, PlanModal, Refusal, Remedy, Stage as PlanStage};
pub use reader::{Reader, Reading};
pub use role_form::RoleForm;
pub use switcher::{Switcher, rows as switcher_rows};

use crossterm::event::KeyEvent;

use super::component::{Ctx, Outcome};
use super::keymap::Context;
use super::keys::KeyChord;
use super::msg::Wrote;

/// What is drawn over the panes and takes the keys first.
#[derive(Debug, Clone)]
pub enum Overlay {
    None,
    Help(Help),
    Palette(Palette),
    /// Writing or editing a timeline entry (and previewing a status update).
    Compose(Box<Composer>),
    /// Creating or changing an incident.
    IncidentForm(Box<IncidentForm>),
    /// Choosing which incident the console follows.
    Switcher(Switcher),
    /// A yes/no question before something that cannot be taken back lightly.
    Confirm(Confirm),
    /// An edit met a newer version: keep mine, take theirs, or merge.
    Conflict(Box<ConflictView>),
    /// A failover plan, its execution and its result.
    Plan(Box<PlanModal>),
    /// A timeline entry or an alert, in full.
    Reader(Reader),
    /// An alert, to work it: plan, acknowledge, silence.
    AlertView(Box<AlertView>),
    /// Handing an incident role to someone.
    RoleForm(RoleForm),
}

impl Overlay {
    pub fn is_none(&self) -> bool {
        matches!(self, Overlay::None)
    }

    /// The keymap context of the overlay (the panes' when none is open).
    pub fn context(&self) -> Context {
        match self {
            Overlay::None => Context::Global,
            Overlay::Help(_) | Overlay::Reader(_) | Overlay::AlertView(_) => Context::List,
            Overlay::Palette(_) => Context::Palette,
            Overlay::Compose(_) => Context::Editor,
            Overlay::IncidentForm(_) | Overlay::Switcher(_) | Overlay::RoleForm(_) => Context::Form,
            Overlay::Confirm(_) => Context::Confirm,
            Overlay::Conflict(_) => Context::Conflict,
            Overlay::Plan(_) => Context::Modal,
        }
    }

    /// Whether closing it now would throw away something typed or
    /// undecided: a draft, a filled form, a conflict not settled.
    pub fn unsaved_work(&self) -> Option<&'static str> {
        match self {
            Overlay::Compose(c) if c.is_modified() => Some("a timeline entry you are writing"),
            Overlay::IncidentForm(f) if f.is_modified() => Some("the incident form"),
            Overlay::Conflict(_) => Some("an edit conflict not settled"),
            Overlay::Help(h) => h.under.as_ref().and_then(|u| u.unsaved_work()),
            Overlay::Confirm(c) => c.under.as_ref().and_then(|u| u.unsaved_work()),
            _ => None,
        }
    }

    pub fn key(&mut self, chord: KeyChord, event: KeyEvent, ctx: &Ctx) -> Outcome<Overlay> {
        match self {
            Overlay::None => Outcome::keep(),
            Overlay::Help(help) => help.key(chord, ctx),
            Overlay::Palette(palette) => palette.key(chord, ctx),
            Overlay::Compose(composer) => composer.key(chord, event, ctx),
            Overlay::IncidentForm(form) => form.key(chord, event, ctx),
            Overlay::Switcher(switcher) => switcher.key(chord, ctx),
            Overlay::Confirm(confirm) => confirm.key(chord, ctx),
            Overlay::Conflict(conflict) => conflict.key(chord, ctx),
            Overlay::Plan(modal) => modal.key(chord, ctx),
            Overlay::Reader(reader) => reader.key(chord, ctx),
            Overlay::AlertView(view) => view.key(chord, event, ctx),
            Overlay::RoleForm(form) => form.key(chord, ctx),
        }
    }

    /// An answer to a write, when it is this overlay's (`None`: not its).
    pub fn on_reply(&mut self, wrote: &Wrote, ctx: &Ctx) -> Option<Outcome<Overlay>> {
        match self {
            Overlay::IncidentForm(form) => form.on_reply(wrote),
            Overlay::Plan(modal) => modal.on_reply(wrote, ctx),
            Overlay::Help(Help {
                under: Some(under), ..
            }) => under.on_reply(wrote, ctx).map(|o| {
                // Help stays on top; what it covers took the answer.
                Outcome {
                    next: crate::tui::component::Next::Keep,
                    ..o
                }
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
