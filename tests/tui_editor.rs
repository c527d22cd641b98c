//! The console's incident workflow driven through `update` (issue 4): the
//! timeline editor (typing, cursor, multi-line, cancel, back-dating, edit),
//! the status update preview and its warnings, delete/star/visibility, the
//! offline journal's answers (pending rows, failures, conflicts), the
//! incident form and switcher, and refusals in read-only and viewer mode.
//!
//! The editor's types (`Composer`, its `Stage` and `Field`) are not
//! exported, so the editor is read through its public fields and methods
//! (`text()`, `title()`, `field.label()`) and through the rendered screen.

mod tui_support;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use tui_support::*;
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

fn stage(model: &Model) -> String {
    format!("{:?}", composer!(model).stage)
}

/// The demo incident, listing `components`.
fn incident_with(components: &[(&str, ComponentStatus)]) -> Incident {
    Incident {
        components: components
            .iter()
            .map(|(name, status)| AffectedComponent {
                name: (*name).into(),
                status: *status,
            })
            .collect(),
        ..demo_incident()
    }
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

/// `u` on the demo incident, with `text` typed and the status moved
/// `steps` to the right of what the editor proposes.
fn status_update(model: &mut Model, text: &str, steps: usize) {
    send(model, char_key('u'));
    let composer = composer!(model);
    assert_eq!(composer.title(), "New status update");
    assert_eq!(
        composer.visibility,
        Visibility::Public,
        "status updates are public"
    );
    assert_eq!(
        composer.status,
        UpdateStatus::Update,
        "after an investigating update, the next is an update"
    );
    type_text(model, text);
    press(model, KeyCode::BackTab, 3);
    assert_eq!(composer!(model).field.label(), "status");
    press(model, KeyCode::Right, steps);
}

#[test]
fn monitoring_while_sites_are_down_is_warned_in_the_preview() {
    let mut model = model();
    status_update(&mut model, "A fix is deployed.\nWe are watching.", 1);
    assert_eq!(composer!(model).status, UpdateStatus::Monitoring);
    assert!(
        send(&mut model, ctrl('s')).is_empty(),
        "the preview posts nothing yet"
    );
    assert_eq!(stage(&model), "Preview");

    let down = model.data.fleet.counts.get(HealthState::Down)
        + model.data.fleet.counts.get(HealthState::Flapping);
    assert!(down > 0, "the demo fleet has sites down");
    let total = model.data.fleet.topology.sites.len();
    let text = screen(&model);
    for shown in [
        "Preview — incident #7",
        "This is published on the status page:",
        "status: monitoring",
        "impact: major (unchanged)",
        &format!(
            "! This says monitoring (a fix is in place), but {down} of {total} sites are down right now."
        ),
        "A fix is deployed.",
        "We are watching.",
        "enter/ctrl-s post",
    ] {
        assert!(text.contains(shown), "missing {shown:?} in\n{text}");
    }

    // Esc goes back to editing with the text kept.
    assert!(send(&mut model, key(KeyCode::Esc)).is_empty());
    assert_eq!(stage(&model), "Editing");
    assert_eq!(
        composer!(model).text(),
        "A fix is deployed.\nWe are watching."
    );

    send(&mut model, ctrl('s'));
    let effects = send(&mut model, key(KeyCode::Enter));
    let entry = created(&effects);
    assert_eq!(entry.kind, EntryKind::StatusUpdate);
    assert_eq!(entry.status, Some(UpdateStatus::Monitoring));
    assert_eq!(entry.visibility, Some(Visibility::Public));
    assert_eq!(entry.body, "A fix is deployed.\nWe are watching.");
    let incident_patch = effects.iter().find_map(|e| match e {
        Effect::UpdateIncident {
            id,
            base_version,
            patch,
        } => Some((*id, *base_version, patch.clone())),
        _ => None,
    });
    let (id, base_version, patch) = incident_patch.expect("the incident's status changes too");
    assert_eq!((id, base_version), (7, 3));
    assert_eq!(patch.status, Some(IncidentStatus::Monitoring));
    assert_eq!(patch.impact, None, "the impact did not change");
    assert!(model.ui.overlay.is_none());
}

#[test]
fn monitoring_with_every_site_up_has_no_warning() {
    let mut model = model();
    let mut topology = demo_topology(8);
    for site in &mut topology.sites {
        site.health.state = HealthState::Up;
        site.down_since = None;
    }
    send(
        &mut model,
        Msg::Loaded(Loaded::Topology(Box::new(topology))),
    );
    status_update(&mut model, "Watching.", 1);
    send(&mut model, ctrl('s'));
    let text = screen(&model);
    assert!(text.contains("status: monitoring"), "{text}");
    assert!(!text.contains("This says monitoring"), "{text}");
}

#[test]
fn resolved_while_a_component_is_in_major_outage_is_warned() {
    let mut model = model();
    load_incidents(
        &mut model,
        vec![incident_with(&[
            ("api", ComponentStatus::MajorOutage),
            ("web", ComponentStatus::Operational),
        ])],
    );
    status_update(&mut model, "All sites are back.", 2);
    assert_eq!(composer!(model).status, UpdateStatus::Resolved);
    send(&mut model, ctrl('s'));
    let text = screen(&model);
    for shown in [
        "status: resolved",
        "api: major outage (unchanged)",
        "web: operational (unchanged)",
        "! This says resolved, but it still lists api (major outage)",
        "This says resolved, but impact is still major",
        "All sites are back.",
    ] {
        assert!(text.contains(shown), "missing {shown:?} in\n{text}");
    }

    // Back to editing: set api to operational and lower the impact.
    send(&mut model, key(KeyCode::Esc));
    press(&mut model, KeyCode::Tab, 1);
    assert_eq!(composer!(model).field.label(), "impact");
    press(&mut model, KeyCode::Left, 2);
    press(&mut model, KeyCode::Tab, 1);
    assert_eq!(composer!(model).field.label(), "components");
    press(&mut model, KeyCode::Left, 3);
    send(&mut model, ctrl('s'));
    let text = screen(&model);
    assert!(text.contains("impact: major → none"), "{text}");
    assert!(text.contains("api: major outage → operational"), "{text}");
    assert!(!text.contains("still lists api"), "{text}");

    let effects = send(&mut model, key(KeyCode::Enter));
    assert_eq!(created(&effects).status, Some(UpdateStatus::Resolved));
    let patch = effects
        .iter()
        .find_map(|e| match e {
            Effect::UpdateIncident { patch, .. } => Some(patch.clone()),
            _ => None,
        })
        .expect("the incident changes");
    assert_eq!(patch.status, Some(IncidentStatus::Resolved));
    assert_eq!(patch.impact, Some(Impact::None));
    let components = patch.components.expect("components change");
    assert!(
        components
            .iter()
            .all(|c| c.status == ComponentStatus::Operational),
        "{components:?}"
    );
}

#[test]
fn a_long_update_still_shows_how_to_post_it() {
    let mut model = model();
    let long = "We moved the affected sites to the failover servers.".repeat(4);
    status_update(&mut model, &long, 0);
    send(&mut model, ctrl('s'));
    let text = screen(&model);
    assert!(text.contains("We moved the affected sites"), "{text}");
    assert!(
        text.contains("enter/ctrl-s post"),
        "BUG (src/tui/view/compose.rs draw_preview): the preview box is sized by lines, not \
         the rows a long text wraps to, so the Enter/Esc hint is cut off:\n{text}"
    );
}

#[test]
fn the_header_counts_down_to_the_next_public_update() {
    // sev1: every 30 min; the last public update was 27 min ago.
    let model = model();
    let text = screen(&model);
    assert!(text.contains("next update due in 3 min"), "{text}");
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
fn d_asks_and_only_y_deletes() {
    let mut model = model();
    select_entry(&mut model, 4);
    assert!(send(&mut model, char_key('d')).is_empty());
    let Overlay::Confirm(confirm) = &model.ui.overlay else {
        panic!("expected a confirmation, got {:?}", model.ui.overlay);
    };
    assert!(
        confirm.question.contains("Delete entry #4"),
        "{}",
        confirm.question
    );
    let text = screen(&model);
    assert!(text.contains("audit log. y = delete, n = keep"), "{text}");
    assert!(
        text.contains("n/q/N/esc no"),
        "BUG (src/tui/view/forms.rs modal): the box is sized by the number of lines, not \
         the rows they wrap to, so the wrapped question pushes the y/n hint out:\n{text}"
    );
    assert!(
        send(&mut model, char_key('n')).is_empty(),
        "n keeps the entry"
    );
    assert!(model.ui.overlay.is_none());

    send(&mut model, char_key('d'));
    let effects = send(&mut model, char_key('y'));
    assert_eq!(
        the_write(&effects).op,
        WriteOp::DeleteEntry {
            entry_id: 4,
            base_version: 1
        }
    );
    assert!(model.ui.overlay.is_none());
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
    let effects = send(&mut model, char_key('v'));
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
    theirs.author = "lee".into();
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

#[test]
fn i_declares_an_incident() {
    let mut model = model();
    send(&mut model, char_key('i'));
    let Overlay::IncidentForm(_) = &model.ui.overlay else {
        panic!("expected the incident form, got {:?}", model.ui.overlay);
    };
    assert!(send(&mut model, key(KeyCode::Enter)).is_empty());
    let text = screen(&model);
    assert!(text.contains("the title is empty"), "{text}");

    type_text(&mut model, "DB slow; checkout");
    press(&mut model, KeyCode::Backspace, 10);
    press(&mut model, KeyCode::Tab, 1);
    press(&mut model, KeyCode::Right, 1);
    press(&mut model, KeyCode::Tab, 2);
    press(&mut model, KeyCode::Left, 1);
    press(&mut model, KeyCode::Tab, 1);
    type_text(&mut model, "api, web");
    let text = screen(&model);
    assert!(text.contains("Declare an incident"), "{text}");
    assert!(text.contains("DB slow"), "{text}");
    assert!(text.contains("sev3"), "{text}");

    let effects = send(&mut model, key(KeyCode::Enter));
    let [Effect::CreateIncident(new)] = effects.as_slice() else {
        panic!("expected one CreateIncident, got {effects:?}");
    };
    let degraded = |name: &str| AffectedComponent {
        name: name.into(),
        status: ComponentStatus::DegradedPerformance,
    };
    assert_eq!(
        new,
        &NewIncident {
            title: "DB slow".into(),
            severity: Severity::Sev3,
            status: IncidentStatus::Investigating,
            impact: Impact::Minor,
            components: vec![degraded("api"), degraded("web")],
            started_at: Some(fixed_now()),
        }
    );
    assert!(
        screen(&model).contains("saving…"),
        "the form waits for the API"
    );

    let declared = Incident {
        id: 9,
        title: "DB slow".into(),
        severity: Severity::Sev3,
        status: IncidentStatus::Investigating,
        impact: Impact::Minor,
        started_at: fixed_now(),
        created_at: fixed_now(),
        version: 1,
        ..demo_incident()
    };
    let effects = send(
        &mut model,
        Msg::Wrote(Wrote::Incident {
            created: true,
            result: Ok(declared),
        }),
    );
    assert!(model.ui.overlay.is_none());
    assert_eq!(model.data.incidents.current().map(|i| i.id), Some(9));
    assert!(effects.contains(&Effect::Fetch(Request::Timeline(9))));
    send(&mut model, char_key('n'));
    assert_eq!(
        composer!(model).incident_id,
        9,
        "n writes on the new incident"
    );
}

#[test]
fn the_switcher_follows_the_chosen_incident() {
    let mut model = model();
    let older = Incident {
        id: 8,
        title: "Cache failover flapping".into(),
        severity: Severity::Sev2,
        started_at: fixed_now() - TimeDelta::hours(3),
        ..demo_incident()
    };
    let resolved = Incident {
        id: 5,
        title: "Yesterday's DNS blip".into(),
        state: IncidentState::Resolved,
        status: IncidentStatus::Resolved,
        started_at: fixed_now() - TimeDelta::days(1),
        ..demo_incident()
    };
    load_incidents(&mut model, vec![demo_incident(), older, resolved]);
    send(&mut model, char_key('I'));
    let Overlay::Switcher(switcher) = &model.ui.overlay else {
        panic!("expected the switcher, got {:?}", model.ui.overlay);
    };
    assert_eq!(switcher.selected, 0, "on the followed incident");
    let text = screen(&model);
    for shown in [
        "Sites unreachable behind sw-2",
        "Cache failover flapping",
        "Yesterday's DNS blip",
    ] {
        assert!(text.contains(shown), "missing {shown:?} in\n{text}");
    }

    send(&mut model, char_key('j'));
    let effects = send(&mut model, key(KeyCode::Enter));
    assert!(model.ui.overlay.is_none());
    assert_eq!(model.data.incidents.current().map(|i| i.id), Some(8));
    assert!(
        effects.contains(&Effect::Fetch(Request::Timeline(8))),
        "{effects:?}"
    );
    send(&mut model, char_key('n'));
    assert_eq!(composer!(model).incident_id, 8);
}

#[test]
fn the_preview_of_an_edited_update_shows_no_incident_change_it_will_not_make() {
    let mut model = model();
    load_incidents(
        &mut model,
        vec![incident_with(&[("api", ComponentStatus::MajorOutage)])],
    );
    select_entry(&mut model, 3);
    send(&mut model, char_key('e'));
    assert_eq!(composer!(model).title(), "Edit status update #3");
    type_text(&mut model, " Typo fixed.");
    assert!(send(&mut model, ctrl('s')).is_empty());
    assert_eq!(stage(&model), "Preview");
    let text = screen(&model);
    let effects = send(&mut model, key(KeyCode::Enter));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::UpdateIncident { .. })),
        "an edit does not change the incident"
    );
    assert_eq!(patched(&effects).0, 3);
    // So its preview must not say it does.
    assert!(
        !text.contains("impact: major → none") && !text.contains("api: major outage → removed"),
        "BUG (src/tui/compose.rs edit_composer / view/compose.rs draw_preview): the preview of \
         an edited status update claims the incident's impact and components change, though \
         saving an edit never patches the incident:\n{text}"
    );
}
