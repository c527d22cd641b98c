use std::sync::Arc;

use super::{Backend, at, new_incident, note};
use crate::model::{
    EntryKind, EntryPatch, EventPayload, IncidentPatch, Marker, Source, TimelineEntry,
    UpdateStatus, Visibility,
};
use crate::store::{Conflicting, Store, StoreError};

async fn store_with_incident(backend: &Backend) -> (Arc<dyn Store>, i64) {
    let store = backend.store().await;
    let incident = store
        .create_incident(&new_incident("app-03 down"), "ana", at(0))
        .await
        .expect("incident created");
    (store, incident.id)
}

fn body_patch(body: &str) -> EntryPatch {
    EntryPatch {
        body: Some(body.into()),
        ..Default::default()
    }
}

async fn created_entries_list_by_occurred_at_then_id(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    let (late, created) = store
        .create_entry(incident, &note("late", at(20)), None, at(30))
        .await
        .expect("created");
    assert!(created);
    let (early, _) = store
        .create_entry(incident, &note("back-dated", at(5)), None, at(31))
        .await
        .expect("created");
    let (tie, _) = store
        .create_entry(incident, &note("same time, later id", at(20)), None, at(32))
        .await
        .expect("created");

    assert_eq!(late.version, 1);
    assert_eq!(late.recorded_at, at(30));
    assert_eq!(late.occurred_at, at(20));
    assert_eq!(late.edited_at, None);
    let listed = store.list_entries(incident).await.expect("list");
    assert_eq!(listed, vec![early, late.clone(), tie]);
    assert_eq!(
        store.get_entry(incident, late.id).await.expect("found"),
        late
    );
}

async fn entries_of_unknown_incidents_are_not_found(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    let err = store
        .create_entry(incident + 1, &note("x", at(1)), None, at(1))
        .await
        .expect_err("no such incident");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let err = store
        .list_entries(incident + 1)
        .await
        .expect_err("no such incident");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    let (entry, _) = store
        .create_entry(incident, &note("x", at(1)), None, at(1))
        .await
        .expect("created");
    let other = store
        .create_incident(&new_incident("other"), "ana", at(2))
        .await
        .expect("created");
    let err = store
        .get_entry(other.id, entry.id)
        .await
        .expect_err("wrong incident");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn update_applies_the_patch_sets_edited_at_and_raises_the_version(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    let (entry, _) = store
        .create_entry(incident, &note("app-03 down", at(1)), None, at(1))
        .await
        .expect("created");
    let patch = EntryPatch {
        body: Some("app-03 and app-04 down".into()),
        status: Some(UpdateStatus::Identified),
        visibility: Some(Visibility::Public),
        occurred_at: Some(at(0)),
        starred: Some(true),
        marker: Some(Some(Marker::Detected)),
    };
    let updated = store
        .update_entry(incident, entry.id, 1, &patch, "bo", at(9))
        .await
        .expect("updated");
    assert_eq!(updated.body, "app-03 and app-04 down");
    assert_eq!(updated.status, Some(UpdateStatus::Identified));
    assert_eq!(updated.visibility, Visibility::Public);
    assert_eq!(updated.occurred_at, at(0));
    assert!(updated.starred);
    assert_eq!(updated.marker, Some(Marker::Detected));
    assert_eq!(updated.edited_at, Some(at(9)));
    assert_eq!(updated.recorded_at, at(1), "recorded_at never changes");
    assert_eq!(updated.author, "ana", "the author stays the writer");
    assert_eq!(updated.version, 2);
    assert_eq!(
        store.get_entry(incident, entry.id).await.expect("found"),
        updated
    );

    let clear_marker = EntryPatch {
        marker: Some(None),
        ..Default::default()
    };
    let cleared = store
        .update_entry(incident, entry.id, 2, &clear_marker, "bo", at(10))
        .await
        .expect("updated");
    assert_eq!(cleared.marker, None);
    assert_eq!(cleared.version, 3);
}

async fn a_stale_version_is_a_conflict_carrying_the_current_entry(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    let (entry, _) = store
        .create_entry(incident, &note("v1", at(1)), None, at(1))
        .await
        .expect("created");
    let first = store
        .update_entry(incident, entry.id, 1, &body_patch("v2"), "ana", at(2))
        .await
        .expect("first writer wins");
    for err in [
        store
            .update_entry(incident, entry.id, 1, &body_patch("lost"), "bo", at(3))
            .await
            .expect_err("stale update"),
        store
            .delete_entry(incident, entry.id, 1, "bo", at(3))
            .await
            .expect_err("stale delete"),
    ] {
        match err {
            StoreError::Conflict { current } => {
                assert_eq!(*current, Conflicting::Entry(first.clone()));
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
}

async fn deleted_entries_leave_the_timeline_but_stay_in_the_audit_log(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    let (kept, _) = store
        .create_entry(incident, &note("kept", at(1)), None, at(1))
        .await
        .expect("created");
    let (doomed, _) = store
        .create_entry(incident, &note("typo", at(2)), None, at(2))
        .await
        .expect("created");
    let deleted = store
        .delete_entry(incident, doomed.id, 1, "bo", at(3))
        .await
        .expect("deleted");
    assert_eq!(deleted.deleted_at, Some(at(3)));
    assert_eq!(deleted.version, 2);

    assert_eq!(
        store.list_entries(incident).await.expect("list"),
        vec![kept]
    );
    let not_found = |err: StoreError| matches!(err, StoreError::NotFound { .. });
    assert!(not_found(
        store
            .get_entry(incident, doomed.id)
            .await
            .expect_err("gone")
    ));
    assert!(not_found(
        store
            .update_entry(incident, doomed.id, 2, &body_patch("x"), "bo", at(4))
            .await
            .expect_err("gone")
    ));
    assert!(not_found(
        store
            .delete_entry(incident, doomed.id, 2, "bo", at(4))
            .await
            .expect_err("gone")
    ));

    let audit = store.audit_log(Some(incident)).await.expect("audit");
    let deletion = audit
        .iter()
        .find(|record| record.action == "timeline.delete")
        .expect("a delete record");
    assert_eq!(deletion.actor, "bo");
    assert_eq!(
        deletion.target,
        format!("incidents/{incident}/timeline/{}", doomed.id)
    );
    assert_eq!(deletion.detail["before"]["body"], "typo");
    assert_eq!(
        deletion.detail["after"],
        serde_json::to_value(&deleted).expect("json")
    );
}

async fn detector_and_action_entries_are_immutable(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    for source in [Source::Detector, Source::Action] {
        let mut record = note("app-03 down (3 failed probes)", at(1));
        record.kind = EntryKind::Detection;
        record.source = source;
        let (entry, _) = store
            .create_entry(incident, &record, None, at(1))
            .await
            .expect("created");
        let err = store
            .update_entry(incident, entry.id, 1, &body_patch("edited"), "bo", at(2))
            .await
            .expect_err("immutable");
        assert!(matches!(err, StoreError::Immutable), "{err:?}");
        let err = store
            .delete_entry(incident, entry.id, 1, "bo", at(2))
            .await
            .expect_err("immutable");
        assert!(matches!(err, StoreError::Immutable), "{err:?}");
        assert_eq!(
            store.get_entry(incident, entry.id).await.expect("kept"),
            entry
        );
    }
}

async fn the_same_idempotency_key_and_content_creates_one_entry(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    let record = note("Investigating failed requests", at(5));
    let (first, created) = store
        .create_entry(incident, &record, Some("key-1"), at(6))
        .await
        .expect("created");
    assert!(created);
    let (again, created) = store
        .create_entry(incident, &record, Some("key-1"), at(7))
        .await
        .expect("replayed");
    assert!(!created);
    assert_eq!(again, first);
    assert_eq!(store.list_entries(incident).await.expect("list").len(), 1);
    let creations = store
        .audit_log(Some(incident))
        .await
        .expect("audit")
        .into_iter()
        .filter(|record| record.action == "timeline.create")
        .count();
    assert_eq!(creations, 1);
}

async fn a_retry_whose_time_the_server_defaulted_is_still_the_same_request(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    // The server passes occurred_at = now when the client gave no time.
    let (first, _) = store
        .create_entry(incident, &note("db unresponsive", at(5)), Some("k"), at(5))
        .await
        .expect("created");
    let (again, created) = store
        .create_entry(incident, &note("db unresponsive", at(6)), Some("k"), at(6))
        .await
        .expect("replayed");
    assert!(!created);
    assert_eq!(again, first);
}

async fn the_same_key_with_other_content_is_a_mismatch(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    store
        .create_entry(incident, &note("first body", at(1)), Some("key-1"), at(2))
        .await
        .expect("created");
    let err = store
        .create_entry(incident, &note("other body", at(1)), Some("key-1"), at(3))
        .await
        .expect_err("mismatch");
    assert!(matches!(err, StoreError::IdempotencyMismatch), "{err:?}");
    assert_eq!(store.list_entries(incident).await.expect("list").len(), 1);

    // Keys belong to one incident: another incident may use the same key.
    let other = store
        .create_incident(&new_incident("other"), "ana", at(4))
        .await
        .expect("created");
    let (_, created) = store
        .create_entry(other.id, &note("other body", at(1)), Some("key-1"), at(5))
        .await
        .expect("created");
    assert!(created);
}

async fn of_ten_concurrent_updates_from_one_version_exactly_one_wins(backend: Backend) {
    let store = backend.store().await;
    let incident = store
        .create_incident(&new_incident("race"), "ana", at(0))
        .await
        .expect("created");
    let (entry, _) = store
        .create_entry(incident.id, &note("v1", at(1)), None, at(1))
        .await
        .expect("created");

    let tasks: Vec<_> = (0..10)
        .map(|writer| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let patch = body_patch(&format!("writer {writer}"));
                store
                    .update_entry(incident.id, entry.id, 1, &patch, "w", at(2))
                    .await
            })
        })
        .collect();
    let mut winners: Vec<TimelineEntry> = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        match task.await.expect("task ran") {
            Ok(entry) => winners.push(entry),
            Err(StoreError::Conflict { current }) => {
                assert_eq!(current.version(), 2);
                conflicts += 1;
            }
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(conflicts, 9);
    let stored = store.get_entry(incident.id, entry.id).await.expect("found");
    assert_eq!(stored, winners[0], "the winner's write is what is stored");
    let updates = store
        .audit_log(Some(incident.id))
        .await
        .expect("audit")
        .into_iter()
        .filter(|record| record.action == "timeline.update")
        .count();
    assert_eq!(updates, 1);
    store.close().await;
}

async fn concurrent_retries_with_one_key_create_one_entry(backend: Backend) {
    let store = backend.store().await;
    let incident = store
        .create_incident(&new_incident("retries"), "ana", at(0))
        .await
        .expect("created");
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .create_entry(incident.id, &note("once", at(1)), Some("k"), at(2))
                    .await
            })
        })
        .collect();
    let mut created = 0;
    let mut ids = Vec::new();
    for task in tasks {
        let (entry, was_created) = task.await.expect("task ran").expect("stored");
        created += usize::from(was_created);
        ids.push(entry.id);
    }
    assert_eq!(created, 1);
    ids.dedup();
    assert_eq!(ids.len(), 1, "every retry got the same entry");
    assert_eq!(
        store.list_entries(incident.id).await.expect("list").len(),
        1
    );
    store.close().await;
}

async fn every_entry_change_is_audited(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    let (entry, _) = store
        .create_entry(incident, &note("v1", at(1)), None, at(1))
        .await
        .expect("created");
    let updated = store
        .update_entry(incident, entry.id, 1, &body_patch("v2"), "bo", at(2))
        .await
        .expect("updated");
    store
        .delete_entry(incident, entry.id, 2, "cy", at(3))
        .await
        .expect("deleted");

    let audit = store.audit_log(Some(incident)).await.expect("audit");
    let entry_records: Vec<_> = audit
        .iter()
        .filter(|record| record.action.starts_with("timeline."))
        .map(|record| (record.action.as_str(), record.actor.as_str(), record.at))
        .collect();
    assert_eq!(
        entry_records,
        vec![
            ("timeline.create", "ana", at(1)),
            ("timeline.update", "bo", at(2)),
            ("timeline.delete", "cy", at(3)),
        ]
    );
    let update = &audit[2];
    assert_eq!(
        update.detail["before"],
        serde_json::to_value(&entry).expect("json")
    );
    assert_eq!(
        update.detail["after"],
        serde_json::to_value(&updated).expect("json")
    );
}

/// Each edit and the delete name their maker, on the entry and (stored
/// again, after a reopen) in the audit log, which lists every edit.
async fn edits_and_deletes_record_who_made_them(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    let (entry, _) = store
        .create_entry(incident, &note("ana's note", at(1)), None, at(1))
        .await
        .expect("created");
    assert_eq!(entry.edited_by, None);
    let by_bo = store
        .update_entry(
            incident,
            entry.id,
            1,
            &body_patch("bo's words"),
            "bo",
            at(2),
        )
        .await
        .expect("bo edits");
    assert_eq!(by_bo.edited_by.as_deref(), Some("bo"));
    let by_ana = store
        .update_entry(
            incident,
            entry.id,
            2,
            &body_patch("ana again"),
            "ana",
            at(3),
        )
        .await
        .expect("ana edits");
    assert_eq!(by_ana.edited_by.as_deref(), Some("ana"));

    // A stale writer's conflict names the last editor, not the author.
    let Err(StoreError::Conflict { current }) = store
        .update_entry(incident, entry.id, 2, &body_patch("late"), "cy", at(4))
        .await
    else {
        panic!("a stale version must conflict");
    };
    let Conflicting::Entry(current) = *current else {
        panic!("the conflict carries the entry");
    };
    assert_eq!(current.edited_by.as_deref(), Some("ana"));

    let deleted = store
        .delete_entry(incident, entry.id, 3, "cy", at(5))
        .await
        .expect("cy deletes");
    assert_eq!(deleted.edited_by.as_deref(), Some("cy"));

    let store = backend.store().await;
    let audit = store.audit_log(Some(incident)).await.expect("audit");
    let edits: Vec<(&str, &str, Option<&str>)> = audit
        .iter()
        .filter(|r| r.action == "timeline.update" || r.action == "timeline.delete")
        .map(|r| {
            (
                r.action.as_str(),
                r.actor.as_str(),
                r.detail["after"]["edited_by"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        edits,
        vec![
            ("timeline.update", "bo", Some("bo")),
            ("timeline.update", "ana", Some("ana")),
            ("timeline.delete", "cy", Some("cy")),
        ]
    );
}

async fn starring_is_not_an_edit(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    let (entry, _) = store
        .create_entry(incident, &note("worth keeping", at(1)), None, at(1))
        .await
        .expect("created");
    let patch = crate::model::EntryPatch {
        starred: Some(true),
        ..crate::model::EntryPatch::default()
    };
    let starred = store
        .update_entry(incident, entry.id, 1, &patch, "bo", at(2))
        .await
        .expect("starred");
    assert!(starred.starred);
    assert_eq!(
        starred.version, 2,
        "the version rises: writers still conflict"
    );
    assert_eq!(starred.edited_at, None, "not edited");
    assert_eq!(starred.edited_by, None);
    let edited = store
        .update_entry(
            incident,
            entry.id,
            2,
            &body_patch("worth keeping, really"),
            "bo",
            at(3),
        )
        .await
        .expect("edited");
    assert_eq!(edited.edited_at, Some(at(3)));
    assert_eq!(edited.edited_by.as_deref(), Some("bo"));
}

/// What the event log holds after `after`, as (kind, entry id, version)
/// of each timeline event and (kind, incident id, version) of each
/// incident event.
async fn announced(store: &Arc<dyn Store>, after: i64) -> Vec<(&'static str, i64, i64)> {
    store
        .events_since(after, 100)
        .await
        .expect("events")
        .into_iter()
        .map(|event| match event.payload {
            EventPayload::Timeline(entry) => ("timeline", entry.id, entry.version),
            EventPayload::Incident(incident) => ("incident", incident.id, incident.version),
            other => panic!("unexpected event {other:?}"),
        })
        .collect()
}

async fn every_change_is_announced_once_in_its_own_transaction(backend: Backend) {
    let store = backend.store().await;
    let incident = store
        .create_incident(&new_incident("announced"), "ana", at(0))
        .await
        .expect("created");
    assert_eq!(
        announced(&store, 0).await,
        vec![("incident", incident.id, 1)]
    );
    let unchanged = store
        .update_incident(incident.id, 1, &IncidentPatch::default(), "ana", at(1))
        .await
        .expect("no change");
    assert_eq!(unchanged.version, 1);
    let moved = store
        .update_incident(
            incident.id,
            1,
            &IncidentPatch {
                title: Some("announced again".into()),
                ..Default::default()
            },
            "ana",
            at(1),
        )
        .await
        .expect("updated");
    let (entry, _) = store
        .create_entry(incident.id, &note("once", at(1)), Some("k"), at(2))
        .await
        .expect("created");
    let (replayed, created) = store
        .create_entry(incident.id, &note("once", at(1)), Some("k"), at(3))
        .await
        .expect("replayed");
    assert!(!created);
    assert_eq!(replayed.id, entry.id);
    store
        .update_entry(
            incident.id,
            entry.id,
            1,
            &EntryPatch::default(),
            "bo",
            at(4),
        )
        .await
        .expect("no change");
    let edited = store
        .update_entry(incident.id, entry.id, 1, &body_patch("twice"), "bo", at(4))
        .await
        .expect("edited");
    let deleted = store
        .delete_entry(incident.id, entry.id, edited.version, "bo", at(5))
        .await
        .expect("deleted");
    assert_eq!(
        announced(&store, 0).await,
        vec![
            ("incident", incident.id, 1),
            ("incident", incident.id, moved.version),
            ("timeline", entry.id, 1),
            ("timeline", entry.id, edited.version),
            ("timeline", entry.id, deleted.version),
        ],
        "each change once, none for a replay or a change of nothing"
    );
    let events = store.events_since(0, 100).await.expect("events");
    assert_eq!(events[2].at, at(2), "announced at the time of the write");
    store.close().await;
}

async fn a_refused_write_announces_nothing(backend: Backend) {
    let (store, incident) = store_with_incident(&backend).await;
    let before = store.last_event_seq().await.expect("seq");
    let (entry, _) = store
        .create_entry(incident, &note("v1", at(1)), None, at(1))
        .await
        .expect("created");
    let stale = store
        .update_entry(incident, entry.id, 7, &body_patch("late"), "bo", at(2))
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    let missing = store
        .create_entry(incident + 100, &note("nowhere", at(1)), None, at(1))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    assert_eq!(
        store.last_event_seq().await.expect("seq"),
        before + 1,
        "only the created entry was announced"
    );
    store.close().await;
}

conformance!(
    every_change_is_announced_once_in_its_own_transaction,
    a_refused_write_announces_nothing,
    starring_is_not_an_edit,
    edits_and_deletes_record_who_made_them,
    created_entries_list_by_occurred_at_then_id,
    entries_of_unknown_incidents_are_not_found,
    update_applies_the_patch_sets_edited_at_and_raises_the_version,
    a_stale_version_is_a_conflict_carrying_the_current_entry,
    deleted_entries_leave_the_timeline_but_stay_in_the_audit_log,
    detector_and_action_entries_are_immutable,
    the_same_idempotency_key_and_content_creates_one_entry,
    a_retry_whose_time_the_server_defaulted_is_still_the_same_request,
    the_same_key_with_other_content_is_a_mismatch,
    of_ten_concurrent_updates_from_one_version_exactly_one_wins,
    concurrent_retries_with_one_key_create_one_entry,
    every_entry_change_is_audited,
);
