//! What only the PostgreSQL backend has: several processes on one database,
//! and retries of passing failures, on a real server.

use sqlx::Connection;

use super::{Backend, at, new_incident};
use crate::store::{StoreError, open};

async fn connect(backend: &Backend) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(backend.url())
        .await
        .expect("a direct connection")
}

/// A real error from the server carrying `code`.
async fn raised(conn: &mut sqlx::PgConnection, code: &str) -> StoreError {
    let sql = format!("DO $$ BEGIN RAISE EXCEPTION 'provoked' USING ERRCODE = '{code}'; END $$");
    let err = sqlx::raw_sql(&sql)
        .execute(&mut *conn)
        .await
        .expect_err("the server raises it");
    StoreError::from(err)
}

#[tokio::test]
async fn retryable_failures_are_told_from_fatal_ones_by_their_sqlstate() {
    let backend = Backend::postgres().await;
    let mut conn = connect(&backend).await;
    for code in ["40001", "40P01", "57P01", "08006", "08003"] {
        let err = raised(&mut conn, code).await;
        assert_eq!(err.database_code().as_deref(), Some(code));
        assert!(err.is_retryable(), "{code} is retryable: {err}");
        assert!(
            std::error::Error::source(&err).is_some(),
            "the driver's error is kept"
        );
    }
    for code in ["23505", "23503", "42601", "22P02", "08P01", "XX000"] {
        let err = raised(&mut conn, code).await;
        assert!(!err.is_retryable(), "{code} is fatal: {err}");
    }
    assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_retryable());
    assert!(!StoreError::Database(sqlx::Error::PoolClosed).is_retryable());
    assert!(!StoreError::CommitUnknown(sqlx::Error::PoolTimedOut).is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_deadlock_is_retryable() {
    let backend = Backend::postgres().await;
    let mut setup = connect(&backend).await;
    sqlx::raw_sql(
        "CREATE TABLE pair (id int PRIMARY KEY, n int); INSERT INTO pair VALUES (1, 0), (2, 0)",
    )
    .execute(&mut setup)
    .await
    .expect("setup");
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let run = |first: i32, second: i32| {
        let url = backend.url().to_string();
        let barrier = std::sync::Arc::clone(&barrier);
        tokio::spawn(async move {
            let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
            let mut tx = conn.begin().await.expect("begin");
            sqlx::query("UPDATE pair SET n = n + 1 WHERE id = $1")
                .bind(first)
                .execute(&mut *tx)
                .await
                .expect("first lock");
            barrier.wait().await;
            let result = sqlx::query("UPDATE pair SET n = n + 1 WHERE id = $1")
                .bind(second)
                .execute(&mut *tx)
                .await;
            match result {
                Ok(_) => tx.commit().await.map_err(StoreError::from),
                Err(err) => Err(StoreError::from(err)),
            }
        })
    };
    let (a, b) = (run(1, 2), run(2, 1));
    let results = [a.await.expect("ran"), b.await.expect("ran")];
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(
        failed.len(),
        1,
        "the server breaks the deadlock: {results:?}"
    );
    assert_eq!(failed[0].database_code().as_deref(), Some("40P01"));
    assert!(failed[0].is_retryable());
}

/// Makes every insert into `incidents` fail with `code` while the sequence
/// `attempts` is at most `failures`; the sequence counts the tries (it is not
/// rolled back with them).
async fn provoke_on_insert(backend: &Backend, code: &str, failures: i64) {
    let mut conn = connect(backend).await;
    let sql = format!(
        "CREATE SEQUENCE attempts; \
         CREATE FUNCTION flaky() RETURNS trigger AS $$ BEGIN \
           IF nextval('attempts') <= {failures} THEN \
             RAISE EXCEPTION 'provoked' USING ERRCODE = '{code}'; \
           END IF; \
           RETURN NEW; \
         END $$ LANGUAGE plpgsql; \
         CREATE TRIGGER flaky BEFORE INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION flaky();"
    );
    sqlx::raw_sql(&sql)
        .execute(&mut conn)
        .await
        .expect("trigger");
}

async fn attempts(backend: &Backend) -> i64 {
    let mut conn = connect(backend).await;
    sqlx::query_scalar("SELECT last_value FROM attempts")
        .fetch_one(&mut conn)
        .await
        .expect("attempts")
}

#[tokio::test]
async fn serialization_failures_and_deadlocks_are_retried_until_the_write_succeeds() {
    for code in ["40001", "40P01"] {
        let backend = Backend::postgres().await;
        let store = backend.store().await;
        provoke_on_insert(&backend, code, 2).await;
        let incident = store
            .create_incident(&new_incident("db master"), "ana", at(0))
            .await
            .expect("the third try succeeds");
        assert_eq!(attempts(&backend).await, 3, "{code}: tried three times");
        assert_eq!(
            store.list_incidents(None).await.expect("list"),
            vec![incident.clone()],
            "written once"
        );
        assert_eq!(
            store
                .audit_log(Some(incident.id))
                .await
                .expect("audit")
                .len(),
            1,
            "the failed tries left no audit record"
        );
    }
}

#[tokio::test]
async fn retries_are_bounded_and_fatal_failures_are_not_retried() {
    let backend = Backend::postgres().await;
    let store = backend.store().await;
    provoke_on_insert(&backend, "40001", 1000).await;
    let err = store
        .create_incident(&new_incident("never"), "ana", at(0))
        .await
        .expect_err("keeps failing");
    assert!(err.is_retryable(), "{err}");
    assert_eq!(attempts(&backend).await, 5, "five tries, then the error");

    let backend = Backend::postgres().await;
    let store = backend.store().await;
    provoke_on_insert(&backend, "23514", 1000).await;
    let err = store
        .create_incident(&new_incident("never"), "ana", at(0))
        .await
        .expect_err("fatal");
    assert!(!err.is_retryable(), "{err}");
    assert_eq!(err.database_code().as_deref(), Some("23514"));
    assert_eq!(attempts(&backend).await, 1, "a fatal failure is tried once");
    assert!(store.list_incidents(None).await.expect("list").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_opening_one_new_database_at_once_migrate_it_once() {
    let backend = Backend::postgres().await;
    let (a, b, c) = tokio::join!(backend.store(), backend.store(), backend.store());
    let incident = a
        .create_incident(&new_incident("seen by all"), "ana", at(0))
        .await
        .expect("created");
    for store in [&b, &c] {
        assert_eq!(
            store.get_incident(incident.id).await.expect("get"),
            incident
        );
    }
    let mut conn = connect(&backend).await;
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .expect("migrations table");
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .expect("the migrations")
        .count();
    assert_eq!(applied, files as i64, "each migration applied once");
}

#[tokio::test]
async fn an_unreachable_server_is_named_without_the_password() {
    let err = match open("postgres://warroom:s3cret@127.0.0.1:1/warroom").await {
        Err(err) => err,
        Ok(_) => panic!("nothing listens on port 1"),
    };
    let message = err.to_string();
    assert!(
        message.contains("postgres://127.0.0.1:1/warroom"),
        "{message}"
    );
    assert!(message.contains("refused"), "the cause is named: {message}");
    assert!(
        !message.contains("s3cret"),
        "no secrets in errors: {message}"
    );
}
