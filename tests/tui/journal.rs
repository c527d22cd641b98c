//! The offline journal through the console itself: notes typed into the
//! editor while the API is down are fsynced to the journal and shown as
//! pending; the console is restarted; when the API is back on the same
//! address, exactly those entries arrive, once each, in order.

use std::path::Path;
use std::time::Duration;

use crate::support::client::*;
use crate::support::new_incident::*;
use crate::support::serve::*;
use crate::support::serve_args::*;
use crate::support::tokens::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use warroom::client::{Client, StreamSettings};
use warroom::model::Source;
use warroom::tui::{Keymap, Model, Msg, Session, Settings, client_config};

fn demo_fleet() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fleets/demo.toml")
}

fn console(url: &str, journal_dir: &Path) -> Session {
    let client = Client::new(client_config(
        vec![url.to_string()],
        Some(RESPONDER.to_string()),
    ))
    .expect("client");
    let settings = Settings {
        api_urls: vec![url.to_string()],
        journal_dir: Some(journal_dir.to_path_buf()),
        ..Settings::default()
    };
    let mut model = Model::new(
        settings,
        Keymap::default(),
        false,
        false,
        chrono::Utc::now(),
    );
    model.screen = (120, 40);
    let stream = StreamSettings {
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(300),
        idle_timeout: Duration::from_secs(25),
    };
    Session::new(model, client, stream)
}

fn press(session: &mut Session, code: KeyCode, modifiers: KeyModifiers) {
    session.dispatch(Msg::Key(KeyEvent::new(code, modifiers)));
}

fn type_text(session: &mut Session, text: &str) {
    for c in text.chars() {
        if c == '\n' {
            press(session, KeyCode::Enter, KeyModifiers::NONE);
        } else {
            press(session, KeyCode::Char(c), KeyModifiers::NONE);
        }
    }
}

/// Apply messages from the API side, and the console's clock ticks (which
/// retry the journal), until `done` holds, or fail at the deadline.
async fn pump_until(
    session: &mut Session,
    within: Duration,
    what: &str,
    done: impl Fn(&Model) -> bool,
) {
    let deadline = tokio::time::Instant::now() + within;
    let mut clock = tokio::time::interval(Duration::from_millis(200));
    while !done(&session.model) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::select! {
            msg = session.next_msg() => if let Some(msg) = msg { session.dispatch(msg); },
            _ = clock.tick() => { session.dispatch(Msg::Tick(chrono::Utc::now())); }
        }
    }
}

#[tokio::test]
async fn notes_typed_while_the_api_is_down_arrive_once_in_order_after_a_console_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = dir.path().join("tokens.toml");
    std::fs::write(&tokens, tokens_file_text()).expect("tokens");
    let db = dir.path().join("warroom.db");
    let journal_dir = dir.path().join("journal");

    let mut first = spawn_serve(dir.path(), &serve_args(&demo_fleet(), &db, &tokens, &[])).await;
    let url = first.url.clone();
    let client = client_for(&url, Some(RESPONDER));
    let incident = client
        .create_incident(&incident("journal through the console"))
        .await
        .expect("incident");

    // The console knows the incident, then the API goes away.
    let mut session = console(&url, &journal_dir);
    session.dispatch(Msg::Start);
    pump_until(&mut session, Duration::from_secs(10), "the incident", |m| {
        m.data
            .incidents
            .current()
            .is_some_and(|i| i.id == incident.id)
    })
    .await;
    first.child.kill().await.expect("kill serve");
    let _ = first.child.wait().await;

    for i in 0..50 {
        press(&mut session, KeyCode::Char('n'), KeyModifiers::NONE);
        type_text(&mut session, &format!("offline note {i}\nline two"));
        press(&mut session, KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert!(
            session.model.ui.overlay.is_none(),
            "note {i}: the editor closes on save"
        );
    }
    pump_until(
        &mut session,
        Duration::from_secs(20),
        "50 pending writes",
        |m| m.data.pending.len() == 50 && m.unsaved.is_empty(),
    )
    .await;
    assert!(
        session
            .model
            .data
            .incidents
            .timeline
            .entries
            .iter()
            .all(|e| e.source != Source::User),
        "nothing reached the API"
    );
    drop(session); // the console exits

    // The console starts again, with the API still down: the writes are pending.
    let mut session = console(&url, &journal_dir);
    pump_until(
        &mut session,
        Duration::from_secs(10),
        "the journal's pending writes",
        |m| m.data.pending.len() == 50,
    )
    .await;

    // The API comes back on the same address and database.
    let args = serve_args_at(&url, &demo_fleet(), &db, &tokens, &[]);
    let _second = spawn_serve(dir.path(), &args).await;
    session.dispatch(Msg::Start);
    pump_until(
        &mut session,
        Duration::from_secs(30),
        "the journal to drain",
        |m| m.data.pending.is_empty(),
    )
    .await;

    let timeline = client.timeline(incident.id).await.expect("timeline");
    let bodies: Vec<String> = timeline
        .entries
        .iter()
        .filter(|e| e.source == Source::User)
        .map(|e| e.body.clone())
        .collect();
    let expected: Vec<String> = (0..50)
        .map(|i| format!("offline note {i}\nline two"))
        .collect();
    assert_eq!(
        bodies, expected,
        "exactly the 50 notes, once each, in order"
    );

    // And a third start finds nothing left to send.
    drop(session);
    let mut session = console(&url, &journal_dir);
    session.dispatch(Msg::Start);
    pump_until(
        &mut session,
        Duration::from_secs(10),
        "the incident again",
        |m| m.data.incidents.current().is_some(),
    )
    .await;
    assert!(session.model.data.pending.is_empty());
    let again = client.timeline(incident.id).await.expect("timeline");
    assert_eq!(
        again.entries.len(),
        timeline.entries.len(),
        "nothing posted twice"
    );
}
