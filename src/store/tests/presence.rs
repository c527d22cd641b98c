//! Who is in the room: heartbeats join and renew, goodbyes and expiry
//! remove, and two stores on one database (two replicas) share the room.

use chrono::Duration;

use super::{Backend, at};
use crate::model::{AccessRole, Timestamp};
use crate::store::PresenceBeat;

fn beat(client_id: &str, name: &str, role: AccessRole) -> PresenceBeat {
    PresenceBeat {
        client_id: client_id.into(),
        name: name.into(),
        role,
    }
}

/// Seconds after the start of the 2017 switch incident.
fn sec(n: i64) -> Timestamp {
    at(0) + Duration::seconds(n)
}

/// Heartbeats older than 45 s before `now` have expired.
fn live_after(now: Timestamp) -> Timestamp {
    now - Duration::seconds(45)
}

async fn the_first_heartbeat_joins_and_later_ones_renew(backend: Backend) {
    let store = backend.store().await;
    let ana = beat("c-ana", "ana", AccessRole::Commander);
    let (joined, first) = store
        .presence_beat(&ana, at(0), live_after(at(0)))
        .await
        .expect("beat")
        .expect("not held by another");
    assert!(first, "the first heartbeat joins");
    assert_eq!((joined.since, joined.seen_at), (at(0), at(0)));
    assert_eq!(
        (joined.name.as_str(), joined.role),
        ("ana", AccessRole::Commander)
    );
    let later = at(0) + Duration::seconds(15);
    let (renewed, again) = store
        .presence_beat(&ana, later, live_after(later))
        .await
        .expect("beat")
        .expect("not held by another");
    assert!(!again, "a renewal is no join");
    assert_eq!(
        (renewed.since, renewed.seen_at),
        (at(0), later),
        "a renewal keeps the join time"
    );
    let room = store.presence(live_after(later)).await.expect("list");
    assert_eq!(room, vec![renewed]);
}

async fn a_goodbye_leaves_and_only_its_token_can_say_it(backend: Backend) {
    let store = backend.store().await;
    for (id, name, second) in [("c-ana", "ana", 0), ("c-ben", "ben", 1)] {
        store
            .presence_beat(
                &beat(id, name, AccessRole::Responder),
                sec(second),
                live_after(sec(second)),
            )
            .await
            .expect("beat")
            .expect("joined");
    }
    let room = store.presence(live_after(sec(1))).await.expect("list");
    let ids: Vec<_> = room.iter().map(|p| p.client_id.as_str()).collect();
    assert_eq!(ids, ["c-ana", "c-ben"], "by join time");
    assert_eq!(
        store.presence_leave("c-ana", "ben").await.expect("leave"),
        None,
        "ben cannot say ana's goodbye"
    );
    let gone = store
        .presence_leave("c-ana", "ana")
        .await
        .expect("leave")
        .expect("ana was here");
    assert_eq!(gone.name, "ana");
    assert_eq!(
        store.presence_leave("c-ana", "ana").await.expect("leave"),
        None,
        "a second goodbye finds nobody"
    );
    let room = store.presence(live_after(sec(1))).await.expect("list");
    let ids: Vec<_> = room.iter().map(|p| p.client_id.as_str()).collect();
    assert_eq!(ids, ["c-ben"]);
}

async fn a_live_client_id_of_another_token_is_refused(backend: Backend) {
    let store = backend.store().await;
    store
        .presence_beat(
            &beat("c-1", "ana", AccessRole::Responder),
            at(0),
            live_after(at(0)),
        )
        .await
        .expect("beat")
        .expect("joined");
    let taken = store
        .presence_beat(
            &beat("c-1", "mallory", AccessRole::Commander),
            sec(1),
            live_after(sec(1)),
        )
        .await
        .expect("beat");
    assert_eq!(taken, None, "another token cannot take a live client id");
    let room = store.presence(live_after(sec(1))).await.expect("list");
    assert_eq!(room.len(), 1);
    assert_eq!(
        (room[0].name.as_str(), room[0].role),
        ("ana", AccessRole::Responder)
    );
}

async fn silent_consoles_expire_once_and_a_late_heartbeat_joins_again(backend: Backend) {
    let store = backend.store().await;
    let ana = beat("c-ana", "ana", AccessRole::Responder);
    let ben = beat("c-ben", "ben", AccessRole::Viewer);
    store
        .presence_beat(&ana, at(0), live_after(at(0)))
        .await
        .expect("beat");
    store
        .presence_beat(&ben, at(0), live_after(at(0)))
        .await
        .expect("beat");
    let t40 = at(0) + Duration::seconds(40);
    store
        .presence_beat(&ben, t40, live_after(t40))
        .await
        .expect("beat");
    let t50 = at(0) + Duration::seconds(50);
    let listed = store.presence(live_after(t50)).await.expect("list");
    let ids: Vec<_> = listed.iter().map(|p| p.client_id.as_str()).collect();
    assert_eq!(
        ids,
        ["c-ben"],
        "an expired console is not listed, swept or not"
    );
    // Two replicas sweep at once: each expired console goes to one of them.
    let other = backend.store().await;
    let (a, b) = tokio::join!(
        store.presence_expire(live_after(t50)),
        other.presence_expire(live_after(t50))
    );
    let mut swept: Vec<_> = a
        .expect("sweep")
        .into_iter()
        .chain(b.expect("sweep"))
        .collect();
    assert_eq!(swept.len(), 1, "swept once: {swept:?}");
    let gone = swept.remove(0);
    assert_eq!((gone.client_id.as_str(), gone.seen_at), ("c-ana", at(0)));
    // A heartbeat after expiry (a console back from a long outage) joins
    // afresh, also when its old entry was not swept yet.
    let t60 = at(0) + Duration::seconds(60);
    let t200 = at(0) + Duration::seconds(200);
    let (back, joined) = store
        .presence_beat(&ana, t60, live_after(t60))
        .await
        .expect("beat")
        .expect("free");
    assert!(joined && back.since == t60);
    let (back, joined) = other
        .presence_beat(&ana, t200, live_after(t200))
        .await
        .expect("beat")
        .expect("free");
    assert!(joined, "expired but not swept: a join again");
    assert_eq!(back.since, t200);
    let seen = store.presence(live_after(t200)).await.expect("list");
    assert_eq!(seen, vec![back], "the other replica sees the same room");
}

conformance!(
    the_first_heartbeat_joins_and_later_ones_renew,
    a_goodbye_leaves_and_only_its_token_can_say_it,
    a_live_client_id_of_another_token_is_refused,
    silent_consoles_expire_once_and_a_late_heartbeat_joins_again,
);
