use super::{Backend, at, new_incident};
use crate::model::{
    AffectedComponent, ComponentStatus, IncidentPatch, IncidentState, IncidentStatus, Severity,
};
use crate::store::{Conflicting, StoreError};

async fn create_then_get_returns_the_same_incident(backend: Backend) {
    let store = backend.store().await;
    let mut new = new_incident("Sites down on app-03");
    new.components = vec![AffectedComponent {
        name: "Hosted sites".into(),
        status: ComponentStatus::PartialOutage,
    }];
    new.started_at = Some(at(-3));
    let created = store
        .create_incident(&new, "ana", at(0))
        .await
        .expect("created");
    assert!(created.id > 0);
    assert_eq!(created.version, 1);
    assert_eq!(created.state, IncidentState::Open);
    assert_eq!(created.started_at, at(-3), "back-dated start kept");
    assert_eq!(created.created_at, at(0));
    assert_eq!(created.resolved_at, None);
    assert_eq!(
        store.get_incident(created.id).await.expect("found"),
        created
    );
}

async fn unknown_incident_is_not_found(backend: Backend) {
    let store = backend.store().await;
    let err = store.get_incident(42).await.expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let err = store
        .update_incident(42, 1, &IncidentPatch::default(), "ana", at(0))
        .await
        .expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn list_is_newest_first_and_filters_by_state(backend: Backend) {
    let store = backend.store().await;
    let mut old = new_incident("2017 switch");
    old.started_at = Some(at(-600));
    let old = store
        .create_incident(&old, "ana", at(0))
        .await
        .expect("created");
    let newer = store
        .create_incident(&new_incident("cache"), "ana", at(1))
        .await
        .expect("created");
    let newest = store
        .create_incident(&new_incident("db master"), "ana", at(2))
        .await
        .expect("created");
    let resolve = IncidentPatch {
        status: Some(IncidentStatus::Resolved),
        ..Default::default()
    };
    let newer = store
        .update_incident(newer.id, 1, &resolve, "ana", at(3))
        .await
        .expect("resolved");

    let ids = |list: Vec<crate::model::Incident>| list.iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_incidents(None).await.expect("list")),
        vec![newest.id, newer.id, old.id]
    );
    assert_eq!(
        ids(store
            .list_incidents(Some(IncidentState::Open))
            .await
            .expect("list")),
        vec![newest.id, old.id]
    );
    assert_eq!(
        ids(store
            .list_incidents(Some(IncidentState::Resolved))
            .await
            .expect("list")),
        vec![newer.id]
    );
}

async fn update_applies_the_patch_and_raises_the_version(backend: Backend) {
    let store = backend.store().await;
    let created = store
        .create_incident(&new_incident("app-03 down"), "ana", at(0))
        .await
        .expect("created");
    let patch = IncidentPatch {
        title: Some("Switch sw-2 faulty".into()),
        severity: Some(Severity::Sev1),
        status: Some(IncidentStatus::Identified),
        ..Default::default()
    };
    let updated = store
        .update_incident(created.id, 1, &patch, "bo", at(10))
        .await
        .expect("updated");
    assert_eq!(updated.title, "Switch sw-2 faulty");
    assert_eq!(updated.severity, Severity::Sev1);
    assert_eq!(updated.status, IncidentStatus::Identified);
    assert_eq!(updated.impact, created.impact, "absent fields unchanged");
    assert_eq!(updated.version, 2);
    assert_eq!(updated.updated_at, at(10));
    assert_eq!(updated.created_at, at(0));
    assert_eq!(
        store.get_incident(created.id).await.expect("found"),
        updated
    );
}

async fn a_stale_version_is_a_conflict_carrying_the_current_incident(backend: Backend) {
    let store = backend.store().await;
    let created = store
        .create_incident(&new_incident("app-03 down"), "ana", at(0))
        .await
        .expect("created");
    let rename = |title: &str| IncidentPatch {
        title: Some(title.into()),
        ..Default::default()
    };
    let first = store
        .update_incident(created.id, 1, &rename("first"), "ana", at(1))
        .await
        .expect("first writer wins");
    let err = store
        .update_incident(created.id, 1, &rename("second"), "bo", at(2))
        .await
        .expect_err("second writer holds a stale version");
    match err {
        StoreError::Conflict { current } => {
            assert_eq!(*current, Conflicting::Incident(first.clone()));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        store.get_incident(created.id).await.expect("found").title,
        "first"
    );
}

async fn resolving_and_reopening_follow_the_status(backend: Backend) {
    let store = backend.store().await;
    let created = store
        .create_incident(&new_incident("db master"), "ana", at(0))
        .await
        .expect("created");
    let status = |status| IncidentPatch {
        status: Some(status),
        ..Default::default()
    };
    let resolved = store
        .update_incident(
            created.id,
            1,
            &status(IncidentStatus::Resolved),
            "ana",
            at(60),
        )
        .await
        .expect("resolved");
    assert_eq!(resolved.state, IncidentState::Resolved);
    assert_eq!(resolved.resolved_at, Some(at(60)));

    let reopened = store
        .update_incident(
            created.id,
            2,
            &status(IncidentStatus::Monitoring),
            "ana",
            at(70),
        )
        .await
        .expect("reopened");
    assert_eq!(reopened.state, IncidentState::Open);
    assert_eq!(reopened.resolved_at, None);
    assert_eq!(reopened.version, 3);
}

async fn a_patch_that_changes_nothing_keeps_the_version_and_writes_no_audit(backend: Backend) {
    let store = backend.store().await;
    let created = store
        .create_incident(&new_incident("cache"), "ana", at(0))
        .await
        .expect("created");
    let same = IncidentPatch {
        title: Some("cache".into()),
        ..Default::default()
    };
    let unchanged = store
        .update_incident(created.id, 1, &same, "ana", at(5))
        .await
        .expect("no-op");
    assert_eq!(unchanged, created);
    let audit = store.audit_log(Some(created.id)).await.expect("audit");
    assert_eq!(audit.len(), 1, "only the creation: {audit:?}");
}

async fn every_incident_change_is_audited_with_before_and_after(backend: Backend) {
    let store = backend.store().await;
    let created = store
        .create_incident(&new_incident("app-03 down"), "ana", at(0))
        .await
        .expect("created");
    let patch = IncidentPatch {
        severity: Some(Severity::Sev1),
        ..Default::default()
    };
    let updated = store
        .update_incident(created.id, 1, &patch, "bo", at(4))
        .await
        .expect("updated");

    let audit = store.audit_log(Some(created.id)).await.expect("audit");
    assert_eq!(audit.len(), 2);
    let target = format!("incidents/{}", created.id);

    assert_eq!(audit[0].action, "incident.create");
    assert_eq!(audit[0].actor, "ana");
    assert_eq!(audit[0].at, at(0));
    assert_eq!(audit[0].target, target);
    assert_eq!(audit[0].incident_id, Some(created.id));
    assert!(audit[0].detail["before"].is_null());
    assert_eq!(
        audit[0].detail["after"],
        serde_json::to_value(&created).expect("json")
    );

    assert_eq!(audit[1].action, "incident.update");
    assert_eq!(audit[1].actor, "bo");
    assert_eq!(audit[1].at, at(4));
    assert_eq!(
        audit[1].detail["before"],
        serde_json::to_value(&created).expect("json")
    );
    assert_eq!(
        audit[1].detail["after"],
        serde_json::to_value(&updated).expect("json")
    );
}

conformance!(
    create_then_get_returns_the_same_incident,
    unknown_incident_is_not_found,
    list_is_newest_first_and_filters_by_state,
    update_applies_the_patch_and_raises_the_version,
    a_stale_version_is_a_conflict_carrying_the_current_incident,
    resolving_and_reopening_follow_the_status,
    a_patch_that_changes_nothing_keeps_the_version_and_writes_no_audit,
    every_incident_change_is_audited_with_before_and_after,
);
