//! End to end, issue 13: the timeline follows its newest entry, and Enter
//! reads an entry in full.
//!
//! A console (commander) on `warroom serve` declares an incident; a second
//! client, the Rust API client with the responder's token, fills the
//! timeline with more notes than its pane has rows. With the timeline
//! focused on its last entry (`4`, `G`) the second client posts one more
//! note: the console shows it without a key pressed (the pane scrolled to
//! follow it). Then the console evacuates app-04; the action's result entry
//! lands at the end of the timeline, `G` selects it and Enter opens it in
//! the reader: its id, kind, author, both times and its whole body, which
//! the timeline row cuts short and the reader wraps over several lines.

use std::time::Duration;

use crate::api_serve::{ApiServe, console, runtime};
use crate::support::console_moves::{
    Outcome, close_modal, declare_incident, execute_plan, select_server, timeline_row,
};
use crate::support::tmux::Tmux;
use crate::support::tokens::{COMMANDER, RESPONDER};
use warroom::client::Client;
use warroom::model::{EntryKind, IncidentState, NewEntry, TimelineEntry};

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;
/// More notes than the timeline pane has rows at this height.
const FILLER: usize = 40;
const NEW_NOTE: &str = "vendor joined the bridge";
/// The reader's width (`src/tui/view/reader.rs`), borders included.
const READER_WIDTH: usize = 100;

fn note(body: &str) -> NewEntry {
    NewEntry {
        kind: EntryKind::Note,
        status: None,
        visibility: None,
        body: body.to_string(),
        occurred_at: None,
        starred: false,
        marker: None,
        source: None,
    }
}

/// N of the timeline pane's title `Timeline #1 · N entries`.
fn entry_count(screen: &str) -> Option<usize> {
    let line = screen.lines().find(|l| l.contains("Timeline #"))?;
    let (_, after) = line.split_once(" · ")?;
    after.split_whitespace().next()?.parse().ok()
}

/// The text inside the reader whose title is `title`: the rows between its
/// top and bottom borders, without the side borders, right-trimmed.
fn reader_rows(screen: &str, title: &str) -> Option<Vec<String>> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let title_chars: Vec<char> = title.chars().collect();
    let (top, left) = lines.iter().enumerate().find_map(|(row, line)| {
        let at = line
            .windows(title_chars.len())
            .position(|w| w == title_chars.as_slice())?;
        Some((row, at.checked_sub(1)?))
    })?;
    let mut rows = Vec::new();
    for line in &lines[top + 1..] {
        let inner: String = line.iter().skip(left + 1).take(READER_WIDTH - 2).collect();
        if inner.contains("any other key closes") {
            return Some(rows);
        }
        rows.push(inner.trim_end().to_string());
    }
    None
}

/// Words of `text`, single-spaced: wrapped text compares equal to its source.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The incident the console declared, as the second client sees it.
fn open_incident(rt: &tokio::runtime::Runtime, client: &Client) -> i64 {
    let open = rt
        .block_on(client.incidents(Some(IncidentState::Open)))
        .expect("list open incidents");
    assert_eq!(open.len(), 1, "one open incident: {open:?}");
    open[0].id
}

fn post_note(rt: &tokio::runtime::Runtime, client: &Client, incident: i64, body: &str) {
    rt.block_on(client.create_entry(incident, &note(body), None))
        .unwrap_or_else(|e| panic!("post the note {body:?}: {e}"));
}

/// Focus the timeline and select its last entry.
fn select_last_entry(tmux: &Tmux) {
    tmux.keys(&["4", "G"]);
}

#[test]
fn the_timeline_follows_a_new_note_and_enter_reads_an_action_entry_in_full() {
    let dir = tempfile::tempdir().expect("tempdir");
    // No scenario: nothing goes down, so the timeline holds what the test
    // writes and the evacuation's entries.
    let serve = ApiServe::start(dir.path(), warroom::sim::DEMO_FLEET, &["--speed", "120"]);
    let tmux = console(&serve.url, COMMANDER, WIDTH, HEIGHT, &[]);
    declare_incident(&tmux, "Slow checkout on sw-2");

    let rt = runtime();
    let second = serve.client(RESPONDER);
    let incident = open_incident(&rt, &second);
    for n in 1..=FILLER {
        post_note(&rt, &second, incident, &format!("filler note {n:02}"));
    }
    tmux.wait_for("the filler notes", Duration::from_secs(20), |s| {
        entry_count(s) == Some(FILLER)
    });
    select_last_entry(&tmux);
    let screen = tmux.wait_for("the last filler note", Duration::from_secs(10), |s| {
        timeline_row(
            s,
            " note int responder: ",
            &format!("filler note {FILLER:02}"),
        )
    });
    assert!(
        !timeline_row(&screen, " note int responder: ", "filler note 01"),
        "the pane is shorter than the timeline, so the first note is scrolled away:\n{screen}"
    );

    // The second client posts; the console follows without a key.
    post_note(&rt, &second, incident, NEW_NOTE);
    let screen = tmux.wait_for(
        "the second client's note in the timeline pane",
        Duration::from_secs(10),
        |s| timeline_row(s, " note int responder: ", NEW_NOTE),
    );
    assert_eq!(entry_count(&screen), Some(FILLER + 1), "{screen}");

    // An action entry: evacuate app-04 (healthy; the plan says so).
    select_server(&tmux, "app-04");
    tmux.keys(&["E"]);
    let (outcome, done) = execute_plan(&tmux, "evacuate_server app-04");
    assert_eq!(outcome, Outcome::Succeeded, "{done}");
    close_modal(&tmux);

    let timeline = rt
        .block_on(second.timeline(incident))
        .expect("read the timeline");
    let result: &TimelineEntry = timeline.entries.last().expect("the timeline has entries");
    assert!(
        result.kind == EntryKind::Action
            && result.body.starts_with("evacuate_server app-04: succeeded"),
        "the evacuation's result is the newest entry: {result:?}"
    );
    select_last_entry(&tmux);
    tmux.wait_for(
        "the result entry at the end of the timeline",
        Duration::from_secs(10),
        // The pane cuts the row short (62 columns at this width).
        |s| timeline_row(s, " action int commander: ", "evacuate_server app-04: succ"),
    );
    tmux.keys(&["Enter"]);
    let title = format!(" Entry #{} ", result.id);
    let screen = tmux.wait_for("the entry in the reader", Duration::from_secs(10), |s| {
        s.contains(&title) && s.contains("any other key closes")
    });
    let rows = reader_rows(&screen, &title)
        .unwrap_or_else(|| panic!("the reader's box, titled {title:?}:\n{screen}"));
    let field = |name: &str| {
        rows.iter()
            .find(|r| r.split_whitespace().next() == Some(name))
            .map(|r| words(&r[name.len()..]))
            .unwrap_or_else(|| panic!("the reader's {name} row:\n{screen}"))
    };
    assert_eq!(field("kind"), "action · internal · from action", "{screen}");
    assert_eq!(field("author"), "commander", "{screen}");
    for time in ["occurred", "recorded"] {
        assert!(
            field(time).contains(" UTC · "),
            "{time} in UTC and the console's zone:\n{screen}"
        );
    }
    // The body follows the fields and a blank row.
    let recorded = rows
        .iter()
        .position(|r| r.starts_with("recorded"))
        .expect("the recorded row");
    let body_rows: Vec<&String> = rows[recorded + 1..]
        .iter()
        .skip_while(|r| r.trim().is_empty())
        .take_while(|r| !r.trim().is_empty())
        .collect();
    assert!(
        body_rows.len() >= 2,
        "the long body wraps over several lines:\n{screen}"
    );
    let shown = words(
        &body_rows
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    );
    assert_eq!(
        shown,
        words(&result.body),
        "the reader shows the whole body:\n{screen}"
    );

    // Any other key closes it.
    tmux.keys(&["Escape"]);
    tmux.wait_for("the reader to close", Duration::from_secs(10), |s| {
        !s.contains(&title)
    });
    tmux.quit_and_check_restored();
    assert!(!serve.log().contains("panicked"), "{}", serve.log());
}
