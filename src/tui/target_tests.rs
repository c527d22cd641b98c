//! The redundancy keys: `V`, `H`, `L`, and `D` when the writer has no replica.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};

use crate::client::StreamItem;
use crate::fleet::Fleet;
use crate::model::{AccessRole, FleetSpec, HealthState, PlanKind, PlanRequest, Topology};
use crate::tui::{Effect, Keymap, Loaded, Model, Msg, Pane, Settings, update};

const API_URL: &str = "http://127.0.0.1:1";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 4, 1, 14, 0, 0).unwrap()
}

/// The demo fleet, all up; `edit` changes it before the console loads it.
fn console(edit: impl FnOnce(&mut Topology)) -> Model {
    let spec = FleetSpec::parse("demo.toml", crate::sim::DEMO_FLEET).expect("demo fleet");
    let mut topology = Fleet::new(&spec, now()).topology().clone();
    for server in &mut topology.servers {
        server.health.state = HealthState::Up;
    }
    edit(&mut topology);
    let settings = Settings {
        api_urls: vec![API_URL.into()],
        ..Settings::default()
    };
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
        Msg::Loaded(Loaded::Topology(Box::new(topology))),
    );
    update(&mut model, Msg::Loaded(Loaded::Role(AccessRole::Commander)));
    model.settle();
    model.ui.focus = Pane::Timeline;
    model
}

fn press(model: &mut Model, key: char) -> Vec<PlanRequest> {
    let effects = update(
        model,
        Msg::Key(KeyEvent {
            code: KeyCode::Char(key),
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }),
    );
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::CreatePlan(request) => Some(request),
            _ => None,
        })
        .collect()
}

#[test]
fn the_redundancy_keys_ask_for_their_plans() {
    for (key, kind) in [
        ('V', PlanKind::DemoteSpares),
        ('H', PlanKind::RestoreCache),
        ('L', PlanKind::RestoreDbReplica),
        ('D', PlanKind::DbFailover),
    ] {
        let mut model = console(|_| {});
        let requests = press(&mut model, key);
        assert_eq!(requests.len(), 1, "{key}");
        assert_eq!(
            (requests[0].kind, requests[0].target.as_deref()),
            (kind, None),
            "{key}"
        );
    }
}

#[test]
fn d_without_a_replica_that_is_up_plans_the_replica_rebuild() {
    // After the 2020 failover: db-2 writes, db-1 is out of the cluster.
    let mut model = console(|t| {
        let db = t.database.as_mut().expect("database");
        db.writer = "db-2".into();
        db.replicas.clear();
    });
    let requests = press(&mut model, 'D');
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].kind, PlanKind::RestoreDbReplica);

    // A replica that is down does not count either.
    let mut model = console(|t| {
        t.servers
            .iter_mut()
            .find(|s| s.id == "db-2")
            .expect("db-2")
            .health
            .state = HealthState::Down;
    });
    assert_eq!(press(&mut model, 'D')[0].kind, PlanKind::RestoreDbReplica);
}
