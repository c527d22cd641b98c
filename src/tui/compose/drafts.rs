//! Saving a draft: the journal write (and a status update's change to its
//! incident), and keeping the draft until the journal has it on disk, so a
//! failed save reopens the editor with nothing lost.

use super::{Composer, Mode, Stage};
use crate::model::{EntryKind, Incident, IncidentPatch, IncidentStatus, UpdateStatus};
use crate::tui::msg::Effect;
use crate::tui::state::{Model, Overlay};

/// Journal the composer's write (and, for a status update, change the
/// incident). The composer is kept until the journal confirms the write is
/// on disk, and comes back with the error if it is not.
pub(super) fn save(model: &mut Model, effects: &mut Vec<Effect>) {
    let now = model.api_now();
    let zone = model.settings.time_zone;
    let Overlay::Compose(composer) = std::mem::replace(&mut model.ui.overlay, Overlay::None) else {
        return;
    };
    let write = match composer.to_write(now, zone) {
        Ok(write) => write,
        Err(error) => {
            let mut composer = composer;
            composer.error = Some(error);
            composer.stage = Stage::Editing;
            model.ui.overlay = Overlay::Compose(composer);
            return;
        }
    };
    if composer.kind == EntryKind::StatusUpdate
        && composer.mode == Mode::New
        && let Some(incident) = model.incidents.get(composer.incident_id)
    {
        let patch = incident_patch(incident, &composer);
        if patch != IncidentPatch::default() {
            effects.push(Effect::UpdateIncident {
                id: incident.id,
                base_version: incident.version,
                patch,
            });
        }
    }
    effects.push(Effect::Journal(Box::new(write)));
    model.unsaved.push(composer);
}

/// What a status update changes on its incident: the status (an `Update`
/// keeps it), the impact and the components.
fn incident_patch(incident: &Incident, composer: &Composer) -> IncidentPatch {
    let status = match composer.status {
        UpdateStatus::Investigating => Some(IncidentStatus::Investigating),
        UpdateStatus::Identified => Some(IncidentStatus::Identified),
        UpdateStatus::Monitoring => Some(IncidentStatus::Monitoring),
        UpdateStatus::Resolved => Some(IncidentStatus::Resolved),
        UpdateStatus::Update => None,
    };
    IncidentPatch {
        status: status.filter(|s| *s != incident.status),
        impact: (composer.impact != incident.impact).then_some(composer.impact),
        components: (composer.components != incident.components)
            .then(|| composer.components.clone()),
        ..IncidentPatch::default()
    }
}

/// The journal has `write_id` on disk (or the API has it): the draft is safe.
pub(in crate::tui) fn saved(model: &mut Model, write_id: &str) {
    model.unsaved.retain(|c| c.write_id != write_id);
}

/// A draft could not be saved: open it again with the error so nothing
/// typed is lost. Returns false when no such draft is held.
pub(in crate::tui) fn not_saved(model: &mut Model, write_id: Option<&str>, error: &str) -> bool {
    let at = match write_id {
        Some(id) => model.unsaved.iter().position(|c| c.write_id == id),
        None => (!model.unsaved.is_empty()).then_some(0),
    };
    let Some(at) = at else {
        return false;
    };
    let mut composer = model.unsaved.remove(at);
    composer.error = Some(format!("not saved: {error}"));
    composer.stage = Stage::Editing;
    if model.ui.overlay.is_none() {
        model.ui.overlay = Overlay::Compose(composer);
    } else {
        // Something else is open; the draft opens when it closes.
        model.unsaved.insert(at, composer);
        model.toast(format!("not saved: {error}"), true);
    }
    true
}

/// Open a draft that failed while another overlay was open, once the
/// screen is free.
pub(in crate::tui) fn reopen_failed(model: &mut Model) {
    if !model.ui.overlay.is_none() {
        return;
    }
    if let Some(at) = model.unsaved.iter().position(|c| c.error.is_some()) {
        let composer = model.unsaved.remove(at);
        model.ui.overlay = Overlay::Compose(composer);
    }
}
