//! The SQLite implementation of [`Store`].
//!
//! A file database gets one writer connection and a small pool of readers.
//! SQLite allows one writer at a time anyway; funnelling writes through one
//! connection queues them in the pool instead of failing with `SQLITE_BUSY`,
//! and every write transaction starts with `BEGIN IMMEDIATE` so it holds the
//! write lock from its first read (the version checks depend on that). WAL
//! lets the readers run alongside the writer, and `synchronous = FULL` makes
//! every commit durable before the call returns.

mod actions;
mod codec;
mod incidents;
mod log;
mod outbox;
mod presence;
mod roles;
mod schema;
mod timeline;
mod world;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use super::{AuditRecord, EntryRecord, SavedWorld, Store, StoreError};
use crate::model::{
    Action, Delivery, DeliveryOutcome, EntryPatch, Event, EventPayload, HealthSample, Incident,
    IncidentPatch, IncidentState, NewDelivery, NewIncident, OutboxTarget, Plan, TimelineEntry,
    Timestamp,
};

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READER_CONNECTIONS: u32 = 4;

/// `true` for the URLs that name a private in-memory database.
pub(super) fn is_memory_url(url: &str) -> bool {
    matches!(url, "sqlite::memory:" | "sqlite://:memory:")
}

/// A [`Store`] in a SQLite database.
pub struct SqliteStore {
    writer: SqlitePool,
    /// The same pool as `writer` for in-memory databases.
    reader: SqlitePool,
    location: Location,
    /// For an in-memory database: a connection no query ever uses, so it is
    /// never closed. The database lives as long as one connection to it is
    /// open; the pool's own connection may be closed and replaced (sqlx
    /// closes a connection whose query was cancelled, as when a client hangs
    /// up mid-request), and the new one must find the same tables.
    _keeper: Option<std::sync::Mutex<sqlx::SqliteConnection>>,
}

enum Location {
    File(PathBuf),
    Memory,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::File(path) => write!(f, "SqliteStore({})", path.display()),
            Location::Memory => f.write_str("SqliteStore(:memory:)"),
        }
    }
}

impl SqliteStore {
    /// Opens the database file, creating it and its parent directory if
    /// missing, and migrates its schema.
    pub async fn open_file(path: &Path) -> Result<Self, StoreError> {
        let context = |err: &dyn fmt::Display| {
            StoreError::Backend(format!("cannot open database {}: {err}", path.display()))
        };
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|err| context(&err))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Full);
        // WAL is a property of the file: the writer sets it once, readers
        // inherit it (setting it again would need an exclusive lock).
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone().journal_mode(SqliteJournalMode::Wal))
            .await
            .map_err(|err| context(&err))?;
        schema::migrate(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READER_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|err| context(&err))?;
        Ok(SqliteStore {
            writer,
            reader,
            location: Location::File(path.to_owned()),
            _keeper: None,
        })
    }

    /// A private in-memory database that lives as long as this store.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        // A named, shared-cache in-memory database (sqlx gives each
        // `sqlite::memory:` its own name), so every connection to it sees
        // the same tables.
        let options = <SqliteConnectOptions as std::str::FromStr>::from_str("sqlite::memory:")?
            .foreign_keys(true);
        let keeper = sqlx::ConnectOptions::connect(&options).await?;
        // One connection for the queries: shared-cache databases lock whole
        // tables, so one writer at a time keeps them from refusing each other.
        let pool = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        schema::migrate(&pool).await?;
        Ok(SqliteStore {
            writer: pool.clone(),
            reader: pool,
            location: Location::Memory,
            _keeper: Some(std::sync::Mutex::new(keeper)),
        })
    }

    /// A transaction that holds the database's write lock from its start.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Start a write of derived records (events, health samples) that
    /// commits without waiting for the disk: in WAL mode with `synchronous =
    /// NORMAL` a commit survives a crash of the process (`kill -9`), and the
    /// next FULL commit — every incident and timeline write — makes it
    /// durable against power loss too. At a thousand events a second an
    /// fsync per commit would be the event stream's latency.
    async fn begin_relaxed(&self) -> Result<PoolConnection<Sqlite>, StoreError> {
        let mut conn = self.writer.acquire().await?;
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await?;
        if let Err(err) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
            restore_full(conn).await?;
            return Err(err.into());
        }
        Ok(conn)
    }
}

/// Commit (or roll back) a relaxed write and put `synchronous = FULL` back.
async fn finish_relaxed<T>(
    mut conn: PoolConnection<Sqlite>,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    let ended = match &result {
        Ok(_) => sqlx::query("COMMIT").execute(&mut *conn).await.map(|_| ()),
        Err(_) => sqlx::query("ROLLBACK")
            .execute(&mut *conn)
            .await
            .map(|_| ()),
    };
    if ended.is_err() {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
    }
    restore_full(conn).await?;
    ended?;
    result
}

async fn restore_full(mut conn: PoolConnection<Sqlite>) -> Result<(), StoreError> {
    if let Err(err) = sqlx::query("PRAGMA synchronous = FULL")
        .execute(&mut *conn)
        .await
    {
        // Never hand back a connection that would skip fsync on real writes.
        conn.detach();
        return Err(err.into());
    }
    Ok(())
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn create_incident(
        &self,
        new: &NewIncident,
        actor: &str,
        now: Timestamp,
    ) -> Result<Incident, StoreError> {
        let mut tx = self.begin_write().await?;
        let incident = incidents::create(&mut tx, new, actor, now).await?;
        log::announce(&mut tx, now, EventPayload::Incident(incident.clone())).await?;
        tx.commit().await?;
        Ok(incident)
    }

    async fn get_incident(&self, id: i64) -> Result<Incident, StoreError> {
        let mut conn = self.reader.acquire().await?;
        incidents::get(&mut conn, id).await
    }

    async fn list_incidents(
        &self,
        state: Option<IncidentState>,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        incidents::list(&mut conn, state).await
    }

    async fn update_incident(
        &self,
        id: i64,
        expected_version: i64,
        patch: &IncidentPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Incident, StoreError> {
        let mut tx = self.begin_write().await?;
        let incident = incidents::update(&mut tx, id, expected_version, patch, actor, now).await?;
        if incident.version != expected_version {
            log::announce(&mut tx, now, EventPayload::Incident(incident.clone())).await?;
        }
        tx.commit().await?;
        Ok(incident)
    }

    async fn create_entry(
        &self,
        incident_id: i64,
        entry: &EntryRecord,
        idempotency_key: Option<&str>,
        now: Timestamp,
    ) -> Result<(TimelineEntry, bool), StoreError> {
        let mut tx = self.begin_write().await?;
        let created = timeline::create(&mut tx, incident_id, entry, idempotency_key, now).await?;
        if created.1 {
            log::announce(&mut tx, now, EventPayload::Timeline(created.0.clone())).await?;
        }
        tx.commit().await?;
        Ok(created)
    }

    async fn get_entry(
        &self,
        incident_id: i64,
        entry_id: i64,
    ) -> Result<TimelineEntry, StoreError> {
        let mut conn = self.reader.acquire().await?;
        timeline::get(&mut conn, incident_id, entry_id).await
    }

    async fn list_entries(&self, incident_id: i64) -> Result<Vec<TimelineEntry>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        timeline::list(&mut conn, incident_id).await
    }

    async fn update_entry(
        &self,
        incident_id: i64,
        entry_id: i64,
        expected_version: i64,
        patch: &EntryPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<TimelineEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let entry = timeline::update(
            &mut tx,
            incident_id,
            entry_id,
            expected_version,
            patch,
            actor,
            now,
        )
        .await?;
        if entry.version != expected_version {
            log::announce(&mut tx, now, EventPayload::Timeline(entry.clone())).await?;
        }
        tx.commit().await?;
        Ok(entry)
    }

    async fn delete_entry(
        &self,
        incident_id: i64,
        entry_id: i64,
        expected_version: i64,
        actor: &str,
        now: Timestamp,
    ) -> Result<TimelineEntry, StoreError> {
        let mut tx = self.begin_write().await?;
        let entry =
            timeline::delete(&mut tx, incident_id, entry_id, expected_version, actor, now).await?;
        log::announce(&mut tx, now, EventPayload::Timeline(entry.clone())).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn append_events(
        &self,
        events: &[(Timestamp, EventPayload)],
    ) -> Result<Vec<Event>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let encoded = log::encode_events(events)?;
        let mut conn = self.begin_relaxed().await?;
        let inserted = log::insert_events(&mut conn, &encoded).await;
        let seqs = finish_relaxed(conn, inserted).await?;
        Ok(seqs
            .into_iter()
            .zip(events)
            .map(|(seq, (at, payload))| Event {
                seq,
                at: *at,
                payload: payload.clone(),
            })
            .collect())
    }

    async fn save_world(
        &self,
        world: &SavedWorld,
        events: &[(Timestamp, EventPayload)],
    ) -> Result<Vec<Event>, StoreError> {
        let encoded = log::encode_events(events)?;
        let mut conn = self.begin_relaxed().await?;
        let written = async {
            let seqs = log::insert_events(&mut conn, &encoded).await?;
            world::save(&mut conn, world).await?;
            Ok(seqs)
        }
        .await;
        let seqs = finish_relaxed(conn, written).await?;
        Ok(seqs
            .into_iter()
            .zip(events)
            .map(|(seq, (at, payload))| Event {
                seq,
                at: *at,
                payload: payload.clone(),
            })
            .collect())
    }

    async fn load_world(&self) -> Result<Option<SavedWorld>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        world::load(&mut conn).await
    }

    async fn events_since(&self, after_seq: i64, limit: u32) -> Result<Vec<Event>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        log::events_since(&mut conn, after_seq, limit).await
    }

    async fn last_event_seq(&self) -> Result<i64, StoreError> {
        let mut conn = self.reader.acquire().await?;
        log::last_event_seq(&mut conn).await
    }

    async fn append_health(&self, samples: &[HealthSample]) -> Result<(), StoreError> {
        if samples.is_empty() {
            return Ok(());
        }
        let encoded = log::encode_samples(samples)?;
        let mut conn = self.begin_relaxed().await?;
        let inserted = log::insert_samples(&mut conn, &encoded).await;
        finish_relaxed(conn, inserted).await
    }

    async fn health_history(
        &self,
        component_id: &str,
        since: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<HealthSample>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        log::health_history(&mut conn, component_id, since, limit).await
    }

    async fn health_window(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<HealthSample>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        log::health_window(&mut conn, since, until).await
    }

    async fn audit_log(&self, incident_id: Option<i64>) -> Result<Vec<AuditRecord>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        log::audit_log(&mut conn, incident_id).await
    }

    async fn append_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        log::insert_audit(&mut tx, record).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_action(
        &self,
        action: &Action,
        plan: &Plan,
        idempotency_key: &str,
        now: Timestamp,
    ) -> Result<(Action, bool), StoreError> {
        let mut tx = self.begin_write().await?;
        let created = actions::create(&mut tx, action, plan, idempotency_key, now).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn update_action(&self, action: &Action) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        actions::update(&mut tx, action).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn presence_beat(
        &self,
        beat: &super::PresenceBeat,
        now: Timestamp,
        live_after: Timestamp,
    ) -> Result<Option<(crate::model::Presence, bool)>, StoreError> {
        let mut tx = self.begin_write().await?;
        let result = presence::beat(&mut tx, beat, now, live_after).await?;
        tx.commit().await?;
        Ok(result)
    }

    async fn presence_leave(
        &self,
        client_id: &str,
        name: &str,
    ) -> Result<Option<crate::model::Presence>, StoreError> {
        let mut tx = self.begin_write().await?;
        let gone = presence::leave(&mut tx, client_id, name).await?;
        tx.commit().await?;
        Ok(gone)
    }

    async fn presence_expire(
        &self,
        live_after: Timestamp,
    ) -> Result<Vec<crate::model::Presence>, StoreError> {
        let mut tx = self.begin_write().await?;
        let gone = presence::expire(&mut tx, live_after).await?;
        tx.commit().await?;
        Ok(gone)
    }

    async fn presence(
        &self,
        live_after: Timestamp,
    ) -> Result<Vec<crate::model::Presence>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        presence::list(&mut conn, live_after).await
    }

    async fn change_role(
        &self,
        incident_id: i64,
        role: crate::model::IncidentRole,
        holder: Option<&str>,
        actor: &str,
        now: Timestamp,
    ) -> Result<super::RoleChange, StoreError> {
        let mut tx = self.begin_write().await?;
        let change = roles::change(&mut tx, incident_id, role, holder, actor, now).await?;
        tx.commit().await?;
        Ok(change)
    }

    async fn role_terms(
        &self,
        incident_id: i64,
    ) -> Result<Vec<crate::model::RoleTerm>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        roles::terms(&mut conn, incident_id).await
    }

    async fn get_action(&self, id: &str) -> Result<Action, StoreError> {
        let mut conn = self.reader.acquire().await?;
        actions::get(&mut conn, id).await
    }

    async fn action_plan(&self, id: &str) -> Result<Plan, StoreError> {
        let mut conn = self.reader.acquire().await?;
        actions::plan(&mut conn, id).await
    }

    async fn list_actions(&self, incident_id: Option<i64>) -> Result<Vec<Action>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        actions::list(&mut conn, incident_id).await
    }

    async fn action_for_key(&self, idempotency_key: &str) -> Result<Option<Action>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        actions::for_key(&mut conn, idempotency_key).await
    }

    async fn outbox_cursor(&self, target: OutboxTarget) -> Result<Option<i64>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        outbox::cursor(&mut conn, target).await
    }

    async fn outbox_stage(
        &self,
        target: OutboxTarget,
        through: i64,
        deliveries: &[NewDelivery],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        outbox::stage(&mut tx, target, through, deliveries, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_head(&self, target: OutboxTarget) -> Result<Option<Delivery>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        outbox::head(&mut conn, target).await
    }

    async fn outbox_record(
        &self,
        id: i64,
        outcome: &DeliveryOutcome,
    ) -> Result<Delivery, StoreError> {
        let mut tx = self.begin_write().await?;
        let delivery = outbox::record(&mut tx, id, outcome).await?;
        tx.commit().await?;
        Ok(delivery)
    }

    async fn outbox_remote(
        &self,
        target: OutboxTarget,
        incident_id: i64,
    ) -> Result<Option<String>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        outbox::remote(&mut conn, target, incident_id).await
    }

    async fn outbox_list(&self, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        outbox::list(&mut conn, limit).await
    }

    async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pragma(store: &SqliteStore, name: &str) -> String {
        let mut conn = store.writer.acquire().await.expect("a connection");
        let value: sqlx::sqlite::SqliteRow = sqlx::query(&format!("PRAGMA {name}"))
            .fetch_one(&mut *conn)
            .await
            .expect("pragma answers");
        use sqlx::Row;
        value
            .try_get::<String, _>(0)
            .or_else(|_| value.try_get::<i64, _>(0).map(|n| n.to_string()))
            .expect("a value")
    }

    #[tokio::test]
    async fn a_file_database_is_durable_wal_with_foreign_keys() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested/dirs/warroom.db");
        let store = SqliteStore::open_file(&path).await.expect("opens");
        assert!(
            path.exists(),
            "the file and its parent directories are created"
        );
        assert_eq!(pragma(&store, "journal_mode").await, "wal");
        assert_eq!(pragma(&store, "synchronous").await, "2", "2 is FULL");
        assert_eq!(pragma(&store, "foreign_keys").await, "1");
        assert_eq!(pragma(&store, "busy_timeout").await, "5000");
        store.close().await;
    }

    #[tokio::test]
    async fn migrations_are_applied_once_and_reopening_is_a_no_op() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("warroom.db");
        let store = SqliteStore::open_file(&path).await.expect("opens");
        store.close().await;
        let store = SqliteStore::open_file(&path).await.expect("reopens");
        let versions: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&store.reader)
                .await
                .expect("_sqlx_migrations readable");
        assert_eq!(
            versions,
            (1..=schema::current_version()).collect::<Vec<_>>()
        );
        store.close().await;
    }

    #[tokio::test]
    async fn a_database_from_a_newer_build_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("warroom.db");
        let store = SqliteStore::open_file(&path).await.expect("opens");
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES (?, 'from the future', 1, x'00', 0)",
        )
        .bind(schema::current_version() + 1)
        .execute(&store.writer)
        .await
        .expect("insert");
        store.close().await;
        let err = SqliteStore::open_file(&path).await.expect_err("refused");
        assert!(err.to_string().contains("newer"), "{err}");
    }
}

#[cfg(test)]
mod memory_tests {
    use super::SqliteStore;

    #[tokio::test]
    async fn an_in_memory_database_outlives_its_pool_connection() {
        let store = SqliteStore::open_in_memory().await.expect("open");
        // sqlx closes a connection whose query was cancelled (a client that
        // hung up mid-request); the pool then opens a new one.
        let connection = store.writer.acquire().await.expect("acquire");
        connection.close().await.expect("close");
        let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
            .fetch_one(&store.reader)
            .await
            .expect("the tables are still there");
        assert_eq!(count, 0);
    }
}
