//! The lab's control socket (`run/lab.sock`): the lab's own runbooks ask
//! the process that owns the children to restart one, so a restarted node
//! stays in the lab's process list and is stopped with the rest. One
//! command per connection: `restart NODE` (an app node or a memcached
//! node), answered `ok …` or `error …`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::process::Processes;
use super::services::{CacheLaunch, NodeLaunch};

const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The lab's processes and how to start each app node and each memcached
/// node again.
pub struct Supervisor {
    pub procs: Processes,
    pub nodes: BTreeMap<String, NodeLaunch>,
    pub caches: BTreeMap<String, CacheLaunch>,
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

    /// What one command line asks, answered in one line.
    fn answer(&mut self, line: &str) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        let result = match words.as_slice() {
            ["restart", node] => self.restart(node),
            _ => Err(anyhow::anyhow!("unknown command (expected `restart NODE`)")),
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
