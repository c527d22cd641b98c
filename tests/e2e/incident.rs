//! End to end, issue 4: two consoles on one `warroom serve`, each in its
//! own tmux server with its own XDG dirs (so its own journal). The first
//! declares an incident and posts an Investigating status update with a
//! two-line body; the second shows both within 2 s; the second edits the
//! update; the first shows the edit within 2 s.
//!
//! The 2 s are measured from the moment the writing console shows the entry
//! as posted (a timeline row from the API; a write still in the journal
//! shows as "⧗ pending" instead), polling both screens every 20 ms, so they
//! bound event-stream delivery plus one redraw of the other console; the
//! issue asks for 2 s and the design for about one. The time from Enter is
//! printed too.

use std::time::{Duration, Instant};

use crate::api_serve::ApiServe;
use crate::support::tmux::{Tmux, binary};
use crate::support::tokens::{COMMANDER, RESPONDER};
use warroom::client::Journal;

/// How soon the other console must show a write (issue 4, "Must show").
const SHARED_WITHIN: Duration = Duration::from_secs(2);

/// Narrower than 160 so the timeline gets half the width of the bottom row
/// (78 columns inside), enough for both lines of the body on one row.
const WIDTH: u16 = 159;
const HEIGHT: u16 = 45;

const TITLE: &str = "Checkout errors behind sw-2";
const LINE_1: &str = "Checkout 5xx";
const LINE_2: &str = "on sw-2";
const ADDED: &str = " +fix";

/// A console in its own tmux server, connected to `url` with `token`.
fn console(url: &str, token: &str) -> Tmux {
    let tmux = Tmux::start(WIDTH, HEIGHT);
    tmux.type_line(&format!("{} --api {url} --token {token}", binary()));
    tmux.wait_for("the console to connect", Duration::from_secs(30), |s| {
        s.contains("API live") && s.contains("app-01") && s.contains("no open incident")
    });
    tmux
}

/// The first two lines of the screen: the console's header.
fn header(screen: &str) -> String {
    screen.lines().take(2).collect::<Vec<_>>().join("\n")
}

/// The timeline row of the status update, as the console renders it: the
/// status, public, the author, then the body's lines joined with " ⏎ ".
fn update_row(body: &str) -> String {
    format!("investigating pub commander: {body}")
}

#[test]
fn two_consoles_share_an_incident_its_update_and_an_edit() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The demo fleet, simulated, no scenario: nothing goes down, so the
    // timeline holds only what the test writes.
    let serve = ApiServe::start(dir.path(), warroom::sim::DEMO_FLEET, &[]);
    let first = console(&serve.url, COMMANDER);
    let second = console(&serve.url, RESPONDER);

    // The first console declares the incident.
    crate::support::console_moves::declare_incident(&first, TITLE);

    // ... and posts an Investigating update with a two-line body: Enter in
    // the text area makes the new line, Ctrl-S shows the preview, Enter posts.
    first.keys(&["u"]);
    first.wait_for("the status update editor", Duration::from_secs(10), |s| {
        s.contains("New status update") && s.contains("investigating")
    });
    first.type_text(LINE_1);
    first.keys(&["Enter"]);
    first.type_text(LINE_2);
    first.keys(&["C-s"]);
    let preview = first.wait_for("the preview", Duration::from_secs(10), |s| {
        s.contains("Preview") && s.contains("This is published on the status page")
    });
    assert!(
        preview.contains("status: investigating"),
        "the preview names the status:\n{preview}"
    );
    assert!(
        preview
            .lines()
            .any(|l| l.contains(LINE_1) && !l.contains(LINE_2))
            && preview
                .lines()
                .any(|l| l.contains(LINE_2) && !l.contains(LINE_1)),
        "the preview shows the body on two lines:\n{preview}"
    );
    first.keys(&["Enter"]);
    let sent_at = Instant::now();

    let joined = format!("{LINE_1} ⏎ {LINE_2}");
    // The row comes from the API (pending writes show as "⧗ pending …"
    // instead), so it is posted.
    first.wait_closely(
        "the first console to show the update as posted",
        Duration::from_secs(20),
        |s| s.contains(&update_row(&joined)),
    );
    let posted_at = Instant::now();

    // The second console shows the incident and the update within 2 s.
    let seen = second.wait_closely(
        "the second console to show the incident and the update",
        SHARED_WITHIN,
        |s| header(s).contains(TITLE) && s.contains(&update_row(&joined)),
    );
    eprintln!(
        "the second console showed the update {:?} after the first ({:?} after Enter)",
        posted_at.elapsed(),
        sent_at.elapsed()
    );
    assert!(
        header(&seen).contains("investigating"),
        "the header follows the incident:\n{seen}"
    );
    // The journal's acknowledgement can trail the event by a frame.
    first.wait_for(
        "the first console's journal to have nothing left to send",
        Duration::from_secs(10),
        |s| !s.contains("⧗ pending") && !s.contains("unsent (journal)"),
    );

    // The second console edits the update: timeline (4), last entry (G), e.
    second.keys(&["4", "G", "e"]);
    second.wait_for("the entry editor", Duration::from_secs(10), |s| {
        s.contains("Edit status update #")
            && s.lines().any(|l| l.contains(LINE_1) && !l.contains(LINE_2))
            && s.lines().any(|l| l.contains(LINE_2) && !l.contains(LINE_1))
    });
    // The cursor starts at the end of the body: this extends the second line.
    second.type_text(ADDED);
    second.keys(&["C-s"]);
    second.wait_for("the edit's preview", Duration::from_secs(10), |s| {
        s.contains("Preview") && s.contains(&format!("{LINE_2}{ADDED}"))
    });
    second.keys(&["Enter"]);
    let edit_sent_at = Instant::now();

    let edited = format!("(edited) {LINE_1} ⏎ {LINE_2}{ADDED}");
    second.wait_closely(
        "the second console to show its edit as saved",
        Duration::from_secs(20),
        |s| s.contains(&update_row(&edited)),
    );
    let edited_at = Instant::now();

    // The first console shows the edit within 2 s.
    let screen = first.wait_closely("the first console to show the edit", SHARED_WITHIN, |s| {
        s.contains(&update_row(&edited))
    });
    eprintln!(
        "the first console showed the edit {:?} after the second ({:?} after Enter)",
        edited_at.elapsed(),
        edit_sent_at.elapsed()
    );
    assert!(
        screen.contains("#1 · 1 entries"),
        "an edit, not a second entry:\n{screen}"
    );
    assert!(!screen.contains("Conflict"), "{screen}");
    second.wait_for(
        "the second console's journal to have nothing left to send",
        Duration::from_secs(10),
        |s| !s.contains("⧗ pending") && !s.contains("unsent (journal)"),
    );

    // Each console wrote through a journal of its own, in its XDG data dir.
    for (name, tmux) in [("first", &first), ("second", &second)] {
        let journal = Journal::path_for(&tmux.data_dir().join("warroom"), &serve.url);
        assert!(
            journal.exists(),
            "the {name} console's journal {} exists",
            journal.display()
        );
    }

    first.quit_and_check_restored();
    second.quit_and_check_restored();
    assert!(
        !serve.log().contains("panicked"),
        "serve's log:\n{}",
        serve.log()
    );
}
