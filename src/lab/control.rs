//! The lab's control socket (`run/lab.sock`): the lab's own runbooks ask
//! the process that owns the children to restart one, so a restarted node
//! stays in the lab's process list and is stopped with the rest. One
//! command per connection, answered `ok …` or `error …`:
//!
//! - `restart NODE`: an app node's process, or a memcached node's (it
//!   comes back empty), stopped and started again;
//! - `rebuild-replica NODE WRITER`: PostgreSQL on NODE stopped, its data
//!   directory set aside, a fresh `pg_basebackup` of WRITER taken into it
//!   and started as a streaming replica.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::net::SocketAddr;

use anyhow::Context;

use super::binaries::Binaries;
use super::process::Processes;
use super::services::{Account, CacheLaunch, NodeLaunch, Postgres};

const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The lab's processes and how to start each app node and each memcached
/// node again.
pub struct Supervisor {
    pub procs: Processes,
    pub nodes: BTreeMap<String, NodeLaunch>,
    pub caches: BTreeMap<String, CacheLaunch>,
    /// PostgreSQL nodes: where each keeps its data and listens.
    pub databases: BTreeMap<String, DbLaunch>,
    /// What running PostgreSQL's tools needs (none when the lab has no database).
    pub pg: Option<PgTools>,
}

/// One PostgreSQL node of the lab.
pub struct DbLaunch {
    pub data: PathBuf,
    pub addr: SocketAddr,
}

/// PostgreSQL's binaries, the account it runs as, and where its logs go.
pub struct PgTools {
    pub bins: Binaries,
    pub account: Option<Account>,
    pub logs: PathBuf,
}

impl Supervisor {
    /// Stops the node's process group and starts it again on its address.
    pub fn restart(&mut self, id: &str) -> anyhow::Result<String> {
        if let Some(launch) = self.nodes.get(id) {
            self.procs.stop(id);
            let addr = launch.start(&mut self.procs)?;
            return Ok(format!("restarted {id} on {addr}"));
        }
        if let Some(launch) = self.caches.get(id) {
            self.procs.stop(id);
            launch.start(&mut self.procs)?;
            return Ok(format!("restarted {id} on {} (empty)", launch.listen));
        }
        let known: Vec<&str> = self
            .nodes
            .keys()
            .chain(self.caches.keys())
            .map(String::as_str)
            .collect();
        anyhow::bail!(
            "unknown node '{id}': the lab's nodes are {}",
            known.join(", ")
        );
    }

    /// Rebuilds PostgreSQL node `id` as a streaming replica of `writer`:
    /// stops it (continuing it first if a fault stopped it), sets its data
    /// directory aside (`<data>.before-rebuild`, the previous one removed),
    /// takes a `pg_basebackup` of the writer into a fresh one and starts it
    /// as a standby on its address, then waits until the writer streams.
    pub fn rebuild_replica(&mut self, id: &str, writer: &str) -> anyhow::Result<String> {
        let known = || {
            self.databases
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (Some(node), Some(source)) = (self.databases.get(id), self.databases.get(writer))
        else {
            anyhow::bail!(
                "unknown database node '{id}' or '{writer}': the lab's are {}",
                known()
            );
        };
        if id == writer {
            anyhow::bail!("{id} is the writer; a replica is another node");
        }
        let tools = self.pg.as_ref().context("this lab runs no PostgreSQL")?;
        let pg = Postgres {
            bins: &tools.bins,
            account: tools.account.as_ref(),
            logs: &tools.logs,
        };
        let (data, addr, source_addr) = (node.data.clone(), node.addr, source.addr);
        // A stopped process (the fault's SIGSTOP) acts on its stop signal once continued.
        for (name, group) in self.procs.groups() {
            if name == id {
                super::faults::signal_all(
                    &super::process::members(group),
                    nix::sys::signal::Signal::SIGCONT,
                );
            }
        }
        self.procs.stop(id);
        let aside = data.with_extension("before-rebuild");
        if aside.exists() {
            std::fs::remove_dir_all(&aside)
                .with_context(|| format!("cannot remove {}", aside.display()))?;
        }
        if data.exists() {
            std::fs::rename(&data, &aside)
                .with_context(|| format!("cannot set {} aside", data.display()))?;
        }
        pg.init_replica(source_addr, &data)?;
        pg.start(&mut self.procs, id, &data, addr)?;
        pg.wait_streaming(source_addr)?;
        Ok(format!(
            "{id} rebuilt from {writer} with pg_basebackup; streaming on {addr} (old data in {})",
            aside.display()
        ))
    }

    /// What one command line asks, answered in one line.
    fn answer(&mut self, line: &str) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        let result = match words.as_slice() {
            ["restart", node] => self.restart(node),
            ["rebuild-replica", node, writer] => self.rebuild_replica(node, writer),
            _ => Err(anyhow::anyhow!(
                "unknown command (expected `restart NODE` or `rebuild-replica NODE WRITER`)"
            )),
        };
        match result {
            Ok(done) => format!("ok {done}\n"),
            Err(error) => format!("error {}\n", one_line(&format!("{error:#}"))),
        }
    }
}

fn one_line(text: &str) -> String {
    crate::tui::sanitize(&text.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned()
}

/// The socket's serving thread; stopped and the socket removed by [`Control::stop`].
pub struct Control {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Control {
    pub fn start(path: &Path, supervisor: Arc<Mutex<Supervisor>>) -> anyhow::Result<Control> {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    serve_one(stream, &supervisor);
                }
            }
        });
        Ok(Control {
            path: path.to_path_buf(),
            stop,
            thread: Some(thread),
        })
    }

    pub fn stop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.stop.store(true, Ordering::SeqCst);
            // Wakes the accept loop so it sees the flag.
            let _ = UnixStream::connect(&self.path);
            let _ = thread.join();
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Drop for Control {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve_one(stream: UnixStream, supervisor: &Mutex<Supervisor>) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let mut line = String::new();
    let mut reader = BufReader::new(&stream).take(1024);
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let answer = supervisor
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .answer(&line);
    let _ = (&stream).write_all(answer.as_bytes());
}
