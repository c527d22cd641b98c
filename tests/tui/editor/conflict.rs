//! The conflict view: an edit the API refused because someone else
//! changed the entry first.

use super::*;

/// Edit note #4 to end in `suffix`, then have the API answer that `lee`
/// changed it first (version 2, text "reboot scheduled").
fn conflicting_edit(model: &mut Model, suffix: &str) -> (JournalWrite, TimelineEntry) {
    conflicting_edit_of(model, suffix, "reboot scheduled")
}

fn conflicting_edit_of(
    model: &mut Model,
    suffix: &str,
    their_text: &str,
) -> (JournalWrite, TimelineEntry) {
    select_entry(model, 4);
    send(model, char_key('e'));
    type_text(model, suffix);
    let effects = send(model, ctrl('s'));
    let mine = the_write(&effects).clone();
    let mut theirs = entry(4, 8, EntryKind::Note, their_text);
    theirs.version = 2;
    // Written by ana, edited by lee: the view names lee, who changed it.
    theirs.author = "ana".into();
    theirs.edited_by = Some("lee".into());
    theirs.edited_at = Some(fixed_now());
    send(
        model,
        Msg::Wrote(Wrote::EntryConflict {
            write: Box::new(mine.clone()),
            current: Box::new(theirs.clone()),
        }),
    );
    (mine, theirs)
}

#[test]
fn a_conflict_shows_both_versions() {
    let mut model = model();
    conflicting_edit(&mut model, " — mine");
    let Overlay::Conflict(view) = &model.ui.overlay else {
        panic!("expected the conflict view, got {:?}", model.ui.overlay);
    };
    assert_eq!(view.theirs.version, 2);
    let text = screen(&model);
    for shown in [
        "Entry #4 was changed by lee while you edited it.",
        "Theirs (now saved):",
        "reboot scheduled",
        "Yours:",
        "app-05 flapping too; suspect the switch sw-2 — mine",
        "k keep yours",
        "t/esc take theirs",
        "m merge by hand",
    ] {
        assert!(text.contains(shown), "missing {shown:?} in\n{text}");
    }
    let held = model
        .data
        .incidents
        .timeline
        .entries
        .iter()
        .find(|e| e.id == 4);
    assert_eq!(
        held.map(|e| e.version),
        Some(2),
        "the timeline shows theirs"
    );
}

/// Taking theirs leaves their version in the timeline; reading it in full
/// names both its author and the one who edited it.
#[test]
fn the_entry_view_names_the_editor_as_well_as_the_author() {
    let mut model = model();
    conflicting_edit(&mut model, " — mine");
    send(&mut model, char_key('t'));
    assert!(
        matches!(model.ui.overlay, Overlay::None),
        "{:?}",
        model.ui.overlay
    );
    select_entry(&mut model, 4);
    send(&mut model, key(KeyCode::Enter));
    let text = screen(&model);
    assert!(text.contains("ana"), "the author is shown:\n{text}");
    let edited = text
        .lines()
        .find(|l| l.contains("edited"))
        .unwrap_or_else(|| panic!("no edited line in\n{text}"));
    assert!(edited.contains("by lee (version 2)"), "{edited}");
}

#[test]
fn a_conflict_between_long_texts_still_shows_its_keys() {
    let mut model = model();
    let long = " and then".repeat(12);
    conflicting_edit_of(&mut model, &long, &format!("reboot scheduled{long}"));
    let text = screen(&model);
    assert!(text.contains("Yours:"), "{text}");
    assert!(
        text.contains("k keep yours"),
        "BUG (src/tui/view/forms.rs modal): texts that wrap push the k/t/m keys out of the \
         conflict box, which is sized by lines, not wrapped rows:\n{text}"
    );
}

#[test]
fn keep_mine_resends_on_top_of_theirs() {
    let mut model = model();
    let (mine, theirs) = conflicting_edit(&mut model, " — mine");
    let effects = send(&mut model, char_key('k'));
    let write = the_write(&effects);
    let WriteOp::UpdateEntry {
        patch: my_patch, ..
    } = &mine.op
    else {
        panic!("an edit");
    };
    assert_eq!(
        write.op,
        WriteOp::UpdateEntry {
            entry_id: 4,
            base_version: theirs.version,
            patch: my_patch.clone(),
        }
    );
    assert_ne!(
        write.id, mine.id,
        "a new write, not a replay of the refused one"
    );
    assert!(model.ui.overlay.is_none());
}

#[test]
fn take_theirs_drops_mine() {
    let mut model = model();
    conflicting_edit(&mut model, " — mine");
    assert!(send(&mut model, char_key('t')).is_empty());
    assert!(model.ui.overlay.is_none());
    assert!(toast(&model).contains("took theirs"));
}

#[test]
fn merge_opens_the_editor_with_both_texts() {
    let mut model = model();
    conflicting_edit(&mut model, " — mine");
    assert!(send(&mut model, char_key('m')).is_empty());
    let composer = composer!(model);
    assert_eq!(composer.title(), "Edit note #4");
    assert_eq!(
        composer.text(),
        "reboot scheduled\n──── yours ────\napp-05 flapping too; suspect the switch sw-2 — mine"
    );
    // Merge by hand: drop the separator line and save on theirs.
    press(&mut model, KeyCode::Up, 3);
    press(&mut model, KeyCode::Down, 1);
    send(&mut model, key(KeyCode::End));
    for _ in 0.."──── yours ────".chars().count() + 1 {
        send(&mut model, key(KeyCode::Backspace));
    }
    let effects = send(&mut model, ctrl('s'));
    let (entry_id, base_version, patch) = patched(&effects);
    assert_eq!((entry_id, base_version), (4, 2), "based on theirs");
    assert_eq!(
        patch.body.as_deref(),
        Some("reboot scheduled\napp-05 flapping too; suspect the switch sw-2 — mine")
    );
}
