//! Incident timelines: create (with `Idempotency-Key`), list, edit and delete
//! (with `If-Match`).

use crate::support::errors::{assert_api_error, expect_error};
use crate::support::new_incident::incident;
use crate::support::new_note::note;
use crate::support::raw::Api;
use crate::support::tokens::RESPONDER;
use futures::future::join_all;
use serde_json::json;
use warroom::client::{Client, ClientError};
use warroom::model::{
    EntryKind, EntryPatch, Marker, NewEntry, Source, TimelineEntry, UpdateStatus, Visibility,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_are_created_listed_edited_and_deleted() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let id = client
        .create_incident(&incident("timeline"))
        .await
        .unwrap()
        .id;

    let update = NewEntry {
        kind: EntryKind::StatusUpdate,
        status: Some(UpdateStatus::Investigating),
        ..note("We are looking into it.")
    };
    let update = client.create_entry(id, &update, None).await.unwrap();
    assert!(update.created);
    let update = update.value;
    assert_eq!(update.incident_id, id);
    assert_eq!(update.kind, EntryKind::StatusUpdate);
    assert_eq!(
        update.visibility,
        Visibility::Public,
        "status updates default to public"
    );
    assert_eq!(update.source, Source::User);
    assert_eq!(update.author, "responder");
    assert_eq!(update.version, 1);
    assert!(update.edited_at.is_none());

    let back_dated = client
        .create_entry(
            id,
            &NewEntry {
                occurred_at: Some(update.occurred_at - chrono::TimeDelta::minutes(30)),
                ..note("first page")
            },
            None,
        )
        .await
        .unwrap()
        .value;
    assert_eq!(
        back_dated.visibility,
        Visibility::Internal,
        "notes default to internal"
    );
    let marker = NewEntry {
        kind: EntryKind::Marker,
        marker: Some(Marker::Acknowledged),
        ..note("")
    };
    let marker = client.create_entry(id, &marker, None).await.unwrap().value;
    assert_eq!(marker.marker, Some(Marker::Acknowledged));

    // Oldest first by occurred_at: the back-dated note leads.
    let listed = api.viewer().timeline(id).await.unwrap();
    assert_eq!(listed.incident_id, id);
    let ids: Vec<i64> = listed
        .entries
        .iter()
        .filter(|e| e.source == Source::User)
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [back_dated.id, update.id, marker.id]);

    let patch = EntryPatch {
        body: Some("We have found the switch.".into()),
        status: Some(UpdateStatus::Identified),
        starred: Some(true),
        ..Default::default()
    };
    let edited = client
        .update_entry(id, update.id, update.version, &patch)
        .await
        .unwrap();
    assert_eq!(edited.body, "We have found the switch.");
    assert_eq!(edited.status, Some(UpdateStatus::Identified));
    assert!(edited.starred);
    assert_eq!(edited.version, 2);
    assert!(edited.edited_at.is_some());
    assert_eq!(
        edited.recorded_at, update.recorded_at,
        "recorded_at never changes"
    );

    let deleted = client
        .delete_entry(id, back_dated.id, back_dated.version)
        .await
        .unwrap();
    assert!(deleted.deleted_at.is_some());
    let listed = client.timeline(id).await.unwrap();
    assert!(
        listed.entries.iter().all(|e| e.id != back_dated.id),
        "a deleted entry is still listed"
    );
    assert!(listed.entries.iter().any(|e| e == &edited));
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_idempotency_key_creates_one_entry() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let id = client
        .create_incident(&incident("idempotency"))
        .await
        .unwrap()
        .id;
    let path = format!("/v1/incidents/{id}/timeline");
    let body = json!({"kind": "note", "body": "sent twice"});
    let mut answers = Vec::new();
    for _ in 0..2 {
        let response = api
            .http()
            .post(api.at(&path))
            .bearer_auth(RESPONDER)
            .header("idempotency-key", "key-1")
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let entry: TimelineEntry = response.json().await.unwrap();
        answers.push((status, entry));
    }
    assert_eq!(answers[0].0, 201);
    assert_eq!(answers[1].0, 200, "a retry is answered 200");
    assert_eq!(
        answers[0].1, answers[1].1,
        "a retry returns the entry the first call made"
    );
    assert_eq!(user_entries(&client, id).await.len(), 1);

    // The same key with another body is refused.
    let other = json!({"kind": "note", "body": "something else"});
    let response = api
        .http()
        .post(api.at(&path))
        .bearer_auth(RESPONDER)
        .header("idempotency-key", "key-1")
        .json(&other)
        .send()
        .await
        .unwrap();
    let (code, _) = expect_error(response, 422).await;
    assert_eq!(code, "idempotency_key_reused");
    assert_eq!(user_entries(&client, id).await.len(), 1);
    api.stop().await;
}

async fn user_entries(client: &Client, incident_id: i64) -> Vec<TimelineEntry> {
    let timeline = client.timeline(incident_id).await.unwrap();
    timeline
        .entries
        .into_iter()
        .filter(|e| e.source == Source::User)
        .collect()
}

/// 50 creates, each retried (one retry racing the original, one after it),
/// make exactly 50 entries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_creates_retried_with_their_keys_make_fifty_entries() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let id = client
        .create_incident(&incident("retries"))
        .await
        .unwrap()
        .id;
    let send = |i: usize| {
        let client = client.clone();
        async move {
            client
                .create_entry(
                    id,
                    &note(&format!("entry {i}")),
                    Some(&format!("retry-key-{i}")),
                )
                .await
                .unwrap()
        }
    };
    // Original and first retry in flight together.
    let firsts = join_all((0..50).flat_map(|i| [send(i), send(i)])).await;
    let retries = join_all((0..50).map(send)).await;

    for i in 0..50 {
        let (a, b, c) = (&firsts[2 * i], &firsts[2 * i + 1], &retries[i]);
        assert_eq!(
            a.value.id, b.value.id,
            "key {i}: racing calls made two entries"
        );
        assert_eq!(
            a.value.id, c.value.id,
            "key {i}: the retry made another entry"
        );
        assert!(
            a.created ^ b.created,
            "key {i}: exactly one of the racing calls creates"
        );
        assert!(!c.created, "key {i}: a late retry is not a creation");
        assert_eq!(a.value.body, format!("entry {i}"));
    }
    let entries = user_entries(&client, id).await;
    assert_eq!(entries.len(), 50);
    let mut bodies: Vec<&str> = entries.iter().map(|e| e.body.as_str()).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 50);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_per_incident_and_a_bad_key_is_refused() {
    let api = Api::sim(1.0).await;
    let client = api.responder();
    let a = client.create_incident(&incident("a")).await.unwrap().id;
    let b = client.create_incident(&incident("b")).await.unwrap().id;
    let in_a = client
        .create_entry(a, &note("same words"), Some("shared-key"))
        .await
        .unwrap();
    let in_b = client
        .create_entry(b, &note("same words"), Some("shared-key"))
        .await
        .unwrap();
    assert!(in_a.created && in_b.created);
    assert_ne!(in_a.value.id, in_b.value.id);
    assert_eq!(in_b.value.incident_id, b);

    let too_long = "k".repeat(201);
    let err = client
        .create_entry(a, &note("long key"), Some(&too_long))
        .await
        .unwrap_err();
    assert_api_error(&err, 422, "invalid_body");
    api.stop().await;
}

/// Two responders edit one entry from the same version: one wins, the
/// other gets 409 with the current entry, and no edit is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_entry_edits_conflict_instead_of_losing_one() {
    let api = Api::sim(1.0).await;
    let alice = api.client(RESPONDER);
    let bob = api.commander();
    let id = alice
        .create_incident(&incident("edit race"))
        .await
        .unwrap()
        .id;
    for round in 0..10 {
        let base = alice
            .create_entry(id, &note(&format!("draft {round}")), None)
            .await
            .unwrap()
            .value;
        let by_alice = EntryPatch {
            body: Some(format!("alice {round}")),
            ..Default::default()
        };
        let by_bob = EntryPatch {
            starred: Some(true),
            ..Default::default()
        };
        let (a, b) = tokio::join!(
            alice.update_entry(id, base.id, base.version, &by_alice),
            bob.update_entry(id, base.id, base.version, &by_bob),
        );
        let (winner, loser) = match (a, b) {
            (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
            (a, b) => {
                panic!("round {round}: expected one success and one conflict, got {a:?} and {b:?}")
            }
        };
        let ClientError::Conflict { current, .. } = loser else {
            panic!("round {round}: the loser got {loser:?}, not a conflict");
        };
        let current: TimelineEntry = serde_json::from_value(current).unwrap();
        assert_eq!(
            current, winner,
            "round {round}: the conflict carries the winner's entry"
        );

        // The loser re-applies its edit on the current version: both land.
        let redo = if winner.body == base.body {
            by_alice.clone()
        } else {
            by_bob.clone()
        };
        let after = alice
            .update_entry(id, base.id, current.version, &redo)
            .await
            .unwrap();
        assert_eq!(after.body, format!("alice {round}"));
        assert!(after.starred);
        assert_eq!(after.version, base.version + 2);

        // Deleting from a stale version conflicts too, and leaves the entry.
        let err = bob
            .delete_entry(id, base.id, base.version)
            .await
            .unwrap_err();
        assert_api_error(&err, 409, "version_conflict");
        assert!(
            alice
                .timeline(id)
                .await
                .unwrap()
                .entries
                .iter()
                .any(|e| e.id == base.id)
        );
    }
    api.stop().await;
}

/// The entry and its event are one commit: an acknowledged write is
/// always announced, and a retry with the same key replays the entry
/// without announcing it again (exactly once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_is_announced_exactly_once_however_often_it_is_retried() {
    let api = Api::sim(1.0).await;
    let id = api
        .responder()
        .create_incident(&incident("announced"))
        .await
        .unwrap()
        .id;
    let mut stream =
        crate::support::sse::RawSse::open(api.http(), &api.url, RESPONDER, None, None).await;
    let path = format!("/v1/incidents/{id}/timeline");
    let mut entries = Vec::new();
    for (key, body) in [
        ("key-a", "sent twice"),
        ("key-a", "sent twice"),
        ("key-b", "after"),
    ] {
        let response = api
            .http()
            .post(api.at(&path))
            .bearer_auth(RESPONDER)
            .header("idempotency-key", key)
            .json(&json!({"kind": "note", "body": body}))
            .send()
            .await
            .unwrap();
        entries.push(response.json::<TimelineEntry>().await.unwrap());
    }
    assert_eq!(entries[0].id, entries[1].id, "the retry replays the entry");
    let mut announced = Vec::new();
    while announced
        .last()
        .map(|(_, body): &(i64, String)| body.as_str())
        != Some("after")
    {
        let frame = stream
            .next(std::time::Duration::from_secs(10))
            .await
            .expect("the writes' events");
        let event = frame.json();
        if frame.event.as_deref() == Some("timeline") && event["data"]["incident_id"] == id {
            announced.push((
                event["data"]["id"].as_i64().unwrap(),
                event["data"]["body"].as_str().unwrap().to_string(),
            ));
        }
    }
    assert_eq!(
        announced,
        vec![
            (entries[0].id, "sent twice".to_string()),
            (entries[2].id, "after".to_string())
        ],
        "each write announced once, in order"
    );
    api.stop().await;
}
