//! Fixtures for the failover action tests: a commander's console on the
//! demo fleet (app-04 down), keys, plans, actions and the API's answers.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use warroom::client::StreamItem;
use warroom::fleet::Fleet;
use warroom::model::{
    Action, ActionState, Admin, Event, EventPayload, ExecuteRequest, FleetSpec, Health,
    HealthState, Placement, Plan, PlanKind, PlanOptions, PlanRequest, PlanStep, StepOp,
    StepProgress, StepState, Topology, Unplaceable,
};
use warroom::sim::DEMO_FLEET;
use warroom::tui::{
    Effect, Keymap, Loaded, Model, Msg, Overlay, Pane, ServerRow, Settings, Theme, WriteError,
    Wrote, update, view,
};

pub const API_URL: &str = "http://127.0.0.1:7700";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2017, 9, 11, 23, 52, 0)
        .single()
        .expect("valid time")
}

pub fn health(state: HealthState) -> Health {
    Health {
        state,
        since: now() - TimeDelta::minutes(37),
        latency_ms: (state == HealthState::Up).then_some(20.0),
        error_rate: if state == HealthState::Up { 0.0 } else { 1.0 },
        transitions: 0,
    }
}

/// The demo fleet with app-04 and its sites down.
pub fn topology() -> Topology {
    let spec = FleetSpec::parse("demo.toml", DEMO_FLEET).expect("demo fleet");
    let mut topology = Fleet::new(&spec, now() - TimeDelta::hours(2))
        .topology()
        .clone();
    topology.version = 100;
    for server in &mut topology.servers {
        server.health = health(if server.id == "app-04" {
            HealthState::Down
        } else {
            HealthState::Up
        });
    }
    for site in &mut topology.sites {
        let down = site.server == "app-04";
        site.health = health(if down {
            HealthState::Down
        } else {
            HealthState::Up
        });
        site.down_since = down.then(|| now() - TimeDelta::minutes(37));
    }
    topology
}

/// A commander's console with the fleet loaded, servers pane focused.
pub fn model() -> Model {
    model_with(Settings {
        api_urls: vec![API_URL.into()],
        ..Settings::default()
    })
}

pub fn model_with(settings: Settings) -> Model {
    let mut model = Model::new(settings, Keymap::default(), false, false, now());
    update(&mut model, Msg::Resize(120, 40));
    update(&mut model, Msg::Tick(now()));
    update(
        &mut model,
        Msg::Stream(StreamItem::Connected {
            url: API_URL.into(),
            resumed: false,
        }),
    );
    update(
        &mut model,
        Msg::Loaded(Loaded::Topology(Box::new(topology()))),
    );
    update(
        &mut model,
        Msg::Loaded(Loaded::Role(warroom::model::AccessRole::Commander)),
    );
    model.settle();
    model
}

pub fn press(model: &mut Model, code: KeyCode) -> Vec<Effect> {
    update(
        model,
        Msg::Key(KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }),
    )
}

pub fn type_text(model: &mut Model, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(model, KeyCode::Char(c)))
        .collect()
}

pub fn select_server(model: &mut Model, id: &str) {
    let index = model.data.fleet.server_position(id).expect("server exists");
    let row = model
        .data
        .fleet
        .server_rows
        .iter()
        .position(|r| *r == ServerRow::Server(index))
        .expect("server row");
    model.ui.focus = Pane::Servers;
    model.ui.servers.selected = row;
}

pub fn select_switch(model: &mut Model, id: &str) {
    let index = model
        .data
        .fleet
        .topology
        .switches
        .iter()
        .position(|s| s.id == id)
        .expect("switch exists");
    let row = model
        .data
        .fleet
        .server_rows
        .iter()
        .position(|r| *r == ServerRow::Switch(Some(index)))
        .expect("switch row");
    model.ui.focus = Pane::Servers;
    model.ui.servers.selected = row;
}

pub fn screen(model: &Model) -> String {
    let theme = Theme::builtin("default").expect("default theme");
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    terminal
        .draw(|frame| view::draw(frame, model, &theme))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The bottom row, where the footer shows the running action.
pub fn footer_row(model: &Model) -> String {
    screen(model).lines().last().unwrap_or_default().to_string()
}

pub fn toast(model: &Model) -> String {
    model
        .ui
        .toast
        .as_ref()
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

pub fn plan_requests(effects: &[Effect]) -> Vec<PlanRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::CreatePlan(request) => Some(request.clone()),
            _ => None,
        })
        .collect()
}

/// The one `Execute` among `effects`: plan id, request, key.
pub fn execute_of(effects: &[Effect]) -> Option<(String, ExecuteRequest, String)> {
    let mut found = effects.iter().filter_map(|e| match e {
        Effect::Execute { plan, request, key } => {
            Some((plan.id.clone(), request.clone(), key.clone()))
        }
        _ => None,
    });
    let first = found.next();
    assert!(found.next().is_none(), "one key press executes once");
    first
}

pub fn step(op: StepOp, description: &str) -> PlanStep {
    PlanStep {
        op,
        description: description.into(),
        deadline_s: 60,
    }
}

pub fn move_step(site: &str, to: &str) -> PlanStep {
    step(
        StepOp::MoveSite {
            site: site.into(),
            from: "app-04".into(),
            to: to.into(),
        },
        &format!("move {site} from app-04 to {to}"),
    )
}

/// An evacuation of app-04 that places two sites and cannot place a third.
pub fn evacuation_plan() -> Plan {
    Plan {
        id: "plan-1".into(),
        kind: PlanKind::EvacuateServer,
        target: Some("app-04".into()),
        summary: "Evacuate app-04 (3 sites): 2 onto fo-1, fo-2, 1 cannot be placed.".into(),
        steps: vec![
            step(
                StepOp::SetAdmin {
                    server: "app-04".into(),
                    admin: Admin::Drain,
                },
                "drain app-04 so that nothing new lands on it",
            ),
            move_step("site-031", "fo-1"),
            move_step("site-032", "fo-2"),
        ],
        placements: vec![
            Placement {
                site: "site-031".into(),
                from: "app-04".into(),
                to: "fo-1".into(),
            },
            Placement {
                site: "site-032".into(),
                from: "app-04".into(),
                to: "fo-2".into(),
            },
        ],
        unplaceable: vec![Unplaceable {
            site: "site-033".into(),
            from: "app-04".into(),
            reason: "no failover capacity left: 0 free slots for 1 site".into(),
        }],
        warnings: vec![
            "switch sw-2 is suspect: evacuating app-04 alone leaves app-05 behind it".into(),
        ],
        risk: None,
        confirm: None,
        offers: vec![PlanRequest {
            kind: PlanKind::PromoteSpare,
            target: Some("app-07".into()),
            options: PlanOptions::default(),
        }],
        scope: "switch:sw-2".into(),
        topology_version: 100,
        created_at: now(),
        expires_at: now() + TimeDelta::minutes(2),
    }
}

/// A forced database failover to db-2: it needs "db-2" typed.
pub fn forced_db_plan() -> Plan {
    Plan {
        id: "plan-db".into(),
        kind: PlanKind::DbFailover,
        target: Some("db-2".into()),
        summary: "Force a database failover from db-1 to db-2.".into(),
        steps: vec![step(
            StepOp::DbFailover {
                from: "db-1".into(),
                to: "db-2".into(),
                forced: true,
            },
            "force db-2 to become the writer without a handover from db-1",
        )],
        placements: Vec::new(),
        unplaceable: Vec::new(),
        warnings: Vec::new(),
        risk: Some(
            "the writer db-1 is down: transactions not yet replicated to db-2 may be lost".into(),
        ),
        confirm: Some("db-2".into()),
        offers: Vec::new(),
        scope: "database".into(),
        topology_version: 100,
        created_at: now(),
        expires_at: now() + TimeDelta::minutes(2),
    }
}

pub fn action_for(plan: &Plan, id: &str, state: ActionState, steps: &[StepState]) -> Action {
    Action {
        id: id.into(),
        plan_id: plan.id.clone(),
        kind: plan.kind,
        target: plan.target.clone(),
        summary: plan.summary.clone(),
        state,
        steps: plan
            .steps
            .iter()
            .zip(steps)
            .enumerate()
            .map(|(i, (s, state))| StepProgress {
                index: i as u32,
                description: s.description.clone(),
                state: *state,
                started_at: None,
                finished_at: None,
                output: None,
                error: (*state == StepState::Failed).then(|| "fo-2 refused the site".into()),
            })
            .collect(),
        started_by: "dana".into(),
        started_at: now(),
        finished_at: state.is_finished().then(|| now() + TimeDelta::seconds(95)),
        incident_id: Some(7),
        follow_up: None,
        undo_of: None,
        automatic: false,
    }
}

pub fn plan_made(model: &mut Model, plan: Plan) -> Vec<Effect> {
    update(model, Msg::Wrote(Wrote::Plan(Ok(Box::new(plan)))))
}

pub fn refused(model: &mut Model, status: Option<u16>, code: &str, message: &str) -> Vec<Effect> {
    let error = WriteError {
        status,
        code: (!code.is_empty()).then(|| code.parse().expect("a known error code")),
        message: message.into(),
    };
    update(model, Msg::Wrote(Wrote::Action(Err(error))))
}

pub fn started(model: &mut Model, action: Action) -> Vec<Effect> {
    update(model, Msg::Wrote(Wrote::Action(Ok(Box::new(action)))))
}

pub fn action_event(model: &mut Model, seq: i64, action: Action) -> Vec<Effect> {
    update(
        model,
        Msg::Stream(StreamItem::Event(Box::new(Event {
            seq,
            at: now(),
            payload: EventPayload::Action(Box::new(action)),
        }))),
    )
}

/// The evacuation plan on screen, executed and accepted as action act-1.
pub fn running_evacuation(model: &mut Model) -> Plan {
    select_server(model, "app-04");
    press(model, KeyCode::Char('E'));
    let plan = evacuation_plan();
    plan_made(model, plan.clone());
    press(model, KeyCode::Enter);
    use StepState::*;
    started(
        model,
        action_for(
            &plan,
            "act-1",
            ActionState::Running,
            &[Pending, Pending, Pending],
        ),
    );
    plan
}

pub fn modal_open(model: &Model) -> bool {
    matches!(model.ui.overlay, Overlay::Plan(_))
}
