//! The PostgreSQL implementation of [`Store`], for several `warroom serve`
//! processes on one database.
//!
//! Every write is one transaction at READ COMMITTED. Version checks lock the
//! row they read (`SELECT … FOR UPDATE`) until the commit; idempotency keys
//! are claimed under a transaction-scoped advisory lock of the key; event
//! sequence numbers come from one counter row (see `migrations/postgres` and
//! [`Store::append_events`]). Every commit is synchronous (the server's
//! default `synchronous_commit = on`), so a call returns after its write is
//! durable on the primary.
//!
//! A call that fails for a passing reason (serialization failure, deadlock,
//! lost connection, no free connection) is retried as a whole transaction
//! with jittered, bounded backoff ([`retry::RetryPolicy::STORE`]). A commit
//! whose answer was lost is not retried: it may have been made.

mod actions;
mod codec;
mod incidents;
mod lease;
mod log;
mod outbox;
mod presence;
pub(crate) mod retry;
mod roles;
mod timeline;
mod world;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres, Transaction};

use self::retry::{RetryPolicy, retry};
use super::replication::Replication;
use super::{AuditRecord, EntryRecord, SavedWorld, Store, StoreError, migration_error};
use crate::model::{
    Action, Delivery, DeliveryOutcome, EntryPatch, Event, EventPayload, HealthSample, Incident,
    IncidentPatch, IncidentState, NewDelivery, NewIncident, OutboxTarget, Plan, TimelineEntry,
    Timestamp,
};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

const CONNECTIONS: u32 = 10;
/// How long a call waits for a free connection before failing (retryably).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// A [`Store`] in a PostgreSQL database.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// `postgres://host:port/database`, for messages: never the user or
    /// password.
    location: String,
    policy: RetryPolicy,
    /// Set on a leader's view of the store ([`Replication::fenced`]):
    /// every write checks the lease is still at this epoch.
    fence: Option<i64>,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgStore({})", self.location)
    }
}

impl PgStore {
    /// Connects to the database a `postgres://` (or `postgresql://`) URL
    /// names and migrates its schema. Replicas starting together are safe:
    /// the migrator holds an advisory lock while it works.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|err| {
            // The parser's messages do not repeat the URL (which may hold a
            // password).
            StoreError::Backend(format!("invalid PostgreSQL URL: {err}"))
        })?;
        let location = format!(
            "postgres://{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        // One connection first: the pool would retry a refused connection
        // until its timeout and report only that.
        let probe = PgConnection::connect_with(&options).await.map_err(|err| {
            StoreError::Backend(format!("cannot connect to PostgreSQL at {location}: {err}"))
        })?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|err| {
                StoreError::Backend(format!("cannot connect to PostgreSQL at {location}: {err}"))
            })?;
        MIGRATOR.run(&pool).await.map_err(migration_error)?;
        Ok(PgStore {
            pool,
            location,
            policy: RetryPolicy::STORE,
            fence: None,
        })
    }

    /// A write's transaction; on a fenced view, it first checks (and
    /// share-locks) the lease.
    async fn begin(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Some(epoch) = self.fence {
            lease::check_fence(&mut tx, epoch).await?;
        }
        Ok(tx)
    }
}

/// Commits; a failure PostgreSQL reported means the transaction rolled back,
/// any other (the connection died under the commit) leaves it unknown.
async fn commit(tx: Transaction<'static, Postgres>) -> Result<(), StoreError> {
    tx.commit().await.map_err(|err| match err {
        sqlx::Error::Database(_) => StoreError::Database(err),
        other => StoreError::CommitUnknown(other),
    })
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn create_incident(
        &self,
        new: &NewIncident,
        actor: &str,
        now: Timestamp,
    ) -> Result<Incident, StoreError> {
        retry(self.policy, "create_incident", || async {
            let mut tx = self.begin().await?;
            let incident = incidents::create(&mut tx, new, actor, now).await?;
            log::announce(&mut tx, now, EventPayload::Incident(incident.clone())).await?;
            commit(tx).await?;
            Ok(incident)
        })
        .await
    }

    async fn get_incident(&self, id: i64) -> Result<Incident, StoreError> {
        retry(self.policy, "get_incident", || async {
            let mut conn = self.pool.acquire().await?;
            incidents::get(&mut conn, id).await
        })
        .await
    }

    async fn list_incidents(
        &self,
        state: Option<IncidentState>,
    ) -> Result<Vec<Incident>, StoreError> {
        retry(self.policy, "list_incidents", || async {
            let mut conn = self.pool.acquire().await?;
            incidents::list(&mut conn, state).await
        })
        .await
    }

    async fn update_incident(
        &self,
        id: i64,
        expected_version: i64,
        patch: &IncidentPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Incident, StoreError> {
        retry(self.policy, "update_incident", || async {
            let mut tx = self.begin().await?;
            let incident =
                incidents::update(&mut tx, id, expected_version, patch, actor, now).await?;
            if incident.version != expected_version {
                log::announce(&mut tx, now, EventPayload::Incident(incident.clone())).await?;
            }
            commit(tx).await?;
            Ok(incident)
        })
        .await
    }

    async fn create_entry(
        &self,
        incident_id: i64,
        entry: &EntryRecord,
        idempotency_key: Option<&str>,
        now: Timestamp,
    ) -> Result<(TimelineEntry, bool), StoreError> {
        retry(self.policy, "create_entry", || async {
            let mut tx = self.begin().await?;
            let created =
                timeline::create(&mut tx, incident_id, entry, idempotency_key, now).await?;
            if created.1 {
                log::announce(&mut tx, now, EventPayload::Timeline(created.0.clone())).await?;
            }
            commit(tx).await?;
            Ok(created)
        })
        .await
    }

    async fn get_entry(
        &self,
        incident_id: i64,
        entry_id: i64,
    ) -> Result<TimelineEntry, StoreError> {
        retry(self.policy, "get_entry", || async {
            let mut conn = self.pool.acquire().await?;
            timeline::get(&mut conn, incident_id, entry_id).await
        })
        .await
    }

    async fn list_entries(&self, incident_id: i64) -> Result<Vec<TimelineEntry>, StoreError> {
        retry(self.policy, "list_entries", || async {
            let mut conn = self.pool.acquire().await?;
            timeline::list(&mut conn, incident_id).await
        })
        .await
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
        retry(self.policy, "update_entry", || async {
            let mut tx = self.begin().await?;
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
            commit(tx).await?;
            Ok(entry)
        })
        .await
    }

    async fn delete_entry(
        &self,
        incident_id: i64,
        entry_id: i64,
        expected_version: i64,
        actor: &str,
        now: Timestamp,
    ) -> Result<TimelineEntry, StoreError> {
        retry(self.policy, "delete_entry", || async {
            let mut tx = self.begin().await?;
            let entry =
                timeline::delete(&mut tx, incident_id, entry_id, expected_version, actor, now)
                    .await?;
            log::announce(&mut tx, now, EventPayload::Timeline(entry.clone())).await?;
            commit(tx).await?;
            Ok(entry)
        })
        .await
    }

    async fn append_events(
        &self,
        events: &[(Timestamp, EventPayload)],
    ) -> Result<Vec<Event>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let encoded = log::encode_events(events)?;
        let seqs = retry(self.policy, "append_events", || async {
            let mut tx = self.begin().await?;
            let seqs = log::insert_events(&mut tx, &encoded).await?;
            commit(tx).await?;
            Ok(seqs)
        })
        .await?;
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
        let seqs = retry(self.policy, "save_world", || async {
            let mut tx = self.begin().await?;
            let seqs = if encoded.is_empty() {
                Vec::new()
            } else {
                log::insert_events(&mut tx, &encoded).await?
            };
            self::world::save(&mut tx, world).await?;
            commit(tx).await?;
            Ok(seqs)
        })
        .await?;
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
        retry(self.policy, "load_world", || async {
            let mut conn = self.pool.acquire().await?;
            self::world::load(&mut conn).await
        })
        .await
    }

    async fn events_since(&self, after_seq: i64, limit: u32) -> Result<Vec<Event>, StoreError> {
        retry(self.policy, "events_since", || async {
            let mut conn = self.pool.acquire().await?;
            log::events_since(&mut conn, after_seq, limit).await
        })
        .await
    }

    async fn last_event_seq(&self) -> Result<i64, StoreError> {
        retry(self.policy, "last_event_seq", || async {
            let mut conn = self.pool.acquire().await?;
            log::last_event_seq(&mut conn).await
        })
        .await
    }

    async fn append_health(&self, samples: &[HealthSample]) -> Result<(), StoreError> {
        if samples.is_empty() {
            return Ok(());
        }
        retry(self.policy, "append_health", || async {
            let mut tx = self.begin().await?;
            log::insert_samples(&mut tx, samples).await?;
            commit(tx).await
        })
        .await
    }

    async fn health_history(
        &self,
        component_id: &str,
        since: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<HealthSample>, StoreError> {
        retry(self.policy, "health_history", || async {
            let mut conn = self.pool.acquire().await?;
            log::health_history(&mut conn, component_id, since, limit).await
        })
        .await
    }

    async fn health_window(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<HealthSample>, StoreError> {
        retry(self.policy, "health_window", || async {
            let mut conn = self.pool.acquire().await?;
            log::health_window(&mut conn, since, until).await
        })
        .await
    }

    async fn audit_log(&self, incident_id: Option<i64>) -> Result<Vec<AuditRecord>, StoreError> {
        retry(self.policy, "audit_log", || async {
            let mut conn = self.pool.acquire().await?;
            log::audit_log(&mut conn, incident_id).await
        })
        .await
    }

    async fn append_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        retry(self.policy, "append_audit", || async {
            let mut tx = self.begin().await?;
            log::insert_audit(&mut tx, record).await?;
            commit(tx).await
        })
        .await
    }

    async fn create_action(
        &self,
        action: &Action,
        plan: &Plan,
        idempotency_key: &str,
        now: Timestamp,
    ) -> Result<(Action, bool), StoreError> {
        retry(self.policy, "create_action", || async {
            let mut tx = self.begin().await?;
            let created = actions::create(&mut tx, action, plan, idempotency_key, now).await?;
            commit(tx).await?;
            Ok(created)
        })
        .await
    }

    async fn update_action(&self, action: &Action) -> Result<(), StoreError> {
        retry(self.policy, "update_action", || async {
            let mut tx = self.begin().await?;
            actions::update(&mut tx, action).await?;
            commit(tx).await
        })
        .await
    }

    async fn presence_beat(
        &self,
        beat: &super::PresenceBeat,
        now: Timestamp,
        live_after: Timestamp,
    ) -> Result<Option<(crate::model::Presence, bool)>, StoreError> {
        retry(self.policy, "presence_beat", || async {
            let mut conn = self.pool.acquire().await?;
            presence::beat(&mut conn, beat, now, live_after).await
        })
        .await
    }

    async fn presence_leave(
        &self,
        client_id: &str,
        name: &str,
    ) -> Result<Option<crate::model::Presence>, StoreError> {
        retry(self.policy, "presence_leave", || async {
            let mut conn = self.pool.acquire().await?;
            presence::leave(&mut conn, client_id, name).await
        })
        .await
    }

    async fn presence_expire(
        &self,
        live_after: Timestamp,
    ) -> Result<Vec<crate::model::Presence>, StoreError> {
        retry(self.policy, "presence_expire", || async {
            let mut conn = self.pool.acquire().await?;
            presence::expire(&mut conn, live_after).await
        })
        .await
    }

    async fn presence(
        &self,
        live_after: Timestamp,
    ) -> Result<Vec<crate::model::Presence>, StoreError> {
        retry(self.policy, "presence", || async {
            let mut conn = self.pool.acquire().await?;
            presence::list(&mut conn, live_after).await
        })
        .await
    }

    async fn change_role(
        &self,
        incident_id: i64,
        role: crate::model::IncidentRole,
        holder: Option<&str>,
        actor: &str,
        now: Timestamp,
    ) -> Result<super::RoleChange, StoreError> {
        retry(self.policy, "change_role", || async {
            let mut tx = self.begin().await?;
            let change = roles::change(&mut tx, incident_id, role, holder, actor, now).await?;
            commit(tx).await?;
            Ok(change)
        })
        .await
    }

    async fn role_terms(
        &self,
        incident_id: i64,
    ) -> Result<Vec<crate::model::RoleTerm>, StoreError> {
        retry(self.policy, "role_terms", || async {
            let mut conn = self.pool.acquire().await?;
            roles::terms(&mut conn, incident_id).await
        })
        .await
    }

    async fn get_action(&self, id: &str) -> Result<Action, StoreError> {
        retry(self.policy, "get_action", || async {
            let mut conn = self.pool.acquire().await?;
            actions::get(&mut conn, id).await
        })
        .await
    }

    async fn action_plan(&self, id: &str) -> Result<Plan, StoreError> {
        retry(self.policy, "action_plan", || async {
            let mut conn = self.pool.acquire().await?;
            actions::plan(&mut conn, id).await
        })
        .await
    }

    async fn list_actions(&self, incident_id: Option<i64>) -> Result<Vec<Action>, StoreError> {
        retry(self.policy, "list_actions", || async {
            let mut conn = self.pool.acquire().await?;
            actions::list(&mut conn, incident_id).await
        })
        .await
    }

    async fn action_for_key(&self, idempotency_key: &str) -> Result<Option<Action>, StoreError> {
        retry(self.policy, "action_for_key", || async {
            let mut conn = self.pool.acquire().await?;
            actions::for_key(&mut conn, idempotency_key).await
        })
        .await
    }

    fn replication(&self) -> Option<Arc<dyn Replication>> {
        Some(Arc::new(self.clone()))
    }

    async fn outbox_cursor(&self, target: OutboxTarget) -> Result<Option<i64>, StoreError> {
        retry(self.policy, "outbox_cursor", || async {
            let mut conn = self.pool.acquire().await?;
            outbox::cursor(&mut conn, target).await
        })
        .await
    }

    async fn outbox_stage(
        &self,
        target: OutboxTarget,
        through: i64,
        deliveries: &[NewDelivery],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        retry(self.policy, "outbox_stage", || async {
            let mut tx = self.begin().await?;
            outbox::stage(&mut tx, target, through, deliveries, now).await?;
            commit(tx).await
        })
        .await
    }

    async fn outbox_head(&self, target: OutboxTarget) -> Result<Option<Delivery>, StoreError> {
        retry(self.policy, "outbox_head", || async {
            let mut conn = self.pool.acquire().await?;
            outbox::head(&mut conn, target).await
        })
        .await
    }

    async fn outbox_record(
        &self,
        id: i64,
        outcome: &DeliveryOutcome,
    ) -> Result<Delivery, StoreError> {
        retry(self.policy, "outbox_record", || async {
            let mut tx = self.begin().await?;
            let delivery = outbox::record(&mut tx, id, outcome).await?;
            commit(tx).await?;
            Ok(delivery)
        })
        .await
    }

    async fn outbox_remote(
        &self,
        target: OutboxTarget,
        incident_id: i64,
    ) -> Result<Option<String>, StoreError> {
        retry(self.policy, "outbox_remote", || async {
            let mut conn = self.pool.acquire().await?;
            outbox::remote(&mut conn, target, incident_id).await
        })
        .await
    }

    async fn outbox_list(&self, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        retry(self.policy, "outbox_list", || async {
            let mut conn = self.pool.acquire().await?;
            outbox::list(&mut conn, limit).await
        })
        .await
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
