//! The SQLite schema: the `.sql` files in `migrations/sqlite`, embedded at
//! build time and applied on open by sqlx's migrator, which records each
//! applied file (with its checksum) in `_sqlx_migrations`.
//!
//! Applied migrations are never edited (the checksum would refuse the
//! database); a change is a new file with the next number.

use sqlx::SqlitePool;
use sqlx::migrate::Migrator;

use crate::store::StoreError;
use crate::store::migration_error;

static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// The schema version this build writes: the number of its newest migration.
#[cfg(test)]
pub(super) fn current_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Brings the database up to this build's schema; a no-op when it is there.
/// A database written by a newer build, or by the builds before the schema
/// moved to sqlx's migrator (they kept a `schema_version` table), is refused
/// rather than misread.
pub(super) async fn migrate(writer: &SqlitePool) -> Result<(), StoreError> {
    let legacy: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
    )
    .fetch_optional(writer)
    .await?;
    if legacy.is_some() {
        return Err(StoreError::Backend(
            "this database was created by an older warroom whose schema is not upgraded in \
             place (it has a `schema_version` table); export its incidents with that version \
             and start on a new --db file"
                .into(),
        ));
    }
    // SQLite has no lock for the migrator: when two processes open a new file
    // at once, one of them fails on tables the other just made. Its
    // transaction rolled back, so running again skips what the other applied.
    match MIGRATOR.run(writer).await {
        Ok(()) => Ok(()),
        Err(first) => {
            if MIGRATOR.run(writer).await.is_ok() {
                return Ok(());
            }
            Err(migration_error(first))
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqliteConnectOptions;

    use super::super::SqliteStore;

    #[tokio::test]
    async fn a_database_from_before_the_migrator_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("opens");
        sqlx::raw_sql(
            "CREATE TABLE schema_version (version INTEGER NOT NULL); \
             INSERT INTO schema_version VALUES (1), (2), (3);",
        )
        .execute(&pool)
        .await
        .expect("an old database");
        pool.close().await;
        let err = SqliteStore::open_file(&path).await.expect_err("refused");
        let message = err.to_string();
        assert!(message.contains("schema_version"), "{message}");
        assert!(message.contains("new --db file"), "{message}");
    }
}
