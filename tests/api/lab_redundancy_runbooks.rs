//! The lab's redundancy runbooks (`assets/runbooks/lab/`). `cache-standby`
//! against a stand-in memcached on loopback: it flushes the node that is to
//! stand by and says so; it refuses the active node and a node that does not
//! accept connections, with one line on stderr. `rebuild-replica` refuses a
//! writer that is not the primary the nodes use before asking the lab for
//! anything. Needs python3 only (the rebuild itself runs on the real lab in
//! `tests/e2e/lab_redundancy.rs`).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

const RUNBOOK_LIMIT: Duration = Duration::from_secs(30);

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn runbook(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/runbooks/lab")
        .join(name)
}

async fn run(args: &[&str], dir: &Path) -> Ran {
    run_named("cache-standby", args, dir).await
}

async fn run_named(name: &str, args: &[&str], dir: &Path) -> Ran {
    let mut command = tokio::process::Command::new(runbook(name));
    command.args(args).kill_on_drop(true);
    for (key, _) in std::env::vars() {
        if key.starts_with("LAB_") {
            command.env_remove(key);
        }
    }
    command.env("LAB_DIR", dir).env("LAB_TIMEOUT", "5");
    let output = tokio::time::timeout(RUNBOOK_LIMIT, command.output())
        .await
        .expect("the runbook finishes")
        .expect("the runbook starts");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A memcached stand-in that answers one `flush_all` with `OK` and reports
/// the command it got.
fn fake_memcached() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_ok() {
                let mut stream = stream;
                let _ = stream.write_all(b"OK\r\n");
                let _ = tx.send(line.trim_end().to_string());
            }
        }
    });
    (addr, rx)
}

/// `lab.json` with cache-1 active at `active` and cache-2 at `standby`.
fn lab_dir(active: &str, standby: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let lab = serde_json::json!({
        "addrs": {"cache-1": active, "cache-2": standby},
        "roles": {"cache-1": "cache", "cache-2": "cache"},
    });
    std::fs::write(dir.path().join("lab.json"), lab.to_string()).expect("lab.json");
    std::fs::write(dir.path().join("cache.active"), format!("{active}\n")).expect("pointer");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_is_flushed_and_reported() {
    let (standby, got) = fake_memcached();
    let dir = lab_dir("127.0.0.1:1", &standby);
    let ran = run(&["cache-2", "cache-1"], dir.path()).await;
    assert_eq!(ran.code, Some(0), "stderr: {}", ran.stderr);
    assert_eq!(
        got.recv_timeout(Duration::from_secs(5)).expect("a command"),
        "flush_all"
    );
    assert_eq!(
        ran.stdout.trim(),
        format!("cache-standby: cache: cache-2 ({standby}) flushed and standing by for cache-1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_active_node_and_a_dead_node_are_refused_with_one_line() {
    let (active, got) = fake_memcached();
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_addr = closed.local_addr().expect("addr").to_string();
    drop(closed);

    // cache-2 is what cache.active points at: it cannot stand by.
    let dir = lab_dir(&closed_addr, &active);
    std::fs::write(dir.path().join("cache.active"), format!("{active}\n")).expect("pointer");
    let ran = run(&["cache-2", "cache-1"], dir.path()).await;
    assert_eq!(ran.code, Some(1), "stdout: {}", ran.stdout);
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("is the active cache node now"),
        "{}",
        ran.stderr
    );
    assert!(got.try_recv().is_err(), "the active node was not flushed");

    // A node that does not accept connections cannot stand by.
    let dir = lab_dir("127.0.0.1:1", &closed_addr);
    let ran = run(&["cache-2", "cache-1"], dir.path()).await;
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr.contains("does not accept connections") && ran.stderr.contains("cache-2"),
        "{}",
        ran.stderr
    );
    // Naming the active node as its own standby is refused too.
    let ran = run(&["cache-1", "cache-1"], dir.path()).await;
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr.contains("is the active cache node"),
        "{}",
        ran.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_replica_refuses_a_writer_the_nodes_do_not_use() {
    let dir = tempfile::tempdir().expect("dir");
    let lab = serde_json::json!({
        "addrs": {"db-1": "127.0.0.1:5", "db-2": "127.0.0.1:6"},
        "roles": {"db-1": "db", "db-2": "db"},
    });
    std::fs::write(dir.path().join("lab.json"), lab.to_string()).expect("lab.json");
    std::fs::write(dir.path().join("db.active"), "127.0.0.1:5\n").expect("pointer");
    // db.active names db-1: rebuilding db-1 from db-2 would copy a stale writer.
    let ran = run_named("rebuild-replica", &["db-1", "db-2"], dir.path()).await;
    assert_eq!(ran.code, Some(1), "stdout: {}", ran.stdout);
    assert_eq!(ran.stderr.lines().count(), 1, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("db-2 (127.0.0.1:6) is not the primary the nodes use"),
        "{}",
        ran.stderr
    );
    let ran = run_named("rebuild-replica", &["db-2", "db-2"], dir.path()).await;
    assert_eq!(ran.code, Some(1));
    assert!(ran.stderr.contains("db-2 is the writer"), "{}", ran.stderr);
    let ran = run_named("rebuild-replica", &["cache-9", "db-1"], dir.path()).await;
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr.contains("unknown db node 'cache-9'"),
        "{}",
        ran.stderr
    );
}
