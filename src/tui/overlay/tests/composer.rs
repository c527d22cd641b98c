//! The timeline editor writing new entries: what `n`, `u` and `m` open,
//! typing, saving through the journal (a status update via its preview),
//! back-dating and Esc. Edits of existing entries: `composer_edit.rs`.

use chrono::TimeDelta;

use super::fixtures::{FOLLOWED, World, chars, component, event, key, next, now};
use crate::client::{JournalWrite, WriteOp};
use crate::model::{
    AccessRole, ComponentStatus, EntryKind, Impact, IncidentPatch, IncidentStatus, Marker,
    NewEntry, UpdateStatus, Visibility,
};
use crate::tui::component::{Ctx, Outcome};
use crate::tui::keys::KeyChord;
use crate::tui::msg::Effect;
use crate::tui::overlay::composer::{Field, Stage};
use crate::tui::overlay::{Composer, NewKind, Overlay};

pub(super) fn press(composer: &mut Composer, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
    composer.key(chord, event(chord), ctx)
}

pub(super) fn type_text(composer: &mut Composer, text: &str, ctx: &Ctx) {
    for chord in chars(text) {
        let out = press(composer, chord, ctx);
        assert_eq!(next(&out), "keep", "typing {chord}");
        assert!(out.effects.is_empty(), "typing {chord} sent something");
    }
}

fn open(kind: NewKind, ctx: &Ctx) -> Composer {
    Composer::open_new(kind, ctx).expect("the composer opens")
}

/// The entry a note journals.
fn created(entry: NewEntry) -> Effect {
    Effect::Journal(Box::new(JournalWrite {
        id: "id-1".into(),
        incident_id: FOLLOWED,
        made_at: now(),
        op: WriteOp::CreateEntry { entry },
    }))
}

fn note(body: &str) -> NewEntry {
    NewEntry {
        kind: EntryKind::Note,
        status: None,
        visibility: Some(Visibility::Internal),
        body: body.into(),
        occurred_at: None,
        starred: false,
        marker: None,
        source: None,
    }
}

#[test]
fn a_note_opens_on_the_followed_incident_with_its_write_id() {
    let world = World::new();
    let ctx = world.ctx();
    let composer = open(NewKind::Note, &ctx);
    assert_eq!(composer.incident_id, FOLLOWED);
    assert_eq!(composer.kind, EntryKind::Note);
    assert_eq!(composer.visibility, Visibility::Internal);
    assert_eq!(composer.field, Field::Body);
    assert_eq!(composer.write_id, "id-1");
    assert_eq!(composer.title(), "New note");
}

#[test]
fn a_status_update_takes_the_incidents_impact_and_components() {
    let world = World::new();
    let ctx = world.ctx();
    let composer = open(NewKind::StatusUpdate, &ctx);
    assert_eq!(composer.kind, EntryKind::StatusUpdate);
    assert_eq!(composer.visibility, Visibility::Public);
    assert_eq!(composer.impact, Impact::Major);
    assert_eq!(
        composer.components,
        vec![
            component("api", ComponentStatus::PartialOutage),
            component("web", ComponentStatus::Operational),
        ]
    );
    // The last public update said investigating: this one is an update.
    assert_eq!(composer.status, UpdateStatus::Update);
    assert_eq!(composer.field, Field::Body);
}

#[test]
fn a_marker_picks_the_first_marker_not_set() {
    let world = World::new();
    let ctx = world.ctx();
    // Detected (by the detector) and acknowledged are on the timeline.
    let mut composer = open(NewKind::Marker, &ctx);
    assert_eq!(composer.marker, Marker::Mitigated);
    assert_eq!(composer.field, Field::Marker);
    // Choice keys work on the marker field; its text may stay empty.
    let _ = press(&mut composer, key("l"), &ctx);
    assert_eq!(composer.marker, Marker::Resolved);
    let _ = press(&mut composer, key("h"), &ctx);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    assert_eq!(next(&out), "hold");
    assert_eq!(
        out.effects,
        vec![created(NewEntry {
            kind: EntryKind::Marker,
            marker: Some(Marker::Mitigated),
            ..note("Mitigated")
        })]
    );
}

#[test]
fn writing_is_refused_when_the_console_may_not_write() {
    let mut world = World::new();
    world.settings.read_only = true;
    let error = Composer::open_new(NewKind::Note, &world.ctx()).expect_err("read-only");
    assert_eq!(error, "read-only mode: the console changes nothing");

    world.settings.read_only = false;
    world.data.role = Some(AccessRole::Viewer);
    let error = Composer::open_new(NewKind::StatusUpdate, &world.ctx()).expect_err("viewer");
    assert_eq!(
        error,
        "this token is a viewer's: it can look but not change anything"
    );

    world.data.role = Some(AccessRole::Responder);
    assert!(Composer::open_new(NewKind::Note, &world.ctx()).is_ok());
}

#[test]
fn with_no_incident_it_says_which_key_declares_one() {
    let mut world = World::with_keys(&[(None, "i", "unbound"), (None, "+", "new_incident")]);
    world.data.incidents.replace(Vec::new());
    let error = Composer::open_new(NewKind::Note, &world.ctx()).expect_err("no incident");
    assert_eq!(error, "no incident yet: press + to declare one");
}

#[test]
fn plain_characters_type_into_the_text() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = open(NewKind::Note, &ctx);
    // h, l and space are choice keys on other fields; q and ? elsewhere.
    type_text(&mut composer, "hello l h q?", &ctx);
    let _ = press(&mut composer, key("enter"), &ctx);
    type_text(&mut composer, "jk", &ctx);
    assert_eq!(composer.text(), "hello l h q?\njk");
    assert_eq!(composer.field, Field::Body);
    assert_eq!(composer.visibility, Visibility::Internal);
    assert!(composer.is_modified());
}

#[test]
fn ctrl_s_saves_a_note_through_the_journal() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = open(NewKind::Note, &ctx);
    type_text(&mut composer, "Power is back on sw-2", &ctx);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    assert_eq!(next(&out), "hold", "held until the journal has it");
    assert_eq!(out.effects, vec![created(note("Power is back on sw-2"))]);
}

#[test]
fn an_empty_note_is_not_saved() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = open(NewKind::Note, &ctx);
    type_text(&mut composer, "  ", &ctx);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    assert_eq!(next(&out), "keep");
    assert!(out.effects.is_empty());
    assert_eq!(composer.error.as_deref(), Some("the text is empty"));
}

#[test]
fn a_status_update_goes_to_its_preview_then_enter_posts_it() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = open(NewKind::StatusUpdate, &ctx);
    type_text(&mut composer, "Sites moved to fo-1", &ctx);
    for name in ["shift-tab", "shift-tab", "shift-tab"] {
        let _ = press(&mut composer, key(name), &ctx);
    }
    assert_eq!(composer.field, Field::Status);
    let _ = press(&mut composer, key("h"), &ctx); // identified
    let _ = press(&mut composer, key("tab"), &ctx);
    let _ = press(&mut composer, key("h"), &ctx); // minor
    let _ = press(&mut composer, key("tab"), &ctx);
    let _ = press(&mut composer, key("j"), &ctx); // the second component
    let _ = press(&mut composer, key("l"), &ctx); // web: degraded

    let out = press(&mut composer, key("ctrl-s"), &ctx);
    assert_eq!(next(&out), "keep");
    assert!(
        out.effects.is_empty(),
        "nothing is posted before the preview"
    );
    assert_eq!(composer.stage, Stage::Preview);

    let out = press(&mut composer, key("enter"), &ctx);
    assert_eq!(next(&out), "hold");
    let patch = IncidentPatch {
        status: Some(IncidentStatus::Identified),
        impact: Some(Impact::Minor),
        components: Some(vec![
            component("api", ComponentStatus::PartialOutage),
            component("web", ComponentStatus::DegradedPerformance),
        ]),
        ..IncidentPatch::default()
    };
    let entry = NewEntry {
        kind: EntryKind::StatusUpdate,
        status: Some(UpdateStatus::Identified),
        visibility: Some(Visibility::Public),
        ..note("Sites moved to fo-1")
    };
    assert_eq!(
        out.effects,
        vec![
            Effect::UpdateIncident {
                id: FOLLOWED,
                base_version: 4,
                patch
            },
            created(entry),
        ]
    );
}

#[test]
fn an_update_that_changes_nothing_on_the_incident_only_posts_the_entry() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = open(NewKind::StatusUpdate, &ctx);
    type_text(&mut composer, "Still on it", &ctx);
    let _ = press(&mut composer, key("ctrl-s"), &ctx);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    assert_eq!(next(&out), "hold");
    assert!(
        matches!(out.effects.as_slice(), [Effect::Journal(_)]),
        "{:?}",
        out.effects
    );
}

#[test]
fn backspace_or_esc_leave_the_preview_for_the_editor() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = open(NewKind::StatusUpdate, &ctx);
    type_text(&mut composer, "Still on it", &ctx);
    for name in ["backspace", "esc"] {
        let _ = press(&mut composer, key("ctrl-s"), &ctx);
        assert_eq!(composer.stage, Stage::Preview);
        let out = press(&mut composer, key(name), &ctx);
        assert_eq!(next(&out), "keep", "{name}");
        assert_eq!(composer.stage, Stage::Editing, "{name}");
        assert_eq!(composer.text(), "Still on it", "{name} deleted nothing");
    }
}

#[test]
fn an_entry_can_be_back_dated() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = open(NewKind::Note, &ctx);
    type_text(&mut composer, "Paged the DC", &ctx);
    let _ = press(&mut composer, key("tab"), &ctx);
    let _ = press(&mut composer, key("tab"), &ctx);
    assert_eq!(composer.field, Field::Occurred);
    type_text(&mut composer, "-15m", &ctx);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    assert_eq!(next(&out), "hold");
    let entry = NewEntry {
        occurred_at: Some(now() - TimeDelta::minutes(15)),
        ..note("Paged the DC")
    };
    assert_eq!(out.effects, vec![created(entry)]);
}

#[test]
fn a_time_in_the_future_or_not_a_time_is_refused() {
    let world = World::new();
    let ctx = world.ctx();
    for (typed, error) in [
        ("2030-01-01 00:00 UTC", "the time is in the future"),
        ("soon", "'soon' is not a time"),
    ] {
        let mut composer = open(NewKind::Note, &ctx);
        type_text(&mut composer, "Paged the DC", &ctx);
        let _ = press(&mut composer, key("shift-tab"), &ctx);
        assert_eq!(composer.field, Field::Occurred);
        type_text(&mut composer, typed, &ctx);
        let out = press(&mut composer, key("ctrl-s"), &ctx);
        assert_eq!(next(&out), "keep", "{typed}");
        assert!(out.effects.is_empty(), "{typed}");
        let shown = composer.error.clone().unwrap_or_default();
        assert!(shown.starts_with(error), "{typed}: {shown}");
    }
}

#[test]
fn esc_with_text_asks_once_then_closes() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = open(NewKind::Note, &ctx);
    type_text(&mut composer, "half a thought", &ctx);
    let out = press(&mut composer, key("esc"), &ctx);
    assert_eq!(next(&out), "keep");
    assert_eq!(
        composer.error.as_deref(),
        Some("press esc again to discard what you typed")
    );
    assert!(composer.discard_armed);
    let out = press(&mut composer, key("esc"), &ctx);
    assert_eq!(next(&out), "close");

    let mut empty = open(NewKind::Note, &ctx);
    assert_eq!(next(&press(&mut empty, key("esc"), &ctx)), "close");
}

#[test]
fn help_over_the_editor_gives_back_the_draft() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = open(NewKind::Note, &ctx);
    type_text(&mut composer, "draft", &ctx);
    let out = press(&mut composer, key("f1"), &ctx);
    let Overlay::Help(mut help) = super::fixtures::replacement(out) else {
        panic!("F1 opens help");
    };
    let Overlay::Compose(back) = super::fixtures::replacement(help.key(key("esc"), &ctx)) else {
        panic!("help gives the editor back");
    };
    assert_eq!(back.text(), "draft");
}
