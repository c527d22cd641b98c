//! A throwaway PostgreSQL cluster for tests.
//!
//! [`shared`] starts one cluster per test process on first use: `initdb` in
//! a temp dir (as the `postgres` user when running as root, since PostgreSQL
//! refuses root), `pg_ctl start` on a free loopback port with its socket in
//! that dir, waiting for it with a deadline. [`Cluster::database`] makes a
//! fresh database per test, so tests run in parallel. A watchdog process
//! stops the cluster (`pg_ctl stop -m immediate`) and removes the dir as
//! soon as the test process is gone, however it ended (panic, abort,
//! `kill -9`); a cluster started with [`Cluster::start`] and owned by a test
//! is stopped when dropped too.
//!
//! When the server binaries are missing, using the cluster panics with what
//! to install: a test that needs PostgreSQL fails, never skips.
//!
//! Used by the store's unit tests (`src/store/tests`) and by integration
//! tests alike, so it needs nothing but std, tempfile and sqlx.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// What to do when the binaries are missing.
const INSTALL_HINT: &str = "install the PostgreSQL server with `apt-get install postgresql` \
                            (scripts/test.sh does this when initdb is missing)";

/// A running cluster; dropping it stops it and removes its files.
pub struct Cluster {
    port: u16,
    dir: PathBuf,
    bindir: PathBuf,
    user: Option<&'static str>,
}

static SHARED: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

/// The cluster of this test process, started on first use.
pub fn shared() -> &'static Cluster {
    match SHARED.get_or_init(Cluster::start) {
        Ok(cluster) => cluster,
        Err(why) => panic!("cannot start a throwaway PostgreSQL cluster: {why}"),
    }
}

impl Cluster {
    /// initdb + pg_ctl start on a free loopback port, with a watchdog that
    /// stops it when this process ends.
    pub fn start() -> Result<Cluster, String> {
        let bindir = find_bindir()?;
        let user = if running_as_root() {
            Some("postgres")
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("warroom-pg-")
            .tempdir()
            .map_err(|err| format!("cannot make a temp dir: {err}"))?
            .keep();
        let mut cluster = Cluster {
            port: 0,
            dir,
            bindir,
            user,
        };
        if let Some(user) = user {
            let owned = Command::new("chown")
                .arg("-R")
                .arg(format!("{user}:"))
                .arg(&cluster.dir)
                .output()
                .map_err(|err| format!("cannot run chown: {err}"))?;
            check("chown", &owned).map_err(|err| {
                format!("{err}; the cluster runs as the `{user}` user: {INSTALL_HINT}")
            })?;
        }
        cluster.spawn_watchdog()?;
        let initdb = cluster.run(
            "initdb",
            &[
                "-D".as_ref(),
                cluster.data().as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        check("initdb", &initdb)?;
        // A free port can be taken between our probe and the server's bind:
        // try a few.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port()?;
            let options = format!(
                "-c listen_addresses=127.0.0.1 -c port={port} -k {} -c max_connections=300",
                cluster.dir.display()
            );
            let log = cluster.dir.join("server.log");
            let started = cluster.run(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    cluster.data().as_os_str(),
                    "-l".as_ref(),
                    log.as_os_str(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "30".as_ref(),
                    "-o".as_ref(),
                    options.as_ref(),
                    "start".as_ref(),
                ],
            )?;
            match check("pg_ctl start", &started) {
                Ok(()) => {
                    cluster.port = port;
                    return Ok(cluster);
                }
                Err(err) => {
                    let log = std::fs::read_to_string(&log).unwrap_or_default();
                    last_error = format!("{err}\n{log}");
                }
            }
        }
        Err(last_error)
    }

    /// A URL to the cluster's `postgres` database.
    pub fn admin_url(&self) -> String {
        self.url("postgres")
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a new, empty database and returns its URL.
    pub async fn database(&self) -> String {
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&self.admin_url())
            .await
            .unwrap_or_else(|err| panic!("cannot connect to the test cluster: {err}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|err| panic!("cannot create database {name}: {err}"));
        let _ = sqlx::Connection::close(admin).await;
        self.url(&name)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of the server binaries as the cluster's user.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Result<Output, String> {
        let path = self.bindir.join(program);
        let mut command = match self.user {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&path);
                command
            }
            None => Command::new(&path),
        };
        command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|err| format!("cannot run {}: {err}", path.display()))
    }

    /// A shell loop that outlives this process: once it is gone, it stops
    /// the server and removes the dir. It ignores the signals a terminal
    /// sends the whole process group (Ctrl-C), so it is there to clean up.
    fn spawn_watchdog(&self) -> Result<(), String> {
        let pg_ctl = self.bindir.join("pg_ctl");
        let as_user = match self.user {
            Some(user) => format!("runuser -u {user} -- "),
            None => String::new(),
        };
        let script = format!(
            "trap '' INT TERM HUP; \
             while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; \
             if [ -f '{data}/postmaster.pid' ]; then \
               {as_user}'{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; \
             fi; \
             rm -rf '{dir}'",
            pid = std::process::id(),
            data = self.data().display(),
            pg_ctl = pg_ctl.display(),
            dir = self.dir.display(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(drop)
            .map_err(|err| format!("cannot start the cluster's watchdog: {err}"))
    }

    fn stop(&self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = self.run(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    self.data().as_os_str(),
                    "-m".as_ref(),
                    "immediate".as_ref(),
                    "stop".as_ref(),
                ],
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn check(what: &str, output: &Output) -> Result<(), String> {
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `pg_config --bindir` when it has the server binaries, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian's layout) that has them.
fn find_bindir() -> Result<PathBuf, String> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&dir) {
            return Ok(dir);
        }
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .collect();
    candidates.sort();
    candidates
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| format!("initdb and pg_ctl not found; {INSTALL_HINT}"))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|err| format!("cannot find a free port: {err}"))
}
