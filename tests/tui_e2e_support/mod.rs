//! Harness for the end-to-end console tests: a detached tmux server of its
//! own (own socket, own XDG dirs, a plain shell under `env -i`), driven with
//! keys and read back with capture-pane; waiting is always on a condition
//! with a deadline. tmux must be installed (`.ci/run` installs it); without
//! it these tests fail rather than skip.
//!
//! Also the console moves the action tests share: declaring an incident,
//! selecting a server row, and running a plan from the modal to its result.

// Each test binary uses a different part of this harness.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The shell prompt (capture-pane drops its trailing space, so match without it).
pub const PROMPT: &str = "WRSHELL$";

/// Width of the servers pane in the three-column layout (terminals at least
/// 160 wide; `src/tui/view/layout.rs`).
const SERVERS_PANE_WIDTH: usize = 50;

/// The `warroom` binary cargo built for these tests.
pub fn binary() -> &'static str {
    let path = env!("CARGO_BIN_EXE_warroom");
    assert!(Path::new(path).exists(), "{path}");
    path
}

/// One tmux server with one window of the given size running a plain shell
/// whose HOME and XDG dirs are a temporary directory of its own.
pub struct Tmux {
    socket: String,
    /// The server's socket file, removed when the server is killed (tmux
    /// leaves it behind otherwise).
    socket_path: Option<PathBuf>,
    dirs: tempfile::TempDir,
}

impl Tmux {
    pub fn start(width: u16, height: u16) -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let found = Command::new("tmux").arg("-V").output();
        assert!(
            found.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is required for the end-to-end tests (.ci/run installs it): {found:?}"
        );
        let dirs = tempfile::tempdir().expect("tempdir");
        let socket = format!(
            "warroom-e2e-x-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut tmux = Tmux {
            socket,
            socket_path: None,
            dirs,
        };
        let root = tmux.root();
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
        let (width, height) = (width.to_string(), height.to_string());
        tmux.ok(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            &width,
            "-y",
            &height,
            &shell,
        ]);
        tmux.socket_path = Some(PathBuf::from(tmux.display("#{socket_path}")));
        tmux.wait_for("the shell prompt", Duration::from_secs(10), |screen| {
            screen.contains(PROMPT)
        });
        tmux
    }

    /// The shell's HOME; `data/` under it is its XDG data dir.
    pub fn root(&self) -> &Path {
        self.dirs.path()
    }

    /// The XDG data dir of the shell (where the console keeps its journal).
    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data")
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.ok(&["capture-pane", "-p"])
    }

    /// Key names as tmux knows them (`Enter`, `Escape`, `C-s`, `j`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.ok(&args);
    }

    /// Type text as is (no key names).
    pub fn type_text(&self, text: &str) {
        self.ok(&["send-keys", "-l", text]);
    }

    pub fn type_line(&self, line: &str) {
        self.type_text(line);
        self.keys(&["Enter"]);
    }

    pub fn display(&self, format: &str) -> String {
        self.ok(&["display-message", "-p", format])
            .trim()
            .to_string()
    }

    /// Poll the screen until `done` holds; fail with the last screen after `deadline`.
    pub fn wait_for(&self, what: &str, deadline: Duration, done: impl Fn(&str) -> bool) -> String {
        self.poll(what, deadline, Duration::from_millis(100), done)
    }

    /// `wait_for` with a short poll interval, for measuring how soon
    /// something shows.
    pub fn wait_closely(
        &self,
        what: &str,
        deadline: Duration,
        done: impl Fn(&str) -> bool,
    ) -> String {
        self.poll(what, deadline, Duration::from_millis(20), done)
    }

    fn poll(
        &self,
        what: &str,
        deadline: Duration,
        every: Duration,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let end = Instant::now() + deadline;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < end,
                "timed out after {deadline:?} waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(every);
        }
    }

    /// Quit the console with `q` and check the terminal is the shell's
    /// again: alternate screen left, bash in front, raw mode off.
    pub fn quit_and_check_restored(&self) {
        self.keys(&["q"]);
        let screen = self.wait_for("the shell to come back", Duration::from_secs(15), |s| {
            s.matches(PROMPT).count() >= 2
        });
        assert!(
            !screen.contains("app-01"),
            "the console's screen is gone:\n{screen}"
        );
        assert_eq!(
            self.display("#{alternate_on}"),
            "0",
            "the alternate screen was left"
        );
        assert_eq!(self.display("#{pane_current_command}"), "bash");
        // Raw mode is off: the shell echoes what is typed.
        self.type_line("echo restored-$((40+2))");
        self.wait_for("the shell to echo", Duration::from_secs(5), |s| {
            s.contains("restored-42")
        });
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

// ---- console moves shared by the action tests ----

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
        s.contains("title") && s.contains("severity") && s.contains("Enter save")
    });
    tmux.type_text(title);
    tmux.keys(&["Enter"]);
    tmux.wait_for(
        "the header to show the new incident",
        Duration::from_secs(20),
        |s| {
            let header: String = s.lines().take(2).collect::<Vec<_>>().join("\n");
            header.contains(title) && header.contains("SEV2") && !s.contains("Enter save")
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
    let plan_title = format!("Plan · {label}");
    let action_title = format!("Action · {label}");
    for _ in 0..5 {
        let screen = tmux.wait_for(
            &format!("the plan {label} to be shown"),
            Duration::from_secs(30),
            |s| (s.contains(&plan_title) && s.contains("Enter execute")) || s.contains("no plan:"),
        );
        assert!(
            !screen.contains("no plan:"),
            "the planner refused {label}:\n{screen}"
        );
        tmux.keys(&["Enter"]);
        let screen = tmux.wait_for(
            &format!("the action {label} to finish"),
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
