//! The status update's preview and its warnings, and the header's
//! countdown to the next public update.

use super::*;

fn stage(model: &Model) -> String {
    format!("{:?}", composer!(model).stage)
}

/// The demo incident, listing `components`.
fn incident_with(components: &[(&str, ComponentStatus)]) -> Incident {
    Incident {
        components: components
            .iter()
            .map(|(name, status)| AffectedComponent {
                name: (*name).into(),
                status: *status,
            })
            .collect(),
        ..demo_incident()
    }
}

/// `u` on the demo incident, with `text` typed and the status moved
/// `steps` to the right of what the editor proposes.
fn status_update(model: &mut Model, text: &str, steps: usize) {
    send(model, char_key('u'));
    let composer = composer!(model);
    assert_eq!(composer.title(), "New status update");
    assert_eq!(
        composer.visibility,
        Visibility::Public,
        "status updates are public"
    );
    assert_eq!(
        composer.status,
        UpdateStatus::Update,
        "after an investigating update, the next is an update"
    );
    type_text(model, text);
    press(model, KeyCode::BackTab, 3);
    assert_eq!(composer!(model).field.label(), "status");
    press(model, KeyCode::Right, steps);
}

#[test]
fn monitoring_while_sites_are_down_is_warned_in_the_preview() {
    let mut model = model();
    status_update(&mut model, "A fix is deployed.\nWe are watching.", 1);
    assert_eq!(composer!(model).status, UpdateStatus::Monitoring);
    assert!(
        send(&mut model, ctrl('s')).is_empty(),
        "the preview posts nothing yet"
    );
    assert_eq!(stage(&model), "Preview");

    let down = model.data.fleet.counts.get(HealthState::Down)
        + model.data.fleet.counts.get(HealthState::Flapping);
    assert!(down > 0, "the demo fleet has sites down");
    let total = model.data.fleet.topology.sites.len();
    let text = screen(&model);
    for shown in [
        "Preview — incident #7",
        "This is published on the status page:",
        "status: monitoring",
        "impact: major (unchanged)",
        &format!(
            "! This says monitoring (a fix is in place), but {down} of {total} sites are down right now."
        ),
        "A fix is deployed.",
        "We are watching.",
        "enter/ctrl-s post",
    ] {
        assert!(text.contains(shown), "missing {shown:?} in\n{text}");
    }

    // Esc goes back to editing with the text kept.
    assert!(send(&mut model, key(KeyCode::Esc)).is_empty());
    assert_eq!(stage(&model), "Editing");
    assert_eq!(
        composer!(model).text(),
        "A fix is deployed.\nWe are watching."
    );

    send(&mut model, ctrl('s'));
    let effects = send(&mut model, key(KeyCode::Enter));
    let entry = created(&effects);
    assert_eq!(entry.kind, EntryKind::StatusUpdate);
    assert_eq!(entry.status, Some(UpdateStatus::Monitoring));
    assert_eq!(entry.visibility, Some(Visibility::Public));
    assert_eq!(entry.body, "A fix is deployed.\nWe are watching.");
    let incident_patch = effects.iter().find_map(|e| match e {
        Effect::UpdateIncident {
            id,
            base_version,
            patch,
        } => Some((*id, *base_version, patch.clone())),
        _ => None,
    });
    let (id, base_version, patch) = incident_patch.expect("the incident's status changes too");
    assert_eq!((id, base_version), (7, 3));
    assert_eq!(patch.status, Some(IncidentStatus::Monitoring));
    assert_eq!(patch.impact, None, "the impact did not change");
    assert!(model.ui.overlay.is_none());
}

#[test]
fn monitoring_with_every_site_up_has_no_warning() {
    let mut model = model();
    let mut topology = demo_topology(8);
    for site in &mut topology.sites {
        site.health.state = HealthState::Up;
        site.down_since = None;
    }
    send(
        &mut model,
        Msg::Loaded(Loaded::Topology(Box::new(topology))),
    );
    status_update(&mut model, "Watching.", 1);
    send(&mut model, ctrl('s'));
    let text = screen(&model);
    assert!(text.contains("status: monitoring"), "{text}");
    assert!(!text.contains("This says monitoring"), "{text}");
}

#[test]
fn resolved_while_a_component_is_in_major_outage_is_warned() {
    let mut model = model();
    load_incidents(
        &mut model,
        vec![incident_with(&[
            ("api", ComponentStatus::MajorOutage),
            ("web", ComponentStatus::Operational),
        ])],
    );
    status_update(&mut model, "All sites are back.", 2);
    assert_eq!(composer!(model).status, UpdateStatus::Resolved);
    send(&mut model, ctrl('s'));
    let text = screen(&model);
    for shown in [
        "status: resolved",
        "api: major outage (unchanged)",
        "web: operational (unchanged)",
        "! This says resolved, but it still lists api (major outage)",
        "This says resolved, but impact is still major",
        "All sites are back.",
    ] {
        assert!(text.contains(shown), "missing {shown:?} in\n{text}");
    }

    // Back to editing: set api to operational and lower the impact.
    send(&mut model, key(KeyCode::Esc));
    press(&mut model, KeyCode::Tab, 1);
    assert_eq!(composer!(model).field.label(), "impact");
    press(&mut model, KeyCode::Left, 2);
    press(&mut model, KeyCode::Tab, 1);
    assert_eq!(composer!(model).field.label(), "components");
    press(&mut model, KeyCode::Left, 3);
    send(&mut model, ctrl('s'));
    let text = screen(&model);
    assert!(text.contains("impact: major → none"), "{text}");
    assert!(text.contains("api: major outage → operational"), "{text}");
    assert!(!text.contains("still lists api"), "{text}");

    let effects = send(&mut model, key(KeyCode::Enter));
    assert_eq!(created(&effects).status, Some(UpdateStatus::Resolved));
    let patch = effects
        .iter()
        .find_map(|e| match e {
            Effect::UpdateIncident { patch, .. } => Some(patch.clone()),
            _ => None,
        })
        .expect("the incident changes");
    assert_eq!(patch.status, Some(IncidentStatus::Resolved));
    assert_eq!(patch.impact, Some(Impact::None));
    let components = patch.components.expect("components change");
    assert!(
        components
            .iter()
            .all(|c| c.status == ComponentStatus::Operational),
        "{components:?}"
    );
}

#[test]
fn a_long_update_still_shows_how_to_post_it() {
    let mut model = model();
    let long = "We moved the affected sites to the failover servers.".repeat(4);
    status_update(&mut model, &long, 0);
    send(&mut model, ctrl('s'));
    let text = screen(&model);
    assert!(text.contains("We moved the affected sites"), "{text}");
    assert!(
        text.contains("enter/ctrl-s post"),
        "BUG (src/tui/view/compose.rs draw_preview): the preview box is sized by lines, not \
         the rows a long text wraps to, so the Enter/Esc hint is cut off:\n{text}"
    );
}

#[test]
fn the_header_counts_down_to_the_next_public_update() {
    // sev1: every 30 min; the last public update was 27 min ago.
    let model = model();
    let text = screen(&model);
    assert!(text.contains("next update due in 3 min"), "{text}");
}

#[test]
fn the_preview_of_an_edited_update_shows_no_incident_change_it_will_not_make() {
    let mut model = model();
    load_incidents(
        &mut model,
        vec![incident_with(&[("api", ComponentStatus::MajorOutage)])],
    );
    select_entry(&mut model, 3);
    send(&mut model, char_key('e'));
    assert_eq!(composer!(model).title(), "Edit status update #3");
    type_text(&mut model, " Typo fixed.");
    assert!(send(&mut model, ctrl('s')).is_empty());
    assert_eq!(stage(&model), "Preview");
    let text = screen(&model);
    let effects = send(&mut model, key(KeyCode::Enter));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::UpdateIncident { .. })),
        "an edit does not change the incident"
    );
    assert_eq!(patched(&effects).0, 3);
    // So its preview must not say it does.
    assert!(
        !text.contains("impact: major → none") && !text.contains("api: major outage → removed"),
        "BUG (src/tui/compose.rs edit_composer / view/compose.rs draw_preview): the preview of \
         an edited status update claims the incident's impact and components change, though \
         saving an edit never patches the incident:\n{text}"
    );
}
