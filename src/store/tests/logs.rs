use super::{Backend, at, new_incident};
use crate::model::{
    ComponentKind, EventPayload, HealthSample, HealthState, Timestamp, TopologyEvent,
};
use crate::store::AuditRecord;

fn action_events(range: std::ops::Range<i64>) -> Vec<(Timestamp, EventPayload)> {
    range
        .map(|step| {
            (
                at(step),
                EventPayload::Topology(TopologyEvent {
                    version: step as u64,
                    reason: format!("step {step}"),
                    ..TopologyEvent::default()
                }),
            )
        })
        .collect()
}

fn seqs(events: &[crate::model::Event]) -> Vec<i64> {
    events.iter().map(|event| event.seq).collect()
}

async fn event_seqs_rise_by_one_and_continue_after_reopening_the_database(backend: Backend) {
    let store = backend.store().await;
    assert_eq!(store.last_event_seq().await.expect("seq"), 0);
    let first = store
        .append_events(&action_events(0..3))
        .await
        .expect("appended");
    let second = store
        .append_events(&action_events(3..5))
        .await
        .expect("appended");
    assert_eq!(seqs(&first), vec![1, 2, 3]);
    assert_eq!(seqs(&second), vec![4, 5]);
    store.close().await;

    let store = backend.store().await;
    assert_eq!(store.last_event_seq().await.expect("seq"), 5);
    let third = store
        .append_events(&action_events(5..7))
        .await
        .expect("appended");
    assert_eq!(seqs(&third), vec![6, 7], "no seq is reused after a restart");
    let all = store.events_since(0, 100).await.expect("read");
    assert_eq!(seqs(&all), (1..=7).collect::<Vec<_>>());
    assert_eq!(
        all[..3],
        first[..],
        "events read back as they were appended"
    );
    store.close().await;
}

async fn events_round_trip_their_payload(backend: Backend) {
    let store = backend.store().await;
    let incident = store
        .create_incident(&new_incident("db master"), "ana", at(0))
        .await
        .expect("created");
    let appended = store
        .append_events(&[(at(1), EventPayload::Incident(incident))])
        .await
        .expect("appended");
    // The first event is the one the create wrote itself.
    assert_eq!(store.events_since(1, 10).await.expect("read"), appended);
}

async fn events_since_is_exclusive_ascending_and_limited(backend: Backend) {
    let store = backend.store().await;
    assert!(store.append_events(&[]).await.expect("nothing").is_empty());
    assert_eq!(store.last_event_seq().await.expect("seq"), 0);
    store
        .append_events(&action_events(0..10))
        .await
        .expect("appended");

    assert_eq!(
        seqs(&store.events_since(0, 3).await.expect("read")),
        vec![1, 2, 3]
    );
    assert_eq!(
        seqs(&store.events_since(3, 3).await.expect("read")),
        vec![4, 5, 6]
    );
    assert_eq!(
        seqs(&store.events_since(9, 100).await.expect("read")),
        vec![10]
    );
    assert!(store.events_since(10, 100).await.expect("read").is_empty());
    assert!(store.events_since(50, 100).await.expect("read").is_empty());
    assert!(store.events_since(0, 0).await.expect("read").is_empty());
    assert_eq!(store.last_event_seq().await.expect("seq"), 10);
}

fn sample(component_id: &str, minute: i64, state: HealthState) -> HealthSample {
    HealthSample {
        component_id: component_id.into(),
        component: ComponentKind::Server,
        at: at(minute),
        state,
        latency_ms: (state == HealthState::Up).then_some(12.5),
        error_rate: if state == HealthState::Up { 0.0 } else { 1.0 },
    }
}

async fn health_history_is_ascending_per_component_and_keeps_the_newest_when_limited(
    backend: Backend,
) {
    let store = backend.store().await;
    // Appended out of order and interleaved with another component.
    store
        .append_health(&[
            sample("app-03", 2, HealthState::Down),
            sample("app-04", 1, HealthState::Up),
            sample("app-03", 0, HealthState::Up),
            sample("app-03", 3, HealthState::Flapping),
            sample("app-03", 1, HealthState::Degraded),
        ])
        .await
        .expect("appended");
    store.append_health(&[]).await.expect("nothing to append");

    let minutes = |samples: Vec<HealthSample>| {
        samples
            .iter()
            .map(|s| (s.at - at(0)).num_minutes())
            .collect::<Vec<_>>()
    };
    let all = store
        .health_history("app-03", None, 100)
        .await
        .expect("read");
    assert_eq!(all[0], sample("app-03", 0, HealthState::Up), "round trip");
    assert_eq!(minutes(all), vec![0, 1, 2, 3]);
    assert_eq!(
        minutes(store.health_history("app-03", None, 2).await.expect("read")),
        vec![2, 3],
        "the newest two, oldest first"
    );
    assert_eq!(
        minutes(
            store
                .health_history("app-03", Some(at(1)), 100)
                .await
                .expect("read")
        ),
        vec![1, 2, 3],
        "since is inclusive"
    );
    assert!(
        store
            .health_history("nope", None, 10)
            .await
            .expect("read")
            .is_empty()
    );
}

async fn appended_audit_records_are_kept_in_order_and_filter_by_incident(backend: Backend) {
    let store = backend.store().await;
    let incident = store
        .create_incident(&new_incident("switch"), "ana", at(0))
        .await
        .expect("created");
    let record = AuditRecord {
        at: at(5),
        actor: "cmdr".into(),
        action: "action.execute".into(),
        target: "actions/7".into(),
        incident_id: Some(incident.id),
        detail: serde_json::json!({ "plan": "evacuate sw-2" }),
    };
    let unrelated = AuditRecord {
        incident_id: None,
        action: "token.create".into(),
        target: "tokens/bot".into(),
        ..record.clone()
    };
    store.append_audit(&record).await.expect("appended");
    store.append_audit(&unrelated).await.expect("appended");

    let of_incident = store.audit_log(Some(incident.id)).await.expect("audit");
    assert_eq!(of_incident.len(), 2);
    assert_eq!(of_incident[0].action, "incident.create");
    assert_eq!(of_incident[1], record);
    let all = store.audit_log(None).await.expect("audit");
    assert_eq!(all.len(), 3);
    assert_eq!(all[2], unrelated);
}

async fn concurrent_appends_are_gapless_and_a_tailer_misses_none(backend: Backend) {
    let store = backend.store().await;
    let writers = 6;
    let batches = 15;
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move {
                for batch in 0..batches {
                    let size = 1 + (writer + batch) % 3;
                    store
                        .append_events(&action_events(0..size))
                        .await
                        .expect("appended");
                }
            })
        })
        .collect();
    let total: i64 = (0..writers)
        .flat_map(|writer| (0..batches).map(move |batch| 1 + (writer + batch) % 3))
        .sum();
    // Tail as the event stream does: by `seq > last`. A seq that became
    // visible before a smaller one would be skipped over for good.
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while (seen.len() as i64) < total {
        assert!(
            std::time::Instant::now() < deadline,
            "tailer saw {} of {total}",
            seen.len()
        );
        let last = seen.last().copied().unwrap_or(0);
        let batch = store.events_since(last, 1000).await.expect("read");
        if batch.is_empty() {
            tokio::task::yield_now().await;
        }
        seen.extend(batch.iter().map(|event| event.seq));
    }
    for task in tasks {
        task.await.expect("writer ran");
    }
    assert_eq!(seen, (1..=total).collect::<Vec<_>>(), "gapless, in order");
    assert_eq!(store.last_event_seq().await.expect("seq"), total);
}

async fn health_window_spans_every_component_inclusively(backend: Backend) {
    let store = backend.store().await;
    store
        .append_health(&[
            sample("app-03", 0, HealthState::Up),
            sample("app-04", 1, HealthState::Down),
            sample("app-03", 2, HealthState::Down),
            sample("app-04", 3, HealthState::Up),
        ])
        .await
        .expect("appended");
    let window = store.health_window(at(1), at(2)).await.expect("read");
    assert_eq!(
        window,
        vec![
            sample("app-04", 1, HealthState::Down),
            sample("app-03", 2, HealthState::Down)
        ]
    );
}

conformance!(
    concurrent_appends_are_gapless_and_a_tailer_misses_none,
    health_window_spans_every_component_inclusively,
    event_seqs_rise_by_one_and_continue_after_reopening_the_database,
    events_round_trip_their_payload,
    events_since_is_exclusive_ascending_and_limited,
    health_history_is_ascending_per_component_and_keeps_the_newest_when_limited,
    appended_audit_records_are_kept_in_order_and_filter_by_incident,
);
