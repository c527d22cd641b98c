//! `warroom tail` as a user runs it: a real `warroom serve` child process,
//! `warroom tail` as another with its standard output piped, read line by
//! line with deadlines. Both processes are killed when the test ends, by
//! `kill_on_drop` also when it panics.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::client::client_for;
use crate::support::command::warroom_command;
use crate::support::new_incident::incident;
use crate::support::serve::{ServeProcess, serve_args_at, spawn_serve};
use crate::support::serve_args::{serve_args, tokens_file_text};
use crate::support::tokens::{RESPONDER, VIEWER};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use warroom::model::{EntryKind, NewEntry, UpdateStatus};

/// Continuation lines of a multi-line body start with this.
const INDENT: &str = "           ";

fn demo_fleet() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fleets/demo.toml")
}

/// A temp dir with a tokens file, a database path, and `warroom serve` on it.
async fn serve(dir: &Path, extra: &[&str]) -> (ServeProcess, Vec<String>) {
    let tokens = dir.join("tokens.toml");
    std::fs::write(&tokens, tokens_file_text()).expect("tokens file");
    let db = dir.join("warroom.db");
    let args = serve_args(&demo_fleet(), &db, &tokens, extra);
    let process = spawn_serve(dir, &args).await;
    let restart = serve_args_at(&process.url, &demo_fleet(), &db, &tokens, extra);
    (process, restart)
}

/// A running `warroom tail`: its lines as they come, and every byte it wrote.
struct Tail {
    child: tokio::process::Child,
    lines: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
    raw: Arc<Mutex<Vec<u8>>>,
    reader: tokio::task::JoinHandle<()>,
    stderr: PathBuf,
}

impl Tail {
    fn start(dir: &Path, args: &[&str]) -> Tail {
        let mut all = vec!["tail".to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        let stderr = dir.join("tail.stderr");
        let mut child = warroom_command(dir, &all)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                std::fs::File::create(&stderr).expect("stderr file"),
            ))
            .spawn()
            .expect("spawn warroom tail");
        let stdout = child.stdout.take().expect("stdout");
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (tx, lines) = mpsc::unbounded_channel();
        let bytes = raw.clone();
        let reader = tokio::spawn(async move {
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        bytes.lock().unwrap().extend_from_slice(&buf);
                        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
                        if tx.send(String::from_utf8_lossy(line).into_owned()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Tail {
            child,
            lines,
            seen: Vec::new(),
            raw,
            reader,
            stderr,
        }
    }

    /// The index of the first line from `from` on that `matches`, reading
    /// more lines until it comes; panics naming `what` after `within`.
    async fn wait_for(
        &mut self,
        from: usize,
        within: Duration,
        what: &str,
        matches: impl Fn(&str) -> bool,
    ) -> usize {
        let deadline = Instant::now() + within;
        loop {
            if let Some(i) = self.seen.iter().skip(from).position(|l| matches(l)) {
                return from + i;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.lines.recv()).await {
                Ok(Some(line)) => self.seen.push(line),
                _ => panic!(
                    "timed out after {within:?} waiting for {what}; tail printed:\n{}\nstderr:\n{}",
                    self.seen.join("\n"),
                    std::fs::read_to_string(&self.stderr).unwrap_or_default()
                ),
            }
        }
    }

    /// Reads until at least `n` lines have been seen.
    async fn wait_lines(&mut self, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.seen.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.lines.recv()).await {
                Ok(Some(line)) => self.seen.push(line),
                _ => panic!("timed out waiting for {n} lines: {:#?}", self.seen),
            }
        }
    }

    fn count(&self, needle: &str) -> usize {
        self.seen.iter().filter(|l| l.contains(needle)).count()
    }

    /// Waits (with a deadline) for the process to exit.
    async fn exit(&mut self, within: Duration) -> std::process::ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("warroom tail still runs after {within:?}"))
            .expect("wait for warroom tail")
    }

    fn interrupt(&self) {
        let pid = self.child.id().expect("tail is running");
        let status = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -INT {pid}");
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        self.reader.abort();
        let _ = self.child.start_kill();
    }
}

fn is_timestamp(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 9
        && b[2] == b':'
        && b[5] == b':'
        && b[8] == b' '
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit())
}

fn note(body: &str) -> NewEntry {
    crate::support::new_note::note(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_follows_the_switch_outage_as_plain_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, _) = serve(dir.path(), &["--scenario", "switch-2017", "--speed", "120"]).await;
    let client = client_for(&serve.url, Some(RESPONDER));
    let declared = client
        .create_incident(&incident("Sites down behind sw-2"))
        .await
        .expect("incident");
    client
        .create_entry(
            declared.id,
            // The API takes tabs and bidi overrides (it refuses other
            // control characters): both must reach the terminal defused.
            &note("reboot of sw-2 requested\tby the DC \u{202e}gnirts"),
            None,
        )
        .await
        .expect("note");

    let mut tail = Tail::start(
        dir.path(),
        &[
            "--api",
            &serve.url,
            "--token",
            VIEWER,
            "--tz",
            "America/Los_Angeles",
        ],
    );
    let wait = Duration::from_secs(60);
    let first = tail
        .wait_for(0, wait, "the summary line", |l| {
            l.contains(" connected to ")
        })
        .await;
    assert_eq!(first, 0, "the summary comes first: {:#?}", tail.seen);
    assert!(
        tail.seen[0].contains(&serve.url)
            && tail.seen[0].contains("times in America/Los_Angeles")
            && tail.seen[0].contains("servers ")
            && tail.seen[0].contains("sites "),
        "{}",
        tail.seen[0]
    );
    // app-04 fails at +0m: open when tail starts, or seen live.
    tail.wait_for(0, wait, "the alert for app-04", |l| {
        is_timestamp(l) && l.contains("ALERT critical server_down app-04: ")
    })
    .await;
    let noted = tail
        .wait_for(0, wait, "the incident's note", |l| {
            l.contains(&format!(
                "#{} note, internal, by responder: reboot of sw-2 requested    by the DC \\u{{202e}}gnirts",
                declared.id
            ))
        })
        .await;
    let live = tail
        .wait_for(0, wait, "the start's end", |l| {
            l.ends_with(" following live events")
        })
        .await;
    assert!(noted < live, "the note is in the start block");

    let mut update = note(
        "Sites on app-04 are down.\nWe are moving them to failover servers.\nNext update in 30 minutes.",
    );
    update.kind = EntryKind::StatusUpdate;
    update.status = Some(UpdateStatus::Identified);
    client
        .create_entry(declared.id, &update, Some("tail-update-1"))
        .await
        .expect("status update");
    let head = tail
        .wait_for(live, wait, "the status update", |l| {
            l.contains(&format!(
                "#{} status_update identified, public, by responder: Sites on app-04 are down.",
                declared.id
            ))
        })
        .await;
    tail.wait_lines(head + 3, wait).await;
    assert_eq!(
        tail.seen[head + 1..head + 3],
        [
            format!("{INDENT}We are moving them to failover servers."),
            format!("{INDENT}Next update in 30 minutes."),
        ],
        "{:#?}",
        tail.seen
    );
    assert_eq!(tail.count("Sites on app-04 are down."), 1);

    // Ctrl-C ends it cleanly and says where to resume.
    tail.interrupt();
    let status = tail.exit(Duration::from_secs(10)).await;
    assert!(status.success(), "Ctrl-C: {status:?}");
    let stderr = std::fs::read_to_string(&tail.stderr).unwrap_or_default();
    assert!(stderr.contains("resume with --since "), "{stderr}");

    // Plain text: every line starts with a time or continues a body, and
    // no control character but the newline was written.
    tokio::time::timeout(Duration::from_secs(5), &mut tail.reader)
        .await
        .expect("stdout closes when tail exits")
        .expect("the reader task ends cleanly");
    while let Ok(line) = tail.lines.try_recv() {
        tail.seen.push(line);
    }
    for line in &tail.seen {
        assert!(
            is_timestamp(line) || line.starts_with(INDENT),
            "not a plain line: {line:?}"
        );
    }
    let raw = tail.raw.lock().unwrap().clone();
    assert!(!raw.contains(&0x1b), "ESC in the output");
    let text = String::from_utf8(raw).expect("UTF-8 output");
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(bad.is_empty(), "control characters {bad:?} in:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_reconnects_after_a_restart_and_prints_nothing_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut first, restart) = serve(dir.path(), &[]).await;
    let url = first.url.clone();
    let client = client_for(&url, Some(RESPONDER));
    let declared = client
        .create_incident(&incident("restart"))
        .await
        .expect("incident");
    let mut tail = Tail::start(dir.path(), &["--api", &url, "--token", VIEWER]);
    let wait = Duration::from_secs(30);
    let live = tail
        .wait_for(0, wait, "the start's end", |l| {
            l.ends_with(" following live events")
        })
        .await;
    client
        .create_entry(declared.id, &note("before the restart"), None)
        .await
        .expect("note");
    tail.wait_for(live, wait, "the first note", |l| {
        l.ends_with(": before the restart")
    })
    .await;

    first.child.kill().await.expect("kill serve");
    let _ = first.child.wait().await;
    let lost = tail
        .wait_for(live, wait, "the lost connection", |l| {
            is_timestamp(l) && l.contains(" connection lost: ")
        })
        .await;
    let _second = spawn_serve(dir.path(), &restart).await;
    tail.wait_for(lost, wait, "the reconnection", |l| {
        l.ends_with(&format!(" reconnected to {url}"))
    })
    .await;
    client
        .create_entry(declared.id, &note("after the restart"), None)
        .await
        .expect("note after the restart");
    tail.wait_for(lost, wait, "the second note", |l| {
        l.ends_with(": after the restart")
    })
    .await;
    assert_eq!(tail.count(": before the restart"), 1, "{:#?}", tail.seen);
    assert_eq!(tail.count(": after the restart"), 1, "{:#?}", tail.seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_exits_cleanly_when_its_reader_goes_away() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (serve, _) = serve(dir.path(), &[]).await;
    let client = client_for(&serve.url, Some(RESPONDER));
    let declared = client
        .create_incident(&incident("pipe"))
        .await
        .expect("incident");
    let mut tail = Tail::start(dir.path(), &["--api", &serve.url, "--token", VIEWER]);
    tail.wait_for(0, Duration::from_secs(30), "the start's end", |l| {
        l.ends_with(" following live events")
    })
    .await;
    // Like `warroom tail | head -n 3`: the reader closes the pipe.
    tail.reader.abort();
    let _ = (&mut tail.reader).await;
    // Lines keep coming until one cannot be written.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        client
            .create_entry(declared.id, &note("anyone there?"), None)
            .await
            .expect("note");
        match tokio::time::timeout(Duration::from_millis(500), tail.child.wait()).await {
            Ok(status) => break status.expect("wait for tail"),
            Err(_) => assert!(
                Instant::now() < deadline,
                "tail still runs with nobody reading"
            ),
        }
    };
    assert!(status.success(), "closed pipe: {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_says_which_api_it_cannot_reach_and_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = ["tail", "--api", "http://127.0.0.1:1"].map(String::from);
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        warroom_command(dir.path(), &args).output(),
    )
    .await
    .expect("tail gives up within 30 s")
    .expect("run warroom tail");
    assert!(!output.status.success(), "{:?}", output.status);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("http://127.0.0.1:1"), "{stderr}");
    assert!(
        stderr.contains("warroom serve"),
        "says what to check: {stderr}"
    );
    assert!(output.stdout.is_empty(), "{:?}", output.stdout);
}
