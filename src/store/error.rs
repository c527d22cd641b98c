use serde::Serialize;

use crate::model::{Incident, TimelineEntry};

/// Why a store call failed. Messages are safe to log and show: they never hold
/// credentials or connection strings.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} not found")]
    NotFound { what: String },
    /// The object changed since the caller read it; `current` is how it is now.
    #[error("version conflict: the {} is now at version {}", current.noun(), current.version())]
    Conflict { current: Box<Conflicting> },
    #[error("entries written by detectors and actions cannot be edited or deleted")]
    Immutable,
    #[error("this idempotency key was already used with different content")]
    IdempotencyMismatch,
    #[error("storage failure: {0}")]
    Backend(String),
}

impl StoreError {
    pub(crate) fn incident_not_found(id: i64) -> Self {
        StoreError::NotFound {
            what: format!("incident {id}"),
        }
    }

    pub(crate) fn entry_not_found(incident_id: i64, entry_id: i64) -> Self {
        StoreError::NotFound {
            what: format!("timeline entry {entry_id} of incident {incident_id}"),
        }
    }

    pub(crate) fn incident_conflict(current: Incident) -> Self {
        StoreError::Conflict {
            current: Box::new(Conflicting::Incident(current)),
        }
    }

    pub(crate) fn entry_conflict(current: TimelineEntry) -> Self {
        StoreError::Conflict {
            current: Box::new(Conflicting::Entry(current)),
        }
    }

    /// A stored value that does not decode: the database was edited by hand or
    /// written by an incompatible version.
    pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Self {
        StoreError::Backend(format!("stored {what} is unreadable: {detail}"))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        // sqlx errors name the failing statement or I/O problem, never the
        // connection password, so they are safe to pass on.
        StoreError::Backend(err.to_string())
    }
}

/// The current state of the object a [`StoreError::Conflict`] is about, so the
/// server can return it with the 409. Serializes as the bare object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Conflicting {
    Incident(Incident),
    Entry(TimelineEntry),
}

impl Conflicting {
    pub fn version(&self) -> i64 {
        match self {
            Conflicting::Incident(incident) => incident.version,
            Conflicting::Entry(entry) => entry.version,
        }
    }

    fn noun(&self) -> &'static str {
        match self {
            Conflicting::Incident(_) => "incident",
            Conflicting::Entry(_) => "timeline entry",
        }
    }
}
