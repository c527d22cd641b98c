//! Incidents in PostgreSQL.

use sqlx::PgConnection;

use super::codec::{
    enum_text, incident_columns, incident_from_row, json_text, opt_time_text, time_text,
};
use super::log::insert_audit;
use crate::model::{Incident, IncidentPatch, IncidentState, NewIncident, Timestamp};
use crate::store::audit_actions::{INCIDENT_CREATE, INCIDENT_UPDATE};
use crate::store::{StoreError, rules};

pub(super) async fn create(
    conn: &mut PgConnection,
    new: &NewIncident,
    actor: &str,
    now: Timestamp,
) -> Result<Incident, StoreError> {
    let mut incident = rules::new_incident(new, now);
    incident.id = sqlx::query_scalar(
        "INSERT INTO incidents (title, severity, status, impact, components, state, started_at, \
         created_at, updated_at, resolved_at, version) \
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&incident.title)
    .bind(enum_text(&incident.severity)?)
    .bind(enum_text(&incident.status)?)
    .bind(enum_text(&incident.impact)?)
    .bind(json_text(&incident.components)?)
    .bind(enum_text(&incident.state)?)
    .bind(time_text(incident.started_at))
    .bind(time_text(incident.created_at))
    .bind(time_text(incident.updated_at))
    .bind(opt_time_text(incident.resolved_at))
    .bind(incident.version)
    .fetch_one(&mut *conn)
    .await?;
    let audit = rules::incident_audit(INCIDENT_CREATE, actor, now, None, &incident)?;
    insert_audit(conn, &audit).await?;
    Ok(incident)
}

/// The incident; with `lock`, its row stays locked until the transaction
/// ends, so a version check made on it holds until the write.
async fn find(
    conn: &mut PgConnection,
    id: i64,
    lock: bool,
) -> Result<Option<Incident>, StoreError> {
    let sql = if lock {
        concat!(
            "SELECT ",
            incident_columns!(),
            " FROM incidents WHERE id = $1 FOR UPDATE"
        )
    } else {
        concat!(
            "SELECT ",
            incident_columns!(),
            " FROM incidents WHERE id = $1"
        )
    };
    let row = sqlx::query(sql).bind(id).fetch_optional(&mut *conn).await?;
    row.as_ref().map(incident_from_row).transpose()
}

pub(super) async fn get(conn: &mut PgConnection, id: i64) -> Result<Incident, StoreError> {
    find(conn, id, false)
        .await?
        .ok_or_else(|| StoreError::incident_not_found(id))
}

pub(super) async fn list(
    conn: &mut PgConnection,
    state: Option<IncidentState>,
) -> Result<Vec<Incident>, StoreError> {
    let rows = match state {
        Some(state) => {
            sqlx::query(concat!(
                "SELECT ",
                incident_columns!(),
                " FROM incidents WHERE state = $1 ORDER BY started_at DESC, id DESC"
            ))
            .bind(enum_text(&state)?)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(concat!(
                "SELECT ",
                incident_columns!(),
                " FROM incidents ORDER BY started_at DESC, id DESC"
            ))
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter().map(incident_from_row).collect()
}

/// Must run inside a transaction: the row is locked from the version check
/// to the commit.
pub(super) async fn update(
    conn: &mut PgConnection,
    id: i64,
    expected_version: i64,
    patch: &IncidentPatch,
    actor: &str,
    now: Timestamp,
) -> Result<Incident, StoreError> {
    let current = find(conn, id, true)
        .await?
        .ok_or_else(|| StoreError::incident_not_found(id))?;
    if current.version != expected_version {
        return Err(StoreError::incident_conflict(current));
    }
    let Some(next) = rules::patched_incident(&current, patch, now) else {
        return Ok(current);
    };
    let result = sqlx::query(
        "UPDATE incidents SET title = $1, severity = $2, status = $3, impact = $4, \
         components = $5::jsonb, state = $6, started_at = $7, updated_at = $8, \
         resolved_at = $9, version = $10 WHERE id = $11 AND version = $12",
    )
    .bind(&next.title)
    .bind(enum_text(&next.severity)?)
    .bind(enum_text(&next.status)?)
    .bind(enum_text(&next.impact)?)
    .bind(json_text(&next.components)?)
    .bind(enum_text(&next.state)?)
    .bind(time_text(next.started_at))
    .bind(time_text(next.updated_at))
    .bind(opt_time_text(next.resolved_at))
    .bind(next.version)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() != 1 {
        return Err(StoreError::incident_conflict(get(conn, id).await?));
    }
    let audit = rules::incident_audit(INCIDENT_UPDATE, actor, now, Some(&current), &next)?;
    insert_audit(conn, &audit).await?;
    Ok(next)
}
