//! End to end, issue 14: fix first, declare second. On `warroom demo
//! --scenario db-master-2020`, the commander restarts the stuck sites with
//! no incident open, then declares one from the database server's alert
//! (`i` on the selected alert: it starts when the alert opened) and exports
//! the postmortem with `X`. The file tells the real impact (sites affected)
//! and holds the restart, though both came before the declaration.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::console_moves::{Outcome, close_modal, execute_plan};
use crate::support::tmux::{Tmux, binary};

const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;
/// Alerts tried with `i` before giving up on finding db-1's.
const MAX_ALERTS: usize = 8;

#[test]
fn declared_from_an_alert_after_mitigating_the_postmortem_has_the_impact_and_the_restart() {
    let tmux = Tmux::start(WIDTH, HEIGHT);
    tmux.type_line(&format!(
        "{} demo --scenario db-master-2020 --speed 120",
        binary()
    ));
    tmux.wait_for("backends stuck", Duration::from_secs(60), |s| {
        s.contains("stuck on a prev")
    });

    // Mitigate first: restart the stuck sites, no incident open.
    tmux.keys(&["R"]);
    let (outcome, screen) = execute_plan(&tmux, "restart_sites");
    assert_eq!(outcome, Outcome::Succeeded, "{screen}");
    close_modal(&tmux);
    tmux.wait_for("every site up", Duration::from_secs(60), |s| {
        s.contains("✖ 0 down") && !s.contains("stuck on a prev")
    });

    // Declare from db-1's alert: `i` on each alert until the form is db-1's.
    tmux.keys(&["3", "g"]);
    let mut form = None;
    for _ in 0..MAX_ALERTS {
        tmux.keys(&["i"]);
        let screen = tmux.wait_for("the incident form", Duration::from_secs(10), |s| {
            s.contains("Declare an incident") && s.contains("enter/ctrl-s save")
        });
        if screen
            .lines()
            .any(|l| l.contains("title") && l.contains("db-1"))
        {
            form = Some(screen);
            break;
        }
        tmux.keys(&["Escape"]);
        tmux.wait_for("the form to close", Duration::from_secs(10), |s| {
            !s.contains("Declare an incident")
        });
        tmux.keys(&["j"]);
    }
    let form = form.unwrap_or_else(|| panic!("no alert about db-1:\n{}", tmux.screen()));
    assert!(
        form.contains("(when the alert opened)"),
        "the start is the alert's:\n{form}"
    );
    assert!(
        form.contains("Sites, Database"),
        "components pre-filled from the alert about the database server:\n{form}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for(
        "the header to follow the incident",
        Duration::from_secs(20),
        |s| {
            let header: String = s.lines().take(2).collect::<Vec<_>>().join("\n");
            header.contains("db-1") && header.contains("SEV1") && !s.contains("Declare an incident")
        },
    );

    // The timeline has the restart although it ran before the declaration.
    tmux.keys(&["4", "g"]);
    tmux.wait_for(
        "the restart in the timeline",
        Duration::from_secs(20),
        |s| s.contains("restart_sites: succeeded"),
    );

    tmux.keys(&["X"]);
    let path = tmux.data_dir().join("warroom/postmortems/incident-1.md");
    let text = wait_for_file(&path, Duration::from_secs(20));
    let affected = text
        .lines()
        .find_map(|l| l.strip_prefix("Sites affected: "))
        .unwrap_or_else(|| panic!("no sites affected line:\n{text}"));
    let count: u32 = affected
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a count: {affected}"));
    assert!(count > 0, "the stuck sites count as affected:\n{text}");
    assert!(affected.contains(" of 153"), "{affected}");
    assert!(
        text.contains("restart_sites: succeeded"),
        "the restart is in the postmortem:\n{text}"
    );
    assert!(!text.contains("no site was recorded down"), "{text}");
    eprintln!("{text}");
    tmux.quit_and_check_restored();
}

/// The file's text once it exists and is not empty.
fn wait_for_file(path: &PathBuf, within: Duration) -> String {
    let end = Instant::now() + within;
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.is_empty()
        {
            return text;
        }
        assert!(Instant::now() < end, "{} was not written", path.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}
