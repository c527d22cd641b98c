//! The console against real sockets: an API that accepts and never
//! answers, and two replicas where the first one stops.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::demo_model::*;
use warroom::client::{Client, StreamSettings};
use warroom::model::FleetSpec;
use warroom::server::{AccessRole, LocalServer, ServerConfig, TokenEntry, Tokens, WorldSource};
use warroom::sim::DEMO_FLEET;
use warroom::tui::{
    Banner, Keymap, LinkState, Model, Msg, Request, Session, Settings, client_config,
};

fn session(urls: Vec<String>, token: Option<String>) -> Session {
    let client = Client::new(client_config(urls.clone(), token)).expect("client");
    let settings = Settings {
        api_urls: urls,
        ..Settings::default()
    };
    let mut model = Model::new(settings, Keymap::default(), false, true, chrono::Utc::now());
    model.screen = (120, 40);
    let stream = StreamSettings {
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(500),
        idle_timeout: Duration::from_secs(25),
    };
    Session::new(model, client, stream)
}

/// Feed the session's messages (and a clock tick every 250 ms) to `update`
/// until `done` holds or the deadline passes. Returns the messages seen.
async fn pump_until(
    session: &mut Session,
    deadline: Duration,
    mut done: impl FnMut(&Session, &[Msg]) -> bool,
) -> Result<Vec<Msg>, Vec<Msg>> {
    let end = Instant::now() + deadline;
    let mut seen = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    loop {
        if done(session, &seen) {
            return Ok(seen);
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(seen);
        }
        tokio::select! {
            msg = session.next_msg() => {
                let Some(msg) = msg else { return Err(seen) };
                seen.push(msg.clone());
                session.dispatch(msg);
            }
            _ = ticker.tick() => {
                session.dispatch(Msg::Tick(chrono::Utc::now()));
            }
            _ = tokio::time::sleep(left) => {}
        }
    }
}

/// A listener that accepts every connection and never writes a byte.
async fn black_hole() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

#[tokio::test]
async fn a_black_holed_api_shows_the_banner_within_3_s() {
    let (url, _hole) = black_hole().await;
    let mut session = session(vec![url], Some("token-for-a-black-hole".into()));
    let started = Instant::now();
    session.dispatch(Msg::Start);
    let result = pump_until(&mut session, Duration::from_secs(3), |s, _| {
        matches!(s.model.banner(), Some(Banner::ApiDown { .. }))
    })
    .await;
    assert!(
        result.is_ok(),
        "no API-down banner after {:?}: {:?}",
        started.elapsed(),
        session.model.banner()
    );
    assert_eq!(session.model.data.link.state, LinkState::Down);
    assert!(session.model.is_stale());

    // The console stays responsive meanwhile: a key is handled at once.
    session.dispatch(char_key('2'));
    assert_eq!(session.model.ui.focus, warroom::tui::Pane::Sites);

    // A refresh ends with an error instead of leaving a task stuck.
    session.dispatch(char_key('r'));
    assert!(session.in_flight() > 0);
    let seen = pump_until(&mut session, Duration::from_secs(8), |s, seen| {
        s.in_flight() == 0
            && seen.iter().any(|m| {
                matches!(
                    m,
                    Msg::Failed {
                        request: Request::Topology,
                        unreachable: true,
                        ..
                    }
                )
            })
    })
    .await
    .unwrap_or_else(|seen| {
        panic!(
            "requests still running: {}; seen {seen:?}",
            session.in_flight()
        )
    });
    assert!(!seen.iter().any(|m| matches!(m, Msg::Loaded(_))));
}

#[tokio::test]
async fn a_refused_connection_also_shows_the_banner() {
    // Bind and drop: nothing listens on the port any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let mut session = session(vec![format!("http://127.0.0.1:{port}")], None);
    session.dispatch(Msg::Start);
    let result = pump_until(&mut session, Duration::from_secs(3), |s, _| {
        matches!(s.model.banner(), Some(Banner::ApiDown { .. }))
    })
    .await;
    assert!(result.is_ok(), "{:?}", session.model.banner());
}

async fn demo_server(token: &str) -> LocalServer {
    let spec = FleetSpec::parse("demo.toml", DEMO_FLEET).expect("demo fleet");
    LocalServer::start(ServerConfig {
        spec,
        store: warroom::store::open("sqlite::memory:")
            .await
            .expect("store"),
        tokens: Tokens::new(vec![TokenEntry {
            name: "test".into(),
            role: AccessRole::Viewer,
            token: token.into(),
        }]),
        source: WorldSource::Simulated {
            seed: 1,
            speed: 10.0,
            scenario: None,
        },
    })
    .await
    .expect("server")
}

#[tokio::test]
async fn the_console_fails_over_to_the_second_replica() {
    let token = "replica-test-token-0123456789";
    let first = demo_server(token).await;
    let second = demo_server(token).await;
    let (first_url, second_url) = (first.url(), second.url());
    let mut session = session(
        vec![first_url.clone(), second_url.clone()],
        Some(token.into()),
    );
    session.dispatch(Msg::Start);
    pump_until(&mut session, Duration::from_secs(10), |s, _| {
        s.model.data.link.state == LinkState::Live
            && s.model.data.fleet.loaded
            && s.model.data.link.url.as_deref() == Some(&first_url)
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "never connected to the first replica: {:?}",
            session.model.data.link
        )
    });
    assert_eq!(session.model.data.fleet.topology.servers.len(), 19);

    first.stop().await;
    let stopped_at = chrono::Utc::now();
    pump_until(&mut session, Duration::from_secs(15), |s, _| {
        s.model.data.link.state == LinkState::Live
            && s.model.data.link.url.as_deref() == Some(&second_url)
            && s.model
                .data
                .link
                .last_data_at
                .is_some_and(|at| at > stopped_at)
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "did not move to the second replica: {:?}",
            session.model.data.link
        )
    });
    assert!(
        session.model.banner().is_none(),
        "{:?}",
        session.model.banner()
    );
    assert!(!session.model.is_stale());
    second.stop().await;
}

#[tokio::test]
async fn x_writes_the_incident_postmortem_and_shows_where() {
    let token = "export-test-token-0123456789";
    let spec = FleetSpec::parse("demo.toml", DEMO_FLEET).expect("demo fleet");
    let server = LocalServer::start(ServerConfig {
        spec,
        store: warroom::store::open("sqlite::memory:")
            .await
            .expect("store"),
        tokens: Tokens::new(vec![TokenEntry {
            name: "ic".into(),
            role: AccessRole::Responder,
            token: token.into(),
        }]),
        source: WorldSource::Simulated {
            seed: 1,
            speed: 10.0,
            scenario: None,
        },
    })
    .await
    .expect("server");
    let client =
        Client::new(client_config(vec![server.url()], Some(token.into()))).expect("client");
    let incident = client
        .create_incident(&warroom::model::NewIncident {
            title: "Sites down behind sw-2".into(),
            severity: warroom::model::Severity::Sev1,
            status: warroom::model::IncidentStatus::Investigating,
            impact: warroom::model::Impact::Major,
            components: Vec::new(),
            started_at: None,
        })
        .await
        .expect("incident");

    let dir = tempfile::tempdir().expect("tempdir");
    let mut session = session(vec![server.url()], Some(token.into()));
    session.model.settings.export_dir = dir.path().join("postmortems");
    session.dispatch(Msg::Start);
    pump_until(&mut session, Duration::from_secs(10), |s, _| {
        s.model.data.incidents.current().is_some()
    })
    .await
    .unwrap_or_else(|_| panic!("the open incident never arrived"));

    session.dispatch(char_key('X'));
    let seen = pump_until(&mut session, Duration::from_secs(10), |_, seen| {
        seen.iter().any(|m| matches!(m, Msg::Exported { .. }))
    })
    .await
    .unwrap_or_else(|seen| panic!("no export result: {seen:?}"));
    let path = seen
        .iter()
        .find_map(|m| match m {
            Msg::Exported { result, .. } => Some(result.clone()),
            _ => None,
        })
        .expect("exported")
        .expect("the draft was written");
    let expected = dir
        .path()
        .join("postmortems")
        .join(format!("incident-{}.md", incident.id));
    assert_eq!(Path::new(&path), expected);
    let text = std::fs::read_to_string(&expected).expect("draft file");
    assert!(
        text.starts_with("Sites down behind sw-2\nIncident Report for Acme Sites\n"),
        "{text}"
    );
    let toast = session
        .model
        .ui
        .toast
        .as_ref()
        .map(|t| t.text.clone())
        .unwrap_or_default();
    assert!(toast.contains(&path), "the path is shown: {toast}");
    server.stop().await;
}
