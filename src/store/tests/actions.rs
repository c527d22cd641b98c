use chrono::{TimeZone, Utc};

use super::Backend;
use crate::model::{Action, ActionState, Plan, PlanKind, StepProgress, StepState, Timestamp};
use crate::store::StoreError;

fn at(minute: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2017, 9, 11, 22, minute, 0)
        .single()
        .expect("valid time")
}

fn plan(id: &str) -> Plan {
    Plan {
        id: id.into(),
        kind: PlanKind::RecycleWeb,
        target: None,
        summary: "Restart web-1.".into(),
        steps: Vec::new(),
        placements: Vec::new(),
        unplaceable: Vec::new(),
        warnings: Vec::new(),
        risk: None,
        confirm: None,
        offers: Vec::new(),
        scope: "web".into(),
        topology_version: 7,
        created_at: at(0),
        expires_at: at(2),
    }
}

fn action(id: &str, plan_id: &str, incident_id: Option<i64>, minute: u32) -> Action {
    Action {
        id: id.into(),
        plan_id: plan_id.into(),
        kind: PlanKind::RecycleWeb,
        target: None,
        summary: "Restart web-1.".into(),
        state: ActionState::Running,
        steps: vec![StepProgress {
            index: 0,
            description: "restart web-1".into(),
            state: StepState::Pending,
            started_at: None,
            finished_at: None,
            output: None,
            error: None,
        }],
        started_by: "ana".into(),
        started_at: at(minute),
        finished_at: None,
        incident_id,
        follow_up: None,
        undo_of: None,
        automatic: false,
    }
}

async fn a_key_binds_one_action_and_a_retry_gets_it_back(backend: Backend) {
    let store = backend.store().await;
    let first = action("act-1", "plan-1", None, 1);
    let (stored, created) = store
        .create_action(&first, &plan("plan-1"), "key-1", at(1))
        .await
        .expect("created");
    assert!(created);
    assert_eq!(stored, first);
    let (again, created) = store
        .create_action(
            &action("act-2", "plan-1", None, 1),
            &plan("plan-1"),
            "key-1",
            at(1),
        )
        .await
        .expect("replayed");
    assert!(!created);
    assert_eq!(again.id, "act-1");
    assert_eq!(store.list_actions(None).await.expect("list").len(), 1);
    assert_eq!(
        store
            .action_for_key("key-1")
            .await
            .expect("lookup")
            .map(|a| a.id),
        Some("act-1".to_string())
    );
    assert_eq!(store.action_for_key("key-2").await.expect("lookup"), None);
}

async fn concurrent_executes_with_one_key_create_one_action(backend: Backend) {
    let store = backend.store().await;
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .create_action(
                        &action(&format!("act-{n}"), "plan-1", None, 1),
                        &plan("plan-1"),
                        "the-key",
                        at(1),
                    )
                    .await
            })
        })
        .collect();
    let mut created = 0;
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let (action, was_created) = task.await.expect("task ran").expect("stored");
        created += usize::from(was_created);
        ids.insert(action.id);
    }
    assert_eq!(created, 1, "one execute ran");
    assert_eq!(ids.len(), 1, "every retry got the same action: {ids:?}");
    assert_eq!(store.list_actions(None).await.expect("list").len(), 1);
}

async fn updates_are_read_back_and_the_plan_is_kept(backend: Backend) {
    let store = backend.store().await;
    let mut a = action("act-1", "plan-1", Some(4), 1);
    store
        .create_action(&a, &plan("plan-1"), "k", at(1))
        .await
        .expect("created");
    a.state = ActionState::Succeeded;
    a.steps[0].state = StepState::Succeeded;
    a.finished_at = Some(at(3));
    store.update_action(&a).await.expect("updated");
    assert_eq!(store.get_action("act-1").await.expect("get"), a);
    assert_eq!(
        store.action_plan("act-1").await.expect("plan"),
        plan("plan-1")
    );
    let missing = store.update_action(&action("nope", "p", None, 1)).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    assert!(matches!(
        store.get_action("nope").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.action_plan("nope").await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn actions_list_newest_first_and_by_incident(backend: Backend) {
    let store = backend.store().await;
    for (id, incident, minute) in [("a", Some(1), 1), ("b", None, 3), ("c", Some(1), 2)] {
        store
            .create_action(&action(id, id, incident, minute), &plan(id), id, at(minute))
            .await
            .expect("created");
    }
    let ids = |list: Vec<Action>| list.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_actions(None).await.expect("all")),
        ["b", "c", "a"]
    );
    assert_eq!(
        ids(store.list_actions(Some(1)).await.expect("one")),
        ["c", "a"]
    );
    assert!(store.list_actions(Some(9)).await.expect("none").is_empty());
}

conformance!(
    a_key_binds_one_action_and_a_retry_gets_it_back,
    concurrent_executes_with_one_key_create_one_action,
    updates_are_read_back_and_the_plan_is_kept,
    actions_list_newest_first_and_by_incident,
);
