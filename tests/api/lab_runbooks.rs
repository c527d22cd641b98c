//! The lab's process runbooks (`assets/runbooks/lab/`) failing the way a
//! user meets them: the lab's control socket missing, a socket that never
//! answers (timeout), the lab refusing an unknown node, unknown cache or
//! database nodes in `lab.json`, a site the map file does not hold, and a
//! standby that does not accept connections. Each exits non-zero with one
//! clear line on stderr and changes nothing. Needs python3 only.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const RUNBOOK_LIMIT: Duration = Duration::from_secs(30);

/// Exit statuses documented in lab_runtime.py.
const EXIT_REFUSED: i32 = 1;
const EXIT_SOCKET: i32 = 3;
const EXIT_TIMEOUT: i32 = 4;

struct Ran {
    code: Option<i32>,
    stderr: String,
    took: Duration,
}

impl Ran {
    /// Exit status `code`, one line on stderr; returns that line.
    fn failed_with(&self, code: i32) -> &str {
        assert_eq!(self.code, Some(code), "stderr {:?}", self.stderr);
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "one line: {:?}",
            self.stderr
        );
        self.stderr.trim()
    }
}

fn runbook_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/runbooks/lab")
        .join(name)
}

/// Runs lab runbook `name` with `args` and only these `LAB_*` settings.
async fn run(name: &str, args: &[&str], settings: &[(&str, String)]) -> Ran {
    let mut command = tokio::process::Command::new(runbook_path(name));
    command.args(args).kill_on_drop(true);
    for (key, _) in std::env::vars() {
        if key.starts_with("LAB_") || key.starts_with("HAPROXY_") {
            command.env_remove(key);
        }
    }
    command.envs(settings.iter().map(|(k, v)| (k, v)));
    let started = Instant::now();
    let output = tokio::time::timeout(RUNBOOK_LIMIT, command.output())
        .await
        .unwrap_or_else(|_| panic!("{name} still running after {RUNBOOK_LIMIT:?}"))
        .expect("the runbook starts");
    Ran {
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        took: started.elapsed(),
    }
}

/// A lab directory with `lab.json`, pointer files and a map file, but no
/// running lab.
fn lab_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir(dir.path().join("run")).expect("run dir");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_addr = closed.local_addr().expect("addr").to_string();
    drop(closed);
    let lab = serde_json::json!({
        "front": "127.0.0.1:1",
        "addrs": {
            "app-01": "127.0.0.1:2",
            "cache-1": "127.0.0.1:3",
            "cache-2": closed_addr,
            "db-1": "127.0.0.1:5",
            "db-2": "127.0.0.1:6",
        },
        "roles": {
            "app-01": "app",
            "cache-1": "cache",
            "cache-2": "cache",
            "db-1": "db",
            "db-2": "db",
        },
        "pg_data": {"db-1": "/nonexistent/db-1", "db-2": "/nonexistent/db-2"},
    });
    std::fs::write(dir.path().join("lab.json"), lab.to_string()).expect("lab.json");
    std::fs::write(dir.path().join("cache.active"), "127.0.0.1:3\n").expect("pointer");
    std::fs::write(dir.path().join("sites.map"), "a.lab app-01\n").expect("map");
    dir
}

fn settings(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("LAB_DIR", dir.display().to_string()),
        ("LAB_PG_BINDIR", "/nonexistent/bin".to_string()),
        (
            "HAPROXY_MAP_FILE",
            dir.join("sites.map").display().to_string(),
        ),
        ("LAB_TIMEOUT", "1".to_string()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_control_socket_fails_naming_it() {
    let dir = lab_dir();
    let ran = run("restart-node", &["app-01"], &settings(dir.path())).await;
    let line = ran.failed_with(EXIT_SOCKET);
    assert!(line.contains("socket missing"), "{line}");
    assert!(
        line.contains(&dir.path().join("run/lab.sock").display().to_string()),
        "{line}"
    );
    let ran = run("restart-site", &["a.lab"], &settings(dir.path())).await;
    assert!(ran.failed_with(EXIT_SOCKET).contains("socket missing"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_control_socket_that_never_answers_times_out_within_the_timeout() {
    let dir = lab_dir();
    // Accepts, reads, never answers: a hung lab.
    let listener = UnixListener::bind(dir.path().join("run/lab.sock")).expect("bind");
    let held = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut line = String::new();
        let _ = BufReader::new(&stream).read_line(&mut line);
        // Hold the connection until the runbook has given up.
        let mut buf = [0u8; 1];
        let _ = std::io::Read::read(&mut &stream, &mut buf);
        line
    });
    let ran = run("restart-node", &["app-01"], &settings(dir.path())).await;
    let line = ran.failed_with(EXIT_TIMEOUT);
    assert!(line.contains("timeout"), "{line}");
    assert!(ran.took < Duration::from_secs(10), "took {:?}", ran.took);
    assert_eq!(held.join().expect("socket thread"), "restart app-01\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lab_refusing_an_unknown_node_is_a_failure_with_its_words() {
    let dir = lab_dir();
    let listener = UnixListener::bind(dir.path().join("run/lab.sock")).expect("bind");
    let answered = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut line = String::new();
        let _ = BufReader::new(&stream).read_line(&mut line);
        let _ = stream.write_all(b"error unknown node 'app-99': the lab's nodes are app-01\n");
        line
    });
    let ran = run("restart-node", &["app-99"], &settings(dir.path())).await;
    let line = ran.failed_with(EXIT_REFUSED);
    assert!(line.contains("unknown node 'app-99'"), "{line}");
    assert_eq!(answered.join().expect("socket thread"), "restart app-99\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_cache_database_and_site_names_fail_and_change_nothing() {
    let dir = lab_dir();
    let pointer = dir.path().join("cache.active");
    let ran = run(
        "cache-failover",
        &["cache-1", "cache-9"],
        &settings(dir.path()),
    )
    .await;
    let line = ran.failed_with(EXIT_REFUSED);
    assert!(line.contains("unknown cache node 'cache-9'"), "{line}");
    assert!(
        line.contains("cache-1, cache-2"),
        "names the known ones: {line}"
    );
    let ran = run("db-failover", &["db-1", "app-01"], &settings(dir.path())).await;
    assert!(
        ran.failed_with(EXIT_REFUSED)
            .contains("unknown db node 'app-01'")
    );
    let ran = run("restart-site", &["b.lab"], &settings(dir.path())).await;
    assert!(
        ran.failed_with(EXIT_REFUSED)
            .contains("site 'b.lab' is not in")
    );
    // A standby that does not accept connections is not switched to.
    let ran = run(
        "cache-failover",
        &["cache-1", "cache-2"],
        &settings(dir.path()),
    )
    .await;
    assert!(
        ran.failed_with(EXIT_REFUSED)
            .contains("does not accept connections")
    );
    assert_eq!(
        std::fs::read_to_string(&pointer).expect("pointer"),
        "127.0.0.1:3\n",
        "the active cache pointer is unchanged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failover_without_pg_ctl_fails_naming_it() {
    let dir = lab_dir();
    let ran = run("db-failover", &["db-1", "db-2"], &settings(dir.path())).await;
    let line = ran.failed_with(2);
    assert!(line.contains("/nonexistent/bin/pg_ctl"), "{line}");
    assert!(!dir.path().join("db.active").exists(), "no pointer written");
}
