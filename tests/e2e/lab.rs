//! The real lab end to end: `warroom lab --no-console` brings up HAProxy,
//! app nodes, memcached and PostgreSQL on loopback; an app node is killed;
//! the real probes find it and open an alert; an evacuation planned and
//! executed through the API runs the HAProxy runbooks, which move its sites;
//! they answer 200 through HAProxy again; and once the lab stops, nothing it
//! started is left. Needs haproxy, memcached, PostgreSQL and python3: fails
//! with the apt line when one is missing.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::lab::{LabRun, descendants, still_running};
use crate::support::wait::eventually;
use warroom::client::{Client, ClientConfig};
use warroom::model::{
    ActionState, AlertKind, ExecuteRequest, HealthState, PlanKind, PlanRequest, StepOp,
};

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
    eventually(WAIT, "every server up on the real probes", || async {
        let t = client.topology().await.ok()?;
        t.servers
            .iter()
            .all(|s| s.health.state == HealthState::Up)
            .then_some(())
    })
    .await;
    // Every process the lab started, grandchildren included, while it runs.
    let started = descendants(lab.pid());
    let groups: Vec<i32> = lab.groups().into_iter().map(|(_, g)| g).collect();
    assert!(groups.len() >= 11, "{:?}", lab.groups());

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

    let status = lab.stop();
    assert!(status.success(), "the lab exits cleanly: {status}");
    let left = still_running(&started, &groups);
    assert!(
        left.is_empty(),
        "left running after the lab stopped: {left:?}"
    );
}
