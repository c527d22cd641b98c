//! Switch correlation (DESIGN.md §4): a switch is suspect as soon as two
//! nodes behind it fail within one probe interval (5 s here) of each other,
//! or one fails while another is down or flapping; it clears once no node
//! behind it has failed for an interval, or only one node has failed within
//! the flapping window (600 s here).

use std::time::Duration;

use super::*;
use crate::fleet::FleetState;
use crate::model::{HealthState, Observation, SwitchHealth};

fn sw(fleet: &Fleet, id: &str) -> SwitchHealth {
    fleet
        .topology()
        .switches
        .iter()
        .find(|s| s.id == id)
        .unwrap()
        .health
}

#[test]
fn two_nodes_failing_within_an_interval_make_the_switch_suspect() {
    let mut fleet = started();
    let changes = fleet.observe(t(10), &[fail("app-03")]);
    assert_eq!(
        sw(&fleet, "sw-2"),
        SwitchHealth::Ok,
        "one failure is no pattern"
    );
    assert!(opened(&changes, AlertKind::SwitchSuspect).is_empty());

    // One failed probe each: neither server is down yet.
    let changes = fleet.observe(t(14), &[fail("app-04")]);
    assert_eq!(server(&fleet, "app-03").health.state, HealthState::Up);
    assert_eq!(server(&fleet, "app-04").health.state, HealthState::Up);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Suspect);
    let events = health_events(&changes, ComponentKind::Switch);
    assert_eq!(events.len(), 1, "{changes:#?}");
    assert_eq!(events[0].health.state, HealthState::Degraded);
    let alerts = opened(&changes, AlertKind::SwitchSuspect);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].opened_at, t(14));
    assert_eq!(
        alerts[0].message,
        "switch sw-2 suspect: app-04 failed a probe at 22:15:14 UTC while app-03 failed a probe at 22:15:10 UTC"
    );
}

#[test]
fn failures_further_apart_than_an_interval_are_not_correlated() {
    let mut fleet = started();
    fleet.observe(t(10), &[fail("app-03")]);
    let changes = fleet.observe(t(16), &[fail("app-04")]);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Ok);
    assert!(opened(&changes, AlertKind::SwitchSuspect).is_empty());
    // Nodes behind different switches never correlate.
    fleet.observe(t(30), &[fail("app-01"), fail("app-03")]);
    assert_eq!(sw(&fleet, "sw-1"), SwitchHealth::Ok);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Ok);
}

#[test]
fn a_node_failing_once_while_another_is_down_makes_the_switch_suspect() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-03"], 10);
    // A down node keeps failing on its own: still one node.
    fleet.observe(t(60), &[fail("app-03")]);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Ok);

    let changes = fleet.observe(t(100), &[fail("app-03"), fail("app-04")]);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Suspect);
    let alerts = opened(&changes, AlertKind::SwitchSuspect);
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].message,
        "switch sw-2 suspect: app-04 failed a probe at 22:16:40 UTC while app-03 has been down since 22:15:12 UTC"
    );
}

#[test]
fn a_node_failing_while_another_flaps_makes_the_switch_suspect() {
    let mut fleet = started();
    // app-02 (rise 1, fall 1) flaps, then stays up longer than an interval.
    for (at, result) in [
        (1, fail("app-02")),
        (2, ok("app-02")),
        (3, fail("app-02")),
        (4, ok("app-02")),
    ] {
        fleet.observe(t(at), &[result]);
    }
    fleet.observe(t(15), &[ok("app-02")]);
    assert_eq!(server(&fleet, "app-02").health.state, HealthState::Flapping);
    // Alone, a flapping node is that node's problem.
    assert_eq!(sw(&fleet, "sw-1"), SwitchHealth::Ok);

    let changes = fleet.observe(t(20), &[fail("app-01")]);
    assert_eq!(sw(&fleet, "sw-1"), SwitchHealth::Suspect);
    let alerts = opened(&changes, AlertKind::SwitchSuspect);
    assert_eq!(
        alerts[0].message,
        "switch sw-1 suspect: app-01 failed a probe at 22:15:20 UTC while app-02 has been flapping since 22:15:04 UTC"
    );
}

#[test]
fn most_nodes_unhealthy_together_still_make_it_suspect_and_all_down_makes_it_down() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-03", "app-04", "app-05"], 10);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Suspect);
    let open = open_alert(&fleet, "switch_suspect:sw-2").unwrap();
    assert_eq!(open.opened_at, t(10));
    assert_eq!(
        open.message,
        "switch sw-2 suspect: app-05 went down at 22:15:12 UTC while app-03 has been down since 22:15:12 UTC and app-04 has been down since 22:15:12 UTC"
    );
    take_down(&mut fleet, &["cache-1"], 20);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Down);
    assert_eq!(
        open_alert(&fleet, "switch_suspect:sw-2").unwrap().message,
        "switch sw-2 down: all 4 nodes behind it down (app-03, app-04, app-05, cache-1)"
    );
}

#[test]
fn the_switch_clears_an_interval_after_the_last_failure_of_a_blip() {
    let mut fleet = started();
    fleet.observe(t(10), &[fail("app-03")]);
    fleet.observe(t(14), &[fail("app-04")]);
    // app-04 failed 3 s ago: the evidence still holds.
    let changes = fleet.observe(t(17), &[ok("app-03"), ok("app-04")]);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Suspect);
    assert!(resolved(&changes, AlertKind::SwitchSuspect).is_empty());
    // 6 s without a failure: it clears, without any server changing state.
    let changes = fleet.observe(t(20), &[ok("app-05")]);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Ok);
    assert!(health_events(&changes, ComponentKind::Server).is_empty());
    let resolved = resolved(&changes, AlertKind::SwitchSuspect);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].resolved_at, Some(t(20)));
}

#[test]
fn a_suspect_switch_stays_suspect_while_one_node_is_down_and_another_failed_lately() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-03"], 10);
    fleet.observe(t(100), &[fail("app-03"), fail("app-04")]);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Suspect);
    // app-04 is fine again, app-03 still down: within the flapping window
    // (600 s) of app-04's failure the switch stays suspect.
    for at in [105, 110, 300, 700] {
        fleet.observe(t(at), &[fail("app-03"), ok("app-04")]);
        assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Suspect, "at +{at}s");
    }
    let alert = open_alert(&fleet, "switch_suspect:sw-2").unwrap();
    assert_eq!(alert.opened_at, t(100));
    assert_eq!(
        alert.message,
        "switch sw-2 suspect: app-04 failed a probe at 22:16:40 UTC while app-03 has been down since 22:15:12 UTC"
    );

    // Then only app-03 is left failing: that is app-03's problem, not the switch's.
    let changes = fleet.observe(t(701), &[fail("app-03"), ok("app-04")]);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Ok);
    assert_eq!(server(&fleet, "app-03").health.state, HealthState::Down);
    let resolved = resolved(&changes, AlertKind::SwitchSuspect);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].resolved_at, Some(t(701)));
}

#[test]
fn a_suspect_switch_clears_once_its_nodes_are_back() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-03", "app-04"], 10);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Suspect);
    // app-03 back, app-04 still down and failing: still suspect.
    bring_up(&mut fleet, &["app-03"], 20);
    fleet.observe(t(25), &[fail("app-04")]);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Suspect);
    let changes = bring_up(&mut fleet, &["app-04"], 40);
    assert_eq!(sw(&fleet, "sw-2"), SwitchHealth::Ok);
    let resolved = resolved(&changes, AlertKind::SwitchSuspect);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].resolved_at, Some(t(41)));
}

#[test]
fn the_last_failure_is_saved_and_an_old_saved_state_still_loads() {
    let mut fleet = started();
    fleet.observe(t(10), &[fail("app-03")]);
    fleet.observe(t(14), &[fail("app-04")]);
    let saved = fleet.state();
    assert_eq!(saved.trackers["app-04"].last_failure, Some(t(14)));
    let json = serde_json::to_value(&saved).unwrap();
    let saved: FleetState = serde_json::from_value(json.clone()).unwrap();
    let mut restored = Fleet::restore(&spec(), &saved, t(15)).unwrap();
    assert_eq!(restored.topology(), fleet.topology());
    // Both still hold app-04's failure at t(17), and both clear at t(20).
    for at in [17, 20] {
        let (a, b) = (
            fleet.observe(t(at), &[ok("app-05")]),
            restored.observe(t(at), &[ok("app-05")]),
        );
        assert_eq!(a, b, "at +{at}s");
    }
    assert_eq!(sw(&restored, "sw-2"), SwitchHealth::Ok);

    // A state saved before failures were kept: no last failure, same verdicts.
    let mut old = json;
    for tracker in old["trackers"].as_object_mut().unwrap().values_mut() {
        tracker.as_object_mut().unwrap().remove("last_failure");
    }
    let old: FleetState = serde_json::from_value(old).unwrap();
    assert!(old.trackers.values().all(|t| t.last_failure.is_none()));
    let restored = Fleet::restore(&spec(), &old, t(15)).unwrap();
    assert_eq!(sw(&restored, "sw-2"), SwitchHealth::Suspect);
}

/// The 2017 outage replayed by the simulator into the fleet, the way the
/// server's detection loop feeds it: sw-2 is suspect within one probe
/// interval of app-05's first failed probe (app-04 down since the start),
/// and never before it. In 2017 that took 73 minutes.
#[test]
fn switch_2017_makes_sw_2_suspect_at_app_05s_first_failure() {
    let spec = FleetSpec::parse("demo.toml", crate::sim::DEMO_FLEET).unwrap();
    let start: Timestamp = "2017-09-11T22:15:00Z".parse().unwrap();
    let interval = TimeDelta::milliseconds(5000);
    let mut sim = crate::sim::Sim::new(&spec, 7, start);
    sim.load_scenario(crate::sim::Scenario::builtin("switch-2017").unwrap());
    let mut fleet = Fleet::new(&spec, start);
    let mut first_failure = None;
    let mut suspect_at = None;
    // app-05 starts flapping at +45m and is away 40 s of every 120 s.
    for _ in 0..(48 * 60) {
        for observation in sim.step(Duration::from_secs(1)) {
            let at = match &observation {
                Observation::Probes { at, results } => {
                    let app_05_failed = results.iter().any(|(id, o)| id == "app-05" && !o.ok);
                    if app_05_failed && first_failure.is_none() {
                        first_failure = Some(*at);
                    }
                    fleet.observe(*at, results);
                    *at
                }
                Observation::World { at, facts } => {
                    fleet.apply_facts(*at, facts);
                    *at
                }
            };
            if suspect_at.is_none() && sw(&fleet, "sw-2") != SwitchHealth::Ok {
                assert!(
                    first_failure.is_some(),
                    "sw-2 suspect at {at} before app-05 ever failed"
                );
                assert_eq!(
                    server(&fleet, "app-04").health.state,
                    HealthState::Down,
                    "app-04 is down when sw-2 becomes suspect"
                );
                suspect_at = Some(at);
            }
        }
        if suspect_at.is_some() {
            break;
        }
    }
    let first_failure = first_failure.expect("app-05 failed a probe within 48 minutes");
    assert!(first_failure >= start + TimeDelta::minutes(45));
    let suspect_at = suspect_at.expect("sw-2 became suspect");
    assert!(
        suspect_at - first_failure <= interval,
        "suspect at {suspect_at}, {}s after app-05's first failure at {first_failure}",
        (suspect_at - first_failure).num_seconds()
    );
    let alert = open_alert(&fleet, "switch_suspect:sw-2").expect("the alert is open");
    assert!(
        alert.message.contains("app-05 failed a probe at") && alert.message.contains("app-04"),
        "{}",
        alert.message
    );
    for other in ["sw-1", "sw-3"] {
        assert_eq!(sw(&fleet, other), SwitchHealth::Ok, "{other}");
    }
}
