//! Drafts and the offline journal: a failed or refused write back in the
//! editor, and writes pending until sent.

use super::*;

/// Save a note with `text`; returns its journal write.
fn save_note(model: &mut Model, text: &str) -> JournalWrite {
    send(model, char_key('n'));
    type_text(model, text);
    let effects = send(model, ctrl('s'));
    the_write(&effects).clone()
}

#[test]
fn a_journal_failure_reopens_the_editor_with_the_text() {
    let mut model = model();
    let first = save_note(&mut model, "must not be lost\nsecond line");
    assert!(model.ui.overlay.is_none());
    send(
        &mut model,
        Msg::Wrote(Wrote::JournalFailed {
            error: "No space left on device".into(),
        }),
    );
    let composer = composer!(model);
    assert_eq!(composer.text(), "must not be lost\nsecond line");
    assert_eq!(
        composer.error.as_deref(),
        Some("not saved: No space left on device")
    );
    assert!(screen(&model).contains("not saved: No space left on device"));

    // Saving again is the same write: the API cannot get it twice.
    let effects = send(&mut model, ctrl('s'));
    assert_eq!(the_write(&effects).id, first.id);
}

#[test]
fn a_refused_entry_comes_back_to_the_editor() {
    let mut model = model();
    let write = save_note(&mut model, "refused text");
    send(
        &mut model,
        Msg::Wrote(Wrote::EntryRejected {
            write: Box::new(write),
            error: "body too long".into(),
        }),
    );
    let composer = composer!(model);
    assert_eq!(composer.text(), "refused text");
    assert_eq!(composer.error.as_deref(), Some("not saved: body too long"));
}

fn sent_entry(id: i64, body: &str) -> TimelineEntry {
    TimelineEntry {
        body: body.into(),
        ..entry(id, 0, EntryKind::Note, body)
    }
}

#[test]
fn journaled_writes_show_as_pending_until_sent() {
    let mut model = model();
    let write = save_note(&mut model, "cache flushed\nerrors dropping");
    send(
        &mut model,
        Msg::Wrote(Wrote::Journal {
            pending: vec![write.clone()],
        }),
    );
    assert!(model.unsaved.is_empty(), "on disk: the draft is safe");
    assert_eq!(model.data.pending.len(), 1);
    let text = screen(&model);
    assert!(
        text.contains("⧗ pending note: cache flushed ⏎ errors dropping"),
        "{text}"
    );
    assert!(text.contains("1 unsent"), "the header counts it: {text}");

    send(
        &mut model,
        Msg::Wrote(Wrote::EntrySent {
            write_id: write.id.clone(),
            entry: Box::new(sent_entry(9, "cache flushed\nerrors dropping")),
        }),
    );
    assert!(model.data.pending.is_empty());
    assert!(
        model
            .data
            .incidents
            .timeline
            .entries
            .iter()
            .any(|e| e.id == 9)
    );
    let text = screen(&model);
    assert!(!text.contains("⧗ pending"), "{text}");
    assert!(text.contains("cache flushed ⏎ errors dropping"), "{text}");
}
