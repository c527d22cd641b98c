//! The incident switcher.

use super::*;

#[test]
fn the_switcher_follows_the_chosen_incident() {
    let mut model = model();
    let older = Incident {
        id: 8,
        title: "Cache failover flapping".into(),
        severity: Severity::Sev2,
        started_at: fixed_now() - TimeDelta::hours(3),
        ..demo_incident()
    };
    let resolved = Incident {
        id: 5,
        title: "Yesterday's DNS blip".into(),
        state: IncidentState::Resolved,
        status: IncidentStatus::Resolved,
        started_at: fixed_now() - TimeDelta::days(1),
        ..demo_incident()
    };
    load_incidents(&mut model, vec![demo_incident(), older, resolved]);
    send(&mut model, char_key('I'));
    let Overlay::Switcher(switcher) = &model.ui.overlay else {
        panic!("expected the switcher, got {:?}", model.ui.overlay);
    };
    assert_eq!(switcher.selected, 0, "on the followed incident");
    let text = screen(&model);
    for shown in [
        "Sites unreachable behind sw-2",
        "Cache failover flapping",
        "Yesterday's DNS blip",
    ] {
        assert!(text.contains(shown), "missing {shown:?} in\n{text}");
    }

    send(&mut model, char_key('j'));
    let effects = send(&mut model, key(KeyCode::Enter));
    assert!(model.ui.overlay.is_none());
    assert_eq!(model.data.incidents.current().map(|i| i.id), Some(8));
    assert!(
        effects.contains(&Effect::Fetch(Request::Timeline(8))),
        "{effects:?}"
    );
    send(&mut model, char_key('n'));
    assert_eq!(composer!(model).incident_id, 8);
}
