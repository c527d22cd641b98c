//! Leadership among replicas on one PostgreSQL database: the lease, its
//! fencing token, fenced writes and the events wake-up.

use std::sync::Arc;
use std::time::Duration;

use super::{Backend, at, new_incident};
use crate::model::{EventPayload, IncidentState};
use crate::store::{Candidate, Replication, Store, StoreError};

fn candidate(node: &str, instance: &str) -> Candidate {
    Candidate {
        node_id: node.into(),
        instance: instance.into(),
        url: format!("http://{node}.example:7700"),
    }
}

async fn replication(backend: &Backend) -> (Arc<dyn Store>, Arc<dyn Replication>) {
    let store = backend.store().await;
    let replication = store.replication().expect("PostgreSQL carries replicas");
    (store, replication)
}

const TTL: Duration = Duration::from_secs(30);

#[tokio::test]
async fn the_first_candidate_leads_and_the_others_see_it() {
    let backend = Backend::postgres().await;
    let (_store, repl) = replication(&backend).await;
    assert_eq!(repl.lease().await.expect("lease"), None, "nobody led yet");
    let a = candidate("a", "a-1");
    let b = candidate("b", "b-1");
    let lease = repl.campaign(&a, TTL, false).await.expect("campaign a");
    assert!(lease.held_by(&a) && lease.is_live());
    assert_eq!(lease.epoch, 1);
    assert_eq!(lease.url, a.url);
    let seen = repl.campaign(&b, TTL, false).await.expect("campaign b");
    assert!(seen.held_by(&a), "b lost to the live lease: {seen:?}");
    assert_eq!(seen.epoch, 1);
    let renewed = repl.campaign(&a, TTL, false).await.expect("renew");
    assert!(renewed.held_by(&a));
    assert_eq!(renewed.epoch, 1, "a renewal keeps the epoch");
}

#[tokio::test]
async fn a_lease_that_ran_out_goes_to_the_next_candidate_with_a_higher_epoch() {
    let backend = Backend::postgres().await;
    let (_store, repl) = replication(&backend).await;
    let a = candidate("a", "a-1");
    let b = candidate("b", "b-1");
    repl.campaign(&a, Duration::from_millis(200), false)
        .await
        .expect("a");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let lease = loop {
        let lease = repl.campaign(&b, TTL, false).await.expect("b");
        if lease.held_by(&b) {
            break lease;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a's lease never ran out"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(lease.epoch, 2);
    let lost = repl.campaign(&a, TTL, false).await.expect("a again");
    assert!(lost.held_by(&b), "a cannot renew a lease b holds");
}

#[tokio::test]
async fn a_restarted_replica_takes_its_own_lease_at_once_and_resigning_frees_it() {
    let backend = Backend::postgres().await;
    let (_store, repl) = replication(&backend).await;
    let old = candidate("a", "a-1");
    let new = candidate("a", "a-2");
    let b = candidate("b", "b-1");
    repl.campaign(&old, TTL, false).await.expect("old");
    let waiting = repl.campaign(&new, TTL, false).await.expect("new, waiting");
    assert!(waiting.held_by(&old), "without take-over it waits");
    let taken = repl.campaign(&new, TTL, true).await.expect("new, taking");
    assert!(taken.held_by(&new));
    assert_eq!(taken.epoch, 2, "a new instance is a new epoch");
    let refused = repl.campaign(&b, TTL, true).await.expect("b");
    assert!(
        refused.held_by(&new),
        "take-over is only of one's own node id"
    );
    repl.resign(&new, 2).await.expect("resign");
    let after = repl.campaign(&b, TTL, false).await.expect("b after resign");
    assert!(after.held_by(&b));
    assert_eq!(after.epoch, 3);
}

#[tokio::test]
async fn a_stale_leaders_writes_are_refused_and_write_nothing() {
    let backend = Backend::postgres().await;
    let (store, repl) = replication(&backend).await;
    let a = candidate("a", "a-1");
    let b = candidate("b", "b-1");
    let lease = repl.campaign(&a, TTL, false).await.expect("a");
    let fenced_a = repl.fenced(lease.epoch);
    let incident = fenced_a
        .create_incident(&new_incident("while leading"), "a", at(0))
        .await
        .expect("the leader writes");
    fenced_a
        .append_events(&[(at(0), EventPayload::Incident(incident.clone()))])
        .await
        .expect("the leader appends");
    let before = store.last_event_seq().await.expect("seq");

    repl.resign(&a, lease.epoch).await.expect("a steps down");
    let lease_b = repl.campaign(&b, TTL, false).await.expect("b");
    assert_eq!(lease_b.epoch, lease.epoch + 1);

    let err = fenced_a
        .append_events(&[(at(1), EventPayload::Incident(incident.clone()))])
        .await
        .expect_err("a stale leader cannot append");
    assert!(
        matches!(
            err,
            StoreError::Fenced {
                epoch: 1,
                current: Some(2)
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let err = fenced_a
        .create_incident(&new_incident("after losing"), "a", at(1))
        .await
        .expect_err("nor create");
    assert!(matches!(err, StoreError::Fenced { .. }), "{err:?}");
    assert_eq!(store.last_event_seq().await.expect("seq"), before);
    assert_eq!(
        store
            .list_incidents(Some(IncidentState::Open))
            .await
            .expect("list")
            .len(),
        1,
        "nothing was written"
    );
    repl.fenced(lease_b.epoch)
        .append_events(&[(at(2), EventPayload::Incident(incident))])
        .await
        .expect("the new leader writes");
    // The plain store (incident and timeline writes of any replica) is not
    // fenced.
    store
        .create_incident(&new_incident("from a follower"), "b", at(3))
        .await
        .expect("a follower's incident write");
}

#[tokio::test]
async fn appends_wake_up_listeners_on_other_connections() {
    let backend = Backend::postgres().await;
    let (_, repl) = replication(&backend).await;
    let wakeups = repl.event_wakeups().await.expect("listen");
    let other = backend.store().await;
    let incident = other
        .create_incident(&new_incident("x"), "a", at(0))
        .await
        .expect("incident");
    other
        .append_events(&[(at(0), EventPayload::Incident(incident))])
        .await
        .expect("append");
    tokio::time::timeout(Duration::from_secs(10), wakeups.notified())
        .await
        .expect("a wake-up after the commit");
}
