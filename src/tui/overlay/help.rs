//! `?`: the keys of the screen in front of you, built from the live
//! keymap. Opened over another overlay, it goes back to it when closed.

use crate::tui::component::{Change, Ctx, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::KeyChord;

use super::Overlay;

#[derive(Debug, Clone)]
pub struct Help {
    pub scroll: usize,
    /// Whose keys are shown.
    pub context: Context,
    /// The overlay help was opened over, shown again when help closes.
    pub under: Option<Box<Overlay>>,
}

impl Help {
    pub fn new(context: Context, under: Option<Overlay>) -> Help {
        Help {
            scroll: 0,
            context,
            under: under.map(Box::new),
        }
    }

    pub fn key(&mut self, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
        match ctx.keymap.action(Context::List, &chord) {
            Some(Action::Down) => self.scroll += 1,
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::PageDown) => self.scroll += 10,
            Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(10),
            Some(Action::Top) => self.scroll = 0,
            _ if self.under.is_none()
                && ctx.keymap.action(Context::Global, &chord) == Some(Action::Quit) =>
            {
                return Outcome::close().change(Change::Run(Action::Quit));
            }
            // Any other key closes help, so nobody is stuck in it.
            _ => return self.close(),
        }
        Outcome::keep()
    }

    fn close(&mut self) -> Outcome<Overlay> {
        match self.under.take() {
            Some(under) => Outcome::replace(*under),
            None => Outcome::close(),
        }
    }
}
