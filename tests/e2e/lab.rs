//! The real lab end to end: `warroom lab --no-console` brings up HAProxy,
//! app nodes, memcached and PostgreSQL on loopback; an app node is killed;
//! the real probes find it and open an alert; an evacuation planned and
//! executed through the API runs the HAProxy runbooks, which move its sites;
//! they answer 200 through HAProxy again, and the lab's load generator,
//! sending real traffic all along, shows their failing window closed; and
//! once the lab stops, nothing it started is left. Then both outages as lab drills (`drill NAME --lab`, run
//! in process): real faults on the compressed scenario clock, the scripted
//! responses through the API, the nodes' own reports of stale cache
//! connections and stuck database calls, and real traffic through HAProxy
//! measuring what failed. Needs haproxy, memcached, PostgreSQL and python3:
//! fails with the apt line when one is missing.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::lab::{LabRun, LabWatcher, descendants, still_running};
use crate::support::tmux::binary;
use crate::support::wait::eventually;
use warroom::client::{Client, ClientConfig};
use warroom::lab::drill::{LabDrill, LabScorecard};
use warroom::lab::traffic::{Traffic, failed_between, site_states};
use warroom::model::{
    ActionState, AlertKind, ExecuteRequest, FaultKind, HealthState, PlanKind, PlanRequest, StepOp,
};
use warroom::sim::Scenario;

const WAIT: Duration = Duration::from_secs(30);

/// Status and body of `GET /` for `site` through HAProxy, on a new connection.
async fn through_haproxy(http: &reqwest::Client, front: &str, site: &str) -> Option<(u16, String)> {
    let response = http
        .get(front)
        .header(reqwest::header::HOST, site)
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// Waits until the lab's real probes see every server up.
async fn every_server_up(client: &Client) {
    eventually(WAIT, "every server up on the real probes", || async {
        let t = client.topology().await.ok()?;
        t.servers
            .iter()
            .all(|s| s.health.state == HealthState::Up)
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_app_node_is_found_by_real_probes_and_evacuated_through_haproxy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut lab = LabRun::start(dir.path());
    let client = Client::new(ClientConfig::new(
        vec![lab.api.clone()],
        Some(lab.token.clone()),
    ))
    .expect("client");
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("http client");

    let topology = client.topology().await.expect("topology");
    let homes: BTreeMap<String, String> = topology
        .sites
        .iter()
        .map(|s| (s.id.clone(), s.server.clone()))
        .collect();
    assert_eq!(homes.len(), 12, "the default lab has 12 sites");
    for (site, home) in &homes {
        let (status, body) = eventually(WAIT, "every site to answer through HAProxy", || async {
            through_haproxy(&http, &lab.front, site)
                .await
                .filter(|(s, _)| *s == 200)
        })
        .await;
        assert_eq!(status, 200);
        assert!(
            body.contains(&format!("served by {home}")),
            "{site}: {body}"
        );
    }
    every_server_up(&client).await;
    // Every process the lab started, grandchildren included, while it runs.
    let started = descendants(lab.pid());
    let groups: Vec<i32> = lab.groups().into_iter().map(|(_, g)| g).collect();
    assert!(groups.len() >= 11, "{:?}", lab.groups());
    // The lab's own load generator, every site's page and cart through
    // HAProxy every 100 ms, from before the kill to after the evacuation.
    let front: std::net::SocketAddr = lab
        .front
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("HAProxy's frontend address");
    let traffic = Traffic::start(
        front,
        homes.keys().cloned().collect(),
        Duration::from_millis(100),
    )
    .expect("traffic");
    eventually(WAIT, "the traffic to see every site answer", || async {
        let latest = traffic.latest_since(Duration::ZERO);
        (latest.len() == homes.len() * 2 && latest.values().all(|ok| *ok)).then_some(())
    })
    .await;
    let killed_at = traffic.started().elapsed();

    let victim = "app-01";
    let victim_sites: Vec<&String> = homes
        .iter()
        .filter(|(_, home)| *home == victim)
        .map(|(site, _)| site)
        .collect();
    assert!(!victim_sites.is_empty());
    lab.kill_group(victim);

    eventually(WAIT, "the probes to mark app-01 down", || async {
        let t = client.topology().await.ok()?;
        let server = t.servers.iter().find(|s| s.id == victim)?;
        (server.health.state == HealthState::Down).then_some(())
    })
    .await;
    let alerts = client.alerts().await.expect("alerts").alerts;
    assert!(
        alerts
            .iter()
            .any(|a| a.kind == AlertKind::ServerDown && a.target == victim),
        "{alerts:#?}"
    );
    for site in &victim_sites {
        let (status, _) = through_haproxy(&http, &lab.front, site)
            .await
            .expect("HAProxy answers");
        assert_eq!(status, 503, "{site} is down while its node is dead");
    }

    let plan = client
        .create_plan(&PlanRequest {
            kind: PlanKind::EvacuateServer,
            target: Some(victim.to_string()),
            options: Default::default(),
        })
        .await
        .expect("an evacuation plan");
    let moves: BTreeMap<String, String> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.op {
            StepOp::MoveSite { site, to, .. } => Some((site.clone(), to.clone())),
            _ => None,
        })
        .collect();
    let mut planned: Vec<&String> = moves.keys().collect();
    planned.sort();
    assert_eq!(planned, victim_sites, "every site of app-01 moves");
    let started_action = client
        .execute_plan(
            &plan,
            &format!("lab-{}", plan.id),
            &ExecuteRequest::default(),
        )
        .await
        .expect("execute")
        .value;
    let action = eventually(WAIT, "the evacuation to finish", || async {
        let a = client.action(&started_action.id).await.ok()?;
        (a.state != ActionState::Running).then_some(a)
    })
    .await;
    assert_eq!(action.state, ActionState::Succeeded, "{action:#?}");
    let evacuated_at = traffic.started().elapsed();

    // The failing window, as the traffic measured it: it opened after the
    // kill, only for app-01's sites, and closed with the evacuation.
    eventually(WAIT, "the traffic to see app-01's sites answer", || async {
        let latest = traffic.latest_since(evacuated_at);
        (latest.len() == homes.len() * 2 && latest.values().all(|ok| *ok)).then_some(())
    })
    .await;
    let outcomes = traffic.stop();
    let victims = |site: &str| victim_sites.iter().any(|v| v.as_str() == site);
    let window = failed_between(&outcomes, killed_at, evacuated_at, victims);
    assert!(
        window.failed > 0,
        "the traffic saw app-01's sites fail while it was dead: {window:?}"
    );
    let others = failed_between(&outcomes, Duration::ZERO, Duration::MAX, |s| !victims(s));
    assert_eq!(others.failed, 0, "no other site failed: {others:?}");
    let after = failed_between(&outcomes, evacuated_at, Duration::MAX, victims);
    assert!(after.sent > 0);
    assert!(
        after
            .last
            .is_none_or(|last| last < evacuated_at + Duration::from_secs(1)),
        "the window closed with the evacuation: {after:?}"
    );
    for site in &victim_sites {
        let states = site_states(&outcomes, site);
        let shape: Vec<HealthState> = states.iter().map(|(_, s)| *s).collect();
        assert_eq!(shape.first(), Some(&HealthState::Up), "{site}: {states:?}");
        assert_eq!(shape.last(), Some(&HealthState::Up), "{site}: {states:?}");
        assert!(shape.contains(&HealthState::Down), "{site}: {states:?}");
        let down_at = states
            .iter()
            .find(|(_, s)| *s == HealthState::Down)
            .map(|(at, _)| *at)
            .expect("down");
        assert!(down_at >= killed_at, "{site} failed only after the kill");
    }

    for (site, to) in &moves {
        assert_ne!(to, victim);
        let (status, body) = through_haproxy(&http, &lab.front, site)
            .await
            .expect("HAProxy answers");
        assert_eq!(status, 200, "{site}: {body}");
        assert!(body.contains(&format!("served by {to}")), "{site}: {body}");
    }
    let map = std::fs::read_to_string(lab.dir.join("haproxy/sites.map")).expect("map file");
    for (site, to) in &moves {
        assert!(map.lines().any(|l| l == format!("{site} {to}")), "{map}");
    }

    // A killed cache node comes back (empty) when the lab's control socket
    // is asked to restart it, as the recovery of a cache fault does.
    let before = lab.group_of("cache-2");
    lab.kill_group("cache-2");
    let answer = control(&lab.dir.join("run/lab.sock"), "restart cache-2\n");
    assert!(answer.starts_with("ok restarted cache-2 on "), "{answer}");
    assert_ne!(lab.group_of("cache-2"), before, "a new process");
    let addr = answer
        .trim()
        .trim_start_matches("ok restarted cache-2 on ")
        .trim_end_matches(" (empty)");
    assert_eq!(memcached_version(addr).get(..8), Some("VERSION "));

    let status = lab.stop();
    assert!(status.success(), "the lab exits cleanly: {status}");
    let left = still_running(&started, &groups);
    assert!(
        left.is_empty(),
        "left running after the lab stopped: {left:?}"
    );
}

/// `warroom lab --scenario switch-2017` plays the scenario's faults on the
/// real processes: app-04's node is killed at once (the first fault), the
/// real probes find it down, and the alert opens; nothing is evacuated by
/// itself (the lab plays faults, the commander responds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_with_a_scenario_plays_its_faults_on_the_real_processes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut lab = LabRun::start_with(dir.path(), &["--scenario", "switch-2017", "--speed", "60"]);
    let client = Client::new(ClientConfig::new(
        vec![lab.api.clone()],
        Some(lab.token.clone()),
    ))
    .expect("client");
    let started = descendants(lab.pid());
    let groups: Vec<i32> = lab.groups().into_iter().map(|(_, g)| g).collect();
    let topology = client.topology().await.expect("topology");
    assert!(
        topology.servers.iter().any(|s| s.id == "app-04"),
        "the lab takes the demo fleet's shape, whose ids the scenario names"
    );
    eventually(WAIT, "the probes to find app-04 down", || async {
        let t = client.topology().await.ok()?;
        let server = t.servers.iter().find(|s| s.id == "app-04")?;
        (server.health.state == HealthState::Down).then_some(())
    })
    .await;
    let alerts = client.alerts().await.expect("alerts").alerts;
    assert!(
        alerts
            .iter()
            .any(|a| a.kind == AlertKind::ServerDown && a.target == "app-04"),
        "{alerts:#?}"
    );
    let topology = client.topology().await.expect("topology");
    assert!(
        topology
            .sites
            .iter()
            .filter(|s| s.home_server == "app-04")
            .all(|s| s.server == "app-04"),
        "no site moved by itself"
    );
    let status = lab.stop();
    assert!(status.success(), "the lab exits cleanly: {status}");
    let left = still_running(&started, &groups);
    assert!(left.is_empty(), "left running: {left:?}");
}

/// Two labs on one machine at once: each on loopback addresses and ports of
/// its own, each healthy; stopping one leaves the other serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_labs_on_one_machine_do_not_collide() {
    let dirs = [
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    ];
    let mut first = LabRun::start(dirs[0].path());
    let mut second = LabRun::start(dirs[1].path());
    assert_ne!(first.front, second.front);
    assert_ne!(first.api, second.api);
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("http client");
    let mut watched = Vec::new();
    for lab in [&first, &second] {
        let client = Client::new(ClientConfig::new(
            vec![lab.api.clone()],
            Some(lab.token.clone()),
        ))
        .expect("client");
        every_server_up(&client).await;
        let groups: Vec<i32> = lab.groups().into_iter().map(|(_, g)| g).collect();
        watched.push((descendants(lab.pid()), groups));
    }
    let status = first.stop();
    assert!(status.success(), "{status}");
    let site = "site-01.lab";
    let (status, _) = eventually(WAIT, "the second lab to serve on", || async {
        through_haproxy(&http, &second.front, site)
            .await
            .filter(|(s, _)| *s == 200)
    })
    .await;
    assert_eq!(status, 200);
    let status = second.stop();
    assert!(status.success(), "{status}");
    for (pids, groups) in &watched {
        let left = still_running(pids, groups);
        assert!(left.is_empty(), "left running: {left:?}");
    }
}

/// One command on the lab's control socket, and its one-line answer.
fn control(socket: &std::path::Path, command: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(socket).expect("control socket");
    stream.set_read_timeout(Some(WAIT)).expect("read timeout");
    stream.write_all(command.as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    answer
}

/// memcached's answer to `version` at `addr`.
fn memcached_version(addr: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("memcached accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("read timeout");
    stream.write_all(b"version\r\n").expect("send");
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).expect("answer");
    line
}

/// Plays `scenario` on a lab in `dir` at `speed`; checks that nothing the
/// lab started is left afterwards, and returns the scorecard.
async fn lab_drill(scenario: &str, speed: f64) -> LabScorecard {
    if let Err(missing) = warroom::lab::Binaries::find() {
        panic!("{missing} (scripts/test.sh installs them)");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let lab_dir = dir.path().join("lab");
    std::fs::create_dir_all(lab_dir.join("run")).expect("lab dir");
    let watcher = LabWatcher::start(&lab_dir);
    let card = warroom::lab::drill::run(LabDrill {
        scenario: Scenario::builtin(scenario).expect("builtin scenario"),
        speed,
        dir: Some(lab_dir.clone()),
        node_program: binary().into(),
        quiet: false,
    })
    .await;
    let (groups, pids) = watcher.finish();
    assert!(groups.len() >= 20, "the watcher saw the lab: {groups:?}");
    let left = still_running(&pids, &groups);
    assert!(left.is_empty(), "left running after the drill: {left:?}");
    let card = card.unwrap_or_else(|e| panic!("the {scenario} lab drill failed: {e:#}"));
    eprintln!("{}", warroom::lab::drill::render(&card));
    card
}

/// Actions of `kind` that did their steps (some then offer a follow-up).
fn succeeded(card: &LabScorecard, kind: &str) -> usize {
    let done = [
        ActionState::Succeeded.as_str(),
        ActionState::NeedsFollowUp.as_str(),
    ];
    card.card
        .actions
        .iter()
        .filter(|a| a.kind == kind && done.contains(&a.state.as_str()))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_2017_on_the_lab_ends_with_every_site_answering_and_no_stale_connection() {
    let card = lab_drill("switch-2017", 600.0).await;
    assert!(
        card.card.sites_down_at_end.is_empty(),
        "every site answers 200 on its page and its cart through HAProxy: {:?}",
        card.card.sites_down_at_end
    );
    for kind in [
        "evacuate_server",
        "promote_spare",
        "cache_failover",
        "recycle_web",
    ] {
        assert!(
            succeeded(&card, kind) >= 1,
            "{kind}: {:#?}",
            card.card.actions
        );
    }
    assert!(
        card.stale_clients_seen >= 1,
        "the web nodes reported stale cache connections after the failover"
    );
    assert_eq!(card.stale_clients_at_end, 0, "the recycle cleared them");
    let cache = card
        .requests
        .iter()
        .find(|r| r.fault == FaultKind::CacheNodeDown)
        .expect("the cache node fault was played");
    assert!(
        cache.requests.failed > 0,
        "the old cache node's death failed real cart requests: {cache:?}"
    );
    for (fault, target) in [
        (FaultKind::ServerDown, "app-04"),
        (FaultKind::ServerFlap, "app-05"),
        (FaultKind::CacheNodeDown, "cache-1"),
    ] {
        let failure = card
            .card
            .failures
            .iter()
            .find(|f| f.fault == fault && f.target == target)
            .unwrap_or_else(|| panic!("{target}"));
        assert!(
            failure.detect_s.is_some(),
            "the real probes found {target} down or flapping: {failure:?}"
        );
    }
}

#[test]
fn a_lab_drill_refuses_a_speed_real_processes_cannot_keep_up_with() {
    let output = std::process::Command::new(binary())
        .args(["drill", "switch-2017", "--lab", "--speed", "100000"])
        .output()
        .expect("run warroom drill");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at most 3600 on the lab"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_master_2020_on_the_lab_promotes_the_replica_and_restarts_the_stuck_sites_at_once() {
    let card = lab_drill("db-master-2020", 60.0).await;
    assert!(
        card.card.sites_down_at_end.is_empty(),
        "every site answers 200 through HAProxy: {:?}",
        card.card.sites_down_at_end
    );
    assert_eq!(
        succeeded(&card, "db_failover"),
        1,
        "{:#?}",
        card.card.actions
    );
    assert_eq!(
        succeeded(&card, "restart_sites"),
        1,
        "one plan restarts every stuck site: {:#?}",
        card.card.actions
    );
    assert!(
        card.stuck_backends_seen >= 1,
        "the nodes reported stuck calls"
    );
    assert_eq!(card.stuck_backends_at_end, 0);
    let db = &card.requests[0];
    assert_eq!(db.fault, FaultKind::DbMasterDown);
    assert!(
        db.requests.failed > 0,
        "pages hung on the stopped primary: {db:?}"
    );
    assert!(
        card.card.failures[0].mitigate_s.is_some(),
        "{:?}",
        card.card.failures
    );
}
