//! The panes' commands: what a key does when no overlay is open (and what
//! the palette runs). Part of the root: it opens overlays, moves the
//! selection and asks for effects.

use super::keymap::{Action, Context};
use super::model::{Model, Pane};
use super::msg::Effect;
use super::overlay::{
    AlertView, Composer, Confirm, Help, IncidentForm, NewKind, OnYes, Overlay, Palette, PlanModal,
    Reader, RoleForm, SilenceForm, Switcher, composer,
};
use super::update::{ask_to_quit, fetch_all};
use super::{advice, panes, target};
use crate::client::{JournalWrite, WriteOp};
use crate::model::{Alert, EntryPatch, PlanKind, TimelineEntry, Visibility};
use crate::tui::logic::labels::action_label;
use crate::tui::logic::sanitize::sanitize;

/// Do what `action` says. Every action is reachable from a key and from the palette.
pub fn run(model: &mut Model, action: Action, effects: &mut Vec<Effect>) {
    model.mark_dirty();
    match action {
        Action::Quit => ask_to_quit(model),
        Action::Help => model.ui.overlay = Overlay::Help(Help::new(Context::Global, None)),
        Action::Palette => model.ui.overlay = Overlay::Palette(Palette::open()),
        Action::NextPane => model.ui.focus = model.ui.focus.next(),
        Action::PrevPane => model.ui.focus = model.ui.focus.prev(),
        Action::FocusServers => model.ui.focus = Pane::Servers,
        Action::FocusSites => model.ui.focus = Pane::Sites,
        Action::FocusAlerts => model.ui.focus = Pane::Alerts,
        Action::FocusTimeline => model.ui.focus = Pane::Timeline,
        Action::Down
        | Action::Up
        | Action::PageDown
        | Action::PageUp
        | Action::Top
        | Action::Bottom => panes::navigate(model, action),
        Action::Open => open_selected(model),
        Action::Filter => {
            model.ui.focus = Pane::Sites;
            model.sites.editing = true;
        }
        Action::Sort => {
            model.sites.cycle_sort();
            let label = model.sites.sort.label();
            model.toast(format!("sites sorted by {label}"), false);
        }
        Action::ToggleHealthy => {
            model.ui.fold_healthy = !model.ui.fold_healthy;
            model.data.fleet.fold_healthy(model.ui.fold_healthy);
            panes::fit_lists(model);
            let text = if model.ui.fold_healthy {
                "healthy switches folded"
            } else {
                "every switch unfolded"
            };
            model.toast(text, false);
        }
        Action::Close => {
            if !model.sites.filter().is_empty() {
                model.sites.set_filter(String::new());
            }
        }
        Action::Refresh => {
            model.data.force_snapshot = true;
            effects.extend(fetch_all(model));
            if model.data.link.state == super::data::LinkState::Down {
                effects.push(Effect::Subscribe {
                    since: model.data.link.last_seq,
                });
                model.toast("reconnecting now", false);
            } else {
                model.toast("refreshing", false);
            }
        }
        Action::ToggleMouse => {
            model.ui.mouse = !model.ui.mouse;
            effects.push(Effect::SetMouse(model.ui.mouse));
            let text = if model.ui.mouse {
                "mouse on (text selection needs shift)"
            } else {
                "mouse off: text is selectable"
            };
            model.toast(text, false);
        }
        Action::ToggleNotify => {
            model.ui.notify = !model.ui.notify;
            let text = if model.ui.notify {
                "notifications on"
            } else {
                "notifications off"
            };
            model.toast(text, false);
        }
        Action::ExportPostmortem => match model.data.incidents.current() {
            Some(incident) => {
                let incident_id = incident.id;
                effects.push(Effect::ExportPostmortem {
                    incident_id,
                    time_zone: model.settings.time_zone.name().to_string(),
                    dir: model.settings.export_dir.clone(),
                });
                model.toast(
                    format!("writing the postmortem of incident {incident_id}…"),
                    false,
                );
            }
            None => model.toast("no open incident to export", true),
        },
        Action::NewIncident => match model.write_block() {
            Some(reason) => model.toast(reason, true),
            None => {
                // On a selected alert: declared from it, starting when it opened.
                let alert = (model.ui.focus == Pane::Alerts)
                    .then(|| model.data.alerts.open.get(model.ui.alerts.selected))
                    .flatten();
                let form = alert.map_or_else(IncidentForm::declare, |alert| {
                    let role = model.data.fleet.server(&alert.target).map(|s| s.role);
                    IncidentForm::from_alert(alert, role)
                });
                model.ui.overlay = Overlay::IncidentForm(Box::new(form))
            }
        },
        Action::EditIncident => {
            if let Some(reason) = model.write_block() {
                return model.toast(reason, true);
            }
            match model.data.incidents.current().cloned() {
                Some(incident) => {
                    model.ui.overlay = Overlay::IncidentForm(Box::new(IncidentForm::edit(incident)))
                }
                None => no_incident(model),
            }
        }
        Action::HandOffRole => {
            if let Some(reason) = model.write_block() {
                return model.toast(reason, true);
            }
            match model.data.incidents.current().map(|i| i.id) {
                Some(id) => {
                    let form = RoleForm::open(id, &model.ctx());
                    model.ui.overlay = Overlay::RoleForm(form)
                }
                None => no_incident(model),
            }
        }
        Action::SwitchIncident => {
            model.ui.overlay = Overlay::Switcher(Switcher::open(&model.data.incidents))
        }
        Action::Note => new_entry(model, NewKind::Note),
        Action::StatusUpdate => new_entry(model, NewKind::StatusUpdate),
        Action::Marker => new_entry(model, NewKind::Marker),
        Action::EditEntry => {
            if let Some(entry) = editable_entry(model) {
                let composer = Composer::open_edit(entry, &model.ctx());
                model.ui.overlay = Overlay::Compose(Box::new(composer));
            }
        }
        Action::DeleteEntry => confirm_delete(model),
        Action::Star => {
            let Some(starred) = selected_entry(model).map(|e| e.starred) else {
                return select_an_entry(model);
            };
            let patch = EntryPatch {
                starred: Some(!starred),
                ..EntryPatch::default()
            };
            let done = if starred { "unstarred" } else { "starred" };
            quick_patch(model, effects, patch, done);
        }
        Action::ToggleVisibility => {
            let Some(visibility) = selected_entry(model).map(|e| e.visibility) else {
                return select_an_entry(model);
            };
            let (next, done) = match visibility {
                Visibility::Public => (Visibility::Internal, "now internal"),
                Visibility::Internal => (Visibility::Public, "now public"),
            };
            let patch = EntryPatch {
                visibility: Some(next),
                ..EntryPatch::default()
            };
            if next == Visibility::Public {
                // Customers may read it: ask first.
                return confirm_public(model, patch);
            }
            quick_patch(model, effects, patch, done);
        }
        Action::RecommendedPlan => advice::open_recommended(model, effects),
        Action::PauseAutopilot => advice::pause_or_resume(model, effects),
        Action::Evacuate => plan(model, PlanKind::EvacuateServer, effects),
        Action::PromoteSpare => plan(model, PlanKind::PromoteSpare, effects),
        Action::CacheFailover => plan(model, PlanKind::CacheFailover, effects),
        Action::RecycleWeb => plan(model, PlanKind::RecycleWeb, effects),
        Action::DbFailover => {
            // With no replica to fail over to, the way forward is to rebuild one.
            let kind = if target::database_needs_replica(model) {
                PlanKind::RestoreDbReplica
            } else {
                PlanKind::DbFailover
            };
            plan(model, kind, effects)
        }
        Action::RestartSites => plan(model, PlanKind::RestartSites, effects),
        Action::Failback => plan(model, PlanKind::Failback, effects),
        Action::DemoteSpares => plan(model, PlanKind::DemoteSpares, effects),
        Action::RestoreCache => plan(model, PlanKind::RestoreCache, effects),
        Action::RestoreDbReplica => plan(model, PlanKind::RestoreDbReplica, effects),
        Action::AckAlert => match selected_alert(model) {
            Some(alert) => {
                if let Some(reason) = model.write_block() {
                    return model.toast(format!("acknowledge: not allowed, {reason}"), true);
                }
                effects.push(Effect::AckAlert(alert.id));
                model.toast("acknowledging…", false);
            }
            None => select_an_alert(model),
        },
        Action::SilenceAlert => match selected_alert(model) {
            Some(alert) => {
                if let Some(reason) = model.write_block() {
                    return model.toast(format!("silence: not allowed, {reason}"), true);
                }
                let mut view = AlertView::new(alert);
                view.silence = Some(SilenceForm {
                    duration: 1,
                    reason: String::new(),
                    error: None,
                });
                model.ui.overlay = Overlay::AlertView(Box::new(view));
            }
            None => select_an_alert(model),
        },
        Action::AbortAction => abort(model, effects),
        Action::UndoAction => undo(model, effects),
        Action::ShowAction => show_action(model),
        Action::ToggleUpcoming => {
            model.show_upcoming = !model.show_upcoming;
            let text = match (model.show_upcoming, model.data.sim.is_some()) {
                (_, false) => "no simulator: there are no scripted faults to show",
                (true, true) => "upcoming faults shown",
                (false, true) => "upcoming faults hidden",
            };
            model.toast(text, false);
        }
        // Keys of the overlays' contexts: never bound in the panes.
        Action::Save
        | Action::Submit
        | Action::Cancel
        | Action::NextField
        | Action::PrevField
        | Action::ChoiceNext
        | Action::ChoicePrev
        | Action::Execute
        | Action::Replan
        | Action::FollowUp
        | Action::AcknowledgeCooldown
        | Action::TakeOffer
        | Action::Yes
        | Action::No
        | Action::KeepMine
        | Action::TakeTheirs
        | Action::Merge
        | Action::Run
        | Action::Unbound => {}
    }
}

fn no_incident(model: &mut Model) {
    let declare = model.keymap.hint(Context::Global, Action::NewIncident);
    model.toast(
        format!("no incident yet: press {declare} to declare one"),
        true,
    );
}

fn select_an_entry(model: &mut Model) {
    let focus = model.keymap.hint(Context::Global, Action::FocusTimeline);
    let down = model.keymap.hint(Context::List, Action::Down);
    let up = model.keymap.hint(Context::List, Action::Up);
    model.toast(
        format!("select an entry in the timeline first ({focus}, then {down}/{up})"),
        true,
    );
}

fn new_entry(model: &mut Model, kind: NewKind) {
    match Composer::open_new(kind, &model.ctx()) {
        Ok(composer) => model.ui.overlay = Overlay::Compose(Box::new(composer)),
        Err(why) => model.toast(why, true),
    }
}

/// Enter / `o`: the selected timeline entry or alert, in full.
fn open_selected(model: &mut Model) {
    match model.ui.focus {
        Pane::Timeline => match selected_entry(model).cloned() {
            Some(entry) => model.ui.overlay = Overlay::Reader(Reader::entry(entry)),
            None => select_an_entry(model),
        },
        Pane::Alerts => match model.data.alerts.open.get(model.ui.alerts.selected) {
            Some(alert) => {
                model.ui.overlay = Overlay::AlertView(Box::new(AlertView::new(alert.clone())))
            }
            None => model.toast("no alert is open", false),
        },
        Pane::Servers | Pane::Sites => {}
    }
}

/// The alert under the selection, when the alerts pane has focus.
fn selected_alert(model: &Model) -> Option<Alert> {
    if model.ui.focus != Pane::Alerts {
        return None;
    }
    model
        .data
        .alerts
        .open
        .get(model.ui.alerts.selected)
        .cloned()
}

fn select_an_alert(model: &mut Model) {
    let focus = model.keymap.hint(Context::Global, Action::FocusAlerts);
    model.toast(
        format!("select an alert in the Alerts pane first ({focus})"),
        true,
    );
}

/// The timeline entry under the selection, when the timeline has focus.
fn selected_entry(model: &Model) -> Option<&TimelineEntry> {
    if model.ui.focus != Pane::Timeline {
        return None;
    }
    model
        .data
        .incidents
        .timeline
        .entries
        .get(model.ui.timeline.selected)
}

/// The selected entry if it may be changed, else a toast saying why not.
fn editable_entry(model: &mut Model) -> Option<TimelineEntry> {
    if let Some(reason) = model.write_block() {
        model.toast(reason, true);
        return None;
    }
    let Some(entry) = selected_entry(model).cloned() else {
        select_an_entry(model);
        return None;
    };
    if let Err(why) = composer::editable(&entry) {
        model.toast(why, true);
        return None;
    }
    Some(entry)
}

/// Save a one-field change of the selected entry through the journal.
fn quick_patch(model: &mut Model, effects: &mut Vec<Effect>, patch: EntryPatch, done: &str) {
    let Some(entry) = editable_entry(model) else {
        return;
    };
    let write = composer::patch_write(&entry, patch, &model.ctx());
    effects.push(Effect::Journal(Box::new(write)));
    model.toast(done.to_string(), false);
}

/// `v` on an internal entry: make it public, after a yes.
fn confirm_public(model: &mut Model, patch: EntryPatch) {
    let Some(entry) = editable_entry(model) else {
        return;
    };
    let first = entry.body.lines().next().unwrap_or("").to_string();
    let yes = model.keymap.hint(Context::Confirm, Action::Yes);
    let no = model.keymap.hint(Context::Confirm, Action::No);
    let write = composer::patch_write(&entry, patch, &model.ctx());
    model.ui.overlay = Overlay::Confirm(Confirm {
        question: format!(
            "Make entry #{} \"{}\" public? Public entries go to the status page and the postmortem. {yes} = make public, {no} = keep internal",
            entry.id,
            sanitize(&first)
        ),
        then: OnYes::Journal(Box::new(write)),
        done: "now public".into(),
        under: None,
    });
}

/// `d`: delete the selected entry, after a yes.
fn confirm_delete(model: &mut Model) {
    if let Some(reason) = model.write_block() {
        return model.toast(reason, true);
    }
    let Some(entry) = selected_entry(model).cloned() else {
        return select_an_entry(model);
    };
    if entry.is_immutable() {
        return model.toast(
            "entries from detectors, actions and role handoffs are kept as recorded and cannot be deleted",
            true,
        );
    }
    let first = entry.body.lines().next().unwrap_or("").to_string();
    let yes = model.keymap.hint(Context::Confirm, Action::Yes);
    let no = model.keymap.hint(Context::Confirm, Action::No);
    model.ui.overlay = Overlay::Confirm(Confirm {
        question: format!(
            "Delete entry #{} \"{}\"? It stays in the audit log. {yes} = delete, {no} = keep",
            entry.id,
            sanitize(&first)
        ),
        then: OnYes::Journal(Box::new(JournalWrite {
            id: model.ids.next(),
            incident_id: entry.incident_id,
            made_at: model.api_now(),
            op: WriteOp::DeleteEntry {
                entry_id: entry.id,
                base_version: entry.version,
            },
        })),
        done: "deleted".into(),
        under: None,
    });
}

/// A plan key (`E`, `P`, `C`, `W`, `D`, `R`, `B`) was pressed.
fn plan(model: &mut Model, kind: PlanKind, effects: &mut Vec<Effect>) {
    if let Some(reason) = model.action_block() {
        return model.toast(format!("{}: not allowed, {reason}", kind.as_str()), true);
    }
    match target::request_for(model, kind) {
        Ok(request) => {
            let (modal, effect) = PlanModal::request(request);
            effects.push(effect);
            model.ui.overlay = Overlay::Plan(Box::new(modal));
        }
        Err(hint) => model.toast(hint, true),
    }
}

/// `A`: abort the running action.
fn abort(model: &mut Model, effects: &mut Vec<Effect>) {
    if let Some(reason) = model.action_block() {
        return model.toast(format!("abort: not allowed, {reason}"), true);
    }
    let Some(action) = model.data.actions.running() else {
        return model.toast("no action is running: nothing to abort", true);
    };
    let (id, label) = (action.id.clone(), action_label(action));
    model.aborting = Some(id.clone());
    effects.push(Effect::Abort(id));
    model.toast(format!("aborting {label}…"), false);
}

/// `U`: undo the last finished action (a failback plan).
fn undo(model: &mut Model, effects: &mut Vec<Effect>) {
    if let Some(reason) = model.action_block() {
        return model.toast(format!("undo: not allowed, {reason}"), true);
    }
    match model.data.actions.undoable() {
        Ok(action) => {
            let action_id = action.id.clone();
            effects.push(Effect::Undo(action_id.clone()));
            let modal = PlanModal::planning(super::overlay::Origin::Undo { action_id });
            model.ui.overlay = Overlay::Plan(Box::new(modal));
        }
        Err(why) => model.toast(why, true),
    }
}

/// `a`: show the running (or last) action in the modal.
fn show_action(model: &mut Model) {
    if let Some(parked) = model.parked.take() {
        model.ui.overlay = Overlay::Plan(parked);
        return;
    }
    let actions = &model.data.actions;
    match actions.running().or(actions.list.first()) {
        Some(action) => {
            let plan = actions.plan_for(action).cloned();
            let modal = PlanModal::following(action.id.clone(), plan);
            model.ui.overlay = Overlay::Plan(Box::new(modal));
        }
        None => model.toast("no failover action has run yet", false),
    }
}
