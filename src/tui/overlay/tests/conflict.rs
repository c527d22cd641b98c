//! An edit that met a newer version: keep mine (saved again over theirs,
//! as a new write), take theirs, or merge both texts in the editor.

use super::fixtures::{FOLLOWED, World, entry, key, next, note, now, replacement, t};
use crate::client::{JournalWrite, WriteOp};
use crate::model::{EntryPatch, TimelineEntry, Visibility};
use crate::tui::msg::Effect;
use crate::tui::overlay::composer::Mode;
use crate::tui::overlay::{ConflictView, MERGE_SEPARATOR, Overlay};

/// Entry #11 as another responder left it: version 3, their text.
fn theirs() -> TimelineEntry {
    TimelineEntry {
        body: "app-04 lost power".into(),
        version: 3,
        ..entry(11)
    }
}

fn my_edit(body: &str) -> ConflictView {
    ConflictView {
        mine: JournalWrite {
            id: "w-1".into(),
            incident_id: FOLLOWED,
            made_at: t(300),
            op: WriteOp::UpdateEntry {
                entry_id: 11,
                base_version: 1,
                patch: EntryPatch {
                    body: Some(body.into()),
                    ..EntryPatch::default()
                },
            },
        },
        theirs: theirs(),
    }
}

fn my_delete() -> ConflictView {
    ConflictView {
        mine: JournalWrite {
            op: WriteOp::DeleteEntry {
                entry_id: 11,
                base_version: 1,
            },
            ..my_edit("").mine
        },
        theirs: theirs(),
    }
}

#[test]
fn keep_mine_saves_my_change_over_theirs_as_a_new_write() {
    let world = World::new();
    let ctx = world.ctx();
    let mut conflict = my_edit("app-04 PSU failed");
    let out = conflict.key(key("k"), &ctx);
    assert_eq!(next(&out), "close");
    let expected = JournalWrite {
        id: "id-1".into(),
        incident_id: FOLLOWED,
        made_at: now(),
        op: WriteOp::UpdateEntry {
            entry_id: 11,
            base_version: 3,
            patch: EntryPatch {
                body: Some("app-04 PSU failed".into()),
                ..EntryPatch::default()
            },
        },
    };
    assert_eq!(out.effects, vec![Effect::Journal(Box::new(expected))]);
    assert_eq!(note(&out), Some(("kept yours: saved over theirs", false)));
}

#[test]
fn keep_mine_of_a_delete_deletes_their_version() {
    let world = World::new();
    let ctx = world.ctx();
    let mut conflict = my_delete();
    let out = conflict.key(key("k"), &ctx);
    let [Effect::Journal(write)] = out.effects.as_slice() else {
        panic!("one journal write: {:?}", out.effects);
    };
    assert_eq!(write.id, "id-1");
    assert_eq!(
        write.op,
        WriteOp::DeleteEntry {
            entry_id: 11,
            base_version: 3
        }
    );
}

#[test]
fn take_theirs_drops_mine() {
    let world = World::new();
    let ctx = world.ctx();
    for name in ["t", "esc"] {
        let mut conflict = my_edit("app-04 PSU failed");
        let out = conflict.key(key(name), &ctx);
        assert_eq!(next(&out), "close", "{name}");
        assert!(out.effects.is_empty(), "{name} writes nothing");
        assert_eq!(
            note(&out),
            Some(("took theirs: your change was dropped", false))
        );
    }
}

#[test]
fn merge_opens_the_editor_on_theirs_with_both_texts() {
    let world = World::new();
    let ctx = world.ctx();
    let mut conflict = my_edit("app-04 PSU failed");
    let out = conflict.key(key("m"), &ctx);
    assert!(
        out.effects.is_empty(),
        "nothing is saved until the merge is"
    );
    let Overlay::Compose(composer) = replacement(out) else {
        panic!("merge opens the editor");
    };
    assert_eq!(
        composer.text(),
        format!("app-04 lost power\n{MERGE_SEPARATOR}\napp-04 PSU failed")
    );
    match &composer.mode {
        Mode::Edit { original } => assert_eq!(original.version, 3, "based on theirs"),
        Mode::New => panic!("a merge edits the entry"),
    }
    assert_eq!(
        composer.error.as_deref(),
        Some("merge the two versions, then ctrl-s")
    );
}

#[test]
fn saving_a_merge_that_still_has_the_separator_asks_once() {
    let world = World::new();
    let ctx = world.ctx();
    let mut conflict = my_edit("app-04 PSU failed");
    let Overlay::Compose(mut composer) = replacement(conflict.key(key("m"), &ctx)) else {
        panic!("merge opens the editor");
    };
    let save = key("ctrl-s");
    let out = composer.key(save, super::fixtures::event(save), &ctx);
    assert!(out.effects.is_empty(), "not saved yet: {:?}", out.effects);
    assert!(
        composer
            .error
            .as_deref()
            .is_some_and(|e| e.contains(MERGE_SEPARATOR) && e.contains("save again")),
        "{:?}",
        composer.error
    );
    let out = composer.key(save, super::fixtures::event(save), &ctx);
    assert!(
        out.effects
            .iter()
            .any(|e| matches!(e, crate::tui::msg::Effect::Journal(_))),
        "the second save keeps it as written: {:?}",
        out.effects
    );
}

#[test]
fn merge_of_the_same_text_has_no_separator() {
    let world = World::new();
    let ctx = world.ctx();
    let mut conflict = my_edit("app-04 lost power");
    let Overlay::Compose(composer) = replacement(conflict.key(key("m"), &ctx)) else {
        panic!("merge opens the editor");
    };
    assert_eq!(composer.text(), "app-04 lost power");
}

#[test]
fn merge_is_refused_for_a_delete() {
    let world = World::new();
    let ctx = world.ctx();
    let mut conflict = my_delete();
    let out = conflict.key(key("m"), &ctx);
    assert_eq!(next(&out), "keep");
    assert!(out.effects.is_empty());
    assert!(conflict.is_delete());
}

#[test]
fn a_visibility_change_kept_over_theirs_keeps_only_that_field() {
    let world = World::new();
    let ctx = world.ctx();
    let mut conflict = my_edit("");
    if let WriteOp::UpdateEntry { patch, .. } = &mut conflict.mine.op {
        *patch = EntryPatch {
            visibility: Some(Visibility::Public),
            ..EntryPatch::default()
        };
    }
    assert_eq!(conflict.my_body(), None);
    let out = conflict.key(key("k"), &ctx);
    let [Effect::Journal(write)] = out.effects.as_slice() else {
        panic!("one journal write");
    };
    let WriteOp::UpdateEntry { patch, .. } = &write.op else {
        panic!("an update");
    };
    assert_eq!(patch.visibility, Some(Visibility::Public));
    assert_eq!(patch.body, None, "their text stays");
}

#[test]
fn rebound_conflict_keys_work() {
    let world = World::with_keys(&[(Some("conflict"), "y", "keep_mine")]);
    let ctx = world.ctx();
    let mut conflict = my_edit("app-04 PSU failed");
    let out = conflict.key(key("y"), &ctx);
    assert_eq!(out.effects.len(), 1);
    assert_eq!(next(&out), "close");
}
