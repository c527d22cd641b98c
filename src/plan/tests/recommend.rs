//! `recommend` on the demo fleet driven through the real `Fleet`, so the
//! alerts are the ones detection opens for the same probes.

use std::collections::BTreeMap;

use chrono::{TimeDelta, TimeZone, Utc};

use crate::fleet::Fleet;
use crate::model::{
    Admin, Alert, AlertKind, CacheFacts, FleetSpec, PlanKind, ProbeOutcome, Recommendation, Role,
    Timestamp, WorldFacts,
};
use crate::plan::{PlannerSettings, recommend};
use crate::sim::DEMO_FLEET;

fn t(secs: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2017, 9, 11, 22, 15, 0).unwrap() + TimeDelta::seconds(secs)
}

/// The demo fleet, every server probed up once at t(0).
fn started() -> Fleet {
    let spec = FleetSpec::parse("demo.toml", DEMO_FLEET).unwrap();
    let mut fleet = Fleet::new(&spec, t(0));
    let all: Vec<(String, ProbeOutcome)> = fleet
        .topology()
        .servers
        .iter()
        .map(|s| (s.id.clone(), ProbeOutcome::up(10.0)))
        .collect();
    fleet.observe(t(0), &all);
    fleet
}

/// `n` failed probes of each of `ids`, one second apart from `at`.
fn fail(fleet: &mut Fleet, ids: &[&str], at: i64, n: i64) {
    let results: Vec<_> = ids
        .iter()
        .map(|id| (id.to_string(), ProbeOutcome::failed("timed out")))
        .collect();
    for i in 0..n {
        fleet.observe(t(at + i), &results);
    }
}

/// Down: three failed probes (the demo's fall).
fn down(fleet: &mut Fleet, ids: &[&str], at: i64) {
    fail(fleet, ids, at, 3);
}

fn up(fleet: &mut Fleet, ids: &[&str], at: i64) {
    let results: Vec<_> = ids
        .iter()
        .map(|id| (id.to_string(), ProbeOutcome::up(10.0)))
        .collect();
    for i in 0..2 {
        fleet.observe(t(at + i), &results);
    }
}

fn recs(fleet: &Fleet, at: i64) -> Vec<Recommendation> {
    let settings = PlannerSettings {
        normal: fleet.normal().clone(),
        ..PlannerSettings::default()
    };
    recommend(fleet.topology(), &fleet.alerts(), t(at), &settings)
}

/// (kind, target) of each recommendation, in order.
fn kinds(recs: &[Recommendation]) -> Vec<(PlanKind, Option<&str>)> {
    recs.iter()
        .map(|r| (r.request.kind, r.request.target.as_deref()))
        .collect()
}

fn alert(fleet: &Fleet, id: &str) -> Alert {
    fleet
        .alerts()
        .into_iter()
        .find(|a| a.id == id)
        .unwrap_or_else(|| panic!("no alert {id}: {:#?}", fleet.alerts()))
}

fn sites_on(fleet: &Fleet, server: &str) -> Vec<String> {
    fleet
        .topology()
        .sites
        .iter()
        .filter(|s| s.server == server)
        .map(|s| s.id.clone())
        .collect()
}

#[test]
fn a_healthy_fleet_gets_nothing() {
    let fleet = started();
    assert!(fleet.alerts().is_empty());
    assert_eq!(recs(&fleet, 10), vec![]);
}

#[test]
fn a_down_server_gets_its_evacuation() {
    let mut fleet = started();
    down(&mut fleet, &["app-01"], 10);
    let recs = recs(&fleet, 20);
    assert_eq!(
        kinds(&recs),
        vec![(PlanKind::EvacuateServer, Some("app-01"))]
    );
    let rec = &recs[0];
    assert_eq!(
        rec.reason,
        "app-01 is down: move its 17 sites to fo-1 and fo-2"
    );
    assert_eq!(rec.alert_kind, Some(AlertKind::ServerDown));
    assert_eq!(rec.alerts, vec!["server_down:app-01".to_string()]);
    assert_eq!(rec.since, alert(&fleet, "server_down:app-01").opened_at);
}

#[test]
fn a_suspect_switch_gets_one_evacuation_covering_its_servers() {
    let mut fleet = started();
    down(&mut fleet, &["app-04"], 10);
    // app-05 fails once while app-04 is down: sw-2 is suspect.
    fail(&mut fleet, &["app-05"], 60, 1);
    let recs = recs(&fleet, 61);
    assert_eq!(kinds(&recs), vec![(PlanKind::EvacuateSwitch, Some("sw-2"))]);
    let rec = &recs[0];
    // 51 sites behind sw-2, 40 free failover slots.
    assert_eq!(
        rec.reason,
        "sw-2 is suspect (app-04 down): move 40 of its 51 sites to fo-1 and fo-2 in one plan; \
         11 sites cannot be placed yet: the plan offers promoting app-01, app-02, app-03 and app-07 first"
    );
    assert_eq!(rec.alert_kind, Some(AlertKind::SwitchSuspect));
    assert_eq!(
        rec.alerts,
        vec![
            "server_down:app-04".to_string(),
            "switch_suspect:sw-2".to_string()
        ]
    );
    // The oldest alert it answers: app-04's.
    assert_eq!(rec.since, alert(&fleet, "server_down:app-04").opened_at);

    // A server down elsewhere still gets its own, after the switch.
    down(&mut fleet, &["app-09"], 62);
    let recs = self::recs(&fleet, 70);
    assert_eq!(
        kinds(&recs),
        vec![
            (PlanKind::EvacuateSwitch, Some("sw-2")),
            (PlanKind::EvacuateServer, Some("app-09"))
        ]
    );
}

#[test]
fn server_evacuations_come_most_sites_first_then_by_id() {
    let mut fleet = started();
    // app-04 loses one site to fo-2: 16 left; app-01 and app-07 keep 17.
    let site = sites_on(&fleet, "app-04")[0].clone();
    fleet.move_site(t(5), &site, "fo-2").unwrap();
    // One node per switch: no switch is suspect.
    down(&mut fleet, &["app-07", "app-04", "app-01"], 10);
    assert!(
        fleet
            .alerts()
            .iter()
            .all(|a| a.kind != AlertKind::SwitchSuspect)
    );
    let recs = recs(&fleet, 20);
    assert_eq!(
        kinds(&recs),
        vec![
            (PlanKind::EvacuateServer, Some("app-01")),
            (PlanKind::EvacuateServer, Some("app-07")),
            (PlanKind::EvacuateServer, Some("app-04")),
        ]
    );
}

#[test]
fn an_evacuated_server_is_not_offered_again() {
    let mut fleet = started();
    down(&mut fleet, &["app-01"], 10);
    for (i, site) in sites_on(&fleet, "app-01").iter().enumerate() {
        let to = if i % 2 == 0 { "fo-1" } else { "fo-2" };
        fleet.move_site(t(20), site, to).unwrap();
    }
    fleet.set_admin(t(20), "app-01", Admin::Drain).unwrap();
    assert!(alert(&fleet, "server_down:app-01").resolved_at.is_none());
    assert_eq!(recs(&fleet, 30), vec![], "the alert is still open");
}

#[test]
fn database_then_stuck_backends() {
    let mut fleet = started();
    down(&mut fleet, &["db-1"], 10);
    let stuck: BTreeMap<String, u32> = sites_on(&fleet, "app-02")
        .into_iter()
        .take(3)
        .map(|s| (s, 2))
        .collect();
    fleet.apply_facts(
        t(20),
        &WorldFacts {
            stuck_backends: stuck,
            ..WorldFacts::default()
        },
    );
    let recs = recs(&fleet, 30);
    assert_eq!(
        kinds(&recs),
        vec![
            (PlanKind::DbFailover, Some("db-2")),
            (PlanKind::RestartSites, None)
        ]
    );
    assert_eq!(
        recs[0].reason,
        "database writer db-1 is down: make db-2 the writer (a forced failover: type db-2 to confirm)"
    );
    assert_eq!(recs[0].alert_kind, Some(AlertKind::DatabaseDown));
    assert_eq!(
        recs[1].reason,
        "6 backends on 3 sites stuck on a previous database writer: restart them"
    );
    assert_eq!(recs[1].alerts, vec!["stuck_backends:db-1".to_string()]);
}

#[test]
fn cache_down_then_stale_clients() {
    let mut fleet = started();
    down(&mut fleet, &["cache-1"], 10);
    let recs = self::recs(&fleet, 20);
    assert_eq!(
        kinds(&recs),
        vec![(PlanKind::CacheFailover, Some("cache-2"))]
    );
    assert_eq!(
        recs[0].reason,
        "active cache node cache-1 is down: make cache-2 the active cache node"
    );

    // After the failover, three web servers keep stale connections.
    fleet.apply_facts(
        t(30),
        &WorldFacts {
            cache: Some(CacheFacts {
                active: "cache-2".into(),
                standby: vec!["cache-1".into()],
                epoch: 1,
                stale_clients: 3,
                code_path_failing: false,
            }),
            ..WorldFacts::default()
        },
    );
    let recs = self::recs(&fleet, 40);
    assert_eq!(kinds(&recs)[0], (PlanKind::RecycleWeb, None));
    assert_eq!(
        recs[0].reason,
        "3 web clients are still connected to an old cache node: restart web-1, web-2, web-3 and web-4 one at a time"
    );
    assert_eq!(recs[0].alert_kind, Some(AlertKind::StaleClients));
}

#[test]
fn short_capacity_gets_a_spare_only_when_no_evacuation_is_offered() {
    let mut fleet = started();
    fleet.set_admin(t(5), "fo-1", Admin::Drain).unwrap();
    fleet.set_admin(t(5), "fo-2", Admin::Drain).unwrap();
    alert(&fleet, "failover_capacity:failover-pool");
    let recs = self::recs(&fleet, 10);
    assert_eq!(kinds(&recs), vec![(PlanKind::PromoteSpare, Some("app-01"))]);
    assert_eq!(
        recs[0].reason,
        "failover capacity is short: promote app-01 into the failover pool (3 free slots)"
    );
    assert_eq!(recs[0].alert_kind, Some(AlertKind::FailoverCapacity));

    // With a server down the evacuation comes first and carries the offer.
    down(&mut fleet, &["app-09"], 10);
    let recs = self::recs(&fleet, 20);
    assert_eq!(
        kinds(&recs),
        vec![(PlanKind::EvacuateServer, Some("app-09"))]
    );
    assert_eq!(
        recs[0].reason,
        "app-09 is down: no failover slot is free for its 17 sites; 17 sites cannot be placed yet: \
         the plan offers promoting app-01, app-02, app-03, app-04 and 2 more first"
    );
}

#[test]
fn failback_waits_for_a_stable_home_and_has_no_alert() {
    let mut fleet = started();
    down(&mut fleet, &["app-01"], 10);
    for site in sites_on(&fleet, "app-01") {
        fleet.move_site(t(20), &site, "fo-2").unwrap();
    }
    up(&mut fleet, &["app-01"], 100);
    // Up since t(101); failback needs 300 s stable.
    assert_eq!(recs(&fleet, 300), vec![]);
    let recs = recs(&fleet, 401);
    assert_eq!(kinds(&recs), vec![(PlanKind::Failback, Some("app-01"))]);
    assert_eq!(
        recs[0].reason,
        "app-01 is up and stable again: move 17 sites back home"
    );
    assert_eq!(recs[0].alert_kind, None);
    assert!(recs[0].alerts.is_empty());
    assert_eq!(recs[0].since, t(401));
}

#[test]
fn promoted_spares_are_demoted_when_nothing_is_down() {
    let mut fleet = started();
    fleet.set_role(t(5), "app-09", Role::Failover).unwrap();
    let recs = self::recs(&fleet, 10);
    assert_eq!(kinds(&recs), vec![(PlanKind::DemoteSpares, None)]);
    assert_eq!(
        recs[0].reason,
        "app-09 carries no other server's sites and nothing is down: return it to the app role"
    );
    down(&mut fleet, &["app-01"], 20);
    let recs = self::recs(&fleet, 30);
    assert!(
        recs.iter()
            .all(|r| r.request.kind != PlanKind::DemoteSpares),
        "{recs:#?}"
    );
}

#[test]
fn restoring_the_cache_standby_comes_last() {
    let mut fleet = started();
    // The cache failed over to cache-2 and nothing follows it; app-01 is down.
    fleet.apply_facts(
        t(5),
        &WorldFacts {
            cache: Some(CacheFacts {
                active: "cache-2".into(),
                standby: vec![],
                epoch: 1,
                stale_clients: 0,
                code_path_failing: false,
            }),
            ..WorldFacts::default()
        },
    );
    down(&mut fleet, &["app-01"], 10);
    let recs = recs(&fleet, 400);
    let kinds = kinds(&recs);
    assert_eq!(
        kinds.first(),
        Some(&(PlanKind::EvacuateServer, Some("app-01")))
    );
    let last = recs.last().unwrap();
    assert_eq!(last.request.kind, PlanKind::RestoreCache);
    assert_eq!(last.alert_kind, Some(AlertKind::CacheNoStandby));
    assert!(
        last.reason.starts_with("the cache has no standby: "),
        "{}",
        last.reason
    );
}

#[test]
fn resolved_alerts_are_ignored_and_silenced_ones_count() {
    let mut fleet = started();
    down(&mut fleet, &["app-01"], 10);
    let settings = PlannerSettings::default();
    let mut alerts = fleet.alerts();
    alerts[0].silenced = Some(crate::model::AlertSilence {
        by: "ops".into(),
        at: t(15),
        until: t(9000),
        reason: "known".into(),
    });
    assert_eq!(
        recommend(fleet.topology(), &alerts, t(20), &settings).len(),
        1
    );
    alerts[0].resolved_at = Some(t(16));
    assert_eq!(
        recommend(fleet.topology(), &alerts, t(20), &settings),
        vec![]
    );
}

#[test]
fn the_same_inputs_give_the_same_list_whatever_the_alert_order() {
    let mut fleet = started();
    // One node behind each switch.
    down(&mut fleet, &["app-09", "db-1", "cache-1"], 10);
    let settings = PlannerSettings::default();
    let alerts = fleet.alerts();
    let first = recommend(fleet.topology(), &alerts, t(20), &settings);
    assert_eq!(
        kinds(&first),
        vec![
            (PlanKind::EvacuateServer, Some("app-09")),
            (PlanKind::DbFailover, Some("db-2")),
            (PlanKind::CacheFailover, Some("cache-2")),
        ]
    );
    let mut reversed = alerts.clone();
    reversed.reverse();
    assert_eq!(
        recommend(fleet.topology(), &reversed, t(20), &settings),
        first
    );
    assert_eq!(
        recommend(fleet.topology(), &alerts, t(20), &settings),
        first
    );
}
