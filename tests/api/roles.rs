//! Incident roles (issue 14, point 6): commander, communications and scribe
//! are assigned and handed off through `PUT /v1/incidents/{id}/roles/{role}`;
//! each change is a `role` entry in the timeline saying who handed what to
//! whom. The role matrix: viewers never; a commander token any role; a
//! responder a vacant role, or one they hold.

use std::time::Duration;

use serde_json::json;

use crate::support::errors::{assert_api_error, expect_error};
use crate::support::new_incident::incident;
use crate::support::raw::Api;
use crate::support::sse::RawSse;
use crate::support::tokens::{COMMANDER, RESPONDER, VIEWER};
use warroom::model::{EntryKind, IncidentRole};

fn role_bodies(entries: &[warroom::model::TimelineEntry]) -> Vec<String> {
    entries
        .iter()
        .filter(|e| e.kind == EntryKind::Role)
        .map(|e| format!("{}: {}", e.author, e.body))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_handed_off_by_the_holder_or_a_commander_and_each_change_is_in_the_timeline() {
    let api = Api::sim(1.0).await;
    let responder = api.responder();
    let commander = api.commander();
    let viewer = api.viewer();
    let id = responder
        .create_incident(&incident("Checkout down"))
        .await
        .expect("incident")
        .id;
    let mut events = RawSse::open(api.http(), &api.url, VIEWER, None, None).await;

    // A viewer may not change a role.
    let err = viewer
        .change_role(id, IncidentRole::Commander, Some("viewer"))
        .await
        .expect_err("a viewer is refused");
    assert_api_error(&err, 403, "forbidden");

    // A responder takes the vacant commander role.
    let roles = responder
        .change_role(id, IncidentRole::Commander, Some("responder"))
        .await
        .expect("a responder takes a vacant role");
    assert_eq!(roles.holder(IncidentRole::Commander), Some("responder"));
    // ... and hands it to someone present, as its holder.
    responder
        .change_role(id, IncidentRole::Commander, Some("commander"))
        .await
        .expect("the holder hands off");
    // Now it is not theirs: a responder cannot take it back.
    let err = responder
        .change_role(id, IncidentRole::Commander, Some("responder"))
        .await
        .expect_err("not the holder");
    assert_api_error(&err, 403, "forbidden");
    assert!(
        err.to_string()
            .contains("commander holds incident commander"),
        "{err}"
    );
    // A commander token may change any role, to anyone (a typed name too).
    commander
        .change_role(id, IncidentRole::Commander, Some("Dana Ops"))
        .await
        .expect("a commander token reassigns");
    commander
        .change_role(id, IncidentRole::Scribe, Some("responder"))
        .await
        .expect("scribe");
    // The scribe steps down.
    let roles = responder
        .change_role(id, IncidentRole::Scribe, None)
        .await
        .expect("the holder steps down");
    assert_eq!(roles.holder(IncidentRole::Scribe), None);
    // Handing a role to its holder changes nothing (no entry).
    commander
        .change_role(id, IncidentRole::Commander, Some("Dana Ops"))
        .await
        .expect("no-op");

    let roles = viewer.incident_roles(id).await.expect("GET roles");
    let holders: Vec<_> = roles
        .holders
        .iter()
        .map(|t| (t.role, t.holder.as_str()))
        .collect();
    assert_eq!(holders, [(IncidentRole::Commander, "Dana Ops")]);
    let history: Vec<_> = roles
        .history
        .iter()
        .map(|t| (t.role, t.holder.as_str(), t.until.is_some()))
        .collect();
    assert_eq!(
        history,
        [
            (IncidentRole::Commander, "responder", true),
            (IncidentRole::Commander, "commander", true),
            (IncidentRole::Commander, "Dana Ops", false),
            (IncidentRole::Scribe, "responder", true),
        ]
    );
    let timeline = viewer.timeline(id).await.expect("timeline").entries;
    assert_eq!(
        role_bodies(&timeline),
        [
            "responder: responder took incident commander",
            "responder: responder handed incident commander to commander",
            "commander: commander handed incident commander to Dana Ops",
            "commander: commander assigned scribe to responder",
            "responder: responder stepped down as scribe",
        ]
    );
    // Each change reached the event stream as a timeline entry.
    let frames = events
        .collect_until(Duration::from_secs(10), "five role entries", |frames| {
            frames
                .iter()
                .filter(|f| {
                    f.event.as_deref() == Some("timeline") && f.json()["data"]["kind"] == "role"
                })
                .count()
                == 5
        })
        .await;
    assert!(!frames.is_empty());
    // A handoff is kept as recorded: nobody edits or deletes it.
    let handoff = timeline
        .iter()
        .find(|e| e.kind == EntryKind::Role)
        .expect("a role entry");
    let patched = api
        .http()
        .patch(api.at(&format!("/v1/incidents/{id}/timeline/{}", handoff.id)))
        .bearer_auth(COMMANDER)
        .header("if-match", handoff.version.to_string())
        .json(&json!({"body": "nobody took it"}))
        .send()
        .await
        .expect("patch");
    let (code, _) = expect_error(patched, 409).await;
    assert_eq!(code, "immutable_entry");
    // The postmortem lists who held each role and when.
    let md = viewer.postmortem(id, "md", None).await.expect("postmortem");
    let section: Vec<&str> = md
        .lines()
        .skip_while(|l| *l != "Incident roles")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(section.len(), 4, "{md}");
    assert!(section[0].starts_with("  Incident commander: responder, from "));
    assert!(section[0].contains(" to "), "an ended term: {}", section[0]);
    assert!(section[2].starts_with("  Incident commander: Dana Ops, from "));
    assert!(section[2].ends_with("(still held)"), "{}", section[2]);
    assert!(section[3].starts_with("  Scribe: responder, from "));
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_changes_are_checked() {
    let api = Api::sim(1.0).await;
    let id = api
        .responder()
        .create_incident(&incident("Checkout down"))
        .await
        .expect("incident")
        .id;
    let put = |token: &'static str, path: String, body: serde_json::Value| {
        let request = api.http().put(api.at(&path)).json(&body);
        async move {
            if token.is_empty() {
                request.send().await
            } else {
                request.bearer_auth(token).send().await
            }
        }
    };
    let roles = format!("/v1/incidents/{id}/roles");
    expect_error(
        put("", format!("{roles}/commander"), json!({"holder": "x"}))
            .await
            .expect("put"),
        401,
    )
    .await;
    expect_error(
        put(COMMANDER, format!("{roles}/king"), json!({"holder": "x"}))
            .await
            .expect("put"),
        422,
    )
    .await;
    expect_error(
        put(
            COMMANDER,
            format!("{roles}/scribe"),
            json!({"holder": "  "}),
        )
        .await
        .expect("put"),
        422,
    )
    .await;
    expect_error(
        put(
            COMMANDER,
            format!("/v1/incidents/{}/roles/scribe", id + 50),
            json!({"holder": "x"}),
        )
        .await
        .expect("put"),
        404,
    )
    .await;
    // Role entries come only from the roles endpoint.
    let posted = api
        .http()
        .post(api.at(&format!("/v1/incidents/{id}/timeline")))
        .bearer_auth(RESPONDER)
        .json(&json!({"kind": "role", "body": "I am the commander now"}))
        .send()
        .await
        .expect("post");
    expect_error(posted, 422).await;
    let doc = api.viewer().openapi().await.expect("openapi");
    assert!(
        doc["paths"]["/v1/incidents/{id}/roles/{role}"]
            .get("put")
            .is_some()
    );
    assert!(
        doc["paths"]["/v1/incidents/{id}/roles"]
            .get("get")
            .is_some()
    );
    assert!(
        api.viewer()
            .incident_roles(id)
            .await
            .expect("roles")
            .history
            .is_empty(),
        "the refused calls changed nothing"
    );
    api.stop().await;
}
