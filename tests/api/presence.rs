//! Who is in the room (issue 14, point 6): a console reports itself while
//! it runs and says goodbye when it quits; `GET /v1/presence` lists it and
//! `presence` events carry the join and the leave (not the heartbeats). On
//! replicas, a console on one is in the room of the other.

use std::time::Duration;

use serde_json::Value;

use crate::support::client::client_for;
use crate::support::errors::expect_error;
use crate::support::raw::{Api, WRONG};
use crate::support::sse::{RawSse, SseFrame};
use crate::support::tokens::{COMMANDER, RESPONDER, VIEWER};
use crate::support::wait::eventually;
use warroom::client::{Client, StreamSettings};
use warroom::model::{AccessRole, Presence};
use warroom::tui::{Keymap, Model, Session, Settings, client_config};

const WAIT: Duration = Duration::from_secs(10);

/// A console without a terminal (the real model, effects and heartbeat)
/// on `url` with `token`.
fn open_console(url: &str, token: &str) -> Session {
    let urls = vec![url.to_string()];
    let client = Client::new(client_config(urls.clone(), Some(token.to_string()))).expect("client");
    let settings = Settings {
        api_urls: urls,
        ..Settings::default()
    };
    let model = Model::new(settings, Keymap::default(), false, true, chrono::Utc::now());
    Session::new(model, client, StreamSettings::default())
}

async fn room(client: &Client) -> Vec<Presence> {
    client.presence().await.expect("GET /v1/presence").consoles
}

fn presence_events(frames: &[SseFrame]) -> Vec<(String, String)> {
    frames
        .iter()
        .filter(|f| f.event.as_deref() == Some("presence"))
        .map(|f| {
            let data = &f.json()["data"];
            (
                data["change"].as_str().unwrap_or_default().to_string(),
                data["presence"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

fn has_event(frames: &[SseFrame], change: &str, name: &str) -> bool {
    presence_events(frames)
        .iter()
        .any(|(c, n)| c == change && n == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_is_in_the_room_while_it_runs_and_leaves_when_it_quits() {
    let api = Api::sim(1.0).await;
    let viewer = api.viewer();
    assert!(room(&viewer).await.is_empty(), "nobody is here yet");
    let mut events = RawSse::open(api.http(), &api.url, VIEWER, None, None).await;

    let mut console = open_console(&api.url, RESPONDER);
    let here = eventually(WAIT, "the console in GET /v1/presence", || async {
        let consoles = room(&viewer).await;
        (consoles.len() == 1).then(|| consoles[0].clone())
    })
    .await;
    assert_eq!(
        (here.name.as_str(), here.role),
        ("responder", AccessRole::Responder)
    );
    let joined = events
        .collect_until(WAIT, "the join", |f| has_event(f, "joined", "responder"))
        .await;
    assert_eq!(
        presence_events(&joined),
        [("joined".to_string(), "responder".to_string())]
    );

    // A second console of another token: both are listed, by join time.
    let mut other = open_console(&api.url, COMMANDER);
    eventually(WAIT, "two consoles in the room", || async {
        let names: Vec<String> = room(&viewer).await.into_iter().map(|p| p.name).collect();
        (names == ["responder", "commander"]).then_some(())
    })
    .await;

    console.leave(Duration::from_secs(2)).await;
    let names: Vec<String> = room(&viewer).await.into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["commander"], "the goodbye takes it out at once");
    let left = events
        .collect_until(WAIT, "the leave", |f| has_event(f, "left", "responder"))
        .await;
    assert_eq!(
        presence_events(&left),
        [
            ("joined".to_string(), "commander".to_string()),
            ("left".to_string(), "responder".to_string())
        ],
        "one event per join and leave, none per heartbeat"
    );
    other.leave(Duration::from_secs(2)).await;
    assert!(room(&viewer).await.is_empty());
    drop((console, other));
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_renew_without_an_event_and_each_token_keeps_its_own_console() {
    let api = Api::sim(1.0).await;
    let mut events = RawSse::open(api.http(), &api.url, VIEWER, None, None).await;
    let viewer = api.viewer();
    let first = viewer.presence_beat("tab-1").await.expect("join");
    assert!(first.created, "the first heartbeat joins (201)");
    assert_eq!(
        first.value.role,
        AccessRole::Viewer,
        "a viewer is in the room too"
    );
    let again = viewer.presence_beat("tab-1").await.expect("renew");
    assert!(!again.created, "a renewal is 200");
    assert_eq!(again.value.since, first.value.since);
    assert!(again.value.seen_at >= first.value.seen_at);

    // Another token cannot take the console's id, nor say its goodbye.
    let put = |token: &str, id: &str| {
        api.http()
            .put(api.at(&format!("/v1/presence/{id}")))
            .bearer_auth(token)
            .send()
    };
    let delete = |token: &str, id: &str| {
        api.http()
            .delete(api.at(&format!("/v1/presence/{id}")))
            .bearer_auth(token)
            .send()
    };
    expect_error(put(COMMANDER, "tab-1").await.expect("put"), 403).await;
    expect_error(delete(COMMANDER, "tab-1").await.expect("delete"), 404).await;
    expect_error(put(WRONG, "tab-2").await.expect("put"), 401).await;
    let anonymous = api
        .http()
        .get(api.at("/v1/presence"))
        .send()
        .await
        .expect("get");
    expect_error(anonymous, 401).await;
    expect_error(put(VIEWER, "not%20ok").await.expect("put"), 422).await;
    expect_error(put(VIEWER, &"x".repeat(65)).await.expect("put"), 422).await;
    let consoles = room(&viewer).await;
    assert_eq!(consoles.len(), 1);
    assert_eq!(
        consoles[0].name, "viewer",
        "the refused calls changed nothing"
    );

    let gone = delete(VIEWER, "tab-1").await.expect("delete");
    assert_eq!(gone.status().as_u16(), 204);
    expect_error(delete(VIEWER, "tab-1").await.expect("delete"), 404).await;
    let frames = events
        .collect_until(WAIT, "the leave", |f| has_event(f, "left", "viewer"))
        .await;
    assert_eq!(
        presence_events(&frames),
        [
            ("joined".to_string(), "viewer".to_string()),
            ("left".to_string(), "viewer".to_string())
        ]
    );

    // The contract documents it.
    let doc: Value = viewer.openapi().await.expect("openapi");
    let path = &doc["paths"]["/v1/presence/{client_id}"];
    for method in ["put", "delete"] {
        assert!(path.get(method).is_some(), "{method} missing: {path}");
    }
    assert!(doc["paths"]["/v1/presence"].get("get").is_some());
    assert!(doc["components"]["schemas"].get("PresenceEvent").is_some());
    api.stop().await;
}

/// Two replicas on one PostgreSQL database: a console on `a` is in the
/// room `b` lists, and `b`'s event stream announces it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_on_one_replica_is_in_the_room_of_the_other() {
    use warroom::model::FleetSpec;
    use warroom::server::{LocalServer, ServerConfig, WorldSource};
    use warroom::sim::DEMO_FLEET;

    let cluster = tokio::task::spawn_blocking(crate::support::postgres::shared)
        .await
        .expect("the PostgreSQL cluster starts");
    let db = cluster.database().await;
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let store = warroom::store::open(&db).await.expect("store");
        let spec = FleetSpec::parse("demo.toml", DEMO_FLEET).expect("demo fleet");
        let server = LocalServer::start(ServerConfig {
            spec,
            store,
            tokens: crate::support::server::tokens(),
            source: WorldSource::Simulated {
                seed: 7,
                speed: 1.0,
                scenario: None,
            },
        })
        .await
        .expect("replica starts");
        replicas.push(server);
    }
    let (a, b) = (replicas[0].url(), replicas[1].url());
    let http = crate::support::raw::raw_http();
    let mut on_b = RawSse::open(&http, &b, VIEWER, None, None).await;
    let mut console = open_console(&a, RESPONDER);
    let b_viewer = client_for(&b, Some(VIEWER));
    eventually(WAIT, "a's console in b's room", || async {
        let names: Vec<String> = room(&b_viewer).await.into_iter().map(|p| p.name).collect();
        (names == ["responder"]).then_some(())
    })
    .await;
    on_b.collect_until(WAIT, "the join on b's stream", |f| {
        has_event(f, "joined", "responder")
    })
    .await;
    console.leave(Duration::from_secs(2)).await;
    on_b.collect_until(WAIT, "the leave on b's stream", |f| {
        has_event(f, "left", "responder")
    })
    .await;
    assert!(room(&b_viewer).await.is_empty());
    drop(console);
    for replica in replicas {
        replica.stop().await;
    }
}
