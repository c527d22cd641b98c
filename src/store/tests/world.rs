//! The saved world state: it comes back after a reopen, and its version
//! never goes backwards.

use super::{Backend, at};
use crate::model::EventPayload;
use crate::store::SavedWorld;

fn world(version: u64, state: &str) -> SavedWorld {
    SavedWorld {
        version,
        saved_at: at(1),
        state: state.into(),
    }
}

async fn the_saved_world_comes_back_and_its_version_never_goes_backwards(backend: Backend) {
    let store = backend.store().await;
    assert_eq!(store.load_world().await.expect("load"), None);
    let event: EventPayload = serde_json::from_value(serde_json::json!({
        "kind": "topology", "data": {"version": 7, "reason": "test"}
    }))
    .expect("an event");
    let events = vec![(at(1), event)];
    let written = store
        .save_world(&world(7, "{\"a\": 1}"), &events)
        .await
        .expect("save");
    assert_eq!(written.len(), 1, "the events are written with the world");
    store
        .save_world(&world(7, "{\"a\": 2}"), &[])
        .await
        .expect("the same version again, with no event");
    let refused = store
        .save_world(&world(6, "{\"a\": 3}"), &events)
        .await
        .expect_err("a lower version is refused");
    assert!(
        refused.to_string().contains("never goes backwards"),
        "{refused}"
    );
    assert_eq!(
        store.last_event_seq().await.expect("seq"),
        written[0].seq,
        "the refused save wrote no event either"
    );
    drop(store);
    let store = backend.store().await;
    let loaded = store.load_world().await.expect("load").expect("saved");
    assert_eq!(loaded.version, 7);
    assert_eq!(loaded.saved_at, at(1));
    let state: serde_json::Value = serde_json::from_str(&loaded.state).expect("JSON");
    assert_eq!(state, serde_json::json!({"a": 2}));
}

conformance!(the_saved_world_comes_back_and_its_version_never_goes_backwards);
