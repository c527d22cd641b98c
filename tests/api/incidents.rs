//! Incidents: create, get, list (with `?state=`), and edits under `If-Match`.

use crate::support::new_incident::incident;
use crate::support::raw::Api;
use crate::support::tokens::RESPONDER;
use warroom::client::ClientError;
use warroom::model::{
    AffectedComponent, ComponentStatus, Impact, Incident, IncidentPatch, IncidentState,
    IncidentStatus, NewIncident, Severity,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_get_and_list_incidents() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let new = NewIncident {
        title: "Sites on app-04 are down".into(),
        severity: Severity::Sev1,
        status: IncidentStatus::Investigating,
        impact: Impact::Critical,
        components: vec![AffectedComponent {
            name: "Hosted sites".into(),
            status: ComponentStatus::MajorOutage,
        }],
        started_at: None,
    };
    let created = client.create_incident(&new).await.unwrap();
    assert!(created.id > 0);
    assert_eq!(created.title, new.title);
    assert_eq!(created.severity, Severity::Sev1);
    assert_eq!(created.impact, Impact::Critical);
    assert_eq!(created.components, new.components);
    assert_eq!(created.state, IncidentState::Open);
    assert_eq!(created.version, 1);
    assert!(created.resolved_at.is_none());

    // The raw answer is 201 with the version as ETag.
    let response = api
        .http()
        .post(api.at("/v1/incidents"))
        .bearer_auth(RESPONDER)
        .json(&serde_json::json!({"title": "minimal", "severity": "sev4"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let minimal: Incident = response.json().await.unwrap();
    assert_eq!(
        minimal.status,
        IncidentStatus::Investigating,
        "status defaults to investigating"
    );
    assert_eq!(minimal.impact, Impact::None, "impact defaults to none");

    let viewer = api.viewer();
    assert_eq!(viewer.incident(created.id).await.unwrap(), created);
    let all = viewer.incidents(None).await.unwrap();
    let ids: Vec<i64> = all.iter().map(|i| i.id).collect();
    assert_eq!(ids, [minimal.id, created.id], "newest first");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolving_moves_an_incident_out_of_the_open_list() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let a = client.create_incident(&incident("a")).await.unwrap();
    let b = client.create_incident(&incident("b")).await.unwrap();
    let patch = IncidentPatch {
        status: Some(IncidentStatus::Resolved),
        ..Default::default()
    };
    let resolved = client
        .update_incident(a.id, a.version, &patch)
        .await
        .unwrap();
    assert_eq!(resolved.state, IncidentState::Resolved);
    assert!(resolved.resolved_at.is_some());
    assert_eq!(resolved.version, a.version + 1);

    let open: Vec<i64> = client
        .incidents(Some(IncidentState::Open))
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(open, [b.id]);
    let closed: Vec<i64> = client
        .incidents(Some(IncidentState::Resolved))
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(closed, [a.id]);
    assert_eq!(client.incidents(None).await.unwrap().len(), 2);

    // Reopening puts it back.
    let patch = IncidentPatch {
        status: Some(IncidentStatus::Monitoring),
        ..Default::default()
    };
    let reopened = client
        .update_incident(a.id, resolved.version, &patch)
        .await
        .unwrap();
    assert_eq!(reopened.state, IncidentState::Open);
    assert_eq!(
        client
            .incidents(Some(IncidentState::Open))
            .await
            .unwrap()
            .len(),
        2
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_changes_only_the_fields_it_names() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let created = client.create_incident(&incident("before")).await.unwrap();
    let patch = IncidentPatch {
        severity: Some(Severity::Sev1),
        ..Default::default()
    };
    let updated = client
        .update_incident(created.id, created.version, &patch)
        .await
        .unwrap();
    assert_eq!(updated.severity, Severity::Sev1);
    assert_eq!(updated.title, "before");
    assert_eq!(updated.impact, created.impact);
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(api.viewer().incident(created.id).await.unwrap(), updated);
    api.stop().await;
}

/// Two responders edit the same version at once: exactly one wins, the
/// other gets 409 with the incident as it is now, and no edit is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_incident_edits_conflict_instead_of_losing_one() {
    let api = Api::sim(1.0).await;
    let alice = api.client(RESPONDER);
    let bob = api.commander();
    for round in 0..10 {
        let base = alice
            .create_incident(&incident(&format!("race {round}")))
            .await
            .unwrap();
        let title_a = IncidentPatch {
            title: Some(format!("alice {round}")),
            ..Default::default()
        };
        let title_b = IncidentPatch {
            title: Some(format!("bob {round}")),
            ..Default::default()
        };
        let (a, b) = tokio::join!(
            alice.update_incident(base.id, base.version, &title_a),
            bob.update_incident(base.id, base.version, &title_b),
        );
        let (winner, loser) = match (a, b) {
            (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
            (a, b) => {
                panic!("round {round}: expected one success and one conflict, got {a:?} and {b:?}")
            }
        };
        let ClientError::Conflict { current, .. } = loser else {
            panic!("round {round}: the loser got {loser:?}, not a conflict");
        };
        let current: Incident = serde_json::from_value(current).unwrap();
        assert_eq!(
            current, winner,
            "round {round}: the conflict carries the winner's incident"
        );
        assert_eq!(winner.version, base.version + 1);

        // The loser merges and retries on the current version: both edits land.
        let merged = IncidentPatch {
            severity: Some(Severity::Sev1),
            ..Default::default()
        };
        let after = alice
            .update_incident(base.id, current.version, &merged)
            .await
            .unwrap();
        assert_eq!(after.title, winner.title);
        assert_eq!(after.severity, Severity::Sev1);
        assert_eq!(after.version, base.version + 2);
    }
    api.stop().await;
}

/// `ETag` and `If-Match` speak HTTP: the quoted ETag sent back as
/// `If-Match` is the version it names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_etag_round_trips_as_if_match() {
    let api = Api::sim(1.0).await;
    let created = api
        .responder()
        .create_incident(&incident("etag"))
        .await
        .unwrap();
    let url = api.at(&format!("/v1/incidents/{}", created.id));
    let response = api
        .http()
        .get(&url)
        .bearer_auth(RESPONDER)
        .send()
        .await
        .unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(etag, format!("\"{}\"", created.version));
    let patch = serde_json::json!({"title": "via etag"});
    let response = api
        .http()
        .patch(&url)
        .bearer_auth(RESPONDER)
        .header("if-match", &etag)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let new_etag = response.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(new_etag, format!("\"{}\"", created.version + 1));
    // The old ETag is now stale.
    let response = api
        .http()
        .patch(&url)
        .bearer_auth(RESPONDER)
        .header("if-match", &etag)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 409);
    api.stop().await;
}
