//! Derived health: switches, sites, cache and database objects.

use std::collections::BTreeMap;

use super::*;
use crate::model::{CacheFacts, DatabaseFacts, HealthState, SwitchHealth, WorldFacts};

fn switch(fleet: &Fleet, id: &str) -> crate::model::Switch {
    fleet
        .topology()
        .switches
        .iter()
        .find(|s| s.id == id)
        .unwrap()
        .clone()
}

fn cache_facts(
    active: &str,
    standby: &str,
    epoch: u32,
    stale_clients: u32,
    code_path_failing: bool,
) -> WorldFacts {
    WorldFacts {
        cache: Some(CacheFacts {
            active: active.to_string(),
            standby: vec![standby.to_string()],
            epoch,
            stale_clients,
            code_path_failing,
        }),
        ..WorldFacts::default()
    }
}

fn stuck(sites: &[(&str, u32)]) -> WorldFacts {
    WorldFacts {
        stuck_backends: sites
            .iter()
            .map(|(id, n)| (id.to_string(), *n))
            .collect::<BTreeMap<_, _>>(),
        ..WorldFacts::default()
    }
}

#[test]
fn one_unhealthy_node_of_four_leaves_the_switch_ok() {
    let mut fleet = started();
    let changes = take_down(&mut fleet, &["app-03"], 10);
    let sw2 = switch(&fleet, "sw-2");
    assert_eq!(sw2.health, SwitchHealth::Ok);
    assert_eq!((sw2.unhealthy_nodes, sw2.nodes), (1, 4));
    assert!(health_events(&changes, ComponentKind::Switch).is_empty());
    // The recount is published as a topology change of the switch.
    let topology = topology_events(&changes);
    assert_eq!(topology.len(), 1);
    assert_eq!(topology[0].switches, vec![sw2]);
}

#[test]
fn a_second_node_failing_while_one_is_down_makes_the_switch_suspect() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-03"], 10);
    let changes = take_down(&mut fleet, &["app-04"], 20);
    let sw2 = switch(&fleet, "sw-2");
    assert_eq!(sw2.health, SwitchHealth::Suspect);
    assert_eq!((sw2.unhealthy_nodes, sw2.nodes), (2, 4));
    let events = health_events(&changes, ComponentKind::Switch);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].component_id, "sw-2");
    assert_eq!(events[0].previous, HealthState::Up);
    assert_eq!(events[0].health.state, HealthState::Degraded);
    // At app-04's first failed probe, only app-03 was unhealthy yet.
    assert_eq!(events[0].health.since, t(20));
    assert_eq!(events[0].health.error_rate, 0.25);
}

#[test]
fn flapping_nodes_count_as_unhealthy() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-01"], 1);
    for (at, result) in [
        (5, fail("app-02")),
        (6, ok("app-02")),
        (7, fail("app-02")),
        (8, ok("app-02")),
    ] {
        fleet.observe(t(at), &[result]);
    }
    assert_eq!(server(&fleet, "app-02").health.state, HealthState::Flapping);
    assert_eq!(switch(&fleet, "sw-1").health, SwitchHealth::Suspect);
}

#[test]
fn a_switch_with_every_node_down_is_down_and_recovers_to_ok() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-03", "app-04", "app-05"], 10);
    assert_eq!(switch(&fleet, "sw-2").health, SwitchHealth::Suspect);
    take_down(&mut fleet, &["cache-1"], 20);
    assert_eq!(switch(&fleet, "sw-2").health, SwitchHealth::Down);
    bring_up(&mut fleet, &["app-03", "app-04", "app-05", "cache-1"], 30);
    let sw2 = switch(&fleet, "sw-2");
    assert_eq!((sw2.health, sw2.unhealthy_nodes), (SwitchHealth::Ok, 0));
}

#[test]
fn a_site_goes_down_with_its_server_and_back_up_with_it() {
    let mut fleet = started();
    assert_eq!(site(&fleet, "s4").health.state, HealthState::Up);
    let changes = take_down(&mut fleet, &["app-03"], 10);
    let s4 = site(&fleet, "s4");
    assert_eq!(s4.health.state, HealthState::Down);
    assert_eq!(s4.health.since, t(12));
    assert_eq!(s4.down_since, Some(t(12)));
    let events = health_events(&changes, ComponentKind::Site);
    let ids: Vec<&str> = events.iter().map(|e| e.component_id.as_str()).collect();
    assert_eq!(ids, ["s4", "s5"], "only the sites on app-03");
    assert_eq!(events[0].down_since, Some(t(12)));
    assert_eq!(site(&fleet, "s6").health.state, HealthState::Up);

    bring_up(&mut fleet, &["app-03"], 20);
    let s4 = site(&fleet, "s4");
    assert_eq!(s4.health.state, HealthState::Up);
    assert_eq!(s4.down_since, None);
}

#[test]
fn sites_are_degraded_while_the_active_cache_node_is_unhealthy() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-03"], 1);
    let changes = take_down(&mut fleet, &["cache-1"], 10);
    assert_eq!(site(&fleet, "s1").health.state, HealthState::Degraded);
    assert_eq!(site(&fleet, "s1").down_since, None);
    assert_eq!(
        site(&fleet, "s4").health.state,
        HealthState::Down,
        "a down server wins"
    );
    let cache_events = health_events(&changes, ComponentKind::Cache);
    assert_eq!(cache_events.len(), 1);
    assert_eq!(cache_events[0].component_id, "cache-1");
    assert_eq!(cache_events[0].health.state, HealthState::Down);
    assert_eq!(
        fleet.topology().cache.as_ref().unwrap().health.state,
        HealthState::Down
    );

    bring_up(&mut fleet, &["cache-1"], 20);
    assert_eq!(site(&fleet, "s1").health.state, HealthState::Up);
}

#[test]
fn a_failing_code_path_degrades_sites_with_an_error_rate() {
    let mut fleet = started();
    let changes = fleet.apply_facts(t(10), &cache_facts("cache-1", "cache-2", 0, 0, true));
    let s1 = site(&fleet, "s1");
    assert_eq!(s1.health.state, HealthState::Degraded);
    assert_eq!(s1.health.error_rate, 0.25);
    assert_eq!(health_events(&changes, ComponentKind::Site).len(), 7);
    fleet.apply_facts(t(20), &cache_facts("cache-1", "cache-2", 0, 0, false));
    assert_eq!(site(&fleet, "s1").health.state, HealthState::Up);
}

#[test]
fn stuck_backends_make_a_site_down_until_cleared() {
    let mut fleet = started();
    let changes = fleet.apply_facts(t(10), &stuck(&[("s1", 3), ("s6", 2)]));
    assert_eq!(site(&fleet, "s1").health.state, HealthState::Down);
    assert_eq!(site(&fleet, "s1").stuck_backends, 3);
    assert_eq!(site(&fleet, "s1").down_since, Some(t(10)));
    assert_eq!(site(&fleet, "s2").health.state, HealthState::Up);
    assert_eq!(
        fleet.topology().database.as_ref().unwrap().stuck_backends,
        5
    );
    let topology = topology_events(&changes);
    let sites: Vec<&str> = topology[0].sites.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(sites, ["s1", "s6"]);
    assert_eq!(topology[0].database.as_ref().unwrap().stuck_backends, 5);

    fleet.apply_facts(t(20), &stuck(&[("s6", 1)]));
    assert_eq!(site(&fleet, "s1").health.state, HealthState::Up);
    assert_eq!(site(&fleet, "s1").stuck_backends, 0);
    assert_eq!(
        fleet.topology().database.as_ref().unwrap().stuck_backends,
        1
    );
    fleet.apply_facts(t(30), &WorldFacts::default());
    assert_eq!(site(&fleet, "s6").health.state, HealthState::Up);
    assert_eq!(
        fleet.topology().database.as_ref().unwrap().stuck_backends,
        0
    );
}

#[test]
fn down_since_survives_down_and_flapping_and_clears_on_up() {
    let mut fleet = started();
    let s3_after = |fleet: &mut Fleet, at: i64, up: bool| {
        fleet.observe(t(at), &[if up { ok("app-02") } else { fail("app-02") }]);
        let s3 = site(fleet, "s3");
        (s3.health.state, s3.down_since)
    };
    s3_after(&mut fleet, 1, false);
    s3_after(&mut fleet, 2, true);
    assert_eq!(
        s3_after(&mut fleet, 3, false),
        (HealthState::Down, Some(t(3)))
    );
    assert_eq!(
        s3_after(&mut fleet, 4, true),
        (HealthState::Flapping, Some(t(3)))
    );
    assert_eq!(
        s3_after(&mut fleet, 5, false),
        (HealthState::Flapping, Some(t(3)))
    );
    // Quiet for a whole window after the last transition (t5): back to Down.
    assert_eq!(
        s3_after(&mut fleet, 605, false),
        (HealthState::Down, Some(t(3)))
    );
    assert_eq!(site(&fleet, "s3").health.since, t(605));
    assert_eq!(s3_after(&mut fleet, 606, true), (HealthState::Up, None));
}

#[test]
fn the_database_follows_its_writer() {
    let mut fleet = started();
    let changes = take_down(&mut fleet, &["db-1"], 10);
    let events = health_events(&changes, ComponentKind::Database);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].component_id, "db-1");
    assert_eq!(events[0].previous, HealthState::Up);

    let promoted = WorldFacts {
        database: Some(DatabaseFacts {
            writer: "db-2".to_string(),
            replicas: vec![],
            epoch: 1,
        }),
        ..WorldFacts::default()
    };
    let changes = fleet.apply_facts(t(20), &promoted);
    let database = fleet.topology().database.clone().unwrap();
    assert_eq!((database.writer.as_str(), database.epoch), ("db-2", 1));
    assert_eq!(database.health.state, HealthState::Up);
    let events = health_events(&changes, ComponentKind::Database);
    assert_eq!(events[0].component_id, "db-2");
    assert_eq!(events[0].previous, HealthState::Down);
    assert_eq!(
        topology_events(&changes)[0].database.as_ref(),
        Some(&database)
    );
    // From now on db-2's health is the database's.
    let changes = take_down(&mut fleet, &["db-2"], 30);
    assert_eq!(
        health_events(&changes, ComponentKind::Database)[0].component_id,
        "db-2"
    );
}

#[test]
fn a_cache_failover_moves_the_cache_health_to_the_new_active_node() {
    let mut fleet = started();
    take_down(&mut fleet, &["cache-1"], 10);
    let changes = fleet.apply_facts(t(20), &cache_facts("cache-2", "cache-1", 1, 3, false));
    let cache = fleet.topology().cache.clone().unwrap();
    assert_eq!(
        (cache.active.as_str(), cache.epoch, cache.stale_clients),
        ("cache-2", 1, 3)
    );
    assert_eq!(cache.standby, ["cache-1"]);
    assert_eq!(cache.health.state, HealthState::Up);
    let events = health_events(&changes, ComponentKind::Cache);
    assert_eq!(events[0].component_id, "cache-2");
    assert_eq!(events[0].previous, HealthState::Down);
    assert_eq!(topology_events(&changes)[0].cache.as_ref(), Some(&cache));
    // The old node no longer degrades sites.
    assert_eq!(site(&fleet, "s1").health.state, HealthState::Up);
    // The same facts again change nothing.
    assert!(
        fleet
            .apply_facts(t(30), &cache_facts("cache-2", "cache-1", 1, 3, false))
            .is_empty()
    );
}

#[test]
fn switch_rule_needs_two_failing_nodes_and_holds_while_one_still_fails() {
    use crate::fleet::derive::{SwitchCount, switch_health};
    let count = |nodes, down, unhealthy, failing, implicated| SwitchCount {
        nodes,
        down,
        unhealthy,
        failing,
        implicated,
    };
    let (ok, suspect) = (SwitchHealth::Ok, SwitchHealth::Suspect);
    // (previous, count) -> health
    let cases = [
        ((ok, count(4, 1, 1, 1, 1)), ok),
        ((ok, count(4, 1, 1, 1, 2)), ok),
        ((ok, count(4, 0, 0, 2, 2)), suspect),
        ((ok, count(5, 1, 1, 2, 2)), suspect),
        ((ok, count(40, 2, 2, 2, 2)), suspect),
        ((suspect, count(4, 1, 1, 1, 2)), suspect),
        ((suspect, count(4, 1, 1, 1, 1)), ok),
        ((suspect, count(4, 0, 0, 0, 3)), ok),
        ((SwitchHealth::Down, count(4, 3, 3, 3, 4)), suspect),
        ((ok, count(2, 2, 2, 2, 2)), SwitchHealth::Down),
        ((ok, count(1, 1, 1, 1, 1)), ok),
        ((suspect, count(1, 1, 1, 1, 1)), ok),
        ((ok, count(0, 0, 0, 0, 0)), ok),
    ];
    for ((previous, count), expected) in cases {
        assert_eq!(
            switch_health(previous, count),
            expected,
            "{previous:?} with {count:?}"
        );
    }
}

#[test]
fn stale_clients_reported_by_the_nodes_open_and_close_the_alert_and_keep_the_roles() {
    let mut fleet = started();
    let reported = |n| WorldFacts {
        stale_cache_clients: Some(n),
        ..WorldFacts::default()
    };
    let before = fleet.topology().cache.clone().expect("a cache");
    let changes = fleet.apply_facts(t(10), &reported(2));
    let cache = fleet.topology().cache.clone().expect("a cache");
    assert_eq!(cache.stale_clients, 2);
    assert_eq!(
        (&cache.active, &cache.standby, cache.epoch),
        (&before.active, &before.standby, before.epoch),
        "a count alone never moves the roles"
    );
    assert_eq!(opened(&changes, AlertKind::StaleClients).len(), 1);
    // The same count again changes nothing.
    assert!(fleet.apply_facts(t(11), &reported(2)).is_empty());
    // Facts without a count leave it as it was.
    fleet.apply_facts(t(12), &WorldFacts::default());
    assert_eq!(
        fleet.topology().cache.as_ref().map(|c| c.stale_clients),
        Some(2)
    );
    let changes = fleet.apply_facts(t(20), &reported(0));
    assert_eq!(resolved(&changes, AlertKind::StaleClients).len(), 1);
}
