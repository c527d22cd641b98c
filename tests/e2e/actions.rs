//! End to end, issue 5: `warroom demo --scenario switch-2017 --speed 120`
//! in tmux. Once app-04 is down, the commander declares an incident (action
//! entries go to the open incident's timeline), selects app-04 in the
//! servers pane, presses `E`, reads the plan in the modal and presses Enter.
//! The action's result shows in the modal; then, on screen:
//!
//! - the sites filter `on:app-04` matches no site any more, and
//!   `on:fo is:up` matches exactly app-04's 17 sites, each row showing
//!   `fo-N←app-04` (on a failover server, away from home) and `up`: every
//!   site app-04 had is up on a failover server. (The fleet-wide down count
//!   is not used: app-05 starts flapping at +45m, 22 s into the replay.)
//! - the timeline shows the action's start and result entries.
//!
//! The scenario keeps running, so the test races the sim clock only loosely:
//! the cache node behind sw-2 is lost at +165m (82 s of real time at 120x),
//! which would degrade every site; the steps here take a few seconds.

use std::time::Duration;

use crate::support::console_moves::{
    Outcome, close_modal, declare_incident, execute_plan, filter_sites, select_server,
    server_shows, timeline_row,
};
use crate::support::tmux::{Tmux, binary};

/// Wide enough for the three-column layout with the sites' SERVER and
/// STATE columns (the sites pane is 86 wide).
const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;

#[test]
fn evacuating_app_04_brings_its_sites_up_on_failover_servers() {
    let tmux = Tmux::start(WIDTH, HEIGHT);
    tmux.type_line(&format!(
        "{} demo --scenario switch-2017 --speed 120",
        binary()
    ));
    tmux.wait_for("app-04 down", Duration::from_secs(60), |s| {
        server_shows(s, "✖", "app-04")
    });
    declare_incident(&tmux, "Sites down behind sw-2");

    select_server(&tmux, "app-04");
    tmux.keys(&["E"]);
    let plan = tmux.wait_for("the evacuation plan", Duration::from_secs(30), |s| {
        s.contains("Plan · evacuate_server app-04") && s.contains("enter execute")
    });
    assert!(
        plan.contains("Placements (17)") && plan.contains("app-04 → fo-"),
        "the plan places app-04's 17 sites on failover servers:\n{plan}"
    );
    assert!(
        !plan.contains("Cannot place"),
        "two empty failover servers take 17 sites:\n{plan}"
    );
    // `execute_plan` presses Enter (and plans again if the fleet changed
    // between the plan and Enter).
    let (outcome, done) = execute_plan(&tmux, "evacuate_server app-04");
    assert_eq!(outcome, Outcome::Succeeded, "{done}");
    assert!(done.contains("17/17 sites moved"), "{done}");
    close_modal(&tmux);

    filter_sites(&tmux, "on:app-04");
    tmux.wait_for("no site left on app-04", Duration::from_secs(10), |s| {
        s.contains("filter “on:app-04” 0/153") && s.contains("no site matches the filter")
    });
    filter_sites(&tmux, "on:fo is:up");
    let screen = tmux.wait_for(
        "app-04's 17 sites up on failover servers",
        Duration::from_secs(30),
        |s| s.contains("filter “on:fo is:up” 17/153"),
    );
    let moved: Vec<&str> = screen
        .lines()
        .filter(|l| (l.contains("fo-1←app-04") || l.contains("fo-2←app-04")) && l.contains(" up "))
        .collect();
    assert_eq!(
        moved.len(),
        17,
        "17 rows of sites from app-04, up on fo-1/fo-2:\n{screen}"
    );
    assert!(
        moved.iter().all(|l| l.contains("● site-")),
        "each shows the up glyph:\n{screen}"
    );

    // The timeline, from its first entry: the detection, then the action's
    // start and its result.
    tmux.keys(&["4", "g"]);
    let screen = tmux.wait_for(
        "the action entries in the timeline",
        Duration::from_secs(10),
        |s| {
            timeline_row(
                s,
                " action int demo: ",
                "evacuate_server app-04: started by",
            ) && timeline_row(s, " action int demo: ", "evacuate_server app-04: succeeded")
        },
    );
    assert!(
        timeline_row(&screen, " detection int detector: ", "app-04"),
        "the detection entry precedes them:\n{screen}"
    );

    tmux.quit_and_check_restored();
}
