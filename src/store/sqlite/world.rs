//! The orchestrator's saved world state in SQLite: one row, replaced with
//! the events of every change (see [`crate::store::Store::save_world`]).

use sqlx::{Row, SqliteConnection};

use super::codec::time_text;
use crate::store::{SavedWorld, StoreError};

/// Replaces the saved world, unless the stored one has a higher version:
/// the topology version never goes backwards.
pub(super) async fn save(
    conn: &mut SqliteConnection,
    world: &SavedWorld,
) -> Result<(), StoreError> {
    let version = i64::try_from(world.version)
        .map_err(|_| StoreError::Backend("topology version out of range".into()))?;
    let stored: Option<i64> = sqlx::query_scalar("SELECT version FROM world_state WHERE id = 1")
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
        "INSERT INTO world_state (id, version, saved_at, state) VALUES (1, ?, ?, ?) \
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

pub(super) async fn load(conn: &mut SqliteConnection) -> Result<Option<SavedWorld>, StoreError> {
    let Some(row) = sqlx::query("SELECT version, saved_at, state FROM world_state WHERE id = 1")
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

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::super::SqliteStore;
    use crate::model::{EventPayload, Timestamp};
    use crate::store::{SavedWorld, Store};

    fn at(second: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2017, 9, 11, 22, 0, second)
            .single()
            .expect("valid time")
    }

    fn world(version: u64, state: &str) -> SavedWorld {
        SavedWorld {
            version,
            saved_at: at(1),
            state: state.into(),
        }
    }

    #[tokio::test]
    async fn the_saved_world_comes_back_and_its_version_never_goes_backwards() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.db");
        let store = SqliteStore::open_file(&path).await.expect("store");
        assert_eq!(store.load_world().await.expect("load"), None);
        let event: EventPayload = serde_json::from_value(serde_json::json!({
            "kind": "topology", "data": {"version": 7, "reason": "test"}
        }))
        .expect("an event");
        let events = vec![(at(1), event)];
        let written = store
            .save_world(&world(7, "{\"a\":1}"), &events)
            .await
            .expect("save");
        assert_eq!(written.len(), 1);
        store
            .save_world(&world(7, "{\"a\":2}"), &[])
            .await
            .expect("same version again");
        let refused = store
            .save_world(&world(6, "{\"a\":3}"), &events)
            .await
            .expect_err("a lower version is refused");
        assert!(
            refused.to_string().contains("never goes backwards"),
            "{refused}"
        );
        assert_eq!(
            store.last_event_seq().await.expect("seq"),
            1,
            "the refused save wrote no event either"
        );
        store.close().await;
        let store = SqliteStore::open_file(&path).await.expect("reopen");
        assert_eq!(
            store.load_world().await.expect("load"),
            Some(world(7, "{\"a\":2}"))
        );
    }
}
