//! Behaviour of the store through the [`Store`] trait, on in-memory and file
//! databases.

mod incidents;
mod logs;
mod open;
mod timeline;

use std::path::Path;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};

use super::{EntryRecord, Store, open};
use crate::model::{
    EntryKind, Impact, IncidentStatus, NewIncident, Severity, Source, Timestamp, Visibility,
};

async fn memory_store() -> Arc<dyn Store> {
    open("sqlite::memory:")
        .await
        .expect("in-memory store opens")
}

async fn file_store(path: &Path) -> Arc<dyn Store> {
    open(&format!("sqlite://{}", path.display()))
        .await
        .expect("file store opens")
}

/// Minutes after the start of the 2017 switch incident.
fn at(minutes: i64) -> Timestamp {
    let start = Utc
        .with_ymd_and_hms(2017, 9, 11, 22, 15, 0)
        .single()
        .expect("valid time");
    start + Duration::minutes(minutes)
}

fn new_incident(title: &str) -> NewIncident {
    NewIncident {
        title: title.into(),
        severity: Severity::Sev2,
        status: IncidentStatus::Investigating,
        impact: Impact::Minor,
        components: vec![],
        started_at: None,
    }
}

fn note(body: &str, occurred_at: Timestamp) -> EntryRecord {
    EntryRecord {
        kind: EntryKind::Note,
        status: None,
        visibility: Visibility::Internal,
        body: body.into(),
        author: "ana".into(),
        occurred_at,
        starred: false,
        marker: None,
        source: Source::User,
    }
}
