//! The processes of the idle console bench, each stopped when its guard is
//! dropped (also on panic): `warroom serve` as a child process, a counting
//! TCP proxy on loopback, and a tmux server of its own (own socket) with
//! one window per program. Plus CPU time read from /proc.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---- stopping early ----

static STOP: AtomicBool = AtomicBool::new(false);

/// From now on SIGINT and SIGTERM only ask the bench to stop: every wait
/// here then fails at its next check, so the guards are dropped and stop
/// what they started (the tmux server outlives a killed bench otherwise).
pub fn stop_on_signals() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the signal watcher")?;
    let (mut interrupt, mut terminate) = runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        anyhow::Ok((
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        ))
    })?;
    std::thread::spawn(move || {
        runtime.block_on(async {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        });
        STOP.store(true, Ordering::SeqCst);
    });
    Ok(())
}

/// Fails when a signal asked the bench to stop.
pub fn check_stop() -> anyhow::Result<()> {
    if STOP.load(Ordering::SeqCst) {
        bail!("interrupted");
    }
    Ok(())
}

// ---- warroom serve ----

/// A running `warroom serve`, killed when dropped.
pub struct ServeProcess {
    child: Child,
    pub url: String,
    stderr: PathBuf,
}

impl ServeProcess {
    /// Starts `binary serve ARGS` (ARGS should listen on 127.0.0.1:0) and
    /// waits, up to `deadline`, for the address it prints.
    pub fn start(
        binary: &Path,
        args: &[String],
        stderr: PathBuf,
        deadline: Duration,
    ) -> anyhow::Result<ServeProcess> {
        let log = std::fs::File::create(&stderr)
            .with_context(|| format!("cannot create {}", stderr.display()))?;
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("serve's stdout")?;
        let mut serve = ServeProcess {
            child,
            url: String::new(),
            stderr,
        };
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads stdout to its end, so serve never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let end = Instant::now() + deadline;
        loop {
            check_stop()?;
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(url) => {
                    serve.url = url;
                    return Ok(serve);
                }
                Err(RecvTimeoutError::Timeout) if Instant::now() < end => {}
                Err(e) => bail!(
                    "warroom serve did not print its address ({e}); its stderr:\n{}",
                    serve.stderr_text()
                ),
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- the counting proxy ----

/// A TCP proxy on 127.0.0.1 in front of one upstream address, counting
/// the bytes in each direction. Runs on a runtime of its own, shut down
/// (with every connection) when dropped.
pub struct CountingProxy {
    pub addr: SocketAddr,
    from_upstream: Arc<AtomicU64>,
    to_upstream: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl CountingProxy {
    pub fn start(upstream: SocketAddr) -> anyhow::Result<CountingProxy> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .context("cannot start the proxy's runtime")?;
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .context("cannot bind the proxy")?;
        let addr = listener.local_addr()?;
        let from_upstream = Arc::new(AtomicU64::new(0));
        let to_upstream = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicU64::new(0));
        let (from, to, count) = (
            from_upstream.clone(),
            to_upstream.clone(),
            connections.clone(),
        );
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::Relaxed);
                let (from, to) = (from.clone(), to.clone());
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        let _ = client.set_nodelay(true);
                        let _ = server.set_nodelay(true);
                        let (client_read, client_write) = client.into_split();
                        let (server_read, server_write) = server.into_split();
                        // Either direction ending ends the connection.
                        tokio::select! {
                            _ = pump(server_read, client_write, &from) => {}
                            _ = pump(client_read, server_write, &to) => {}
                        }
                    }
                });
            }
        });
        Ok(CountingProxy {
            addr,
            from_upstream,
            to_upstream,
            connections,
            runtime: Some(runtime),
        })
    }

    /// Bytes the upstream (the API) sent to clients so far.
    pub fn bytes_from_upstream(&self) -> u64 {
        self.from_upstream.load(Ordering::Relaxed)
    }

    /// Bytes clients sent to the upstream so far.
    pub fn bytes_to_upstream(&self) -> u64 {
        self.to_upstream.load(Ordering::Relaxed)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Copies `from` into `to`, adding what passes to `counter`, until either side ends.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    counter: &AtomicU64,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                counter.fetch_add(n as u64, Ordering::Relaxed);
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

// ---- tmux ----

/// A tmux server on a socket of its own with one detached session; every
/// window runs one program directly (so the pane's pid is the program's),
/// and a pane whose program exits stays, to show why. Killed when dropped.
pub struct Tmux {
    socket: String,
    socket_path: Option<PathBuf>,
    session: String,
}

impl Tmux {
    /// A session `session` of `width`x`height` whose first window, `window`, runs `command`.
    pub fn start(
        socket: &str,
        session: &str,
        window: &str,
        (width, height): (u16, u16),
        command: &str,
    ) -> anyhow::Result<Tmux> {
        let found = Command::new("tmux").arg("-V").output();
        if !found.as_ref().is_ok_and(|o| o.status.success()) {
            bail!("tmux is required: apt-get install tmux");
        }
        let mut tmux = Tmux {
            socket: socket.to_string(),
            socket_path: None,
            session: session.to_string(),
        };
        let (width, height) = (width.to_string(), height.to_string());
        // One command list: the option is set before the program can exit.
        tmux.ok(&[
            "-f",
            "/dev/null",
            "set-option",
            "-g",
            "remain-on-exit",
            "on",
            ";",
            "new-session",
            "-d",
            "-s",
            session,
            "-n",
            window,
            "-x",
            &width,
            "-y",
            &height,
            command,
        ])?;
        let path = tmux.ok(&["display-message", "-p", "#{socket_path}"])?;
        tmux.socket_path = Some(PathBuf::from(path.trim()));
        Ok(tmux)
    }

    /// Another window, `window`, the session's size, running `command`.
    pub fn new_window(&self, window: &str, command: &str) -> anyhow::Result<()> {
        self.ok(&[
            "new-window",
            "-d",
            "-t",
            &format!("{}:", self.session),
            "-n",
            window,
            command,
        ])
        .map(|_| ())
    }

    fn run(&self, args: &[&str]) -> anyhow::Result<Output> {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .context("cannot run tmux")
    }

    fn ok(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = self.run(args)?;
        if !output.status.success() {
            bail!(
                "tmux {args:?}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    fn target(&self, window: &str) -> String {
        format!("{}:{window}", self.session)
    }

    /// One pane variable (`#{pane_pid}`, `#{pane_dead}`, …) of the window's pane.
    pub fn pane(&self, window: &str, format: &str) -> anyhow::Result<String> {
        let out = self.ok(&["list-panes", "-t", &self.target(window), "-F", format])?;
        Ok(out.lines().next().unwrap_or_default().trim().to_string())
    }

    pub fn pane_pid(&self, window: &str) -> anyhow::Result<u32> {
        let pid = self.pane(window, "#{pane_pid}")?;
        pid.parse()
            .with_context(|| format!("pane_pid of {window}: {pid:?}"))
    }

    pub fn screen(&self, window: &str) -> anyhow::Result<String> {
        self.ok(&["capture-pane", "-p", "-t", &self.target(window)])
    }

    /// Polls the window's screen until `done` holds. Fails after
    /// `deadline`, or as soon as the program has exited, with the screen.
    pub fn wait_for(
        &self,
        window: &str,
        what: &str,
        deadline: Duration,
        done: impl Fn(&str) -> bool,
    ) -> anyhow::Result<String> {
        let end = Instant::now() + deadline;
        loop {
            check_stop()?;
            let screen = self.screen(window)?;
            if done(&screen) {
                return Ok(screen);
            }
            if self.pane(window, "#{pane_dead}")? == "1" {
                bail!("{window} exited while waiting for {what}; its screen:\n{screen}");
            }
            if Instant::now() >= end {
                bail!("timed out after {deadline:?} waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
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

/// `text` quoted for `sh`.
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

// ---- CPU time ----

/// Clock ticks per second, the unit of /proc/PID/stat's times.
pub fn clock_ticks() -> anyhow::Result<f64> {
    let out = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .context("cannot run getconf CLK_TCK")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let ticks: f64 = text
        .trim()
        .parse()
        .with_context(|| format!("getconf CLK_TCK printed {text:?}"))?;
    if ticks <= 0.0 {
        bail!("getconf CLK_TCK printed {ticks}");
    }
    Ok(ticks)
}

/// The process's name, from /proc/PID/comm.
pub fn process_name(pid: u32) -> anyhow::Result<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .with_context(|| format!("no process {pid}"))?;
    Ok(comm.trim().to_string())
}

/// User plus system CPU time of every thread of the process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("no process {pid}"))?;
    // The name, in parentheses, may hold spaces: count fields after it.
    // After ") " come state (field 3) … utime (14) and stime (15).
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("/proc/PID/stat without a name")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> anyhow::Result<u64> {
        fields
            .get(n - 3)
            .and_then(|f| f.parse().ok())
            .with_context(|| format!("/proc/{pid}/stat field {n}"))
    };
    Ok(field(14)? + field(15)?)
}
