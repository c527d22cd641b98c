//! Small forms over the panes: declaring or changing an incident (`i`,
//! `T`), choosing the incident to follow (`I`), confirming a deletion, and
//! settling an edit that met a newer version (keep mine, take theirs, or
//! merge by hand — never a silent overwrite).

use crossterm::event::KeyEvent;

use super::compose::{self, IMPACTS};
use super::keys::{Key, KeyChord};
use super::msg::Effect;
use super::state::{Model, Overlay, Pane};
use super::update::follow_incident;
use crate::client::{JournalWrite, WriteOp};
use crate::model::{
    AffectedComponent, ComponentStatus, Impact, Incident, IncidentPatch, IncidentStatus,
    NewIncident, Severity, TimelineEntry,
};

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
}

impl IncidentForm {
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
}

/// `i`: declare an incident.
pub fn open_new_incident(model: &mut Model) {
    if let Some(reason) = model.write_block() {
        return model.toast(reason, true);
    }
    model.ui.overlay = Overlay::IncidentForm(Box::new(IncidentForm {
        editing: None,
        title: String::new(),
        severity: Severity::Sev2,
        status: IncidentStatus::Investigating,
        impact: Impact::Major,
        components: String::new(),
        field: FormField::Title,
        error: None,
        sending: false,
    }));
}

/// `T`: change the followed incident's title, severity, impact or components.
pub fn open_edit_incident(model: &mut Model) {
    if let Some(reason) = model.write_block() {
        return model.toast(reason, true);
    }
    let Some(incident) = model.incidents.current().cloned() else {
        return model.toast("no incident yet: press i to declare one", true);
    };
    model.ui.overlay = Overlay::IncidentForm(Box::new(IncidentForm {
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
        editing: Some(Box::new(incident)),
    }));
}

pub fn incident_form_key(
    model: &mut Model,
    chord: KeyChord,
    _event: KeyEvent,
    effects: &mut Vec<Effect>,
) {
    model.mark_dirty();
    let now = model.api_now();
    let Overlay::IncidentForm(form) = &mut model.ui.overlay else {
        return;
    };
    let fields = form.fields();
    let at = fields.iter().position(|f| *f == form.field).unwrap_or(0);
    let text_field = matches!(form.field, FormField::Title | FormField::Components);
    match chord.key {
        Key::Esc => model.ui.overlay = Overlay::None,
        Key::Enter => match form.effect(now) {
            Ok(Some(effect)) => {
                form.error = None;
                form.sending = true;
                effects.push(effect);
            }
            Ok(None) => model.ui.overlay = Overlay::None,
            Err(error) => form.error = Some(error),
        },
        Key::Char('s') if chord.ctrl => {
            incident_form_key(model, KeyChord::plain(Key::Enter), _event, effects)
        }
        Key::Tab | Key::Down => form.field = fields[(at + 1) % fields.len()],
        Key::BackTab | Key::Up => form.field = fields[(at + fields.len() - 1) % fields.len()],
        _ if text_field => {
            let text = match form.field {
                FormField::Title => &mut form.title,
                _ => &mut form.components,
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
        Key::Left | Key::Right | Key::Char(' ') | Key::Char('h') | Key::Char('l') => {
            let forward = !matches!(chord.key, Key::Left | Key::Char('h'));
            match form.field {
                FormField::Severity => {
                    form.severity = compose::cycle(&SEVERITIES, form.severity, forward)
                }
                FormField::Status => {
                    form.status = compose::cycle(&INCIDENT_STATUSES, form.status, forward)
                }
                FormField::Impact => form.impact = compose::cycle(&IMPACTS, form.impact, forward),
                FormField::Title | FormField::Components => {}
            }
        }
        _ => {}
    }
}

/// The API took the form's write: close it.
pub(super) fn incident_saved(model: &mut Model) {
    if matches!(&model.ui.overlay, Overlay::IncidentForm(form) if form.sending) {
        model.ui.overlay = Overlay::None;
    }
}

/// The API refused the form's write: keep the form, with the reason.
pub(super) fn incident_not_saved(model: &mut Model, error: &str) -> bool {
    match &mut model.ui.overlay {
        Overlay::IncidentForm(form) if form.sending => {
            form.sending = false;
            form.error = Some(format!("not saved: {error}"));
            true
        }
        _ => false,
    }
}

/// Choosing the incident to follow: open ones first, then recently resolved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Switcher {
    pub selected: usize,
}

/// The incidents the switcher lists, in its order.
pub fn switcher_rows(model: &Model) -> Vec<&Incident> {
    model
        .incidents
        .open
        .iter()
        .chain(&model.incidents.recent)
        .collect()
}

/// `I`: the incident switcher, on the followed incident.
pub fn open_switcher(model: &mut Model) {
    let current = model.incidents.current().map(|i| i.id);
    let selected = switcher_rows(model)
        .iter()
        .position(|i| Some(i.id) == current)
        .unwrap_or(0);
    model.ui.overlay = Overlay::Switcher(Switcher { selected });
}

pub fn switcher_key(model: &mut Model, chord: KeyChord, effects: &mut Vec<Effect>) {
    model.mark_dirty();
    let len = switcher_rows(model).len();
    let Overlay::Switcher(switcher) = &mut model.ui.overlay else {
        return;
    };
    match chord.key {
        Key::Esc | Key::Char('q') => model.ui.overlay = Overlay::None,
        Key::Down | Key::Char('j') | Key::Tab => {
            switcher.selected = (switcher.selected + 1).min(len.saturating_sub(1))
        }
        Key::Up | Key::Char('k') | Key::BackTab => {
            switcher.selected = switcher.selected.saturating_sub(1)
        }
        Key::Enter => {
            let at = switcher.selected;
            let chosen = switcher_rows(model).get(at).map(|i| i.id);
            model.ui.overlay = Overlay::None;
            if let Some(id) = chosen {
                // The newest open incident is followed by default; choosing
                // it keeps following whatever becomes newest.
                let newest = model.incidents.open.first().map(|i| i.id);
                model.incidents.select((Some(id) != newest).then_some(id));
                model.ui.timeline = Default::default();
                follow_incident(model, effects);
                model.toast(format!("following incident #{id}"), false);
            }
        }
        _ => {}
    }
}

/// A question with yes/no.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub question: String,
    pub then: Box<JournalWrite>,
}

/// `d`: delete the selected entry, after a yes.
pub fn confirm_delete(model: &mut Model) {
    if model.ui.focus != Pane::Timeline {
        return model.toast("select an entry in the timeline first (4, then j/k)", true);
    }
    if let Some(reason) = model.write_block() {
        return model.toast(reason, true);
    }
    let Some(entry) = model
        .incidents
        .timeline
        .entries
        .get(model.ui.timeline.selected)
        .cloned()
    else {
        return model.toast("select an entry in the timeline first (4, then j/k)", true);
    };
    if entry.is_immutable() {
        return model.toast(
            "entries from detectors and actions are kept as recorded and cannot be deleted",
            true,
        );
    }
    let first = entry.body.lines().next().unwrap_or("").to_string();
    model.ui.overlay = Overlay::Confirm(Confirm {
        question: format!(
            "Delete entry #{} \"{}\"? It stays in the audit log. y = delete, n = keep",
            entry.id,
            super::sanitize(&first)
        ),
        then: Box::new(JournalWrite {
            id: uuid::Uuid::new_v4().to_string(),
            incident_id: entry.incident_id,
            made_at: model.api_now(),
            op: WriteOp::DeleteEntry {
                entry_id: entry.id,
                base_version: entry.version,
            },
        }),
    });
}

pub fn confirm_key(model: &mut Model, chord: KeyChord, effects: &mut Vec<Effect>) {
    model.mark_dirty();
    match chord.key {
        Key::Char('y') | Key::Char('Y') => {
            if let Overlay::Confirm(confirm) =
                std::mem::replace(&mut model.ui.overlay, Overlay::None)
            {
                effects.push(Effect::Journal(confirm.then));
                model.toast("deleted", false);
            }
        }
        Key::Char('n') | Key::Char('N') | Key::Esc | Key::Char('q') => {
            model.ui.overlay = Overlay::None
        }
        _ => {}
    }
}

/// An edit that met a newer version of its entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictView {
    /// The write as it was made (its base version is old).
    pub mine: JournalWrite,
    /// The entry as it is on the server now.
    pub theirs: TimelineEntry,
}

impl ConflictView {
    /// My text, when my write changed the text.
    pub fn my_body(&self) -> Option<&str> {
        match &self.mine.op {
            WriteOp::UpdateEntry { patch, .. } => patch.body.as_deref(),
            _ => None,
        }
    }

    pub fn is_delete(&self) -> bool {
        matches!(self.mine.op, WriteOp::DeleteEntry { .. })
    }
}

/// A conflict came back: show it now, or when the screen is free.
pub(super) fn conflict(model: &mut Model, mine: JournalWrite, theirs: TimelineEntry) {
    model.conflicts.push(ConflictView { mine, theirs });
    show_queued_conflict(model);
}

pub(super) fn show_queued_conflict(model: &mut Model) {
    if model.ui.overlay.is_none() && !model.conflicts.is_empty() {
        let next = model.conflicts.remove(0);
        model.ui.overlay = Overlay::Conflict(Box::new(next));
    }
}

/// `k` keep mine (sent again on top of theirs), `t` take theirs (mine is
/// dropped), `m` merge by hand in the editor (both texts, on theirs).
pub fn conflict_key(model: &mut Model, chord: KeyChord, effects: &mut Vec<Effect>) {
    model.mark_dirty();
    let Overlay::Conflict(view) = &model.ui.overlay else {
        return;
    };
    let view = view.clone();
    match chord.key {
        Key::Char('k') => {
            let op = match view.mine.op {
                WriteOp::UpdateEntry {
                    entry_id, patch, ..
                } => WriteOp::UpdateEntry {
                    entry_id,
                    base_version: view.theirs.version,
                    patch,
                },
                WriteOp::DeleteEntry { entry_id, .. } => WriteOp::DeleteEntry {
                    entry_id,
                    base_version: view.theirs.version,
                },
                create @ WriteOp::CreateEntry { .. } => create,
            };
            effects.push(Effect::Journal(Box::new(JournalWrite {
                id: uuid::Uuid::new_v4().to_string(),
                incident_id: view.mine.incident_id,
                made_at: model.api_now(),
                op,
            })));
            model.ui.overlay = Overlay::None;
            model.toast("kept yours: saved over theirs", false);
        }
        Key::Char('t') | Key::Esc => {
            model.ui.overlay = Overlay::None;
            model.toast("took theirs: your change was dropped", false);
        }
        Key::Char('m') if !view.is_delete() => {
            model.ui.overlay = Overlay::None;
            let merged = match view.my_body() {
                Some(mine) if mine != view.theirs.body => {
                    format!("{}\n──── yours ────\n{}", view.theirs.body, mine)
                }
                _ => view.theirs.body.clone(),
            };
            compose::open_merge(model, &view.theirs, &merged);
        }
        _ => {}
    }
    show_queued_conflict(model);
}
