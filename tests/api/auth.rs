//! Bearer tokens and roles (DESIGN.md §3): every write gives 401 without a
//! valid token, 403 below the role it needs, and works for the lowest role
//! allowed; every GET works for a viewer.

use crate::support::errors::expect_error;
use crate::support::new_incident::incident;
use crate::support::new_note::note;
use crate::support::raw::{Api, WRONG};
use crate::support::tokens::{COMMANDER, RESPONDER, VIEWER};
use reqwest::Method;
use serde_json::{Value, json};

/// How a request authenticates itself.
#[derive(Debug, Clone, Copy)]
enum Auth {
    None,
    Bearer(&'static str),
    /// A header value exactly as sent.
    Raw(&'static str),
}

async fn send(
    api: &Api,
    method: Method,
    path: &str,
    auth: Auth,
    body: Option<&Value>,
    if_match: Option<i64>,
) -> reqwest::Response {
    let mut request = api.http().request(method, api.at(path));
    request = match auth {
        Auth::None => request,
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::Raw(value) => request.header("authorization", value),
    };
    if let Some(body) = body {
        request = request.json(body);
    }
    if let Some(version) = if_match {
        request = request.header("if-match", version.to_string());
    }
    request.send().await.unwrap()
}

/// One write endpoint, with a body and version that succeed for `allowed`.
struct Write {
    method: Method,
    path: String,
    body: Option<Value>,
    if_match: Option<i64>,
    /// The lowest role allowed.
    allowed: &'static str,
    /// Roles below it, which get 403.
    below: &'static [&'static str],
    success: u16,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_checks_the_token_and_the_role() {
    let api = Api::sim(1.0).await;
    let responder = api.responder();
    let incident = responder
        .create_incident(&incident("role matrix"))
        .await
        .unwrap();
    let id = incident.id;
    let entry = responder
        .create_entry(id, &note("to edit"), None)
        .await
        .unwrap()
        .value;
    let doomed = responder
        .create_entry(id, &note("to delete"), None)
        .await
        .unwrap()
        .value;

    let writes = [
        Write {
            method: Method::POST,
            path: "/v1/incidents".into(),
            body: Some(json!({"title": "by a responder", "severity": "sev3"})),
            if_match: None,
            allowed: RESPONDER,
            below: &[VIEWER],
            success: 201,
        },
        Write {
            method: Method::PATCH,
            path: format!("/v1/incidents/{id}"),
            body: Some(json!({"status": "identified"})),
            if_match: Some(incident.version),
            allowed: RESPONDER,
            below: &[VIEWER],
            success: 200,
        },
        Write {
            method: Method::POST,
            path: format!("/v1/incidents/{id}/timeline"),
            body: Some(json!({"kind": "note", "body": "a responder's note"})),
            if_match: None,
            allowed: RESPONDER,
            below: &[VIEWER],
            success: 201,
        },
        Write {
            method: Method::PATCH,
            path: format!("/v1/incidents/{id}/timeline/{}", entry.id),
            body: Some(json!({"body": "edited"})),
            if_match: Some(entry.version),
            allowed: RESPONDER,
            below: &[VIEWER],
            success: 200,
        },
        Write {
            method: Method::DELETE,
            path: format!("/v1/incidents/{id}/timeline/{}", doomed.id),
            body: None,
            if_match: Some(doomed.version),
            allowed: RESPONDER,
            below: &[VIEWER],
            success: 200,
        },
        Write {
            method: Method::POST,
            path: "/v1/sim/faults".into(),
            body: Some(json!({"kind": "server_down", "target": "app-01"})),
            if_match: None,
            allowed: COMMANDER,
            below: &[VIEWER, RESPONDER],
            success: 202,
        },
    ];

    let garbled = [
        Auth::None,
        Auth::Bearer(WRONG),
        Auth::Bearer(""),
        Auth::Raw("Basic Y29tbWFuZGVyOnNlY3JldA=="),
        Auth::Raw("Bearer"),
        Auth::Raw(COMMANDER),
    ];
    for write in &writes {
        let what = format!("{} {}", write.method, write.path);
        for auth in garbled {
            let response = send(
                &api,
                write.method.clone(),
                &write.path,
                auth,
                write.body.as_ref(),
                write.if_match,
            )
            .await;
            let (code, _) = expect_error(response, 401).await;
            assert_eq!(code, "unauthorized", "{what} with {auth:?}");
        }
        for role in write.below {
            let response = send(
                &api,
                write.method.clone(),
                &write.path,
                Auth::Bearer(role),
                write.body.as_ref(),
                write.if_match,
            )
            .await;
            let (code, message) = expect_error(response, 403).await;
            assert_eq!(code, "forbidden", "{what} as {role}");
            assert!(
                !message.contains(role),
                "the message repeats the token: {message}"
            );
        }
        let response = send(
            &api,
            write.method.clone(),
            &write.path,
            Auth::Bearer(write.allowed),
            write.body.as_ref(),
            write.if_match,
        )
        .await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(
            status, write.success,
            "{what} as the lowest allowed role: {text}"
        );
    }

    // The refused attempts changed nothing: one incident made by the
    // responder above, the entry edited once, the deleted one gone.
    let incidents = responder.incidents(None).await.unwrap();
    assert_eq!(incidents.len(), 2, "{incidents:?}");
    let timeline = responder.timeline(id).await.unwrap();
    let bodies: Vec<&str> = timeline
        .entries
        .iter()
        .filter(|e| e.author == "responder")
        .map(|e| e.body.as_str())
        .collect();
    assert_eq!(bodies, ["edited", "a responder's note"]);
    assert!(timeline.entries.iter().all(|e| e.id != doomed.id));
    assert_eq!(
        responder.incident(id).await.unwrap().version,
        incident.version + 1
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commander_may_do_what_a_responder_may() {
    let api = Api::sim(1.0).await;
    let commander = api.commander();
    let incident = commander
        .create_incident(&incident("by the commander"))
        .await
        .unwrap();
    let written = commander
        .create_entry(incident.id, &note("commander note"), None)
        .await
        .unwrap();
    assert!(written.created);
    assert_eq!(written.value.author, "commander");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_get_works_for_a_viewer_and_needs_a_token() {
    let api = Api::sim(1.0).await;
    let incident = api
        .responder()
        .create_incident(&incident("readable"))
        .await
        .unwrap();
    let id = incident.id;
    let gets = [
        "/v1/topology".to_string(),
        "/v1/alerts".into(),
        "/v1/health/app-01/history".into(),
        "/v1/incidents".into(),
        "/v1/incidents?state=open".into(),
        format!("/v1/incidents/{id}"),
        format!("/v1/incidents/{id}/timeline"),
        "/v1/sim".into(),
    ];
    for path in &gets {
        let response = send(&api, Method::GET, path, Auth::Bearer(VIEWER), None, None).await;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "GET {path} as viewer: {text}");
        serde_json::from_str::<Value>(&text)
            .unwrap_or_else(|e| panic!("GET {path} is not JSON ({e}): {text}"));

        for auth in [Auth::None, Auth::Bearer(WRONG)] {
            let response = send(&api, Method::GET, path, auth, None, None).await;
            let (code, _) = expect_error(response, 401).await;
            assert_eq!(code, "unauthorized", "GET {path} with {auth:?}");
        }
    }
    // The event stream too.
    crate::support::sse::RawSse::open(api.http(), &api.url, VIEWER, None, None).await;
    let response = send(&api, Method::GET, "/v1/events", Auth::None, None, None).await;
    expect_error(response, 401).await;
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorship_comes_from_the_token() {
    let api = Api::sim(1.0).await;
    let responder = api.responder();
    let incident = responder
        .create_incident(&incident("who wrote it"))
        .await
        .unwrap();
    let entry = responder
        .create_entry(incident.id, &note("mine"), None)
        .await
        .unwrap()
        .value;
    assert_eq!(entry.author, "responder");
    // A client cannot claim to be someone else.
    let body = json!({"kind": "note", "body": "not mine", "author": "commander"});
    let path = format!("/v1/incidents/{}/timeline", incident.id);
    let response = send(
        &api,
        Method::POST,
        &path,
        Auth::Bearer(RESPONDER),
        Some(&body),
        None,
    )
    .await;
    expect_error(response, 422).await;
    api.stop().await;
}

/// The real client turns 401 and 403 answers into typed errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reports_auth_failures_as_typed_errors() {
    let api = Api::sim(1.0).await;
    let anonymous = crate::support::client::client_for(&api.url, None);
    let err = anonymous.topology().await.unwrap_err();
    crate::support::errors::assert_api_error(&err, 401, "unauthorized");
    let err = api
        .client(WRONG)
        .create_incident(&incident("no"))
        .await
        .unwrap_err();
    crate::support::errors::assert_api_error(&err, 401, "unauthorized");
    let err = api
        .viewer()
        .create_incident(&incident("no"))
        .await
        .unwrap_err();
    crate::support::errors::assert_api_error(&err, 403, "forbidden");
    let fault = warroom::model::SimFault {
        kind: warroom::model::FaultKind::ServerDown,
        target: "app-01".into(),
    };
    let err = api.responder().inject_fault(&fault).await.unwrap_err();
    crate::support::errors::assert_api_error(&err, 403, "forbidden");
    assert!(err.to_string().contains("commander"), "{err}");
    assert!(api.viewer().incidents(None).await.unwrap().is_empty());
    api.stop().await;
}

/// `GET /v1/whoami` names the token and its role, typed by the client, so
/// the console can tell what it may do before it tries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_names_each_token_and_its_role() {
    use warroom::model::{AccessRole, ErrorCode, Whoami};
    let api = Api::sim(1.0).await;
    for (client, name, role) in [
        (api.viewer(), "viewer", AccessRole::Viewer),
        (api.responder(), "responder", AccessRole::Responder),
        (api.commander(), "commander", AccessRole::Commander),
    ] {
        let who = client.whoami().await.unwrap();
        assert_eq!(
            who,
            Whoami {
                name: name.into(),
                role
            }
        );
    }
    let err = api.client(WRONG).whoami().await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err:?}");
    assert_eq!(err.code(), Some(ErrorCode::Unauthorized), "{err:?}");
    api.stop().await;
}
