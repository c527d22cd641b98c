//! The incident form: declaring an incident.

use super::*;

#[test]
fn i_declares_an_incident() {
    let mut model = model();
    send(&mut model, char_key('i'));
    let Overlay::IncidentForm(_) = &model.ui.overlay else {
        panic!("expected the incident form, got {:?}", model.ui.overlay);
    };
    assert!(send(&mut model, key(KeyCode::Enter)).is_empty());
    let text = screen(&model);
    assert!(text.contains("the title is empty"), "{text}");

    type_text(&mut model, "DB slow; checkout");
    press(&mut model, KeyCode::Backspace, 10);
    press(&mut model, KeyCode::Tab, 1);
    press(&mut model, KeyCode::Right, 1);
    press(&mut model, KeyCode::Tab, 2);
    press(&mut model, KeyCode::Left, 1);
    press(&mut model, KeyCode::Tab, 1);
    type_text(&mut model, "api, web");
    let text = screen(&model);
    assert!(text.contains("Declare an incident"), "{text}");
    assert!(text.contains("DB slow"), "{text}");
    assert!(text.contains("sev3"), "{text}");

    let effects = send(&mut model, key(KeyCode::Enter));
    let [Effect::CreateIncident(new)] = effects.as_slice() else {
        panic!("expected one CreateIncident, got {effects:?}");
    };
    let degraded = |name: &str| AffectedComponent {
        name: name.into(),
        status: ComponentStatus::DegradedPerformance,
    };
    assert_eq!(
        new,
        &NewIncident {
            title: "DB slow".into(),
            severity: Severity::Sev3,
            status: IncidentStatus::Investigating,
            impact: Impact::Minor,
            components: vec![degraded("api"), degraded("web")],
            started_at: Some(fixed_now()),
        }
    );
    assert!(
        screen(&model).contains("saving…"),
        "the form waits for the API"
    );

    let declared = Incident {
        id: 9,
        title: "DB slow".into(),
        severity: Severity::Sev3,
        status: IncidentStatus::Investigating,
        impact: Impact::Minor,
        started_at: fixed_now(),
        created_at: fixed_now(),
        version: 1,
        ..demo_incident()
    };
    let effects = send(
        &mut model,
        Msg::Wrote(Wrote::Incident {
            created: true,
            result: Ok(declared),
        }),
    );
    assert!(model.ui.overlay.is_none());
    assert_eq!(model.data.incidents.current().map(|i| i.id), Some(9));
    assert!(effects.contains(&Effect::Fetch(Request::Timeline(9))));
    send(&mut model, char_key('n'));
    assert_eq!(
        composer!(model).incident_id,
        9,
        "n writes on the new incident"
    );
}
