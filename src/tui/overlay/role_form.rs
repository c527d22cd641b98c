//! `O`: hand an incident role to someone. Tab chooses the role
//! (commander, communications, scribe); ←/→ picks among the people in the
//! room, or a name is typed; an empty name leaves the role vacant; Enter
//! sends it (`PUT /v1/incidents/{id}/roles/{role}`).

use crate::model::{HOLDER_MAX, IncidentRole};
use crate::tui::component::{Ctx, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::{Key, KeyChord};
use crate::tui::msg::Effect;

use super::Overlay;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleForm {
    pub incident_id: i64,
    /// An index into [`IncidentRole::ALL`].
    pub role: usize,
    pub holder: String,
    /// The person of the room last picked with ←/→.
    pub pick: Option<usize>,
}

impl RoleForm {
    /// On the commander role, with its holder filled in.
    pub fn open(incident_id: i64, ctx: &Ctx) -> RoleForm {
        let mut form = RoleForm {
            incident_id,
            role: 0,
            holder: String::new(),
            pick: None,
        };
        form.fill_holder(ctx);
        form
    }

    pub fn role(&self) -> IncidentRole {
        IncidentRole::ALL[self.role % IncidentRole::ALL.len()]
    }

    /// The role's holder now, as the console knows it.
    fn fill_holder(&mut self, ctx: &Ctx) {
        self.holder = ctx
            .data
            .roles
            .as_ref()
            .filter(|r| r.incident_id == self.incident_id)
            .and_then(|r| r.holder(self.role()))
            .unwrap_or_default()
            .to_string();
        self.pick = None;
    }

    pub fn key(&mut self, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
        match ctx.keymap.action_typing(Context::Form, &chord) {
            Some(Action::Cancel) => return Outcome::close(),
            Some(Action::Submit) => {
                let holder = self.holder.trim();
                let holder = (!holder.is_empty()).then(|| holder.to_string());
                let role = self.role();
                let note = match &holder {
                    Some(holder) => format!("handing {} to {holder}…", role.as_str()),
                    None => format!("leaving {} vacant…", role.as_str()),
                };
                return Outcome::close()
                    .effect(Effect::ChangeRole {
                        incident_id: self.incident_id,
                        role,
                        holder,
                    })
                    .note(note);
            }
            Some(Action::NextField | Action::PrevField) => {
                let n = IncidentRole::ALL.len();
                let forward = matches!(
                    ctx.keymap.action_typing(Context::Form, &chord),
                    Some(Action::NextField)
                );
                self.role = if forward {
                    (self.role + 1) % n
                } else {
                    (self.role + n - 1) % n
                };
                self.fill_holder(ctx);
                return Outcome::keep();
            }
            Some(choice @ (Action::ChoiceNext | Action::ChoicePrev)) => {
                let people = ctx.data.room.people();
                if people.is_empty() {
                    return Outcome::keep().error("nobody else is in the room: type a name");
                }
                let n = people.len();
                let next = match (self.pick, choice == Action::ChoiceNext) {
                    (None, true) => 0,
                    (None, false) => n - 1,
                    (Some(i), true) => (i + 1) % n,
                    (Some(i), false) => (i + n - 1) % n,
                };
                self.pick = Some(next);
                self.holder = people[next].name.to_string();
                return Outcome::keep();
            }
            _ => {}
        }
        match chord.key {
            Key::Backspace => {
                self.holder.pop();
            }
            Key::Char('u') if chord.ctrl => self.holder.clear(),
            Key::Char(c)
                if !chord.ctrl && !chord.alt && self.holder.chars().count() < HOLDER_MAX =>
            {
                self.holder.push(c)
            }
            _ => {}
        }
        Outcome::keep()
    }
}
