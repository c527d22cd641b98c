//! Incident roles: the `incident_roles` table, one row per term.

use sqlx::PgConnection;

use super::codec::{ROLE_COLUMNS, enum_text, role_term_from_row, time_text};
use super::{incidents, log};
use crate::model::{IncidentRole, RoleTerm, Timestamp};
use crate::store::{AuditRecord, RoleChange, StoreError};

/// Ends the role's open term and opens one for `holder` (none: vacant),
/// with its audit record, in the caller's transaction. Handing a role to
/// the person who holds it changes nothing.
pub(super) async fn change(
    conn: &mut PgConnection,
    incident_id: i64,
    role: IncidentRole,
    holder: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<RoleChange, StoreError> {
    incidents::get(conn, incident_id).await?;
    let role_text = enum_text(&role)?;
    let current = sqlx::query(&format!(
        "SELECT {ROLE_COLUMNS} FROM incident_roles \
         WHERE incident_id = $1 AND role = $2 AND until_at IS NULL FOR UPDATE"
    ))
    .bind(incident_id)
    .bind(&role_text)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(role_term_from_row)
    .transpose()?;
    if current.as_ref().map(|t| t.holder.as_str()) == holder {
        return Ok(RoleChange {
            ended: None,
            started: None,
            unchanged: current,
        });
    }
    let now_text = time_text(now);
    let ended = match current {
        Some(mut term) => {
            sqlx::query(
                "UPDATE incident_roles SET until_at = $1 \
                 WHERE incident_id = $2 AND role = $3 AND until_at IS NULL",
            )
            .bind(&now_text)
            .bind(incident_id)
            .bind(&role_text)
            .execute(&mut *conn)
            .await?;
            term.until = Some(now);
            Some(term)
        }
        None => None,
    };
    let started = match holder {
        Some(holder) => {
            sqlx::query(
                "INSERT INTO incident_roles (incident_id, role, holder, from_at, until_at, assigned_by) \
                 VALUES ($1, $2, $3, $4, NULL, $5)",
            )
            .bind(incident_id)
            .bind(&role_text)
            .bind(holder)
            .bind(&now_text)
            .bind(actor)
            .execute(&mut *conn)
            .await?;
            Some(RoleTerm {
                role,
                holder: holder.to_string(),
                from: now,
                until: None,
                assigned_by: actor.to_string(),
            })
        }
        None => None,
    };
    log::insert_audit(
        conn,
        &AuditRecord {
            at: now,
            actor: actor.to_string(),
            action: crate::store::audit_actions::INCIDENT_ROLE.to_string(),
            target: format!("incidents/{incident_id}/roles/{}", role.as_str()),
            incident_id: Some(incident_id),
            detail: serde_json::json!({
                "before": ended.as_ref().map(|t| &t.holder),
                "after": started.as_ref().map(|t| &t.holder),
            }),
        },
    )
    .await?;
    Ok(RoleChange {
        ended,
        started,
        unchanged: None,
    })
}

pub(super) async fn terms(
    conn: &mut PgConnection,
    incident_id: i64,
) -> Result<Vec<RoleTerm>, StoreError> {
    incidents::get(conn, incident_id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {ROLE_COLUMNS} FROM incident_roles WHERE incident_id = $1 ORDER BY from_at, id"
    ))
    .bind(incident_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(role_term_from_row).collect()
}
