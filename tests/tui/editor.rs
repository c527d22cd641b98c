//! The console's incident workflow driven through `update` (issue 4): the
//! timeline editor (typing, cursor, multi-line, cancel, back-dating, edit),
//! the status update preview and its warnings, delete/star/visibility, the
//! offline journal's answers (pending rows, failures, conflicts), the
//! incident form and switcher, and refusals in read-only and viewer mode.
//!
//! The editor's types (`Composer`, its `Stage` and `Field`) are not
//! exported, so the editor is read through its public fields and methods
//! (`text()`, `title()`, `field.label()`) and through the rendered screen.

use crate::support::console::*;
use crate::support::demo_model::*;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use warroom::client::{JournalWrite, WriteOp};
use warroom::model::{
    AffectedComponent, ComponentStatus, EntryKind, EntryPatch, HealthState, Impact, Incident,
    IncidentState, IncidentStatus, NewEntry, NewIncident, Severity, Timeline, TimelineEntry,
    UpdateStatus, Visibility,
};
use warroom::tui::{Effect, Loaded, Model, Msg, Overlay, Pane, Request, Theme, Wrote};

const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

/// The editor open on `$model`, or a panic saying what is open instead.
macro_rules! composer {
    ($model:expr) => {
        match &$model.ui.overlay {
            Overlay::Compose(composer) => composer,
            other => panic!("expected the entry editor, got {other:?}"),
        }
    };
}

mod composer;
mod confirm;
mod conflict;
mod drafts;
mod incident_form;
mod preview;
mod switcher;

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::CONTROL,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    })
}

/// Press every key of `text`; `\n` is Enter. Returns all effects.
fn type_text(model: &mut Model, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        let msg = if c == '\n' {
            key(KeyCode::Enter)
        } else {
            char_key(c)
        };
        effects.extend(send(model, msg));
    }
    effects
}

fn press(model: &mut Model, code: KeyCode, times: usize) {
    for _ in 0..times {
        assert!(
            send(model, key(code)).is_empty(),
            "{code:?} wrote something"
        );
    }
}

fn screen(model: &Model) -> String {
    screen_text(&render(model, &Theme::default(), WIDTH, HEIGHT))
}

fn model() -> Model {
    demo_model(WIDTH, HEIGHT)
}

fn journaled(effects: &[Effect]) -> Vec<&JournalWrite> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Journal(write) => Some(&**write),
            _ => None,
        })
        .collect()
}

/// The one journal write in `effects`.
fn the_write(effects: &[Effect]) -> &JournalWrite {
    match journaled(effects).as_slice() {
        [write] => write,
        other => panic!("expected one journal write, got {other:?} in {effects:?}"),
    }
}

/// The new entry of the one journal write in `effects`.
fn created(effects: &[Effect]) -> &NewEntry {
    match &the_write(effects).op {
        WriteOp::CreateEntry { entry } => entry,
        other => panic!("expected a new entry, got {other:?}"),
    }
}

/// The (entry id, base version, patch) of the one journal write in `effects`.
fn patched(effects: &[Effect]) -> (i64, i64, &EntryPatch) {
    match &the_write(effects).op {
        WriteOp::UpdateEntry {
            entry_id,
            base_version,
            patch,
        } => (*entry_id, *base_version, patch),
        other => panic!("expected an entry edit, got {other:?}"),
    }
}

fn toast(model: &Model) -> String {
    model
        .ui
        .toast
        .as_ref()
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

fn load_incidents(model: &mut Model, incidents: Vec<Incident>) -> Vec<Effect> {
    send(model, Msg::Loaded(Loaded::Incidents(incidents)))
}

/// Focus the timeline and select the entry with `id`.
fn select_entry(model: &mut Model, id: i64) {
    send(model, char_key('4'));
    assert_eq!(model.ui.focus, Pane::Timeline);
    send(model, char_key('g'));
    let at = model
        .data
        .incidents
        .timeline
        .entries
        .iter()
        .position(|e| e.id == id)
        .expect("entry in the timeline");
    press(model, KeyCode::Down, at);
    assert_eq!(
        model.data.incidents.timeline.entries[model.ui.timeline.selected].id,
        id
    );
}
