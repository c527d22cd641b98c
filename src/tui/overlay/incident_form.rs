//! `i` declares an incident, `T` changes the followed one: title,
//! severity, status, impact and components.

use crossterm::event::KeyEvent;

use crate::model::{
    AffectedComponent, ComponentStatus, Impact, Incident, IncidentPatch, IncidentStatus,
    NewIncident, Severity,
};
use crate::tui::component::{Ctx, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::{Key, KeyChord};
use crate::tui::msg::{Effect, Wrote};

use super::Overlay;
use super::composer::{IMPACTS, cycle};

pub const SEVERITIES: [Severity; 4] = [
    Severity::Sev1,
    Severity::Sev2,
    Severity::Sev3,
    Severity::Sev4,
];
pub const INCIDENT_STATUSES: [IncidentStatus; 4] = [
    IncidentStatus::Investigating,
    IncidentStatus::Identified,
    IncidentStatus::Monitoring,
    IncidentStatus::Resolved,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Title,
    Severity,
    Status,
    Impact,
    Components,
}

impl FormField {
    pub fn label(self) -> &'static str {
        match self {
            FormField::Title => "title",
            FormField::Severity => "severity",
            FormField::Status => "status",
            FormField::Impact => "impact",
            FormField::Components => "components",
        }
    }
}

/// Declaring an incident, or changing the followed one.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentForm {
    /// `None` declares a new incident; else the incident being changed.
    pub editing: Option<Box<Incident>>,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub impact: Impact,
    /// Affected components, comma-separated.
    pub components: String,
    pub field: FormField,
    pub error: Option<String>,
    /// Sent; waiting for the API's answer.
    pub sending: bool,
    /// Esc was pressed once with something typed: a second Esc discards.
    pub discard_armed: bool,
}

impl IncidentForm {
    /// `i`: an empty form for a new incident.
    pub fn declare() -> IncidentForm {
        IncidentForm {
            editing: None,
            title: String::new(),
            severity: Severity::Sev2,
            status: IncidentStatus::Investigating,
            impact: Impact::Major,
            components: String::new(),
            field: FormField::Title,
            error: None,
            sending: false,
            discard_armed: false,
        }
    }

    /// `T`: the incident as it is.
    pub fn edit(incident: Incident) -> IncidentForm {
        IncidentForm {
            title: incident.title.clone(),
            severity: incident.severity,
            status: incident.status,
            impact: incident.impact,
            components: incident
                .components
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            field: FormField::Title,
            error: None,
            sending: false,
            discard_armed: false,
            editing: Some(Box::new(incident)),
        }
    }

    pub fn fields(&self) -> &'static [FormField] {
        match self.editing {
            None => &[
                FormField::Title,
                FormField::Severity,
                FormField::Status,
                FormField::Impact,
                FormField::Components,
            ],
            // The status changes with status updates (`u`), not here.
            Some(_) => &[
                FormField::Title,
                FormField::Severity,
                FormField::Impact,
                FormField::Components,
            ],
        }
    }

    /// Whether anything was typed that Esc would throw away.
    pub fn is_modified(&self) -> bool {
        match &self.editing {
            None => !self.title.trim().is_empty() || !self.components.trim().is_empty(),
            Some(incident) => {
                self.title.trim() != incident.title
                    || self.severity != incident.severity
                    || self.impact != incident.impact
                    || self.affected() != incident.components
            }
        }
    }

    /// The components as typed, with a status each: kept from the incident
    /// when it lists them, else derived from the impact.
    pub fn affected(&self) -> Vec<AffectedComponent> {
        let default = match self.impact {
            Impact::None => ComponentStatus::Operational,
            Impact::Minor => ComponentStatus::DegradedPerformance,
            Impact::Major => ComponentStatus::PartialOutage,
            Impact::Critical => ComponentStatus::MajorOutage,
        };
        let mut out: Vec<AffectedComponent> = Vec::new();
        for name in self.components.split(',').map(str::trim) {
            if name.is_empty() || out.iter().any(|c| c.name == name) {
                continue;
            }
            let status = self
                .editing
                .as_ref()
                .and_then(|i| i.components.iter().find(|c| c.name == name))
                .map_or(default, |c| c.status);
            out.push(AffectedComponent {
                name: name.to_string(),
                status,
            });
        }
        out
    }

    fn effect(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Option<Effect>, String> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err("the title is empty".into());
        }
        let components = self.affected();
        Ok(match &self.editing {
            None => Some(Effect::CreateIncident(NewIncident {
                title: title.to_string(),
                severity: self.severity,
                status: self.status,
                impact: self.impact,
                components,
                started_at: Some(now),
            })),
            Some(incident) => {
                let patch = IncidentPatch {
                    title: (title != incident.title).then(|| title.to_string()),
                    severity: (self.severity != incident.severity).then_some(self.severity),
                    impact: (self.impact != incident.impact).then_some(self.impact),
                    components: (components != incident.components).then_some(components),
                    ..IncidentPatch::default()
                };
                (patch != IncidentPatch::default()).then_some(Effect::UpdateIncident {
                    id: incident.id,
                    base_version: incident.version,
                    patch,
                })
            }
        })
    }

    pub fn key(&mut self, chord: KeyChord, _event: KeyEvent, ctx: &Ctx) -> Outcome<Overlay> {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.field).unwrap_or(0);
        let text_field = matches!(self.field, FormField::Title | FormField::Components);
        let action = if text_field {
            ctx.keymap.action_typing(Context::Form, &chord)
        } else {
            ctx.keymap.action(Context::Form, &chord)
        };
        if action != Some(Action::Cancel) {
            self.discard_armed = false;
        }
        match action {
            Some(Action::Cancel) => {
                if self.is_modified() && !self.discard_armed {
                    self.discard_armed = true;
                    let esc = ctx.key(Context::Form, Action::Cancel);
                    self.error = Some(format!("press {esc} again to discard what you typed"));
                    return Outcome::keep();
                }
                return Outcome::close();
            }
            Some(Action::Submit) => {
                return match self.effect(ctx.api_now()) {
                    Ok(Some(effect)) => {
                        self.error = None;
                        self.sending = true;
                        Outcome::keep().effect(effect)
                    }
                    Ok(None) => Outcome::close(),
                    Err(error) => {
                        self.error = Some(error);
                        Outcome::keep()
                    }
                };
            }
            Some(Action::NextField | Action::Down) => {
                self.field = fields[(at + 1) % fields.len()];
                return Outcome::keep();
            }
            Some(Action::PrevField | Action::Up) => {
                self.field = fields[(at + fields.len() - 1) % fields.len()];
                return Outcome::keep();
            }
            Some(Action::Help) => {
                let me = Overlay::IncidentForm(Box::new(self.clone()));
                return Outcome::replace(Overlay::Help(super::Help::new(Context::Form, Some(me))));
            }
            Some(choice @ (Action::ChoiceNext | Action::ChoicePrev)) if !text_field => {
                let forward = choice == Action::ChoiceNext;
                match self.field {
                    FormField::Severity => {
                        self.severity = cycle(&SEVERITIES, self.severity, forward)
                    }
                    FormField::Status => {
                        self.status = cycle(&INCIDENT_STATUSES, self.status, forward)
                    }
                    FormField::Impact => self.impact = cycle(&IMPACTS, self.impact, forward),
                    FormField::Title | FormField::Components => {}
                }
                return Outcome::keep();
            }
            _ => {}
        }
        if text_field {
            let text = match self.field {
                FormField::Title => &mut self.title,
                _ => &mut self.components,
            };
            match chord.key {
                Key::Backspace => {
                    text.pop();
                }
                Key::Char('u') if chord.ctrl => text.clear(),
                Key::Char(c) if !chord.ctrl && !chord.alt && text.chars().count() < 200 => {
                    text.push(c)
                }
                _ => {}
            }
        }
        Outcome::keep()
    }

    /// The answer to the form's write: close on success, keep the form
    /// with the reason on a refusal. `None` when the answer is not ours.
    pub fn on_reply(&mut self, wrote: &Wrote) -> Option<Outcome<Overlay>> {
        let Wrote::Incident { created, result } = wrote else {
            return None;
        };
        // A declare form waits for a creation; an edit for a change of its
        // incident (not, say, a status update's change sent just before).
        let ours = match (&self.editing, result) {
            (None, _) => *created,
            (Some(incident), Ok(answer)) => !created && answer.id == incident.id,
            (Some(_), Err(_)) => !created,
        };
        if !self.sending || !ours {
            return None;
        }
        self.sending = false;
        Some(match result {
            Ok(_) => Outcome::close(),
            Err(error) => {
                self.error = Some(format!("not saved: {error}"));
                Outcome::keep()
            }
        })
    }
}
