//! Restoring redundancy after the fire, on the simulated demo fleet playing
//! the two outages: the spare promoted in 2017 goes back to the app role,
//! the cache gets its standby back and fails back to its primary, and the
//! database writer of 2020 gets a replica again. The alerts that say
//! redundancy is missing open and clear with it.

use std::time::Duration;

use crate::support::errors::assert_api_error;
use crate::support::raw::Api;
use crate::support::wait::eventually;
use warroom::client::Client;
use warroom::model::{
    Action, ActionState, ExecuteRequest, FaultKind, HealthState, Plan, PlanKind, PlanOptions,
    PlanRequest, Role, SimFault, StepOp, SwitchHealth, Topology,
};

const WAIT: Duration = Duration::from_secs(30);

fn request(kind: PlanKind, target: Option<&str>) -> PlanRequest {
    PlanRequest {
        kind,
        target: target.map(str::to_string),
        options: PlanOptions::default(),
    }
}

async fn execute(client: &Client, plan: &Plan) -> Action {
    run(client, plan, ActionState::Succeeded).await
}

async fn run(client: &Client, plan: &Plan, expected: ActionState) -> Action {
    let started = client
        .execute_plan(
            plan,
            &format!("key-{}", plan.id),
            &ExecuteRequest::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("execute {}: {e}", plan.kind.as_str()))
        .value;
    let done = eventually(WAIT, "the action to finish", || async {
        let action = client.action(&started.id).await.ok()?;
        action.state.is_finished().then_some(action)
    })
    .await;
    assert_eq!(done.state, expected, "{done:#?}");
    done
}

async fn inject(client: &Client, kind: FaultKind, target: &str) {
    client
        .inject_fault(&SimFault {
            kind,
            target: target.into(),
        })
        .await
        .expect("fault injected");
}

async fn wait_topology(client: &Client, what: &str, test: impl Fn(&Topology) -> bool) -> Topology {
    eventually(WAIT, what, || async {
        let topology = client.topology().await.ok()?;
        test(&topology).then_some(topology)
    })
    .await
}

fn state_of(topology: &Topology, id: &str) -> Option<HealthState> {
    topology
        .servers
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.health.state)
}

async fn alert_open(client: &Client, id: &str) -> bool {
    client
        .alerts()
        .await
        .expect("alerts")
        .alerts
        .iter()
        .any(|a| a.id == id)
}

async fn wait_alert(client: &Client, id: &str, open: bool) {
    let what = format!("alert {id} {}", if open { "open" } else { "resolved" });
    eventually(WAIT, &what, || async {
        (alert_open(client, id).await == open).then_some(())
    })
    .await;
}

/// switch-2017: a spare promoted during the fire is demoted when no other
/// server's sites are on it; the cache, failed over to cache-2 before the
/// switch reboot, gets cache-1 back as its standby and then fails back to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_switch_2017_spares_are_demoted_and_the_cache_is_back_on_its_primary() {
    let api = Api::scenario("switch-2017", 60.0).await;
    let c = api.commander();
    wait_topology(&c, "app-09, cache-1 and cache-2 up", |t| {
        ["app-09", "cache-1", "cache-2"]
            .iter()
            .all(|id| state_of(t, id) == Some(HealthState::Up))
    })
    .await;

    // The fire: a spare promoted, the cache failed over to its standby.
    let promote = c
        .create_plan(&request(PlanKind::PromoteSpare, Some("app-09")))
        .await
        .expect("promote plan");
    execute(&c, &promote).await;
    let failover = c
        .create_plan(&request(PlanKind::CacheFailover, Some("cache-2")))
        .await
        .expect("cache failover plan");
    // The 2017 regression keeps the web servers on cache-1: a follow-up.
    run(&c, &failover, ActionState::NeedsFollowUp).await;

    // A fleet-file failover server is no spare to demote; the promoted one is.
    let err = c
        .create_plan(&request(PlanKind::DemoteSpares, Some("fo-1")))
        .await
        .unwrap_err();
    assert_api_error(&err, 422, "wrong_target");
    let demote = c
        .create_plan(&request(PlanKind::DemoteSpares, None))
        .await
        .expect("demote plan");
    assert_eq!(
        demote.steps.iter().map(|s| &s.op).collect::<Vec<_>>(),
        [&StepOp::SetRole {
            server: "app-09".into(),
            role: Role::App
        }]
    );
    execute(&c, &demote).await;
    let topology = c.topology().await.expect("topology");
    let app_09 = topology.servers.iter().find(|s| s.id == "app-09").unwrap();
    assert_eq!(app_09.role, Role::App);
    let err = c
        .create_plan(&request(PlanKind::DemoteSpares, None))
        .await
        .unwrap_err();
    assert_api_error(&err, 422, "nothing_to_do");

    // The switch reboot takes the old cache node away: no standby left.
    inject(&c, FaultKind::CacheNodeDown, "cache-1").await;
    wait_alert(&c, "cache_no_standby:cache", true).await;
    let err = c
        .create_plan(&request(PlanKind::RestoreCache, None))
        .await
        .unwrap_err();
    assert_api_error(&err, 422, "no_healthy_target");

    // Back, but empty and out of the pair: the alert stays until it is
    // re-established. cache-1 failing while app-04 is down made sw-2
    // suspect; the switch is replaced, app-04 behind it is back too, and
    // sw-2 is trusted again once nothing behind it fails.
    inject(&c, FaultKind::Recover, "cache-1").await;
    inject(&c, FaultKind::Recover, "app-04").await;
    wait_topology(&c, "cache-1 and app-04 up, sw-2 ok", |t| {
        state_of(t, "cache-1") == Some(HealthState::Up)
            && state_of(t, "app-04") == Some(HealthState::Up)
            && t.switches
                .iter()
                .any(|s| s.id == "sw-2" && s.health == SwitchHealth::Ok)
    })
    .await;
    assert!(alert_open(&c, "cache_no_standby:cache").await);
    let topology = c.topology().await.expect("topology");
    assert!(topology.cache.as_ref().unwrap().standby.is_empty());

    // Not yet stable enough to fail back to: it becomes the standby first.
    let standby = c
        .create_plan(&request(PlanKind::RestoreCache, None))
        .await
        .expect("restore cache plan");
    assert_eq!(
        standby.steps[0].op,
        StepOp::CacheStandby {
            node: "cache-1".into(),
            active: "cache-2".into()
        }
    );
    if standby.steps.len() == 1 {
        execute(&c, &standby).await;
        wait_alert(&c, "cache_no_standby:cache", false).await;
        // Once cache-1 has been up for the stability window, fail back to it.
        let failback = eventually(WAIT, "a failback plan", || async {
            c.create_plan(&request(PlanKind::RestoreCache, None))
                .await
                .ok()
        })
        .await;
        assert!(
            matches!(&failback.steps.last().unwrap().op, StepOp::CacheFailover { to, .. } if to == "cache-1"),
            "{failback:#?}"
        );
        execute(&c, &failback).await;
    } else {
        // Already stable: one plan re-establishes and fails back.
        execute(&c, &standby).await;
    }
    let topology = c.topology().await.expect("topology");
    let cache = topology.cache.as_ref().unwrap();
    assert_eq!(cache.active, "cache-1");
    assert_eq!(cache.standby, ["cache-2"]);
    wait_alert(&c, "cache_no_standby:cache", false).await;
    let err = c
        .create_plan(&request(PlanKind::RestoreCache, None))
        .await
        .unwrap_err();
    assert_api_error(&err, 422, "nothing_to_do");
    api.stop().await;
}

/// db-master-2020: after the managed failover db-2 writes alone; the old
/// master, once back, is rebuilt as its replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_db_master_2020_the_old_writer_is_rebuilt_as_a_replica() {
    let api = Api::scenario("db-master-2020", 120.0).await;
    let c = api.commander();
    wait_topology(&c, "db-2 promoted", |t| {
        t.database.as_ref().is_some_and(|d| d.writer == "db-2")
    })
    .await;
    wait_alert(&c, "database_no_replica:database", true).await;
    let alerts = c.alerts().await.expect("alerts").alerts;
    let alert = alerts
        .iter()
        .find(|a| a.id == "database_no_replica:database")
        .unwrap();
    assert!(
        alert
            .message
            .starts_with("the database has no replica: db-2 is the writer"),
        "{}",
        alert.message
    );

    // A failover has nowhere to go, and db-1 cannot follow while it is down.
    let err = c
        .create_plan(&request(PlanKind::DbFailover, None))
        .await
        .unwrap_err();
    assert_api_error(&err, 422, "no_healthy_target");
    let err = c
        .create_plan(&request(PlanKind::RestoreDbReplica, None))
        .await
        .unwrap_err();
    assert_api_error(&err, 422, "no_healthy_target");

    inject(&c, FaultKind::Recover, "db-1").await;
    wait_topology(&c, "db-1 up", |t| {
        state_of(t, "db-1") == Some(HealthState::Up)
    })
    .await;
    // Up is not a replica: the alert holds until it is rebuilt.
    assert!(alert_open(&c, "database_no_replica:database").await);
    let rebuild = c
        .create_plan(&request(PlanKind::RestoreDbReplica, None))
        .await
        .expect("rebuild plan");
    assert_eq!(rebuild.scope, "database");
    assert_eq!(
        rebuild.steps[0].op,
        StepOp::RebuildReplica {
            node: "db-1".into(),
            writer: "db-2".into()
        }
    );
    assert!(!rebuild.warnings.is_empty());
    execute(&c, &rebuild).await;
    let topology = c.topology().await.expect("topology");
    let db = topology.database.as_ref().unwrap();
    assert_eq!(
        (db.writer.as_str(), db.replicas.clone()),
        ("db-2", vec!["db-1".to_string()])
    );
    wait_alert(&c, "database_no_replica:database", false).await;
    // And a failover has a replica to go to again.
    let failover = c
        .create_plan(&request(PlanKind::DbFailover, None))
        .await
        .expect("failover plan");
    assert_eq!(failover.target.as_deref(), Some("db-1"));
    api.stop().await;
}

/// A fleet whose exec driver has no runbook for a redundancy step: the plan
/// is refused, naming the missing command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_without_a_runbook_is_refused_naming_what_is_missing() {
    use warroom::model::FleetSpec;
    use warroom::server::WorldSource;
    let text = format!(
        "{}\n[executor]\ndriver = \"exec\"\n[executor.exec]\nset_role = [\"true\"]\n",
        warroom::sim::DEMO_FLEET
    );
    let spec = FleetSpec::parse("demo.toml", &text).expect("fleet");
    let api = Api::start(
        spec,
        WorldSource::Simulated {
            seed: 3,
            speed: 60.0,
            scenario: None,
        },
    )
    .await;
    let c = api.commander();
    wait_topology(&c, "cache nodes up", |t| {
        ["cache-1", "cache-2"]
            .iter()
            .all(|id| state_of(t, id) == Some(HealthState::Up))
    })
    .await;
    inject(&c, FaultKind::CacheNodeDown, "cache-2").await;
    inject(&c, FaultKind::Recover, "cache-2").await;
    // cache-2 died as the standby and came back empty: re-establishing it
    // needs the cache_standby command, which this fleet lacks.
    wait_topology(&c, "cache-2 out of the pair", |t| {
        t.cache.as_ref().is_some_and(|c| c.standby.is_empty())
            && state_of(t, "cache-2") == Some(HealthState::Up)
    })
    .await;
    let err = c
        .create_plan(&request(PlanKind::RestoreCache, None))
        .await
        .unwrap_err();
    assert_api_error(&err, 422, "not_configured");
    let text = err.to_string();
    assert!(
        text.contains("no runbook for the cache_standby step")
            && text.contains("cache_standby = [...]"),
        "{text}"
    );
    api.stop().await;
}
