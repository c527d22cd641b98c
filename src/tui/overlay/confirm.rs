//! A yes/no question before something that cannot be taken back lightly
//! (deleting an entry, quitting with unsaved work): one dialog for every
//! such decision, with the effect or command to run on yes.

use crate::client::JournalWrite;
use crate::tui::component::{Change, Ctx, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::KeyChord;
use crate::tui::msg::Effect;

use super::Overlay;

/// What a yes does.
#[derive(Debug, Clone, PartialEq)]
pub enum OnYes {
    /// Journal this write (a deletion).
    Journal(Box<JournalWrite>),
    /// Quit, leaving what is not saved.
    Quit,
}

#[derive(Debug, Clone)]
pub struct Confirm {
    pub question: String,
    pub then: OnYes,
    /// What a yes says in the footer.
    pub done: String,
    /// The overlay the question was asked over, shown again on no.
    pub under: Option<Box<Overlay>>,
}

impl Confirm {
    pub fn key(&mut self, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
        match ctx.keymap.action(Context::Confirm, &chord) {
            Some(Action::Yes) => {
                let out = match &self.then {
                    OnYes::Journal(write) => {
                        Outcome::close().effect(Effect::Journal(write.clone()))
                    }
                    OnYes::Quit => Outcome::close().change(Change::Quit),
                };
                out.note(self.done.clone())
            }
            Some(Action::No) => match self.under.take() {
                Some(under) => Outcome::replace(*under),
                None => Outcome::close(),
            },
            Some(Action::Help) => {
                let me = Overlay::Confirm(self.clone());
                Outcome::replace(Overlay::Help(super::Help::new(Context::Confirm, Some(me))))
            }
            _ => Outcome::keep(),
        }
    }

    /// The hint line: `y yes · n no`, from the keymap.
    pub fn hint(&self, ctx_keymap: &crate::tui::keymap::Keymap) -> String {
        let yes = ctx_keymap.hint(Context::Confirm, Action::Yes);
        let no = ctx_keymap.hint(Context::Confirm, Action::No);
        format!("{yes} = yes, {no} = no")
    }
}
