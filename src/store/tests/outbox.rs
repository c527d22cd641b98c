use serde_json::json;

use super::{Backend, at};
use crate::model::{DeliveryOutcome, NewDelivery, OutboxTarget};
use crate::store::StoreError;

fn delivery(target: OutboxTarget, key: &str, incident: i64) -> NewDelivery {
    NewDelivery {
        target,
        key: key.into(),
        incident_id: Some(incident),
        payload: json!({"body": key}),
    }
}

async fn staging_is_once_per_key_and_the_cursor_never_goes_back(backend: Backend) {
    let store = backend.store().await;
    let target = OutboxTarget::Statuspage;
    assert_eq!(store.outbox_cursor(target).await.expect("cursor"), None);
    store
        .outbox_stage(
            target,
            5,
            &[delivery(target, "a", 1), delivery(target, "b", 1)],
            at(1),
        )
        .await
        .expect("staged");
    assert_eq!(store.outbox_cursor(target).await.expect("cursor"), Some(5));
    // A restart stages the same events again: nothing new, cursor kept.
    store
        .outbox_stage(target, 3, &[delivery(target, "a", 1)], at(2))
        .await
        .expect("staged again");
    assert_eq!(store.outbox_cursor(target).await.expect("cursor"), Some(5));
    assert_eq!(
        store
            .outbox_cursor(OutboxTarget::Chat)
            .await
            .expect("cursor"),
        None,
        "each target has its own cursor"
    );
    let all = store.outbox_list(10).await.expect("list");
    let keys: Vec<&str> = all.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, vec!["b", "a"], "newest first, each once");
    assert_eq!(all[1].payload, json!({"body": "a"}));
    assert_eq!(all[1].created_at, at(1));
    assert_eq!(all[1].attempts, 0);
    store.close().await;
}

async fn deliveries_go_out_in_order_and_each_outcome_is_kept(backend: Backend) {
    let store = backend.store().await;
    let target = OutboxTarget::Statuspage;
    store
        .outbox_stage(
            target,
            2,
            &[delivery(target, "first", 7), delivery(target, "second", 7)],
            at(0),
        )
        .await
        .expect("staged");
    let head = store.outbox_head(target).await.expect("head").expect("one");
    assert_eq!(head.key, "first");
    let retried = store
        .outbox_record(
            head.id,
            &DeliveryOutcome::Retry {
                at: at(1),
                next_attempt_at: at(3),
                error: "503 from the receiver".into(),
            },
        )
        .await
        .expect("recorded");
    assert_eq!(retried.attempts, 1);
    assert_eq!(retried.next_attempt_at, at(3));
    assert_eq!(retried.last_error.as_deref(), Some("503 from the receiver"));
    assert_eq!(
        store
            .outbox_head(target)
            .await
            .expect("head")
            .expect("one")
            .key,
        "first",
        "a failed head holds the line"
    );
    assert_eq!(store.outbox_remote(target, 7).await.expect("remote"), None);
    let delivered = store
        .outbox_record(
            head.id,
            &DeliveryOutcome::Delivered {
                at: at(4),
                remote_id: Some("p-42".into()),
            },
        )
        .await
        .expect("recorded");
    assert_eq!(delivered.attempts, 2);
    assert_eq!(delivered.delivered_at, Some(at(4)));
    assert_eq!(delivered.last_error, None);
    assert_eq!(
        store
            .outbox_remote(target, 7)
            .await
            .expect("remote")
            .as_deref(),
        Some("p-42")
    );
    let again = store
        .outbox_record(
            head.id,
            &DeliveryOutcome::Delivered {
                at: at(5),
                remote_id: None,
            },
        )
        .await;
    assert!(
        matches!(again, Err(StoreError::NotFound { .. })),
        "a delivered one is never recorded again: {again:?}"
    );
    let second = store.outbox_head(target).await.expect("head").expect("one");
    assert_eq!(second.key, "second");
    let gave_up = store
        .outbox_record(
            second.id,
            &DeliveryOutcome::GaveUp {
                at: at(6),
                error: "422: unknown component".into(),
            },
        )
        .await
        .expect("recorded");
    assert_eq!(gave_up.gave_up_at, Some(at(6)));
    assert_eq!(store.outbox_head(target).await.expect("head"), None);
    assert_eq!(
        store.outbox_head(OutboxTarget::Chat).await.expect("head"),
        None
    );
    store.close().await;
}

conformance!(
    staging_is_once_per_key_and_the_cursor_never_goes_back,
    deliveries_go_out_in_order_and_each_outcome_is_kept,
);
