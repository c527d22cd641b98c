//! Backend-neutral rules of the store: how new objects start, how patches change
//! them, and what their audit records say. Every backend calls these so that
//! SQLite and PostgreSQL cannot disagree.

use serde::Serialize;

use super::{AuditRecord, EntryRecord, StoreError};
use crate::model::{
    EntryPatch, Incident, IncidentPatch, IncidentState, IncidentStatus, NewIncident, TimelineEntry,
    Timestamp,
};

/// An incident that is created now, before the backend assigns its id.
pub(crate) fn new_incident(new: &NewIncident, now: Timestamp) -> Incident {
    let resolved = new.status == IncidentStatus::Resolved;
    Incident {
        id: 0,
        title: new.title.clone(),
        severity: new.severity,
        status: new.status,
        impact: new.impact,
        components: new.components.clone(),
        state: state_of(new.status),
        started_at: new.started_at.unwrap_or(now),
        created_at: now,
        updated_at: now,
        resolved_at: resolved.then_some(now),
        version: 1,
    }
}

fn state_of(status: IncidentStatus) -> IncidentState {
    if status == IncidentStatus::Resolved {
        IncidentState::Resolved
    } else {
        IncidentState::Open
    }
}

/// The incident after `patch`, or `None` when the patch changes nothing.
pub(crate) fn patched_incident(
    current: &Incident,
    patch: &IncidentPatch,
    now: Timestamp,
) -> Option<Incident> {
    let mut next = current.clone();
    if let Some(title) = &patch.title {
        next.title.clone_from(title);
    }
    if let Some(severity) = patch.severity {
        next.severity = severity;
    }
    if let Some(status) = patch.status {
        next.status = status;
    }
    if let Some(impact) = patch.impact {
        next.impact = impact;
    }
    if let Some(components) = &patch.components {
        next.components.clone_from(components);
    }
    if let Some(started_at) = patch.started_at {
        next.started_at = started_at;
    }
    next.state = state_of(next.status);
    match (current.state, next.state) {
        (IncidentState::Open, IncidentState::Resolved) => next.resolved_at = Some(now),
        (IncidentState::Resolved, IncidentState::Open) => next.resolved_at = None,
        _ => {}
    }
    if next == *current {
        return None;
    }
    next.updated_at = now;
    next.version += 1;
    Some(next)
}

/// A timeline entry that is recorded now, before the backend assigns its id.
pub(crate) fn new_entry(incident_id: i64, record: &EntryRecord, now: Timestamp) -> TimelineEntry {
    TimelineEntry {
        id: 0,
        incident_id,
        kind: record.kind,
        status: record.status,
        visibility: record.visibility,
        body: record.body.clone(),
        author: record.author.clone(),
        occurred_at: record.occurred_at,
        recorded_at: now,
        edited_at: None,
        edited_by: None,
        version: 1,
        starred: record.starred,
        marker: record.marker,
        source: record.source,
        deleted_at: None,
    }
}

/// Refuses edits of deleted entries (gone from the timeline) and of entries
/// written by detectors and actions.
pub(crate) fn ensure_editable(entry: &TimelineEntry) -> Result<(), StoreError> {
    if entry.deleted_at.is_some() {
        return Err(StoreError::entry_not_found(entry.incident_id, entry.id));
    }
    if entry.is_immutable() {
        return Err(StoreError::Immutable);
    }
    Ok(())
}

/// The entry after `patch`, or `None` when the patch changes nothing.
pub(crate) fn patched_entry(
    current: &TimelineEntry,
    patch: &EntryPatch,
    actor: &str,
    now: Timestamp,
) -> Option<TimelineEntry> {
    let mut next = current.clone();
    if let Some(body) = &patch.body {
        next.body.clone_from(body);
    }
    if let Some(status) = patch.status {
        next.status = Some(status);
    }
    if let Some(visibility) = patch.visibility {
        next.visibility = visibility;
    }
    if let Some(occurred_at) = patch.occurred_at {
        next.occurred_at = occurred_at;
    }
    if let Some(starred) = patch.starred {
        next.starred = starred;
    }
    if let Some(marker) = patch.marker {
        next.marker = marker;
    }
    if next == *current {
        return None;
    }
    // Starring marks an entry for the postmortem; it does not change what
    // the entry says, so it is not an edit (the version still rises).
    let only_starred = TimelineEntry {
        starred: current.starred,
        ..next.clone()
    } == *current;
    if !only_starred {
        next.edited_at = Some(now);
        next.edited_by = Some(actor.to_string());
    }
    next.version += 1;
    Some(next)
}

/// The entry after a soft delete by `actor`.
pub(crate) fn deleted_entry(current: &TimelineEntry, actor: &str, now: Timestamp) -> TimelineEntry {
    let mut next = current.clone();
    next.deleted_at = Some(now);
    next.edited_by = Some(actor.to_string());
    next.version += 1;
    next
}

pub(crate) fn incident_target(id: i64) -> String {
    format!("incidents/{id}")
}

pub(crate) fn entry_target(incident_id: i64, entry_id: i64) -> String {
    format!("incidents/{incident_id}/timeline/{entry_id}")
}

/// The audit record of a change the store makes to an incident.
pub(crate) fn incident_audit(
    action: &str,
    actor: &str,
    now: Timestamp,
    before: Option<&Incident>,
    after: &Incident,
) -> Result<AuditRecord, StoreError> {
    change_audit(
        action,
        actor,
        now,
        incident_target(after.id),
        after.id,
        before,
        after,
    )
}

/// The audit record of a change the store makes to a timeline entry.
pub(crate) fn entry_audit(
    action: &str,
    actor: &str,
    now: Timestamp,
    before: Option<&TimelineEntry>,
    after: &TimelineEntry,
) -> Result<AuditRecord, StoreError> {
    change_audit(
        action,
        actor,
        now,
        entry_target(after.incident_id, after.id),
        after.incident_id,
        before,
        after,
    )
}

fn change_audit<T: Serialize>(
    action: &str,
    actor: &str,
    now: Timestamp,
    target: String,
    incident_id: i64,
    before: Option<&T>,
    after: &T,
) -> Result<AuditRecord, StoreError> {
    #[derive(Serialize)]
    struct Change<'a, T> {
        before: Option<&'a T>,
        after: &'a T,
    }
    let detail = serde_json::to_value(Change { before, after })
        .map_err(|err| StoreError::Backend(format!("cannot encode audit detail: {err}")))?;
    Ok(AuditRecord {
        at: now,
        actor: actor.to_owned(),
        action: action.to_owned(),
        target,
        incident_id: Some(incident_id),
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Impact, Severity};
    use chrono::{TimeZone, Utc};

    fn at(minute: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2017, 9, 11, 22, minute, 0)
            .single()
            .expect("valid time")
    }

    fn open_incident() -> Incident {
        new_incident(
            &NewIncident {
                title: "app-03 down".into(),
                severity: Severity::Sev2,
                status: IncidentStatus::Investigating,
                impact: Impact::Minor,
                components: vec![],
                started_at: None,
            },
            at(15),
        )
    }

    #[test]
    fn resolving_sets_resolved_at_and_reopening_clears_it() {
        let open = open_incident();
        let resolve = IncidentPatch {
            status: Some(IncidentStatus::Resolved),
            ..Default::default()
        };
        let resolved = patched_incident(&open, &resolve, at(30)).expect("a change");
        assert_eq!(resolved.state, IncidentState::Resolved);
        assert_eq!(resolved.resolved_at, Some(at(30)));
        assert_eq!(resolved.version, 2);

        let reopen = IncidentPatch {
            status: Some(IncidentStatus::Monitoring),
            ..Default::default()
        };
        let reopened = patched_incident(&resolved, &reopen, at(40)).expect("a change");
        assert_eq!(reopened.state, IncidentState::Open);
        assert_eq!(reopened.resolved_at, None);
        assert_eq!(reopened.version, 3);
    }

    #[test]
    fn a_patch_that_changes_nothing_is_no_change() {
        let open = open_incident();
        let same = IncidentPatch {
            title: Some(open.title.clone()),
            ..Default::default()
        };
        assert_eq!(patched_incident(&open, &same, at(30)), None);
    }
}
