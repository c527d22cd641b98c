//! Alertmanager in (issue 16 point 3): its webhook payload (version 4, as
//! Alertmanager sends it) opens a warroom alert on the node its labels
//! name, with a detection entry in the open incident's timeline; the
//! resolved notification clears it; a bad payload is a 422 naming the
//! field; a wrong token is a 401.

use serde_json::{Value, json};

use crate::support::server::Api;
use crate::support::tokens::{RESPONDER, VIEWER};
use crate::support::wait::eventually;
use warroom::model::{
    AlertKind, AlertSeverity, EntryKind, Impact, IncidentStatus, NewIncident, Severity,
};

const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A notification as Alertmanager 0.27 posts it to a webhook receiver.
fn notification(status: &str) -> Value {
    let ends_at = if status == "resolved" {
        "2026-11-30T10:05:00Z"
    } else {
        "0001-01-01T00:00:00Z"
    };
    json!({
        "receiver": "warroom",
        "status": status,
        "alerts": [{
            "status": status,
            "labels": {
                "alertname": "HighErrorRate",
                "instance": "app-04:9100",
                "job": "node",
                "severity": "critical"
            },
            "annotations": {
                "summary": "5xx above 5% for 5 minutes",
                "description": "app-04 answers 7% of requests with a 5xx"
            },
            "startsAt": "2026-11-30T10:00:00Z",
            "endsAt": ends_at,
            "generatorURL": "http://prometheus.internal:9090/graph?g0.expr=job%3Anode",
            "fingerprint": "c8a3f1b2d4e5f607"
        }],
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate", "instance": "app-04:9100", "job": "node", "severity": "critical"},
        "commonAnnotations": {"summary": "5xx above 5% for 5 minutes"},
        "externalURL": "http://alertmanager.internal:9093",
        "version": "4",
        "groupKey": "{}:{alertname=\"HighErrorRate\"}",
        "truncatedAlerts": 0
    })
}

async fn post(api: &Api, token: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/integrations/alertmanager", api.url))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firing_alert_opens_on_its_node_with_a_detection_and_its_resolution_clears_it() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let incident = client
        .create_incident(&NewIncident {
            title: "Errors on app-04".into(),
            severity: Severity::Sev2,
            status: IncidentStatus::Investigating,
            impact: Impact::Minor,
            components: Vec::new(),
            started_at: None,
        })
        .await
        .expect("incident")
        .id;

    let (status, receipt) = post(&api, RESPONDER, &notification("firing")).await;
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt, json!({"firing": 1, "resolved": 0, "unmapped": []}));
    let alerts = client.alerts().await.expect("alerts").alerts;
    let alert = alerts
        .iter()
        .find(|a| a.id == "external:c8a3f1b2d4e5f607")
        .unwrap_or_else(|| panic!("{alerts:#?}"));
    assert_eq!(alert.kind, AlertKind::External);
    assert_eq!(
        alert.target, "app-04",
        "the instance label, without its port"
    );
    assert_eq!(alert.severity, AlertSeverity::Critical);
    assert_eq!(
        alert.message,
        "Alertmanager HighErrorRate on app-04: 5xx above 5% for 5 minutes"
    );
    let detection = "Alertmanager HighErrorRate on app-04: 5xx above 5% for 5 minutes";
    eventually(WAIT, "the detection in the incident's timeline", || async {
        let entries = client.timeline(incident).await.ok()?.entries;
        entries
            .iter()
            .any(|e| e.kind == EntryKind::Detection && e.body == detection)
            .then_some(())
    })
    .await;

    // Alertmanager repeats a firing notification every repeat_interval:
    // still one alert, no second detection.
    let (status, _) = post(&api, RESPONDER, &notification("firing")).await;
    assert_eq!(status, 200);
    let (status, receipt) = post(&api, RESPONDER, &notification("resolved")).await;
    assert_eq!(status, 200);
    assert_eq!(receipt["resolved"], 1);
    let alerts = client.alerts().await.expect("alerts").alerts;
    assert!(
        alerts.iter().all(|a| a.kind != AlertKind::External),
        "cleared: {alerts:#?}"
    );
    let entries = eventually(WAIT, "the clearing in the timeline", || async {
        let entries = client.timeline(incident).await.ok()?.entries;
        entries
            .iter()
            .any(|e| e.body == format!("cleared: {detection}"))
            .then_some(entries)
    })
    .await;
    assert_eq!(
        entries.iter().filter(|e| e.body == detection).count(),
        1,
        "a repeated notification is not a second detection"
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_payload_is_a_422_naming_the_field_and_a_wrong_token_a_401() {
    let api = Api::sim(1.0).await;
    let mut pending = notification("firing");
    pending["alerts"][0]["status"] = json!("pending");
    let (status, body) = post(&api, RESPONDER, &pending).await;
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("alerts[0].status") && message.contains("firing"),
        "{body}"
    );
    let mut old = notification("firing");
    old["version"] = json!("3");
    let (status, body) = post(&api, RESPONDER, &old).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("version:"),
        "{body}"
    );
    let mut no_alerts = notification("firing");
    no_alerts.as_object_mut().expect("object").remove("alerts");
    let (status, body) = post(&api, RESPONDER, &no_alerts).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("alerts"),
        "{body}"
    );
    let (status, _) = post(
        &api,
        "not-a-token-at-all-0123456789",
        &notification("firing"),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = post(&api, VIEWER, &notification("firing")).await;
    assert_eq!(status, 403, "a viewer cannot raise alerts");
    let alerts = api.responder().alerts().await.expect("alerts").alerts;
    assert!(
        alerts.iter().all(|a| a.kind != AlertKind::External),
        "nothing was opened by refused notifications"
    );
    api.stop().await;
}

/// The real Alertmanager (Debian's prometheus-alertmanager; scripts/test.sh
/// installs it) with warroom as its webhook receiver: an alert posted to
/// Alertmanager's API fires into warroom on its node, and its resolution
/// clears it there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_alertmanager_fires_into_warroom_and_resolves() {
    let binary = ["prometheus-alertmanager", "alertmanager"]
        .into_iter()
        .find(|name| {
            std::process::Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .unwrap_or_else(|| {
            panic!("alertmanager is missing: apt-get install prometheus-alertmanager (scripts/test.sh does)")
        });
    let api = Api::sim(1.0).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let token = dir.path().join("token");
    std::fs::write(&token, RESPONDER).expect("token file");
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:\n  receiver: warroom\n  group_by: ['alertname', 'instance']\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n\
             receivers:\n  - name: warroom\n    webhook_configs:\n      - url: {}/v1/integrations/alertmanager\n        send_resolved: true\n        http_config:\n          authorization:\n            type: Bearer\n            credentials_file: {}\n",
            api.url,
            token.display()
        ),
    )
    .expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let web = format!("127.0.0.1:{port}");
    let mut alertmanager = tokio::process::Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .arg("--cluster.listen-address=")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("am.log")).expect("log"))
        .kill_on_drop(true)
        .spawn()
        .expect("alertmanager starts");
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("client");
    eventually(WAIT, "Alertmanager ready", || async {
        let ready = http
            .get(format!("http://{web}/-/ready"))
            .send()
            .await
            .ok()?;
        ready.status().is_success().then_some(())
    })
    .await;
    let starts_at = (chrono::Utc::now() - chrono::TimeDelta::seconds(5)).to_rfc3339();
    let alert = |ends_at: Option<String>| {
        let mut alert = json!({
            "labels": {"alertname": "DiskFull", "instance": "app-07:9100", "severity": "critical"},
            "annotations": {"summary": "/var is 97% full"},
            "startsAt": starts_at,
        });
        if let Some(end) = ends_at {
            alert["endsAt"] = json!(end);
        }
        json!([alert])
    };
    let posted = http
        .post(format!("http://{web}/api/v2/alerts"))
        .json(&alert(None))
        .send()
        .await
        .expect("posted to Alertmanager");
    assert!(posted.status().is_success(), "{}", posted.status());
    let client = api.responder();
    let opened = eventually(WAIT, "the alert in warroom", || async {
        let alerts = client.alerts().await.ok()?.alerts;
        alerts
            .into_iter()
            .find(|a| a.kind == AlertKind::External && a.target == "app-07")
    })
    .await;
    assert_eq!(
        opened.message,
        "Alertmanager DiskFull on app-07: /var is 97% full"
    );
    assert_eq!(opened.severity, AlertSeverity::Critical);

    let resolved = http
        .post(format!("http://{web}/api/v2/alerts"))
        .json(&alert(Some(chrono::Utc::now().to_rfc3339())))
        .send()
        .await
        .expect("resolved in Alertmanager");
    assert!(resolved.status().is_success(), "{}", resolved.status());
    eventually(WAIT, "the alert cleared in warroom", || async {
        let alerts = client.alerts().await.ok()?.alerts;
        alerts
            .iter()
            .all(|a| a.kind != AlertKind::External)
            .then_some(())
    })
    .await;
    let _ = alertmanager.start_kill();
    let _ = alertmanager.wait().await;
    api.stop().await;
}
