//! End to end in a real terminal: `warroom demo` in a detached tmux session
//! (own server socket, own XDG dirs), driven with keys and read back with
//! capture-pane. tmux must be installed (`.ci/run` installs it); without it
//! these tests fail rather than skip.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::tmux::{PROMPT, Tmux, binary};

#[test]
fn demo_shows_the_fleet_answers_keys_and_restores_the_terminal() {
    let tmux = Tmux::start(120, 40);
    tmux.type_line(&format!("{} demo", binary()));
    let started = Instant::now();
    let screen = tmux.wait_for("the demo fleet", Duration::from_secs(10), |s| {
        s.contains("app-01") && s.contains("sw-2") && s.contains("DEMO · SIMULATED")
    });
    eprintln!("fleet on screen after {:?}", started.elapsed());
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "1",
        "the console draws on the alternate screen"
    );
    assert!(screen.contains("site-"), "{screen}");

    tmux.keys(&["?"]);
    tmux.wait_for("help", Duration::from_secs(5), |s| {
        s.contains("Keys: global — any other key closes") && s.contains("Quit the console")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("help to close", Duration::from_secs(5), |s| {
        !s.contains("any other key closes")
    });

    tmux.keys(&["/"]);
    tmux.wait_for("the filter prompt", Duration::from_secs(5), |s| {
        s.contains("Filter sites:")
    });
    tmux.type_text("brew");
    tmux.wait_for("the filter to apply", Duration::from_secs(5), |s| {
        s.contains("Filter sites: brew") && s.contains("Brewery") && !s.contains("Bayside Bridal")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for(
        "the prompt and the filter to go",
        Duration::from_secs(5),
        |s| !s.contains("Filter sites:") && !s.contains("filter “"),
    );

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("the shell to come back", Duration::from_secs(10), |s| {
        s.matches(PROMPT).count() >= 2
    });
    assert!(
        !screen.contains("app-01"),
        "the console's screen is gone:\n{screen}"
    );
    assert_eq!(
        tmux.display("#{alternate_on}"),
        "0",
        "the alternate screen was left"
    );
    assert_eq!(tmux.display("#{pane_current_command}"), "bash");
    // Raw mode is off: the shell echoes what is typed.
    tmux.type_line("echo restored-$((40+2))");
    tmux.wait_for("the shell to echo", Duration::from_secs(5), |s| {
        s.contains("restored-42")
    });
}

#[test]
fn switch_scenario_turns_app_04_down_and_sw_2_suspect() {
    let tmux = Tmux::start(120, 40);
    tmux.type_line(&format!(
        "{} demo --scenario switch-2017 --speed 300",
        binary()
    ));
    tmux.wait_for("app-04 down", Duration::from_secs(30), |s| {
        s.contains("✖ app-04")
    });
    tmux.wait_for("sw-2 suspect", Duration::from_secs(90), |s| {
        s.contains("⚠ sw-2 SUSPECT")
    });
    let screen = tmux.screen();
    assert!(screen.contains("switch-2017"), "{screen}");
    assert!(screen.contains("CRIT"), "alerts are listed:\n{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("the shell to come back", Duration::from_secs(10), |s| {
        s.matches(PROMPT).count() >= 2
    });
    assert_eq!(tmux.display("#{alternate_on}"), "0");
}

#[test]
fn sigterm_restores_the_terminal() {
    let tmux = Tmux::start(120, 40);
    tmux.type_line(&format!("{} demo", binary()));
    tmux.wait_for("the demo fleet", Duration::from_secs(10), |s| {
        s.contains("app-01")
    });
    let shell = tmux.display("#{pane_pid}");
    let children = Command::new("ps")
        .args(["-o", "pid=", "--ppid", &shell])
        .output()
        .expect("ps");
    let pid = String::from_utf8_lossy(&children.stdout).trim().to_string();
    assert!(
        !pid.is_empty() && !pid.contains('\n'),
        "one console process under the shell: {pid:?}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let screen = tmux.wait_for("the shell to come back", Duration::from_secs(10), |s| {
        s.matches(PROMPT).count() >= 2
    });
    assert!(!screen.contains("app-01"), "{screen}");
    assert_eq!(tmux.display("#{alternate_on}"), "0");
    tmux.type_line("echo restored-$((40+2))");
    tmux.wait_for("the shell to echo", Duration::from_secs(5), |s| {
        s.contains("restored-42")
    });
}
