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
    #[error(
        "entries written by detectors and actions, and role handoffs, cannot be edited or deleted"
    )]
    Immutable,
    #[error("this idempotency key was already used with different content")]
    IdempotencyMismatch,
    #[error("storage failure: {0}")]
    Backend(String),
    /// The database or its driver failed; `source` is the driver's error, so
    /// callers can tell a passing failure from a lasting one
    /// ([`StoreError::is_retryable`]).
    #[error("storage failure: {0}")]
    Database(#[source] sqlx::Error),
    /// A write from a leader whose lease another replica has taken (or
    /// that ran out): nothing was written. `current` is the epoch leading
    /// now, when one does.
    #[error("refused: this replica's leadership (epoch {epoch}) has ended{}", current.map(|c| format!("; epoch {c} leads now")).unwrap_or_default())]
    Fenced { epoch: i64, current: Option<i64> },
    /// The connection failed while the commit was under way: the write may or
    /// may not have been made, so it is not retried blindly.
    #[error("storage failure while committing (the write may or may not have been made): {0}")]
    CommitUnknown(#[source] sqlx::Error),
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

impl StoreError {
    /// `true` for failures that a new attempt of the same transaction may not
    /// meet: a serialization failure (SQLSTATE 40001), a deadlock (40P01), a
    /// lost or refused connection (class 08, 57P01–57P03, I/O errors), a pool
    /// that had no connection free in time, and SQLite's busy and locked
    /// errors. Everything else (constraint violations, bad SQL, decoding,
    /// conflicts, a closed store, a commit whose outcome is unknown) is fatal.
    pub fn is_retryable(&self) -> bool {
        match self {
            StoreError::Database(err) => retryable_sqlx(err),
            _ => false,
        }
    }

    /// The SQLSTATE (PostgreSQL) or result code (SQLite) of a database
    /// error, if this is one.
    pub fn database_code(&self) -> Option<String> {
        match self {
            StoreError::Database(sqlx::Error::Database(db))
            | StoreError::CommitUnknown(sqlx::Error::Database(db)) => {
                db.code().map(|code| code.into_owned())
            }
            _ => None,
        }
    }
}

fn retryable_sqlx(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| retryable_code(&code)),
        _ => false,
    }
}

/// SQLSTATEs of PostgreSQL and result codes of SQLite that mean "try again".
pub(crate) fn retryable_code(code: &str) -> bool {
    match code {
        // serialization_failure, deadlock_detected
        "40001" | "40P01" => true,
        // admin_shutdown, crash_shutdown, cannot_connect_now
        "57P01" | "57P02" | "57P03" => true,
        // connection exceptions, except a protocol violation (a bug, not luck)
        "08P01" => false,
        code if code.starts_with("08") => true,
        // SQLite: BUSY, LOCKED and their extended codes (BUSY_RECOVERY,
        // LOCKED_SHAREDCACHE, BUSY_SNAPSHOT, BUSY_TIMEOUT)
        "5" | "6" | "261" | "262" | "517" | "773" => true,
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        // sqlx errors name the failing statement or I/O problem, never the
        // connection password, so they are safe to pass on.
        StoreError::Database(err)
    }
}

/// A migration that could not be applied, with what to do about it.
pub(crate) fn migration_error(err: sqlx::migrate::MigrateError) -> StoreError {
    use sqlx::migrate::MigrateError;
    match err {
        MigrateError::VersionMissing(version) => StoreError::Backend(format!(
            "the database has schema migration {version}, newer than this build knows; \
             use a newer warroom"
        )),
        MigrateError::VersionMismatch(version) => StoreError::Backend(format!(
            "schema migration {version} in the database differs from this build's; \
             the database was written by an incompatible warroom"
        )),
        MigrateError::Execute(err) | MigrateError::ExecuteMigration(err, _) => {
            StoreError::Database(err)
        }
        other => StoreError::Backend(format!("cannot migrate the database: {other}")),
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
