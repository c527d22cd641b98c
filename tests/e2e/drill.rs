//! End to end, issue 7: the switch-2017 outage played through the
//! console's keys only, in tmux, on `warroom demo --scenario switch-2017`
//! at high speed. The responses mirror `warroom drill` (src/cli/drill.rs),
//! each made when the console shows its cause:
//!
//! | on screen                   | keys                                         |
//! | --------------------------- | -------------------------------------------- |
//! | `✖ app-04` (+0)             | select app-04, `E`, Enter                    |
//! | `↯ app-05` flapping (+45m)  | select app-05, `E`, Enter                    |
//! | `✖ app-06` (+80m)           | select app-06, `E`: the plan cannot place    |
//! |                             | every site and offers spares; `o`, Enter     |
//! |                             | (promote_spare), until the evacuation places |
//! |                             | all; then Enter                              |
//! | `✖ cache-1` (+165m)         | `C`, Enter: cache_failover needs a follow-up |
//! |                             | (the armed regression leaves stale web       |
//! |                             | clients); `f`, Enter (recycle_web)           |
//!
//! It ends when the sites pane counts every site up (`✖ 0 down`,
//! `◐ 0 degraded`, `● 153 up`), and the timeline holds the action entries of
//! every response. The drill scripts the cache failover at +135m, before the
//! switch reboot; a console user sees no cause for it until cache-1 is lost,
//! so this test fails over then, and recycles the web servers right after.

use std::time::Duration;

use crate::support::console_moves::{
    Outcome, close_modal, declare_incident, execute_plan, select_server, server_shows, timeline_row,
};
use crate::support::tmux::{Tmux, binary};

/// 300 sim seconds a second: the last fault (+170m) comes 34 s in.
const SPEED: &str = "300";
const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;
/// Evacuation rounds (one per spare promoted, then the evacuation itself).
const MAX_ROUNDS: usize = 8;

/// `E` on `server` until its plan places every site: while the plan says
/// sites cannot be placed, take its first offer (`o`, a promote_spare plan)
/// and run it, then plan the evacuation again. Returns the spares promoted.
fn evacuate(tmux: &Tmux, server: &str) -> Vec<String> {
    let label = format!("evacuate_server {server}");
    let title = format!("Plan · {label}");
    let mut promoted = Vec::new();
    for _ in 0..MAX_ROUNDS {
        select_server(tmux, server);
        tmux.keys(&["E"]);
        let plan = tmux.wait_for(&format!("the plan {label}"), Duration::from_secs(30), |s| {
            (s.contains(&title) && s.contains("enter execute")) || s.contains("no plan:")
        });
        assert!(!plan.contains("no plan:"), "{plan}");
        if !plan.contains("cannot be placed") {
            let (outcome, screen) = execute_plan(tmux, &label);
            assert_eq!(outcome, Outcome::Succeeded, "{screen}");
            assert!(
                screen.contains("17/17 sites moved"),
                "every site of {server} moved:\n{screen}"
            );
            close_modal(tmux);
            return promoted;
        }
        assert!(
            plan.contains("o take the first offer"),
            "a plan that cannot place every site offers a spare:\n{plan}"
        );
        tmux.keys(&["o"]);
        let (outcome, screen) = execute_plan(tmux, "promote_spare");
        assert_eq!(outcome, Outcome::Succeeded, "{screen}");
        let spare = screen
            .lines()
            .find_map(|l| {
                let at = l.find("Action · promote_spare ")?;
                l[at + "Action · promote_spare ".len()..]
                    .split_whitespace()
                    .next()
                    .map(str::to_string)
            })
            .unwrap_or_else(|| panic!("the promoted server in the modal's title:\n{screen}"));
        promoted.push(spare);
        close_modal(tmux);
    }
    panic!("{label}: still sites it cannot place after {MAX_ROUNDS} rounds");
}

#[test]
fn switch_2017_played_with_the_consoles_keys_ends_with_every_site_up() {
    let tmux = Tmux::start(WIDTH, HEIGHT);
    tmux.type_line(&format!(
        "{} demo --scenario switch-2017 --speed {SPEED}",
        binary()
    ));
    tmux.wait_for("app-04 down", Duration::from_secs(60), |s| {
        server_shows(s, "✖", "app-04")
    });
    declare_incident(&tmux, "Sites down behind sw-2");

    // +0: the first server.
    assert!(evacuate(&tmux, "app-04").is_empty());

    // +45m: the second server flaps.
    tmux.wait_for("app-05 flapping", Duration::from_secs(90), |s| {
        server_shows(s, "↯", "app-05")
    });
    assert!(evacuate(&tmux, "app-05").is_empty());

    // +80m: the third server; the failover servers are nearly full.
    tmux.wait_for("app-06 down", Duration::from_secs(90), |s| {
        server_shows(s, "✖", "app-06")
    });
    let promoted = evacuate(&tmux, "app-06");
    assert!(
        !promoted.is_empty(),
        "two failover servers cannot take three servers' sites: a spare was promoted"
    );
    eprintln!("promoted {promoted:?}");

    // +165m: the old cache node is lost.
    tmux.wait_for("cache-1 down", Duration::from_secs(120), |s| {
        server_shows(s, "✖", "cache-1")
    });
    tmux.keys(&["C"]);
    let (outcome, screen) = execute_plan(&tmux, "cache_failover");
    assert_eq!(
        outcome,
        Outcome::NeedsFollowUp,
        "the armed regression leaves stale cache clients:\n{screen}"
    );
    assert!(
        screen.contains("f plan the follow-up"),
        "the modal offers the follow-up:\n{screen}"
    );
    tmux.keys(&["f"]);
    let (outcome, screen) = execute_plan(&tmux, "recycle_web");
    assert_eq!(outcome, Outcome::Succeeded, "{screen}");
    close_modal(&tmux);

    let screen = tmux.wait_for("every site up", Duration::from_secs(90), |s| {
        s.contains("✖ 0 down") && s.contains("◐ 0 degraded") && s.contains("● 153 up")
    });
    assert!(
        screen.contains("cache ● cache-2"),
        "the cache runs on its standby:\n{screen}"
    );

    check_timeline(&tmux, &promoted);
    tmux.quit_and_check_restored();
}

/// Every response left its action entries in the timeline. The window is
/// made tall enough to list every entry at once (the timeline pane shows
/// the oldest first from `g`).
fn check_timeline(tmux: &Tmux, promoted: &[String]) {
    tmux.keys(&["4", "g"]);
    let screen = tmux.wait_for("the timeline's entry count", Duration::from_secs(10), |s| {
        entry_count(s).is_some()
    });
    let entries = entry_count(&screen).unwrap_or_default();
    // The timeline gets a bit over half of the body's rows.
    let height = (entries * 2 + 20).max(usize::from(HEIGHT)).to_string();
    tmux.ok(&["resize-window", "-y", &height]);
    let mut expected: Vec<String> = ["app-04", "app-05", "app-06"]
        .iter()
        .map(|s| format!("evacuate_server {s}: succeeded"))
        .collect();
    expected.extend(
        promoted
            .iter()
            .map(|s| format!("promote_spare {s}: succeeded")),
    );
    expected.push("cache_failover cache-2: started by".to_string());
    // The follow-up cleared: the cache failover is done once the web
    // servers were recycled.
    expected.push("cache_failover cache-2: no web server".to_string());
    expected.push("recycle_web: succeeded".to_string());
    let screen = tmux.wait_for(
        "every action's entries in the timeline",
        Duration::from_secs(20),
        |s| {
            expected
                .iter()
                .all(|body| timeline_row(s, " action int demo: ", body))
        },
    );
    eprintln!("{entries} timeline entries:\n{screen}");
}

/// N of the timeline pane's title `#1 · N entries`.
fn entry_count(screen: &str) -> Option<usize> {
    let title = screen.lines().find_map(|l| {
        let at = l.find("Timeline #")?;
        Some(&l[at..])
    })?;
    let (_, after) = title.split_once(" · ")?;
    after.split_whitespace().next()?.parse().ok()
}
