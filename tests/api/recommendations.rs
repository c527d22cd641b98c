//! `GET /v1/recommendations` through the real server on the simulated demo
//! fleet: nothing on a healthy fleet, an evacuation for a downed server, one
//! switch evacuation instead of per-server ones when two nodes behind a
//! switch fail, a restart of the sites stuck after a database fault; and a
//! token is needed.

use std::time::Duration;

use crate::support::errors::expect_error;
use crate::support::raw::Api;
use crate::support::wait::eventually;
use warroom::client::Client;
use warroom::model::{
    AlertKind, FaultKind, HealthState, PlanKind, Recommendation, Recommendations, SimFault,
};

const WAIT: Duration = Duration::from_secs(15);

async fn inject(client: &Client, kind: FaultKind, target: &str) {
    client
        .inject_fault(&SimFault {
            kind,
            target: target.into(),
        })
        .await
        .unwrap();
}

/// Waits until every server has been probed up.
async fn fleet_up(client: &Client) {
    eventually(WAIT, "every server up", || async {
        let topology = client.topology().await.ok()?;
        topology
            .servers
            .iter()
            .all(|s| s.health.state == HealthState::Up)
            .then_some(())
    })
    .await;
}

/// Waits until the recommendations pass `test`, and returns them.
async fn recommendations_when(
    client: &Client,
    what: &str,
    test: impl Fn(&[Recommendation]) -> bool,
) -> Recommendations {
    eventually(WAIT, what, || async {
        let answer = client.recommendations().await.ok()?;
        test(&answer.recommendations).then_some(answer)
    })
    .await
}

fn is(r: &Recommendation, kind: PlanKind, target: &str) -> bool {
    r.request.kind == kind && r.request.target.as_deref() == Some(target)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_fleet_gets_nothing_and_a_downed_server_gets_its_evacuation() {
    let api = Api::sim(600.0).await;
    let viewer = api.viewer();
    fleet_up(&viewer).await;
    let healthy = viewer.recommendations().await.unwrap();
    assert_eq!(healthy.recommendations, vec![]);
    assert_eq!(
        healthy.topology_version,
        viewer.topology().await.unwrap().version,
        "made from the topology as it is (nothing changes on a healthy fleet)"
    );

    inject(&api.commander(), FaultKind::ServerDown, "app-01").await;
    let answer = recommendations_when(&viewer, "evacuate app-01 first", |recs| {
        recs.first()
            .is_some_and(|r| is(r, PlanKind::EvacuateServer, "app-01"))
    })
    .await;
    let first = &answer.recommendations[0];
    assert!(first.reason.contains("app-01"), "{}", first.reason);
    assert!(first.reason.contains("down"), "{}", first.reason);
    assert_eq!(first.alert_kind, Some(AlertKind::ServerDown));
    assert_eq!(first.alerts, vec!["server_down:app-01".to_string()]);
    // What it recommends, the planner makes.
    let plan = api.commander().create_plan(&first.request).await.unwrap();
    assert_eq!(plan.kind, PlanKind::EvacuateServer);
    assert_eq!(plan.placements.len(), 17);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_failing_behind_one_switch_get_one_switch_evacuation_first() {
    let api = Api::sim(600.0).await;
    let viewer = api.viewer();
    fleet_up(&viewer).await;
    let commander = api.commander();
    inject(&commander, FaultKind::ServerDown, "app-04").await;
    inject(&commander, FaultKind::ServerDown, "app-05").await;
    let answer = recommendations_when(
        &viewer,
        "evacuate sw-2 first, covering app-04 and app-05",
        |recs| {
            recs.first().is_some_and(|r| {
                is(r, PlanKind::EvacuateSwitch, "sw-2")
                    && r.alerts.contains(&"server_down:app-04".to_string())
                    && r.alerts.contains(&"server_down:app-05".to_string())
            })
        },
    )
    .await;
    let first = &answer.recommendations[0];
    assert_eq!(first.alert_kind, Some(AlertKind::SwitchSuspect));
    assert!(
        first.alerts.contains(&"switch_suspect:sw-2".to_string()),
        "{:?}",
        first.alerts
    );
    assert!(
        first.reason.starts_with("sw-2 is suspect"),
        "{}",
        first.reason
    );
    for server in ["app-04", "app-05"] {
        assert!(first.reason.contains(server), "{}", first.reason);
        assert!(
            !answer
                .recommendations
                .iter()
                .any(|r| r.request.kind == PlanKind::EvacuateServer
                    && r.request.target.as_deref() == Some(server)),
            "a separate evacuation of {server}: {:#?}",
            answer.recommendations
        );
    }
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sites_stuck_after_a_database_fault_get_a_restart() {
    let api = Api::sim(600.0).await;
    let viewer = api.viewer();
    fleet_up(&viewer).await;
    // The managed service promotes db-2 after 90 sim seconds and leaves
    // backends of some sites stuck on db-1.
    inject(&api.commander(), FaultKind::DbMasterDown, "db-1").await;
    let answer = recommendations_when(&viewer, "restart the stuck sites", |recs| {
        recs.iter()
            .any(|r| r.request.kind == PlanKind::RestartSites)
    })
    .await;
    let restart = answer
        .recommendations
        .iter()
        .find(|r| r.request.kind == PlanKind::RestartSites)
        .unwrap();
    assert_eq!(restart.alert_kind, Some(AlertKind::StuckBackends));
    assert!(
        restart
            .reason
            .contains("stuck on a previous database writer"),
        "{}",
        restart.reason
    );
    let topology = viewer.topology().await.unwrap();
    let stuck_sites = topology
        .sites
        .iter()
        .filter(|s| s.stuck_backends > 0)
        .count();
    assert!(stuck_sites > 0);
    let plan = api.commander().create_plan(&restart.request).await.unwrap();
    assert_eq!(plan.steps.len(), stuck_sites, "{plan:#?}");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_need_a_token() {
    let api = Api::sim(600.0).await;
    let response = api
        .http()
        .get(api.at("/v1/recommendations"))
        .send()
        .await
        .unwrap();
    let (code, _) = expect_error(response, 401).await;
    assert_eq!(code, "unauthorized");
    api.stop().await;
}
