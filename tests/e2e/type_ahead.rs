//! End to end, issue 13: keys typed while a plan is being made go to the
//! plan modal, in order, once the plan is shown; none reaches the screen
//! underneath.
//!
//! `warroom serve` runs switch-2017 at 120x on the demo fleet with its two
//! failover servers shrunk to 5 slots each, so the evacuation of app-04
//! (17 sites) cannot place every site and offers spares to promote. The
//! commander selects app-04 once it is down and sends `E`, `o`, Enter in
//! one `send-keys` (one write to the terminal, long before the planner can
//! answer over HTTP): `E` plans the evacuation, `o` takes its first offer
//! (promote_spare app-01, the candidate with most free slots, ties by id)
//! and Enter executes that plan. The spare becomes a failover server in the
//! servers pane and the action's entries land in the timeline; no
//! evacuation ran and no reader opened.

use std::time::Duration;

use crate::api_serve::{ApiServe, console};
use crate::support::console_moves::{
    Outcome, close_modal, declare_incident, execute_plan, select_server, server_shows, timeline_row,
};
use crate::support::tokens::COMMANDER;

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;
/// The first offer of the plan: every healthy app server outside sw-2 has
/// 3 free slots; ties go by id.
const SPARE: &str = "app-01";

/// The demo fleet with `fo-1` and `fo-2` at 5 slots each instead of 20.
fn small_failover_fleet() -> String {
    let mut fleet = warroom::sim::DEMO_FLEET.to_string();
    for (id, switch) in [("fo-1", "sw-1"), ("fo-2", "sw-3")] {
        let full =
            format!("id = \"{id}\"\nrole = \"failover\"\nswitch = \"{switch}\"\ncapacity = 20\n");
        let small = full.replace("capacity = 20", "capacity = 5");
        assert!(
            fleet.contains(&full),
            "the demo fleet declares {id}: {full}"
        );
        fleet = fleet.replace(&full, &small);
    }
    fleet
}

/// The servers pane row of `id` (glyph, id, role), e.g. `● app-01   failover`.
fn server_role_row(screen: &str, id: &str, role: &str) -> bool {
    screen.lines().any(|line| {
        let column: String = line.chars().take(50).collect();
        let mut words = column
            .trim_start_matches(['│', ' '])
            .split_whitespace()
            .skip(1);
        words.next() == Some(id) && words.next() == Some(role)
    })
}

#[test]
fn keys_typed_before_the_plan_arrives_promote_the_offered_spare() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = ApiServe::start(
        dir.path(),
        &small_failover_fleet(),
        &["--scenario", "switch-2017", "--speed", "120"],
    );
    let tmux = console(&serve.url, COMMANDER, WIDTH, HEIGHT, &[]);
    tmux.wait_for("app-04 down", Duration::from_secs(60), |s| {
        server_shows(s, "✖", "app-04")
    });
    declare_incident(&tmux, "Sites down behind sw-2");
    select_server(&tmux, "app-04");
    tmux.wait_for(
        &format!("{SPARE} an app server before the promotion"),
        Duration::from_secs(10),
        |s| server_role_row(s, SPARE, "app"),
    );

    // One write: E plans, o takes the first offer, Enter executes it.
    tmux.keys(&["E", "o", "Enter"]);
    let label = format!("promote_spare {SPARE}");
    let action_title = format!("Action · {label}");
    let screen = tmux.wait_for(
        "the promotion to run from the typed-ahead keys",
        Duration::from_secs(60),
        |s| {
            (s.contains(&action_title) && s.contains("✓ succeeded"))
                || s.contains("press r to plan again")
                || s.contains("no plan:")
                || s.contains("Entry #")
        },
    );
    assert!(
        !screen.contains("Entry #"),
        "Enter opened a reader:\n{screen}"
    );
    assert!(
        !screen.contains("no plan:"),
        "the planner refused:\n{screen}"
    );
    if !screen.contains(&action_title) {
        // Enter reached the promotion's modal, whose execute was refused
        // (the fleet moved between plan and execute): plan it again.
        eprintln!("{label}: refused after the typed-ahead Enter:\n{screen}");
        assert!(
            screen.contains(&format!("Plan · {label}")),
            "the refusal is the promotion's:\n{screen}"
        );
        tmux.keys(&["r"]);
        let (outcome, done) = execute_plan(&tmux, &label);
        assert_eq!(outcome, Outcome::Succeeded, "{done}");
    }
    assert!(
        !screen.contains("Plan · evacuate_server") && !screen.contains("Action · evacuate_server"),
        "the evacuation did not run:\n{screen}"
    );
    close_modal(&tmux);

    let screen = tmux.wait_for(
        &format!("{SPARE} a failover server in the servers pane"),
        Duration::from_secs(30),
        |s| server_role_row(s, SPARE, "failover"),
    );
    assert!(
        server_role_row(&screen, "app-04", "app") && server_shows(&screen, "✖", "app-04"),
        "app-04 is still down where it was: nothing was evacuated:\n{screen}"
    );

    tmux.keys(&["4", "g"]);
    let screen = tmux.wait_for(
        "the promotion's entries in the timeline",
        Duration::from_secs(20),
        |s| {
            timeline_row(
                s,
                " action int commander: ",
                &format!("{label}: started by"),
            ) && timeline_row(s, " action int commander: ", &format!("{label}: succeeded"))
        },
    );
    assert!(
        !screen.contains("evacuate_server app-04: started"),
        "no evacuation entry:\n{screen}"
    );
    assert!(!screen.contains("Entry #"), "no reader is open:\n{screen}");
    tmux.quit_and_check_restored();
    assert!(!serve.log().contains("panicked"), "{}", serve.log());
}
