//! Tests of the fleet state machine on a small fleet shaped like the demo:
//! the active cache node sits behind the same switch as three app servers.

mod alerts;
mod correlation;
mod derived;
mod hysteresis;
mod operations;

use chrono::{TimeDelta, TimeZone, Utc};

use super::{Fleet, FleetChange};
use crate::model::{
    Alert, AlertKind, ComponentKind, FleetSpec, HealthEvent, ProbeOutcome, Server, Site, Timestamp,
    TopologyEvent,
};

/// sw-1: app-01, app-02 (rise 1, fall 1), web-1, db-1
/// sw-2: app-03, app-04, app-05, cache-1
/// sw-3: fo-1 (capacity 2), cache-2, db-2
/// Defaults: rise 2, fall 3; flapping = more than 3 transitions in 600 s.
const FLEET: &str = r#"
service = "Test"

[probe_defaults]
rise = 2
fall = 3

[detection]
flap_transitions = 3
flap_window_s = 600

[[switch]]
id = "sw-1"
[[switch]]
id = "sw-2"
[[switch]]
id = "sw-3"

[[server]]
id = "app-01"
role = "app"
switch = "sw-1"
capacity = 4
[[server]]
id = "app-02"
role = "app"
switch = "sw-1"
capacity = 4
rise = 1
fall = 1
[[server]]
id = "web-1"
role = "web"
switch = "sw-1"
[[server]]
id = "db-1"
role = "db"
switch = "sw-1"
[[server]]
id = "app-03"
role = "app"
switch = "sw-2"
capacity = 4
[[server]]
id = "app-04"
role = "app"
switch = "sw-2"
capacity = 4
[[server]]
id = "app-05"
role = "app"
switch = "sw-2"
capacity = 4
[[server]]
id = "cache-1"
role = "cache"
switch = "sw-2"
[[server]]
id = "fo-1"
role = "failover"
switch = "sw-3"
capacity = 2
[[server]]
id = "cache-2"
role = "cache"
switch = "sw-3"
[[server]]
id = "db-2"
role = "db"
switch = "sw-3"

[cache]
active = "cache-1"
standby = ["cache-2"]

[database]
writer = "db-1"
replicas = ["db-2"]

[[site]]
id = "s1"
home = "app-01"
[[site]]
id = "s2"
home = "app-01"
[[site]]
id = "s3"
home = "app-02"
[[site]]
id = "s4"
home = "app-03"
[[site]]
id = "s5"
home = "app-03"
[[site]]
id = "s6"
home = "app-04"
[[site]]
id = "s7"
home = "app-05"
"#;

/// `secs` seconds after the fleet was built.
fn t(secs: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2017, 9, 11, 22, 15, 0).unwrap() + TimeDelta::seconds(secs)
}

fn spec() -> FleetSpec {
    FleetSpec::parse("t.toml", FLEET).unwrap()
}

/// The fleet as built: everything Unknown, version 1.
fn fresh() -> Fleet {
    Fleet::new(&spec(), t(0))
}

/// The fleet after one successful probe of every server at t(0): all Up.
fn started() -> Fleet {
    let mut fleet = fresh();
    let ids: Vec<String> = fleet
        .topology()
        .servers
        .iter()
        .map(|s| s.id.clone())
        .collect();
    let results: Vec<_> = ids.iter().map(|id| ok(id)).collect();
    fleet.observe(t(0), &results);
    fleet
}

fn ok(id: &str) -> (String, ProbeOutcome) {
    (id.to_string(), ProbeOutcome::up(12.0))
}

fn fail(id: &str) -> (String, ProbeOutcome) {
    (id.to_string(), ProbeOutcome::failed("connection refused"))
}

/// Three failed probes of each of `ids` (the default fall), one second apart from `at`.
fn take_down(fleet: &mut Fleet, ids: &[&str], at: i64) -> Vec<FleetChange> {
    let results: Vec<_> = ids.iter().map(|id| fail(id)).collect();
    (0..3)
        .flat_map(|i| fleet.observe(t(at + i), &results))
        .collect()
}

/// Two good probes of each of `ids` (the default rise), one second apart from `at`.
fn bring_up(fleet: &mut Fleet, ids: &[&str], at: i64) -> Vec<FleetChange> {
    let results: Vec<_> = ids.iter().map(|id| ok(id)).collect();
    (0..2)
        .flat_map(|i| fleet.observe(t(at + i), &results))
        .collect()
}

fn server<'a>(fleet: &'a Fleet, id: &str) -> &'a Server {
    fleet
        .topology()
        .servers
        .iter()
        .find(|s| s.id == id)
        .unwrap()
}

fn site<'a>(fleet: &'a Fleet, id: &str) -> &'a Site {
    fleet.topology().sites.iter().find(|s| s.id == id).unwrap()
}

/// Health events about `kind` components.
fn health_events(changes: &[FleetChange], kind: ComponentKind) -> Vec<&HealthEvent> {
    changes
        .iter()
        .filter_map(|c| match c {
            FleetChange::Health(e) if e.component == kind => Some(e),
            _ => None,
        })
        .collect()
}

fn topology_events(changes: &[FleetChange]) -> Vec<&TopologyEvent> {
    changes
        .iter()
        .filter_map(|c| match c {
            FleetChange::Topology(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn opened(changes: &[FleetChange], kind: AlertKind) -> Vec<&Alert> {
    changes
        .iter()
        .filter_map(|c| match c {
            FleetChange::AlertOpened(a) if a.kind == kind => Some(a),
            _ => None,
        })
        .collect()
}

fn resolved(changes: &[FleetChange], kind: AlertKind) -> Vec<&Alert> {
    changes
        .iter()
        .filter_map(|c| match c {
            FleetChange::AlertResolved(a) if a.kind == kind => Some(a),
            _ => None,
        })
        .collect()
}

fn open_alert(fleet: &Fleet, id: &str) -> Option<Alert> {
    fleet.alerts().into_iter().find(|a| a.id == id)
}

#[test]
fn the_test_fleet_parses_as_described() {
    let fleet = fresh();
    let topology = fleet.topology();
    assert_eq!(topology.version, 1);
    assert_eq!(topology.servers.len(), 11);
    assert_eq!(topology.sites.len(), 7);
    assert_eq!(server(&fleet, "app-01").site_count, 2);
    assert_eq!(server(&fleet, "fo-1").site_count, 0);
    let sw2 = topology.switches.iter().find(|s| s.id == "sw-2").unwrap();
    assert_eq!(sw2.nodes, 4);
    assert!(topology.servers.iter().all(|s| s.health.since == t(0)));
    assert_eq!(topology.cache.as_ref().unwrap().active, "cache-1");
    assert_eq!(topology.database.as_ref().unwrap().writer, "db-1");
    assert!(fleet.alerts().is_empty());
}
