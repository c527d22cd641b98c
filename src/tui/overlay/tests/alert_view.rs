//! Working an alert in its view: the suggested plan with the pane's key,
//! acknowledge, silence with a duration and a reason, and what a viewer
//! or a resolved alert may not do.

use super::fixtures::{World, event, key, next, note, replacement, t};
use crate::model::{AccessRole, Alert, AlertKind, AlertSeverity, PlanKind};
use crate::tui::msg::Effect;
use crate::tui::overlay::{AlertView, Overlay, SILENCE_CHOICES};

fn alert(kind: AlertKind, target: &str) -> Alert {
    Alert {
        id: format!("{}:{target}", kind.as_str()),
        kind,
        severity: AlertSeverity::Critical,
        target: target.into(),
        message: format!("{target} is in trouble"),
        opened_at: t(30),
        resolved_at: None,
        acknowledged: None,
        silenced: None,
        runbook: None,
    }
}

/// The world with `alert` open.
fn world_with(alert: &Alert) -> World {
    let mut world = World::new();
    world.data.alerts.replace(vec![alert.clone()]);
    world
}

fn press(
    view: &mut AlertView,
    world: &World,
    name: &str,
) -> crate::tui::component::Outcome<Overlay> {
    let chord = key(name);
    view.key(chord, event(chord), &world.ctx())
}

#[test]
fn the_pane_key_of_the_suggested_plan_plans_it_for_the_alerts_target() {
    for (kind, target, name, expected) in [
        (
            AlertKind::ServerDown,
            "app-04",
            "E",
            PlanKind::EvacuateServer,
        ),
        (
            AlertKind::SwitchSuspect,
            "sw-2",
            "E",
            PlanKind::EvacuateSwitch,
        ),
        (
            AlertKind::CacheDown,
            "cache-1",
            "C",
            PlanKind::CacheFailover,
        ),
        (
            AlertKind::StuckBackends,
            "db-1",
            "R",
            PlanKind::RestartSites,
        ),
    ] {
        let alert = alert(kind, target);
        let world = world_with(&alert);
        let mut view = AlertView::new(alert);
        let out = press(&mut view, &world, name);
        let requests: Vec<_> = out
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::CreatePlan(request) => Some(request.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(requests.len(), 1, "{kind:?}: {:?}", out.effects);
        assert_eq!(requests[0].kind, expected);
        if matches!(kind, AlertKind::ServerDown | AlertKind::SwitchSuspect) {
            assert_eq!(requests[0].target.as_deref(), Some(target));
        }
        assert!(matches!(replacement(out), Overlay::Plan(_)), "{kind:?}");
    }
}

#[test]
fn another_plan_key_does_not_act_on_the_alert() {
    let alert = alert(AlertKind::ServerDown, "app-04");
    let world = world_with(&alert);
    let mut view = AlertView::new(alert);
    let out = press(&mut view, &world, "C");
    assert_eq!(next(&out), "close");
    assert!(out.effects.is_empty());
}

#[test]
fn acknowledge_sends_the_alerts_id() {
    let alert = alert(AlertKind::ServerDown, "app-04");
    let world = world_with(&alert);
    let mut view = AlertView::new(alert.clone());
    let out = press(&mut view, &world, "K");
    assert_eq!(next(&out), "keep");
    assert!(matches!(out.effects.as_slice(), [Effect::AckAlert(id)] if *id == alert.id));
}

#[test]
fn silence_takes_a_duration_and_a_reason() {
    let alert = alert(AlertKind::ServerDown, "app-04");
    let world = world_with(&alert);
    let mut view = AlertView::new(alert.clone());
    let _ = press(&mut view, &world, "S");
    assert!(view.silence.is_some(), "the form opens");
    // No reason: refused, nothing sent.
    let out = press(&mut view, &world, "enter");
    assert!(out.effects.is_empty());
    assert!(
        view.silence
            .as_ref()
            .and_then(|f| f.error.clone())
            .is_some()
    );
    // Right: the next duration; typed letters (l and space too) go to the reason.
    let _ = press(&mut view, &world, "right");
    for c in "rack work, planned".chars() {
        let name = if c == ' ' {
            "space".to_string()
        } else {
            c.to_string()
        };
        let _ = press(&mut view, &world, &name);
    }
    let out = press(&mut view, &world, "enter");
    match out.effects.as_slice() {
        [Effect::SilenceAlert { id, request }] => {
            assert_eq!(id, &alert.id);
            assert_eq!(request.duration_s, SILENCE_CHOICES[2]);
            assert_eq!(request.reason, "rack work, planned");
        }
        other => panic!("expected a silence, got {other:?}"),
    }
    assert!(view.silence.is_none(), "the form closes");
    // Esc leaves the form, not the view.
    let _ = press(&mut view, &world, "S");
    let out = press(&mut view, &world, "esc");
    assert_eq!(next(&out), "keep");
    assert!(view.silence.is_none());
}

#[test]
fn a_viewer_and_a_resolved_alert_are_refused_with_a_reason() {
    let alert = alert(AlertKind::ServerDown, "app-04");
    let mut world = world_with(&alert);
    world.data.role = Some(AccessRole::Viewer);
    let mut view = AlertView::new(alert.clone());
    let out = press(&mut view, &world, "K");
    assert!(out.effects.is_empty());
    assert!(note(&out).is_some_and(|(text, error)| error && text.contains("not allowed")));

    let world = World::new();
    let mut view = AlertView::new(alert);
    let out = press(&mut view, &world, "K");
    assert!(out.effects.is_empty());
    assert!(
        note(&out).is_some_and(|(text, _)| text.contains("resolved")),
        "{:?}",
        note(&out)
    );
}

#[test]
fn a_silenced_alert_is_still_open_in_its_view() {
    let mut silenced = alert(AlertKind::ServerDown, "app-04");
    silenced.silenced = Some(crate::model::AlertSilence {
        by: "ana".into(),
        at: t(40),
        until: t(100_000),
        reason: "rack work".into(),
    });
    let mut world = world_with(&silenced);
    assert!(world.data.alerts.settle(t(50)), "it leaves the list");
    assert!(world.data.alerts.open.is_empty());
    let mut view = AlertView::new(silenced.clone());
    let out = press(&mut view, &world, "K");
    assert!(
        matches!(out.effects.as_slice(), [Effect::AckAlert(id)] if *id == silenced.id),
        "still open, so it can be acknowledged: {:?}",
        note(&out)
    );
    world.data.alerts.silenced.clear();
    let out = press(&mut view, &world, "K");
    assert!(out.effects.is_empty(), "gone from the mirror: resolved");
}
