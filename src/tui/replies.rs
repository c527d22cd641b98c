//! What the root does with the answers to the console's writes: the
//! mirror takes the data, the overlay that asked takes its answer (on
//! screen or hidden), drafts held for the journal are let go or opened
//! again, and conflicts wait for a free screen. Part of `update`; no I/O.

use super::model::Model;
use super::msg::{Effect, Request, Wrote};
use super::overlay::{ConflictView, Overlay, PlanModal};
use super::update::{apply, follow_incident};
use crate::client::WriteOp;
use crate::tui::logic::labels::{action_label, first_line};

pub(super) fn wrote(model: &mut Model, wrote: Wrote, effects: &mut Vec<Effect>) {
    // The mirror first, so the overlay's answer sees it.
    match &wrote {
        Wrote::Incident {
            created,
            result: Ok(incident),
        } => {
            let (id, title) = (incident.id, incident.title.clone());
            model.data.incidents.apply(incident.clone());
            if *created {
                model.data.incidents.select(Some(id));
                model.toast(format!("incident #{id} declared: {title}"), false);
            }
            follow_incident(model, effects);
        }
        Wrote::Incident { result: Err(_), .. } => {
            // Our copy may be old (a 409): read it again.
            effects.push(Effect::Fetch(Request::Incidents));
        }
        Wrote::Action(Ok(action)) => {
            model.data.actions.merge((**action).clone());
        }
        _ => {}
    }
    if offer_to_overlay(model, &wrote, effects) {
        return show_waiting(model);
    }
    match wrote {
        Wrote::Incident {
            result: Err(error), ..
        } => model.toast(format!("the incident was not changed: {error}"), true),
        Wrote::Incident { .. } | Wrote::Plan(_) => {}
        Wrote::Roles(Ok(roles)) => {
            if model.data.incidents.timeline.incident_id == Some(roles.incident_id) {
                model.data.roles = Some(roles);
            }
            model.toast("incident roles updated", false);
        }
        Wrote::Roles(Err(error)) => model.toast(
            format!("the role was not handed off: {}", error.message),
            true,
        ),
        Wrote::Alert {
            done,
            result: Ok(alert),
        } => {
            let id = alert.id.clone();
            let (_, _) = model.data.alerts.apply(*alert);
            model.data.group_alerts(model.now);
            model.toast(format!("alert {id} {done}"), false);
        }
        Wrote::Alert {
            done,
            result: Err(error),
        } => model.toast(format!("the alert was not {done}: {}", error.message), true),
        Wrote::Journal { pending } => {
            for write in &pending {
                saved(model, &write.id);
            }
            model.data.pending = pending;
        }
        Wrote::JournalFailed { error } => {
            if !not_saved(model, None, &error) {
                model.toast(format!("offline journal: {error}"), true);
            }
        }
        Wrote::EntrySent { write_id, entry } => {
            saved(model, &write_id);
            model.data.pending.retain(|w| w.id != write_id);
            let follow = model
                .ui
                .timeline
                .at_bottom(model.data.incidents.timeline.entries.len());
            if model.data.incidents.timeline.apply(*entry) && follow {
                super::panes::follow_newest_entry(model);
            }
        }
        Wrote::EntryConflict { write, current } => {
            saved(model, &write.id);
            model.data.pending.retain(|w| w.id != write.id);
            model.data.incidents.timeline.apply((*current).clone());
            model.conflicts.push(ConflictView {
                mine: *write,
                theirs: *current,
            });
        }
        Wrote::EntryRejected { write, error } => {
            model.data.pending.retain(|w| w.id != write.id);
            if !not_saved(model, Some(&write.id), &error) {
                let what = match &write.op {
                    WriteOp::CreateEntry { entry } => {
                        format!("entry \"{}\"", first_line(&entry.body, 40))
                    }
                    WriteOp::UpdateEntry { entry_id, .. } => format!("edit of entry #{entry_id}"),
                    WriteOp::DeleteEntry { entry_id, .. } => {
                        format!("deletion of entry #{entry_id}")
                    }
                };
                model.toast(format!("{what} refused: {error}"), true);
            }
        }
        Wrote::Action(result) => action_not_for_a_modal(model, result),
        Wrote::Autopilot { verb, result } => super::advice::commanded(model, verb, result),
    }
    show_waiting(model);
}

/// Give the answer to the overlay on screen, else to the hidden plan
/// modal. Returns whether one of them took it.
fn offer_to_overlay(model: &mut Model, wrote: &Wrote, effects: &mut Vec<Effect>) -> bool {
    let mut overlay = std::mem::replace(&mut model.ui.overlay, Overlay::None);
    let taken = overlay.on_reply(wrote, &model.ctx());
    model.ui.overlay = overlay;
    if let Some(outcome) = taken {
        apply(model, outcome, effects);
        return true;
    }
    let Some(mut parked) = model.parked.take() else {
        return false;
    };
    let taken = parked.on_reply(wrote, &model.ctx());
    let headline = refused_headline(&parked);
    model.parked = Some(parked);
    match taken {
        Some(outcome) => {
            effects.extend(outcome.effects);
            if let Some(headline) = headline {
                let show = model.keymap.hint(
                    super::keymap::Context::Global,
                    super::keymap::Action::ShowAction,
                );
                model.toast(format!("not executed: {headline} ({show} shows it)"), true);
            }
            true
        }
        None => false,
    }
}

fn refused_headline(modal: &PlanModal) -> Option<String> {
    match &modal.stage {
        super::overlay::PlanStage::Refused { refusal, .. } => Some(refusal.headline.clone()),
        _ => None,
    }
}

/// An execute or abort answer no modal was waiting for: the abort's.
fn action_not_for_a_modal(
    model: &mut Model,
    result: Result<Box<crate::model::Action>, super::msg::WriteError>,
) {
    let Some(aborting) = model.aborting.take() else {
        if let Err(error) = result {
            model.toast(format!("action refused: {}", error.message), true);
        }
        return;
    };
    match result {
        Ok(action) if action.id == aborting => model.toast(
            format!("{}: {}", action_label(&action), action.state.as_str()),
            false,
        ),
        Ok(_) => model.aborting = Some(aborting),
        Err(error) => {
            let text = match error.status {
                None => {
                    let key = model.keymap.hint(
                        super::keymap::Context::Global,
                        super::keymap::Action::AbortAction,
                    );
                    format!("abort not sent: API unreachable; press {key} again")
                }
                Some(_) => format!("abort refused: {}", error.message),
            };
            model.toast(text, true);
        }
    }
}

/// The journal has `write_id` on disk (or the API has it): the draft is safe.
fn saved(model: &mut Model, write_id: &str) {
    model.unsaved.retain(|c| c.write_id != write_id);
}

/// A draft could not be saved: open it again with the error so nothing
/// typed is lost (when the screen is free; else it waits). Returns false
/// when no such draft is held.
fn not_saved(model: &mut Model, write_id: Option<&str>, error: &str) -> bool {
    let at = match write_id {
        Some(id) => model.unsaved.iter().position(|c| c.write_id == id),
        None => (!model.unsaved.is_empty()).then_some(0),
    };
    let Some(at) = at else {
        return false;
    };
    let composer = &mut model.unsaved[at];
    composer.error = Some(format!("not saved: {error}"));
    composer.stage = super::overlay::composer::Stage::Editing;
    if !model.ui.overlay.is_none() {
        model.toast(format!("not saved: {error}"), true);
    }
    true
}

/// Once the screen is free: a draft that failed to save, then a conflict.
pub(super) fn show_waiting(model: &mut Model) {
    if !model.ui.overlay.is_none() {
        return;
    }
    if let Some(at) = model.unsaved.iter().position(|c| c.error.is_some()) {
        let composer = model.unsaved.remove(at);
        model.ui.overlay = Overlay::Compose(composer);
    } else if !model.conflicts.is_empty() {
        let next = model.conflicts.remove(0);
        model.ui.overlay = Overlay::Conflict(Box::new(next));
    }
}
