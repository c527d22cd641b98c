//! What the console does with the answers to its writes. Part of `update`;
//! no I/O.

use super::msg::{Effect, Request, Wrote};
use super::state::Model;
use super::update::follow_incident;
use super::{actions, compose, forms};
use crate::client::WriteOp;

pub(super) fn wrote(model: &mut Model, wrote: Wrote, effects: &mut Vec<Effect>) {
    match wrote {
        Wrote::Incident { created, result } => match result {
            Ok(incident) => {
                let id = incident.id;
                let title = incident.title.clone();
                forms::incident_saved(model);
                model.incidents.apply(incident);
                if created {
                    model.incidents.select(Some(id));
                    model.toast(format!("incident #{id} declared: {title}"), false);
                }
                follow_incident(model, effects);
            }
            Err(error) => {
                if !forms::incident_not_saved(model, &error) {
                    model.toast(format!("the incident was not changed: {error}"), true);
                }
                // Our copy may be old (a 409): read it again.
                effects.push(Effect::Fetch(Request::Incidents));
            }
        },
        Wrote::Journal { pending } => {
            for write in &pending {
                compose::saved(model, &write.id);
            }
            model.pending = pending;
        }
        Wrote::JournalFailed { error } => {
            if !compose::not_saved(model, None, &error) {
                model.toast(format!("offline journal: {error}"), true);
            }
        }
        Wrote::EntrySent { write_id, entry } => {
            compose::saved(model, &write_id);
            model.pending.retain(|w| w.id != write_id);
            model.incidents.timeline.apply(*entry);
        }
        Wrote::EntryConflict { write, current } => {
            compose::saved(model, &write.id);
            model.pending.retain(|w| w.id != write.id);
            model.incidents.timeline.apply((*current).clone());
            forms::conflict(model, *write, *current);
        }
        Wrote::EntryRejected { write, error } => {
            model.pending.retain(|w| w.id != write.id);
            if !compose::not_saved(model, Some(&write.id), &error) {
                let what = match &write.op {
                    WriteOp::CreateEntry { entry } => {
                        format!("entry \"{}\"", first_line(&entry.body))
                    }
                    WriteOp::UpdateEntry { entry_id, .. } => format!("edit of entry #{entry_id}"),
                    WriteOp::DeleteEntry { entry_id, .. } => {
                        format!("deletion of entry #{entry_id}")
                    }
                };
                model.toast(format!("{what} refused: {error}"), true);
            }
        }
        Wrote::Plan(result) => actions::wrote_plan(model, result, effects),
        Wrote::Action(result) => actions::wrote_action(model, result, effects),
    }
    forms::show_queued_conflict(model);
    compose::reopen_failed(model);
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut short: String = line.chars().take(40).collect();
    if line.chars().count() > 40 {
        short.push('…');
    }
    super::sanitize(&short).into_owned()
}
