//! Turning an imported report into the incident and back-dated timeline
//! entries that reproduce it.

use crate::model::{
    AffectedComponent, EntryKind, Impact, IncidentStatus, NewEntry, NewIncident, Severity, Source,
    UpdateStatus, Visibility,
};

use super::import::ImportedReport;
use super::postmortem::{IMPORTED_POSTMORTEM_HEADER, IMPORTED_REPORT_HEADER};

/// The severity given to imported incidents: reports do not state one.
pub const IMPORTED_SEVERITY: Severity = Severity::Sev3;

/// The incident and entries (all `source: import`, back-dated to their
/// `Posted` times) that an import creates.
///
/// Entries come oldest first and must be posted in that order: updates that
/// share a minute are told apart by their order of creation, which is how the
/// export puts them back in the report's order. A postmortem part becomes an
/// internal note starting with [`IMPORTED_POSTMORTEM_HEADER`], which the export
/// prints as published. The last entry is an internal note starting with
/// [`IMPORTED_REPORT_HEADER`] that keeps the report's page name (`Incident
/// Report for GitHub`), dated at the report's own `Posted` time (its
/// postmortem's, else its newest update's): the export names the page and
/// posts its postmortem at that time, whatever the local fleet is called.
pub fn imported_to_entries(report: &ImportedReport) -> (NewIncident, Vec<NewEntry>) {
    let oldest_first: Vec<_> = report.updates.iter().rev().collect();
    let started_at = oldest_first
        .first()
        .map(|u| u.posted_at)
        .or_else(|| report.postmortem.as_ref().map(|p| p.posted_at));

    let mut entries: Vec<NewEntry> = oldest_first
        .iter()
        .map(|update| NewEntry {
            kind: EntryKind::StatusUpdate,
            status: Some(update.status),
            visibility: Some(Visibility::Public),
            body: update.body.clone(),
            occurred_at: Some(update.posted_at),
            starred: false,
            marker: None,
            source: Some(Source::Import),
        })
        .collect();
    if let Some(postmortem) = &report.postmortem {
        let note = NewEntry {
            kind: EntryKind::Note,
            status: None,
            visibility: Some(Visibility::Internal),
            body: format!("{IMPORTED_POSTMORTEM_HEADER}\n{}", postmortem.body_text),
            occurred_at: Some(postmortem.posted_at),
            starred: false,
            marker: None,
            source: Some(Source::Import),
        };
        // After every update posted at or before it, so status updates keep
        // their relative order whatever the note's time.
        let index = entries
            .iter()
            .position(|e| e.occurred_at > note.occurred_at)
            .unwrap_or(entries.len());
        entries.insert(index, note);
    }
    let posted_at = report
        .postmortem
        .as_ref()
        .map(|p| p.posted_at)
        .or_else(|| report.updates.iter().map(|u| u.posted_at).max());
    entries.push(NewEntry {
        kind: EntryKind::Note,
        status: None,
        visibility: Some(Visibility::Internal),
        body: format!(
            "{IMPORTED_REPORT_HEADER}\nIncident Report for {}",
            report.service
        ),
        occurred_at: posted_at,
        starred: false,
        marker: None,
        source: Some(Source::Import),
    });

    let incident = NewIncident {
        title: report.title.clone(),
        severity: IMPORTED_SEVERITY,
        status: incident_status(report),
        impact: Impact::None,
        components: report
            .components
            .iter()
            .map(|name| AffectedComponent {
                name: name.clone(),
                status: Default::default(),
            })
            .collect(),
        started_at,
    };
    (incident, entries)
}

/// The newest status that is not a plain `Update`; `Investigating` if none.
fn incident_status(report: &ImportedReport) -> IncidentStatus {
    report
        .updates
        .iter()
        .find_map(|u| match u.status {
            UpdateStatus::Investigating => Some(IncidentStatus::Investigating),
            UpdateStatus::Identified => Some(IncidentStatus::Identified),
            UpdateStatus::Monitoring => Some(IncidentStatus::Monitoring),
            UpdateStatus::Resolved => Some(IncidentStatus::Resolved),
            UpdateStatus::Update => None,
        })
        .unwrap_or(IncidentStatus::Investigating)
}
