//! `I`: choosing the incident to follow, open ones first, then recently
//! resolved ones.

use crate::model::Incident;
use crate::tui::component::{Change, Ctx, Outcome};
use crate::tui::data::IncidentBoard;
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::KeyChord;

use super::Overlay;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Switcher {
    pub selected: usize,
}

/// The incidents the switcher lists, in its order.
pub fn rows(incidents: &IncidentBoard) -> Vec<&Incident> {
    incidents.open.iter().chain(&incidents.recent).collect()
}

impl Switcher {
    /// On the followed incident.
    pub fn open(incidents: &IncidentBoard) -> Switcher {
        let current = incidents.current().map(|i| i.id);
        let selected = rows(incidents)
            .iter()
            .position(|i| Some(i.id) == current)
            .unwrap_or(0);
        Switcher { selected }
    }

    pub fn key(&mut self, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
        let incidents = &ctx.data.incidents;
        let len = rows(incidents).len();
        match ctx.keymap.action(Context::Form, &chord) {
            Some(Action::Cancel) => Outcome::close(),
            Some(Action::Down | Action::NextField) => {
                self.selected = (self.selected + 1).min(len.saturating_sub(1));
                Outcome::keep()
            }
            Some(Action::Up | Action::PrevField) => {
                self.selected = self.selected.saturating_sub(1);
                Outcome::keep()
            }
            Some(Action::Submit) => match rows(incidents).get(self.selected).map(|i| i.id) {
                Some(id) => {
                    // The newest open incident is followed by default;
                    // choosing it keeps following whatever becomes newest.
                    let newest = incidents.open.first().map(|i| i.id);
                    Outcome::close()
                        .change(Change::FollowIncident((Some(id) != newest).then_some(id)))
                        .note(format!("following incident #{id}"))
                }
                None => Outcome::close(),
            },
            _ => Outcome::keep(),
        }
    }
}
