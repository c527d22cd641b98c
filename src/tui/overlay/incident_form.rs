//! `i` declares an incident (on a selected alert: from that alert), `T`
//! changes the followed one: title, severity, status, impact, components
//! and when it started, which may be back-dated like an entry's time.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::model::{
    AffectedComponent, Alert, AlertKind, AlertSeverity, ComponentStatus, Impact, Incident,
    IncidentPatch, IncidentStatus, NewIncident, Role, Severity,
};
use crate::tui::component::{Ctx, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::{Key, KeyChord};
use crate::tui::logic::when;
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
    Started,
}

impl FormField {
    pub fn label(self) -> &'static str {
        match self {
            FormField::Title => "title",
            FormField::Severity => "severity",
            FormField::Status => "status",
            FormField::Impact => "impact",
            FormField::Components => "components",
            FormField::Started => "started",
        }
    }

    /// Fields typed into, rather than cycled through.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            FormField::Title | FormField::Components | FormField::Started
        )
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
    /// When the impact started, as typed (`14:05`, `-20m`, … as for an
    /// entry's time); empty keeps `start_preset`.
    pub started: String,
    /// The start while `started` is empty: when the alert opened for a
    /// declaration from an alert, the incident's start for an edit, `None`
    /// (now) for a plain declaration.
    pub start_preset: Option<DateTime<Utc>>,
    /// The alert a declaration was made from.
    pub from_alert: Option<String>,
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
            started: String::new(),
            start_preset: None,
            from_alert: None,
            field: FormField::Title,
            error: None,
            sending: false,
            discard_armed: false,
        }
    }

    /// `i` on a selected alert: the title is the alert's text, the
    /// severity and components follow from it (and from the role of the
    /// server it is about, when it is about one), and the incident starts
    /// when the alert opened (the start of impact as far as anyone knows),
    /// so what was done before the declaration is part of it.
    pub fn from_alert(alert: &Alert, server_role: Option<Role>) -> IncidentForm {
        let title: String = alert
            .message
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(200)
            .collect();
        let (severity, impact) = match alert.severity {
            AlertSeverity::Critical => (Severity::Sev1, Impact::Major),
            AlertSeverity::Warning => (Severity::Sev2, Impact::Minor),
            AlertSeverity::Info => (Severity::Sev3, Impact::Minor),
        };
        let layer = match (alert.kind, server_role) {
            (_, Some(Role::Db)) => "Database",
            (_, Some(Role::Cache)) => "Cache",
            (_, Some(Role::Web)) => "Web servers",
            (AlertKind::SwitchSuspect, _) => "Network",
            (AlertKind::CacheDown | AlertKind::StaleClients | AlertKind::CacheNoStandby, _) => {
                "Cache"
            }
            (
                AlertKind::DatabaseDown | AlertKind::StuckBackends | AlertKind::DatabaseNoReplica,
                _,
            ) => "Database",
            (
                AlertKind::ServerDown | AlertKind::ServerFlapping | AlertKind::FailoverCapacity,
                _,
            ) => "Application servers",
            // From Alertmanager: on an app server, or on nothing warroom knows.
            (AlertKind::External | AlertKind::AutopilotHeld, Some(_)) => "Application servers",
            (AlertKind::External | AlertKind::AutopilotHeld, None) => "Monitoring",
        };
        IncidentForm {
            title: title.trim().to_string(),
            severity,
            impact,
            components: format!("Sites, {layer}"),
            start_preset: Some(alert.opened_at),
            from_alert: Some(alert.id.clone()),
            ..IncidentForm::declare()
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
            started: String::new(),
            start_preset: Some(incident.started_at),
            from_alert: None,
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
                FormField::Started,
            ],
            // The status changes with status updates (`u`), not here.
            Some(_) => &[
                FormField::Title,
                FormField::Severity,
                FormField::Impact,
                FormField::Components,
                FormField::Started,
            ],
        }
    }

    /// Whether anything was typed that Esc would throw away.
    pub fn is_modified(&self) -> bool {
        match &self.editing {
            None => {
                !self.title.trim().is_empty()
                    || !self.components.trim().is_empty()
                    || !self.started.trim().is_empty()
            }
            Some(incident) => {
                !self.started.trim().is_empty()
                    || self.title.trim() != incident.title
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

    /// What the `started` field shows while nothing is typed in it: the
    /// preset time (in `zone`) and where it comes from, or `now`.
    pub fn started_placeholder(&self, zone: chrono_tz::Tz) -> String {
        let Some(at) = self.start_preset else {
            return "now".into();
        };
        let local = at.with_timezone(&zone).format("%Y-%m-%d %H:%M:%S");
        let why = match (&self.editing, &self.from_alert) {
            (Some(_), _) => "unchanged",
            (None, Some(_)) => "when the alert opened",
            (None, None) => "preset",
        };
        format!("{local} {} ({why})", zone.name())
    }

    /// The start as typed, resolved against `now` in `zone`, else the
    /// preset; `None` means now (a plain declaration).
    pub fn started_at(
        &self,
        now: DateTime<Utc>,
        zone: chrono_tz::Tz,
    ) -> Result<Option<DateTime<Utc>>, String> {
        if self.started.trim().is_empty() {
            return Ok(self.start_preset);
        }
        let at = when::parse(&self.started, now, zone).map_err(|e| format!("started: {e}"))?;
        if at > now + chrono::TimeDelta::minutes(5) {
            return Err("started: the time is in the future".into());
        }
        Ok(Some(at))
    }

    fn effect(&self, now: DateTime<Utc>, zone: chrono_tz::Tz) -> Result<Option<Effect>, String> {
        let title = self.title.trim();
        if title.is_empty() {
            return Err("the title is empty".into());
        }
        let started_at = self.started_at(now, zone)?;
        let components = self.affected();
        Ok(match &self.editing {
            None => Some(Effect::CreateIncident(NewIncident {
                title: title.to_string(),
                severity: self.severity,
                status: self.status,
                impact: self.impact,
                components,
                started_at: Some(started_at.unwrap_or(now)),
            })),
            Some(incident) => {
                let patch = IncidentPatch {
                    title: (title != incident.title).then(|| title.to_string()),
                    severity: (self.severity != incident.severity).then_some(self.severity),
                    impact: (self.impact != incident.impact).then_some(self.impact),
                    components: (components != incident.components).then_some(components),
                    started_at: started_at.filter(|at| *at != incident.started_at),
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
        let text_field = self.field.is_text();
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
                return match self.effect(ctx.api_now(), ctx.settings.time_zone) {
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
                    FormField::Title | FormField::Components | FormField::Started => {}
                }
                return Outcome::keep();
            }
            _ => {}
        }
        if text_field {
            let (text, max) = match self.field {
                FormField::Title => (&mut self.title, 200),
                FormField::Started => (&mut self.started, 40),
                _ => (&mut self.components, 200),
            };
            match chord.key {
                Key::Backspace => {
                    text.pop();
                }
                Key::Char('u') if chord.ctrl => text.clear(),
                Key::Char(c) if !chord.ctrl && !chord.alt && text.chars().count() < max => {
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
