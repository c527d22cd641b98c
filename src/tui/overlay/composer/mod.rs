//! The timeline entry editor (DESIGN.md §5): `n` note, `u` status update,
//! `m` marker, `e`/Enter edit. The body is a multi-line text area with the
//! usual keys; Tab moves between the fields; Ctrl-S saves (a status update
//! goes through its preview first); Esc cancels (twice when text was typed,
//! so nothing is lost to a stray key).
//!
//! Every write goes through the offline journal: the composer's write id is
//! fixed when it opens, so saving again after a failure cannot post twice.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui_textarea::{TextArea, WrapMode};

mod save;

use super::Overlay;
use crate::client::{JournalWrite, WriteOp};
use crate::model::{
    AffectedComponent, ComponentStatus, EntryKind, EntryPatch, Impact, Marker, NewEntry,
    TimelineEntry, UpdateStatus, Visibility,
};
use crate::tui::component::{Ctx, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::{Key, KeyChord};
use crate::tui::logic::{preview, when};

/// What `n`, `u` and `m` start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewKind {
    Note,
    StatusUpdate,
    Marker,
}

/// A new entry, or an edit of an existing one.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    New,
    Edit { original: Box<TimelineEntry> },
}

/// The parts of the editor Tab moves between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Status,
    Impact,
    Components,
    Marker,
    Body,
    Visibility,
    Occurred,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Impact => "impact",
            Field::Components => "components",
            Field::Marker => "marker",
            Field::Body => "text",
            Field::Visibility => "visibility",
            Field::Occurred => "occurred",
        }
    }
}

/// Editing, or looking at what a status update will publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Editing,
    Preview,
}

/// An entry being written or edited.
#[derive(Debug, Clone)]
pub struct Composer {
    pub incident_id: i64,
    pub mode: Mode,
    pub kind: EntryKind,
    pub status: UpdateStatus,
    pub visibility: Visibility,
    pub marker: Marker,
    pub starred: bool,
    /// When it happened, as typed: empty means now (or unchanged for an
    /// edit); `14:05`, `2026-11-21 14:05`, a trailing `UTC` for UTC (else
    /// the configured zone), or `-15m` / `-2h` back from now.
    pub occurred: String,
    pub body: TextArea<'static>,
    pub field: Field,
    pub stage: Stage,
    /// A status update also sets the incident's impact and components.
    pub impact: Impact,
    pub components: Vec<AffectedComponent>,
    pub component: usize,
    /// The journal id and Idempotency-Key of this write.
    pub write_id: String,
    pub error: Option<String>,
    /// Esc was pressed once with text typed: a second Esc discards.
    pub discard_armed: bool,
    /// Saving a merge that still holds the separator line asked once.
    pub separator_armed: bool,
}

pub const STATUSES: [UpdateStatus; 5] = [
    UpdateStatus::Investigating,
    UpdateStatus::Identified,
    UpdateStatus::Update,
    UpdateStatus::Monitoring,
    UpdateStatus::Resolved,
];
pub const IMPACTS: [Impact; 4] = [Impact::None, Impact::Minor, Impact::Major, Impact::Critical];
pub const MARKERS: [Marker; 4] = [
    Marker::Detected,
    Marker::Acknowledged,
    Marker::Mitigated,
    Marker::Resolved,
];
pub const COMPONENT_STATUSES: [ComponentStatus; 5] = [
    ComponentStatus::Operational,
    ComponentStatus::DegradedPerformance,
    ComponentStatus::PartialOutage,
    ComponentStatus::MajorOutage,
    ComponentStatus::UnderMaintenance,
];

impl Composer {
    fn new(incident_id: i64, kind: EntryKind, write_id: String) -> Composer {
        let mut body = TextArea::default();
        body.set_wrap_mode(WrapMode::WordOrGlyph);
        Composer {
            incident_id,
            mode: Mode::New,
            kind,
            status: UpdateStatus::Investigating,
            visibility: match kind {
                EntryKind::StatusUpdate => Visibility::Public,
                _ => Visibility::Internal,
            },
            marker: Marker::Acknowledged,
            starred: false,
            occurred: String::new(),
            body,
            field: Field::Body,
            stage: Stage::Editing,
            impact: Impact::None,
            components: Vec::new(),
            component: 0,
            write_id,
            error: None,
            discard_armed: false,
            separator_armed: false,
        }
    }

    /// The fields of this kind of entry, in Tab order.
    pub fn fields(&self) -> &'static [Field] {
        match (self.kind, &self.mode) {
            (EntryKind::StatusUpdate, Mode::New) => &[
                Field::Status,
                Field::Impact,
                Field::Components,
                Field::Body,
                Field::Visibility,
                Field::Occurred,
            ],
            (EntryKind::StatusUpdate, Mode::Edit { .. }) => &[
                Field::Status,
                Field::Body,
                Field::Visibility,
                Field::Occurred,
            ],
            (EntryKind::Marker, _) => &[Field::Marker, Field::Body, Field::Occurred],
            _ => &[Field::Body, Field::Visibility, Field::Occurred],
        }
    }

    pub fn text(&self) -> String {
        self.body.lines().join("\n")
    }

    pub fn title(&self) -> String {
        let what = match self.kind {
            EntryKind::StatusUpdate => "status update",
            EntryKind::Marker => "marker",
            _ => "note",
        };
        match &self.mode {
            Mode::New => format!("New {what}"),
            Mode::Edit { original } => format!("Edit {what} #{}", original.id),
        }
    }

    /// Whether anything was typed or changed that Esc would throw away.
    pub fn is_modified(&self) -> bool {
        match &self.mode {
            Mode::New => !self.body.is_empty() || !self.occurred.is_empty(),
            Mode::Edit { original } => {
                self.text() != original.body
                    || !self.occurred.is_empty()
                    || original.status.is_some_and(|s| s != self.status)
                    || original.marker.is_some_and(|m| m != self.marker)
                    || self.visibility != original.visibility
            }
        }
    }

    fn move_field(&mut self, forward: bool) {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.field).unwrap_or(0);
        let next = if forward {
            (at + 1) % fields.len()
        } else {
            (at + fields.len() - 1) % fields.len()
        };
        self.field = fields[next];
    }

    /// Left/Right (or h/l, space) on a choice field.
    fn cycle(&mut self, forward: bool) {
        match self.field {
            Field::Status => self.status = cycle(&STATUSES, self.status, forward),
            Field::Impact => self.impact = cycle(&IMPACTS, self.impact, forward),
            Field::Marker => self.marker = cycle(&MARKERS, self.marker, forward),
            Field::Visibility => {
                self.visibility = match self.visibility {
                    Visibility::Public => Visibility::Internal,
                    Visibility::Internal => Visibility::Public,
                }
            }
            Field::Components => {
                if let Some(c) = self.components.get_mut(self.component) {
                    c.status = cycle(&COMPONENT_STATUSES, c.status, forward);
                }
            }
            Field::Body | Field::Occurred => {}
        }
    }

    /// The occurred time typed, resolved against `now` in `zone`; `None`
    /// when the field is empty.
    pub fn occurred_at(
        &self,
        now: DateTime<Utc>,
        zone: chrono_tz::Tz,
    ) -> Result<Option<DateTime<Utc>>, String> {
        if self.occurred.trim().is_empty() {
            return Ok(None);
        }
        when::parse(&self.occurred, now, zone).map(Some)
    }

    /// The journal write this composer saves as.
    pub fn to_write(
        &self,
        now: DateTime<Utc>,
        zone: chrono_tz::Tz,
    ) -> Result<JournalWrite, String> {
        let occurred_at = self.occurred_at(now, zone)?;
        if occurred_at.is_some_and(|t| t > now + chrono::TimeDelta::minutes(5)) {
            return Err("the time is in the future".into());
        }
        let body = self.text();
        let op = match &self.mode {
            Mode::New => {
                if body.trim().is_empty() && self.kind != EntryKind::Marker {
                    return Err("the text is empty".into());
                }
                WriteOp::CreateEntry {
                    entry: NewEntry {
                        kind: self.kind,
                        status: (self.kind == EntryKind::StatusUpdate).then_some(self.status),
                        visibility: Some(self.visibility),
                        body: if body.trim().is_empty() {
                            marker_text(self.marker).to_string()
                        } else {
                            body
                        },
                        occurred_at,
                        starred: self.starred,
                        marker: (self.kind == EntryKind::Marker).then_some(self.marker),
                        source: None,
                    },
                }
            }
            Mode::Edit { original } => {
                let patch = EntryPatch {
                    body: (body != original.body).then_some(body),
                    status: (original.kind == EntryKind::StatusUpdate
                        && original.status != Some(self.status))
                    .then_some(self.status),
                    visibility: (self.visibility != original.visibility).then_some(self.visibility),
                    occurred_at,
                    starred: None,
                    marker: (original.kind == EntryKind::Marker
                        && original.marker != Some(self.marker))
                    .then_some(Some(self.marker)),
                };
                if patch == EntryPatch::default() {
                    return Err("nothing changed".into());
                }
                WriteOp::UpdateEntry {
                    entry_id: original.id,
                    base_version: original.version,
                    patch,
                }
            }
        };
        Ok(JournalWrite {
            id: self.write_id.clone(),
            incident_id: self.incident_id,
            made_at: now,
            op,
        })
    }
}

/// The value after (or before) `now` in `all`, wrapping around: how
/// Left/Right move through a choice field.
pub fn cycle<T: Copy + PartialEq>(all: &[T], now: T, forward: bool) -> T {
    let at = all.iter().position(|x| *x == now).unwrap_or(0);
    let n = all.len();
    all[if forward {
        (at + 1) % n
    } else {
        (at + n - 1) % n
    }]
}

fn marker_text(marker: Marker) -> &'static str {
    match marker {
        Marker::Detected => "Detected",
        Marker::Acknowledged => "Acknowledged",
        Marker::Mitigated => "Mitigated",
        Marker::Resolved => "Resolved",
    }
}

/// `n`, `u`, `m`: a new entry on the followed incident.
impl Composer {
    pub fn open_new(kind: NewKind, ctx: &Ctx) -> Result<Composer, String> {
        if let Some(reason) = ctx.write_block() {
            return Err(reason.into());
        }
        let Some(incident) = ctx.data.incidents.current() else {
            let declare = ctx.key(Context::Global, Action::NewIncident);
            return Err(format!("no incident yet: press {declare} to declare one"));
        };
        let entry_kind = match kind {
            NewKind::Note => EntryKind::Note,
            NewKind::StatusUpdate => EntryKind::StatusUpdate,
            NewKind::Marker => EntryKind::Marker,
        };
        let entries = &ctx.data.incidents.timeline.entries;
        let mut composer = Composer::new(incident.id, entry_kind, ctx.ids.next());
        match kind {
            NewKind::StatusUpdate => {
                composer.impact = incident.impact;
                composer.components = incident.components.clone();
                composer.status = next_status(preview::last_public_status(entries));
                composer.field = Field::Body;
            }
            NewKind::Marker => {
                composer.marker = next_marker(entries);
                composer.field = Field::Marker;
            }
            NewKind::Note => {}
        }
        Ok(composer)
    }

    /// `e`: edit `entry` (one that may be changed: see [`editable`]).
    pub fn open_edit(entry: TimelineEntry, ctx: &Ctx) -> Composer {
        let mut composer = Composer::new(entry.incident_id, entry.kind, ctx.ids.next());
        // An edit does not change the incident: its preview shows it as it is.
        if let Some(incident) = ctx.data.incidents.get(entry.incident_id) {
            composer.impact = incident.impact;
            composer.components = incident.components.clone();
        }
        composer.body = TextArea::new(entry.body.lines().map(str::to_string).collect());
        composer.body.set_wrap_mode(WrapMode::WordOrGlyph);
        composer
            .body
            .move_cursor(ratatui_textarea::CursorMove::Bottom);
        composer.body.move_cursor(ratatui_textarea::CursorMove::End);
        composer.status = entry.status.unwrap_or(UpdateStatus::Update);
        composer.visibility = entry.visibility;
        composer.marker = entry.marker.unwrap_or(Marker::Acknowledged);
        composer.starred = entry.starred;
        composer.mode = Mode::Edit {
            original: Box::new(entry),
        };
        composer
    }

    /// Merge by hand after a conflict: edit `theirs` (the current version)
    /// with `text` (both versions) in the editor.
    pub fn merge(theirs: &TimelineEntry, text: &str, ctx: &Ctx) -> Composer {
        let mut composer = Composer::open_edit(theirs.clone(), ctx);
        composer.body = TextArea::new(text.lines().map(str::to_string).collect());
        composer.body.set_wrap_mode(WrapMode::WordOrGlyph);
        let save = ctx.key(Context::Editor, Action::Save);
        composer.error = Some(format!("merge the two versions, then {save}"));
        composer
    }

    /// A key while the editor is open.
    pub fn key(&mut self, chord: KeyChord, event: KeyEvent, ctx: &Ctx) -> Outcome<Overlay> {
        let typing = matches!(self.field, Field::Body | Field::Occurred);
        let action = if typing {
            ctx.keymap.action_typing(Context::Editor, &chord)
        } else {
            ctx.keymap.action(Context::Editor, &chord)
        };
        if action != Some(Action::Cancel) {
            self.discard_armed = false;
        }
        if self.stage == Stage::Preview {
            match (action, chord.key) {
                (Some(Action::Save), _) | (_, Key::Enter) => return save::save(self, ctx),
                (Some(Action::Cancel), _) | (_, Key::Backspace) => self.stage = Stage::Editing,
                _ => {}
            }
            return Outcome::keep();
        }
        match action {
            Some(Action::Cancel) => {
                if self.is_modified() && !self.discard_armed {
                    self.discard_armed = true;
                    let esc = ctx.key(Context::Editor, Action::Cancel);
                    self.error = Some(format!("press {esc} again to discard what you typed"));
                } else {
                    return Outcome::close();
                }
            }
            Some(Action::Save) => {
                if let Err(error) = self.to_write(ctx.api_now(), ctx.settings.time_zone) {
                    self.error = Some(error);
                } else if self.kind == EntryKind::StatusUpdate {
                    self.error = None;
                    self.stage = Stage::Preview;
                } else {
                    return save::save(self, ctx);
                }
            }
            Some(Action::NextField) => self.move_field(true),
            Some(Action::PrevField) => self.move_field(false),
            Some(Action::Help) => {
                let me = Overlay::Compose(Box::new(self.clone()));
                return Outcome::replace(Overlay::Help(super::Help::new(
                    Context::Editor,
                    Some(me),
                )));
            }
            Some(choice @ (Action::ChoiceNext | Action::ChoicePrev)) if !typing => {
                self.cycle(choice == Action::ChoiceNext)
            }
            _ => self.field_key(chord, event, ctx),
        }
        Outcome::keep()
    }

    fn field_key(&mut self, chord: KeyChord, event: KeyEvent, ctx: &Ctx) {
        // In the choice fields the list's keys move (j/k, arrows, as bound).
        let list = ctx.keymap.action(Context::List, &chord);
        match self.field {
            Field::Body => {
                self.body.input(event);
            }
            Field::Occurred => match chord.key {
                Key::Backspace => {
                    self.occurred.pop();
                }
                Key::Char('u') if chord.ctrl => self.occurred.clear(),
                Key::Char(c) if !chord.ctrl && !chord.alt && self.occurred.len() < 40 => {
                    self.occurred.push(c)
                }
                _ => {}
            },
            Field::Components => match list {
                Some(Action::Up) => self.component = self.component.saturating_sub(1),
                Some(Action::Down) => {
                    self.component =
                        (self.component + 1).min(self.components.len().saturating_sub(1))
                }
                _ => {}
            },
            _ => match list {
                Some(Action::Up) => self.cycle(false),
                Some(Action::Down) => self.cycle(true),
                _ => {}
            },
        }
    }
}

/// The status a new update most likely has: the last one again (an
/// `Update`), or Investigating first.
fn next_status(last: Option<UpdateStatus>) -> UpdateStatus {
    match last {
        None => UpdateStatus::Investigating,
        Some(UpdateStatus::Resolved) => UpdateStatus::Resolved,
        Some(_) => UpdateStatus::Update,
    }
}

/// The first marker not set yet, in order.
fn next_marker(entries: &[TimelineEntry]) -> Marker {
    MARKERS
        .into_iter()
        .find(|m| !entries.iter().any(|e| e.marker == Some(*m)))
        .unwrap_or(Marker::Resolved)
}

/// Whether `entry` may be changed by a person: entries from detectors and
/// actions are kept as recorded.
pub fn editable(entry: &TimelineEntry) -> Result<(), String> {
    if entry.is_immutable() {
        return Err(format!(
            "entries from {} are kept as recorded and cannot be changed",
            if entry.kind == crate::model::EntryKind::Role {
                "role handoffs"
            } else if entry.source == crate::model::Source::Detector {
                "detectors"
            } else if entry.source == crate::model::Source::Autopilot {
                "the autopilot"
            } else {
                "actions"
            }
        ));
    }
    Ok(())
}

/// A one-field change of `entry` (star, visibility) as a journal write.
pub fn patch_write(entry: &TimelineEntry, patch: EntryPatch, ctx: &Ctx) -> JournalWrite {
    JournalWrite {
        id: ctx.ids.next(),
        incident_id: entry.incident_id,
        made_at: ctx.api_now(),
        op: WriteOp::UpdateEntry {
            entry_id: entry.id,
            base_version: entry.version,
            patch,
        },
    }
}
