//! End to end, issue 13: quitting asks first when something typed would be
//! lost. A console on `warroom serve` in tmux; an incident is declared and
//! a note is being written (`n`, some text). The quit chord `ctrl-c` asks;
//! `n` goes back to the editor with the text intact; `ctrl-c` then `y`
//! quits and the terminal is the shell's again. On a window below the minimum size (80x24)
//! the panes are replaced by a notice, but `q` still asks, the question
//! shows on the small screen, and `n` keeps the console and the draft.
//!
//! (A `serve` rather than `warroom demo`: the demo's in-memory store
//! sometimes loses its tables under the parallel e2e load; see the report
//! of issue 13.)

use std::time::Duration;

use crate::api_serve::{ApiServe, console};
use crate::support::console_moves::declare_incident;
use crate::support::tmux::{PROMPT, Tmux};
use crate::support::tokens::COMMANDER;

const WIDTH: u16 = 160;
const HEIGHT: u16 = 45;
const DRAFT: &str = "half-written note about sw-2";
/// The question, as `src/tui/update.rs::ask_to_quit` words it.
const QUESTION: &str = "Quit and lose a timeline entry you are writing? y = quit, n = stay";

/// A console on `serve` with an incident declared and the note editor
/// open with `DRAFT` typed.
fn writing_a_note(serve: &ApiServe) -> Tmux {
    let tmux = console(&serve.url, COMMANDER, WIDTH, HEIGHT, &[]);
    declare_incident(&tmux, "Checkout errors behind sw-2");
    tmux.keys(&["n"]);
    tmux.wait_for("the note editor", Duration::from_secs(10), |s| {
        s.contains("New note")
    });
    tmux.type_text(DRAFT);
    wait_for_draft(&tmux, "the draft typed");
    tmux
}

/// Waits for the note editor showing exactly `DRAFT` (no key typed into it
/// since) and no question.
fn wait_for_draft(tmux: &Tmux, what: &str) -> String {
    tmux.wait_for(what, Duration::from_secs(10), |s| {
        s.contains("New note") && draft_intact(s) && !s.contains("Quit and lose")
    })
}

/// The draft shows, with nothing typed after it.
fn draft_intact(screen: &str) -> bool {
    screen.lines().any(|l| {
        l.find(DRAFT).is_some_and(|at| {
            let after = &l[at + DRAFT.len()..];
            after
                .chars()
                .next()
                .is_none_or(|c| c == ' ' || c == '▏' || c == '│' || c == '┃' || c == '█')
        })
    })
}

/// The text of the quit question as shown: from where "Quit and lose"
/// starts, that column of each row down to a border (the dialog's, or the
/// screen's edge on the bare small screen), until a blank one; its words
/// single-spaced, so a question wrapped over rows reads as one sentence.
fn question_text(screen: &str) -> Option<String> {
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let start: Vec<char> = "Quit and lose".chars().collect();
    let (top, column) = rows.iter().enumerate().find_map(|(r, row)| {
        let c = row
            .windows(start.len())
            .position(|w| w == start.as_slice())?;
        Some((r, c))
    })?;
    let mut words = Vec::new();
    for row in &rows[top..] {
        let part: String = row
            .iter()
            .skip(column)
            .take_while(|c| !('\u{2500}'..='\u{257f}').contains(*c))
            .collect();
        if part.trim().is_empty() {
            break;
        }
        words.extend(part.split_whitespace().map(str::to_string));
    }
    Some(words.join(" "))
}

/// The console process runs in the pane (the shell is not in front).
fn console_runs(tmux: &Tmux) -> bool {
    tmux.display("#{pane_current_command}") != "bash" && tmux.display("#{alternate_on}") == "1"
}

/// The whole question is on screen, in a dialog or on the bare small screen.
fn question_shown(screen: &str) -> bool {
    question_text(screen).as_deref() == Some(QUESTION)
}

/// `warroom serve` on the demo fleet, no scenario.
fn serve(dir: &tempfile::TempDir) -> ApiServe {
    ApiServe::start(dir.path(), warroom::sim::DEMO_FLEET, &[])
}

#[test]
fn ctrl_c_asks_before_losing_a_draft_and_quits_on_yes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = serve(&dir);
    let tmux = writing_a_note(&serve);

    tmux.keys(&["C-c"]);
    let screen = tmux.wait_for("the quit question", Duration::from_secs(10), question_shown);
    assert!(
        console_runs(&tmux),
        "ctrl-c asked, it did not quit:\n{screen}"
    );

    tmux.keys(&["n"]);
    let screen = wait_for_draft(&tmux, "the editor back with the draft");
    assert!(console_runs(&tmux), "{screen}");
    assert!(
        !screen.contains(&format!("{DRAFT}n")),
        "n answered the question; it was not typed into the draft:\n{screen}"
    );

    tmux.keys(&["C-c"]);
    tmux.wait_for(
        "the quit question again",
        Duration::from_secs(10),
        question_shown,
    );
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("the shell to come back", Duration::from_secs(15), |s| {
        s.matches(PROMPT).count() >= 2
    });
    assert!(
        !screen.contains("New note") && !screen.contains("app-01"),
        "the console's screen is gone:\n{screen}"
    );
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "0",
        "the alternate screen was left"
    );
    assert_eq!(tmux.display("#{pane_current_command}"), "bash");
    tmux.type_line("echo restored-$((40+2))");
    tmux.wait_for("the shell to echo", Duration::from_secs(5), |s| {
        s.contains("restored-42")
    });
}

#[test]
fn q_on_a_too_small_window_asks_and_n_keeps_the_draft() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = serve(&dir);
    let tmux = writing_a_note(&serve);

    tmux.ok(&["resize-window", "-x", "60", "-y", "20"]);
    tmux.wait_for("the too-small notice", Duration::from_secs(10), |s| {
        s.contains("Terminal too small") && s.contains("60x20")
    });
    tmux.keys(&["q"]);
    let screen = tmux.wait_for(
        "the quit question on the small screen",
        Duration::from_secs(10),
        question_shown,
    );
    assert!(!screen.contains("Terminal too small"), "{screen}");
    assert!(console_runs(&tmux), "q asked, it did not quit:\n{screen}");

    tmux.keys(&["n"]);
    tmux.wait_for("the too-small notice again", Duration::from_secs(10), |s| {
        s.contains("Terminal too small") && !s.contains("Quit and lose")
    });
    assert!(console_runs(&tmux), "n kept the console running");

    // Back to a usable size: the editor, with the draft as it was (the q
    // pressed on the small screen was not typed into it).
    let (width, height) = (WIDTH.to_string(), HEIGHT.to_string());
    tmux.ok(&["resize-window", "-x", &width, "-y", &height]);
    wait_for_draft(&tmux, "the editor back with the draft at full size");
    assert!(console_runs(&tmux));

    tmux.keys(&["C-c"]);
    tmux.wait_for("the quit question", Duration::from_secs(10), question_shown);
    tmux.keys(&["y"]);
    tmux.wait_for("the shell to come back", Duration::from_secs(15), |s| {
        s.matches(PROMPT).count() >= 2
    });
    assert_eq!(tmux.display("#{alternate_on}"), "0");
    assert_eq!(tmux.display("#{pane_current_command}"), "bash");
}
