//! The event stream: resume after a dropped connection with `Last-Event-ID`
//! (raw SSE) and `?since=` (the real client) with no event lost or repeated,
//! and fleet health events flowing as a scenario plays.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::new_incident::incident;
use crate::support::new_note::note;
use crate::support::raw::Api;
use crate::support::sse::{RawSse, SseFrame, assert_contiguous};
use crate::support::tokens::VIEWER;
use futures::future::join_all;
use warroom::client::{Client, EventStream, StreamItem, StreamSettings};
use warroom::model::{ComponentKind, Event, EventPayload, HealthState};

const WAIT: Duration = Duration::from_secs(10);

/// The timeline entry ids in these frames.
fn entry_ids(frames: &[SseFrame]) -> Vec<i64> {
    frames
        .iter()
        .filter(|f| f.event.as_deref() == Some("timeline"))
        .filter_map(|f| f.json()["data"]["id"].as_i64())
        .collect()
}

fn seqs(frames: &[SseFrame]) -> Vec<i64> {
    frames.iter().map(SseFrame::seq).collect()
}

async fn create_notes(client: &Client, incident_id: i64, count: usize, label: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..count {
        ids.push(
            client
                .create_entry(incident_id, &note(&format!("{label} {i}")), None)
                .await
                .unwrap()
                .value
                .id,
        );
    }
    ids
}

/// Connects, sees one entry arrive, drops the connection, misses 20
/// entries, and comes back with `Last-Event-ID`: every event after the last
/// one seen arrives exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_event_id_resumes_with_nothing_lost_or_repeated() {
    let api = Api::sim(1.0).await;
    let responder = api.responder();
    let id = responder
        .create_incident(&incident("resume"))
        .await
        .unwrap()
        .id;

    let mut stream = RawSse::open(api.http(), &api.url, VIEWER, None, None).await;
    let anchor = responder
        .create_entry(id, &note("anchor"), None)
        .await
        .unwrap()
        .value
        .id;
    let seen = stream
        .collect_until(WAIT, "the anchor entry", |f| entry_ids(f).contains(&anchor))
        .await;
    for frame in &seen {
        // `event:` is the kind, `id:` is the seq, `data:` the Event.
        let event: Event = serde_json::from_str(&frame.data).unwrap();
        assert_eq!(Some(event.kind().as_str()), frame.event.as_deref());
        assert_eq!(event.seq, frame.seq());
    }
    let last = seen.last().unwrap().seq();
    drop(stream);

    let missed = create_notes(&responder, id, 20, "missed").await;
    let mut stream = RawSse::open(api.http(), &api.url, VIEWER, Some(last), None).await;
    let replayed = stream
        .collect_until(WAIT, "the 20 missed entries", |f| {
            missed.iter().all(|m| entry_ids(f).contains(m))
        })
        .await;
    assert_contiguous(&seqs(&replayed), last + 1);
    assert_eq!(
        entry_ids(&replayed),
        missed,
        "each missed entry exactly once, in order"
    );

    // Live events follow the replay on the same connection without a gap.
    let live = responder
        .create_entry(id, &note("live"), None)
        .await
        .unwrap()
        .value
        .id;
    let more = stream
        .collect_until(WAIT, "the live entry", |f| entry_ids(f).contains(&live))
        .await;
    assert_contiguous(&seqs(&more), replayed.last().unwrap().seq() + 1);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_event_id_wins_over_since() {
    let api = Api::sim(1.0).await;
    let responder = api.responder();
    let id = responder
        .create_incident(&incident("header wins"))
        .await
        .unwrap()
        .id;
    let mut stream = RawSse::open(api.http(), &api.url, VIEWER, None, Some(0)).await;
    let made = create_notes(&responder, id, 3, "n").await;
    let all = stream
        .collect_until(WAIT, "three entries", |f| {
            made.iter().all(|m| entry_ids(f).contains(m))
        })
        .await;
    assert_contiguous(&seqs(&all), 1);
    let middle = all
        .iter()
        .find(|f| entry_ids(std::slice::from_ref(f)) == [made[1]])
        .unwrap()
        .seq();

    let mut stream = RawSse::open(api.http(), &api.url, VIEWER, Some(middle), Some(0)).await;
    let first = stream
        .next(WAIT)
        .await
        .expect("an event after the middle one");
    assert_eq!(first.seq(), middle + 1);
    api.stop().await;
}

/// A writer keeps adding entries while a reader drops and resumes its
/// connection three times: the events read over all connections are one
/// contiguous run, and every entry is seen exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_while_events_keep_coming_loses_nothing() {
    let api = Api::sim(1.0).await;
    let responder = api.responder();
    let id = responder
        .create_incident(&incident("busy"))
        .await
        .unwrap()
        .id;
    let mut stream = RawSse::open(api.http(), &api.url, VIEWER, None, Some(0)).await;
    let writer = tokio::spawn({
        let responder = responder.clone();
        async move { create_notes(&responder, id, 150, "busy").await }
    });

    let mut frames = Vec::new();
    for _ in 0..3 {
        // Read a few events, then drop the connection mid-stream.
        let got = stream
            .collect_until(WAIT, "some events", |f| f.len() >= 25)
            .await;
        frames.extend(got);
        let last = frames.last().unwrap().seq();
        drop(stream);
        stream = RawSse::open(api.http(), &api.url, VIEWER, Some(last), None).await;
    }
    let written = writer.await.unwrap();
    let rest = stream
        .collect_until(WAIT, "the rest of the entries", |f| {
            let seen: BTreeSet<i64> = entry_ids(f).into_iter().collect();
            written
                .iter()
                .filter(|w| !seen.contains(w))
                .all(|w| entry_ids(&frames).contains(w))
        })
        .await;
    frames.extend(rest);
    assert_contiguous(&seqs(&frames), 1);
    let ids = entry_ids(&frames);
    assert_eq!(ids, written, "every entry exactly once, in order");
    api.stop().await;
}

/// More missed events than one page of the server's replay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_absence_is_replayed_in_full() {
    let api = Api::sim(1.0).await;
    let responder = api.responder();
    let id = responder
        .create_incident(&incident("long absence"))
        .await
        .unwrap()
        .id;
    let mut written = Vec::new();
    for chunk in 0..11 {
        let batch = join_all((0..60).map(|i| {
            let responder = responder.clone();
            async move {
                responder
                    .create_entry(id, &note(&format!("{chunk}-{i}")), None)
                    .await
                    .unwrap()
                    .value
                    .id
            }
        }))
        .await;
        written.extend(batch);
    }
    let mut stream = RawSse::open(api.http(), &api.url, VIEWER, Some(0), None).await;
    let frames = stream
        .collect_until(WAIT, "660 entries", |f| entry_ids(f).len() >= written.len())
        .await;
    assert_contiguous(&seqs(&frames), 1);
    let mut ids = entry_ids(&frames);
    ids.sort();
    written.sort();
    assert_eq!(ids, written);
    api.stop().await;
}

/// The next event from the client's stream, skipping connection notices.
async fn next_event(stream: &mut EventStream) -> Event {
    loop {
        match tokio::time::timeout(WAIT, stream.next()).await {
            Ok(Some(StreamItem::Event(event))) => return *event,
            Ok(Some(StreamItem::Connected { .. })) => {}
            Ok(Some(StreamItem::Disconnected { error, .. })) => panic!("stream dropped: {error}"),
            Ok(None) => panic!("stream ended"),
            Err(_) => panic!("no event within {WAIT:?}"),
        }
    }
}

fn timeline_id(event: &Event) -> Option<i64> {
    match &event.payload {
        EventPayload::Timeline(entry) => Some(entry.id),
        _ => None,
    }
}

/// The same with the real client, which resumes with `?since=`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_resumes_with_since() {
    let api = Api::sim(1.0).await;
    let responder = api.responder();
    let viewer = api.viewer();
    let id = responder
        .create_incident(&incident("client resume"))
        .await
        .unwrap()
        .id;

    let mut stream = viewer.events(Some(0), StreamSettings::default());
    match tokio::time::timeout(WAIT, stream.next()).await {
        Ok(Some(StreamItem::Connected { resumed, .. })) => assert!(resumed, "since=0 is a resume"),
        other => panic!("expected Connected first, got {other:?}"),
    }
    let first_batch = create_notes(&responder, id, 5, "first").await;
    let mut events = Vec::new();
    while !first_batch
        .iter()
        .all(|m| events.iter().filter_map(timeline_id).any(|t| t == *m))
    {
        events.push(next_event(&mut stream).await);
    }
    let last = events.last().unwrap().seq;
    drop(stream);

    let missed = create_notes(&responder, id, 20, "missed").await;
    let mut stream = viewer.events(Some(last), StreamSettings::default());
    let mut resumed = Vec::new();
    while !missed
        .iter()
        .all(|m| resumed.iter().filter_map(timeline_id).any(|t| t == *m))
    {
        resumed.push(next_event(&mut stream).await);
    }
    let seqs: Vec<i64> = resumed.iter().map(|e| e.seq).collect();
    assert_contiguous(&seqs, last + 1);
    let ids: Vec<i64> = resumed.iter().filter_map(timeline_id).collect();
    assert_eq!(ids, missed);
    // Everything seen over both connections is one run from 1.
    let all: Vec<i64> = events.iter().chain(&resumed).map(|e| e.seq).collect();
    assert_contiguous(&all, 1);
    api.stop().await;
}

/// switch-2017 at 600x: app-04 fails at +0m and its health event arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_events_flow_as_a_scenario_plays() {
    let api = Api::scenario("switch-2017", 600.0).await;
    let mut stream = api.viewer().events(Some(0), StreamSettings::default());
    let mut kinds = BTreeSet::new();
    let down = loop {
        let event = next_event(&mut stream).await;
        kinds.insert(event.kind().as_str());
        if let EventPayload::Health(h) = &event.payload
            && h.component_id == "app-04"
            && h.health.state == HealthState::Down
        {
            break h.clone();
        }
    };
    assert_eq!(down.component, ComponentKind::Server);
    assert_ne!(down.previous, HealthState::Down);
    // Its sites go down with it.
    let topology = api.viewer().topology().await.unwrap();
    let sites: BTreeSet<String> = topology
        .sites
        .iter()
        .filter(|s| s.server == "app-04")
        .map(|s| s.id.clone())
        .collect();
    let mut sites_down = BTreeSet::new();
    while sites_down != sites {
        let event = next_event(&mut stream).await;
        if let EventPayload::Health(h) = &event.payload
            && h.component == ComponentKind::Site
            && h.health.state == HealthState::Down
            && sites.contains(&h.component_id)
        {
            assert!(
                h.down_since.is_some(),
                "site {} down without down_since",
                h.component_id
            );
            sites_down.insert(h.component_id.clone());
        }
    }
    assert!(kinds.contains("health"), "{kinds:?}");
    api.stop().await;
}
