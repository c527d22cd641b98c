//! Per-server hysteresis, flapping and probe metrics.

use super::*;
use crate::model::HealthState;

#[test]
fn first_success_from_unknown_is_up_at_once() {
    let mut fleet = fresh();
    let changes = fleet.observe(t(5), &[ok("app-01")]);
    let server = server(&fleet, "app-01");
    assert_eq!(server.health.state, HealthState::Up);
    assert_eq!(server.health.since, t(5));
    let events = health_events(&changes, ComponentKind::Server);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].component_id, "app-01");
    assert_eq!(events[0].previous, HealthState::Unknown);
    assert_eq!(events[0].health.state, HealthState::Up);
}

#[test]
fn unknown_goes_down_after_exactly_fall_failures() {
    let mut fleet = fresh();
    fleet.observe(t(1), &[fail("app-01")]);
    fleet.observe(t(2), &[fail("app-01")]);
    assert_eq!(server(&fleet, "app-01").health.state, HealthState::Unknown);
    let changes = fleet.observe(t(3), &[fail("app-01")]);
    assert_eq!(server(&fleet, "app-01").health.state, HealthState::Down);
    assert_eq!(
        health_events(&changes, ComponentKind::Server)[0].previous,
        HealthState::Unknown
    );
}

#[test]
fn up_goes_down_after_exactly_fall_failures_in_a_row() {
    let mut fleet = started();
    // Two failures, then a success: the streak starts over.
    for (at, result) in [
        (1, fail("app-01")),
        (2, fail("app-01")),
        (3, ok("app-01")),
        (4, fail("app-01")),
        (5, fail("app-01")),
    ] {
        assert!(
            fleet.observe(t(at), &[result]).is_empty(),
            "changed at t({at})"
        );
    }
    assert_eq!(server(&fleet, "app-01").health.state, HealthState::Up);
    fleet.observe(t(6), &[fail("app-01")]);
    let health = &server(&fleet, "app-01").health;
    assert_eq!(health.state, HealthState::Down);
    assert_eq!(health.since, t(6));
}

#[test]
fn down_comes_back_after_exactly_rise_successes_in_a_row() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-01"], 10);
    fleet.observe(t(20), &[ok("app-01")]);
    fleet.observe(t(21), &[fail("app-01")]);
    fleet.observe(t(22), &[ok("app-01")]);
    assert_eq!(server(&fleet, "app-01").health.state, HealthState::Down);
    fleet.observe(t(23), &[ok("app-01")]);
    assert_eq!(server(&fleet, "app-01").health.state, HealthState::Up);
    assert_eq!(server(&fleet, "app-01").health.since, t(23));
}

#[test]
fn per_server_settings_override_the_defaults() {
    let mut fleet = started();
    fleet.observe(t(1), &[fail("app-02")]);
    assert_eq!(
        server(&fleet, "app-02").health.state,
        HealthState::Down,
        "fall = 1"
    );
    fleet.observe(t(2), &[ok("app-02")]);
    assert_eq!(
        server(&fleet, "app-02").health.state,
        HealthState::Up,
        "rise = 1"
    );
}

#[test]
fn latency_is_the_last_success_and_error_rate_covers_ten_probes() {
    let mut fleet = started();
    fleet.observe(t(1), &[("app-01".to_string(), ProbeOutcome::up(30.0))]);
    fleet.observe(t(2), &[fail("app-01")]);
    let health = &server(&fleet, "app-01").health;
    assert_eq!(health.latency_ms, Some(30.0));
    assert_eq!(health.error_rate, 1.0 / 3.0);

    // Ten probes later, only the last ten count: 2 failures of 10.
    for i in 0..8 {
        fleet.observe(t(10 + i), &[ok("app-01")]);
    }
    fleet.observe(t(20), &[fail("app-01")]);
    fleet.observe(t(21), &[fail("app-01")]);
    assert_eq!(server(&fleet, "app-01").health.error_rate, 0.2);
}

/// app-02 flips on every probe (rise = fall = 1): Up at t0, then down/up
/// at t1..t4 makes four transitions, one more than the allowed three.
fn flap_app_02(fleet: &mut Fleet) -> Vec<FleetChange> {
    let mut changes = Vec::new();
    for (at, result) in [
        (1, fail("app-02")),
        (2, ok("app-02")),
        (3, fail("app-02")),
        (4, ok("app-02")),
    ] {
        changes.extend(fleet.observe(t(at), &[result]));
    }
    changes
}

#[test]
fn more_than_k_transitions_in_the_window_is_flapping() {
    let mut fleet = started();
    fleet.observe(t(1), &[fail("app-02")]);
    fleet.observe(t(2), &[ok("app-02")]);
    fleet.observe(t(3), &[fail("app-02")]);
    assert_eq!(
        server(&fleet, "app-02").health.state,
        HealthState::Down,
        "3 transitions is not more than 3"
    );
    let changes = fleet.observe(t(4), &[ok("app-02")]);
    let health = &server(&fleet, "app-02").health;
    assert_eq!(health.state, HealthState::Flapping);
    assert_eq!(health.since, t(4));
    assert_eq!(health.transitions, 4);
    let events = health_events(&changes, ComponentKind::Server);
    assert_eq!(events[0].previous, HealthState::Down);
    assert_eq!(events[0].health.state, HealthState::Flapping);
}

#[test]
fn flapping_is_left_only_after_a_quiet_window() {
    let mut fleet = started();
    flap_app_02(&mut fleet);
    // At t602 the transitions at t1 and t2 have left the window; two remain,
    // which is not more than three, but the node must stay quiet for a whole window.
    assert!(fleet.observe(t(602), &[ok("app-02")]).is_empty());
    let health = &server(&fleet, "app-02").health;
    assert_eq!(health.state, HealthState::Flapping);
    assert_eq!(health.transitions, 2);
    fleet.observe(t(603), &[ok("app-02")]);
    assert_eq!(server(&fleet, "app-02").health.state, HealthState::Flapping);
    // The last transition (t4) is a whole window old at t604.
    let changes = fleet.observe(t(604), &[ok("app-02")]);
    let health = &server(&fleet, "app-02").health;
    assert_eq!(health.state, HealthState::Up);
    assert_eq!(health.since, t(604));
    assert_eq!(health.transitions, 0);
    assert_eq!(
        health_events(&changes, ComponentKind::Server)[0].previous,
        HealthState::Flapping
    );
}

#[test]
fn flapping_leaves_to_down_when_the_node_settled_down() {
    let mut fleet = started();
    flap_app_02(&mut fleet);
    fleet.observe(t(5), &[fail("app-02")]);
    assert_eq!(server(&fleet, "app-02").health.state, HealthState::Flapping);
    fleet.observe(t(300), &[fail("app-02")]);
    assert_eq!(server(&fleet, "app-02").health.state, HealthState::Flapping);
    fleet.observe(t(605), &[fail("app-02")]);
    assert_eq!(server(&fleet, "app-02").health.state, HealthState::Down);
}

#[test]
fn transitions_spread_wider_than_the_window_never_flap() {
    let mut fleet = started();
    for i in 1..=12 {
        let result = if i % 2 == 1 {
            fail("app-02")
        } else {
            ok("app-02")
        };
        fleet.observe(t(i * 200), &[result]);
        let health = &server(&fleet, "app-02").health;
        assert_ne!(health.state, HealthState::Flapping, "at t({})", i * 200);
        assert!(health.transitions <= 3);
    }
}

#[test]
fn unknown_server_ids_are_ignored() {
    let mut fleet = started();
    assert!(
        fleet
            .observe(t(1), &[fail("nope"), ok("app-01")])
            .is_empty()
    );
    assert_eq!(fleet.topology().version, 2);
}
