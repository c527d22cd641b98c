//! Reading a timeline entry in full (Enter on the timeline; an alert has
//! its own view, `alert_view`). The text is kept as the API sent
//! it; the view wraps and sanitises it. j/k and the page keys scroll; any
//! other key closes.

use crate::model::TimelineEntry;
use crate::tui::component::{Ctx, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::KeyChord;

use super::Overlay;

/// What is being read.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    Entry(Box<TimelineEntry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reader {
    pub reading: Reading,
    /// First row of the text shown.
    pub scroll: usize,
}

impl Reader {
    pub fn entry(entry: TimelineEntry) -> Reader {
        Reader {
            reading: Reading::Entry(Box::new(entry)),
            scroll: 0,
        }
    }

    /// Rows the text has at most (one per line, before wrapping), to keep
    /// scrolling inside it.
    fn rows(&self) -> usize {
        match &self.reading {
            Reading::Entry(entry) => entry.body.lines().count() + 8,
        }
    }

    pub fn key(&mut self, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
        let last = self.rows();
        match ctx.keymap.action(Context::List, &chord) {
            Some(Action::Down) => self.scroll = (self.scroll + 1).min(last),
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::PageDown) => self.scroll = (self.scroll + 10).min(last),
            Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(10),
            Some(Action::Top) => self.scroll = 0,
            Some(Action::Bottom) => self.scroll = last,
            _ => return Outcome::close(),
        }
        Outcome::keep()
    }
}
