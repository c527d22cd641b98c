//! Persistence behind a trait: incidents, their timelines, the event log, health
//! history, the audit log, and actions with their idempotency keys.
//!
//! [`Store`] is the contract; [`SqliteStore`] (the embedded default) and
//! [`PgStore`] (several replicas on one database) implement it, and one
//! conformance suite (`tests`) runs against both. Each backend's schema is
//! the `.sql` files under `migrations/<backend>`, applied on open by sqlx's
//! migrator. The rules that do not depend on
//! the backend (how a patch changes an incident, when an entry is immutable, what
//! an idempotent retry is) live in `rules` and `idempotency` so every backend
//! applies them the same way.
//!
//! Every write method returns only after its transaction committed durably, and
//! every mutation of an incident or a timeline entry writes its audit record,
//! and the event that announces it (`incident` or `timeline`, at `now`), in
//! that same transaction: a change is announced exactly once, whatever
//! crashes or retries come between.

mod error;
mod idempotency;
mod postgres;
mod replication;
mod rules;
mod sqlite;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{
    AccessRole, Action, Delivery, DeliveryOutcome, EntryKind, EntryPatch, Event, EventPayload,
    HealthSample, Incident, IncidentPatch, IncidentRole, IncidentState, Marker, NewDelivery,
    NewIncident, OutboxTarget, Plan, Presence, RoleTerm, Source, TimelineEntry, Timestamp,
    UpdateStatus, Visibility,
};

pub(crate) use error::migration_error;
pub use error::{Conflicting, StoreError};
pub use postgres::PgStore;
pub use replication::{Candidate, Lease, LeaseTiming, Replication};
pub use sqlite::SqliteStore;

/// The storage contract of the orchestrator.
///
/// Versions (`expected_version`) are checked atomically with the write: of two
/// writers holding the same version, exactly one succeeds and the other gets
/// [`StoreError::Conflict`] with the current object.
///
/// Failures that another try may not meet (serialization failures,
/// deadlocks, a lost connection, an exhausted pool) are
/// [`StoreError::is_retryable`]; a backend may retry them itself (PostgreSQL
/// does, with bounded jittered backoff) and returns them only when its tries
/// are spent. A write whose commit lost its answer is
/// [`StoreError::CommitUnknown`] and is never retried blindly.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates an incident at version 1. Its state follows its status
    /// (`resolved` => resolved, with `resolved_at = now`); `started_at`
    /// defaults to `now`. Audited as `incident.create`; announced by an
    /// `incident` event.
    async fn create_incident(
        &self,
        new: &NewIncident,
        actor: &str,
        now: Timestamp,
    ) -> Result<Incident, StoreError>;

    /// [`StoreError::NotFound`] when there is no such incident.
    async fn get_incident(&self, id: i64) -> Result<Incident, StoreError>;

    /// Incidents in the given state (all when `None`), newest first: by
    /// `started_at` descending, then by id descending.
    async fn list_incidents(
        &self,
        state: Option<IncidentState>,
    ) -> Result<Vec<Incident>, StoreError>;

    /// Applies the fields present in `patch` if the incident is still at
    /// `expected_version`; the version then rises by one and `updated_at = now`.
    /// Moving the status to `resolved` resolves the incident (`resolved_at =
    /// now`); moving it away from `resolved` reopens it. A patch that changes
    /// nothing returns the incident unchanged (and announces nothing).
    /// Audited as `incident.update`; announced by an `incident` event.
    async fn update_incident(
        &self,
        id: i64,
        expected_version: i64,
        patch: &IncidentPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Incident, StoreError>;

    /// Adds an entry (version 1, `recorded_at = now`) to an incident's timeline.
    ///
    /// With an idempotency key, a retry with the same key and the same content
    /// returns the entry the first call made with `created == false`; the same
    /// key with other content is [`StoreError::IdempotencyMismatch`]. An
    /// `occurred_at` equal to `now` counts as "defaulted by the server" and is
    /// left out of the comparison, so callers should pass `now` when the client
    /// gave no time. Unknown incident => [`StoreError::NotFound`]. Audited as
    /// `timeline.create`; announced by a `timeline` event (a replay announces
    /// nothing: the first call did).
    async fn create_entry(
        &self,
        incident_id: i64,
        entry: &EntryRecord,
        idempotency_key: Option<&str>,
        now: Timestamp,
    ) -> Result<(TimelineEntry, bool), StoreError>;

    /// A live (not deleted) entry of the incident, else [`StoreError::NotFound`].
    async fn get_entry(&self, incident_id: i64, entry_id: i64)
    -> Result<TimelineEntry, StoreError>;

    /// The incident's live entries by `occurred_at`, then id. An unknown
    /// incident is [`StoreError::NotFound`].
    async fn list_entries(&self, incident_id: i64) -> Result<Vec<TimelineEntry>, StoreError>;

    /// Applies the fields present in `patch` if the entry is still at
    /// `expected_version`; sets `edited_at = now` and raises the version by one.
    /// Deleted or unknown entries are [`StoreError::NotFound`]; entries from
    /// detectors and actions, and role handoffs, are [`StoreError::Immutable`]. A patch that changes
    /// nothing returns the entry unchanged (and announces nothing). Audited
    /// as `timeline.update`; announced by a `timeline` event.
    async fn update_entry(
        &self,
        incident_id: i64,
        entry_id: i64,
        expected_version: i64,
        patch: &EntryPatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<TimelineEntry, StoreError>;

    /// Soft delete under the same checks as [`Store::update_entry`]: sets
    /// `deleted_at = now`, raises the version and returns the deleted entry. It
    /// leaves the timeline; the audit record (`timeline.delete`) keeps it.
    /// Announced by a `timeline` event carrying the deleted entry.
    async fn delete_entry(
        &self,
        incident_id: i64,
        entry_id: i64,
        expected_version: i64,
        actor: &str,
        now: Timestamp,
    ) -> Result<TimelineEntry, StoreError>;

    /// Appends events in one transaction and returns them with their sequence
    /// numbers, which rise by exactly one per event and are never reused, also
    /// across restarts. An empty slice writes nothing.
    ///
    /// Sequence numbers are gapless and in commit order, also with several
    /// processes writing at once: a number becomes visible to
    /// [`Store::events_since`] only once it and every smaller one committed,
    /// so a reader that tails by `seq > last` never misses one. SQLite gets
    /// this from its single writer (`BEGIN IMMEDIATE`, `AUTOINCREMENT`).
    /// PostgreSQL takes the numbers from one counter row updated in the
    /// events' own transaction (`UPDATE event_seq SET last = last + n
    /// RETURNING last`): writers of events queue on that row's lock until
    /// the holder commits or rolls back (a rollback hands its numbers to the
    /// next writer), so numbers commit in order and none is skipped.
    async fn append_events(
        &self,
        events: &[(Timestamp, EventPayload)],
    ) -> Result<Vec<Event>, StoreError>;

    /// Appends events exactly as [`Store::append_events`] does and, in the
    /// same transaction, replaces the saved world state with `world`. Refused
    /// (nothing written) when the stored world has a higher `version`: the
    /// topology version never goes backwards. `events` may be empty (the
    /// world changed without an event, e.g. a probe counter or the sim clock).
    async fn save_world(
        &self,
        world: &SavedWorld,
        events: &[(Timestamp, EventPayload)],
    ) -> Result<Vec<Event>, StoreError>;

    /// The world state last saved by [`Store::save_world`]; `None` for a
    /// store that never saved one.
    async fn load_world(&self) -> Result<Option<SavedWorld>, StoreError>;

    /// Up to `limit` events with `seq > after_seq`, ascending.
    async fn events_since(&self, after_seq: i64, limit: u32) -> Result<Vec<Event>, StoreError>;

    /// The highest sequence number ever committed; 0 when there is none.
    async fn last_event_seq(&self) -> Result<i64, StoreError>;

    /// Records health samples in one transaction.
    async fn append_health(&self, samples: &[HealthSample]) -> Result<(), StoreError>;

    /// A component's samples at or after `since`, ascending by time (ties in
    /// insertion order); when more than `limit` match, the newest `limit`.
    async fn health_history(
        &self,
        component_id: &str,
        since: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<HealthSample>, StoreError>;

    /// Every component's samples with `since <= at <= until`, ascending.
    async fn health_window(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<HealthSample>, StoreError>;

    /// Audit records in the order they were written; only those of one
    /// incident when `incident_id` is given.
    async fn audit_log(&self, incident_id: Option<i64>) -> Result<Vec<AuditRecord>, StoreError>;

    /// Records an audit entry for a change made outside the store (actions,
    /// plans, tokens).
    async fn append_audit(&self, record: &AuditRecord) -> Result<(), StoreError>;

    /// Records a new action with the plan it executes and binds
    /// `idempotency_key` to it, in one transaction. When the key is bound
    /// already nothing is written, and the action it is bound to comes back
    /// with `created == false`: a retried execute never runs twice.
    async fn create_action(
        &self,
        action: &Action,
        plan: &Plan,
        idempotency_key: &str,
        now: Timestamp,
    ) -> Result<(Action, bool), StoreError>;

    /// Rewrites an action as it is now (state, steps, follow-up).
    /// [`StoreError::NotFound`] when it was never created.
    async fn update_action(&self, action: &Action) -> Result<(), StoreError>;

    /// [`StoreError::NotFound`] when there is no such action.
    async fn get_action(&self, id: &str) -> Result<Action, StoreError>;

    /// The plan an action executes, as it was executed.
    async fn action_plan(&self, id: &str) -> Result<Plan, StoreError>;

    /// Actions newest first (by start, then id descending); only those of
    /// one incident when `incident_id` is given.
    async fn list_actions(&self, incident_id: Option<i64>) -> Result<Vec<Action>, StoreError>;

    /// The action an execute with this idempotency key created, if any.
    async fn action_for_key(&self, idempotency_key: &str) -> Result<Option<Action>, StoreError>;

    /// A console's heartbeat: it is in the room as `name` with `role` at
    /// `now`. A client id not present, or whose last heartbeat is older than
    /// `live_after` (expired, not yet swept), joins afresh (`since = now`,
    /// `true`); a live one is renewed (`seen_at = now`, role as given,
    /// `false`). `None` when the client id is live under another name:
    /// nothing changes then.
    async fn presence_beat(
        &self,
        beat: &PresenceBeat,
        now: Timestamp,
        live_after: Timestamp,
    ) -> Result<Option<(Presence, bool)>, StoreError>;

    /// A console said goodbye: removes `client_id` if `name` holds it and
    /// returns it; `None` when there was no such entry.
    async fn presence_leave(
        &self,
        client_id: &str,
        name: &str,
    ) -> Result<Option<Presence>, StoreError>;

    /// Removes and returns the entries last seen before `live_after`. Each
    /// removed entry is returned to exactly one caller, also with several
    /// replicas sweeping at once.
    async fn presence_expire(&self, live_after: Timestamp) -> Result<Vec<Presence>, StoreError>;

    /// The entries seen at or after `live_after`, by `since`, then client id.
    async fn presence(&self, live_after: Timestamp) -> Result<Vec<Presence>, StoreError>;

    /// Hands an incident role to `holder` (`None`: leaves it vacant) at
    /// `now`: ends the open term and opens the new one, audited as
    /// `incident.role`, in one transaction. Handing it to its holder
    /// changes nothing (`unchanged`). Unknown incident =>
    /// [`StoreError::NotFound`].
    async fn change_role(
        &self,
        incident_id: i64,
        role: IncidentRole,
        holder: Option<&str>,
        actor: &str,
        now: Timestamp,
    ) -> Result<RoleChange, StoreError>;

    /// Every term of every role of the incident, by start (then in the
    /// order they were written). Unknown incident => [`StoreError::NotFound`].
    async fn role_terms(&self, incident_id: i64) -> Result<Vec<RoleTerm>, StoreError>;

    /// How far the outbox's staging for `target` has read the event log;
    /// `None` before it ever ran.
    async fn outbox_cursor(&self, target: OutboxTarget) -> Result<Option<i64>, StoreError>;

    /// Stages `deliveries` for `target` (one whose key is already staged is
    /// left out) and moves its cursor to `through` (never back), in one
    /// transaction: whatever crashes, each thing to send is staged once.
    async fn outbox_stage(
        &self,
        target: OutboxTarget,
        through: i64,
        deliveries: &[NewDelivery],
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The first delivery of `target` neither delivered nor given up, by
    /// staging order: deliveries to one target go out in order.
    async fn outbox_head(&self, target: OutboxTarget) -> Result<Option<Delivery>, StoreError>;

    /// Records an attempt of a pending delivery. A delivery no longer
    /// pending is [`StoreError::NotFound`].
    async fn outbox_record(
        &self,
        id: i64,
        outcome: &DeliveryOutcome,
    ) -> Result<Delivery, StoreError>;

    /// The receiver's id for the incident on `target` (the status page's
    /// incident id), once a delivery made it.
    async fn outbox_remote(
        &self,
        target: OutboxTarget,
        incident_id: i64,
    ) -> Result<Option<String>, StoreError>;

    /// The latest deliveries, newest first.
    async fn outbox_list(&self, limit: u32) -> Result<Vec<Delivery>, StoreError>;

    /// Leadership among replicas sharing this store; `None` for a backend
    /// that carries one node (SQLite), which then runs standalone.
    fn replication(&self) -> Option<Arc<dyn Replication>> {
        None
    }

    /// Closes the connections after the writes in flight; later calls fail.
    async fn close(&self);
}

/// A timeline entry as the server decided it (defaults filled in, author from
/// the token), before the store gives it an id and `recorded_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryRecord {
    pub kind: EntryKind,
    pub status: Option<UpdateStatus>,
    pub visibility: Visibility,
    pub body: String,
    pub author: String,
    pub occurred_at: Timestamp,
    pub starred: bool,
    pub marker: Option<Marker>,
    pub source: Source,
}

/// What [`Store::change_role`] did: the term it ended and the one it
/// started, or, when the role already was the holder's, that term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    pub ended: Option<RoleTerm>,
    pub started: Option<RoleTerm>,
    pub unchanged: Option<RoleTerm>,
}

/// A console's heartbeat, with the name and role its token gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceBeat {
    pub client_id: String,
    pub name: String,
    pub role: AccessRole,
}

/// The orchestrator's world state as one opaque document: the store keeps
/// it, the server alone reads its `state` (JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct SavedWorld {
    /// The topology version the state is at.
    pub version: u64,
    pub saved_at: Timestamp,
    pub state: String,
}

/// Who changed what, when. `detail` holds `{"before": …, "after": …}` for
/// changes made through the store (`before` is null for creations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditRecord {
    // Spelled out rather than `Timestamp`: utoipa recognizes chrono's type by
    // name, not through the alias.
    pub at: DateTime<Utc>,
    pub actor: String,
    /// What was done, e.g. `incident.create`, `timeline.update`.
    pub action: String,
    /// The object changed, as an API path, e.g. `incidents/4/timeline/17`.
    pub target: String,
    pub incident_id: Option<i64>,
    pub detail: serde_json::Value,
}

/// Audit action names written by the store itself.
pub mod audit_actions {
    pub const INCIDENT_CREATE: &str = "incident.create";
    pub const INCIDENT_UPDATE: &str = "incident.update";
    pub const TIMELINE_CREATE: &str = "timeline.create";
    pub const TIMELINE_UPDATE: &str = "timeline.update";
    pub const TIMELINE_DELETE: &str = "timeline.delete";
    pub const INCIDENT_ROLE: &str = "incident.role";
}

/// The URL schemes [`open`] understands, for error messages and `--help`.
pub const SUPPORTED_URLS: &str =
    "sqlite://PATH, sqlite::memory: or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE";

/// Opens (creating if missing) the store a URL names and brings its schema up
/// to date.
///
/// `sqlite://PATH` is a SQLite file (its parent directory is created too);
/// `sqlite::memory:` is a private in-memory database that lives as long as the
/// returned store; `postgres://…` (or `postgresql://…`) is a PostgreSQL
/// database, shared by every replica that opens it. Any other URL is refused
/// with an error naming its scheme and the supported ones.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::connect(url).await?));
    }
    if sqlite::is_memory_url(url) {
        return Ok(Arc::new(SqliteStore::open_in_memory().await?));
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(StoreError::Backend(format!(
                "database URL {url:?} names no file; use {SUPPORTED_URLS}"
            )));
        }
        return Ok(Arc::new(SqliteStore::open_file(path.as_ref()).await?));
    }
    match url.split_once(':') {
        Some((scheme, _)) if !scheme.is_empty() => Err(StoreError::Backend(format!(
            "unsupported database URL scheme {scheme:?}: use {SUPPORTED_URLS}"
        ))),
        _ => Err(StoreError::Backend(format!(
            "the database URL has no scheme: use {SUPPORTED_URLS}"
        ))),
    }
}
