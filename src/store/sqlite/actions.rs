//! Actions (executed plans) and the idempotency keys of their executes.
//!
//! An action row holds the whole `Action` as JSON, rewritten on every change,
//! plus the columns that are queried (state, incident, start), and the `Plan`
//! it executes, so an undo can be planned after a restart.

use sqlx::{Row, SqliteConnection};

use super::codec::{enum_text, json_text, time_text};
use crate::model::{Action, Plan, Timestamp};
use crate::store::StoreError;

fn action_not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        what: format!("action {id}"),
    }
}

fn decode_action(text: &str) -> Result<Action, StoreError> {
    serde_json::from_str(text).map_err(|err| StoreError::corrupt("action", err))
}

/// Inserts the action and binds `key` to it, unless `key` is bound already:
/// then nothing is written and the bound action comes back with `false`.
/// Must run inside one write transaction.
pub(super) async fn create(
    conn: &mut SqliteConnection,
    action: &Action,
    plan: &Plan,
    key: &str,
    now: Timestamp,
) -> Result<(Action, bool), StoreError> {
    if let Some(existing) = for_key(conn, key).await? {
        return Ok((existing, false));
    }
    sqlx::query(
        "INSERT INTO actions (id, plan_id, incident_id, state, started_at, action, plan) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
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
    sqlx::query("INSERT INTO action_keys (key, action_id, created_at) VALUES (?, ?, ?)")
        .bind(key)
        .bind(&action.id)
        .bind(time_text(now))
        .execute(&mut *conn)
        .await?;
    Ok((action.clone(), true))
}

/// Rewrites a recorded action; [`StoreError::NotFound`] if there is none.
pub(super) async fn update(conn: &mut SqliteConnection, action: &Action) -> Result<(), StoreError> {
    let result =
        sqlx::query("UPDATE actions SET state = ?, incident_id = ?, action = ? WHERE id = ?")
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

pub(super) async fn get(conn: &mut SqliteConnection, id: &str) -> Result<Action, StoreError> {
    let row = sqlx::query("SELECT action FROM actions WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| action_not_found(id))?;
    decode_action(row.try_get("action")?)
}

pub(super) async fn plan(conn: &mut SqliteConnection, id: &str) -> Result<Plan, StoreError> {
    let row = sqlx::query("SELECT plan FROM actions WHERE id = ?")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| action_not_found(id))?;
    serde_json::from_str(row.try_get("plan")?).map_err(|err| StoreError::corrupt("plan", err))
}

/// Newest first: by start descending, then id descending.
pub(super) async fn list(
    conn: &mut SqliteConnection,
    incident_id: Option<i64>,
) -> Result<Vec<Action>, StoreError> {
    let rows = match incident_id {
        Some(incident_id) => {
            sqlx::query(
                "SELECT action FROM actions WHERE incident_id = ? \
                 ORDER BY started_at DESC, id DESC",
            )
            .bind(incident_id)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query("SELECT action FROM actions ORDER BY started_at DESC, id DESC")
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter()
        .map(|row| decode_action(row.try_get("action")?))
        .collect()
}

pub(super) async fn for_key(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<Action>, StoreError> {
    let row = sqlx::query(
        "SELECT a.action FROM action_keys k JOIN actions a ON a.id = k.action_id WHERE k.key = ?",
    )
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| decode_action(row.try_get("action")?))
        .transpose()
}
