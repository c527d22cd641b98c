//! Who is in the room: the `presence` table.

use sqlx::SqliteConnection;

use super::codec::{PRESENCE_COLUMNS, enum_text, presence_from_row, time_text};
use crate::model::{Presence, Timestamp};
use crate::store::{PresenceBeat, StoreError};

/// One upsert: a new or expired client id joins (`since = now`), a live one
/// under the same name is renewed, a live one under another name is left
/// alone (no row comes back).
pub(super) async fn beat(
    conn: &mut SqliteConnection,
    beat: &PresenceBeat,
    now: Timestamp,
    live_after: Timestamp,
) -> Result<Option<(Presence, bool)>, StoreError> {
    let now_text = time_text(now);
    let live_text = time_text(live_after);
    let row = sqlx::query(&format!(
        "INSERT INTO presence AS p (client_id, name, role, since, seen_at) \
         VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (client_id) DO UPDATE SET \
           name = excluded.name, role = excluded.role, seen_at = excluded.seen_at, \
           since = CASE WHEN p.seen_at < ? THEN excluded.since ELSE p.since END \
         WHERE p.name = excluded.name OR p.seen_at < ? \
         RETURNING {PRESENCE_COLUMNS}"
    ))
    .bind(&beat.client_id)
    .bind(&beat.name)
    .bind(enum_text(&beat.role)?)
    .bind(&now_text)
    .bind(&now_text)
    .bind(&live_text)
    .bind(&live_text)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| {
        let presence = presence_from_row(&row)?;
        let joined = presence.since == now;
        Ok((presence, joined))
    })
    .transpose()
}

pub(super) async fn leave(
    conn: &mut SqliteConnection,
    client_id: &str,
    name: &str,
) -> Result<Option<Presence>, StoreError> {
    let row = sqlx::query(&format!(
        "DELETE FROM presence WHERE client_id = ? AND name = ? RETURNING {PRESENCE_COLUMNS}"
    ))
    .bind(client_id)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(presence_from_row).transpose()
}

pub(super) async fn expire(
    conn: &mut SqliteConnection,
    live_after: Timestamp,
) -> Result<Vec<Presence>, StoreError> {
    let rows = sqlx::query(&format!(
        "DELETE FROM presence WHERE seen_at < ? RETURNING {PRESENCE_COLUMNS}"
    ))
    .bind(time_text(live_after))
    .fetch_all(&mut *conn)
    .await?;
    let mut gone = rows
        .iter()
        .map(presence_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    gone.sort_by(|a, b| (a.since, &a.client_id).cmp(&(b.since, &b.client_id)));
    Ok(gone)
}

pub(super) async fn list(
    conn: &mut SqliteConnection,
    live_after: Timestamp,
) -> Result<Vec<Presence>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {PRESENCE_COLUMNS} FROM presence WHERE seen_at >= ? ORDER BY since, client_id"
    ))
    .bind(time_text(live_after))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(presence_from_row).collect()
}
