//! The shipped HAProxy runbooks (`assets/runbooks/haproxy/`) against a real
//! HAProxy: real HTTP through it before and after each runbook, the runtime
//! state it reports, the map file on disk, the failures a user meets
//! (socket missing, unknown backend, server or map, a socket that never
//! answers, HAProxy's own refusal), and the runbooks run by the `exec` driver.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::haproxy::{Backend, Haproxy, Server, name_server};
use crate::support::raw::Api;
use crate::support::tokens::{COMMANDER, VIEWER};
use crate::support::wait::eventually;
use serde_json::json;
use warroom::model::{Action, ActionState, FleetSpec, HealthState, Role, StepOp, Topology};
use warroom::server::WorldSource;
use warroom::sim::DEMO_FLEET;

const WAIT: Duration = Duration::from_secs(30);
const RUNBOOK_LIMIT: Duration = Duration::from_secs(30);

/// srv_admin_state bits: forced maintenance and forced drain.
const FMAINT: u32 = 0x01;
const FDRAIN: u32 = 0x08;

fn runbook_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/runbooks/haproxy")
        .join(name)
}

/// What a runbook did: its exit status, stdout, stderr and how long it took.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Ran {
    fn succeeded(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "stdout {:?} stderr {:?}",
            self.stdout,
            self.stderr
        );
        assert_eq!(
            self.stdout.lines().count(),
            1,
            "one summary line: {:?}",
            self.stdout
        );
        self
    }

    /// Exit status non-zero, one line on stderr; returns that line.
    fn failed(&self) -> &str {
        assert!(
            matches!(self.code, Some(c) if c != 0),
            "expected a failure: {:?} stdout {:?} stderr {:?}",
            self.code,
            self.stdout,
            self.stderr
        );
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "one line: {:?}",
            self.stderr
        );
        self.stderr.trim()
    }
}

/// Runs runbook `name` with `args` and exactly these `HAPROXY_*` settings.
async fn run(name: &str, args: &[&str], settings: &[(&str, String)]) -> Ran {
    let mut command = tokio::process::Command::new(runbook_path(name));
    command.args(args).kill_on_drop(true);
    for (key, _) in std::env::vars() {
        if key.starts_with("HAPROXY_") {
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
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        took: started.elapsed(),
    }
}

fn settings_for(haproxy: &Haproxy) -> Vec<(&'static str, String)> {
    vec![
        ("HAPROXY_SOCKET", haproxy.socket.display().to_string()),
        ("HAPROXY_MAP_FILE", haproxy.map_file.display().to_string()),
        ("HAPROXY_TIMEOUT", "5".to_string()),
    ]
}

/// Two app backends (app-a, app-b), a failover pool of two disabled spares
/// and a web backend of two servers; site-x and site-y on app-a, site-f on
/// the failover pool, site-w on the web servers.
async fn small_lab(dir: &Path) -> Haproxy {
    let mut servers = std::collections::BTreeMap::<&str, SocketAddr>::new();
    for name in ["app-a", "app-b", "spare-1", "spare-2", "web-1", "web-2"] {
        servers.insert(name, name_server(name).await);
    }
    let backends = vec![
        Backend::new("app-a", vec![Server::new("app-a", servers["app-a"])]),
        Backend::new("app-b", vec![Server::new("app-b", servers["app-b"])]),
        Backend::new(
            "failover",
            vec![
                Server::disabled("spare-1", servers["spare-1"]),
                Server::disabled("spare-2", servers["spare-2"]),
            ],
        ),
        Backend::new(
            "web",
            vec![
                Server::new("web-1", servers["web-1"]),
                Server::new("web-2", servers["web-2"]),
            ],
        ),
    ];
    let sites = [
        ("site-x", "app-a"),
        ("site-y", "app-a"),
        ("site-f", "failover"),
        ("site-w", "web"),
    ];
    Haproxy::start(dir, &backends, &sites).await
}

fn map_lines(haproxy: &Haproxy) -> Vec<String> {
    std::fs::read_to_string(&haproxy.map_file)
        .expect("map file")
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn move_site_moves_real_traffic_and_the_map_file_so_a_restart_keeps_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut haproxy = small_lab(dir.path()).await;
    let settings = settings_for(&haproxy);
    assert_eq!(haproxy.get("site-x").await, (200, "app-a".to_string()));

    let ran = run("move-site", &["site-x", "app-a", "app-b"], &settings).await;
    let summary = ran.succeeded().stdout.trim();
    assert!(
        summary.contains("moved site-x from app-a to app-b"),
        "{summary}"
    );
    assert_eq!(haproxy.get("site-x").await, (200, "app-b".to_string()));
    assert_eq!(
        haproxy.get("site-y").await,
        (200, "app-a".to_string()),
        "only site-x moved"
    );
    assert_eq!(
        map_lines(&haproxy),
        [
            "# Host -> backend",
            "site-x app-b",
            "site-y app-a",
            "site-f failover",
            "site-w web"
        ],
        "the entry rewritten in place, comments and other sites kept"
    );

    // A site HAProxy has no entry for is added.
    assert_eq!(haproxy.get("site-new").await.0, 503);
    let ran = run("move-site", &["site-new", "app-a", "app-b"], &settings).await;
    assert!(ran.succeeded().stdout.contains("added"), "{}", ran.stdout);
    assert_eq!(haproxy.get("site-new").await, (200, "app-b".to_string()));
    assert_eq!(
        map_lines(&haproxy).last().map(String::as_str),
        Some("site-new app-b")
    );

    // Moving again is harmless and changes nothing else.
    run("move-site", &["site-x", "app-a", "app-b"], &settings)
        .await
        .succeeded();
    assert_eq!(
        map_lines(&haproxy)
            .iter()
            .filter(|l| l.starts_with("site-x "))
            .count(),
        1
    );

    haproxy.restart().await;
    assert_eq!(
        haproxy.get("site-x").await,
        (200, "app-b".to_string()),
        "kept across a restart"
    );
    assert_eq!(haproxy.get("site-new").await, (200, "app-b".to_string()));
    assert_eq!(haproxy.get("site-y").await, (200, "app-a".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_maint_and_ready_set_the_server_state_haproxy_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let haproxy = small_lab(dir.path()).await;
    let settings = settings_for(&haproxy);
    assert_eq!(haproxy.admin_state("app-a", "app-a") & (FMAINT | FDRAIN), 0);

    let ran = run("drain", &["app-a"], &settings).await;
    assert_eq!(
        ran.succeeded().stdout.trim(),
        "drain: app-a/app-a: ready -> drain"
    );
    assert_eq!(
        haproxy.admin_state("app-a", "app-a") & (FMAINT | FDRAIN),
        FDRAIN
    );

    run("maint", &["app-a"], &settings).await.succeeded();
    assert_ne!(haproxy.admin_state("app-a", "app-a") & FMAINT, 0);
    assert_eq!(
        haproxy.get("site-x").await.0,
        503,
        "no server left for site-x"
    );

    let ran = run("ready", &["app-a"], &settings).await;
    assert_eq!(
        ran.succeeded().stdout.trim(),
        "ready: app-a/app-a: maint -> ready"
    );
    assert_eq!(haproxy.admin_state("app-a", "app-a") & (FMAINT | FDRAIN), 0);
    assert_eq!(haproxy.get("site-x").await, (200, "app-a".to_string()));

    // BACKEND/SERVER, and HAPROXY_BACKEND for bare names.
    run("set-state", &["web/web-2", "drain"], &settings)
        .await
        .succeeded();
    assert_eq!(haproxy.admin_state("web", "web-2") & FDRAIN, FDRAIN);
    let mut with_backend = settings.clone();
    with_backend.push(("HAPROXY_BACKEND", "web".to_string()));
    run("maint", &["web-1"], &with_backend).await.succeeded();
    assert_ne!(haproxy.admin_state("web", "web-1") & FMAINT, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_spare_puts_a_spare_into_the_failover_pool() {
    let dir = tempfile::tempdir().expect("temp dir");
    let haproxy = small_lab(dir.path()).await;
    let settings = settings_for(&haproxy);
    assert_eq!(
        haproxy.get("site-f").await.0,
        503,
        "both spares start disabled"
    );

    let ran = run("promote-spare", &["spare-1"], &settings).await;
    assert!(
        ran.succeeded()
            .stdout
            .contains("spare-1 promoted into the failover pool")
    );
    assert_eq!(haproxy.get("site-f").await, (200, "spare-1".to_string()));
    assert_ne!(
        haproxy.admin_state("failover", "spare-2") & FMAINT,
        0,
        "only spare-1"
    );

    run("set-role", &["spare-1", "app"], &settings)
        .await
        .succeeded();
    assert_eq!(
        haproxy.get("site-f").await.0,
        503,
        "taken out of the pool again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recycle_web_drains_recycles_and_readies_each_web_server_in_turn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let haproxy = small_lab(dir.path()).await;
    // The recycle command records every web server's state at the moment it runs.
    let log = dir.path().join("recycled.log");
    let recorder = dir.path().join("record.py");
    std::fs::write(
        &recorder,
        format!(
            "import socket, sys\n\
             s = socket.socket(socket.AF_UNIX)\n\
             s.connect({socket:?})\n\
             s.sendall(b'show servers state web\\n')\n\
             data = b''\n\
             while True:\n\
             \x20   chunk = s.recv(4096)\n\
             \x20   if not chunk:\n\
             \x20       break\n\
             \x20   data += chunk\n\
             rows = [l.split() for l in data.decode().splitlines()[2:] if l.strip()]\n\
             states = ' '.join('%s=%s' % (r[3], r[6]) for r in rows)\n\
             open({log:?}, 'a').write(sys.argv[1] + ': ' + states + '\\n')\n",
            socket = haproxy.socket.display().to_string(),
            log = log.display().to_string(),
        ),
    )
    .expect("recorder");
    let mut settings = settings_for(&haproxy);
    settings.push((
        "HAPROXY_RECYCLE_COMMAND",
        format!("python3 {} {{server}}", recorder.display()),
    ));

    let ran = run("recycle-web", &[], &settings).await;
    assert!(
        ran.succeeded().stdout.contains("recycled web-1, web-2"),
        "{}",
        ran.stdout
    );
    let recorded = std::fs::read_to_string(&log).expect("the recycle command ran");
    assert_eq!(
        recorded.lines().collect::<Vec<_>>(),
        ["web-1: web-1=8 web-2=0", "web-2: web-1=0 web-2=8"],
        "each server drained while recycled, the other one serving"
    );
    for server in ["web-1", "web-2"] {
        assert_eq!(haproxy.admin_state("web", server) & (FMAINT | FDRAIN), 0);
    }
    assert_eq!(haproxy.get("site-w").await.0, 200);

    // A server in maintenance is left there; one server can be named.
    run("maint", &["web/web-2"], &settings).await.succeeded();
    let ran = run("recycle-web", &[], &settings).await;
    assert!(
        ran.succeeded().stdout.contains("left web-2 in maintenance"),
        "{}",
        ran.stdout
    );
    assert_ne!(haproxy.admin_state("web", "web-2") & FMAINT, 0);
    run("recycle-web", &["web-1"], &settings).await.succeeded();
    let recorded = std::fs::read_to_string(&log).expect("log");
    assert_eq!(
        recorded.lines().filter(|l| l.starts_with("web-1:")).count(),
        3
    );
    assert_eq!(
        recorded.lines().filter(|l| l.starts_with("web-2:")).count(),
        1
    );

    // A failing recycle command stops the runbook with the server left drained.
    settings.pop();
    settings.push((
        "HAPROXY_RECYCLE_COMMAND",
        "sh -c 'echo disk full >&2; exit 7'".into(),
    ));
    let ran = run("recycle-web", &["web-1"], &settings).await;
    let error = ran.failed();
    assert!(
        error.contains("status 7") && error.contains("disk full"),
        "{error}"
    );
    assert_eq!(haproxy.admin_state("web", "web-1") & FDRAIN, FDRAIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_socket_fails_naming_the_socket() {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("no-such-haproxy.sock");
    let settings = [
        ("HAPROXY_SOCKET", socket.display().to_string()),
        (
            "HAPROXY_MAP_FILE",
            dir.path().join("sites.map").display().to_string(),
        ),
    ];
    for (name, args) in [
        ("drain", vec!["app-a"]),
        ("move-site", vec!["site-x", "app-a", "app-b"]),
        ("recycle-web", vec![]),
    ] {
        let ran = run(name, &args, &settings).await;
        let error = ran.failed();
        assert_eq!(ran.code, Some(3), "{name}: {error}");
        assert!(
            error.starts_with(&format!("{name}: socket missing"))
                && error.contains(&socket.display().to_string()),
            "{error}"
        );
    }
    assert!(
        !dir.path().join("sites.map").exists(),
        "no map file written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_backends_servers_and_maps_fail_naming_them_and_change_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let haproxy = small_lab(dir.path()).await;
    let settings = settings_for(&haproxy);
    let map_before = map_lines(&haproxy);

    let ran = run("move-site", &["site-x", "app-a", "app-zz"], &settings).await;
    let error = ran.failed();
    assert!(error.contains("unknown backend 'app-zz'"), "{error}");
    assert_eq!(haproxy.get("site-x").await, (200, "app-a".to_string()));
    assert_eq!(map_lines(&haproxy), map_before);

    let ran = run("drain", &["nosuch/app-a"], &settings).await;
    assert!(
        ran.failed().contains("unknown backend 'nosuch'"),
        "{}",
        ran.stderr
    );
    let ran = run("drain", &["app-a/ghost"], &settings).await;
    assert!(
        ran.failed().contains("unknown server 'app-a/ghost'"),
        "{}",
        ran.stderr
    );
    let ran = run("promote-spare", &["spare-9"], &settings).await;
    assert!(
        ran.failed().contains("'failover/spare-9'"),
        "{}",
        ran.stderr
    );
    assert_eq!(haproxy.admin_state("app-a", "app-a") & (FMAINT | FDRAIN), 0);

    let mut other_map = settings.clone();
    other_map.push(("HAPROXY_MAP", "/etc/haproxy/other.map".to_string()));
    let ran = run("move-site", &["site-x", "app-a", "app-b"], &other_map).await;
    let error = ran.failed();
    assert!(
        error.contains("unknown map '/etc/haproxy/other.map'") && error.contains("Unknown map"),
        "{error}"
    );
    assert_eq!(map_lines(&haproxy), map_before);

    // Names that could smuggle a second runtime command are refused first.
    let ran = run(
        "move-site",
        &["site-x;shutdown", "app-a", "app-b"],
        &settings,
    )
    .await;
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.failed().contains("not a plain name"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_refusing_a_command_is_a_failure_with_its_own_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let haproxy = small_lab(dir.path()).await;
    let mut settings = settings_for(&haproxy);
    settings[0].1 = haproxy.user_socket.display().to_string();
    let ran = run("drain", &["app-a"], &settings).await;
    let error = ran.failed();
    assert!(
        error.contains("HAProxy refused") && error.contains("Permission denied"),
        "{error}"
    );
    assert_eq!(haproxy.admin_state("app-a", "app-a") & FDRAIN, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_answers_times_out_within_the_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("silent.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
    // Accepts and holds every connection, never writing a byte.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let settings = [
        ("HAPROXY_SOCKET", socket.display().to_string()),
        ("HAPROXY_TIMEOUT", "1".to_string()),
    ];
    for (name, args) in [("drain", vec!["app-a"]), ("move-site", vec!["s", "a", "b"])] {
        let ran = run(name, &args, &settings).await;
        let error = ran.failed();
        assert_eq!(ran.code, Some(4), "{error}");
        assert!(
            error.contains("timeout") && error.contains("within 1 s"),
            "{error}"
        );
        assert!(
            ran.took >= Duration::from_secs(1) && ran.took < Duration::from_secs(4),
            "{name} took {:?}",
            ran.took
        );
    }
}

/// The demo fleet's sites behind a real HAProxy: a backend per app and
/// failover server (answering with its id), a failover pool with the app
/// servers disabled, and the map from every site to its home.
async fn demo_fleet_haproxy(dir: &Path, spec: &FleetSpec) -> Haproxy {
    let mut backends = Vec::new();
    let mut pool = Vec::new();
    for server in &spec.servers {
        if !matches!(server.role, Role::App | Role::Failover) {
            continue;
        }
        let addr = name_server(&server.id).await;
        backends.push(Backend::new(
            &server.id,
            vec![Server::new(&server.id, addr)],
        ));
        pool.push(Server::disabled(&server.id, addr));
    }
    backends.push(Backend::new("failover", pool));
    let sites: Vec<(&str, &str)> = spec
        .sites
        .iter()
        .map(|s| (s.id.as_str(), s.home.as_str()))
        .collect();
    Haproxy::start(dir, &backends, &sites).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evacuation_through_the_exec_driver_moves_real_traffic_through_haproxy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = FleetSpec::parse("demo.toml", DEMO_FLEET).expect("demo fleet");
    let haproxy = demo_fleet_haproxy(dir.path(), &demo).await;
    let command = |runbook: &str, args: &[&str]| {
        let mut argv = vec![
            "env".to_string(),
            format!("HAPROXY_SOCKET={}", haproxy.socket.display()),
            format!("HAPROXY_MAP_FILE={}", haproxy.map_file.display()),
            runbook_path(runbook).display().to_string(),
        ];
        argv.extend(args.iter().map(|a| a.to_string()));
        serde_json::to_string(&argv).expect("a TOML array")
    };
    let section = format!(
        "[executor]\ndriver = \"exec\"\n[executor.exec]\nmove_site = {}\nset_admin = {}\nset_role = {}\ntimeout_ms = 20000\n",
        command("move-site", &["{site}", "{from}", "{to}"]),
        command("set-state", &["{node}", "{admin}"]),
        command("set-role", &["{node}", "{role}"]),
    );
    let spec = FleetSpec::parse("demo.toml", &format!("{DEMO_FLEET}\n{section}")).expect("fleet");
    let api = Api::start(
        spec,
        WorldSource::Simulated {
            seed: 7,
            speed: 10.0,
            scenario: None,
        },
    )
    .await;
    eventually(WAIT, "every server up", || async {
        let t: Topology = api.viewer().topology().await.ok()?;
        t.servers
            .iter()
            .all(|s| s.health.state == HealthState::Up)
            .then_some(())
    })
    .await;

    let on_app04: Vec<&str> = demo
        .sites
        .iter()
        .filter(|s| s.home == "app-04")
        .map(|s| s.id.as_str())
        .collect();
    for site in &on_app04 {
        assert_eq!(haproxy.get(site).await, (200, "app-04".to_string()));
    }

    let http = api.http();
    let response = http
        .post(api.at("/v1/plans"))
        .bearer_auth(COMMANDER)
        .json(&json!({"kind": "evacuate_server", "target": "app-04"}))
        .send()
        .await
        .expect("plan");
    assert_eq!(response.status().as_u16(), 201);
    let plan: warroom::model::Plan = response.json().await.expect("plan");
    let response = http
        .post(api.at(&format!("/v1/plans/{}/execute", plan.id)))
        .bearer_auth(COMMANDER)
        .header("idempotency-key", format!("key-{}", plan.id))
        .header("if-match", plan.topology_version.to_string())
        .send()
        .await
        .expect("execute");
    assert_eq!(response.status().as_u16(), 201);
    let started: Action = response.json().await.expect("action");
    let action = eventually(WAIT, "the evacuation to finish", || async {
        let a: Action = http
            .get(api.at(&format!("/v1/actions/{}", started.id)))
            .bearer_auth(VIEWER)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (a.state != ActionState::Running).then_some(a)
    })
    .await;
    assert_eq!(action.state, ActionState::Succeeded, "{action:#?}");

    let moves: Vec<(&str, &str)> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.op {
            StepOp::MoveSite { site, to, .. } => Some((site.as_str(), to.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(moves.len(), on_app04.len(), "every site of app-04 moves");
    let map = std::fs::read_to_string(&haproxy.map_file).expect("map file");
    for (site, to) in &moves {
        assert_eq!(
            haproxy.get(site).await,
            (200, to.to_string()),
            "{site} answers from {to} through HAProxy"
        );
        assert!(
            map.lines().any(|l| l == format!("{site} {to}")),
            "{site} {to} in {map}"
        );
    }
    assert_ne!(
        haproxy.admin_state("app-04", "app-04") & FDRAIN,
        0,
        "the plan's drain reached HAProxy"
    );
    for (i, step) in action.steps.iter().enumerate() {
        if let StepOp::MoveSite { site, .. } = &plan.steps[i].op {
            let output = step.output.as_deref().unwrap_or_default();
            assert!(
                output.starts_with(&format!("move-site: moved {site} ")),
                "{output}"
            );
        }
    }
    for server in &plan.steps {
        if let StepOp::SetRole {
            server,
            role: Role::Failover,
        } = &server.op
        {
            assert_eq!(haproxy.admin_state("failover", server) & FMAINT, 0);
        }
    }
    api.stop().await;
}

#[test]
fn the_example_fleet_parses_and_wires_each_haproxy_op_to_a_shipped_runbook() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fleets/haproxy-example.toml");
    let text = std::fs::read_to_string(&path).expect("the example fleet");
    let spec = FleetSpec::parse("haproxy-example.toml", &text).expect("it parses");
    assert!(spec.is_probed(), "a real fleet");
    let exec = spec.executor.exec.as_ref().expect("[executor.exec]");
    for (op, runbook) in [
        ("move_site", "move-site"),
        ("set_admin", "set-state"),
        ("set_role", "set-role"),
        ("recycle_web", "recycle-web"),
    ] {
        let command = exec
            .command_for(op)
            .unwrap_or_else(|| panic!("{op} has a command"));
        let program = Path::new(&command[0]);
        assert_eq!(
            program.file_name(),
            Some(runbook.as_ref()),
            "{op}: {command:?}"
        );
        assert!(runbook_path(runbook).is_file(), "{runbook} is shipped");
    }
}
