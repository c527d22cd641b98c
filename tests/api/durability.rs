//! Durability: an acknowledged write survives SIGKILL. `warroom serve` runs
//! as a child process on a SQLite file; 200 acknowledged timeline writes are
//! all there after a kill and a restart on the same database, and event
//! sequence numbers carry on above the old ones.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::client::client_for;
use crate::support::new_incident::incident;
use crate::support::new_note::note;
use crate::support::serve::{ServeProcess, spawn_serve};
use crate::support::serve_args::{serve_args, tokens_file_text};
use crate::support::sse::{RawSse, assert_contiguous};
use crate::support::tokens::{RESPONDER, VIEWER};
use futures::StreamExt;
use warroom::model::{Source, TimelineEntry};

fn demo_fleet() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fleets/demo.toml")
}

async fn start(dir: &Path) -> ServeProcess {
    let tokens = dir.join("tokens.toml");
    if !tokens.exists() {
        std::fs::write(&tokens, tokens_file_text()).unwrap();
    }
    let args = serve_args(
        &demo_fleet(),
        &dir.join("warroom.db"),
        &tokens,
        &["--speed", "10"],
    );
    spawn_serve(dir, &args).await
}

fn timeline_ids(frames: &[crate::support::sse::SseFrame]) -> Vec<i64> {
    frames
        .iter()
        .filter(|f| f.event.as_deref() == Some("timeline"))
        .filter_map(|f| f.json()["data"]["id"].as_i64())
        .collect()
}

/// One timeline write with its idempotency key.
async fn write(
    client: warroom::client::Client,
    incident_id: i64,
    i: usize,
) -> Result<TimelineEntry, String> {
    let written = client
        .create_entry(
            incident_id,
            &note(&format!("durable entry {i}")),
            Some(&format!("durable-{i}")),
        )
        .await
        .map_err(|e| e.to_string())?;
    assert!(written.created, "write {i} was answered 200, not 201");
    Ok(written.value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = start(dir.path()).await;
    let client = client_for(&serve.url, Some(RESPONDER));
    let opened = client.create_incident(&incident("durable")).await.unwrap();

    // A first 100 writes, and the events a client saw of them.
    let mut acked = Vec::new();
    for i in 0..100 {
        acked.push(write(client.clone(), opened.id, i).await.unwrap());
    }
    let mut stream = RawSse::open(
        &crate::support::raw::raw_http(),
        &serve.url,
        VIEWER,
        None,
        Some(0),
    )
    .await;
    let before = stream
        .collect_until(
            Duration::from_secs(20),
            "the first 100 timeline events",
            |f| timeline_ids(f).len() >= 100,
        )
        .await;
    drop(stream);
    let last_seen = before.last().unwrap().seq();

    // Then writes eight at a time, killed (SIGKILL) the moment the 200th
    // acknowledgement arrives, with more writes still in flight.
    let mut pending = futures::stream::iter(100..260)
        .map(|i| write(client.clone(), opened.id, i))
        .buffer_unordered(8);
    while acked.len() < 200 {
        match pending.next().await {
            Some(Ok(entry)) => acked.push(entry),
            Some(Err(e)) => panic!("a write failed before the kill: {e}"),
            None => panic!("ran out of writes"),
        }
    }
    serve.child.kill().await.expect("SIGKILL the server");
    drop(pending);
    let status = serve.child.wait().await.unwrap();
    assert!(
        !status.success(),
        "the server was killed, not stopped: {status:?}"
    );

    let serve = start(dir.path()).await;
    let client = client_for(&serve.url, Some(RESPONDER));
    assert_eq!(
        client.incident(opened.id).await.unwrap(),
        opened,
        "the incident changed across the crash"
    );
    let timeline = client.timeline(opened.id).await.unwrap();
    let after: Vec<TimelineEntry> = timeline
        .entries
        .into_iter()
        .filter(|e| e.source == Source::User)
        .collect();
    for entry in &acked {
        assert!(
            after.contains(entry),
            "acknowledged entry {} ({:?}) lost or changed across SIGKILL",
            entry.id,
            entry.body
        );
    }
    assert!(
        after.len() >= 200,
        "{} entries after the restart",
        after.len()
    );

    // Retrying every write with its key after the restart makes each exactly
    // once: acknowledged ones are matched, never duplicated.
    let retried: Vec<TimelineEntry> = futures::stream::iter(0..260)
        .map(|i| {
            let client = client.clone();
            async move {
                client
                    .create_entry(
                        opened.id,
                        &note(&format!("durable entry {i}")),
                        Some(&format!("durable-{i}")),
                    )
                    .await
                    .unwrap()
                    .value
            }
        })
        .buffered(8)
        .collect()
        .await;
    for entry in &acked {
        assert!(
            retried.iter().any(|r| r.id == entry.id),
            "the retry of entry {} made a new one",
            entry.id
        );
    }
    let timeline = client.timeline(opened.id).await.unwrap();
    assert_eq!(
        timeline
            .entries
            .iter()
            .filter(|e| e.source == Source::User)
            .count(),
        260
    );

    // The old events are still in the log, and new ones number on above them.
    let mut stream = RawSse::open(
        &crate::support::raw::raw_http(),
        &serve.url,
        VIEWER,
        None,
        Some(0),
    )
    .await;
    let fresh = client
        .create_entry(opened.id, &note("after the crash"), None)
        .await
        .unwrap()
        .value;
    let replay = stream
        .collect_until(
            Duration::from_secs(20),
            "the entry made after the restart",
            |f| timeline_ids(f).contains(&fresh.id),
        )
        .await;
    let seqs: Vec<i64> = replay
        .iter()
        .map(crate::support::sse::SseFrame::seq)
        .collect();
    assert_contiguous(&seqs, 1);
    let replayed = timeline_ids(&replay);
    for entry in &acked {
        assert!(
            replayed.contains(&entry.id),
            "the event of acknowledged entry {} is gone",
            entry.id
        );
    }
    let fresh_seq = replay.last().unwrap().seq();
    assert!(
        fresh_seq > last_seen,
        "seq {fresh_seq} after the restart is not above {last_seen}"
    );
    drop(serve);
}
