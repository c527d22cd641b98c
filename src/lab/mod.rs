//! The real lab: a small hosted fleet on loopback, built from the system's
//! HAProxy, memcached and PostgreSQL plus `warroom lab-node` processes, and
//! the fleet file that lets warroom probe it and act on it.
//!
//! Everything lives under one directory (a temporary one by default) and
//! binds 127.N.*.* only, with N picked at random and every port probed free,
//! so two labs on one machine do not collide. Every child runs in its own
//! process group; [`Lab`] stops them all when stopped or dropped (a panic
//! included), and a watchdog kills them if the lab process itself is killed.

mod binaries;
mod control;
pub mod drill;
pub mod faults;
mod layout;
pub mod node;
mod process;
mod runbooks;
mod services;
pub mod traffic;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;

pub use binaries::{APT_LINE, Binaries, MissingBinaries};
pub use layout::{LabSize, Layout, ProbeTiming, Slot, Wiring};
pub use process::{group_alive, members};

use crate::model::{FleetSpec, Role};
use control::{Control, Supervisor};
use services::{Account, CacheLaunch, NodeLaunch, Postgres};

/// How to build a lab.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// Where everything lives; a new temporary directory (removed at the
    /// end) when `None`.
    pub dir: Option<PathBuf>,
    pub shape: LabShape,
    pub probe: ProbeTiming,
    /// The `warroom` executable, run as `lab-node` for each app node.
    pub node_program: PathBuf,
}

/// What the lab looks like.
#[derive(Debug, Clone)]
pub enum LabShape {
    /// Switches of app servers, a failover server and a web server each.
    Size(LabSize),
    /// The servers of a fleet file, with their ids (see [`Layout::like_fleet`]).
    LikeFleet {
        spec: Box<FleetSpec>,
        sites_per_app: usize,
    },
}

impl LabShape {
    pub fn layout(&self, net: u8) -> Result<Layout, String> {
        match self {
            LabShape::Size(size) => Layout::new(net, *size),
            LabShape::LikeFleet {
                spec,
                sites_per_app,
            } => Layout::like_fleet(net, spec, *sites_per_app),
        }
    }
}

/// A running lab; stopped when dropped.
pub struct Lab {
    control: Option<Control>,
    supervisor: Arc<Mutex<Supervisor>>,
    pub layout: Layout,
    pub wiring: Wiring,
    /// The generated fleet file's text (also at `dir/fleet.toml`).
    pub fleet_text: String,
    dir: LabDir,
}

/// The lab's directory, removed at the end when the lab made it.
struct LabDir {
    path: PathBuf,
    remove: bool,
}

impl Drop for LabDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

impl Lab {
    /// Checks the binaries, then starts PostgreSQL (primary and replica),
    /// memcached (active and standby), the app nodes and HAProxy, and writes
    /// the runbooks and the fleet file. Blocks until every part answers (with
    /// deadlines). On an error, whatever had started is stopped.
    pub fn start(options: LabOptions) -> anyhow::Result<Lab> {
        let bins = Binaries::find()?;
        let dir = make_dir(options.dir.as_deref())?;
        let root = dir.path.clone();
        for sub in ["run", "logs", "pg", "haproxy", "runbooks"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        let net = pick_net()?;
        let mut layout = options.shape.layout(net).map_err(anyhow::Error::msg)?;
        layout.probe = options.probe;
        let (pg_account, cache_account) = if services::running_as_root() {
            (
                Some(Account::lookup("postgres")?),
                Some(Account::lookup("nobody")?),
            )
        } else {
            (None, None)
        };
        let mut procs =
            process::Processes::new(&root.join("run"), dir.remove.then_some(root.as_path()))?;

        let mut addrs = BTreeMap::new();
        for slot in layout.caches.iter().chain(&layout.databases) {
            let port = services::free_port(slot.ip)?;
            addrs.insert(slot.id.clone(), SocketAddr::new(slot.ip.into(), port));
        }
        let front = SocketAddr::new(
            layout.front_ip().into(),
            services::free_port(layout.front_ip())?,
        );
        let mut wiring = Wiring {
            addrs,
            front,
            dir: root.clone(),
            pg_bindir: bins.pg_bindir.clone(),
            pg_user: pg_account.as_ref().map(|a| a.name.clone()),
            monitor: None,
        };
        let logs = root.join("logs");

        start_databases(&bins, pg_account.as_ref(), &mut procs, &layout, &wiring)?;
        let mut caches = BTreeMap::new();
        for cache in &layout.caches {
            let launch = CacheLaunch {
                id: cache.id.clone(),
                program: bins.memcached.clone(),
                account: cache_account.clone(),
                listen: wiring.addrs[&cache.id],
                logs: logs.clone(),
            };
            launch.start(&mut procs)?;
            caches.insert(cache.id.clone(), launch);
        }
        write_file(
            &wiring.cache_pointer(),
            &format!("{}\n", wiring.addrs[&layout.caches[0].id]),
        )?;
        write_file(
            &wiring.db_pointer(),
            &format!("{}\n", wiring.addrs[&layout.databases[0].id]),
        )?;

        let node_config = root.join("node.json");
        let config = node::NodeConfig {
            sites: layout
                .sites
                .iter()
                .map(|s| node::NodeSite {
                    id: s.id.clone(),
                    name: s.name.clone(),
                })
                .collect(),
            cache_pointer: wiring.cache_pointer(),
            db_pointer: wiring.db_pointer(),
            db_name: services::DB_NAME.to_string(),
            db_user: services::DB_USER.to_string(),
        };
        write_file(&node_config, &serde_json::to_string_pretty(&config)?)?;
        let mut nodes = BTreeMap::new();
        for slot in &layout.nodes {
            let mut launch = NodeLaunch {
                id: slot.id.clone(),
                program: options.node_program.clone(),
                config: node_config.clone(),
                listen: SocketAddr::new(slot.ip.into(), 0),
                logs: logs.clone(),
            };
            let addr = launch.start(&mut procs)?;
            // A restart comes back on the same address: HAProxy and the probes know it.
            launch.listen = addr;
            wiring.addrs.insert(slot.id.clone(), addr);
            nodes.insert(slot.id.clone(), launch);
        }

        // The monitor: protocol-level checks of memcached and PostgreSQL.
        let monitor = NodeLaunch {
            id: "monitor".to_string(),
            program: options.node_program.clone(),
            config: node_config.clone(),
            listen: SocketAddr::new(layout.monitor_ip().into(), 0),
            logs: logs.clone(),
        };
        wiring.monitor = Some(monitor.start(&mut procs)?);

        write_file(&wiring.map_file(), &layout::map_file_text(&layout))?;
        let haproxy_config = root.join("haproxy/haproxy.cfg");
        write_file(&haproxy_config, &layout::haproxy_config(&layout, &wiring))?;
        services::start_haproxy(
            &bins,
            &mut procs,
            &logs,
            &haproxy_config,
            wiring.front,
            &wiring.haproxy_socket(),
        )?;

        runbooks::write_runbooks(&root.join("runbooks"))?;
        write_file(&root.join("lab.json"), &lab_json(&layout, &wiring)?)?;
        let fleet_text = layout::fleet_file(&layout, &wiring);
        write_file(&root.join("fleet.toml"), &fleet_text)?;
        FleetSpec::parse("fleet.toml", &fleet_text).context("the generated fleet file")?;

        let databases = layout
            .databases
            .iter()
            .map(|slot| {
                let launch = control::DbLaunch {
                    data: wiring.pg_data(&slot.id),
                    addr: wiring.addrs[&slot.id],
                };
                (slot.id.clone(), launch)
            })
            .collect();
        let pg = (!layout.databases.is_empty()).then(|| control::PgTools {
            bins: bins.clone(),
            account: pg_account.clone(),
            logs: logs.clone(),
        });
        let supervisor = Arc::new(Mutex::new(Supervisor {
            procs,
            nodes,
            caches,
            databases,
            pg,
        }));
        let control = Control::start(&wiring.control_socket(), Arc::clone(&supervisor))?;
        Ok(Lab {
            control: Some(control),
            supervisor,
            layout,
            wiring,
            fleet_text,
            dir,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir.path
    }

    /// The generated fleet file, parsed.
    pub fn fleet_spec(&self) -> anyhow::Result<FleetSpec> {
        Ok(FleetSpec::parse("fleet.toml", &self.fleet_text)?)
    }

    /// HAProxy's frontend: every site, by Host header.
    pub fn front_url(&self) -> String {
        format!("http://{}/", self.wiring.front)
    }

    /// (process name, process group) of every running child.
    pub fn groups(&self) -> Vec<(String, i32)> {
        self.supervisor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .procs
            .groups()
    }

    /// Restarts one app node's process on its address.
    pub fn restart_node(&self, id: &str) -> anyhow::Result<String> {
        self.supervisor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .restart(id)
    }

    /// Stops every process (HAProxy and the nodes first, PostgreSQL last)
    /// and removes the directory when the lab made it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(mut control) = self.control.take() {
            control.stop();
        }
        let mut supervisor = self.supervisor.lock().unwrap_or_else(|e| e.into_inner());
        // A fault may have stopped processes outside their group (PostgreSQL's
        // children): continued, they act on their stop signal.
        for (_, group) in supervisor.procs.groups() {
            faults::signal_all(&process::members(group), nix::sys::signal::Signal::SIGCONT);
        }
        supervisor.procs.stop_all();
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn start_databases(
    bins: &Binaries,
    account: Option<&Account>,
    procs: &mut process::Processes,
    layout: &Layout,
    wiring: &Wiring,
) -> anyhow::Result<()> {
    let pg_root = wiring.dir.join("pg");
    if let Some(account) = account {
        account.own(&pg_root)?;
    }
    let pg = Postgres {
        bins,
        account,
        logs: &wiring.dir.join("logs"),
    };
    let primary = &layout.databases[0];
    let primary_addr = wiring.addrs[&primary.id];
    pg.init_primary(&wiring.pg_data(&primary.id))?;
    pg.start(
        procs,
        &primary.id,
        &wiring.pg_data(&primary.id),
        primary_addr,
    )?;
    let mut seed = String::from(
        "CREATE TABLE pages (site text PRIMARY KEY, title text NOT NULL); INSERT INTO pages VALUES ",
    );
    let rows: Vec<String> = layout
        .sites
        .iter()
        .map(|s| format!("({}, {})", sql_str(&s.id), sql_str(&s.name)))
        .collect();
    seed.push_str(&rows.join(", "));
    pg.sql(
        primary_addr,
        "postgres",
        &format!("CREATE DATABASE {}", services::DB_NAME),
    )?;
    pg.sql(primary_addr, services::DB_NAME, &seed)?;
    for replica in &layout.databases[1..] {
        let data = wiring.pg_data(&replica.id);
        pg.init_replica(primary_addr, &data)?;
        pg.start(procs, &replica.id, &data, wiring.addrs[&replica.id])?;
    }
    pg.wait_streaming(primary_addr)
}

fn sql_str(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// What the lab's runbooks look up: every process's address and role, and
/// PostgreSQL's data directories.
fn lab_json(layout: &Layout, wiring: &Wiring) -> anyhow::Result<String> {
    let addrs: BTreeMap<&str, String> = layout
        .slots()
        .map(|s| (s.id.as_str(), wiring.addrs[&s.id].to_string()))
        .collect();
    let roles: BTreeMap<&str, &str> = layout
        .slots()
        .map(|s| (s.id.as_str(), s.role.as_str()))
        .collect();
    let pg_data: BTreeMap<&str, String> = layout
        .slots()
        .filter(|s| s.role == Role::Db)
        .map(|s| (s.id.as_str(), wiring.pg_data(&s.id).display().to_string()))
        .collect();
    Ok(serde_json::to_string_pretty(&serde_json::json!({
        "front": wiring.front.to_string(),
        "addrs": addrs,
        "roles": roles,
        "pg_data": pg_data,
    }))?)
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The given directory (created if needed), or a new one under the system's
/// temporary directory. Either is left traversable by the PostgreSQL user.
fn make_dir(given: Option<&Path>) -> anyhow::Result<LabDir> {
    use std::os::unix::fs::PermissionsExt;
    let (path, remove) = match given {
        Some(path) => (path.to_path_buf(), false),
        None => (
            std::env::temp_dir().join(format!(
                "warroom-lab-{}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            )),
            true,
        ),
    };
    std::fs::create_dir_all(&path)
        .with_context(|| format!("cannot create the lab directory {}", path.display()))?;
    let path = path.canonicalize()?;
    if remove {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(LabDir { path, remove })
}

/// A random 127.N.0.0/16 whose frontend address can be bound.
fn pick_net() -> anyhow::Result<u8> {
    let mut last = None;
    for _ in 0..8 {
        let net: u8 = rand::random_range(16..=250);
        match std::net::TcpListener::bind((Ipv4Addr::new(127, net, 0, 1), 0)) {
            Ok(_) => return Ok(net),
            Err(err) => last = Some(err),
        }
    }
    Err(anyhow::anyhow!(
        "cannot bind any 127.N.0.1 address (is 127.0.0.0/8 routed to lo?): {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}
