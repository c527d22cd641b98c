//! The append-only logs in PostgreSQL: events, health samples and the audit
//! log.

use sqlx::PgConnection;

use super::codec::{
    audit_from_row, enum_text, event_from_row, health_from_row, json_text, time_text,
};
use crate::model::{Event, EventPayload, HealthSample, Timestamp};
use crate::store::{AuditRecord, StoreError};

/// An event ready to insert: encoded before the sequence row is locked.
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

/// Takes `encoded.len()` numbers from the `event_seq` row and inserts the
/// events under them, in order. Must run inside the transaction that
/// commits them: the row stays locked until then, so the next writer of
/// events waits, and numbers become visible in order with no gaps.
pub(super) async fn insert_events(
    conn: &mut PgConnection,
    encoded: &[EncodedEvent],
) -> Result<Vec<i64>, StoreError> {
    let count = i64::try_from(encoded.len())
        .map_err(|_| StoreError::Backend("too many events in one append".into()))?;
    let last: i64 = sqlx::query_scalar("UPDATE event_seq SET last = last + $1 RETURNING last")
        .bind(count)
        .fetch_one(&mut *conn)
        .await?;
    let seqs: Vec<i64> = (last - count + 1..=last).collect();
    let ats: Vec<&str> = encoded.iter().map(|event| event.at.as_str()).collect();
    let kinds: Vec<&str> = encoded.iter().map(|event| event.kind).collect();
    let payloads: Vec<&str> = encoded.iter().map(|event| event.payload.as_str()).collect();
    sqlx::query(
        "INSERT INTO events (seq, at, kind, payload) \
         SELECT seq, at, kind, payload::jsonb \
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[]) AS e (seq, at, kind, payload)",
    )
    .bind(&seqs)
    .bind(&ats)
    .bind(&kinds)
    .bind(&payloads)
    .execute(&mut *conn)
    .await?;
    // Sent at commit, and only if it commits: a wake-up for replicas that
    // tail the table (the payload is only informative).
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(super::lease::EVENTS_CHANNEL)
        .bind(last.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(seqs)
}

/// Writes the one event that announces a write, in that write's
/// transaction: the change and its announcement commit together or not at
/// all, so a stream never misses a change nor sees one twice.
pub(super) async fn announce(
    conn: &mut PgConnection,
    at: Timestamp,
    payload: EventPayload,
) -> Result<(), StoreError> {
    let encoded = encode_events(&[(at, payload)])?;
    insert_events(conn, &encoded).await?;
    Ok(())
}

pub(super) async fn events_since(
    conn: &mut PgConnection,
    after_seq: i64,
    limit: u32,
) -> Result<Vec<Event>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, at, payload::text AS payload FROM events \
         WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after_seq)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(event_from_row).collect()
}

/// The highest seq ever committed: the counter row, which only rises.
pub(super) async fn last_event_seq(conn: &mut PgConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT last FROM event_seq")
        .fetch_one(&mut *conn)
        .await?)
}

pub(super) async fn insert_samples(
    conn: &mut PgConnection,
    samples: &[HealthSample],
) -> Result<(), StoreError> {
    let mut ids = Vec::with_capacity(samples.len());
    let mut components = Vec::with_capacity(samples.len());
    let mut ats = Vec::with_capacity(samples.len());
    let mut states = Vec::with_capacity(samples.len());
    let mut latencies = Vec::with_capacity(samples.len());
    let mut error_rates = Vec::with_capacity(samples.len());
    for sample in samples {
        ids.push(sample.component_id.as_str());
        components.push(enum_text(&sample.component)?);
        ats.push(time_text(sample.at));
        states.push(enum_text(&sample.state)?);
        latencies.push(sample.latency_ms);
        error_rates.push(sample.error_rate);
    }
    // WITH ORDINALITY keeps the slice's order in the ids, so ties in time
    // read back in insertion order.
    sqlx::query(
        "INSERT INTO health_samples (component_id, component, at, state, latency_ms, error_rate) \
         SELECT component_id, component, at, state, latency_ms, error_rate \
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[]) \
              WITH ORDINALITY AS s (component_id, component, at, state, latency_ms, error_rate, n) \
         ORDER BY n",
    )
    .bind(&ids)
    .bind(&components)
    .bind(&ats)
    .bind(&states)
    .bind(&latencies)
    .bind(&error_rates)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn health_history(
    conn: &mut PgConnection,
    component_id: &str,
    since: Option<Timestamp>,
    limit: u32,
) -> Result<Vec<HealthSample>, StoreError> {
    // With no `since` the lower bound is the empty string, below every time.
    let since = since.map(time_text).unwrap_or_default();
    let rows = sqlx::query(
        "SELECT component_id, component, at, state, latency_ms, error_rate FROM ( \
             SELECT id, component_id, component, at, state, latency_ms, error_rate \
             FROM health_samples WHERE component_id = $1 AND at >= $2 \
             ORDER BY at DESC, id DESC LIMIT $3 \
         ) AS newest ORDER BY at, id",
    )
    .bind(component_id)
    .bind(since)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(health_from_row).collect()
}

pub(super) async fn health_window(
    conn: &mut PgConnection,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<HealthSample>, StoreError> {
    let rows = sqlx::query(
        "SELECT component_id, component, at, state, latency_ms, error_rate \
         FROM health_samples WHERE at >= $1 AND at <= $2 ORDER BY at, id",
    )
    .bind(time_text(since))
    .bind(time_text(until))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(health_from_row).collect()
}

pub(super) async fn insert_audit(
    conn: &mut PgConnection,
    record: &AuditRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, incident_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
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
    conn: &mut PgConnection,
    incident_id: Option<i64>,
) -> Result<Vec<AuditRecord>, StoreError> {
    let rows = match incident_id {
        Some(incident_id) => {
            sqlx::query(
                "SELECT at, actor, action, target, incident_id, detail::text AS detail \
                 FROM audit_log WHERE incident_id = $1 ORDER BY id",
            )
            .bind(incident_id)
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT at, actor, action, target, incident_id, detail::text AS detail \
                 FROM audit_log ORDER BY id",
            )
            .fetch_all(&mut *conn)
            .await?
        }
    };
    rows.iter().map(audit_from_row).collect()
}
