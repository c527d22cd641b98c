use std::time::Duration;

use chrono_tz::Tz;

use super::*;
use crate::cli::tail::fixtures::{action, alert, entry, event, health, incident, t, topology};
use crate::model::{ActionState, HealthEvent, StepState};

fn snapshot(entries: usize) -> Snapshot {
    Snapshot {
        topology: topology(5),
        alerts: vec![alert("app-04", 0)],
        incidents: vec![incident(1, 1)],
        timelines: vec![Timeline {
            incident_id: 1,
            entries: (0..entries)
                .map(|i| entry(i as i64 + 1, 1, &format!("note {}", i + 1), 60 + i as i64))
                .collect(),
        }],
        actions: vec![action(
            ActionState::Running,
            &[StepState::Running, StepState::Pending],
        )],
        now: t(300),
    }
}

fn follower(pin: Option<i64>) -> Follower {
    Follower::new(Tz::UTC, pin, None, ApiClock::new(t(300), 1.0))
}

fn started(pin: Option<i64>) -> Follower {
    let mut follower = follower(pin);
    follower.start("http://a:7700", true, snapshot(3));
    follower
}

fn lines_of(follower: &mut Follower, event: Event) -> Vec<String> {
    follower.item(StreamItem::Event(Box::new(event))).lines
}

fn site_down(seq: i64, id: &str, version: u64) -> Event {
    event(
        seq,
        310,
        EventPayload::Health(HealthEvent {
            version,
            component: ComponentKind::Site,
            component_id: id.into(),
            previous: HealthState::Up,
            health: health(HealthState::Down),
            down_since: Some(t(310)),
        }),
    )
}

#[test]
fn the_start_shows_the_fleet_the_alerts_the_incident_and_its_newest_entries() {
    let mut follower = follower(None);
    let lines = follower.start("http://a:7700", true, snapshot(12));
    assert!(
        lines[0].starts_with("22:20:00 connected to http://a:7700 (simulated, times in UTC"),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with("; 1 open alert"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("22:15:00 ALERT critical server_down app-04:"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("22:15:00 incident #1 open: \"Sites down behind sw-2\""),
        "{}",
        lines[2]
    );
    assert_eq!(
        lines[3],
        "22:15:00 #1: 2 earlier timeline entries not shown"
    );
    let notes: Vec<&String> = lines.iter().filter(|l| l.contains(" note, ")).collect();
    assert_eq!(notes.len(), RECENT_ENTRIES);
    assert!(notes[0].ends_with(": note 3"), "{}", notes[0]);
    assert!(notes[9].ends_with(": note 12"), "{}", notes[9]);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("action evacuate_server app-04: step 1/2 running")),
        "{lines:#?}"
    );
    assert_eq!(lines.last().unwrap(), "22:20:00 following live events");
}

#[test]
fn without_an_open_incident_the_start_says_so() {
    let mut follower = follower(None);
    let mut empty = snapshot(0);
    empty.incidents[0].state = crate::model::IncidentState::Resolved;
    empty.timelines.clear();
    let lines = follower.start("http://a:7700", false, empty);
    assert!(
        lines.contains(&"22:20:00 no open incident".to_string()),
        "{lines:#?}"
    );
}

#[test]
fn what_the_snapshot_showed_is_not_printed_again() {
    let mut follower = started(None);
    // The alert's opening, an entry at the version shown, a fleet change
    // the snapshot's topology version includes.
    assert!(
        lines_of(
            &mut follower,
            event(1, 0, EventPayload::Alert(alert("app-04", 0)))
        )
        .is_empty()
    );
    assert!(
        lines_of(
            &mut follower,
            event(2, 60, EventPayload::Timeline(entry(1, 1, "note 1", 60)))
        )
        .is_empty()
    );
    assert!(lines_of(&mut follower, site_down(3, "s3", 5)).is_empty());
    assert!(!follower.sites_pending());
    assert!(
        lines_of(
            &mut follower,
            event(4, 60, EventPayload::Incident(incident(1, 1)))
        )
        .is_empty()
    );
    // An edit of a shown entry is shown, as an edit.
    let mut edited = entry(1, 1, "note 1, corrected", 60);
    edited.version = 2;
    edited.edited_at = Some(t(400));
    let lines = lines_of(&mut follower, event(5, 400, EventPayload::Timeline(edited)));
    assert_eq!(
        lines,
        vec!["22:16:00 #1 edited note, internal, by commander, edited 22:21:40: note 1, corrected"]
    );
}

#[test]
fn an_event_is_printed_once_even_across_a_reconnect_to_another_replica() {
    let mut follower = started(None);
    let note = event(
        10,
        320,
        EventPayload::Timeline(entry(50, 1, "after the snapshot", 320)),
    );
    assert_eq!(lines_of(&mut follower, note.clone()).len(), 1);
    assert!(lines_of(&mut follower, note.clone()).is_empty());

    let lost = follower.item(StreamItem::Disconnected {
        error: "http://a:7700 closed the event stream".into(),
        retry_in: Duration::ZERO,
    });
    assert_eq!(lost.lines.len(), 1);
    assert!(
        lost.lines[0]
            .contains("connection lost: http://a:7700 closed the event stream, retrying now"),
        "{:?}",
        lost.lines
    );
    let back = follower.item(StreamItem::Connected {
        url: "http://b:7700".into(),
        resumed: true,
    });
    assert!(!back.reload);
    assert_eq!(back.lines.len(), 1);
    assert!(
        back.lines[0].ends_with(" reconnected to http://b:7700"),
        "{:?}",
        back.lines
    );
    // The replica replays from the last sequence number: nothing twice.
    assert!(lines_of(&mut follower, note).is_empty());
    let next = event(
        11,
        330,
        EventPayload::Timeline(entry(51, 1, "on the replica", 330)),
    );
    assert_eq!(
        lines_of(&mut follower, next),
        vec!["22:20:30 #1 note, internal, by commander: on the replica"]
    );
    assert_eq!(follower.last_seq(), Some(11));
}

#[test]
fn the_same_connection_error_again_is_not_repeated() {
    let mut follower = started(None);
    let fail = |error: &str| StreamItem::Disconnected {
        error: error.into(),
        retry_in: Duration::from_secs(2),
    };
    assert_eq!(
        follower
            .item(fail("cannot reach http://a:7700"))
            .lines
            .len(),
        1
    );
    assert!(
        follower
            .item(fail("cannot reach http://a:7700"))
            .lines
            .is_empty()
    );
    assert_eq!(
        follower
            .item(fail("timed out talking to http://a:7700"))
            .lines
            .len(),
        1
    );
}

#[test]
fn site_changes_are_summarised_before_the_next_line() {
    let mut follower = started(None);
    for (seq, id) in [(20, "s3"), (21, "s4")] {
        assert!(lines_of(&mut follower, site_down(seq, id, 6)).is_empty());
    }
    assert!(follower.sites_pending());
    let server = event(
        22,
        311,
        EventPayload::Health(HealthEvent {
            version: 6,
            component: ComponentKind::Server,
            component_id: "app-05".into(),
            previous: HealthState::Up,
            health: health(HealthState::Down),
            down_since: None,
        }),
    );
    assert_eq!(
        lines_of(&mut follower, server),
        vec![
            "22:20:10 sites: 4 down (+2), 0 of 4 up (-2)",
            "22:20:11 server app-05: up -> down (error rate 100%)",
        ]
    );
    assert!(!follower.sites_pending());
    // A site that comes back and goes down again before the summary
    // changes no count.
    let mut back = site_down(23, "s1", 7);
    if let EventPayload::Health(h) = &mut back.payload {
        h.health = health(HealthState::Up);
    }
    lines_of(&mut follower, back);
    lines_of(&mut follower, site_down(24, "s1", 7));
    assert!(follower.sites_pending());
    assert_eq!(follower.flush_sites(), None);
}

#[test]
fn alerts_open_and_clear_once() {
    let mut follower = started(None);
    let opened = alert("app-05", 310);
    assert_eq!(
        lines_of(
            &mut follower,
            event(30, 311, EventPayload::Alert(opened.clone()))
        ),
        vec![
            "22:20:11 ALERT critical server_down app-05: app server app-05 behind sw-2 is down; 17 sites run on it"
        ]
    );
    let mut cleared = opened.clone();
    cleared.resolved_at = Some(t(400));
    let lines = lines_of(
        &mut follower,
        event(31, 401, EventPayload::Alert(cleared.clone())),
    );
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("22:21:41 CLEARED server_down app-05 after 1m:"),
        "{}",
        lines[0]
    );
    let mut again = event(32, 402, EventPayload::Alert(cleared));
    again.seq = 32;
    assert!(lines_of(&mut follower, again).is_empty());
}

#[test]
fn a_pinned_incident_hides_the_others() {
    let mut follower = started(Some(1));
    assert!(
        lines_of(
            &mut follower,
            event(40, 320, EventPayload::Incident(incident(2, 1)))
        )
        .is_empty()
    );
    assert!(
        lines_of(
            &mut follower,
            event(
                41,
                320,
                EventPayload::Timeline(entry(60, 2, "elsewhere", 320))
            )
        )
        .is_empty()
    );
    assert_eq!(
        lines_of(
            &mut follower,
            event(42, 320, EventPayload::Timeline(entry(61, 1, "here", 320)))
        )
        .len(),
        1
    );
    // Unpinned, a newly declared incident and its entries are followed.
    let mut all = started(None);
    let declared = lines_of(
        &mut all,
        event(40, 320, EventPayload::Incident(incident(2, 1))),
    );
    assert_eq!(declared.len(), 1);
    assert!(declared[0].contains("incident #2 declared"), "{declared:?}");
    assert_eq!(
        lines_of(
            &mut all,
            event(
                41,
                320,
                EventPayload::Timeline(entry(60, 2, "elsewhere", 320))
            )
        ),
        vec!["22:20:20 #2 note, internal, by commander: elsewhere"]
    );
}

#[test]
fn actions_report_only_their_progress() {
    let mut follower = started(None);
    let progressed = action(
        ActionState::Running,
        &[StepState::Succeeded, StepState::Running],
    );
    let lines = lines_of(
        &mut follower,
        event(50, 320, EventPayload::Action(Box::new(progressed.clone()))),
    );
    assert_eq!(
        lines,
        vec!["22:20:20 action evacuate_server app-04: step 2/2 running: move s2 app-04 -> fo-1"]
    );
    assert!(
        lines_of(
            &mut follower,
            event(51, 321, EventPayload::Action(Box::new(progressed)))
        )
        .is_empty()
    );
}

#[test]
fn a_reconnect_that_may_have_missed_events_reloads_and_prints_the_difference() {
    let mut follower = started(None);
    let step = follower.item(StreamItem::Connected {
        url: "http://a:7700".into(),
        resumed: false,
    });
    assert!(step.reload);
    let mut fresh = snapshot(4);
    fresh.now = t(600);
    fresh.topology.version = 9;
    fresh.topology.servers[1].health = health(HealthState::Down);
    fresh.topology.sites[2].health = health(HealthState::Down);
    fresh.alerts.clear();
    let lines = follower.resync(fresh);
    assert_eq!(
        lines[..2],
        [
            "22:25:00 server app-05: up -> down".to_string(),
            "22:25:00 sites: 3 down (+1), 1 of 4 up (-1)".to_string(),
        ]
    );
    assert!(
        lines[2].starts_with("22:25:00 CLEARED server_down app-04: "),
        "{lines:#?}"
    );
    assert_eq!(lines[3], "22:16:03 #1 note, internal, by commander: note 4");
    assert_eq!(lines.len(), 4, "{lines:#?}");
    // The alert's own closing event, arriving after the reload, is not told twice.
    let mut cleared = alert("app-04", 0);
    cleared.resolved_at = Some(t(500));
    assert!(lines_of(&mut follower, event(60, 500, EventPayload::Alert(cleared))).is_empty());
}

#[test]
fn a_pinned_resolved_incident_is_shown_as_resolved() {
    let mut follower = follower(Some(1));
    let mut resolved = snapshot(1);
    resolved.incidents[0].state = crate::model::IncidentState::Resolved;
    let lines = follower.start("http://a:7700", false, resolved);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("22:15:00 incident #1 resolved: \"Sites down behind sw-2\"")),
        "{lines:#?}"
    );
    assert!(lines.iter().any(|l| l.ends_with(": note 1")), "{lines:#?}");
}
