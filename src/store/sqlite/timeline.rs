//! Timeline entries and their idempotency keys in SQLite.

use sqlx::SqliteConnection;

use super::codec::{
    entry_columns, entry_from_row, enum_text, opt_enum_text, opt_time_text, time_text,
};
use super::log::insert_audit;
use crate::model::{EntryPatch, TimelineEntry, Timestamp};
use crate::store::audit_actions::{TIMELINE_CREATE, TIMELINE_DELETE, TIMELINE_UPDATE};
use crate::store::idempotency::entry_fingerprint;
use crate::store::{EntryRecord, StoreError, rules};

/// Must run inside a write transaction, so that the key lookup, the entry and
/// the key row are one atomic step.
pub(super) async fn create(
    conn: &mut SqliteConnection,
    incident_id: i64,
    record: &EntryRecord,
    idempotency_key: Option<&str>,
    now: Timestamp,
) -> Result<(TimelineEntry, bool), StoreError> {
    ensure_incident(conn, incident_id).await?;
    let fingerprint = match idempotency_key {
        Some(key) => {
            let fingerprint = entry_fingerprint(record, now)?;
            if let Some(existing) = replay(conn, incident_id, key, &fingerprint).await? {
                return Ok((existing, false));
            }
            Some((key, fingerprint))
        }
        None => None,
    };

    let mut entry = rules::new_entry(incident_id, record, now);
    let result = sqlx::query(
        "INSERT INTO timeline_entries (incident_id, kind, status, visibility, body, author, \
         occurred_at, recorded_at, edited_at, version, starred, marker, source, deleted_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, NULL)",
    )
    .bind(incident_id)
    .bind(enum_text(&entry.kind)?)
    .bind(opt_enum_text(entry.status.as_ref())?)
    .bind(enum_text(&entry.visibility)?)
    .bind(&entry.body)
    .bind(&entry.author)
    .bind(time_text(entry.occurred_at))
    .bind(time_text(entry.recorded_at))
    .bind(entry.version)
    .bind(entry.starred)
    .bind(opt_enum_text(entry.marker.as_ref())?)
    .bind(enum_text(&entry.source)?)
    .execute(&mut *conn)
    .await?;
    entry.id = result.last_insert_rowid();

    if let Some((key, fingerprint)) = fingerprint {
        sqlx::query(
            "INSERT INTO idempotency_keys (incident_id, key, entry_id, content_hash, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(incident_id)
        .bind(key)
        .bind(entry.id)
        .bind(fingerprint)
        .bind(time_text(now))
        .execute(&mut *conn)
        .await?;
    }
    let audit = rules::entry_audit(TIMELINE_CREATE, &entry.author, now, None, &entry)?;
    insert_audit(conn, &audit).await?;
    Ok((entry, true))
}

/// The entry an earlier request with this key made, if there was one.
async fn replay(
    conn: &mut SqliteConnection,
    incident_id: i64,
    key: &str,
    fingerprint: &str,
) -> Result<Option<TimelineEntry>, StoreError> {
    let earlier: Option<(i64, String)> = sqlx::query_as(
        "SELECT entry_id, content_hash FROM idempotency_keys WHERE incident_id = ? AND key = ?",
    )
    .bind(incident_id)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((entry_id, stored_fingerprint)) = earlier else {
        return Ok(None);
    };
    if stored_fingerprint != fingerprint {
        return Err(StoreError::IdempotencyMismatch);
    }
    // The entry may have been edited or deleted since; the caller gets it as
    // it is now, which is what a fresh read would show.
    find(conn, incident_id, entry_id)
        .await?
        .map(Some)
        .ok_or_else(|| StoreError::corrupt("idempotency key", "its entry is missing"))
}

async fn ensure_incident(conn: &mut SqliteConnection, incident_id: i64) -> Result<(), StoreError> {
    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM incidents WHERE id = ?")
        .bind(incident_id)
        .fetch_optional(&mut *conn)
        .await?;
    match exists {
        Some(_) => Ok(()),
        None => Err(StoreError::incident_not_found(incident_id)),
    }
}

/// The entry, deleted or not.
async fn find(
    conn: &mut SqliteConnection,
    incident_id: i64,
    entry_id: i64,
) -> Result<Option<TimelineEntry>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM timeline_entries WHERE id = ? AND incident_id = ?"
    ))
    .bind(entry_id)
    .bind(incident_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(entry_from_row).transpose()
}

/// A live entry; deleted entries are not found.
pub(super) async fn get(
    conn: &mut SqliteConnection,
    incident_id: i64,
    entry_id: i64,
) -> Result<TimelineEntry, StoreError> {
    match find(conn, incident_id, entry_id).await? {
        Some(entry) if entry.deleted_at.is_none() => Ok(entry),
        _ => Err(StoreError::entry_not_found(incident_id, entry_id)),
    }
}

pub(super) async fn list(
    conn: &mut SqliteConnection,
    incident_id: i64,
) -> Result<Vec<TimelineEntry>, StoreError> {
    ensure_incident(conn, incident_id).await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM timeline_entries WHERE incident_id = ? AND deleted_at IS NULL \
         ORDER BY occurred_at, id"
    ))
    .bind(incident_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(entry_from_row).collect()
}

/// The entry as a caller holding `expected_version` may change it.
async fn editable(
    conn: &mut SqliteConnection,
    incident_id: i64,
    entry_id: i64,
    expected_version: i64,
) -> Result<TimelineEntry, StoreError> {
    let current = find(conn, incident_id, entry_id)
        .await?
        .ok_or_else(|| StoreError::entry_not_found(incident_id, entry_id))?;
    rules::ensure_editable(&current)?;
    if current.version != expected_version {
        return Err(StoreError::entry_conflict(current));
    }
    Ok(current)
}

/// Must run inside a write transaction.
pub(super) async fn update(
    conn: &mut SqliteConnection,
    incident_id: i64,
    entry_id: i64,
    expected_version: i64,
    patch: &EntryPatch,
    actor: &str,
    now: Timestamp,
) -> Result<TimelineEntry, StoreError> {
    let current = editable(conn, incident_id, entry_id, expected_version).await?;
    let Some(next) = rules::patched_entry(&current, patch, actor, now) else {
        return Ok(current);
    };
    write_change(conn, &current, &next).await?;
    let audit = rules::entry_audit(TIMELINE_UPDATE, actor, now, Some(&current), &next)?;
    insert_audit(conn, &audit).await?;
    Ok(next)
}

/// Must run inside a write transaction.
pub(super) async fn delete(
    conn: &mut SqliteConnection,
    incident_id: i64,
    entry_id: i64,
    expected_version: i64,
    actor: &str,
    now: Timestamp,
) -> Result<TimelineEntry, StoreError> {
    let current = editable(conn, incident_id, entry_id, expected_version).await?;
    let next = rules::deleted_entry(&current, actor, now);
    write_change(conn, &current, &next).await?;
    let audit = rules::entry_audit(TIMELINE_DELETE, actor, now, Some(&current), &next)?;
    insert_audit(conn, &audit).await?;
    Ok(next)
}

/// Writes the mutable fields of `next` over `current`, guarded by the version
/// so that a concurrent writer's change is never overwritten.
async fn write_change(
    conn: &mut SqliteConnection,
    current: &TimelineEntry,
    next: &TimelineEntry,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE timeline_entries SET status = ?, visibility = ?, body = ?, occurred_at = ?, \
         edited_at = ?, edited_by = ?, version = ?, starred = ?, marker = ?, deleted_at = ? \
         WHERE id = ? AND incident_id = ? AND version = ?",
    )
    .bind(opt_enum_text(next.status.as_ref())?)
    .bind(enum_text(&next.visibility)?)
    .bind(&next.body)
    .bind(time_text(next.occurred_at))
    .bind(opt_time_text(next.edited_at))
    .bind(next.edited_by.as_deref())
    .bind(next.version)
    .bind(next.starred)
    .bind(opt_enum_text(next.marker.as_ref())?)
    .bind(opt_time_text(next.deleted_at))
    .bind(current.id)
    .bind(current.incident_id)
    .bind(current.version)
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() == 1 {
        return Ok(());
    }
    match find(conn, current.incident_id, current.id).await? {
        Some(now_stored) => Err(StoreError::entry_conflict(now_stored)),
        None => Err(StoreError::entry_not_found(current.incident_id, current.id)),
    }
}
