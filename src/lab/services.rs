//! Starting the lab's system services: PostgreSQL (primary and a streaming
//! replica made with `pg_basebackup`), memcached, HAProxy, and the app
//! nodes. Each start waits for its service with a deadline and names its log
//! when it fails.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::Signal;

use super::binaries::Binaries;
use super::layout::log_file;
use super::process::{Proc, Processes};

const START_WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(20);
pub const DB_NAME: &str = "lab";
pub const DB_USER: &str = "postgres";

/// The unprivileged account a service runs as when the lab runs as root
/// (PostgreSQL refuses root; memcached wants to drop it).
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

impl Account {
    pub fn lookup(name: &str) -> anyhow::Result<Account> {
        let user = nix::unistd::User::from_name(name)?
            .with_context(|| format!("there is no `{name}` user to run the service as"))?;
        Ok(Account {
            name: name.to_string(),
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
        })
    }

    fn apply(&self, command: &mut Command) {
        use std::os::unix::process::CommandExt;
        command.uid(self.uid).gid(self.gid);
    }

    pub fn own(&self, path: &Path) -> anyhow::Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("cannot give {} to {}", path.display(), self.name))
    }
}

pub fn running_as_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A port nothing listens on right now at `ip`.
pub fn free_port(ip: Ipv4Addr) -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind((ip, 0))
        .with_context(|| format!("cannot bind {ip} (is 127.0.0.0/8 routed to lo?)"))?;
    Ok(listener.local_addr()?.port())
}

/// Polls `ready` until true; fails naming `what` and the log after the deadline
/// or as soon as the process is gone.
fn wait_ready(
    what: &str,
    proc: &mut Proc,
    log: &Path,
    mut ready: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_WAIT;
    loop {
        if ready() {
            return Ok(());
        }
        if !proc.is_alive() {
            bail!(
                "{what} exited while starting; its log {}:\n{}",
                log.display(),
                tail(log)
            );
        }
        if Instant::now() >= deadline {
            bail!(
                "{what} not ready after {START_WAIT:?}; its log {}:\n{}",
                log.display(),
                tail(log)
            );
        }
        std::thread::sleep(POLL);
    }
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

fn log_handle(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))
}

fn accepts(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

fn check(what: &str, output: &Output) -> anyhow::Result<()> {
    if output.status.success() {
        return Ok(());
    }
    bail!(
        "{what} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout).trim(),
        String::from_utf8_lossy(&output.stderr).trim()
    )
}

/// PostgreSQL as the lab runs it.
pub struct Postgres<'a> {
    pub bins: &'a Binaries,
    pub account: Option<&'a Account>,
    pub logs: &'a Path,
}

impl Postgres<'_> {
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bins.pg(program));
        command.stdin(Stdio::null()).env("LC_ALL", "C");
        if let Some(account) = self.account {
            account.apply(&mut command);
        }
        command
    }

    /// `initdb` into `data`, trusting loopback connections (replication too).
    pub fn init_primary(&self, data: &Path) -> anyhow::Result<()> {
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(data)
            .args([
                "-U",
                DB_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output()
            .context("cannot run initdb")?;
        check("initdb", &output)?;
        let hba = data.join("pg_hba.conf");
        let mut text = std::fs::read_to_string(&hba)?;
        text.push_str(
            "\n# warroom lab: any loopback address\nhost all all 127.0.0.0/8 trust\nhost replication all 127.0.0.0/8 trust\n",
        );
        std::fs::write(&hba, text)?;
        Ok(())
    }

    /// `pg_basebackup` of the primary into `data`, set up as a streaming standby.
    pub fn init_replica(&self, primary: SocketAddr, data: &Path) -> anyhow::Result<()> {
        let output = self
            .command("pg_basebackup")
            .args([
                "-h",
                &primary.ip().to_string(),
                "-p",
                &primary.port().to_string(),
            ])
            .args([
                "-U",
                DB_USER,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
                "-D",
            ])
            .arg(data)
            .output()
            .context("cannot run pg_basebackup")?;
        check("pg_basebackup", &output)
    }

    /// Starts the server in `data` on `addr` (no unix socket) and waits until it accepts.
    pub fn start(
        &self,
        procs: &mut Processes,
        name: &str,
        data: &Path,
        addr: SocketAddr,
    ) -> anyhow::Result<()> {
        let log = log_file(self.logs, name);
        let mut command = self.command("postgres");
        command
            .arg("-D")
            .arg(data)
            .args([
                "-c",
                &format!("listen_addresses={}", addr.ip()),
                "-c",
                &format!("port={}", addr.port()),
                "-c",
                "unix_socket_directories=",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=100",
                "-c",
                "wal_level=replica",
                "-c",
                "hot_standby=on",
            ])
            .stdout(log_handle(&log)?)
            .stderr(log_handle(&log)?);
        // SIGINT: PostgreSQL's fast shutdown.
        let proc = procs.spawn(name, &mut command, Signal::SIGINT)?;
        let isready = self.bins.pg("pg_isready");
        wait_ready(&format!("PostgreSQL {name}"), proc, &log, || {
            Command::new(&isready)
                .args([
                    "-q",
                    "-h",
                    &addr.ip().to_string(),
                    "-p",
                    &addr.port().to_string(),
                ])
                .stdin(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
    }

    /// Runs SQL with psql; returns its unaligned output.
    pub fn sql(&self, addr: SocketAddr, database: &str, sql: &str) -> anyhow::Result<String> {
        let output = Command::new(self.bins.pg("psql"))
            .args(["-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", &addr.ip().to_string(), "-p", &addr.port().to_string()])
            .args(["-U", DB_USER, "-d", database, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .context("cannot run psql")?;
        check("psql", &output)?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Waits until the primary streams to a standby.
    pub fn wait_streaming(&self, primary: SocketAddr) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_WAIT;
        loop {
            let streaming = self.sql(
                primary,
                "postgres",
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
            )?;
            if streaming != "0" {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("the replica did not start streaming within {START_WAIT:?}");
            }
            std::thread::sleep(POLL);
        }
    }
}

/// How to start one memcached node (again, on the same address: a cache
/// node that comes back comes back empty, as a rebooted one does).
#[derive(Debug, Clone)]
pub struct CacheLaunch {
    pub id: String,
    pub program: PathBuf,
    pub account: Option<Account>,
    pub listen: SocketAddr,
    pub logs: PathBuf,
}

impl CacheLaunch {
    /// Starts memcached and waits until it accepts.
    pub fn start(&self, procs: &mut Processes) -> anyhow::Result<()> {
        start_memcached(
            &self.program,
            self.account.as_ref(),
            procs,
            &self.logs,
            &self.id,
            self.listen,
        )
    }
}

/// Starts memcached on `addr` and waits until it accepts.
fn start_memcached(
    program: &Path,
    account: Option<&Account>,
    procs: &mut Processes,
    logs: &Path,
    name: &str,
    addr: SocketAddr,
) -> anyhow::Result<()> {
    let log = log_file(logs, name);
    let mut command = Command::new(program);
    command
        .args(["-l", &addr.ip().to_string(), "-p", &addr.port().to_string()])
        .args(["-U", "0", "-m", "16", "-c", "512", "-t", "1"])
        .stdout(log_handle(&log)?)
        .stderr(log_handle(&log)?);
    if let Some(account) = account {
        account.apply(&mut command);
    }
    let proc = procs.spawn(name, &mut command, Signal::SIGTERM)?;
    wait_ready(&format!("memcached {name}"), proc, &log, || accepts(addr))
}

/// Starts HAProxy in the foreground (`-db`) and waits for its frontend and socket.
pub fn start_haproxy(
    bins: &Binaries,
    procs: &mut Processes,
    logs: &Path,
    config: &Path,
    front: SocketAddr,
    socket: &Path,
) -> anyhow::Result<()> {
    let log = log_file(logs, "haproxy");
    let mut command = Command::new(&bins.haproxy);
    command
        .arg("-db")
        .arg("-f")
        .arg(config)
        .stdout(log_handle(&log)?)
        .stderr(log_handle(&log)?);
    let proc = procs.spawn("haproxy", &mut command, Signal::SIGTERM)?;
    wait_ready("haproxy", proc, &log, || {
        std::os::unix::net::UnixStream::connect(socket).is_ok() && accepts(front)
    })
}

/// How to start one app node again (on the same address).
#[derive(Debug, Clone)]
pub struct NodeLaunch {
    pub id: String,
    pub program: PathBuf,
    pub config: PathBuf,
    pub listen: SocketAddr,
    pub logs: PathBuf,
}

impl NodeLaunch {
    /// Starts `warroom lab-node` and waits for the line saying where it
    /// listens; returns that address.
    pub fn start(&self, procs: &mut Processes) -> anyhow::Result<SocketAddr> {
        let log = log_file(&self.logs, &self.id);
        let mut command = Command::new(&self.program);
        command
            .arg("lab-node")
            .args(["--id", &self.id, "--listen", &self.listen.to_string()])
            .arg("--config")
            .arg(&self.config)
            .env("WARROOM_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log)?,
            );
        let proc = procs.spawn(&self.id, &mut command, Signal::SIGTERM)?;
        let stdout = proc
            .take_stdout()
            .context("the node's stdout is not a pipe")?;
        let (found, listening) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = found.send(line);
        });
        let line = listening.recv_timeout(START_WAIT).unwrap_or_default();
        let addr = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|a| a.parse::<SocketAddr>().ok());
        match addr {
            Some(addr) => Ok(addr),
            None => bail!(
                "app node {} did not say where it listens; its log {}:\n{}",
                self.id,
                log.display(),
                tail(&log)
            ),
        }
    }
}
