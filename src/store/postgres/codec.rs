//! How model values are written to PostgreSQL columns and read back.
//!
//! The same encodings as SQLite's (see `migrations/postgres`): timestamps as
//! RFC 3339 text with nine fractional digits, enums by their wire names, JSON
//! as jsonb (written from text with `$n::jsonb`, read back with `::text`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::model::{Event, HealthSample, Incident, TimelineEntry, Timestamp};
use crate::store::{AuditRecord, StoreError};

/// The columns [`incident_from_row`] reads, in `SELECT` order.
macro_rules! incident_columns {
    () => {
        "id, title, severity, status, impact, components::text AS components, state, \
         started_at, created_at, updated_at, resolved_at, version"
    };
}

/// The columns [`entry_from_row`] reads, in `SELECT` order.
macro_rules! entry_columns {
    () => {
        "id, incident_id, kind, status, visibility, body, author, occurred_at, recorded_at, \
         edited_at, edited_by, version, starred, marker, source, deleted_at"
    };
}

pub(super) use {entry_columns, incident_columns};

/// RFC 3339 in UTC with exactly nine fractional digits: exact to the
/// nanosecond, and text order (collation "C") is time order.
pub(super) fn time_text(time: Timestamp) -> String {
    time.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub(super) fn opt_time_text(time: Option<Timestamp>) -> Option<String> {
    time.map(time_text)
}

fn parse_time(column: &str, text: &str) -> Result<Timestamp, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|err| StoreError::corrupt(column, format!("{text:?}: {err}")))
}

/// The wire name of a unit enum variant, e.g. `status_update`.
pub(super) fn enum_text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        Ok(other) => Err(StoreError::Backend(format!(
            "expected an enum name to store, got {other}"
        ))),
        Err(err) => Err(StoreError::Backend(format!("cannot encode value: {err}"))),
    }
}

pub(super) fn opt_enum_text<T: Serialize>(value: Option<&T>) -> Result<Option<String>, StoreError> {
    value.map(enum_text).transpose()
}

fn parse_enum<T: DeserializeOwned>(column: &str, text: String) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text))
        .map_err(|err| StoreError::corrupt(column, err))
}

pub(super) fn json_text<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|err| StoreError::Backend(format!("cannot encode JSON: {err}")))
}

pub(super) fn parse_json<T: DeserializeOwned>(column: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::corrupt(column, err))
}

/// Typed access to one row that names the column in every error.
struct Columns<'r>(&'r PgRow);

impl Columns<'_> {
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn time(&self, column: &str) -> Result<Timestamp, StoreError> {
        parse_time(column, &self.text(column)?)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn opt_time(&self, column: &str) -> Result<Option<Timestamp>, StoreError> {
        let text: Option<String> = self.0.try_get(column)?;
        text.map(|text| parse_time(column, &text)).transpose()
    }

    fn enumeration<T: DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        parse_enum(column, self.text(column)?)
    }

    fn opt_enumeration<T: DeserializeOwned>(&self, column: &str) -> Result<Option<T>, StoreError> {
        let text: Option<String> = self.0.try_get(column)?;
        text.map(|text| parse_enum(column, text)).transpose()
    }

    fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        parse_json(column, &self.text(column)?)
    }
}

pub(super) fn incident_from_row(row: &PgRow) -> Result<Incident, StoreError> {
    let row = Columns(row);
    Ok(Incident {
        id: row.int("id")?,
        title: row.text("title")?,
        severity: row.enumeration("severity")?,
        status: row.enumeration("status")?,
        impact: row.enumeration("impact")?,
        components: row.json("components")?,
        state: row.enumeration("state")?,
        started_at: row.time("started_at")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        resolved_at: row.opt_time("resolved_at")?,
        version: row.int("version")?,
    })
}

pub(super) fn entry_from_row(row: &PgRow) -> Result<TimelineEntry, StoreError> {
    let columns = Columns(row);
    Ok(TimelineEntry {
        id: columns.int("id")?,
        incident_id: columns.int("incident_id")?,
        kind: columns.enumeration("kind")?,
        status: columns.opt_enumeration("status")?,
        visibility: columns.enumeration("visibility")?,
        body: columns.text("body")?,
        author: columns.text("author")?,
        occurred_at: columns.time("occurred_at")?,
        recorded_at: columns.time("recorded_at")?,
        edited_at: columns.opt_time("edited_at")?,
        edited_by: columns.opt_text("edited_by")?,
        version: columns.int("version")?,
        starred: row.try_get("starred")?,
        marker: columns.opt_enumeration("marker")?,
        source: columns.enumeration("source")?,
        deleted_at: columns.opt_time("deleted_at")?,
    })
}

/// Reads `seq, at, payload` (payload as text).
pub(super) fn event_from_row(row: &PgRow) -> Result<Event, StoreError> {
    let row = Columns(row);
    Ok(Event {
        seq: row.int("seq")?,
        at: row.time("at")?,
        payload: row.json("payload")?,
    })
}

/// Reads `component_id, component, at, state, latency_ms, error_rate`.
pub(super) fn health_from_row(row: &PgRow) -> Result<HealthSample, StoreError> {
    let columns = Columns(row);
    Ok(HealthSample {
        component_id: columns.text("component_id")?,
        component: columns.enumeration("component")?,
        at: columns.time("at")?,
        state: columns.enumeration("state")?,
        latency_ms: row.try_get("latency_ms")?,
        error_rate: row.try_get("error_rate")?,
    })
}

/// Reads `at, actor, action, target, incident_id, detail` (detail as text).
pub(super) fn audit_from_row(row: &PgRow) -> Result<AuditRecord, StoreError> {
    let row = Columns(row);
    Ok(AuditRecord {
        at: row.time("at")?,
        actor: row.text("actor")?,
        action: row.text("action")?,
        target: row.text("target")?,
        incident_id: row.opt_int("incident_id")?,
        detail: row.json("detail")?,
    })
}

/// The columns [`presence_from_row`] reads, in `SELECT` order.
pub(super) const PRESENCE_COLUMNS: &str = "client_id, name, role, since, seen_at";

pub(super) fn presence_from_row(row: &PgRow) -> Result<crate::model::Presence, StoreError> {
    let row = Columns(row);
    Ok(crate::model::Presence {
        client_id: row.text("client_id")?,
        name: row.text("name")?,
        role: row.enumeration("role")?,
        since: row.time("since")?,
        seen_at: row.time("seen_at")?,
    })
}

/// The columns [`role_term_from_row`] reads, in `SELECT` order.
pub(super) const ROLE_COLUMNS: &str = "role, holder, from_at, until_at, assigned_by";

pub(super) fn role_term_from_row(row: &PgRow) -> Result<crate::model::RoleTerm, StoreError> {
    let row = Columns(row);
    Ok(crate::model::RoleTerm {
        role: row.enumeration("role")?,
        holder: row.text("holder")?,
        from: row.time("from_at")?,
        until: row.opt_time("until_at")?,
        assigned_by: row.text("assigned_by")?,
    })
}

/// The columns [`delivery_from_row`] reads, in `SELECT` order.
pub(super) const DELIVERY_COLUMNS: &str = "id, target, key, incident_id, payload::text AS payload, \
     created_at, attempts, next_attempt_at, last_error, delivered_at, gave_up_at, remote_id";

pub(super) fn delivery_from_row(row: &PgRow) -> Result<crate::model::Delivery, StoreError> {
    let row = Columns(row);
    let attempts: i32 = row.0.try_get("attempts")?;
    Ok(crate::model::Delivery {
        id: row.int("id")?,
        target: row.enumeration("target")?,
        key: row.text("key")?,
        incident_id: row.opt_int("incident_id")?,
        payload: row.json("payload")?,
        created_at: row.time("created_at")?,
        attempts: u32::try_from(attempts)
            .map_err(|_| StoreError::corrupt("outbox.attempts", "out of range"))?,
        next_attempt_at: row.time("next_attempt_at")?,
        last_error: row.opt_text("last_error")?,
        delivered_at: row.opt_time("delivered_at")?,
        gave_up_at: row.opt_time("gave_up_at")?,
        remote_id: row.opt_text("remote_id")?,
    })
}
