//! Incident roles: terms open and close as roles change hands, each change
//! audited; handing a role to its holder changes nothing.

use super::{Backend, at, new_incident};
use crate::model::IncidentRole;
use crate::store::StoreError;

async fn roles_change_hands_and_every_term_is_kept(backend: Backend) {
    let store = backend.store().await;
    let incident = store
        .create_incident(&new_incident("sw-2 down"), "ana", at(0))
        .await
        .expect("incident");
    let id = incident.id;
    let first = store
        .change_role(id, IncidentRole::Commander, Some("ana"), "ana", at(1))
        .await
        .expect("assign");
    assert_eq!(first.ended, None);
    let started = first.started.expect("a term starts");
    assert_eq!(
        (started.holder.as_str(), started.from, started.until),
        ("ana", at(1), None)
    );
    let same = store
        .change_role(id, IncidentRole::Commander, Some("ana"), "ben", at(2))
        .await
        .expect("again");
    assert_eq!((same.ended, same.started), (None, None), "nothing changed");
    assert_eq!(same.unchanged.map(|t| t.from), Some(at(1)));
    store
        .change_role(id, IncidentRole::Scribe, Some("cleo"), "ana", at(3))
        .await
        .expect("scribe");
    let handoff = store
        .change_role(id, IncidentRole::Commander, Some("ben"), "ana", at(4))
        .await
        .expect("handoff");
    let ended = handoff.ended.expect("ana's term ends");
    assert_eq!((ended.holder.as_str(), ended.until), ("ana", Some(at(4))));
    assert_eq!(handoff.started.map(|t| t.holder), Some("ben".to_string()));
    let vacated = store
        .change_role(id, IncidentRole::Scribe, None, "ana", at(5))
        .await
        .expect("vacate");
    assert_eq!(vacated.started, None);
    assert_eq!(vacated.ended.map(|t| t.until), Some(Some(at(5))));

    let terms = store.role_terms(id).await.expect("terms");
    let summary: Vec<_> = terms
        .iter()
        .map(|t| (t.role, t.holder.as_str(), t.from, t.until))
        .collect();
    assert_eq!(
        summary,
        vec![
            (IncidentRole::Commander, "ana", at(1), Some(at(4))),
            (IncidentRole::Scribe, "cleo", at(3), Some(at(5))),
            (IncidentRole::Commander, "ben", at(4), None),
        ]
    );
    // Kept across a reopen (a restart).
    let reopened = backend.store().await;
    assert_eq!(reopened.role_terms(id).await.expect("terms"), terms);
    let audited = store
        .audit_log(Some(id))
        .await
        .expect("audit")
        .into_iter()
        .filter(|r| r.action == "incident.role")
        .count();
    assert_eq!(
        audited, 4,
        "one audit record per change, none for the no-op"
    );
    assert!(matches!(
        store
            .change_role(id + 100, IncidentRole::Scribe, Some("x"), "ana", at(6))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.role_terms(id + 100).await,
        Err(StoreError::NotFound { .. })
    ));
}

conformance!(roles_change_hands_and_every_term_is_kept);
