//! Actions (executed plans) and the idempotency keys of their executes, in
//! PostgreSQL: the same layout as SQLite's (the whole `Action` and its
//! `Plan` as JSON, plus the queried columns).

use sqlx::{PgConnection, Row};

use super::codec::{enum_text, json_text, parse_json, time_text};
use crate::model::{Action, Plan, Timestamp};
use crate::store::StoreError;

fn action_not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        what: format!("action {id}"),
    }
}

/// Inserts the action and binds `key` to it, unless `key` is bound already:
/// then nothing is written and the bound action comes back with `false`.
/// Must run inside one transaction; executes with the same key queue on an
/// advisory lock of the key until it ends.
pub(super) async fn create(
    conn: &mut PgConnection,
    action: &Action,
    plan: &Plan,
    key: &str,
    now: Timestamp,
) -> Result<(Action, bool), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("action:{key}"))
        .execute(&mut *conn)
        .await?;
    if let Some(existing) = for_key(conn, key).await? {
        return Ok((existing, false));
    }
    sqlx::query(
        "INSERT INTO actions (id, plan_id, incident_id, state, started_at, action, plan) \
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)",
    )
    .bind(&action.id)
    .bind(&action.plan_id)
    .bind(action.incident_id)
    .bind(enum_text(&action.state)?)
    .bind(time_text(action.started_at))
    .bind(json_text(action)?)
    .bind(json_text(plan)?)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO action_keys (key, action_id, created_at) VALUES ($1, $2, $3)")
        .bind(key)
        .bind(&action.id)
        .bind(time_text(now))
        .execute(&mut *conn)
        .await?;
    Ok((action.clone(), true))
}

/// Rewrites a recorded action; [`StoreError::NotFound`] if there is none.
pub(super) async fn update(conn: &mut PgConnection, action: &Action) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE actions SET state = $1, incident_id = $2, action = $3::jsonb WHERE id = $4",
    )
    .bind(enum_text(&action.state)?)
    .bind(action.incident_id)
    .bind(json_text(action)?)
    .bind(&action.id)
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() == 0 {
        return Err(action_not_found(&action.id));
    }
    Ok(())
}

pub(super) async fn get(conn: &mut PgConnection, id: &str) -> Result<Action, StoreError> {
    let row = sqlx::query("SELECT action::text AS action FROM actions WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| action_not_found(id))?;
    parse_json("action", row.try_get("action")?)
}

pub(super) async fn plan(conn: &mut PgConnection, id: &str) -> Result<Plan, StoreError> {
    let row = sqlx::query("SELECT plan::text AS plan FROM actions WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| action_not_found(id))?;
    parse_json("plan", row.try_get("plan")?)
}

/// Newest first: by start descending, then id descending.
pub(super) async fn list(
    conn: &mut PgConnection,
    incident_id: Option<i64>,
) -> Result<Vec<Action>, StoreError> {
    let rows = match incident_id {
        Some(incident_id) => {
            sqlx::query(
                "SELECT action::text AS action FROM actions WHERE incident_id = $1 \
                 ORDER BY started_at DESC, id DESC",
            )
            .bind(incident_id)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT action::text AS action FROM actions ORDER BY started_at DESC, id DESC",
            )
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter()
        .map(|row| parse_json("action", row.try_get("action")?))
        .collect()
}

pub(super) async fn for_key(
    conn: &mut PgConnection,
    key: &str,
) -> Result<Option<Action>, StoreError> {
    let row = sqlx::query(
        "SELECT a.action::text AS action FROM action_keys k \
         JOIN actions a ON a.id = k.action_id WHERE k.key = $1",
    )
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| parse_json("action", row.try_get("action")?))
        .transpose()
}
