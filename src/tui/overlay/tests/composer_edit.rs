//! The timeline editor changing an existing entry: only what changed is
//! saved, on the entry's version; detector entries cannot be changed; the
//! one-field writes (star, visibility).

use super::composer::{press, type_text};
use super::fixtures::{FOLLOWED, World, entry, key, next, now};
use crate::client::{JournalWrite, WriteOp};
use crate::model::{EntryPatch, Marker, Source, TimelineEntry, UpdateStatus, Visibility};
use crate::tui::msg::Effect;
use crate::tui::overlay::Composer;
use crate::tui::overlay::composer::{Field, Stage, editable, patch_write};

/// The journal write of an edit of entry `id` at `version`.
fn updated(id: i64, version: i64, patch: EntryPatch) -> Effect {
    Effect::Journal(Box::new(JournalWrite {
        id: "id-1".into(),
        incident_id: FOLLOWED,
        made_at: now(),
        op: WriteOp::UpdateEntry {
            entry_id: id,
            base_version: version,
            patch,
        },
    }))
}

#[test]
fn an_edit_opens_with_the_entry_as_it_is() {
    let world = World::new();
    let ctx = world.ctx();
    let composer = Composer::open_edit(entry(11), &ctx);
    assert_eq!(composer.title(), "Edit note #11");
    assert_eq!(composer.text(), "Looking at app-04");
    assert_eq!(composer.write_id, "id-1");
    assert!(!composer.is_modified());
}

#[test]
fn an_edit_of_the_text_saves_only_the_text() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = Composer::open_edit(entry(11), &ctx);
    // The cursor starts at the end of the text.
    type_text(&mut composer, " and sw-2", &ctx);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    assert_eq!(next(&out), "hold");
    let patch = EntryPatch {
        body: Some("Looking at app-04 and sw-2".into()),
        ..EntryPatch::default()
    };
    assert_eq!(out.effects, vec![updated(11, 1, patch)]);
}

#[test]
fn an_edit_of_the_visibility_saves_only_the_visibility() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = Composer::open_edit(entry(11), &ctx);
    let _ = press(&mut composer, key("tab"), &ctx);
    assert_eq!(composer.field, Field::Visibility);
    let _ = press(&mut composer, key("space"), &ctx);
    assert_eq!(composer.visibility, Visibility::Public);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    let patch = EntryPatch {
        visibility: Some(Visibility::Public),
        ..EntryPatch::default()
    };
    assert_eq!(out.effects, vec![updated(11, 1, patch)]);
}

#[test]
fn an_unchanged_edit_says_nothing_changed() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = Composer::open_edit(entry(11), &ctx);
    type_text(&mut composer, "x", &ctx);
    let _ = press(&mut composer, key("backspace"), &ctx);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    assert_eq!(next(&out), "keep");
    assert!(out.effects.is_empty());
    assert_eq!(composer.error.as_deref(), Some("nothing changed"));
    // With nothing changed, one Esc closes.
    assert_eq!(next(&press(&mut composer, key("esc"), &ctx)), "close");
}

#[test]
fn an_edited_status_update_goes_through_its_preview_and_leaves_the_incident() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = Composer::open_edit(entry(13), &ctx);
    assert_eq!(composer.status, UpdateStatus::Investigating);
    let _ = press(&mut composer, key("shift-tab"), &ctx);
    assert_eq!(composer.field, Field::Status);
    let _ = press(&mut composer, key("l"), &ctx);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    assert!(out.effects.is_empty());
    assert_eq!(composer.stage, Stage::Preview);
    let out = press(&mut composer, key("enter"), &ctx);
    assert_eq!(next(&out), "hold");
    let patch = EntryPatch {
        status: Some(UpdateStatus::Identified),
        ..EntryPatch::default()
    };
    // No UpdateIncident: editing an old update does not change the incident.
    assert_eq!(out.effects, vec![updated(13, 1, patch)]);
}

#[test]
fn a_merge_saves_on_their_version() {
    let world = World::new();
    let ctx = world.ctx();
    let theirs = TimelineEntry {
        body: "theirs".into(),
        version: 3,
        ..entry(11)
    };
    let mut composer = Composer::merge(&theirs, "theirs\nmine", &ctx);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    let patch = EntryPatch {
        body: Some("theirs\nmine".into()),
        ..EntryPatch::default()
    };
    assert_eq!(out.effects, vec![updated(11, 3, patch)]);
}

#[test]
fn esc_after_changing_a_marker_asks_first() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = Composer::open_edit(entry(12), &ctx);
    let _ = press(&mut composer, key("shift-tab"), &ctx);
    assert_eq!(composer.field, Field::Marker);
    let _ = press(&mut composer, key("l"), &ctx);
    assert_eq!(composer.marker, Marker::Mitigated);
    assert!(composer.is_modified());
    assert_eq!(next(&press(&mut composer, key("esc"), &ctx)), "keep");
}

#[test]
fn a_changed_marker_is_saved() {
    let world = World::new();
    let ctx = world.ctx();
    let mut composer = Composer::open_edit(entry(12), &ctx);
    let _ = press(&mut composer, key("shift-tab"), &ctx);
    let _ = press(&mut composer, key("l"), &ctx);
    let out = press(&mut composer, key("ctrl-s"), &ctx);
    let patch = EntryPatch {
        marker: Some(Some(Marker::Mitigated)),
        ..EntryPatch::default()
    };
    assert_eq!(out.effects, vec![updated(12, 1, patch)]);
}

#[test]
fn detector_and_action_entries_are_not_editable() {
    assert_eq!(
        editable(&entry(10)),
        Err("entries from detectors are kept as recorded and cannot be changed".into())
    );
    let from_action = TimelineEntry {
        source: Source::Action,
        ..entry(11)
    };
    assert_eq!(
        editable(&from_action),
        Err("entries from actions are kept as recorded and cannot be changed".into())
    );
    assert_eq!(editable(&entry(11)), Ok(()));
    assert_eq!(editable(&entry(13)), Ok(()));
}

#[test]
fn patch_write_is_a_journal_write_on_the_entrys_version() {
    let world = World::new();
    let ctx = world.ctx();
    let star = EntryPatch {
        starred: Some(true),
        ..EntryPatch::default()
    };
    let write = patch_write(&entry(13), star.clone(), &ctx);
    assert_eq!(
        write,
        JournalWrite {
            id: "id-1".into(),
            incident_id: FOLLOWED,
            made_at: now(),
            op: WriteOp::UpdateEntry {
                entry_id: 13,
                base_version: 1,
                patch: star,
            },
        }
    );
    assert_eq!(
        patch_write(&entry(11), EntryPatch::default(), &ctx).id,
        "id-2"
    );
}
