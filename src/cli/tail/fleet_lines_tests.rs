use chrono_tz::Tz;

use super::*;
use crate::cli::tail::fixtures::{health, t, topology};
use crate::model::{Cache, Database, HealthEvent, HealthState};

fn health_event(
    component: ComponentKind,
    id: &str,
    from: HealthState,
    to: HealthState,
) -> HealthEvent {
    HealthEvent {
        version: 9,
        component,
        component_id: id.into(),
        previous: from,
        health: health(to),
        down_since: None,
    }
}

#[test]
fn the_summary_line_names_the_api_the_zone_and_the_fleet() {
    let line = summary_line(
        "http://127.0.0.1:7700",
        true,
        t(0),
        Tz::UTC,
        &topology(1),
        1,
    );
    assert_eq!(
        line,
        "22:15:00 connected to http://127.0.0.1:7700 (simulated, times in UTC, 2017-09-11): servers 1 down, 1 up of 2; switches 1 ok; sites 2 down, 2 up of 4; 1 open alert"
    );
}

#[test]
fn site_changes_are_one_line_of_counts_with_the_change() {
    let before = StateCounts {
        up: 383,
        down: 17,
        ..StateCounts::default()
    };
    let after = StateCounts {
        up: 380,
        down: 20,
        ..StateCounts::default()
    };
    assert_eq!(
        site_summary(&before, &after, t(5), Tz::UTC).as_deref(),
        Some("22:15:05 sites: 20 down (+3), 380 of 400 up (-3)")
    );
    // A state that emptied still shows, with its change.
    let flapping = StateCounts {
        up: 380,
        flapping: 20,
        ..StateCounts::default()
    };
    assert_eq!(
        site_summary(&after, &flapping, t(5), Tz::UTC).as_deref(),
        Some("22:15:05 sites: 0 down (-20), 20 flapping (+20), 380 of 400 up")
    );
    assert_eq!(site_summary(&after, &after, t(5), Tz::UTC), None);
}

#[test]
fn server_and_switch_changes_say_from_and_to_with_the_evidence() {
    let down = health_event(
        ComponentKind::Server,
        "app-04",
        HealthState::Up,
        HealthState::Down,
    );
    assert_eq!(
        health_line(&down, t(3), Tz::UTC).as_deref(),
        Some("22:15:03 server app-04: up -> down (error rate 100%)")
    );
    let mut flapping = health_event(
        ComponentKind::Server,
        "app-05",
        HealthState::Down,
        HealthState::Flapping,
    );
    flapping.health.transitions = 4;
    assert_eq!(
        health_line(&flapping, t(3), Tz::UTC).as_deref(),
        Some("22:15:03 server app-05: down -> flapping (4 transitions)")
    );
    let back = health_event(
        ComponentKind::Server,
        "app-04",
        HealthState::Down,
        HealthState::Up,
    );
    assert_eq!(
        health_line(&back, t(3), Tz::UTC).as_deref(),
        Some("22:15:03 server app-04: down -> up (latency 12 ms)")
    );
    let mut suspect = health_event(
        ComponentKind::Switch,
        "sw-2",
        HealthState::Up,
        HealthState::Degraded,
    );
    suspect.health.error_rate = 0.6;
    assert_eq!(
        health_line(&suspect, t(3), Tz::UTC).as_deref(),
        Some("22:15:03 switch sw-2: ok -> suspect (60% of the nodes behind it unhealthy)")
    );
}

#[test]
fn a_site_alone_makes_no_health_line_and_ids_are_sanitized() {
    let site = health_event(
        ComponentKind::Site,
        "s1",
        HealthState::Up,
        HealthState::Down,
    );
    assert_eq!(health_line(&site, t(0), Tz::UTC), None);
    let hostile = health_event(
        ComponentKind::Server,
        "app\x1b[2J",
        HealthState::Up,
        HealthState::Down,
    );
    let line = health_line(&hostile, t(0), Tz::UTC).unwrap();
    assert!(line.contains("server app\\x1b[2J:"), "{line}");
    assert!(!line.chars().any(|c| c.is_control()), "{line}");
}

#[test]
fn cache_and_database_failovers_and_leftovers_are_told() {
    let cache = Cache {
        active: "cache-1".into(),
        standby: vec!["cache-2".into()],
        epoch: 1,
        stale_clients: 0,
        health: health(HealthState::Up),
    };
    let failed_over = Cache {
        active: "cache-2".into(),
        epoch: 2,
        stale_clients: 8,
        ..cache.clone()
    };
    assert_eq!(
        cache_line(&cache, &failed_over, t(0), Tz::UTC).as_deref(),
        Some("22:15:00 cache: active node cache-2 (was cache-1), epoch 2")
    );
    let fewer = Cache {
        stale_clients: 3,
        ..failed_over.clone()
    };
    assert_eq!(cache_line(&failed_over, &fewer, t(0), Tz::UTC), None);
    let clear = Cache {
        stale_clients: 0,
        ..fewer.clone()
    };
    assert_eq!(
        cache_line(&fewer, &clear, t(0), Tz::UTC).as_deref(),
        Some("22:15:00 cache: no stale connections left")
    );
    let db = Database {
        writer: "db-1".into(),
        replicas: vec!["db-2".into()],
        epoch: 1,
        stuck_backends: 0,
        health: health(HealthState::Up),
    };
    let stuck = Database {
        stuck_backends: 34,
        ..db.clone()
    };
    assert_eq!(
        database_line(&db, &stuck, t(0), Tz::UTC).as_deref(),
        Some("22:15:00 database: 34 backends stuck on an old writer")
    );
}
