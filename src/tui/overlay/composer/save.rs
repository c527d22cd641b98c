//! Saving a draft: the journal write (and a status update's change to its
//! incident). The draft leaves the screen but is held by the root until
//! the journal has the write on disk, so a failed save reopens the editor
//! with nothing lost.

use super::{Composer, Mode, Stage};
use crate::model::{EntryKind, Incident, IncidentPatch, IncidentStatus, UpdateStatus};
use crate::tui::component::{Ctx, Outcome};
use crate::tui::msg::Effect;
use crate::tui::overlay::{MERGE_SEPARATOR, Overlay};

/// Journal the composer's write (and, for a status update, change the
/// incident); the composer is then held until the journal confirms it.
pub(super) fn save(composer: &mut Composer, ctx: &Ctx) -> Outcome<Overlay> {
    // A merge keeps both versions apart with a separator line; saving it
    // as it is is almost always a slip: say so once, save on the next try.
    if composer.text().contains(MERGE_SEPARATOR) && !composer.separator_armed {
        composer.separator_armed = true;
        composer.stage = Stage::Editing;
        composer.error = Some(format!(
            "the text still has the merge line \"{MERGE_SEPARATOR}\": remove it, or save again to keep it"
        ));
        return Outcome::keep();
    }
    let write = match composer.to_write(ctx.api_now(), ctx.settings.time_zone) {
        Ok(write) => write,
        Err(error) => {
            composer.error = Some(error);
            composer.stage = Stage::Editing;
            return Outcome::keep();
        }
    };
    let mut out = Outcome::hold();
    if composer.kind == EntryKind::StatusUpdate
        && composer.mode == Mode::New
        && let Some(incident) = ctx.data.incidents.get(composer.incident_id)
    {
        let patch = incident_patch(incident, composer);
        if patch != IncidentPatch::default() {
            out = out.effect(Effect::UpdateIncident {
                id: incident.id,
                base_version: incident.version,
                patch,
            });
        }
    }
    out.effect(Effect::Journal(Box::new(write)))
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
