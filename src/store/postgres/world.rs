//! The orchestrator's saved world state in PostgreSQL: one row, replaced
//! with the events of every change (see [`crate::store::Store::save_world`]).

use sqlx::{PgConnection, Row};

use super::codec::time_text;
use crate::store::{SavedWorld, StoreError};

/// Replaces the saved world, unless the stored one has a higher version:
/// the topology version never goes backwards. The row is locked while
/// checked, so two writers cannot both pass the check.
pub(super) async fn save(conn: &mut PgConnection, world: &SavedWorld) -> Result<(), StoreError> {
    let version = i64::try_from(world.version)
        .map_err(|_| StoreError::Backend("topology version out of range".into()))?;
    let stored: Option<i64> =
        sqlx::query_scalar("SELECT version FROM world_state WHERE id = 1 FOR UPDATE")
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(stored) = stored
        && stored > version
    {
        return Err(StoreError::Backend(format!(
            "refusing to save the world at topology version {version}: the store already \
             holds version {stored}, and the version never goes backwards"
        )));
    }
    sqlx::query(
        "INSERT INTO world_state (id, version, saved_at, state) VALUES (1, $1, $2, $3::jsonb) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, \
         saved_at = excluded.saved_at, state = excluded.state",
    )
    .bind(version)
    .bind(time_text(world.saved_at))
    .bind(&world.state)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn load(conn: &mut PgConnection) -> Result<Option<SavedWorld>, StoreError> {
    let Some(row) =
        sqlx::query("SELECT version, saved_at, state::text AS state FROM world_state WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(None);
    };
    let version: i64 = row.try_get("version")?;
    let saved_at: String = row.try_get("saved_at")?;
    let saved_at = chrono::DateTime::parse_from_rfc3339(&saved_at)
        .map_err(|e| StoreError::corrupt("world state time", e))?
        .with_timezone(&chrono::Utc);
    Ok(Some(SavedWorld {
        version: u64::try_from(version).map_err(|e| StoreError::corrupt("world version", e))?,
        saved_at,
        state: row.try_get("state")?,
    }))
}
