//! The lab's shape and the files generated from it: which nodes sit behind
//! which switch, on which loopback address, which sites they host; the
//! HAProxy configuration and map, and the fleet file warroom runs on.
//! Pure: addresses and ports come in, text goes out.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::model::{FleetSpec, Role};

/// How big a lab to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabSize {
    /// Switches (groups of loopback addresses 127.N.S.*), at least 1.
    pub switches: u8,
    /// App-node processes behind each switch, at least 2: the last one of
    /// each switch is a failover server, the others app servers. Each
    /// switch also has one web server (the `/cart` code path).
    pub nodes_per_switch: u8,
    pub sites: usize,
}

impl Default for LabSize {
    fn default() -> Self {
        LabSize {
            switches: 2,
            nodes_per_switch: 3,
            sites: 12,
        }
    }
}

/// One process of the lab as the fleet file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub id: String,
    pub role: Role,
    pub switch: String,
    pub ip: Ipv4Addr,
    /// Sites it can host (app and failover servers only).
    pub capacity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSlot {
    /// Also its Host header.
    pub id: String,
    pub name: String,
    pub home: String,
}

/// The lab's shape on the loopback network 127.`net`.0.0/16: HAProxy's
/// frontend on 127.`net`.0.1, switch S's processes on 127.`net`.S.*.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub net: u8,
    pub switches: Vec<String>,
    /// App, failover and web nodes (`warroom lab-node` processes). HAProxy
    /// sends a site's pages to the node hosting it and every `/cart`
    /// request to the web nodes.
    pub nodes: Vec<Slot>,
    /// Memcached: the active node first, then the hot standby.
    pub caches: Vec<Slot>,
    /// PostgreSQL: the primary first, then the streaming replica.
    pub databases: Vec<Slot>,
    pub sites: Vec<SiteSlot>,
    /// How often warroom probes the lab, and each probe's timeout.
    pub probe: ProbeTiming,
}

/// Probe timing of the lab's fleet file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeTiming {
    pub interval_ms: u64,
    pub timeout_ms: u64,
}

impl Default for ProbeTiming {
    /// Fast, so a dead node is down within seconds.
    fn default() -> Self {
        ProbeTiming {
            interval_ms: 500,
            timeout_ms: 400,
        }
    }
}

impl Layout {
    /// `size` on 127.`net`.*.*. The cache and database primaries sit behind
    /// the first switch, their standbys behind the last (as in 2017, where
    /// the cache primary shared the faulty switch).
    pub fn new(net: u8, size: LabSize) -> Result<Layout, String> {
        if size.switches == 0 || size.switches > 200 {
            return Err("a lab needs between 1 and 200 switches".into());
        }
        if !(2..=40).contains(&size.nodes_per_switch) {
            return Err("a lab needs between 2 and 40 nodes per switch".into());
        }
        if size.sites == 0 || size.sites > 10_000 {
            return Err("a lab needs between 1 and 10000 sites".into());
        }
        let switches: Vec<String> = (1..=size.switches).map(|s| format!("sw-{s}")).collect();
        let apps_per_switch = usize::from(size.nodes_per_switch - 1);
        let app_count = apps_per_switch * usize::from(size.switches);
        // Room for a whole other server's sites on every node.
        let capacity = u32::try_from(size.sites.div_ceil(app_count) * 2).unwrap_or(u32::MAX);
        let mut nodes = Vec::new();
        let mut app_number = 0;
        for (s, switch) in (1..=size.switches).zip(&switches) {
            for n in 1..=size.nodes_per_switch {
                let ip = Ipv4Addr::new(127, net, s, 10 + n);
                let (id, role) = if n == size.nodes_per_switch {
                    (format!("fo-{s}"), Role::Failover)
                } else {
                    app_number += 1;
                    (format!("app-{app_number:02}"), Role::App)
                };
                nodes.push(Slot {
                    id,
                    role,
                    switch: switch.clone(),
                    ip,
                    capacity,
                });
            }
            nodes.push(Slot {
                id: format!("web-{s}"),
                role: Role::Web,
                switch: switch.clone(),
                ip: Ipv4Addr::new(127, net, s, 50),
                capacity: 0,
            });
        }
        let last = size.switches;
        let service = |id: &str, role: Role, s: u8, host: u8| Slot {
            id: id.to_string(),
            role,
            switch: format!("sw-{s}"),
            ip: Ipv4Addr::new(127, net, s, host),
            capacity: 0,
        };
        let caches = vec![
            service("cache-1", Role::Cache, 1, 100),
            service("cache-2", Role::Cache, last, 101),
        ];
        let databases = vec![
            service("db-1", Role::Db, 1, 110),
            service("db-2", Role::Db, last, 111),
        ];
        let apps: Vec<&Slot> = nodes.iter().filter(|n| n.role == Role::App).collect();
        let sites = (1..=size.sites)
            .map(|i| SiteSlot {
                id: format!("site-{i:02}.lab"),
                name: format!("Lab site {i}"),
                home: apps[(i - 1) % apps.len()].id.clone(),
            })
            .collect();
        Ok(Layout {
            net,
            switches,
            nodes,
            caches,
            databases,
            sites,
            probe: ProbeTiming::default(),
        })
    }

    /// A lab shaped like `spec`: its switches, and its app, failover, web,
    /// cache and database servers with their ids, roles and switches, so a
    /// scenario written for that fleet plays on the lab as written. Each app
    /// server hosts `sites_per_app` sites, and capacities shrink in the
    /// fleet's proportion of capacity to sites.
    pub fn like_fleet(net: u8, spec: &FleetSpec, sites_per_app: usize) -> Result<Layout, String> {
        if spec.switches.is_empty() || spec.switches.len() > 200 {
            return Err("a lab needs between 1 and 200 switches".into());
        }
        if !(1..=100).contains(&sites_per_app) {
            return Err("a lab needs between 1 and 100 sites per app server".into());
        }
        let switch_number = |id: &str| -> Result<u8, String> {
            let at = spec
                .switches
                .iter()
                .position(|s| s == id)
                .ok_or_else(|| format!("unknown switch {id}"))?;
            u8::try_from(at + 1).map_err(|_| "too many switches".to_string())
        };
        let apps = spec.servers.iter().filter(|s| s.role == Role::App).count();
        if apps == 0 {
            return Err("the fleet has no app server".into());
        }
        let per_app_in_fleet = (spec.sites.len() as f64 / apps as f64).max(1.0);
        let mut next_host: BTreeMap<u8, u8> = BTreeMap::new();
        let mut nodes = Vec::new();
        for server in &spec.servers {
            if !matches!(server.role, Role::App | Role::Failover | Role::Web) {
                continue;
            }
            let s = switch_number(&server.switch)?;
            let host = next_host.entry(s).or_insert(11);
            if *host > 99 {
                return Err(format!("more than 89 nodes behind {}", server.switch));
            }
            let capacity = if server.role == Role::Web {
                0
            } else {
                let scaled = f64::from(server.capacity) * sites_per_app as f64 / per_app_in_fleet;
                (scaled.ceil() as u32).max(1)
            };
            nodes.push(Slot {
                id: server.id.clone(),
                role: server.role,
                switch: server.switch.clone(),
                ip: Ipv4Addr::new(127, net, s, *host),
                capacity,
            });
            *host += 1;
        }
        let cluster = |cluster: Option<&crate::model::ClusterSpec>,
                       role: Role,
                       first_host: u8|
         -> Result<Vec<Slot>, String> {
            let cluster =
                cluster.ok_or_else(|| format!("the fleet has no {} cluster", role.as_str()))?;
            let ids: Vec<&String> = std::iter::once(&cluster.active)
                .chain(&cluster.standby)
                .collect();
            if ids.len() < 2 {
                return Err(format!("the lab needs a {} standby", role.as_str()));
            }
            ids.into_iter()
                .zip(first_host..)
                .map(|(id, host)| {
                    let server = spec
                        .server(id)
                        .ok_or_else(|| format!("unknown server {id}"))?;
                    Ok(Slot {
                        id: id.clone(),
                        role,
                        switch: server.switch.clone(),
                        ip: Ipv4Addr::new(127, net, switch_number(&server.switch)?, host),
                        capacity: 0,
                    })
                })
                .collect()
        };
        let caches = cluster(spec.cache.as_ref(), Role::Cache, 100)?;
        let databases = cluster(spec.database.as_ref(), Role::Db, 110)?;
        let app_ids: Vec<&Slot> = nodes.iter().filter(|n| n.role == Role::App).collect();
        let sites = (1..=apps * sites_per_app)
            .map(|i| SiteSlot {
                id: format!("site-{i:02}.lab"),
                name: format!("Lab site {i}"),
                home: app_ids[(i - 1) % app_ids.len()].id.clone(),
            })
            .collect();
        Ok(Layout {
            net,
            switches: spec.switches.clone(),
            nodes,
            caches,
            databases,
            sites,
            probe: ProbeTiming::default(),
        })
    }

    /// HAProxy's frontend address.
    pub fn front_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(127, self.net, 0, 1)
    }

    /// The monitor node's address (checks for the probes; on no switch).
    pub fn monitor_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(127, self.net, 0, 2)
    }

    /// Every process slot: nodes, caches, databases.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.nodes.iter().chain(&self.caches).chain(&self.databases)
    }

    pub fn slot(&self, id: &str) -> Option<&Slot> {
        self.slots().find(|s| s.id == id)
    }
}

/// Where everything listens once started, and the files under the lab's dir.
#[derive(Debug, Clone)]
pub struct Wiring {
    /// By slot id.
    pub addrs: BTreeMap<String, SocketAddr>,
    pub front: SocketAddr,
    pub dir: PathBuf,
    pub pg_bindir: PathBuf,
    /// The user PostgreSQL runs as when the lab runs as root.
    pub pg_user: Option<String>,
    /// The monitor node checking memcached and PostgreSQL for the probes.
    pub monitor: Option<SocketAddr>,
}

impl Wiring {
    pub fn haproxy_socket(&self) -> PathBuf {
        self.dir.join("run/haproxy.sock")
    }

    pub fn map_file(&self) -> PathBuf {
        self.dir.join("haproxy/sites.map")
    }

    pub fn control_socket(&self) -> PathBuf {
        self.dir.join("run/lab.sock")
    }

    pub fn runbook(&self, kind: &str, name: &str) -> PathBuf {
        self.dir.join("runbooks").join(kind).join(name)
    }

    /// The file naming the active memcached node (`host:port`).
    pub fn cache_pointer(&self) -> PathBuf {
        self.dir.join("cache.active")
    }

    /// The file naming the PostgreSQL primary (`host:port`).
    pub fn db_pointer(&self) -> PathBuf {
        self.dir.join("db.active")
    }

    pub fn pg_data(&self, id: &str) -> PathBuf {
        self.dir.join("pg").join(id)
    }

    fn addr(&self, id: &str) -> String {
        self.addrs
            .get(id)
            .map(SocketAddr::to_string)
            .unwrap_or_default()
    }
}

/// `site backend` per line, every site on its home server.
pub fn map_file_text(layout: &Layout) -> String {
    let mut text = String::from("# Host -> backend (the HAProxy runbooks rewrite this file)\n");
    for site in &layout.sites {
        let _ = writeln!(text, "{} {}", site.id, site.home);
    }
    text
}

/// HAProxy routing by Host header (port stripped, lower-cased) through the
/// map file to one backend per node, a `failover` pool listing every node
/// (the app servers `disabled` until promoted), and the admin runtime socket.
pub fn haproxy_config(layout: &Layout, wiring: &Wiring) -> String {
    let mut text = format!(
        "global\n\
         \tstats socket {socket} mode 600 level admin\n\
         \tstats timeout 10s\n\
         defaults\n\
         \tmode http\n\
         \toption http-server-close\n\
         \toption redispatch\n\
         \tretries 2\n\
         \ttimeout connect 1s\n\
         \ttimeout client 30s\n\
         \ttimeout server 15s\n\
         frontend sites\n\
         \tbind {front}\n",
        socket = wiring.haproxy_socket().display(),
        front = wiring.front,
    );
    let web: Vec<&Slot> = layout
        .nodes
        .iter()
        .filter(|n| n.role == Role::Web)
        .collect();
    if !web.is_empty() {
        text.push_str("\tuse_backend web if { path_beg /cart }\n");
    }
    let _ = writeln!(
        text,
        "\tuse_backend %[req.hdr(host),field(1,:),lower,map({})]",
        wiring.map_file().display()
    );
    for node in &layout.nodes {
        let _ = write!(
            text,
            "backend {id}\n\tserver {id} {addr}\n",
            id = node.id,
            addr = wiring.addr(&node.id)
        );
    }
    if !web.is_empty() {
        text.push_str("backend web\n\tbalance roundrobin\n");
        for node in &web {
            let _ = writeln!(text, "\tserver {} {}", node.id, wiring.addr(&node.id));
        }
    }
    text.push_str("backend failover\n");
    for node in layout.nodes.iter().filter(|n| n.role != Role::Web) {
        let disabled = if node.role == Role::Failover {
            ""
        } else {
            " disabled"
        };
        let _ = writeln!(
            text,
            "\tserver {} {}{disabled}",
            node.id,
            wiring.addr(&node.id)
        );
    }
    text
}

/// The fleet file of the lab: every process with its real probe target
/// (a node's `/health`, a TCP connect to memcached and PostgreSQL), and the
/// `exec` driver wired to the HAProxy runbooks and the lab's own.
pub fn fleet_file(layout: &Layout, wiring: &Wiring) -> String {
    let mut text = format!(
        "# Generated by `warroom lab`: the lab's processes on 127.{net}.0.0/16.\n\
         service = \"warroom lab\"\n\n\
         [probe_defaults]\n\
         interval_ms = {interval}\n\
         timeout_ms = {timeout}\n\
         rise = 2\n\
         fall = 3\n\n\
         [detection]\n\
         flap_transitions = 3\n\
         flap_window_s = 60\n\n",
        net = layout.net,
        interval = layout.probe.interval_ms,
        timeout = layout.probe.timeout_ms,
    );
    for switch in &layout.switches {
        let _ = writeln!(text, "[[switch]]\nid = \"{switch}\"\n");
    }
    for slot in layout.slots() {
        let addr = wiring.addr(&slot.id);
        let probe = match slot.role {
            Role::App | Role::Failover | Role::Web => {
                format!("{{ http = \"http://{addr}/health\" }}")
            }
            Role::Cache | Role::Db => match wiring.monitor {
                // A protocol-level check: a stopped service fails it.
                Some(monitor) => format!(
                    "{{ http = \"http://{monitor}/check/{kind}/{addr}?within_ms={within}\" }}",
                    kind = if slot.role == Role::Db {
                        "pg"
                    } else {
                        "memcached"
                    },
                    within = layout.probe.timeout_ms * 2 / 3,
                ),
                None => format!("{{ tcp = \"{addr}\" }}"),
            },
        };
        let _ = write!(
            text,
            "[[server]]\nid = \"{}\"\nrole = \"{}\"\nswitch = \"{}\"\n",
            slot.id,
            slot.role.as_str(),
            slot.switch
        );
        if slot.capacity > 0 {
            let _ = writeln!(text, "capacity = {}", slot.capacity);
        }
        let _ = writeln!(text, "probe = {probe}\n");
    }
    let ids = |slots: &[Slot]| -> Vec<String> { slots.iter().map(|s| toml_str(&s.id)).collect() };
    let caches = ids(&layout.caches);
    let dbs = ids(&layout.databases);
    let _ = writeln!(
        text,
        "[cache]\nactive = {}\nstandby = [{}]\n\n[database]\nwriter = {}\nreplicas = [{}]\n",
        caches[0],
        caches[1..].join(", "),
        dbs[0],
        dbs[1..].join(", ")
    );
    for site in &layout.sites {
        let _ = writeln!(
            text,
            "[[site]]\nid = {}\nname = {}\nhome = {}\n",
            toml_str(&site.id),
            toml_str(&site.name),
            toml_str(&site.home)
        );
    }
    let haproxy_env = [
        format!("HAPROXY_SOCKET={}", wiring.haproxy_socket().display()),
        format!("HAPROXY_MAP_FILE={}", wiring.map_file().display()),
        "HAPROXY_TIMEOUT=5".to_string(),
    ];
    let mut lab_env = vec![
        format!("LAB_DIR={}", wiring.dir.display()),
        format!("LAB_PG_BINDIR={}", wiring.pg_bindir.display()),
        format!("HAPROXY_MAP_FILE={}", wiring.map_file().display()),
    ];
    if let Some(user) = &wiring.pg_user {
        lab_env.push(format!("LAB_PG_USER={user}"));
    }
    let command = |env: &[String], runbook: PathBuf, args: &[&str]| {
        let argv: Vec<String> = std::iter::once("env".to_string())
            .chain(env.iter().cloned())
            .chain(std::iter::once(runbook.display().to_string()))
            .chain(args.iter().map(|a| a.to_string()))
            .map(|a| toml_str(&a))
            .collect();
        format!("[{}]", argv.join(", "))
    };
    let haproxy =
        |name: &str, args: &[&str]| command(&haproxy_env, wiring.runbook("haproxy", name), args);
    let lab = |name: &str, args: &[&str]| command(&lab_env, wiring.runbook("lab", name), args);
    let _ = writeln!(
        text,
        "[executor]\n\
         driver = \"exec\"\n\
         cooldown_s = 60\n\n\
         [executor.exec]\n\
         move_site = {}\n\
         set_admin = {}\n\
         set_role = {}\n\
         recycle_web = {}\n\
         cache_failover = {}\n\
         db_failover = {}\n\
         restart_site = {}\n\
         cache_standby = {}\n\
         rebuild_replica = {}\n\
         timeout_ms = 60000",
        haproxy("move-site", &["{site}", "{from}", "{to}"]),
        haproxy("set-state", &["{node}", "{admin}"]),
        haproxy("set-role", &["{node}", "{role}"]),
        lab("restart-node", &["{node}"]),
        lab("cache-failover", &["{from}", "{to}"]),
        lab("db-failover", &["{from}", "{to}"]),
        lab("restart-site", &["{site}"]),
        lab("cache-standby", &["{node}", "{from}"]),
        lab("rebuild-replica", &["{node}", "{from}"]),
    );
    text
}

/// A TOML basic string (JSON's escaping is a subset of TOML's).
fn toml_str(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

/// A process's log file in the lab's log directory.
pub fn log_file(logs: &Path, name: &str) -> PathBuf {
    logs.join(format!("{name}.log"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FleetSpec;

    fn wired(layout: &Layout) -> Wiring {
        let mut addrs = BTreeMap::new();
        for (i, slot) in layout.slots().enumerate() {
            addrs.insert(
                slot.id.clone(),
                SocketAddr::new(slot.ip.into(), 20_000 + i as u16),
            );
        }
        Wiring {
            addrs,
            front: SocketAddr::new(layout.front_ip().into(), 19_999),
            dir: PathBuf::from("/tmp/lab \"x\""),
            pg_bindir: PathBuf::from("/usr/lib/postgresql/15/bin"),
            pg_user: Some("postgres".into()),
            monitor: Some(SocketAddr::new(layout.front_ip().into(), 19_998)),
        }
    }

    #[test]
    fn the_default_lab_is_two_switches_of_two_app_servers_and_a_failover() {
        let layout = Layout::new(42, LabSize::default()).expect("layout");
        let ids: Vec<&str> = layout.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "app-01", "app-02", "fo-1", "web-1", "app-03", "app-04", "fo-2", "web-2"
            ]
        );
        assert_eq!(layout.nodes[4].ip, Ipv4Addr::new(127, 42, 2, 11));
        assert_eq!(layout.sites.len(), 12);
        assert_eq!(
            layout.sites.iter().filter(|s| s.home == "app-01").count(),
            3,
            "sites spread evenly over the app servers"
        );
        assert_eq!(layout.caches[0].switch, "sw-1");
        assert_eq!(layout.caches[1].switch, "sw-2");
        let mut ips: Vec<Ipv4Addr> = layout.slots().map(|s| s.ip).collect();
        ips.push(layout.front_ip());
        let count = ips.len();
        ips.sort();
        ips.dedup();
        assert_eq!(ips.len(), count, "every process has its own address");
    }

    #[test]
    fn the_generated_fleet_file_parses_as_a_probed_fleet_with_every_op_wired() {
        let layout = Layout::new(42, LabSize::default()).expect("layout");
        let wiring = wired(&layout);
        let text = fleet_file(&layout, &wiring);
        let spec = FleetSpec::parse("lab.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert!(spec.is_probed());
        assert_eq!(spec.servers.len(), 12);
        assert_eq!(spec.sites.len(), 12);
        let exec = spec.executor.exec.clone().expect("exec driver");
        for op in crate::model::ExecutorSpec::STEP_OPS {
            let command = exec.command_for(op).unwrap_or_else(|| panic!("{op}"));
            assert_eq!(command[0], "env");
            assert!(
                command
                    .iter()
                    .any(|a| a.starts_with("/tmp/lab \"x\"/runbooks/")),
                "{op}: {command:?}"
            );
        }
        let db = spec.server("db-1").expect("db-1");
        assert_eq!(
            db.probe.as_ref().map(|p| &p.target),
            Some(&crate::model::ProbeTarget::Http(format!(
                "http://{}/check/pg/{}?within_ms=266",
                wiring.monitor.expect("monitor"),
                wiring.addrs["db-1"]
            )))
        );
        let app01 = spec.server("app-01").expect("app-01");
        assert_eq!(
            app01.probe.as_ref().map(|p| &p.target),
            Some(&crate::model::ProbeTarget::Http(format!(
                "http://{}/health",
                wiring.addrs["app-01"]
            )))
        );
    }

    #[test]
    fn haproxy_routes_each_site_to_its_home_backend_and_pools_the_spares() {
        let layout = Layout::new(7, LabSize::default()).expect("layout");
        let wiring = wired(&layout);
        let map = map_file_text(&layout);
        assert!(map.contains("\nsite-01.lab app-01\n"), "{map}");
        let config = haproxy_config(&layout, &wiring);
        assert!(
            config.contains(&format!("bind {}", wiring.front)),
            "{config}"
        );
        assert!(
            config.contains(&format!(
                "backend app-02\n\tserver app-02 {}\n",
                wiring.addrs["app-02"]
            )),
            "{config}"
        );
        let pool = config.split("backend failover\n").nth(1).expect("pool");
        assert!(pool.contains(&format!("server fo-1 {}\n", wiring.addrs["fo-1"])));
        assert!(pool.contains(&format!(
            "server app-01 {} disabled\n",
            wiring.addrs["app-01"]
        )));
    }

    #[test]
    fn a_lab_like_the_demo_fleet_keeps_its_ids_roles_and_switches() {
        let spec = FleetSpec::parse("demo.toml", crate::sim::DEMO_FLEET).expect("demo fleet");
        let layout = Layout::like_fleet(9, &spec, 2).expect("layout");
        let node = |id: &str| layout.slot(id).unwrap_or_else(|| panic!("{id}"));
        assert_eq!(node("app-04").switch, "sw-2");
        assert_eq!(node("app-04").role, Role::App);
        assert_eq!(node("fo-2").role, Role::Failover);
        assert_eq!(node("web-3").role, Role::Web);
        assert_eq!(node("cache-1").switch, "sw-2", "the 2017 cache primary");
        assert_eq!(node("cache-1").ip.octets()[2], 2);
        assert_eq!(layout.caches[0].id, "cache-1");
        assert_eq!(layout.databases[0].id, "db-1");
        assert_eq!(layout.sites.len(), 18);
        assert_eq!(
            layout.sites.iter().filter(|s| s.home == "app-09").count(),
            2
        );
        // 20 slots for 17 sites in the demo: 3 for 2 here, so a failover
        // server takes one server's sites but not two.
        assert_eq!(node("fo-1").capacity, 3);
        let mut ips: Vec<Ipv4Addr> = layout.slots().map(|s| s.ip).collect();
        let count = ips.len();
        ips.sort();
        ips.dedup();
        assert_eq!(ips.len(), count, "every process has its own address");
        let text = fleet_file(&layout, &wired(&layout));
        let lab = FleetSpec::parse("lab.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(lab.servers.len(), spec.servers.len());
    }

    #[test]
    fn haproxy_sends_the_cart_path_to_the_web_nodes_before_the_site_map() {
        let layout = Layout::new(7, LabSize::default()).expect("layout");
        let config = haproxy_config(&layout, &wired(&layout));
        let cart = config
            .find("use_backend web if { path_beg /cart }")
            .expect("cart rule");
        let map = config
            .find("use_backend %[req.hdr(host)")
            .expect("map rule");
        assert!(cart < map, "{config}");
        let web = config.split("backend web\n").nth(1).expect("web backend");
        assert!(
            web.starts_with("\tbalance roundrobin\n\tserver web-1 "),
            "{config}"
        );
        let pool = config.split("backend failover\n").nth(1).expect("pool");
        assert!(!pool.contains("web-"), "web nodes host no sites: {pool}");
    }

    #[test]
    fn sizes_out_of_range_are_refused() {
        for size in [
            LabSize {
                switches: 0,
                ..LabSize::default()
            },
            LabSize {
                nodes_per_switch: 1,
                ..LabSize::default()
            },
            LabSize {
                sites: 0,
                ..LabSize::default()
            },
        ] {
            assert!(Layout::new(1, size).is_err(), "{size:?}");
        }
    }
}
