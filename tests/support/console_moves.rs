//! The console moves the end-to-end tests share, through a `Tmux`:
//! declaring an incident, selecting a server row, filtering the sites, and
//! running a plan from the modal to its result.

use std::time::Duration;

use super::tmux::Tmux;

/// Width of the servers pane in the three-column layout (terminals at least
/// 160 wide; `src/tui/view/layout.rs`).
const SERVERS_PANE_WIDTH: usize = 50;

/// The servers pane part of a screen line (three-column layout).
fn servers_column(line: &str) -> String {
    line.chars().take(SERVERS_PANE_WIDTH).collect()
}

/// Whether the servers pane lists `id` with this health glyph, e.g.
/// `server_shows(screen, "✖", "app-04")`.
pub fn server_shows(screen: &str, glyph: &str, id: &str) -> bool {
    let row = format!("{glyph} {id} ");
    screen
        .lines()
        .any(|line| servers_column(line).contains(&row))
}

/// Moves the servers pane's selection onto the row of server `id`: focus
/// the pane (`1`), go to the first row (`g`), then `j` once per row above
/// it. The rows are read off the screen (switch headers and servers, under
/// the cache/db summary line), so no order is assumed.
pub fn select_server(tmux: &Tmux, id: &str) {
    tmux.keys(&["1"]);
    let screen = tmux.wait_for(
        &format!("{id} in the servers pane"),
        Duration::from_secs(30),
        |s| {
            let lines: Vec<String> = s.lines().map(servers_column).collect();
            let summary = lines
                .iter()
                .position(|l| l.contains("cache ") && l.contains(" db "));
            summary.is_some() && lines.iter().any(|l| row_is_server(l, id))
        },
    );
    let lines: Vec<String> = screen.lines().map(servers_column).collect();
    let summary = lines
        .iter()
        .position(|l| l.contains("cache ") && l.contains(" db "))
        .expect("the summary line");
    let row = lines
        .iter()
        .position(|l| row_is_server(l, id))
        .expect("the server row");
    assert!(row > summary, "{id} is above the summary line:\n{screen}");
    let mut keys = vec!["g"];
    keys.extend(std::iter::repeat_n("j", row - summary - 1));
    tmux.keys(&keys);
}

/// A servers pane row of server `id`: border, glyph, space, id, space.
fn row_is_server(line: &str, id: &str) -> bool {
    let mut chars = line.chars();
    chars.next(); // the pane border
    chars.next(); // the health glyph
    chars.as_str().starts_with(&format!(" {id} "))
}

/// Whether one screen row has the timeline entry `head` (kind, visibility,
/// author, e.g. `" action int demo: "`) with `body` after it (flags such as
/// `(edited)` may come between).
pub fn timeline_row(screen: &str, head: &str, body: &str) -> bool {
    screen
        .lines()
        .any(|l| l.find(head).is_some_and(|at| l[at..].contains(body)))
}

/// Declares an incident from the console (`i`, the title, Enter) and waits
/// until the header follows it. Action entries go to the open incident's
/// timeline, so the action tests declare one first.
pub fn declare_incident(tmux: &Tmux, title: &str) {
    tmux.keys(&["i"]);
    tmux.wait_for("the incident form", Duration::from_secs(10), |s| {
        s.contains("title") && s.contains("severity") && s.contains("enter/ctrl-s save")
    });
    tmux.type_text(title);
    tmux.keys(&["Enter"]);
    tmux.wait_for(
        "the header to show the new incident",
        Duration::from_secs(20),
        |s| {
            let header: String = s.lines().take(2).collect::<Vec<_>>().join("\n");
            header.contains(title) && header.contains("SEV2") && !s.contains("enter/ctrl-s save")
        },
    );
}

/// How a plan run from the modal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    NeedsFollowUp,
}

/// With the plan modal of `label` (e.g. `evacuate_server app-04`, or a
/// prefix such as `cache_failover`) on its way, waits for the plan, presses
/// Enter and waits for the action's result. A refusal that asks for a new
/// plan (the topology changed between plan and execute, or a lease was
/// held) is answered with `r`, as the modal says, up to five times.
/// Returns the outcome and the screen showing it; the modal stays open.
pub fn execute_plan(tmux: &Tmux, label: &str) -> (Outcome, String) {
    execute_plan_with(tmux, label, "enter execute", "Enter")
}

/// The modal's refusals whose remedy is a new plan (`r`): 409, 410, 404, 423.
fn refused_for_replan(screen: &str) -> bool {
    screen.contains("press r to plan again") || screen.contains("locked: another running action")
}

/// Closes the modal with Esc and waits until it is gone.
pub fn close_modal(tmux: &Tmux) {
    tmux.keys(&["Escape"]);
    tmux.wait_for("the modal to close", Duration::from_secs(10), |s| {
        !s.contains("Plan · ") && !s.contains("Action · ")
    });
}

/// Sets the sites filter to `text` (`/`, the text, Enter) and waits until
/// the summary shows it.
pub fn filter_sites(tmux: &Tmux, text: &str) {
    tmux.keys(&["/"]);
    tmux.wait_for("the filter prompt", Duration::from_secs(10), |s| {
        s.contains("Filter sites:")
    });
    tmux.keys(&["C-u"]);
    tmux.type_text(text);
    tmux.keys(&["Enter"]);
    let shown = format!("filter “{text}”");
    tmux.wait_for(
        &format!("the filter {text} to apply"),
        Duration::from_secs(10),
        |s| s.contains(&shown) && !s.contains("Filter sites:"),
    );
}

/// `execute_plan` with the execute key rebound: waits for the plan of
/// `label` whose hint line names `hint` for execute (e.g. `"y execute"`),
/// presses `key` (a tmux key name) and waits for the action's result,
/// planning again with `r` on a refusal that asks for it (up to five
/// times). Returns the outcome and the screen showing it.
pub fn execute_plan_with(tmux: &Tmux, label: &str, hint: &str, key: &str) -> (Outcome, String) {
    let plan_title = format!("Plan · {label}");
    let action_title = format!("Action · {label}");
    for _ in 0..5 {
        let screen = tmux.wait_for(
            &format!("the plan {label} with the hint {hint:?}"),
            Duration::from_secs(30),
            |s| (s.contains(&plan_title) && s.contains(hint)) || s.contains("no plan:"),
        );
        assert!(
            !screen.contains("no plan:"),
            "the planner refused {label}:\n{screen}"
        );
        tmux.keys(&[key]);
        let screen = tmux.wait_for(
            &format!("the action {label} to finish after {key}"),
            Duration::from_secs(60),
            |s| {
                let finished = s.contains(&action_title)
                    && (s.contains("✓ succeeded")
                        || s.contains("⚠ needs_follow_up")
                        || s.contains("✗ failed")
                        || s.contains("■ aborted"));
                finished || refused_for_replan(s)
            },
        );
        if refused_for_replan(&screen) && !screen.contains(&action_title) {
            eprintln!("{label}: refused, planning again:\n{screen}");
            tmux.keys(&["r"]);
            continue;
        }
        if screen.contains("✓ succeeded") {
            return (Outcome::Succeeded, screen);
        }
        if screen.contains("⚠ needs_follow_up") {
            return (Outcome::NeedsFollowUp, screen);
        }
        panic!("the action {label} did not succeed:\n{screen}");
    }
    panic!("{label}: refused five times in a row");
}
