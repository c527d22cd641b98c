//! Working alerts through the API: acknowledge and silence, who may, what
//! is recorded on the alert and in the timeline.

use std::time::Duration;

use crate::support::errors::assert_api_error;
use crate::support::new_incident::incident;
use crate::support::raw::Api;
use crate::support::wait::eventually;
use warroom::client::Client;
use warroom::model::{Alert, EntryKind, FaultKind, SilenceRequest, SimFault};

const WAIT: Duration = Duration::from_secs(15);

async fn open_alert(api: &Api, target: &str) -> Alert {
    api.commander()
        .inject_fault(&SimFault {
            kind: FaultKind::ServerDown,
            target: target.into(),
        })
        .await
        .expect("fault");
    let id = format!("server_down:{target}");
    eventually(WAIT, &format!("alert {id}"), || async {
        api.viewer()
            .alerts()
            .await
            .ok()?
            .alerts
            .into_iter()
            .find(|a| a.id == id)
    })
    .await
}

async fn timeline_says(client: &Client, incident_id: i64, needle: &str) {
    eventually(
        WAIT,
        &format!("a timeline entry saying {needle:?}"),
        || async {
            let timeline = client.timeline(incident_id).await.ok()?;
            timeline
                .entries
                .iter()
                .find(|e| e.kind == EntryKind::Detection && e.body.contains(needle))
                .map(|_| ())
        },
    )
    .await;
}

fn silence(duration_s: u64, reason: &str) -> SilenceRequest {
    SilenceRequest {
        duration_s,
        reason: reason.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responders_acknowledge_and_silence_alerts_and_the_timeline_says_who() {
    let api = Api::sim(600.0).await;
    let responder = api.responder();
    let opened = responder
        .create_incident(&incident("alerts"))
        .await
        .expect("incident");
    let alert = open_alert(&api, "app-04").await;
    assert!(alert.acknowledged.is_none() && alert.silenced.is_none());

    let acked = responder.ack_alert(&alert.id).await.expect("ack");
    let ack = acked.acknowledged.expect("acknowledged");
    assert_eq!(ack.by, "responder");
    let listed = api.viewer().alerts().await.expect("alerts");
    let again = listed
        .alerts
        .iter()
        .find(|a| a.id == alert.id)
        .expect("still open");
    assert_eq!(
        again.acknowledged.as_ref().map(|a| a.by.as_str()),
        Some("responder")
    );
    timeline_says(&responder, opened.id, "acknowledged by responder").await;

    let silenced = api
        .commander()
        .silence_alert(&alert.id, &silence(3600, "known: rack power work"))
        .await
        .expect("silence");
    let s = silenced.silenced.clone().expect("silenced");
    assert_eq!(s.by, "commander");
    assert_eq!(s.until - s.at, chrono::TimeDelta::hours(1));
    assert_eq!(s.reason, "known: rack power work");
    assert!(silenced.is_silenced(s.at), "silenced from now");
    assert!(!silenced.is_silenced(s.until), "and not after");
    timeline_says(&responder, opened.id, "silenced by commander for 1 hour").await;
    timeline_says(&responder, opened.id, "reason: known: rack power work").await;
    // Acknowledgment and silence are the alert's own: still open, same id.
    assert_eq!(silenced.id, alert.id);
    assert_eq!(silenced.opened_at, alert.opened_at);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_may_not_work_alerts_and_bad_requests_are_refused() {
    let api = Api::sim(600.0).await;
    let alert = open_alert(&api, "app-05").await;
    let viewer = api.viewer();
    let err = viewer.ack_alert(&alert.id).await.expect_err("viewer ack");
    assert_api_error(&err, 403, "forbidden");
    let err = viewer
        .silence_alert(&alert.id, &silence(600, "x"))
        .await
        .expect_err("viewer silence");
    assert_api_error(&err, 403, "forbidden");

    let responder = api.responder();
    let err = responder
        .ack_alert("server_down:nowhere")
        .await
        .expect_err("unknown");
    assert_api_error(&err, 404, "not_found");
    for (duration, reason) in [(10, "too short"), (8 * 24 * 3600, "too long"), (600, "  ")] {
        let err = responder
            .silence_alert(&alert.id, &silence(duration, reason))
            .await
            .expect_err("refused");
        assert_api_error(&err, 422, "invalid_body");
    }
    let current = api.viewer().alerts().await.expect("alerts");
    let same = current
        .alerts
        .iter()
        .find(|a| a.id == alert.id)
        .expect("open");
    assert!(
        same.acknowledged.is_none() && same.silenced.is_none(),
        "nothing changed: {same:?}"
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_carries_the_runbook_the_fleet_file_names_for_its_kind() {
    let text = format!(
        "{}\n[runbooks]\nserver_down = \"https://wiki.example/server-down\"\n",
        warroom::sim::DEMO_FLEET
    );
    let spec = warroom::model::FleetSpec::parse("demo.toml", &text).expect("fleet");
    let api = Api::start(
        spec,
        warroom::server::WorldSource::Simulated {
            seed: 7,
            speed: 600.0,
            scenario: None,
        },
    )
    .await;
    let alert = open_alert(&api, "app-04").await;
    assert_eq!(
        alert.runbook.as_deref(),
        Some("https://wiki.example/server-down")
    );
    api.stop().await;
}
