//! The timeline entry editor: opening, typing, cursor, multi-line text,
//! cancel, back-dating, editing an entry on its version, one-key patches,
//! and who may write.

use super::*;

fn at_utc(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2017, 9, 11, h, m, 0)
        .single()
        .expect("valid time")
}

#[test]
fn n_opens_an_internal_note_on_the_followed_incident() {
    let mut model = model();
    assert!(send(&mut model, char_key('n')).is_empty());
    let composer = composer!(model);
    assert_eq!(composer.incident_id, 7);
    assert_eq!(composer.title(), "New note");
    assert_eq!(composer.visibility, Visibility::Internal);
    assert_eq!(
        composer.field.label(),
        "text",
        "typing goes to the text first"
    );
    assert!(screen(&model).contains("New note — incident #7"));
}

#[test]
fn typing_moves_the_cursor_and_edits_in_the_middle() {
    let mut model = model();
    send(&mut model, char_key('n'));
    type_text(&mut model, "helo");
    press(&mut model, KeyCode::Left, 1);
    type_text(&mut model, "l");
    assert_eq!(
        composer!(model).text(),
        "hello",
        "inserted before the cursor"
    );
    press(&mut model, KeyCode::Home, 1);
    type_text(&mut model, ">> ");
    press(&mut model, KeyCode::End, 1);
    type_text(&mut model, " world!");
    press(&mut model, KeyCode::Backspace, 1);
    assert_eq!(composer!(model).text(), ">> hello world");
    // Back before the space, one right, Backspace: the space goes.
    press(&mut model, KeyCode::Left, 6);
    press(&mut model, KeyCode::Right, 1);
    press(&mut model, KeyCode::Backspace, 1);
    assert_eq!(composer!(model).text(), ">> helloworld");
    assert_eq!(composer!(model).body.cursor(), (0, 8));
    assert!(screen(&model).contains(">> helloworld"));
}

#[test]
fn enter_makes_lines_and_ctrl_s_saves_them_exactly() {
    let mut model = model();
    send(&mut model, char_key('n'));
    type_text(&mut model, "first line\nsecond");
    assert_eq!(composer!(model).body.cursor(), (1, 6));
    // Backspace at the start of a line joins it to the one above.
    press(&mut model, KeyCode::Home, 1);
    press(&mut model, KeyCode::Backspace, 1);
    assert_eq!(composer!(model).text(), "first linesecond");
    press(&mut model, KeyCode::Enter, 1);
    press(&mut model, KeyCode::Up, 1);
    press(&mut model, KeyCode::End, 1);
    type_text(&mut model, ":");
    press(&mut model, KeyCode::Down, 1);
    press(&mut model, KeyCode::End, 1);
    type_text(&mut model, "\n\n  third, indented");
    let typed = "first line:\nsecond\n\n  third, indented";
    assert_eq!(composer!(model).text(), typed);

    let effects = send(&mut model, ctrl('s'));
    let write = the_write(&effects);
    assert_eq!(write.incident_id, 7);
    let entry = created(&effects);
    assert_eq!(
        entry.body, typed,
        "the text is saved as typed, newlines and all"
    );
    assert_eq!(entry.kind, EntryKind::Note);
    assert_eq!(entry.visibility, Some(Visibility::Internal));
    assert_eq!(entry.occurred_at, None, "no time typed: now");
    assert!(model.ui.overlay.is_none(), "saving closes the editor");
    assert_eq!(
        model.unsaved.len(),
        1,
        "the draft is held until the journal has it on disk"
    );
}

#[test]
fn an_empty_note_is_not_saved() {
    let mut model = model();
    send(&mut model, char_key('n'));
    type_text(&mut model, "  \n ");
    assert!(send(&mut model, ctrl('s')).is_empty());
    assert_eq!(composer!(model).error.as_deref(), Some("the text is empty"));
    assert!(screen(&model).contains("the text is empty"));
}

#[test]
fn esc_closes_an_untouched_editor_at_once() {
    let mut model = model();
    send(&mut model, char_key('n'));
    assert!(send(&mut model, key(KeyCode::Esc)).is_empty());
    assert!(model.ui.overlay.is_none());
}

#[test]
fn esc_with_text_typed_asks_before_discarding() {
    let mut model = model();
    send(&mut model, char_key('n'));
    type_text(&mut model, "half a thought");
    assert!(send(&mut model, key(KeyCode::Esc)).is_empty());
    let composer = composer!(model);
    assert_eq!(
        composer.text(),
        "half a thought",
        "the first Esc keeps the text"
    );
    assert!(composer.discard_armed);
    assert!(screen(&model).contains("press esc again to discard"));

    // Typing on disarms: the next Esc asks again.
    type_text(&mut model, ", and more");
    send(&mut model, key(KeyCode::Esc));
    assert_eq!(composer!(model).text(), "half a thought, and more");

    assert!(send(&mut model, key(KeyCode::Esc)).is_empty());
    assert!(model.ui.overlay.is_none(), "the second Esc discards");
    assert!(model.unsaved.is_empty(), "a discarded draft is not kept");
}

/// Open a note with `text`, Tab to the occurred field and type `when`.
fn note_at(model: &mut Model, text: &str, when: &str) {
    send(model, char_key('n'));
    type_text(model, text);
    press(model, KeyCode::Tab, 2);
    assert_eq!(composer!(model).field.label(), "occurred");
    type_text(model, when);
    assert_eq!(composer!(model).occurred, when);
}

#[test]
fn back_dating_takes_relative_and_local_times() {
    // The console's zone is America/Los_Angeles (PDT, UTC-7); now is
    // 2017-09-11 23:52 UTC = 16:52 PDT.
    let cases = [
        ("-15m", fixed_now() - TimeDelta::minutes(15)),
        ("-2h", fixed_now() - TimeDelta::hours(2)),
        ("14:05", at_utc(21, 5)),
        ("13:42 UTC", at_utc(13, 42)),
        ("2017-09-11 09:30", at_utc(16, 30)),
    ];
    for (typed, expected) in cases {
        let mut model = model();
        note_at(&mut model, "the switch was power-cycled", typed);
        let effects = send(&mut model, ctrl('s'));
        assert_eq!(created(&effects).occurred_at, Some(expected), "{typed}");
    }
}

#[test]
fn the_occurred_field_shows_what_the_time_means() {
    let mut model = model();
    note_at(&mut model, "x", "14:05");
    let text = screen(&model);
    assert!(text.contains("= 2017-09-11 21:05 UTC / 14:05"), "{text}");
}

#[test]
fn a_nonsense_or_future_time_refuses_to_save() {
    let mut model = model();
    note_at(&mut model, "keep me", "yesterday");
    assert!(send(&mut model, ctrl('s')).is_empty(), "nothing is saved");
    let error = composer!(model).error.clone().unwrap_or_default();
    assert!(error.contains("'yesterday' is not a time"), "{error}");
    assert!(
        error.contains("HH:MM"),
        "the message says what works: {error}"
    );
    assert!(screen(&model).contains("'yesterday' is not a time"));
    assert_eq!(composer!(model).text(), "keep me");

    // Ctrl-U clears the field; a time in the future is refused too.
    send(&mut model, ctrl('u'));
    type_text(&mut model, "23:59");
    assert!(send(&mut model, ctrl('s')).is_empty());
    assert_eq!(
        composer!(model).error.as_deref(),
        Some("the time is in the future")
    );

    send(&mut model, ctrl('u'));
    let effects = send(&mut model, ctrl('s'));
    assert_eq!(created(&effects).body, "keep me");
}

/// The demo timeline with the note #4 at `version`, written over two lines.
fn timeline_with_note_version(version: i64) -> Timeline {
    let mut timeline = demo_timeline();
    for entry in &mut timeline.entries {
        if entry.id == 4 {
            entry.version = version;
            entry.body = "app-05 flapping too\nsuspect the switch sw-2".into();
        }
    }
    timeline
}

#[test]
fn e_edits_the_selected_entry_on_its_version() {
    let mut model = model();
    send(
        &mut model,
        Msg::Loaded(Loaded::Timeline(timeline_with_note_version(5))),
    );
    select_entry(&mut model, 4);
    send(&mut model, char_key('e'));
    let composer = composer!(model);
    assert_eq!(composer.title(), "Edit note #4");
    assert_eq!(
        composer.text(),
        "app-05 flapping too\nsuspect the switch sw-2"
    );
    assert_eq!(
        composer.body.cursor(),
        (1, 23),
        "the cursor starts at the end"
    );
    let text = screen(&model);
    assert!(
        text.contains("by dana · version 5"),
        "recorded_at is shown: {text}"
    );
    assert!(
        text.contains("(unchanged)"),
        "the occurred time is kept: {text}"
    );

    type_text(&mut model, " (confirmed)");
    let effects = send(&mut model, ctrl('s'));
    let (entry_id, base_version, patch) = patched(&effects);
    assert_eq!((entry_id, base_version), (4, 5));
    assert_eq!(
        patch,
        &EntryPatch {
            body: Some("app-05 flapping too\nsuspect the switch sw-2 (confirmed)".into()),
            ..EntryPatch::default()
        }
    );
}

#[test]
fn enter_reads_the_entry_e_edits_and_an_unchanged_edit_saves_nothing() {
    let mut model = model();
    select_entry(&mut model, 4);
    send(&mut model, key(KeyCode::Enter));
    assert!(
        matches!(model.ui.overlay, Overlay::Reader(_)),
        "Enter opens the entry in full: {:?}",
        model.ui.overlay
    );
    send(&mut model, key(KeyCode::Esc));
    send(&mut model, char_key('e'));
    assert_eq!(composer!(model).title(), "Edit note #4");
    assert!(send(&mut model, ctrl('s')).is_empty());
    assert_eq!(composer!(model).error.as_deref(), Some("nothing changed"));
    send(&mut model, key(KeyCode::Esc));
    assert!(
        model.ui.overlay.is_none(),
        "nothing changed: Esc closes at once"
    );
}

#[test]
fn a_back_dated_edit_keeps_the_text_and_moves_the_time() {
    let mut model = model();
    select_entry(&mut model, 4);
    send(&mut model, char_key('e'));
    press(&mut model, KeyCode::Tab, 2);
    type_text(&mut model, "-40m");
    let effects = send(&mut model, ctrl('s'));
    let (_, _, patch) = patched(&effects);
    assert_eq!(patch.body, None);
    assert_eq!(
        patch.occurred_at,
        Some(fixed_now() - TimeDelta::minutes(40))
    );
}

#[test]
fn detector_entries_cannot_be_edited_deleted_or_starred() {
    let mut model = model();
    select_entry(&mut model, 1);
    assert!(send(&mut model, char_key('e')).is_empty());
    assert!(model.ui.overlay.is_none());
    assert!(
        toast(&model).contains("entries from detectors"),
        "{}",
        toast(&model)
    );
    assert!(toast(&model).contains("cannot be changed"));
    assert!(send(&mut model, char_key('d')).is_empty());
    assert!(model.ui.overlay.is_none());
    assert!(toast(&model).contains("cannot be deleted"));
    assert!(send(&mut model, char_key('*')).is_empty());
    assert!(send(&mut model, char_key('v')).is_empty());
}

#[test]
fn star_and_visibility_are_one_key_patches() {
    let mut model = model();
    select_entry(&mut model, 4);
    let effects = send(&mut model, char_key('*'));
    let (entry_id, base_version, patch) = patched(&effects);
    assert_eq!((entry_id, base_version), (4, 1));
    assert_eq!(
        patch,
        &EntryPatch {
            starred: Some(true),
            ..EntryPatch::default()
        }
    );
    // Making it public asks first; the write goes out on yes.
    let effects = send(&mut model, char_key('v'));
    assert!(
        effects.is_empty(),
        "nothing sent before the answer: {effects:?}"
    );
    assert!(matches!(
        model.ui.overlay,
        warroom::tui::Overlay::Confirm(_)
    ));
    let effects = send(&mut model, char_key('y'));
    assert_eq!(
        patched(&effects).2,
        &EntryPatch {
            visibility: Some(Visibility::Public),
            ..EntryPatch::default()
        }
    );
    // Entry #2 is starred: `*` unstars it.
    select_entry(&mut model, 2);
    let effects = send(&mut model, char_key('*'));
    assert_eq!(patched(&effects).2.starred, Some(false));
}

#[test]
fn read_only_and_viewers_cannot_write() {
    for how in ["read-only", "viewer"] {
        let mut model = model();
        match how {
            "read-only" => model.settings.read_only = true,
            _ => {
                send(
                    &mut model,
                    Msg::Loaded(Loaded::Role(warroom::model::AccessRole::Viewer)),
                );
            }
        }
        let reason = if how == "read-only" {
            "read-only mode"
        } else {
            "viewer"
        };
        for c in ['n', 'u', 'm', 'i', 'T'] {
            model.ui.toast = None;
            assert!(send(&mut model, char_key(c)).is_empty());
            assert!(
                model.ui.overlay.is_none(),
                "{how}: {c} opened {:?}",
                model.ui.overlay
            );
            assert!(
                toast(&model).contains(reason),
                "{how}: {c}: {}",
                toast(&model)
            );
        }
        select_entry(&mut model, 4);
        for c in ['e', 'd', '*', 'v'] {
            model.ui.toast = None;
            assert!(send(&mut model, char_key(c)).is_empty(), "{how}: {c}");
            assert!(model.ui.overlay.is_none(), "{how}: {c}");
            assert!(
                toast(&model).contains(reason),
                "{how}: {c}: {}",
                toast(&model)
            );
        }
    }
}

#[test]
fn a_responder_may_write() {
    let mut model = model();
    send(
        &mut model,
        Msg::Loaded(Loaded::Role(warroom::model::AccessRole::Responder)),
    );
    send(&mut model, char_key('n'));
    assert_eq!(composer!(model).title(), "New note");
}
