//! Operator/action changes, and the topology version across all calls.

use super::*;
use crate::fleet::FleetError;
use crate::model::{Admin, HealthState, Role};

/// Every health and topology event in `changes` carries `version`.
fn all_carry(changes: &[FleetChange], version: u64) -> bool {
    changes.iter().all(|c| match c {
        FleetChange::Health(e) => e.version == version,
        FleetChange::Topology(e) => e.version == version,
        FleetChange::AlertOpened(_)
        | FleetChange::AlertResolved(_)
        | FleetChange::AlertWorked(_) => true,
    })
}

#[test]
fn version_rises_once_per_changing_call_and_matches_the_snapshot() {
    let mut fleet = fresh();
    assert_eq!(fleet.topology().version, 1);
    let mut last = 1;
    let mut check = |fleet: &Fleet, changes: Vec<FleetChange>| {
        if changes.is_empty() {
            assert_eq!(
                fleet.topology().version,
                last,
                "a call without changes keeps the version"
            );
            return;
        }
        let version = fleet.topology().version;
        assert_eq!(version, last + 1);
        assert!(all_carry(&changes, version), "{changes:#?}");
        last = version;
    };

    let ids: Vec<String> = fleet
        .topology()
        .servers
        .iter()
        .map(|s| s.id.clone())
        .collect();
    let all_ok: Vec<_> = ids.iter().map(|id| ok(id)).collect();
    let changes = fleet.observe(t(0), &all_ok);
    check(&fleet, changes);
    let changes = fleet.observe(t(1), &all_ok);
    check(&fleet, changes);
    for i in 0..3 {
        let changes = fleet.observe(t(10 + i), &[fail("app-03"), fail("app-04")]);
        check(&fleet, changes);
    }
    let changes = fleet.move_site(t(20), "s4", "fo-1").unwrap();
    check(&fleet, changes);
    let changes = fleet.set_admin(t(21), "fo-1", Admin::Drain).unwrap();
    check(&fleet, changes);
    let changes = fleet.set_role(t(22), "app-05", Role::Failover).unwrap();
    check(&fleet, changes);
    let changes = fleet.apply_facts(t(23), &crate::model::WorldFacts::default());
    check(&fleet, changes);
    assert_eq!(
        last, 7,
        "initial build, first probes, sw-2 suspect at the first correlated failures, Down, move, admin, role"
    );
}

#[test]
fn move_site_updates_both_servers_and_the_site() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-03"], 10);
    let changes = fleet.move_site(t(20), "s4", "fo-1").unwrap();
    assert_eq!(server(&fleet, "app-03").site_count, 1);
    assert_eq!(server(&fleet, "fo-1").site_count, 1);
    let s4 = site(&fleet, "s4");
    assert_eq!(
        (s4.server.as_str(), s4.home_server.as_str()),
        ("fo-1", "app-03")
    );
    // On a healthy server the site is back up.
    assert_eq!(s4.health.state, HealthState::Up);
    assert_eq!(s4.down_since, None);
    assert_eq!(
        health_events(&changes, ComponentKind::Site)[0].component_id,
        "s4"
    );

    let topology = topology_events(&changes);
    assert_eq!(topology.len(), 1);
    let servers: Vec<(&str, u32)> = topology[0]
        .servers
        .iter()
        .map(|s| (s.id.as_str(), s.site_count))
        .collect();
    assert_eq!(servers, [("app-03", 1), ("fo-1", 1)]);
    assert_eq!(topology[0].sites, vec![s4.clone()]);

    // The index follows the move: app-03 recovering no longer touches s4.
    let changes = bring_up(&mut fleet, &["app-03"], 30);
    let ids: Vec<&str> = health_events(&changes, ComponentKind::Site)
        .iter()
        .map(|e| e.component_id.as_str())
        .collect();
    assert_eq!(ids, ["s5"]);
    // And fo-1 failing now takes s4 down.
    let changes = take_down(&mut fleet, &["fo-1"], 40);
    let ids: Vec<&str> = health_events(&changes, ComponentKind::Site)
        .iter()
        .map(|e| e.component_id.as_str())
        .collect();
    assert_eq!(ids, ["s4"]);
}

#[test]
fn move_site_refuses_over_capacity_and_changes_nothing() {
    let mut fleet = started();
    fleet.move_site(t(1), "s4", "fo-1").unwrap();
    fleet.move_site(t(2), "s5", "fo-1").unwrap();
    let before = fleet.topology().clone();
    let err = fleet.move_site(t(3), "s6", "fo-1").unwrap_err();
    assert_eq!(
        err,
        FleetError::OverCapacity {
            server: "fo-1".to_string(),
            capacity: 2
        }
    );
    assert_eq!(err.code(), "over_capacity");
    assert_eq!(fleet.topology(), &before);
}

#[test]
fn move_site_refuses_unknown_ids_and_non_hosts() {
    let mut fleet = started();
    let version = fleet.topology().version;
    assert_eq!(
        fleet.move_site(t(1), "nope", "fo-1"),
        Err(FleetError::UnknownSite("nope".to_string()))
    );
    assert_eq!(
        fleet.move_site(t(1), "s1", "nope"),
        Err(FleetError::UnknownServer("nope".to_string()))
    );
    let err = fleet.move_site(t(1), "s1", "web-1").unwrap_err();
    assert_eq!(
        err,
        FleetError::NotSiteHost {
            server: "web-1".to_string(),
            role: Role::Web
        }
    );
    assert_eq!(
        err.to_string(),
        "server 'web-1' is a web server; only app and failover servers host sites"
    );
    assert_eq!(
        fleet.move_site(t(1), "s1", "app-01"),
        Ok(Vec::new()),
        "already there"
    );
    assert_eq!(fleet.topology().version, version);
}

#[test]
fn set_admin_publishes_the_server() {
    let mut fleet = started();
    let changes = fleet.set_admin(t(1), "fo-1", Admin::Maint).unwrap();
    assert_eq!(server(&fleet, "fo-1").admin, Admin::Maint);
    assert_eq!(topology_events(&changes)[0].servers[0].admin, Admin::Maint);
    assert_eq!(fleet.set_admin(t(2), "fo-1", Admin::Maint), Ok(Vec::new()));
    assert_eq!(
        fleet.set_admin(t(2), "nope", Admin::Ready),
        Err(FleetError::UnknownServer("nope".to_string()))
    );
}

#[test]
fn a_drained_failover_server_offers_no_capacity() {
    let mut fleet = started();
    take_down(&mut fleet, &["app-03"], 10);
    assert!(open_alert(&fleet, "failover_capacity:failover-pool").is_none());
    let changes = fleet.set_admin(t(20), "fo-1", Admin::Drain).unwrap();
    assert_eq!(opened(&changes, AlertKind::FailoverCapacity).len(), 1);
}

#[test]
fn set_role_trades_only_between_app_and_failover() {
    let mut fleet = started();
    let changes = fleet.set_role(t(1), "app-05", Role::Failover).unwrap();
    assert_eq!(server(&fleet, "app-05").role, Role::Failover);
    assert_eq!(topology_events(&changes)[0].servers[0].role, Role::Failover);
    fleet.set_role(t(2), "app-05", Role::App).unwrap();
    assert_eq!(server(&fleet, "app-05").role, Role::App);

    let err = fleet.set_role(t(3), "web-1", Role::Failover).unwrap_err();
    assert_eq!(err.code(), "role_change_refused");
    assert!(fleet.set_role(t(3), "app-05", Role::Db).is_err());
    assert_eq!(server(&fleet, "web-1").role, Role::Web);
}
