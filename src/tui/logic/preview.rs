//! What a public status update will publish, checked against the incident
//! and the live fleet before it is posted (issue 4, point 3), and when the
//! next public update is due. Pure: the caller passes the incident, its
//! timeline, the fleet and the time.

use chrono::{DateTime, Utc};

use crate::model::{
    AffectedComponent, ComponentStatus, EntryKind, HealthState, Impact, Incident, IncidentState,
    IncidentStatus, TimelineEntry, UpdateStatus, Visibility,
};
use crate::tui::data::FleetSnapshot;
use crate::tui::settings::UpdateCadence;

#[cfg(test)]
mod tests;

/// What a status update will change.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusDraft {
    pub status: UpdateStatus,
    pub impact: Impact,
    pub components: Vec<AffectedComponent>,
    pub body: String,
}

/// One component as the update changes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentChange {
    pub name: String,
    /// `None`: the incident did not list this component before.
    pub old: Option<ComponentStatus>,
    /// `None`: the update removes the component from the incident.
    pub new: Option<ComponentStatus>,
}

impl ComponentChange {
    pub fn is_unchanged(&self) -> bool {
        self.old == self.new
    }
}

/// Facts about the live fleet that a status update can contradict.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetFacts {
    pub sites_total: usize,
    /// Sites that are down or flapping (customers cannot rely on them).
    pub sites_down: usize,
    pub sites_degraded: usize,
    /// Ids of servers, the active cache node and the database writer that
    /// are down or flapping, in topology order, each once.
    pub nodes_down: Vec<String>,
}

/// The facts of `fleet` a status update could contradict. Site counts are
/// the snapshot's own counts, so they agree with the sites pane.
pub fn fleet_facts(fleet: &FleetSnapshot) -> FleetFacts {
    let topology = &fleet.topology;
    let counts = &fleet.counts;
    let mut nodes_down: Vec<String> = topology
        .servers
        .iter()
        .filter(|server| server.health.state.is_unhealthy())
        .map(|server| server.id.clone())
        .collect();
    let cache = topology
        .cache
        .as_ref()
        .map(|cache| (&cache.active, cache.health.state));
    let database = topology
        .database
        .as_ref()
        .map(|db| (&db.writer, db.health.state));
    for (id, state) in cache.into_iter().chain(database) {
        if state.is_unhealthy() && !nodes_down.contains(id) {
            nodes_down.push(id.clone());
        }
    }
    FleetFacts {
        sites_total: topology.sites.len(),
        sites_down: (counts.get(HealthState::Down) + counts.get(HealthState::Flapping)) as usize,
        sites_degraded: counts.get(HealthState::Degraded) as usize,
        nodes_down,
    }
}

/// What a status update publishes, as the commander sees it before posting.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub status: UpdateStatus,
    /// The incident's impact now and after the update.
    pub impact: (Impact, Impact),
    /// Every component: the draft's in draft order (unchanged ones too),
    /// then the ones the draft removes, in the incident's order.
    pub components: Vec<ComponentChange>,
    /// Contradictions, as sentences, most serious first; empty when none.
    pub warnings: Vec<String>,
    /// The text as typed (not sanitized: views sanitize when drawing).
    pub body: String,
}

/// The preview of `draft` for `incident`. `last_public` = the status of
/// the newest public status_update entry already posted, if any.
pub fn preview(
    incident: &Incident,
    last_public: Option<UpdateStatus>,
    draft: &StatusDraft,
    facts: &FleetFacts,
) -> Preview {
    Preview {
        status: draft.status,
        impact: (incident.impact, draft.impact),
        components: component_changes(&incident.components, &draft.components),
        warnings: warnings(last_public, draft, facts),
        body: draft.body.clone(),
    }
}

fn component_changes(
    before: &[AffectedComponent],
    after: &[AffectedComponent],
) -> Vec<ComponentChange> {
    let listed = after.iter().map(|component| ComponentChange {
        name: component.name.clone(),
        old: before
            .iter()
            .find(|old| old.name == component.name)
            .map(|old| old.status),
        new: Some(component.status),
    });
    let removed = before
        .iter()
        .filter(|old| !after.iter().any(|new| new.name == old.name))
        .map(|old| ComponentChange {
            name: old.name.clone(),
            old: Some(old.status),
            new: None,
        });
    listed.chain(removed).collect()
}

/// The checks run in order of seriousness, so the list comes out most
/// serious first: telling the public it is fixed while customers are down
/// outranks an update that merely contradicts itself, which outranks
/// style problems.
fn warnings(
    last_public: Option<UpdateStatus>,
    draft: &StatusDraft,
    facts: &FleetFacts,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let resolved = draft.status == UpdateStatus::Resolved;
    let sites_down = sites_phrase(facts.sites_down, facts.sites_total, "down");

    if resolved && facts.sites_down > 0 {
        warnings.push(format!("This says resolved, but {sites_down} right now."));
    }
    let impaired: Vec<&AffectedComponent> = draft
        .components
        .iter()
        .filter(|c| is_impaired(c.status))
        .collect();
    if resolved && !impaired.is_empty() {
        warnings.push(format!(
            "This says resolved, but it still lists {}; set {} to operational first.",
            described(&impaired),
            plural(impaired.len(), "it", "them"),
        ));
    }
    if draft.status == UpdateStatus::Monitoring && facts.sites_down > 0 {
        warnings.push(format!(
            "This says monitoring (a fix is in place), but {sites_down} right now."
        ));
    }
    let in_outage: Vec<&AffectedComponent> = draft
        .components
        .iter()
        .filter(|c| is_outage(c.status))
        .collect();
    if draft.impact == Impact::None && !in_outage.is_empty() {
        warnings.push(format!(
            "Impact is none, but it lists {}: users are affected.",
            described(&in_outage)
        ));
    }
    if resolved && matches!(draft.impact, Impact::Major | Impact::Critical) {
        warnings.push(format!(
            "This says resolved, but impact is still {}; lower it if users are no longer affected.",
            draft.impact.as_str()
        ));
    }
    if resolved && facts.sites_degraded > 0 {
        warnings.push(format!(
            "This says resolved, but {} right now.",
            sites_phrase(facts.sites_degraded, facts.sites_total, "degraded")
        ));
    }
    if resolved && !facts.nodes_down.is_empty() {
        warnings.push(format!(
            "This says resolved, but {} {} still down; make sure no site depends on {}.",
            id_list(&facts.nodes_down),
            plural(facts.nodes_down.len(), "is", "are"),
            plural(facts.nodes_down.len(), "it", "them"),
        ));
    }
    if let Some(last) = last_public
        && goes_back(last, draft.status)
    {
        warnings.push(if last == UpdateStatus::Resolved {
            format!(
                "This reopens the incident: the last public update said resolved, this one says {}.",
                draft.status.as_str()
            )
        } else {
            format!(
                "The last public update said {}; this one goes back to {}.",
                last.as_str(),
                draft.status.as_str()
            )
        });
    }
    if draft.body.trim().is_empty() {
        warnings.push("The update has no text: readers will see only the status.".to_string());
    }
    warnings
}

/// Anything but operational or planned maintenance.
fn is_impaired(status: ComponentStatus) -> bool {
    matches!(
        status,
        ComponentStatus::DegradedPerformance
            | ComponentStatus::PartialOutage
            | ComponentStatus::MajorOutage
    )
}

fn is_outage(status: ComponentStatus) -> bool {
    matches!(
        status,
        ComponentStatus::PartialOutage | ComponentStatus::MajorOutage
    )
}

/// How far an incident has come; `update` says nothing about progress.
fn progress(status: UpdateStatus) -> Option<u8> {
    match status {
        UpdateStatus::Investigating => Some(0),
        UpdateStatus::Identified => Some(1),
        UpdateStatus::Update => None,
        UpdateStatus::Monitoring => Some(2),
        UpdateStatus::Resolved => Some(3),
    }
}

fn goes_back(last: UpdateStatus, next: UpdateStatus) -> bool {
    matches!((progress(last), progress(next)), (Some(l), Some(n)) if n < l)
}

/// "3 of 40 sites are down", "1 of 40 sites is down".
fn sites_phrase(count: usize, total: usize, state: &str) -> String {
    let verb = plural(count, "is", "are");
    format!("{count} of {total} sites {verb} {state}")
}

fn plural(count: usize, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 { one } else { many }
}

/// "api", "api and web", "api, web and db".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "api (major outage)", "api (major outage) and web (partial outage)".
fn described(components: &[&AffectedComponent]) -> String {
    let each: Vec<String> = components
        .iter()
        .map(|c| format!("{} ({})", c.name, component_status_name(c.status)))
        .collect();
    join_and(&each)
}

/// Node ids, at most five named.
fn id_list(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    if ids.len() <= SHOWN {
        return join_and(ids);
    }
    format!("{} and {} more", ids[..SHOWN].join(", "), ids.len() - SHOWN)
}

/// A component status as a status page words it: "major outage".
pub fn component_status_name(status: ComponentStatus) -> &'static str {
    match status {
        ComponentStatus::Operational => "operational",
        ComponentStatus::DegradedPerformance => "degraded performance",
        ComponentStatus::PartialOutage => "partial outage",
        ComponentStatus::MajorOutage => "major outage",
        ComponentStatus::UnderMaintenance => "under maintenance",
    }
}

pub fn is_public_status_update(entry: &TimelineEntry) -> bool {
    entry.kind == EntryKind::StatusUpdate
        && entry.visibility == Visibility::Public
        && entry.deleted_at.is_none()
}

/// The newest (by `occurred_at`, then `recorded_at`) public status update
/// that was not deleted.
fn newest_public_update(entries: &[TimelineEntry]) -> Option<&TimelineEntry> {
    entries
        .iter()
        .filter(|entry| is_public_status_update(entry))
        .max_by_key(|entry| (entry.occurred_at, entry.recorded_at, entry.id))
}

/// The newest public status update's status in `entries` (deleted entries
/// ignored; `None` when no public update carries a status).
pub fn last_public_status(entries: &[TimelineEntry]) -> Option<UpdateStatus> {
    newest_public_update(entries).and_then(|entry| entry.status)
}

/// When the next public update is due: the newest public status update's
/// `occurred_at` (or `incident.started_at` if none) plus the cadence for
/// the incident's severity. `None` when that cadence is `None` or the
/// incident is resolved. Notes and internal updates do not reset it.
pub fn next_update_due(
    incident: &Incident,
    entries: &[TimelineEntry],
    cadence: &UpdateCadence,
) -> Option<DateTime<Utc>> {
    if incident.state == IncidentState::Resolved || incident.status == IncidentStatus::Resolved {
        return None;
    }
    let every = cadence.for_severity(incident.severity)?;
    let since = newest_public_update(entries)
        .map(|entry| entry.occurred_at)
        .unwrap_or(incident.started_at);
    since.checked_add_signed(every)
}

/// "next update due in 12 min", "next update overdue by 3 min", "next
/// update due in 1 h 05 min". Whole minutes rounded down, so the countdown
/// never promises more time than is left; within the last minute "due in
/// under a minute", and for the first minute after it "due now".
pub fn countdown_text(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (due - now).num_seconds();
    if seconds > 0 {
        let minutes = seconds / 60;
        if minutes == 0 {
            "next update due in under a minute".to_string()
        } else {
            format!("next update due in {}", minutes_text(minutes))
        }
    } else {
        let minutes = -seconds / 60;
        if minutes == 0 {
            "next update due now".to_string()
        } else {
            format!("next update overdue by {}", minutes_text(minutes))
        }
    }
}

/// "59 min", "90 min", "2 h 05 min": minutes alone up to two hours, where
/// they still read at a glance.
fn minutes_text(minutes: i64) -> String {
    if minutes < 120 {
        format!("{minutes} min")
    } else {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    }
}
