//! The recommended plan and the autopilot in the console: the row above
//! the hints, the key that opens the plan on screen, the header's autopilot
//! badge and the key that pauses it, and an orchestrator that has neither
//! route (404). Driven through `update`, one test against a real socket.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use crossterm::event::KeyCode;

use crate::support::actions::*;
use crate::support::demo_model::{demo_model, render, screen_text};
use warroom::client::{Client, StreamItem, StreamSettings};
use warroom::model::{
    AccessRole, AlertKind, AlertSeverity, AutopilotBudget, AutopilotMode, AutopilotStatus,
    AutopilotVerb, EntryKind, Event, EventPayload, PlanKind, PlanOptions, PlanRequest,
    Recommendation, Recommendations, Source, TimelineEntry, Visibility,
};
use warroom::tui::{
    Effect, Keymap, Loaded, Model, Msg, Override, Request, Session, Settings, Theme, WriteError,
    Wrote, client_config, update,
};

/// A commander's console on the demo fleet (`model` is taken by the locals).
fn commander() -> Model {
    crate::support::actions::model()
}

fn recommendation(kind: PlanKind, target: Option<&str>, reason: &str) -> Recommendation {
    Recommendation {
        request: PlanRequest {
            kind,
            target: target.map(str::to_string),
            options: PlanOptions::default(),
        },
        reason: reason.into(),
        alert_kind: Some(AlertKind::ServerDown),
        alerts: vec!["server_down:app-04".into()],
        since: now() - TimeDelta::minutes(37),
    }
}

fn evacuate_app_04() -> Recommendation {
    recommendation(
        PlanKind::EvacuateServer,
        Some("app-04"),
        "app-04 is down with 17 sites on it: evacuate it to the failover servers",
    )
}

fn evacuate_sw_2() -> Recommendation {
    recommendation(
        PlanKind::EvacuateSwitch,
        Some("sw-2"),
        "sw-2 is suspect (app-04 down, app-05 flapping): evacuate every server behind it",
    )
}

fn recommendations(list: Vec<Recommendation>) -> Msg {
    Msg::Loaded(Loaded::Recommendations(Some(Recommendations {
        topology_version: 100,
        recommendations: list,
    })))
}

/// The answer arrives and a frame is drawn (`settle` is what the event
/// loop calls before drawing).
fn shown(model: &mut Model, list: Vec<Recommendation>) {
    update(model, recommendations(list));
    model.settle();
}

fn autopilot(mode: AutopilotMode, paused_by: Option<&str>) -> AutopilotStatus {
    AutopilotStatus {
        mode,
        kinds: vec![AlertKind::ServerDown, AlertKind::SwitchSuspect],
        paused_by: paused_by.map(str::to_string),
        paused_at: paused_by.map(|_| now()),
        blocked: Vec::new(),
        hour: AutopilotBudget {
            servers: 0,
            sites: 0,
            max_servers: 2,
            max_sites: 40,
        },
        decisions: Vec::new(),
    }
}

fn autopilot_loaded(model: &mut Model, status: Option<AutopilotStatus>) {
    update(model, Msg::Loaded(Loaded::Autopilot(status.map(Box::new))));
}

fn fetches(effects: &[Effect], request: Request) -> usize {
    effects
        .iter()
        .filter(|e| **e == Effect::Fetch(request))
        .count()
}

fn header(model: &Model) -> String {
    screen(model).lines().take(2).collect::<Vec<_>>().join("\n")
}

/// The row above the footer.
fn advice_row(model: &Model) -> String {
    let text = screen(model);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len() - 2].to_string()
}

#[test]
fn the_top_recommendation_shows_above_the_hints_with_its_key() {
    let mut model = demo_model(120, 40);
    autopilot_loaded(&mut model, Some(autopilot(AutopilotMode::DryRun, None)));
    let before = screen_text(&render(&model, &Theme::default(), 120, 40));
    assert!(!before.contains('▶'), "nothing before an answer:\n{before}");

    update(
        &mut model,
        recommendations(vec![evacuate_sw_2(), evacuate_app_04()]),
    );
    model.settle();
    let text = screen_text(&render(&model, &Theme::default(), 120, 40));
    let rows: Vec<&str> = text.lines().collect();
    let row = rows[rows.len() - 2];
    assert!(
        row.starts_with("▶ sw-2 is suspect (app-04 down, app-05 flapping)"),
        "the best one, above the hints: {row}"
    );
    assert!(row.trim_end().ends_with("[F run]"), "{row}");
    assert!(
        !text.contains("app-04 is down with 17 sites"),
        "only the top one"
    );
    insta::assert_snapshot!("recommendation_120x40", text);

    // None any more: the row goes, the panes take it back.
    update(&mut model, recommendations(Vec::new()));
    model.settle();
    let text = screen_text(&render(&model, &Theme::default(), 120, 40));
    assert_eq!(text, before);
}

#[test]
fn a_long_or_hostile_reason_is_escaped_and_cut_to_the_width() {
    let mut model = demo_model(80, 24);
    let mut hostile = evacuate_sw_2();
    hostile.reason = format!(
        "sw-2\x1b]0;pwned\x07 is suspect\nand {}",
        "app-0x is flapping, ".repeat(10)
    );
    shown(&mut model, vec![hostile]);
    let terminal = render(&model, &Theme::default(), 80, 24);
    let text = screen_text(&terminal);
    let rows: Vec<&str> = text.lines().collect();
    let row = rows[rows.len() - 2];
    assert!(
        row.starts_with("▶ sw-2\\x1b]0;pwned\\x07 is suspect and app-0x"),
        "escaped, on one row: {row}"
    );
    assert!(row.contains("…  [F run]"), "cut before the key: {row}");
    assert_eq!(row.chars().count(), 80);
    insta::assert_snapshot!("recommendation_80x24", text);
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content
            .iter()
            .all(|cell| !cell.symbol().chars().any(char::is_control))
    );
}

#[test]
fn the_key_plans_the_recommendation_and_runs_it_through_the_usual_modal() {
    let mut model = model();
    shown(&mut model, vec![evacuate_app_04()]);
    let effects = press(&mut model, KeyCode::Char('F'));
    assert_eq!(plan_requests(&effects), vec![evacuate_app_04().request]);
    assert!(modal_open(&model));

    // The usual preview: Enter executes, `o` takes an offer.
    plan_made(&mut model, evacuation_plan());
    assert!(screen(&model).contains("Evacuate app-04 (3 sites)"));
    let (plan_id, _, _) =
        execute_of(&press(&mut model, KeyCode::Enter)).expect("Enter executes the plan");
    assert_eq!(plan_id, "plan-1");
}

#[test]
fn a_plan_that_needs_the_target_typed_still_asks_for_it() {
    let mut model = model();
    let failover = recommendation(
        PlanKind::DbFailover,
        Some("db-2"),
        "the writer db-1 is down: fail over to db-2",
    );
    shown(&mut model, vec![failover.clone()]);
    let effects = press(&mut model, KeyCode::Char('F'));
    assert_eq!(plan_requests(&effects), vec![failover.request]);
    plan_made(&mut model, forced_db_plan());
    assert!(execute_of(&press(&mut model, KeyCode::Enter)).is_none());
    assert!(screen(&model).contains("Type db-2 to confirm"));
    type_text(&mut model, "db-2");
    let (_, request, _) = execute_of(&press(&mut model, KeyCode::Enter)).expect("executes");
    assert_eq!(request.confirm.as_deref(), Some("db-2"));
}

#[test]
fn the_key_plans_what_was_on_screen_not_a_newer_answer() {
    let mut model = model();
    shown(&mut model, vec![evacuate_app_04()]);
    // A newer answer arrives in the same batch as the key, before a frame.
    update(&mut model, recommendations(vec![evacuate_sw_2()]));
    let effects = press(&mut model, KeyCode::Char('F'));
    assert_eq!(plan_requests(&effects), vec![evacuate_app_04().request]);

    // Once drawn, the newer one is on screen and is the one planned.
    press(&mut model, KeyCode::Esc);
    assert!(!modal_open(&model));
    model.settle();
    assert!(advice_row(&model).contains("sw-2 is suspect"));
    let effects = press(&mut model, KeyCode::Char('F'));
    assert_eq!(plan_requests(&effects), vec![evacuate_sw_2().request]);
}

#[test]
fn with_nothing_recommended_the_key_says_so() {
    let mut model = model();
    shown(&mut model, Vec::new());
    let effects = press(&mut model, KeyCode::Char('F'));
    assert!(plan_requests(&effects).is_empty());
    assert!(!modal_open(&model));
    assert_eq!(toast(&model), "nothing is recommended now");
    assert!(!screen(&model).contains('▶'));
}

#[test]
fn an_api_without_recommendations_shows_nothing_and_is_not_asked_after_events() {
    let mut model = model();
    update(&mut model, Msg::Loaded(Loaded::Recommendations(None)));
    autopilot_loaded(&mut model, None);
    model.settle();
    let text = screen(&model);
    assert!(!text.contains('▶') && !text.contains("AUTOPILOT"), "{text}");
    assert!(
        model.ui.toast.is_none(),
        "nothing alarming: {:?}",
        model.ui.toast
    );

    let effects = press(&mut model, KeyCode::Char('F'));
    assert!(plan_requests(&effects).is_empty());
    assert_eq!(toast(&model), "this orchestrator makes no recommendations");
    assert!(!model.ui.toast.as_ref().is_some_and(|t| t.error));

    // Events do not ask an API that has no such route...
    let effects = update(&mut model, alert_event(50));
    assert_eq!(fetches(&effects, Request::Recommendations), 0);
    assert_eq!(fetches(&effects, Request::Autopilot), 0);
    let effects = update(&mut model, Msg::Tick(now() + TimeDelta::seconds(30)));
    assert_eq!(fetches(&effects, Request::Recommendations), 0);
    // ...but a refresh does: it may have been upgraded.
    let effects = press(&mut model, KeyCode::Char('r'));
    assert_eq!(fetches(&effects, Request::Recommendations), 1);
    assert_eq!(fetches(&effects, Request::Autopilot), 1);
}

fn alert_event(seq: i64) -> Msg {
    let alert = warroom::model::Alert {
        id: format!("server_down:app-0{seq}"),
        kind: AlertKind::ServerDown,
        severity: AlertSeverity::Critical,
        target: format!("app-0{seq}"),
        message: "down".into(),
        opened_at: now(),
        resolved_at: None,
        acknowledged: None,
        silenced: None,
        runbook: None,
    };
    Msg::Stream(StreamItem::Event(Box::new(Event {
        seq,
        at: now(),
        payload: EventPayload::Alert(alert),
    })))
}

#[test]
fn the_console_asks_at_start_and_after_events_at_most_once_a_second() {
    let mut model = Model::new(
        Settings {
            api_urls: vec![API_URL.into()],
            ..Settings::default()
        },
        Keymap::default(),
        false,
        false,
        now(),
    );
    let effects = update(&mut model, Msg::Start);
    assert_eq!(fetches(&effects, Request::Recommendations), 1);
    assert_eq!(fetches(&effects, Request::Autopilot), 1);

    // Events within the same second: the first asks, the rest wait.
    let effects = update(&mut model, alert_event(1));
    assert_eq!(fetches(&effects, Request::Recommendations), 0, "just asked");
    let effects = update(&mut model, Msg::Tick(now() + TimeDelta::seconds(1)));
    assert_eq!(fetches(&effects, Request::Recommendations), 1);
    assert_eq!(
        fetches(&effects, Request::Autopilot),
        1,
        "refreshed with them"
    );
    let effects = update(&mut model, alert_event(2));
    assert_eq!(fetches(&effects, Request::Recommendations), 0);
    let effects = update(&mut model, alert_event(3));
    assert_eq!(fetches(&effects, Request::Recommendations), 0);
    let effects = update(&mut model, Msg::Tick(now() + TimeDelta::seconds(2)));
    assert_eq!(
        fetches(&effects, Request::Recommendations),
        1,
        "one ask for the burst"
    );
    let effects = update(&mut model, Msg::Tick(now() + TimeDelta::seconds(3)));
    assert_eq!(
        fetches(&effects, Request::Recommendations),
        0,
        "nothing new"
    );
    let effects = update(&mut model, alert_event(4));
    assert_eq!(
        fetches(&effects, Request::Recommendations),
        1,
        "a second later an event asks at once"
    );
}

#[test]
fn read_only_viewers_and_responders_see_the_key_disabled() {
    for (settings_read_only, role, label) in [
        (true, AccessRole::Commander, "[F read-only]"),
        (false, AccessRole::Viewer, "[F viewer token]"),
        (false, AccessRole::Responder, "[F commander only]"),
    ] {
        let mut model = model_with(Settings {
            api_urls: vec![API_URL.into()],
            read_only: settings_read_only,
            ..Settings::default()
        });
        update(&mut model, Msg::Loaded(Loaded::Role(role)));
        shown(&mut model, vec![evacuate_app_04()]);
        let row = advice_row(&model);
        assert!(row.contains("app-04 is down"), "still shown: {row}");
        assert!(row.trim_end().ends_with(label), "{label}: {row}");
        let effects = press(&mut model, KeyCode::Char('F'));
        assert!(plan_requests(&effects).is_empty(), "{label}");
        assert!(!modal_open(&model), "{label}");
        assert!(
            toast(&model).starts_with("recommended plan: not allowed"),
            "{label}: {}",
            toast(&model)
        );
    }
}

#[test]
fn the_key_can_be_rebound() {
    let keymap = Keymap::with_overrides(&[
        Override::new(None, "x", "recommended_plan"),
        Override::new(None, "F", "unbound"),
    ])
    .expect("valid keymap");
    let mut model = model();
    model.keymap = keymap;
    shown(&mut model, vec![evacuate_app_04()]);
    assert!(advice_row(&model).trim_end().ends_with("[x run]"));
    assert!(plan_requests(&press(&mut model, KeyCode::Char('F'))).is_empty());
    let effects = press(&mut model, KeyCode::Char('x'));
    assert_eq!(plan_requests(&effects), vec![evacuate_app_04().request]);
}

#[test]
fn the_header_shows_the_autopilot_when_it_is_on() {
    let mut model = model();
    for (status, expected) in [
        (
            Some(autopilot(AutopilotMode::Active, None)),
            Some(" AUTOPILOT  Z pause"),
        ),
        (
            Some(autopilot(AutopilotMode::DryRun, None)),
            Some(" AUTOPILOT dry-run  Z pause"),
        ),
        (
            Some(autopilot(AutopilotMode::Paused, Some("dana"))),
            Some(" AUTOPILOT PAUSED by dana  Z resume"),
        ),
        (
            Some(autopilot(AutopilotMode::Paused, Some("eve\x1b[2J"))),
            Some(" AUTOPILOT PAUSED by eve\\x1b[2J "),
        ),
        (Some(autopilot(AutopilotMode::Off, None)), None),
        (None, None),
    ] {
        autopilot_loaded(&mut model, status.clone());
        let header = header(&model);
        match expected {
            Some(text) => assert!(header.contains(text), "{text:?} in\n{header}"),
            None => assert!(!header.contains("AUTOPILOT"), "{status:?}:\n{header}"),
        }
    }

    // Someone without a commander's token sees the mode, not the key.
    model.data.role = Some(AccessRole::Responder);
    autopilot_loaded(&mut model, Some(autopilot(AutopilotMode::Active, None)));
    let header = header(&model);
    assert!(header.contains(" AUTOPILOT "), "{header}");
    assert!(!header.contains("Z pause"), "{header}");
}

#[test]
fn the_autopilot_key_pauses_and_resumes_for_a_commander() {
    let mut model = model();
    autopilot_loaded(&mut model, Some(autopilot(AutopilotMode::Active, None)));
    let effects = press(&mut model, KeyCode::Char('Z'));
    assert_eq!(
        effects,
        vec![Effect::CommandAutopilot(AutopilotVerb::Pause)]
    );
    assert_eq!(toast(&model), "pausing the autopilot…");

    update(
        &mut model,
        Msg::Wrote(Wrote::Autopilot {
            verb: AutopilotVerb::Pause,
            result: Ok(Box::new(autopilot(AutopilotMode::Paused, Some("test")))),
        }),
    );
    assert!(
        toast(&model).starts_with("autopilot paused"),
        "{}",
        toast(&model)
    );
    assert!(header(&model).contains("AUTOPILOT PAUSED by test  Z resume"));

    let effects = press(&mut model, KeyCode::Char('Z'));
    assert_eq!(
        effects,
        vec![Effect::CommandAutopilot(AutopilotVerb::Resume)]
    );
    update(
        &mut model,
        Msg::Wrote(Wrote::Autopilot {
            verb: AutopilotVerb::Resume,
            result: Err(WriteError {
                status: Some(409),
                code: None,
                message: "the autopilot is not paused".into(),
            }),
        }),
    );
    assert_eq!(
        toast(&model),
        "the autopilot was not resumed: the autopilot is not paused"
    );
    assert!(model.ui.toast.as_ref().is_some_and(|t| t.error));
}

#[test]
fn the_autopilot_key_is_refused_without_a_commanders_token_or_an_autopilot() {
    for role in [AccessRole::Viewer, AccessRole::Responder] {
        let mut model = commander();
        update(&mut model, Msg::Loaded(Loaded::Role(role)));
        autopilot_loaded(&mut model, Some(autopilot(AutopilotMode::Active, None)));
        let effects = press(&mut model, KeyCode::Char('Z'));
        assert!(effects.is_empty(), "{role:?}: {effects:?}");
        assert!(
            toast(&model).starts_with("pausing the autopilot: not allowed"),
            "{role:?}: {}",
            toast(&model)
        );
    }
    let mut model = model_with(Settings {
        api_urls: vec![API_URL.into()],
        read_only: true,
        ..Settings::default()
    });
    autopilot_loaded(
        &mut model,
        Some(autopilot(AutopilotMode::Paused, Some("x"))),
    );
    assert!(press(&mut model, KeyCode::Char('Z')).is_empty());
    assert!(toast(&model).starts_with("resuming the autopilot: not allowed"));

    let mut model = commander();
    autopilot_loaded(&mut model, Some(autopilot(AutopilotMode::Off, None)));
    assert!(press(&mut model, KeyCode::Char('Z')).is_empty());
    assert_eq!(
        toast(&model),
        "the autopilot is off: there is nothing to pause"
    );
    autopilot_loaded(&mut model, None);
    assert!(press(&mut model, KeyCode::Char('Z')).is_empty());
    assert_eq!(toast(&model), "this orchestrator has no autopilot");
}

#[test]
fn autopilot_entries_say_so_in_the_timeline() {
    let mut model = demo_model(120, 40);
    let entry = |id: i64, source: Source, author: &str, body: &str| TimelineEntry {
        id,
        incident_id: 7,
        kind: EntryKind::Action,
        occurred_at: now(),
        recorded_at: now(),
        author: author.into(),
        body: body.into(),
        visibility: Visibility::Internal,
        status: None,
        marker: None,
        starred: false,
        source,
        version: 1,
        edited_at: None,
        edited_by: None,
        deleted_at: None,
    };
    let event = |seq: i64, entry: TimelineEntry| {
        Msg::Stream(StreamItem::Event(Box::new(Event {
            seq,
            at: now(),
            payload: EventPayload::Timeline(entry),
        })))
    };
    // The last ask (at connecting) is more than a second old.
    update(&mut model, Msg::Tick(now() + TimeDelta::seconds(2)));
    let effects = update(
        &mut model,
        event(
            1000,
            entry(
                5,
                Source::Autopilot,
                "autopilot",
                "evacuated app-04: 17 sites moved",
            ),
        ),
    );
    assert_eq!(
        fetches(&effects, Request::Autopilot),
        1,
        "an automatic decision asks for the autopilot's status again"
    );
    let effects = update(
        &mut model,
        event(
            1001,
            entry(6, Source::Action, "dana", "failback of app-04 started"),
        ),
    );
    assert_eq!(fetches(&effects, Request::Autopilot), 0);
    assert!(!model.data.advice.due);
    let text = screen_text(&render(&model, &Theme::default(), 120, 40));
    assert!(
        text.contains("autopilot: evacuated app-04"),
        "the autopilot's entry says who: \n{text}"
    );
    assert!(text.contains("dana: failback of app-04"), "{text}");
}

/// An older orchestrator: every route answers 404 as a missing route does.
async fn older_orchestrator() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, axum::Router::new()).await;
    });
    (url, task)
}

#[tokio::test]
async fn an_orchestrator_without_the_routes_answers_nothing_to_show() {
    let (url, server) = older_orchestrator().await;
    let client = Client::new(client_config(vec![url.clone()], None)).expect("client");
    let settings = Settings {
        api_urls: vec![url],
        ..Settings::default()
    };
    let model = Model::new(
        settings,
        Keymap::default(),
        false,
        false,
        chrono::Utc::now(),
    );
    let mut session = Session::new(model, client, StreamSettings::default());
    session.dispatch(Msg::Start);
    let deadline = Instant::now() + Duration::from_secs(10);
    let (mut recommendations, mut autopilot) = (None, None);
    while recommendations.is_none() || autopilot.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, session.next_msg())
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no answer for both: {recommendations:?} {autopilot:?}"));
        match &msg {
            Msg::Loaded(Loaded::Recommendations(answer)) => {
                recommendations = Some(answer.is_none())
            }
            Msg::Loaded(Loaded::Autopilot(answer)) => autopilot = Some(answer.is_none()),
            Msg::Failed {
                request: request @ (Request::Recommendations | Request::Autopilot),
                error,
                ..
            } => panic!("a 404 for {request:?} is not an error: {error}"),
            _ => {}
        }
        session.dispatch(msg);
    }
    assert_eq!(recommendations, Some(true), "absent, not empty");
    assert_eq!(autopilot, Some(true), "absent, not off");
    assert!(session.model.data.advice.absent);
    assert!(session.model.data.advice.autopilot_absent);
    server.abort();
}
