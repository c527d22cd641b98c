//! Every error status of the API, each in the `{"error": {"code", "message"}}`
//! shape: bad JSON 400, validation 422, missing 404, conflict 409, oversize
//! 413, missing If-Match 428, unknown enum values 422 naming the allowed ones.

use crate::support::errors::{assert_api_error, expect_error};
use crate::support::new_incident::incident;
use crate::support::new_note::note;
use crate::support::raw::Api;
use crate::support::tokens::RESPONDER;
use serde_json::json;
use warroom::model::{EntryKind, EntryPatch, IncidentPatch, NewEntry, Source};

/// A raw JSON POST as the responder.
async fn post_json(api: &Api, path: &str, body: &str) -> reqwest::Response {
    api.http()
        .post(api.at(path))
        .bearer_auth(RESPONDER)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_400_bad_json() {
    let api = Api::sim(1.0).await;
    let id = api
        .responder()
        .create_incident(&incident("bad json"))
        .await
        .unwrap()
        .id;
    let timeline = format!("/v1/incidents/{id}/timeline");
    for (path, body) in [
        ("/v1/incidents", "{\"title\": \"x\", "),
        ("/v1/incidents", "not json at all"),
        (timeline.as_str(), "{\"kind\": \"note\" \"body\": \"x\"}"),
        (timeline.as_str(), ""),
    ] {
        let (code, message) = expect_error(post_json(&api, path, body).await, 400).await;
        assert_eq!(code, "bad_json", "POST {path} {body:?}: {message}");
    }
    // A PATCH with broken JSON too (the version is right).
    let response = api
        .http()
        .patch(api.at(&format!("/v1/incidents/{id}")))
        .bearer_auth(RESPONDER)
        .header("content-type", "application/json")
        .header("if-match", "1")
        .body("{")
        .send()
        .await
        .unwrap();
    let (code, _) = expect_error(response, 400).await;
    assert_eq!(code, "bad_json");
    // A body that is not declared as JSON is refused in the same shape.
    let response = api
        .http()
        .post(api.at("/v1/incidents"))
        .bearer_auth(RESPONDER)
        .header("content-type", "text/plain")
        .body(json!({"title": "t", "severity": "sev1"}).to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert!(
        status == 415 || status == 400,
        "wrong content type gave {status}"
    );
    expect_error(response, status).await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_incidents_are_422() {
    let api = Api::sim(1.0).await;
    let (code, message) = expect_error(
        post_json(
            &api,
            "/v1/incidents",
            r#"{"title": "  ", "severity": "sev2"}"#,
        )
        .await,
        422,
    )
    .await;
    assert_eq!(code, "invalid_body");
    assert!(message.contains("title"), "{message}");

    let (_, message) = expect_error(
        post_json(
            &api,
            "/v1/incidents",
            r#"{"title": "t", "severity": "sev9"}"#,
        )
        .await,
        422,
    )
    .await;
    for allowed in ["sev1", "sev2", "sev3", "sev4"] {
        assert!(
            message.contains(allowed),
            "allowed severities not named: {message}"
        );
    }
    assert!(message.contains("sev9"), "{message}");

    let (_, message) = expect_error(
        post_json(&api, "/v1/incidents", r#"{"title": "t"}"#).await,
        422,
    )
    .await;
    assert!(message.contains("severity"), "{message}");

    let (_, message) = expect_error(
        post_json(
            &api,
            "/v1/incidents",
            r#"{"title": "t", "severity": "sev1", "status": "panicking"}"#,
        )
        .await,
        422,
    )
    .await;
    assert!(
        message.contains("investigating"),
        "allowed statuses not named: {message}"
    );
    assert!(
        api.responder().incidents(None).await.unwrap().is_empty(),
        "an invalid incident was stored"
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_timeline_entries_are_422() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let id = client
        .create_incident(&incident("validation"))
        .await
        .unwrap()
        .id;

    let status_update = NewEntry {
        kind: EntryKind::StatusUpdate,
        ..note("we are looking")
    };
    let err = client
        .create_entry(id, &status_update, None)
        .await
        .unwrap_err();
    assert_api_error(&err, 422, "invalid_body");
    assert!(err.to_string().contains("status"), "{err}");

    // Detection entries are the detector's to write.
    let detection = NewEntry {
        kind: EntryKind::Detection,
        ..note("I detected it myself")
    };
    assert_api_error(
        &client.create_entry(id, &detection, None).await.unwrap_err(),
        422,
        "invalid_body",
    );
    let as_detector = NewEntry {
        source: Some(Source::Detector),
        ..note("forged")
    };
    assert_api_error(
        &client
            .create_entry(id, &as_detector, None)
            .await
            .unwrap_err(),
        422,
        "invalid_body",
    );
    let action = NewEntry {
        kind: EntryKind::Action,
        ..note("forged action")
    };
    assert_api_error(
        &client.create_entry(id, &action, None).await.unwrap_err(),
        422,
        "invalid_body",
    );

    assert_api_error(
        &client.create_entry(id, &note(""), None).await.unwrap_err(),
        422,
        "invalid_body",
    );
    let path = format!("/v1/incidents/{id}/timeline");
    let (_, message) = expect_error(
        post_json(&api, &path, r#"{"kind": "rumour", "body": "x"}"#).await,
        422,
    )
    .await;
    assert!(
        message.contains("status_update") && message.contains("note"),
        "allowed kinds not named: {message}"
    );

    let timeline = client.timeline(id).await.unwrap();
    assert!(
        timeline.entries.iter().all(|e| e.source != Source::User),
        "an invalid entry was stored: {:?}",
        timeline.entries
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_things_are_404() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    assert_api_error(
        &client.incident(987_654).await.unwrap_err(),
        404,
        "not_found",
    );
    assert_api_error(
        &client.timeline(987_654).await.unwrap_err(),
        404,
        "not_found",
    );
    assert_api_error(
        &client
            .create_entry(987_654, &note("orphan"), None)
            .await
            .unwrap_err(),
        404,
        "not_found",
    );
    assert_api_error(
        &client
            .update_incident(
                987_654,
                1,
                &IncidentPatch {
                    title: Some("x".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err(),
        404,
        "not_found",
    );

    let id = client
        .create_incident(&incident("has no entry 5555"))
        .await
        .unwrap()
        .id;
    let patch = EntryPatch {
        body: Some("x".into()),
        ..Default::default()
    };
    assert_api_error(
        &client.update_entry(id, 5555, 1, &patch).await.unwrap_err(),
        404,
        "not_found",
    );
    assert_api_error(
        &client.delete_entry(id, 5555, 1).await.unwrap_err(),
        404,
        "not_found",
    );
    // An entry of another incident is not found under this one.
    let other = client.create_incident(&incident("other")).await.unwrap().id;
    let entry = client
        .create_entry(other, &note("elsewhere"), None)
        .await
        .unwrap()
        .value;
    assert_api_error(
        &client
            .update_entry(id, entry.id, entry.version, &patch)
            .await
            .unwrap_err(),
        404,
        "not_found",
    );
    // A deleted entry is gone.
    client
        .delete_entry(other, entry.id, entry.version)
        .await
        .unwrap();
    assert_api_error(
        &client
            .update_entry(other, entry.id, entry.version + 1, &patch)
            .await
            .unwrap_err(),
        404,
        "not_found",
    );

    for path in ["/v1/nope", "/nope", "/v1/incidents/1/nope", "/v1/plans/1"] {
        let response = api
            .http()
            .get(api.at(path))
            .bearer_auth(RESPONDER)
            .send()
            .await
            .unwrap();
        let (code, _) = expect_error(response, 404).await;
        assert_eq!(code, "not_found", "{path}");
    }
    // A non-numeric id is a missing resource, in the same shape.
    let response = api
        .http()
        .get(api.at("/v1/incidents/abc"))
        .bearer_auth(RESPONDER)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert!(
        status == 404 || status == 400,
        "non-numeric id gave {status}"
    );
    expect_error(response, status).await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_version_is_409_with_the_current_object() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let created = client.create_incident(&incident("conflict")).await.unwrap();
    let patch = IncidentPatch {
        title: Some("first edit".into()),
        ..Default::default()
    };
    let updated = client
        .update_incident(created.id, created.version, &patch)
        .await
        .unwrap();

    let response = api
        .http()
        .patch(api.at(&format!("/v1/incidents/{}", created.id)))
        .bearer_auth(RESPONDER)
        .header("if-match", created.version.to_string())
        .json(&json!({"title": "stale edit"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 409);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "version_conflict", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(body["current"]["version"], updated.version, "{body}");
    assert_eq!(body["current"]["title"], "first edit", "{body}");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_256_kib_are_413() {
    let api = Api::sim(1.0).await;
    let id = api
        .responder()
        .create_incident(&incident("big"))
        .await
        .unwrap()
        .id;
    let big = "x".repeat(300 * 1024);
    let body = json!({"kind": "note", "body": big}).to_string();
    let (code, _) = expect_error(
        post_json(&api, &format!("/v1/incidents/{id}/timeline"), &body).await,
        413,
    )
    .await;
    assert_eq!(code, "body_too_large");
    let body = json!({"title": big, "severity": "sev1"}).to_string();
    expect_error(post_json(&api, "/v1/incidents", &body).await, 413).await;
    // Just under the limit the size is no reason to refuse (the note is
    // then too long for a note, which is a 422, not a 413).
    let body = json!({"kind": "note", "body": "y".repeat(200 * 1024)}).to_string();
    let response = post_json(&api, &format!("/v1/incidents/{id}/timeline"), &body).await;
    assert_ne!(response.status().as_u16(), 413);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_without_if_match_are_428() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let id = client
        .create_incident(&incident("no if-match"))
        .await
        .unwrap()
        .id;
    let entry = client
        .create_entry(id, &note("entry"), None)
        .await
        .unwrap()
        .value;
    let requests = [
        api.http()
            .patch(api.at(&format!("/v1/incidents/{id}")))
            .json(&json!({"title": "x"})),
        api.http()
            .patch(api.at(&format!("/v1/incidents/{id}/timeline/{}", entry.id)))
            .json(&json!({"body": "x"})),
        api.http()
            .delete(api.at(&format!("/v1/incidents/{id}/timeline/{}", entry.id))),
    ];
    for request in requests {
        let (code, message) =
            expect_error(request.bearer_auth(RESPONDER).send().await.unwrap(), 428).await;
        assert_eq!(code, "if_match_required");
        assert!(message.contains("If-Match"), "{message}");
    }
    // A garbled If-Match is refused too, not treated as a version.
    let response = api
        .http()
        .patch(api.at(&format!("/v1/incidents/{id}")))
        .bearer_auth(RESPONDER)
        .header("if-match", "banana")
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(response, 400).await;
    // Nothing changed.
    assert_eq!(client.incident(id).await.unwrap().version, 1);
    assert_eq!(
        client
            .timeline(id)
            .await
            .unwrap()
            .entries
            .iter()
            .find(|e| e.id == entry.id)
            .unwrap()
            .body,
        "entry"
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_enum_values_in_queries_are_422() {
    let api = Api::sim(1.0).await;
    let response = api
        .http()
        .get(api.at("/v1/incidents?state=bogus"))
        .bearer_auth(RESPONDER)
        .send()
        .await
        .unwrap();
    let (_, message) = expect_error(response, 422).await;
    assert!(
        message.contains("open") && message.contains("resolved"),
        "allowed states not named: {message}"
    );
    assert!(message.contains("bogus"), "{message}");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_event_stream_positions_are_422() {
    let api = Api::sim(1.0).await;
    let requests = [
        api.http().get(api.at("/v1/events?since=-5")),
        api.http().get(api.at("/v1/events?since=yesterday")),
        api.http()
            .get(api.at("/v1/events"))
            .header("last-event-id", "abc"),
    ];
    for request in requests {
        let response = request.bearer_auth(RESPONDER).send().await.unwrap();
        expect_error(response, 422).await;
    }
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_is_405_in_the_error_shape() {
    let api = Api::sim(1.0).await;
    for (method, path) in [
        (reqwest::Method::PUT, "/v1/incidents"),
        (reqwest::Method::DELETE, "/v1/topology"),
        (reqwest::Method::GET, "/v1/sim/faults"),
    ] {
        let response = api
            .http()
            .request(method.clone(), api.at(path))
            .bearer_auth(RESPONDER)
            .send()
            .await
            .unwrap();
        let (code, _) = expect_error(response, 405).await;
        assert_eq!(code, "method_not_allowed", "{method} {path}");
    }
    api.stop().await;
}
