//! The fleet as the API shows it: topology, health history, alerts, and the
//! simulator's status and faults.

use std::time::Duration;

use crate::support::errors::{assert_api_error, expect_error};
use crate::support::raw::Api;
use crate::support::tokens::COMMANDER;
use crate::support::wait::eventually;
use warroom::model::{FaultKind, HealthState, Role, SimFault};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topology_lists_the_demo_fleet() {
    let api = Api::sim(1.0).await;
    let topology = api.viewer().topology().await.unwrap();

    assert_eq!(topology.service, "Acme Sites");
    let mut switches: Vec<&str> = topology.switches.iter().map(|s| s.id.as_str()).collect();
    switches.sort();
    assert_eq!(switches, ["sw-1", "sw-2", "sw-3"]);
    let count = |role: Role| topology.servers.iter().filter(|s| s.role == role).count();
    assert_eq!(count(Role::App), 9);
    assert_eq!(count(Role::Failover), 2);
    assert_eq!(count(Role::Web), 4);
    assert_eq!(count(Role::Cache), 2);
    assert_eq!(count(Role::Db), 2);
    for switch in ["sw-1", "sw-2", "sw-3"] {
        let apps = topology
            .servers
            .iter()
            .filter(|s| s.role == Role::App && s.switch == switch)
            .count();
        assert_eq!(apps, 3, "app servers behind {switch}");
    }

    let cache = topology.cache.as_ref().expect("cache");
    assert_eq!(cache.active, "cache-1");
    assert_eq!(cache.standby, ["cache-2"]);
    let cache_switch = &topology
        .servers
        .iter()
        .find(|s| s.id == cache.active)
        .unwrap()
        .switch;
    let apps_with_cache = topology
        .servers
        .iter()
        .filter(|s| s.role == Role::App && &s.switch == cache_switch)
        .count();
    assert_eq!(
        apps_with_cache, 3,
        "the active cache node shares a switch with three app servers"
    );
    let database = topology.database.as_ref().expect("database");
    assert_eq!(database.writer, "db-1");
    assert_eq!(database.replicas, ["db-2"]);

    assert!(
        topology.sites.len() >= 150,
        "{} sites",
        topology.sites.len()
    );
    for site in &topology.sites {
        let home = topology
            .servers
            .iter()
            .find(|s| s.id == site.home_server)
            .expect("home server exists");
        assert_eq!(home.role, Role::App, "{} lives on {}", site.id, home.id);
    }
    for server in &topology.servers {
        let hosted = topology
            .sites
            .iter()
            .filter(|s| s.server == server.id)
            .count() as u32;
        assert_eq!(server.site_count, hosted, "site_count of {}", server.id);
        assert!(
            hosted <= server.capacity || server.capacity == 0 && hosted == 0,
            "{} over capacity",
            server.id
        );
    }

    // The raw document carries a numeric `version`.
    let raw: serde_json::Value = api
        .http()
        .get(api.at("/v1/topology"))
        .bearer_auth(crate::support::tokens::VIEWER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(raw["version"].is_u64(), "version: {}", raw["version"]);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topology_version_rises_as_the_fleet_changes() {
    let api = Api::sim(600.0).await;
    let client = api.viewer();
    let first = client.topology().await.unwrap().version;
    api.commander()
        .inject_fault(&SimFault {
            kind: FaultKind::ServerDown,
            target: "app-02".into(),
        })
        .await
        .unwrap();
    let later = eventually(
        Duration::from_secs(10),
        "app-02 down in the topology",
        || async {
            let t = client.topology().await.ok()?;
            let down = t
                .servers
                .iter()
                .any(|s| s.id == "app-02" && s.health.state == HealthState::Down);
            down.then_some(t)
        },
    )
    .await;
    assert!(
        later.version > first,
        "version {} did not rise above {first}",
        later.version
    );
    // The sites on a down server are down, with the outage start set.
    let sites: Vec<_> = later
        .sites
        .iter()
        .filter(|s| s.server == "app-02")
        .collect();
    assert!(!sites.is_empty());
    for site in sites {
        assert_eq!(site.health.state, HealthState::Down, "{}", site.id);
        assert!(site.down_since.is_some(), "{} has no down_since", site.id);
    }
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_history_of_a_server_fills_and_unknown_ids_are_404() {
    let api = Api::sim(600.0).await;
    let client = api.viewer();
    let history = eventually(Duration::from_secs(10), "history of app-01", || async {
        let h = client.health_history("app-01").await.ok()?;
        h.samples
            .iter()
            .any(|s| s.state == HealthState::Up)
            .then_some(h)
    })
    .await;
    assert_eq!(history.component_id, "app-01");
    assert!(history.samples.iter().all(|s| s.component_id == "app-01"));
    assert!(
        history.samples.windows(2).all(|w| w[0].at <= w[1].at),
        "samples are not in time order"
    );

    let err = client.health_history("app-99").await.unwrap_err();
    assert_api_error(&err, 404, "not_found");
    let response = api
        .http()
        .get(api.at("/v1/health/no-such-thing/history"))
        .bearer_auth(crate::support::tokens::VIEWER)
        .send()
        .await
        .unwrap();
    expect_error(response, 404).await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_open_for_a_down_server_and_close_when_it_recovers() {
    let api = Api::sim(600.0).await;
    let viewer = api.viewer();
    let commander = api.commander();
    let initial = viewer.alerts().await.unwrap();
    assert!(
        initial.alerts.iter().all(|a| a.id != "server_down:app-07"),
        "{:?}",
        initial.alerts
    );

    commander
        .inject_fault(&SimFault {
            kind: FaultKind::ServerDown,
            target: "app-07".into(),
        })
        .await
        .unwrap();
    let alert = eventually(Duration::from_secs(10), "server_down:app-07", || async {
        viewer
            .alerts()
            .await
            .ok()?
            .alerts
            .into_iter()
            .find(|a| a.id == "server_down:app-07")
    })
    .await;
    assert_eq!(alert.target, "app-07");
    assert!(alert.message.contains("app-07"), "{}", alert.message);
    assert!(alert.resolved_at.is_none());

    commander
        .inject_fault(&SimFault {
            kind: FaultKind::Recover,
            target: "app-07".into(),
        })
        .await
        .unwrap();
    eventually(
        Duration::from_secs(10),
        "server_down:app-07 to close",
        || async {
            let open = viewer.alerts().await.ok()?.alerts;
            open.iter()
                .all(|a| a.id != "server_down:app-07")
                .then_some(())
        },
    )
    .await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_status_shows_the_scenario_and_its_next_steps() {
    let api = Api::scenario("switch-2017", 1.0).await;
    let status = api.viewer().sim_status().await.unwrap();
    assert_eq!(status.scenario.as_deref(), Some("switch-2017"));
    assert_eq!(status.speed, 1.0);
    assert_eq!(status.seed, 7);
    assert!(status.clock >= status.started_at);
    // At 1x, the +45m flap of app-05 is still to come.
    let flap = status
        .next_steps
        .iter()
        .find(|s| s.fault == Some(FaultKind::ServerFlap))
        .unwrap_or_else(|| panic!("no flap step in {:?}", status.next_steps));
    assert_eq!(flap.target.as_deref(), Some("app-05"));
    assert_eq!(flap.offset, "+45m");
    assert_eq!(
        flap.due_at,
        status.started_at + chrono::TimeDelta::minutes(45)
    );
    assert!(
        status
            .next_steps
            .windows(2)
            .all(|w| w[0].due_at <= w[1].due_at),
        "steps not soonest first"
    );
    // The +0m steps play at once: app-04 goes down.
    let viewer = api.viewer();
    eventually(
        Duration::from_secs(5),
        "the +0m fault on app-04",
        || async {
            let faults = viewer.sim_status().await.ok()?.active_faults;
            faults
                .iter()
                .any(|f| f.kind == FaultKind::ServerDown && f.target == "app-04")
                .then_some(())
        },
    )
    .await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sim_faults_are_injected_and_bad_ones_refused() {
    let api = Api::sim(1.0).await;
    let commander = api.commander();
    let fault = SimFault {
        kind: FaultKind::ServerFlap,
        target: "app-03".into(),
    };
    let status = commander.inject_fault(&fault).await.unwrap();
    assert!(
        status.active_faults.contains(&fault),
        "{:?}",
        status.active_faults
    );
    assert!(
        api.viewer()
            .sim_status()
            .await
            .unwrap()
            .active_faults
            .contains(&fault)
    );

    // The raw answer is 202 Accepted.
    let response = api
        .http()
        .post(api.at("/v1/sim/faults"))
        .bearer_auth(COMMANDER)
        .json(&serde_json::json!({"kind": "server_down", "target": "app-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);

    let err = commander
        .inject_fault(&SimFault {
            kind: FaultKind::ServerDown,
            target: "app-99".into(),
        })
        .await
        .unwrap_err();
    assert_api_error(&err, 422, "invalid_body");
    assert!(err.to_string().contains("app-99"), "{err}");

    let response = api
        .http()
        .post(api.at("/v1/sim/faults"))
        .bearer_auth(COMMANDER)
        .json(&serde_json::json!({"kind": "meteor_strike", "target": "app-01"}))
        .send()
        .await
        .unwrap();
    let (code, message) = expect_error(response, 422).await;
    assert_eq!(code, "invalid_body");
    assert!(
        message.contains("server_down"),
        "allowed kinds not named: {message}"
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_names_only_the_servers_asked_for() {
    let api = Api::sim(1.0).await;
    let viewer = api.viewer();
    let wanted = vec![
        "app-01".to_string(),
        "web-2".to_string(),
        "no-such".to_string(),
    ];
    let report = viewer.latency(&wanted).await.unwrap();
    let ids: Vec<&str> = report.latency_ms.keys().map(String::as_str).collect();
    assert_eq!(ids, ["app-01", "web-2"], "unknown ids are left out");
    // Once probes have landed, the latency is a number (a probe that got
    // no answer would say null).
    eventually(
        Duration::from_secs(10),
        "a latency sample for app-01",
        || async {
            let report = viewer.latency(&wanted).await.unwrap();
            report.latency_ms["app-01"].filter(|ms| *ms >= 0.0)
        },
    )
    .await;

    let too_many: Vec<String> = (0..501).map(|i| format!("app-{i:03}")).collect();
    let err = viewer.latency(&too_many).await.expect_err("501 ids");
    assert_api_error(&err, 422, "invalid_body");
}
