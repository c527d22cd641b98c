//! The incident form: typing, fields, choices, what Enter sends (only what
//! changed), Esc asking once, and the answer to its write.

use super::fixtures::{FOLLOWED, World, chars, component, event, incident, key, next, now, t};
use crate::model::{
    Alert, AlertKind, AlertSeverity, ComponentStatus, Impact, IncidentPatch, IncidentState,
    IncidentStatus, NewIncident, Role, Severity,
};
use crate::tui::component::{Ctx, Outcome};
use crate::tui::keys::KeyChord;
use crate::tui::msg::{Effect, WriteError, Wrote};
use crate::tui::overlay::{FormField, IncidentForm, Overlay};

fn press(form: &mut IncidentForm, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
    form.key(chord, event(chord), ctx)
}

fn type_text(form: &mut IncidentForm, text: &str, ctx: &Ctx) {
    for chord in chars(text) {
        let out = press(form, chord, ctx);
        assert_eq!(next(&out), "keep");
        assert!(out.effects.is_empty(), "typing {chord} sent something");
    }
}

fn followed() -> crate::model::Incident {
    incident(FOLLOWED, "Sites down behind sw-2", 0, IncidentState::Open)
}

#[test]
fn plain_characters_type_into_the_title_never_bindings() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::declare();
    // l, h and space cycle choices on other fields; j/k move; q quits the panes.
    type_text(&mut form, "hello jkq world ?", &ctx);
    assert_eq!(form.title, "hello jkq world ?");
    assert_eq!(form.field, FormField::Title);
    assert_eq!(form.severity, Severity::Sev2, "l/h/space changed no choice");
    let _ = press(&mut form, key("backspace"), &ctx);
    let _ = press(&mut form, key("backspace"), &ctx);
    assert_eq!(form.title, "hello jkq world");
    let _ = press(&mut form, key("ctrl-u"), &ctx);
    assert_eq!(form.title, "");
}

#[test]
fn tab_and_shift_tab_move_between_the_fields() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::declare();
    let order = [
        FormField::Severity,
        FormField::Status,
        FormField::Impact,
        FormField::Components,
        FormField::Started,
        FormField::Title,
    ];
    for field in order {
        let _ = press(&mut form, key("tab"), &ctx);
        assert_eq!(form.field, field);
    }
    let _ = press(&mut form, key("shift-tab"), &ctx);
    assert_eq!(form.field, FormField::Started, "shift-tab wraps backwards");

    // Editing skips the status: status updates change it.
    let mut form = IncidentForm::edit(followed());
    let _ = press(&mut form, key("tab"), &ctx);
    let _ = press(&mut form, key("tab"), &ctx);
    assert_eq!(form.field, FormField::Impact);
}

#[test]
fn choice_keys_cycle_the_severity() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::declare();
    let _ = press(&mut form, key("tab"), &ctx);
    for (name, severity) in [
        ("l", Severity::Sev3),
        ("right", Severity::Sev4),
        ("space", Severity::Sev1),
        ("h", Severity::Sev4),
        ("left", Severity::Sev3),
    ] {
        let out = press(&mut form, key(name), &ctx);
        assert_eq!(next(&out), "keep");
        assert_eq!(form.severity, severity, "after {name}");
    }
    assert_eq!(form.title, "", "nothing was typed");
}

#[test]
fn enter_with_an_empty_title_is_refused_in_the_form() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::declare();
    type_text(&mut form, "   ", &ctx);
    let out = press(&mut form, key("enter"), &ctx);
    assert_eq!(next(&out), "keep");
    assert!(out.effects.is_empty());
    assert_eq!(form.error.as_deref(), Some("the title is empty"));
    assert!(!form.sending);
}

#[test]
fn enter_declares_the_incident_as_filled_in() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::declare();
    type_text(&mut form, "  Checkout down  ", &ctx);
    let _ = press(&mut form, key("tab"), &ctx);
    let _ = press(&mut form, key("h"), &ctx); // sev1
    let _ = press(&mut form, key("tab"), &ctx);
    let _ = press(&mut form, key("l"), &ctx); // identified
    let _ = press(&mut form, key("tab"), &ctx);
    let _ = press(&mut form, key("l"), &ctx); // critical
    let _ = press(&mut form, key("tab"), &ctx);
    type_text(&mut form, "api, checkout, api", &ctx);
    let out = press(&mut form, key("enter"), &ctx);
    assert_eq!(next(&out), "keep", "the form waits for the answer");
    assert!(form.sending);
    assert_eq!(
        out.effects,
        vec![Effect::CreateIncident(NewIncident {
            title: "Checkout down".into(),
            severity: Severity::Sev1,
            status: IncidentStatus::Identified,
            impact: Impact::Critical,
            components: vec![
                component("api", ComponentStatus::MajorOutage),
                component("checkout", ComponentStatus::MajorOutage),
            ],
            started_at: Some(now()),
        })]
    );
}

#[test]
fn an_edit_sends_only_the_changed_fields() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::edit(followed());
    let _ = press(&mut form, key("ctrl-u"), &ctx);
    type_text(&mut form, "Sites down behind sw-2 (power)", &ctx);
    let _ = press(&mut form, key("tab"), &ctx);
    let _ = press(&mut form, key("h"), &ctx); // sev1
    let out = press(&mut form, key("enter"), &ctx);
    assert_eq!(
        out.effects,
        vec![Effect::UpdateIncident {
            id: FOLLOWED,
            base_version: 4,
            patch: IncidentPatch {
                title: Some("Sites down behind sw-2 (power)".into()),
                severity: Some(Severity::Sev1),
                ..IncidentPatch::default()
            },
        }]
    );
    assert!(form.sending);
}

#[test]
fn an_edit_of_the_components_keeps_the_known_statuses() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::edit(followed());
    assert_eq!(form.components, "api, web");
    let _ = press(&mut form, key("shift-tab"), &ctx);
    let _ = press(&mut form, key("shift-tab"), &ctx);
    assert_eq!(form.field, FormField::Components);
    type_text(&mut form, ", db", &ctx);
    let out = press(&mut form, key("enter"), &ctx);
    let patch = IncidentPatch {
        components: Some(vec![
            component("api", ComponentStatus::PartialOutage),
            component("web", ComponentStatus::Operational),
            component("db", ComponentStatus::PartialOutage),
        ]),
        ..IncidentPatch::default()
    };
    assert_eq!(
        out.effects,
        vec![Effect::UpdateIncident {
            id: FOLLOWED,
            base_version: 4,
            patch
        }]
    );
}

#[test]
fn an_unchanged_edit_closes_without_sending() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::edit(followed());
    // Changed and changed back is unchanged.
    let _ = press(&mut form, key("tab"), &ctx);
    let _ = press(&mut form, key("l"), &ctx);
    let _ = press(&mut form, key("h"), &ctx);
    assert!(!form.is_modified());
    let out = press(&mut form, key("enter"), &ctx);
    assert_eq!(next(&out), "close");
    assert!(out.effects.is_empty());
}

#[test]
fn esc_with_typed_text_asks_once_then_closes() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::declare();
    type_text(&mut form, "x", &ctx);
    let out = press(&mut form, key("esc"), &ctx);
    assert_eq!(next(&out), "keep");
    assert_eq!(
        form.error.as_deref(),
        Some("press esc again to discard what you typed")
    );
    // Another key disarms it: the next Esc asks again.
    type_text(&mut form, "y", &ctx);
    assert_eq!(next(&press(&mut form, key("esc"), &ctx)), "keep");
    assert_eq!(next(&press(&mut form, key("esc"), &ctx)), "close");

    let mut empty = IncidentForm::declare();
    assert_eq!(next(&press(&mut empty, key("esc"), &ctx)), "close");
}

#[test]
fn the_answer_closes_the_form_or_keeps_it_with_the_reason() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::declare();
    type_text(&mut form, "Checkout down", &ctx);
    let _ = press(&mut form, key("enter"), &ctx);
    let refused = Wrote::Incident {
        created: true,
        result: Err("title too long".into()),
    };
    let out = form.on_reply(&refused).expect("the form's answer");
    assert_eq!(next(&out), "keep");
    assert_eq!(form.error.as_deref(), Some("not saved: title too long"));
    assert!(!form.sending);
    assert_eq!(form.title, "Checkout down", "nothing typed is lost");

    let _ = press(&mut form, key("enter"), &ctx);
    let saved = Wrote::Incident {
        created: true,
        result: Ok(followed()),
    };
    let out = form.on_reply(&saved).expect("the form's answer");
    assert_eq!(next(&out), "close");
}

#[test]
fn an_answer_when_not_sending_is_not_taken() {
    let mut form = IncidentForm::declare();
    let wrote = Wrote::Incident {
        created: true,
        result: Ok(followed()),
    };
    assert!(form.on_reply(&wrote).is_none());
    form.sending = true;
    let plan = Wrote::Plan(Err(WriteError {
        status: None,
        code: None,
        message: "down".into(),
    }));
    assert!(form.on_reply(&plan).is_none(), "not an incident answer");
    assert!(form.sending);
}

#[test]
fn a_declare_form_does_not_take_the_answer_to_another_change() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::declare();
    type_text(&mut form, "Checkout down", &ctx);
    let _ = press(&mut form, key("enter"), &ctx);
    // The answer to a status update's UpdateIncident, sent just before.
    let other = Wrote::Incident {
        created: false,
        result: Ok(followed()),
    };
    assert!(form.on_reply(&other).is_none());
    assert!(form.sending, "still waiting for its own answer");
}

/// Focus the `started` field (the last one) from the title.
fn to_started(form: &mut IncidentForm, ctx: &Ctx) {
    let _ = press(form, key("shift-tab"), ctx);
    assert_eq!(form.field, FormField::Started);
}

fn stuck_backends_alert() -> Alert {
    Alert {
        id: "stuck_backends:db-1".into(),
        kind: AlertKind::StuckBackends,
        severity: AlertSeverity::Critical,
        target: "db-1".into(),
        message: "12 backends stuck on the old writer db-1\u{7}\nsecond line".into(),
        opened_at: t(1234),
        resolved_at: None,
        acknowledged: None,
        silenced: None,
        runbook: None,
    }
}

#[test]
fn declaring_from_an_alert_starts_when_the_alert_opened() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::from_alert(&stuck_backends_alert(), None);
    assert_eq!(form.title, "12 backends stuck on the old writer db-1");
    assert_eq!(form.components, "Sites, Database");
    assert_eq!(
        form.started_placeholder(chrono_tz::UTC),
        "2024-03-01 03:20:34 UTC (when the alert opened)"
    );
    // An alert about a server names its role's component.
    let db_down = Alert {
        kind: AlertKind::ServerDown,
        message: "db server db-1 behind sw-1 is down".into(),
        ..stuck_backends_alert()
    };
    assert_eq!(
        IncidentForm::from_alert(&db_down, Some(Role::Db)).components,
        "Sites, Database"
    );
    assert_eq!(
        IncidentForm::from_alert(&db_down, Some(Role::App)).components,
        "Sites, Application servers"
    );

    let out = press(&mut form, key("enter"), &ctx);
    assert_eq!(
        out.effects,
        vec![Effect::CreateIncident(NewIncident {
            title: "12 backends stuck on the old writer db-1".into(),
            severity: Severity::Sev1,
            status: IncidentStatus::Investigating,
            impact: Impact::Major,
            components: vec![
                component("Sites", ComponentStatus::PartialOutage),
                component("Database", ComponentStatus::PartialOutage),
            ],
            started_at: Some(t(1234)),
        })]
    );
}

#[test]
fn the_start_can_be_back_dated_when_declaring() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::declare();
    type_text(&mut form, "Checkout down", &ctx);
    to_started(&mut form, &ctx);
    // Typed like an entry's time: h, l and space are text here.
    type_text(&mut form, "nonsense", &ctx);
    let out = press(&mut form, key("enter"), &ctx);
    assert!(out.effects.is_empty());
    let error = form.error.clone().unwrap_or_default();
    assert!(
        error.starts_with("started: 'nonsense' is not a time"),
        "{error}"
    );

    let _ = press(&mut form, key("ctrl-u"), &ctx);
    type_text(&mut form, "03:50", &ctx);
    let out = press(&mut form, key("enter"), &ctx);
    let Some(Effect::CreateIncident(new)) = out.effects.first() else {
        panic!("{:?}", out.effects);
    };
    assert_eq!(new.started_at, Some(t(3000)));

    let mut form = IncidentForm::declare();
    type_text(&mut form, "Later", &ctx);
    to_started(&mut form, &ctx);
    type_text(&mut form, "05:00", &ctx);
    let out = press(&mut form, key("enter"), &ctx);
    assert!(out.effects.is_empty());
    assert_eq!(
        form.error.as_deref(),
        Some("started: the time is in the future")
    );

    let mut form = IncidentForm::declare();
    type_text(&mut form, "Relative", &ctx);
    to_started(&mut form, &ctx);
    type_text(&mut form, "-20m", &ctx);
    let out = press(&mut form, key("enter"), &ctx);
    let Some(Effect::CreateIncident(new)) = out.effects.first() else {
        panic!("{:?}", out.effects);
    };
    assert_eq!(new.started_at, Some(now() - chrono::TimeDelta::minutes(20)));
}

#[test]
fn an_edit_moves_the_start_only_when_a_new_one_is_typed() {
    let world = World::new();
    let ctx = world.ctx();
    let mut form = IncidentForm::edit(followed());
    assert_eq!(
        form.started_placeholder(chrono_tz::UTC),
        "2024-03-01 03:00:00 UTC (unchanged)"
    );
    to_started(&mut form, &ctx);
    assert!(!form.is_modified());
    type_text(&mut form, "-2h", &ctx);
    assert!(form.is_modified());
    let out = press(&mut form, key("enter"), &ctx);
    assert_eq!(
        out.effects,
        vec![Effect::UpdateIncident {
            id: FOLLOWED,
            base_version: 4,
            patch: IncidentPatch {
                started_at: Some(now() - chrono::TimeDelta::hours(2)),
                ..IncidentPatch::default()
            },
        }]
    );
}
