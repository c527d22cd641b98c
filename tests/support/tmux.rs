//! Harness for the end-to-end console tests: a detached tmux server of its
//! own (own socket, own XDG dirs, a plain shell under `env -i`), driven with
//! keys and read back with capture-pane; waiting is always on a condition
//! with a deadline. tmux must be installed (`.ci/run` installs it); without
//! it these tests fail rather than skip. The console moves the tests share
//! are in `console_moves.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The shell prompt (capture-pane drops its trailing space, so match without it).
pub const PROMPT: &str = "WRSHELL$";

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

    /// Quit the console with `q` (answering `y` when it asks first: a
    /// demo's incident lives in its memory) and check the terminal is the
    /// shell's again: alternate screen left, bash in front, raw mode off.
    pub fn quit_and_check_restored(&self) {
        self.keys(&["q"]);
        let asked = self.wait_for("the console to quit or ask", Duration::from_secs(15), |s| {
            s.matches(PROMPT).count() >= 2 || s.contains("y = quit")
        });
        if asked.contains("y = quit") {
            self.keys(&["y"]);
        }
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
