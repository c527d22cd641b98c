//! End to end in a real terminal: `warroom demo` in a detached tmux session
//! (own server socket, own XDG dirs), driven with keys and read back with
//! capture-pane. tmux must be installed (`.ci/run` installs it); without it
//! these tests fail rather than skip.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The shell prompt (capture-pane drops its trailing space, so match without it).
const PROMPT: &str = "WRSHELL$";

/// One tmux server with one 120x40 window running a plain shell.
struct Tmux {
    socket: String,
    _dirs: tempfile::TempDir,
}

impl Tmux {
    fn start() -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is required for the end-to-end tests (.ci/run installs it): {found:?}"
        );
        let dirs = tempfile::tempdir().expect("tempdir");
        let socket = format!(
            "warroom-e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let tmux = Tmux {
            socket,
            _dirs: dirs,
        };
        let root = tmux._dirs.path();
        for dir in ["config", "state", "data"] {
            std::fs::create_dir_all(root.join(dir)).expect("mkdir");
        }
        let shell = format!(
            "env -i PATH=/usr/bin:/bin HOME={home} TERM=tmux-256color XDG_CONFIG_HOME={c} XDG_STATE_HOME={s} XDG_DATA_HOME={d} PS1='{PROMPT} ' bash --norc --noprofile",
            home = root.display(),
            c = root.join("config").display(),
            s = root.join("state").display(),
            d = root.join("data").display(),
        );
        tmux.ok(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            &shell,
        ]);
        tmux.wait_for("the shell prompt", Duration::from_secs(10), |screen| {
            screen.contains(PROMPT)
        });
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.ok(&["capture-pane", "-p"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.ok(&args);
    }

    /// Type text as is (no key names).
    fn type_text(&self, text: &str) {
        self.ok(&["send-keys", "-l", text]);
    }

    fn type_line(&self, line: &str) {
        self.type_text(line);
        self.keys(&["Enter"]);
    }

    fn display(&self, format: &str) -> String {
        self.ok(&["display-message", "-p", format])
            .trim()
            .to_string()
    }

    /// Poll the screen until `done` holds; fail with the last screen after `deadline`.
    fn wait_for(&self, what: &str, deadline: Duration, done: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + deadline;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < end,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn binary() -> &'static str {
    let path = env!("CARGO_BIN_EXE_warroom");
    assert!(Path::new(path).exists(), "{path}");
    path
}

#[test]
fn demo_shows_the_fleet_answers_keys_and_restores_the_terminal() {
    let tmux = Tmux::start();
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
        s.contains("Keys — any other key closes") && s.contains("Quit the console.")
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for("help to close", Duration::from_secs(5), |s| {
        !s.contains("Keys — any other key closes")
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
    let tmux = Tmux::start();
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
    let tmux = Tmux::start();
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
