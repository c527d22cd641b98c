use super::{at, file_store, new_incident, note};
use crate::store::{StoreError, open};

#[tokio::test]
async fn unsupported_urls_are_refused_naming_the_supported_schemes() {
    for url in [
        "mysql://warroom:s3cret@db/warroom",
        "warroom.db",
        "sqlite://",
    ] {
        let err = match open(url).await {
            Err(err) => err,
            Ok(_) => panic!("{url} should be refused"),
        };
        let message = err.to_string();
        assert!(matches!(err, StoreError::Backend(_)), "{url}: {err:?}");
        assert!(message.contains("sqlite://PATH"), "{url}: {message}");
        assert!(message.contains("postgres://"), "{url}: {message}");
        assert!(
            !message.contains("s3cret"),
            "no secrets in errors: {message}"
        );
    }
}

#[tokio::test]
async fn two_memory_stores_are_separate_databases() {
    let first = open("sqlite::memory:").await.expect("opens");
    let second = open("sqlite://:memory:").await.expect("opens");
    first
        .create_incident(&new_incident("only in the first"), "ana", at(0))
        .await
        .expect("created");
    assert_eq!(first.list_incidents(None).await.expect("list").len(), 1);
    assert!(second.list_incidents(None).await.expect("list").is_empty());
}

#[tokio::test]
async fn a_committed_write_is_on_disk_before_the_call_returns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("live/warroom.db");
    let store = file_store(&path).await;
    let incident = store
        .create_incident(&new_incident("db master"), "ana", at(0))
        .await
        .expect("created");
    let (entry, _) = store
        .create_entry(incident.id, &note("acknowledged", at(1)), Some("k"), at(1))
        .await
        .expect("created");

    // Copy the files while the store is still open, as a crash would leave
    // them: the committed write must be in them, not only in memory.
    let snapshot = dir.path().join("snapshot");
    std::fs::create_dir_all(&snapshot).expect("snapshot dir");
    for suffix in ["", "-wal"] {
        let from = path.with_file_name(format!("warroom.db{suffix}"));
        if from.exists() {
            let to = snapshot.join(format!("warroom.db{suffix}"));
            std::fs::copy(&from, &to).expect("copied");
        }
    }
    let recovered = file_store(&snapshot.join("warroom.db")).await;
    assert_eq!(
        recovered.list_entries(incident.id).await.expect("list"),
        vec![entry.clone()]
    );
    // The idempotency key survived with its entry: a retry is still a replay.
    let (again, created) = recovered
        .create_entry(incident.id, &note("acknowledged", at(2)), Some("k"), at(2))
        .await
        .expect("replayed");
    assert!(!created);
    assert_eq!(again, entry);
    recovered.close().await;
    store.close().await;
}

#[tokio::test]
async fn the_refusal_names_the_urls_scheme() {
    let err = match open("mysql://db/warroom").await {
        Err(err) => err,
        Ok(_) => panic!("mysql is not supported"),
    };
    assert!(err.to_string().contains("\"mysql\""), "{err}");
    let err = match open("warroom.db").await {
        Err(err) => err,
        Ok(_) => panic!("a bare path is not a URL"),
    };
    assert!(err.to_string().contains("no scheme"), "{err}");
}
