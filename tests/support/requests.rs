//! The smallest valid incident and note to create.

use warroom::model::{EntryKind, NewEntry, NewIncident, Severity};

pub fn incident(title: &str) -> NewIncident {
    NewIncident {
        title: title.into(),
        severity: Severity::Sev2,
        status: warroom::model::IncidentStatus::Investigating,
        impact: warroom::model::Impact::Major,
        components: Vec::new(),
        started_at: None,
    }
}

pub fn note(body: &str) -> NewEntry {
    NewEntry {
        kind: EntryKind::Note,
        status: None,
        visibility: None,
        body: body.into(),
        occurred_at: None,
        starred: false,
        marker: None,
        source: None,
    }
}
