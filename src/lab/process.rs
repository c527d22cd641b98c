//! The lab's child processes: each in its own process group, listed by
//! group id in `run/pgids` under the lab's directory, stopped group by group
//! (its stop signal, then SIGKILL after a deadline). A watchdog shell, in a
//! group of its own and deaf to the terminal's signals, kills every listed
//! group if the lab process disappears without stopping them (`kill -9`,
//! abort); on a normal stop the list is removed and the watchdog exits.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// How long a process group gets to exit after its stop signal.
const STOP_WAIT: Duration = Duration::from_secs(5);
/// How long SIGKILLed processes get to disappear.
const KILL_WAIT: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(20);

/// One child process, leader of its own process group.
pub struct Proc {
    pub name: String,
    child: Child,
    /// The group id (the child's pid).
    pub pgid: i32,
    stop_signal: Signal,
}

impl Proc {
    /// True while its group has a live (not zombie) process.
    pub fn is_alive(&mut self) -> bool {
        let leader_running = matches!(self.child.try_wait(), Ok(None));
        leader_running || group_alive(self.pgid)
    }

    /// The child's stdout, when it was piped (taken once).
    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }

    /// Signal, then SIGKILL after [`STOP_WAIT`]; returns once nothing of the
    /// group is left (or the kill deadline passed) and the leader is reaped.
    fn stop(&mut self) {
        let group = Pid::from_raw(self.pgid);
        let _ = killpg(group, self.stop_signal);
        // A stopped (SIGSTOP) process acts on its signal only once continued.
        let _ = killpg(group, Signal::SIGCONT);
        if !self.wait_gone(STOP_WAIT) {
            let _ = killpg(group, Signal::SIGKILL);
            let _ = self.wait_gone(KILL_WAIT);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_gone(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            let leader_gone = !matches!(self.child.try_wait(), Ok(None));
            if leader_gone && !group_alive(self.pgid) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(POLL);
        }
    }
}

/// Every child the lab started, and the watchdog that outlives the lab.
pub struct Processes {
    procs: Vec<Proc>,
    pgid_file: PathBuf,
    watchdog: Option<Child>,
}

impl Processes {
    /// Starts the watchdog. `remove_dir`: a directory it deletes after
    /// killing the groups (the lab's temporary directory).
    pub fn new(run_dir: &Path, remove_dir: Option<&Path>) -> anyhow::Result<Processes> {
        Processes::watching(std::process::id(), run_dir, remove_dir)
    }

    /// As [`Processes::new`], the watchdog waiting for process `watched`.
    fn watching(
        watched: u32,
        run_dir: &Path,
        remove_dir: Option<&Path>,
    ) -> anyhow::Result<Processes> {
        let pgid_file = run_dir.join("pgids");
        std::fs::write(&pgid_file, "")?;
        let remove = remove_dir
            .map(|d| format!("rm -rf {}", sh_quote(&d.display().to_string())))
            .unwrap_or_default();
        // `kill -s SIG -- -GROUP`: the form both dash and bash accept. The
        // leader's children go first, while they are still its children:
        // PostgreSQL's backends live in sessions of their own, and a fault
        // may have stopped them.
        let script = format!(
            "trap '' INT TERM HUP; \
             alive() {{ [ -r /proc/{watched}/stat ] && ! grep -q ') Z' /proc/{watched}/stat; }}; \
             while alive && [ -f {file} ]; do sleep 0.3; done; \
             [ -f {file} ] || exit 0; \
             while read name g; do pkill -CONT -P $g 2>/dev/null; pkill -KILL -P $g 2>/dev/null; kill -s CONT -- -$g 2>/dev/null; kill -s KILL -- -$g 2>/dev/null; done < {file}; \
             rm -f {file}; {remove}",
            file = sh_quote(&pgid_file.display().to_string()),
        );
        let mut command = Command::new("sh");
        command
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let watchdog = command
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start the lab's watchdog: {e}"))?;
        Ok(Processes {
            procs: Vec::new(),
            pgid_file,
            watchdog: Some(watchdog),
        })
    }

    /// Spawns `command` as `name` in a new process group, stdin from
    /// /dev/null; `stop_signal` is what asks it to stop.
    pub fn spawn(
        &mut self,
        name: &str,
        command: &mut Command,
        stop_signal: Signal,
    ) -> anyhow::Result<&mut Proc> {
        std::os::unix::process::CommandExt::process_group(command, 0);
        command.stdin(Stdio::null());
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {name} ({program}): {e}"))?;
        let pgid = i32::try_from(child.id())?;
        self.procs.push(Proc {
            name: name.to_string(),
            child,
            pgid,
            stop_signal,
        });
        self.write_pgids();
        let at = self.procs.len() - 1;
        Ok(&mut self.procs[at])
    }

    /// (name, group id) of every process started and not stopped.
    pub fn groups(&self) -> Vec<(String, i32)> {
        self.procs
            .iter()
            .map(|p| (p.name.clone(), p.pgid))
            .collect()
    }

    /// Stops `name`'s group; false when there is no such process.
    pub fn stop(&mut self, name: &str) -> bool {
        let Some(at) = self.procs.iter().position(|p| p.name == name) else {
            return false;
        };
        let mut proc = self.procs.remove(at);
        proc.stop();
        self.write_pgids();
        true
    }

    /// Stops every group, the last started first, then the watchdog.
    pub fn stop_all(&mut self) {
        while let Some(mut proc) = self.procs.pop() {
            proc.stop();
            self.write_pgids();
        }
        let _ = std::fs::remove_file(&self.pgid_file);
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }

    fn write_pgids(&self) {
        let text: String = self
            .procs
            .iter()
            .map(|p| format!("{} {}\n", p.name, p.pgid))
            .collect();
        // Written beside and renamed, so the watchdog never reads half a list.
        let tmp = self.pgid_file.with_extension("new");
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &self.pgid_file);
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// True when a process of group `pgid` is alive (zombies do not count: they
/// run nothing and wait only for their parent to reap them).
pub fn group_alive(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        is_pid
            && std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|stat| parse_stat(&stat))
                .is_some_and(|(state, group)| group == pgid && state != 'Z' && state != 'X')
    })
}

/// Every live process of group `pgid` and every descendant of those, even
/// in sessions of their own (PostgreSQL puts each backend in one).
pub fn members(pgid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    // (pid, ppid, group) of every live process.
    let table: Vec<(i32, i32, i32)> = entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let rest = &stat[stat.rfind(')')? + 1..];
            let mut fields = rest.split_whitespace();
            let state = fields.next()?;
            let ppid = fields.next()?.parse().ok()?;
            let group = fields.next()?.parse().ok()?;
            (state != "Z" && state != "X").then_some((pid, ppid, group))
        })
        .collect();
    let mut found: Vec<i32> = table
        .iter()
        .filter(|(_, _, g)| *g == pgid)
        .map(|(p, _, _)| *p)
        .collect();
    let mut at = 0;
    while at < found.len() {
        let parent = found[at];
        for (pid, ppid, _) in &table {
            if *ppid == parent && !found.contains(pid) {
                found.push(*pid);
            }
        }
        at += 1;
    }
    found
}

/// (state, process group) from a `/proc/PID/stat` line.
fn parse_stat(stat: &str) -> Option<(char, i32)> {
    // The command name is in parentheses and may hold spaces or ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let group = fields.next()?.parse().ok()?;
    Some((state, group))
}

/// `text` as one single-quoted shell word.
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        assert_eq!(
            parse_stat("42 (a) b) S 1 42 42 0 -1"),
            Some(('S', 42)),
            "the last ')' ends the name"
        );
        assert_eq!(parse_stat("7 (sh) Z 1 9 9"), Some(('Z', 9)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn stopping_kills_the_whole_group_including_grandchildren() {
        let dir = tempfile::tempdir().expect("dir");
        let mut procs = Processes::new(dir.path(), None).expect("processes");
        // A shell that ignores SIGTERM and has a child of its own.
        let mut command = Command::new("sh");
        command.args(["-c", "trap '' TERM; sleep 300 & wait"]);
        let pgid = procs
            .spawn("stubborn", &mut command, Signal::SIGTERM)
            .expect("spawn")
            .pgid;
        let listed = std::fs::read_to_string(dir.path().join("pgids")).expect("pgids");
        assert_eq!(listed, format!("stubborn {pgid}\n"));
        assert!(group_alive(pgid));
        assert!(procs.stop("stubborn"));
        assert!(!group_alive(pgid), "the sleep is gone too");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("pgids")).expect("pgids"),
            ""
        );
        procs.stop_all();
        assert!(!dir.path().join("pgids").exists());
    }

    #[test]
    fn the_watchdog_kills_every_group_once_the_lab_process_is_gone() {
        let dir = tempfile::tempdir().expect("dir");
        let doomed = dir.path().join("doomed");
        std::fs::create_dir(&doomed).expect("dir");
        // Stands in for the lab process, which a test cannot kill -9 itself.
        let mut lab = Command::new("sleep").arg("300").spawn().expect("sleep");
        let mut procs = Processes::watching(lab.id(), dir.path(), Some(&doomed)).expect("procs");
        let mut command = Command::new("sh");
        // A child in a session of its own, stopped, as a PostgreSQL backend
        // under a `db_master_down` fault.
        command.args([
            "-c",
            "trap '' TERM INT HUP; sleep 300 & setsid sleep 300 & wait",
        ]);
        let pgid = procs
            .spawn("orphan-to-be", &mut command, Signal::SIGTERM)
            .expect("spawn")
            .pgid;
        assert!(group_alive(pgid));
        let deadline = Instant::now() + Duration::from_secs(10);
        while members(pgid).len() < 3 {
            assert!(Instant::now() < deadline, "{:?}", members(pgid));
            std::thread::sleep(POLL);
        }
        let all = members(pgid);
        for pid in &all {
            let _ = nix::sys::signal::kill(Pid::from_raw(*pid), Signal::SIGSTOP);
        }
        lab.kill().expect("kill");
        lab.wait().expect("reap");
        let alive = |pid: &i32| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| parse_stat(&s))
                .is_some_and(|(state, _)| state != 'Z' && state != 'X')
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while group_alive(pgid) || all.iter().any(alive) || doomed.exists() {
            if Instant::now() >= deadline {
                let left: Vec<i32> = all.iter().copied().filter(alive).collect();
                // Stopped leftovers would hold the harness's output open.
                for pid in &left {
                    let _ = nix::sys::signal::kill(Pid::from_raw(*pid), Signal::SIGCONT);
                    let _ = nix::sys::signal::kill(Pid::from_raw(*pid), Signal::SIGKILL);
                }
                panic!("the watchdog did not clean up: {left:?}");
            }
            std::thread::sleep(POLL);
        }
        procs.stop_all();
    }

    #[test]
    fn members_include_children_in_sessions_of_their_own() {
        let dir = tempfile::tempdir().expect("dir");
        let mut procs = Processes::new(dir.path(), None).expect("processes");
        let mut command = Command::new("sh");
        command.args(["-c", "setsid sleep 300 & sleep 300 & wait"]);
        let pgid = procs
            .spawn("parent", &mut command, Signal::SIGTERM)
            .expect("spawn")
            .pgid;
        let deadline = Instant::now() + Duration::from_secs(10);
        while members(pgid).len() < 3 {
            assert!(Instant::now() < deadline, "{:?}", members(pgid));
            std::thread::sleep(POLL);
        }
        let all = members(pgid);
        assert!(all.contains(&pgid));
        // The setsid child is in no group of the lab, yet a member.
        let outside: Vec<i32> = all
            .iter()
            .copied()
            .filter(|p| {
                std::fs::read_to_string(format!("/proc/{p}/stat"))
                    .ok()
                    .and_then(|s| parse_stat(&s))
                    .is_some_and(|(_, g)| g != pgid)
            })
            .collect();
        assert_eq!(outside.len(), 1, "{all:?}");
        for pid in outside {
            let _ = nix::sys::signal::kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        procs.stop_all();
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
    }
}
