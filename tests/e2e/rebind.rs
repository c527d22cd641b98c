//! End to end, issue 13: a key of the plan modal rebound in the config
//! file. `warroom serve` plays switch-2017 at 120x; the console starts
//! with `--config FILE` holding `[keys.modal] "y" = "execute"`. Once app-04
//! is down, the commander selects it, presses `E`, reads `y execute` in the
//! modal's hint line (the hints are built from the live keymap) and
//! presses `y`: the evacuation runs and moves app-04's 17 sites.
//!
//! (A `serve` rather than `warroom demo`: the demo's in-memory store
//! sometimes loses its tables under the parallel e2e load; see the report
//! of issue 13.)

use std::time::Duration;

use crate::api_serve::{ApiServe, console};
use crate::support::console_moves::{
    Outcome, close_modal, execute_plan_with, filter_sites, select_server, server_shows,
};
use crate::support::tokens::COMMANDER;

/// Three-column layout (`select_server` reads the servers pane there).
const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;

const CONFIG: &str = "[keys.modal]\n\"y\" = \"execute\"\n";

#[test]
fn y_bound_to_execute_in_the_config_runs_the_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = ApiServe::start(
        dir.path(),
        warroom::sim::DEMO_FLEET,
        &["--scenario", "switch-2017", "--speed", "120"],
    );
    let config = dir.path().join("rebind.toml");
    std::fs::write(&config, CONFIG).expect("config file");
    let config = config.display().to_string();
    let tmux = console(&serve.url, COMMANDER, WIDTH, HEIGHT, &["--config", &config]);
    tmux.wait_for("app-04 down", Duration::from_secs(60), |s| {
        server_shows(s, "✖", "app-04")
    });

    select_server(&tmux, "app-04");
    tmux.keys(&["E"]);
    let plan = tmux.wait_for("the evacuation plan", Duration::from_secs(30), |s| {
        // The whole modal, its hint line included (a capture can catch a
        // frame half drawn).
        s.contains("Plan · evacuate_server app-04")
            && s.contains("Placements (17)")
            && s.lines()
                .any(|l| l.contains(" execute ") && l.contains(" close"))
    });
    let hints = plan
        .lines()
        .find(|l| l.contains(" execute ") && l.contains(" close"))
        .unwrap_or_else(|| panic!("the modal's hint line:\n{plan}"));
    assert!(
        hints.contains("y execute"),
        "the hint names the rebound key first:\n{plan}"
    );
    assert!(
        !hints.contains("enter execute"),
        "the hint shows one key per action, the config's:\n{plan}"
    );

    let (outcome, done) = execute_plan_with(&tmux, "evacuate_server app-04", "y execute", "y");
    assert_eq!(outcome, Outcome::Succeeded, "{done}");
    assert!(done.contains("17/17 sites moved"), "{done}");
    close_modal(&tmux);
    filter_sites(&tmux, "on:app-04");
    tmux.wait_for("no site left on app-04", Duration::from_secs(10), |s| {
        s.contains("filter “on:app-04” 0/153") && s.contains("no site matches the filter")
    });

    tmux.quit_and_check_restored();
    assert!(!serve.log().contains("panicked"), "{}", serve.log());
}
