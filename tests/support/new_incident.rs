//! The smallest valid incident to create.

use warroom::model::{NewIncident, Severity};

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
