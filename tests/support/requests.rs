//! The real client for a URL, and the smallest valid incident and note.

use warroom::client::{Client, ClientConfig};
use warroom::model::{EntryKind, NewEntry, NewIncident, Severity};

pub fn client_for(url: &str, token: Option<&str>) -> Client {
    Client::new(ClientConfig::new(
        vec![url.to_string()],
        token.map(str::to_string),
    ))
    .expect("client")
}

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
