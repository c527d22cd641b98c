//! `warroom lab --no-console` as a child process: its API, token, HAProxy
//! frontend and directory from the lines it prints; the process groups it
//! lists in `run/pgids`; every process descending from it. Stopped with
//! SIGINT (as Ctrl-C would) when the test says so, and killed when dropped,
//! even when the test fails; the lab's watchdog then stops its children.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use crate::support::tmux::binary;

/// Starting the lab (initdb, a base backup, eleven processes) in a debug build.
const START_WAIT: Duration = Duration::from_secs(90);
const STOP_WAIT: Duration = Duration::from_secs(30);

pub struct LabRun {
    child: Option<Child>,
    pub api: String,
    pub token: String,
    /// HAProxy's frontend URL.
    pub front: String,
    pub dir: PathBuf,
    stderr: PathBuf,
}

impl LabRun {
    /// Fails (never skips) with the apt line when a system binary is missing.
    pub fn start(dir: &Path) -> LabRun {
        LabRun::start_with(dir, &[])
    }

    /// [`LabRun::start`] with more arguments (`--scenario NAME --speed X`).
    pub fn start_with(dir: &Path, args: &[&str]) -> LabRun {
        if let Err(missing) = warroom::lab::Binaries::find() {
            panic!("{missing} (scripts/test.sh installs them)");
        }
        // PostgreSQL runs as its own user when the tests run as root: it
        // must be able to reach the lab's directory.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let lab_dir = dir.join("lab");
        let stderr = dir.join("lab.stderr");
        let mut child = Command::new(binary())
            .args(["lab", "--no-console", "--dir"])
            .arg(&lab_dir)
            .args(args)
            .env("WARROOM_LOG", "info")
            .env_remove("WARROOM_API")
            .env_remove("WARROOM_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("spawn warroom lab");
        let stdout = child.stdout.take().expect("stdout pipe");
        let (lines, found) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut run = LabRun {
            child: Some(child),
            api: String::new(),
            token: String::new(),
            front: String::new(),
            dir: lab_dir,
            stderr,
        };
        let deadline = Instant::now() + START_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match found.recv_timeout(left) {
                Ok(line) => line,
                Err(e) => panic!("the lab did not get ready ({e}); stderr:\n{}", run.log()),
            };
            let Some(rest) = line.strip_prefix("warroom lab: ") else {
                continue;
            };
            let value = rest.split_once(' ').map(|(_, v)| v.to_string());
            match rest.split(' ').next() {
                Some("api") => run.api = value.unwrap_or_default(),
                Some("token") => run.token = value.unwrap_or_default(),
                Some("sites") => run.front = value.unwrap_or_default(),
                Some("ready;") => break,
                _ => {}
            }
        }
        assert!(run.api.starts_with("http://127.0.0.1:"), "{}", run.api);
        assert!(run.front.starts_with("http://127."), "{}", run.front);
        run
    }

    pub fn pid(&self) -> i32 {
        self.child
            .as_ref()
            .map(|c| c.id() as i32)
            .expect("the lab runs")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// (name, process group) from the lab's `run/pgids`.
    pub fn groups(&self) -> Vec<(String, i32)> {
        std::fs::read_to_string(self.dir.join("run/pgids"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (name, group) = l.split_once(' ')?;
                Some((name.to_string(), group.parse().ok()?))
            })
            .collect()
    }

    pub fn group_of(&self, name: &str) -> i32 {
        self.groups()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, g)| g)
            .unwrap_or_else(|| panic!("no process {name} in {:?}", self.groups()))
    }

    /// SIGKILL to a child's whole process group (a crashed server).
    pub fn kill_group(&self, name: &str) {
        killpg(Pid::from_raw(self.group_of(name)), Signal::SIGKILL).expect("kill");
    }

    /// Stops the lab as Ctrl-C would and waits for it to exit.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("the lab runs");
        let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGINT);
        let deadline = Instant::now() + STOP_WAIT;
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the lab did not stop within {STOP_WAIT:?}; stderr:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for LabRun {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Every live process below `pid` in the process tree (zombies excluded).
pub fn descendants(pid: i32) -> Vec<i32> {
    let table = processes();
    let mut found = vec![pid];
    let mut at = 0;
    while at < found.len() {
        let parent = found[at];
        let children: Vec<i32> = table
            .iter()
            .filter(|p| p.ppid == parent && !found.contains(&p.pid))
            .map(|p| p.pid)
            .collect();
        found.extend(children);
        at += 1;
    }
    found.remove(0);
    found
}

/// The live (not zombie) processes among `pids` and in `groups`.
pub fn still_running(pids: &[i32], groups: &[i32]) -> Vec<String> {
    processes()
        .into_iter()
        .filter(|p| pids.contains(&p.pid) || groups.contains(&p.pgrp))
        .map(|p| format!("{} (group {}) {}", p.pid, p.pgrp, p.comm))
        .collect()
}

struct ProcessRow {
    pid: i32,
    ppid: i32,
    pgrp: i32,
    comm: String,
}

fn processes() -> Vec<ProcessRow> {
    let mut rows = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        if fields.len() < 3 || fields[0] == "Z" || fields[0] == "X" {
            continue;
        }
        rows.push(ProcessRow {
            pid,
            ppid: fields[1].parse().unwrap_or(0),
            pgrp: fields[2].parse().unwrap_or(0),
            comm: stat[open + 1..close].to_string(),
        });
    }
    rows
}

/// Collects, while it runs, every process group listed in a lab's
/// `run/pgids` and every process of them (PostgreSQL's backends in their
/// own sessions included), so a test can check that none is left once the
/// lab stopped, whoever started it.
pub struct LabWatcher {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<(Vec<i32>, Vec<i32>)>>,
}

impl LabWatcher {
    pub fn start(lab_dir: &Path) -> LabWatcher {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = std::sync::Arc::clone(&stop);
        let pgids = lab_dir.join("run/pgids");
        let thread = std::thread::spawn(move || {
            let mut groups: Vec<i32> = Vec::new();
            let mut pids: Vec<i32> = Vec::new();
            while !stopping.load(Ordering::SeqCst) {
                let listed = std::fs::read_to_string(&pgids).unwrap_or_default();
                for group in listed
                    .lines()
                    .filter_map(|l| l.split_once(' ')?.1.parse::<i32>().ok())
                {
                    if !groups.contains(&group) {
                        groups.push(group);
                    }
                }
                for group in &groups {
                    for pid in warroom::lab::members(*group) {
                        if !pids.contains(&pid) {
                            pids.push(pid);
                        }
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            (groups, pids)
        });
        LabWatcher {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops watching; returns (groups, processes) seen.
    pub fn finish(mut self) -> (Vec<i32>, Vec<i32>) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for LabWatcher {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
