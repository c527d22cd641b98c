//! End to end, issue 14 point 6: two consoles on one `warroom serve`, each
//! in its own tmux server, show each other in the header (name and role);
//! when one quits, the other's header drops it within seconds (the goodbye,
//! not the 45 s expiry).

use std::time::Duration;

use crate::api_serve::ApiServe;
use crate::support::tmux::{Tmux, binary};
use crate::support::tokens::{COMMANDER, RESPONDER};

const WIDTH: u16 = 159;
const HEIGHT: u16 = 45;
/// Well under the 45 s a silent console takes to expire.
const SOON: Duration = Duration::from_secs(10);

fn console(url: &str, token: &str) -> Tmux {
    let tmux = Tmux::start(WIDTH, HEIGHT);
    tmux.type_line(&format!("{} --api {url} --token {token}", binary()));
    tmux.wait_for("the console to connect", Duration::from_secs(30), |s| {
        s.contains("API live") && s.contains("app-01")
    });
    tmux
}

/// The first two lines of the screen: the console's header.
fn header(screen: &str) -> String {
    screen.lines().take(2).collect::<Vec<_>>().join("\n")
}

#[test]
fn two_consoles_show_each_other_in_the_header_and_a_quit_leaves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = ApiServe::start(dir.path(), warroom::sim::DEMO_FLEET, &[]);
    let first = console(&serve.url, COMMANDER);
    let second = console(&serve.url, RESPONDER);
    // Token names are the role names: "commander" has the commander role.
    let both = "here commander commander, responder responder";
    for (tmux, which) in [(&first, "first"), (&second, "second")] {
        let screen = tmux.wait_for(
            &format!("the {which} console's header to list both"),
            SOON,
            |s| header(s).contains(both),
        );
        assert_eq!(
            screen.matches("here ").count(),
            1,
            "one room list in the {which} header:\n{screen}"
        );
    }

    second.quit_and_check_restored();
    let screen = first.wait_for(
        "the first console's header to drop the one that quit",
        SOON,
        |s| !header(s).contains("responder") && header(s).contains("here commander commander"),
    );
    assert!(
        header(&screen).contains("API live"),
        "still connected:\n{screen}"
    );
    first.quit_and_check_restored();
    drop(serve);
}

#[test]
fn a_role_handoff_shows_in_both_timelines_and_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serve = ApiServe::start(dir.path(), warroom::sim::DEMO_FLEET, &[]);
    let first = console(&serve.url, COMMANDER);
    let second = console(&serve.url, RESPONDER);
    for tmux in [&first, &second] {
        tmux.wait_for("both in the room", SOON, |s| {
            header(s).contains("here commander commander, responder responder")
        });
    }
    crate::support::console_moves::declare_incident(&first, "Checkout errors");
    second.wait_for("the second console to follow the incident", SOON, |s| {
        header(s).contains("Checkout errors")
    });

    // O opens the role form on the commander role; Tab twice is the
    // scribe; → picks among the people in the room (in join order).
    first.keys(&["O"]);
    first.wait_for("the role form", SOON, |s| {
        s.contains("Incident roles") && s.contains("leave the role vacant")
    });
    first.keys(&["Tab", "Tab", "Right", "Right"]);
    first.wait_for("responder picked for scribe", SOON, |s| {
        s.lines()
            .any(|l| l.contains("to") && l.contains("responder▏"))
    });
    first.keys(&["Enter"]);
    for (tmux, which) in [(&first, "first"), (&second, "second")] {
        let screen = tmux.wait_for(
            &format!("the handoff in the {which} console's timeline and header"),
            SOON,
            |s| {
                crate::support::console_moves::timeline_row(
                    s,
                    "role int commander: ",
                    "commander assigned scribe to responder",
                ) && header(s).contains("scribe responder")
            },
        );
        assert!(
            !header(&screen).contains("IC "),
            "no commander assigned yet:\n{screen}"
        );
    }
    first.quit_and_check_restored();
    second.quit_and_check_restored();
    drop(serve);
}
