//! Detection through the API: injected faults open alerts, an open incident
//! gets immutable `detection` entries, and servers failing together behind
//! one switch make it suspect.

use std::time::Duration;

use crate::support::errors::{assert_api_error, expect_error};
use crate::support::new_incident::incident;
use crate::support::raw::Api;
use crate::support::tokens::RESPONDER;
use crate::support::wait::eventually;
use serde_json::json;
use warroom::client::Client;
use warroom::model::{
    AlertKind, EntryKind, EntryPatch, FaultKind, SimFault, Source, SwitchHealth, TimelineEntry,
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

async fn detection_about(client: &Client, incident_id: i64, needle: &str) -> TimelineEntry {
    eventually(
        WAIT,
        &format!("a detection entry about {needle}"),
        || async {
            let timeline = client.timeline(incident_id).await.ok()?;
            timeline
                .entries
                .into_iter()
                .find(|e| e.kind == EntryKind::Detection && e.body.contains(needle))
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_opens_an_alert_and_an_immutable_detection_entry() {
    let api = Api::sim(600.0).await;
    let responder = api.responder();
    let viewer = api.viewer();
    let incident = responder
        .create_incident(&incident("watching"))
        .await
        .unwrap();
    inject(&api.commander(), FaultKind::ServerDown, "app-04").await;

    let alert = eventually(WAIT, "alert server_down:app-04", || async {
        viewer
            .alerts()
            .await
            .ok()?
            .alerts
            .into_iter()
            .find(|a| a.id == "server_down:app-04")
    })
    .await;
    assert_eq!(alert.kind, AlertKind::ServerDown);
    assert_eq!(alert.target, "app-04");

    let entry = detection_about(&viewer, incident.id, "app-04").await;
    assert_eq!(entry.source, Source::Detector);
    assert_eq!(entry.incident_id, incident.id);
    assert_eq!(
        entry.occurred_at, alert.opened_at,
        "the entry is dated when the alert opened"
    );

    // Nobody may edit or delete it, whatever version they send.
    let patch = EntryPatch {
        body: Some("it was nothing".into()),
        ..Default::default()
    };
    let err = responder
        .update_entry(incident.id, entry.id, entry.version, &patch)
        .await
        .unwrap_err();
    assert_api_error(&err, 409, "immutable_entry");
    let err = api
        .commander()
        .delete_entry(incident.id, entry.id, entry.version)
        .await
        .unwrap_err();
    assert_api_error(&err, 409, "immutable_entry");
    let response = api
        .http()
        .patch(api.at(&format!(
            "/v1/incidents/{}/timeline/{}",
            incident.id, entry.id
        )))
        .bearer_auth(RESPONDER)
        .header("if-match", entry.version.to_string())
        .json(&json!({"starred": true}))
        .send()
        .await
        .unwrap();
    let (code, _) = expect_error(response, 409).await;
    assert_eq!(code, "immutable_entry");
    let now = viewer.timeline(incident.id).await.unwrap();
    assert!(now.entries.contains(&entry), "the detection entry changed");

    // Recovery is recorded too, and the alert closes.
    inject(&api.commander(), FaultKind::Recover, "app-04").await;
    detection_about(&viewer, incident.id, "cleared").await;
    eventually(WAIT, "server_down:app-04 to close", || async {
        let alerts = viewer.alerts().await.ok()?.alerts;
        alerts
            .iter()
            .all(|a| a.id != "server_down:app-04")
            .then_some(())
    })
    .await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_opened_during_an_alert_records_it() {
    let api = Api::sim(600.0).await;
    let viewer = api.viewer();
    inject(&api.commander(), FaultKind::ServerDown, "app-08").await;
    let alert = eventually(WAIT, "alert server_down:app-08", || async {
        viewer
            .alerts()
            .await
            .ok()?
            .alerts
            .into_iter()
            .find(|a| a.id == "server_down:app-08")
    })
    .await;
    let incident = api
        .responder()
        .create_incident(&incident("late"))
        .await
        .unwrap();
    let entry = detection_about(&viewer, incident.id, "app-08").await;
    assert_eq!(entry.source, Source::Detector);
    assert_eq!(
        entry.occurred_at, alert.opened_at,
        "back-dated to when the alert opened"
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolved_incident_gets_no_detections() {
    let api = Api::sim(600.0).await;
    let responder = api.responder();
    let viewer = api.viewer();
    let closed = responder.create_incident(&incident("over")).await.unwrap();
    let patch = warroom::model::IncidentPatch {
        status: Some(warroom::model::IncidentStatus::Resolved),
        ..Default::default()
    };
    responder
        .update_incident(closed.id, closed.version, &patch)
        .await
        .unwrap();
    let open = responder
        .create_incident(&incident("ongoing"))
        .await
        .unwrap();
    inject(&api.commander(), FaultKind::ServerDown, "app-09").await;
    detection_about(&viewer, open.id, "app-09").await;
    let timeline = viewer.timeline(closed.id).await.unwrap();
    assert!(
        timeline.entries.iter().all(|e| !e.body.contains("app-09")),
        "a resolved incident got a detection: {:?}",
        timeline.entries
    );
    api.stop().await;
}

/// Three of the five nodes behind sw-2 fail: the alert names the switch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_failing_together_make_their_switch_suspect() {
    let api = Api::sim(600.0).await;
    let commander = api.commander();
    let viewer = api.viewer();
    inject(&commander, FaultKind::ServerDown, "app-04").await;
    inject(&commander, FaultKind::ServerFlap, "app-05").await;
    inject(&commander, FaultKind::ServerDown, "app-06").await;
    let alert = eventually(WAIT, "alert switch_suspect:sw-2", || async {
        viewer
            .alerts()
            .await
            .ok()?
            .alerts
            .into_iter()
            .find(|a| a.kind == AlertKind::SwitchSuspect)
    })
    .await;
    assert_eq!(alert.target, "sw-2");
    assert!(alert.message.contains("sw-2"), "{}", alert.message);
    let topology = viewer.topology().await.unwrap();
    let sw2 = topology.switches.iter().find(|s| s.id == "sw-2").unwrap();
    assert_ne!(sw2.health, SwitchHealth::Ok);
    for other in topology.switches.iter().filter(|s| s.id != "sw-2") {
        assert_eq!(
            other.health,
            SwitchHealth::Ok,
            "{} is not at fault",
            other.id
        );
    }
    api.stop().await;
}

/// The 2017 outage replayed at 1000x: once app-05 fails a probe while app-04
/// is down (+45m, about 2.7 s in), `/v1/alerts` names sw-2 as suspect with
/// that evidence, and a responder's open incident records it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switch_2017_names_the_suspect_switch() {
    let api = Api::scenario("switch-2017", 1000.0).await;
    let viewer = api.viewer();
    let incident = api
        .responder()
        .create_incident(&incident("sites down"))
        .await
        .unwrap();
    let alert = eventually(WAIT, "alert switch_suspect:sw-2", || async {
        viewer
            .alerts()
            .await
            .ok()?
            .alerts
            .into_iter()
            .find(|a| a.kind == AlertKind::SwitchSuspect)
    })
    .await;
    assert_eq!(alert.id, "switch_suspect:sw-2");
    for server in ["app-04", "app-05"] {
        assert!(
            alert.message.contains(server),
            "{server} not named in {:?}",
            alert.message
        );
    }
    let entry = detection_about(&viewer, incident.id, "sw-2").await;
    assert_eq!(entry.source, Source::Detector);
    api.stop().await;
}
