//! The SQLite schema and its migrations.
//!
//! Migrations are embedded, numbered by their position in [`MIGRATIONS`], and
//! applied on open inside one `BEGIN IMMEDIATE` transaction, so two processes
//! opening the same file at once cannot both apply them. Applied migrations are
//! never edited; a change is a new entry at the end.

use sqlx::SqlitePool;

use crate::store::StoreError;

/// Timestamps are TEXT in RFC 3339 with nine fractional digits and `Z`
/// (see `codec::time_text`): exact round trips, and text order is time order.
/// Enum columns hold the wire names (snake_case).
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE incidents (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        title       TEXT    NOT NULL,
        severity    TEXT    NOT NULL,
        status      TEXT    NOT NULL,
        impact      TEXT    NOT NULL,
        components  TEXT    NOT NULL,  -- JSON array of AffectedComponent
        state       TEXT    NOT NULL,
        started_at  TEXT    NOT NULL,
        created_at  TEXT    NOT NULL,
        updated_at  TEXT    NOT NULL,
        resolved_at TEXT,
        version     INTEGER NOT NULL
    );
    CREATE INDEX incidents_by_start ON incidents (started_at DESC, id DESC);

    CREATE TABLE timeline_entries (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id INTEGER NOT NULL REFERENCES incidents (id),
        kind        TEXT    NOT NULL,
        status      TEXT,
        visibility  TEXT    NOT NULL,
        body        TEXT    NOT NULL,
        author      TEXT    NOT NULL,
        occurred_at TEXT    NOT NULL,
        recorded_at TEXT    NOT NULL,
        edited_at   TEXT,
        version     INTEGER NOT NULL,
        starred     INTEGER NOT NULL,
        marker      TEXT,
        source      TEXT    NOT NULL,
        deleted_at  TEXT
    );
    CREATE INDEX timeline_by_incident ON timeline_entries (incident_id, occurred_at, id);

    CREATE TABLE idempotency_keys (
        incident_id  INTEGER NOT NULL REFERENCES incidents (id),
        key          TEXT    NOT NULL,
        entry_id     INTEGER NOT NULL REFERENCES timeline_entries (id),
        content_hash TEXT    NOT NULL,
        created_at   TEXT    NOT NULL,
        PRIMARY KEY (incident_id, key)
    ) WITHOUT ROWID;

    -- AUTOINCREMENT: a seq is never handed out twice, even after the newest
    -- rows are gone; SSE clients resume by it.
    CREATE TABLE events (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        at      TEXT    NOT NULL,
        kind    TEXT    NOT NULL,
        payload TEXT    NOT NULL   -- JSON of EventPayload
    );

    CREATE TABLE health_samples (
        id           INTEGER PRIMARY KEY,
        component_id TEXT    NOT NULL,
        component    TEXT    NOT NULL,
        at           TEXT    NOT NULL,
        state        TEXT    NOT NULL,
        latency_ms   REAL,
        error_rate   REAL    NOT NULL
    );
    CREATE INDEX health_by_component ON health_samples (component_id, at, id);

    CREATE TABLE audit_log (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT    NOT NULL,
        actor       TEXT    NOT NULL,
        action      TEXT    NOT NULL,
        target      TEXT    NOT NULL,
        incident_id INTEGER,
        detail      TEXT    NOT NULL   -- JSON
    );
    CREATE INDEX audit_by_incident ON audit_log (incident_id, id);
    "#,
    // 2: executed plans (actions) and the idempotency keys of their executes.
    r#"
    CREATE TABLE actions (
        id          TEXT    PRIMARY KEY,
        plan_id     TEXT    NOT NULL,
        incident_id INTEGER,
        state       TEXT    NOT NULL,
        started_at  TEXT    NOT NULL,
        action      TEXT    NOT NULL,  -- JSON of Action, rewritten on every change
        plan        TEXT    NOT NULL   -- JSON of the Plan it executes
    ) WITHOUT ROWID;
    CREATE INDEX actions_by_start ON actions (started_at, id);
    CREATE INDEX actions_by_incident ON actions (incident_id, started_at, id);

    CREATE TABLE action_keys (
        key        TEXT PRIMARY KEY,
        action_id  TEXT NOT NULL REFERENCES actions (id),
        created_at TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 3: the whole fleet's history over a time window (postmortems).
    r#"
    CREATE INDEX health_by_time ON health_samples (at, id);
    "#,
    // 4: the orchestrator's world state (placements, roles, health with its
    // counters, open alerts, plans, the simulator), one row replaced in the
    // transaction of the events that announce each change.
    r#"
    CREATE TABLE world_state (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        version  INTEGER NOT NULL,  -- the topology version; never lowered
        saved_at TEXT    NOT NULL,
        state    TEXT    NOT NULL   -- JSON, written and read by the server
    );
    "#,
];

/// The schema version this build writes.
pub(super) const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`CURRENT_VERSION`]; a no-op when it is there.
/// A database written by a newer build is refused rather than misread.
pub(super) async fn migrate(writer: &SqlitePool) -> Result<(), StoreError> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .execute(&mut *tx)
        .await?;
    let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_version")
        .fetch_one(&mut *tx)
        .await?;
    let applied = applied.unwrap_or(0);
    if applied > CURRENT_VERSION {
        return Err(StoreError::Backend(format!(
            "the database has schema version {applied}, newer than this build's \
             {CURRENT_VERSION}; use a newer warroom"
        )));
    }
    let done = usize::try_from(applied).unwrap_or(0);
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_version (version) VALUES (?)")
            .bind(index as i64 + 1)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
