//! The outbox in SQLite: deliveries staged from the event log, and how far
//! each target's staging has read it.

use sqlx::SqliteConnection;

use super::codec::{DELIVERY_COLUMNS, delivery_from_row, enum_text, json_text, time_text};
use crate::model::{Delivery, DeliveryOutcome, NewDelivery, OutboxTarget, Timestamp};
use crate::store::StoreError;

pub(super) async fn cursor(
    conn: &mut SqliteConnection,
    target: OutboxTarget,
) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT last_seq FROM outbox_cursor WHERE target = ?")
            .bind(target.as_str())
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Must run inside a transaction: the deliveries and the cursor move together.
pub(super) async fn stage(
    conn: &mut SqliteConnection,
    target: OutboxTarget,
    through: i64,
    deliveries: &[NewDelivery],
    now: Timestamp,
) -> Result<(), StoreError> {
    let now = time_text(now);
    for delivery in deliveries {
        if delivery.target != target {
            return Err(StoreError::Backend(format!(
                "a {} delivery staged as {}",
                delivery.target.as_str(),
                target.as_str()
            )));
        }
        sqlx::query(
            "INSERT INTO outbox (target, key, incident_id, payload, created_at, next_attempt_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (target, key) DO NOTHING",
        )
        .bind(enum_text(&delivery.target)?)
        .bind(&delivery.key)
        .bind(delivery.incident_id)
        .bind(json_text(&delivery.payload)?)
        .bind(&now)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO outbox_cursor (target, last_seq) VALUES (?, ?) \
         ON CONFLICT (target) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq)",
    )
    .bind(target.as_str())
    .bind(through)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn head(
    conn: &mut SqliteConnection,
    target: OutboxTarget,
) -> Result<Option<Delivery>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM outbox \
         WHERE target = ? AND delivered_at IS NULL AND gave_up_at IS NULL \
         ORDER BY id LIMIT 1"
    ))
    .bind(target.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(delivery_from_row).transpose()
}

pub(super) async fn record(
    conn: &mut SqliteConnection,
    id: i64,
    outcome: &DeliveryOutcome,
) -> Result<Delivery, StoreError> {
    // Only a pending delivery changes; the set columns per outcome.
    let (set, first, second) = match outcome {
        DeliveryOutcome::Delivered { at, remote_id } => (
            "delivered_at = ?, remote_id = ?, last_error = NULL",
            time_text(*at),
            remote_id.clone(),
        ),
        DeliveryOutcome::Retry {
            next_attempt_at,
            error,
            ..
        } => (
            "next_attempt_at = ?, last_error = ?",
            time_text(*next_attempt_at),
            Some(error.clone()),
        ),
        DeliveryOutcome::GaveUp { at, error } => (
            "gave_up_at = ?, last_error = ?",
            time_text(*at),
            Some(error.clone()),
        ),
    };
    let sql = format!(
        "UPDATE outbox SET attempts = attempts + 1, {set} \
         WHERE id = ? AND delivered_at IS NULL AND gave_up_at IS NULL \
         RETURNING {DELIVERY_COLUMNS}"
    );
    let query = sqlx::query(&sql).bind(first).bind(second);
    let row = query.bind(id).fetch_optional(&mut *conn).await?;
    match row {
        Some(row) => delivery_from_row(&row),
        None => Err(StoreError::NotFound {
            what: format!("pending delivery {id}"),
        }),
    }
}

pub(super) async fn remote(
    conn: &mut SqliteConnection,
    target: OutboxTarget,
    incident_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT remote_id FROM outbox WHERE target = ? AND incident_id = ? \
         AND remote_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .bind(target.as_str())
    .bind(incident_id)
    .fetch_optional(&mut *conn)
    .await?)
}

pub(super) async fn list(
    conn: &mut SqliteConnection,
    limit: u32,
) -> Result<Vec<Delivery>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM outbox ORDER BY id DESC LIMIT ?"
    ))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(delivery_from_row).collect()
}
