//! End to end, issue 14 point 7: after `switch-2017`, restoring redundancy
//! leaves no promoted spare and the cache back on a primary with a standby.
//!
//! `warroom demo --scenario switch-2017 --speed 120` in tmux. During the
//! fire the commander promotes app-09 into the failover pool (`P`) and
//! fails the cache over to cache-2 (`C`). The scenario then takes cache-1
//! away at +165m (82 s in) and brings it back, empty, at +195m (98 s in):
//! the alert "the cache has no standby" shows. After the fire:
//!
//! - `V` demotes the promoted spare: app-09's row reads `app` again;
//! - `H` restores the cache: cache-1 is made a standby again and the cache
//!   fails back to it (one plan or two, as cache-1's stability allows); the
//!   servers pane shows cache-1 active and the alert is gone;
//! - asked again, `V` and `H` say there is nothing to do: no promoted
//!   spare is left, and cache-1 is active with cache-2 as its standby.

use std::time::{Duration, Instant};

use crate::support::console_moves::{
    Outcome, close_modal, execute_plan, select_server, server_shows,
};
use crate::support::tmux::{Tmux, binary};

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;

/// The servers pane row of `id` (three-column layout: the pane is 50 wide).
fn server_row(screen: &str, id: &str) -> Option<String> {
    screen
        .lines()
        .map(|l| l.chars().take(50).collect::<String>())
        .find(|l| l.contains(&format!(" {id} ")))
}

/// "cache-1 up for 296 s" from the planner's refusal, if shown.
fn up_for(screen: &str) -> Option<String> {
    let at = screen.find("cache-1 up for ")?;
    let rest = &screen[at..];
    let end = rest.find(" s,")?;
    Some(rest[..end].to_string())
}

/// Presses `key` and waits for the planner's answer that there is nothing to do.
fn nothing_to_do(tmux: &Tmux, key: &str, reason: &str) {
    tmux.keys(&[key]);
    let screen = tmux.wait_for(
        &format!("{key}: nothing to do ({reason})"),
        Duration::from_secs(20),
        |s| s.contains("no plan:") && s.contains(reason),
    );
    assert!(screen.contains("nothing to do"), "{screen}");
    close_modal(tmux);
}

#[test]
fn after_switch_2017_restoring_redundancy_leaves_no_promoted_spare_and_the_cache_paired() {
    let tmux = Tmux::start(WIDTH, HEIGHT);
    tmux.type_line(&format!(
        "{} demo --scenario switch-2017 --speed 120",
        binary()
    ));
    tmux.wait_for("app-09 and cache-2 up", Duration::from_secs(60), |s| {
        server_shows(s, "●", "app-09") && server_shows(s, "●", "cache-2")
    });

    // The fire: a spare promoted, the cache failed over to its standby.
    select_server(&tmux, "app-09");
    tmux.keys(&["P"]);
    let (outcome, done) = execute_plan(&tmux, "promote_spare app-09");
    assert_eq!(outcome, Outcome::Succeeded, "{done}");
    close_modal(&tmux);
    let screen = tmux.wait_for("app-09 a failover server", Duration::from_secs(10), |s| {
        server_row(s, "app-09").is_some_and(|r| r.contains("failover"))
    });
    assert!(server_row(&screen, "app-09").is_some());
    tmux.keys(&["C"]);
    // The 2017 regression keeps the web servers on cache-1: a follow-up.
    let (outcome, done) = execute_plan(&tmux, "cache_failover");
    assert_eq!(outcome, Outcome::NeedsFollowUp, "{done}");
    close_modal(&tmux);
    tmux.wait_for("cache-2 active", Duration::from_secs(10), |s| {
        s.contains("cache ● cache-2")
    });

    // The switch reboot takes cache-1 away; it comes back empty.
    let screen = tmux.wait_for("cache-1 down", Duration::from_secs(150), |s| {
        server_shows(s, "✖", "cache-1")
    });
    let screen = if screen.contains("the cache has no standby") {
        screen
    } else {
        tmux.wait_for("the no-standby alert", Duration::from_secs(20), |s| {
            s.contains("the cache has no standby")
        })
    };
    assert!(screen.contains("cache-2 is active"), "{screen}");
    tmux.wait_for("cache-1 back up", Duration::from_secs(60), |s| {
        server_shows(s, "●", "cache-1")
    });

    // After the fire: the spare goes back to the app role.
    tmux.keys(&["V"]);
    let (outcome, done) = execute_plan(&tmux, "demote_spares");
    assert_eq!(outcome, Outcome::Succeeded, "{done}");
    close_modal(&tmux);
    tmux.wait_for("app-09 an app server again", Duration::from_secs(10), |s| {
        server_row(s, "app-09").is_some_and(|r| r.contains(" app ") && !r.contains("failover"))
    });

    // The cache: cache-1 re-established as the standby, then failed back
    // to once it has been up for the stability window (300 s of sim time).
    tmux.keys(&["H"]);
    let (outcome, done) = execute_plan(&tmux, "restore_cache cache-1");
    assert_eq!(outcome, Outcome::Succeeded, "{done}");
    close_modal(&tmux);
    // A plan that also failed back waited for cache-1's stability first;
    // one that only made it the standby did not.
    let failed_back = done.contains("wait until cache-1 has been up");
    if !failed_back {
        // Once cache-1 has been up for the stability window (300 s of sim
        // time), the cache fails back to it; until then the planner says
        // how long it has been up, and `r` asks again.
        tmux.keys(&["H"]);
        // Generous: a loaded machine slows the orchestrator's sim clock
        // (its probe results queue up), not only the console's.
        let deadline = Instant::now() + Duration::from_secs(240);
        let mut asked = Instant::now();
        loop {
            let screen = tmux.screen();
            if screen.contains("Plan · restore_cache") && screen.contains("enter execute") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "cache-1 never became stable enough to fail back to:\n{screen}"
            );
            // Ask again every few seconds while the planner says "not yet".
            if up_for(&screen).is_some() && asked.elapsed() > Duration::from_secs(3) {
                tmux.keys(&["r"]);
                asked = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let (outcome, done) = execute_plan(&tmux, "restore_cache cache-1");
        assert_eq!(outcome, Outcome::Succeeded, "{done}");
        assert!(done.contains("wait until cache-1 has been up"), "{done}");
        close_modal(&tmux);
    }
    tmux.wait_for(
        "cache-1 active and the alert gone",
        Duration::from_secs(20),
        |s| s.contains("cache ● cache-1") && !s.contains("the cache has no standby"),
    );

    nothing_to_do(&tmux, "V", "no promoted spare");
    nothing_to_do(
        &tmux,
        "H",
        "cache-1 is the active cache node and cache-2 its healthy standby",
    );
    tmux.quit_and_check_restored();
}
