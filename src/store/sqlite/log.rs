//! The append-only logs in SQLite: events, health samples and the audit log.

use sqlx::SqliteConnection;

use super::codec::{
    audit_from_row, enum_text, event_from_row, health_from_row, json_text, time_text,
};
use crate::model::{Event, EventPayload, HealthSample, Timestamp};
use crate::store::{AuditRecord, StoreError};

/// An event ready to insert: encoded before the write lock is taken.
pub(super) struct EncodedEvent {
    at: String,
    kind: &'static str,
    payload: String,
}

pub(super) fn encode_events(
    events: &[(Timestamp, EventPayload)],
) -> Result<Vec<EncodedEvent>, StoreError> {
    events
        .iter()
        .map(|(at, payload)| {
            Ok(EncodedEvent {
                at: time_text(*at),
                kind: payload.kind().as_str(),
                payload: json_text(payload)?,
            })
        })
        .collect()
}

/// Inserts the events in order; must run inside one write transaction so the
/// sequence numbers it returns are consecutive.
pub(super) async fn insert_events(
    conn: &mut SqliteConnection,
    encoded: &[EncodedEvent],
) -> Result<Vec<i64>, StoreError> {
    let mut seqs = Vec::with_capacity(encoded.len());
    for event in encoded {
        let result = sqlx::query("INSERT INTO events (at, kind, payload) VALUES (?, ?, ?)")
            .bind(&event.at)
            .bind(event.kind)
            .bind(&event.payload)
            .execute(&mut *conn)
            .await?;
        seqs.push(result.last_insert_rowid());
    }
    Ok(seqs)
}

/// Writes the one event that announces a write, in that write's
/// transaction: the change and its announcement commit together or not at
/// all, so a stream never misses a change nor sees one twice.
pub(super) async fn announce(
    conn: &mut SqliteConnection,
    at: Timestamp,
    payload: EventPayload,
) -> Result<(), StoreError> {
    let encoded = encode_events(&[(at, payload)])?;
    insert_events(conn, &encoded).await?;
    Ok(())
}

pub(super) async fn events_since(
    conn: &mut SqliteConnection,
    after_seq: i64,
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    let rows =
        sqlx::query("SELECT seq, at, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?")
            .bind(after_seq)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
    rows.iter().map(event_from_row).collect()
}

/// The highest seq ever assigned. `sqlite_sequence` remembers it even if the
/// newest rows were removed, which is what keeps seqs from being reused.
pub(super) async fn last_event_seq(conn: &mut SqliteConnection) -> Result<i64, StoreError> {
    let seq: i64 = sqlx::query_scalar(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0), \
                    COALESCE((SELECT MAX(seq) FROM events), 0))",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(seq)
}

/// A health sample ready to insert.
pub(super) struct EncodedSample<'a> {
    sample: &'a HealthSample,
    component: String,
    at: String,
    state: String,
}

pub(super) fn encode_samples(
    samples: &[HealthSample],
) -> Result<Vec<EncodedSample<'_>>, StoreError> {
    samples
        .iter()
        .map(|sample| {
            Ok(EncodedSample {
                sample,
                component: enum_text(&sample.component)?,
                at: time_text(sample.at),
                state: enum_text(&sample.state)?,
            })
        })
        .collect()
}

pub(super) async fn insert_samples(
    conn: &mut SqliteConnection,
    encoded: &[EncodedSample<'_>],
) -> Result<(), StoreError> {
    for row in encoded {
        sqlx::query(
            "INSERT INTO health_samples (component_id, component, at, state, latency_ms, \
             error_rate) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&row.sample.component_id)
        .bind(&row.component)
        .bind(&row.at)
        .bind(&row.state)
        .bind(row.sample.latency_ms)
        .bind(row.sample.error_rate)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(super) async fn health_history(
    conn: &mut SqliteConnection,
    component_id: &str,
    since: Option<Timestamp>,
    limit: u32,
) -> Result<Vec<HealthSample>, StoreError> {
    // The newest `limit` samples, then put back in ascending order. With no
    // `since` the lower bound is the empty string, below every timestamp.
    let since = since.map(time_text).unwrap_or_default();
    let rows = sqlx::query(
        "SELECT component_id, component, at, state, latency_ms, error_rate FROM ( \
             SELECT id, component_id, component, at, state, latency_ms, error_rate \
             FROM health_samples WHERE component_id = ? AND at >= ? \
             ORDER BY at DESC, id DESC LIMIT ? \
         ) ORDER BY at, id",
    )
    .bind(component_id)
    .bind(since)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(health_from_row).collect()
}

pub(super) async fn health_window(
    conn: &mut SqliteConnection,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<HealthSample>, StoreError> {
    let rows = sqlx::query(
        "SELECT component_id, component, at, state, latency_ms, error_rate \
         FROM health_samples WHERE at >= ? AND at <= ? ORDER BY at, id",
    )
    .bind(time_text(since))
    .bind(time_text(until))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(health_from_row).collect()
}

pub(super) async fn insert_audit(
    conn: &mut SqliteConnection,
    record: &AuditRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, incident_id, detail) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(time_text(record.at))
    .bind(&record.actor)
    .bind(&record.action)
    .bind(&record.target)
    .bind(record.incident_id)
    .bind(json_text(&record.detail)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn audit_log(
    conn: &mut SqliteConnection,
    incident_id: Option<i64>,
) -> Result<Vec<AuditRecord>, StoreError> {
    let rows =
        match incident_id {
            Some(incident_id) => {
                sqlx::query(
                    "SELECT at, actor, action, target, incident_id, detail FROM audit_log \
                 WHERE incident_id = ? ORDER BY id",
                )
                .bind(incident_id)
                .fetch_all(&mut *conn)
                .await?
            }
            None => sqlx::query(
                "SELECT at, actor, action, target, incident_id, detail FROM audit_log ORDER BY id",
            )
            .fetch_all(&mut *conn)
            .await?,
        };
    rows.iter().map(audit_from_row).collect()
}
