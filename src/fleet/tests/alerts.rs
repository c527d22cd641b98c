//! Each alert kind opens once, keeps its id and opening time, and resolves once.

use super::*;
use crate::model::{AlertSeverity, CacheFacts, WorldFacts};

/// Asserts that `changes` open exactly one alert of `kind` and returns it.
fn opens_one(changes: &[FleetChange], kind: AlertKind) -> Alert {
    let alerts = opened(changes, kind);
    assert_eq!(
        alerts.len(),
        1,
        "{kind:?} opened {} times: {changes:#?}",
        alerts.len()
    );
    alerts[0].clone()
}

/// Asserts that `changes` resolve exactly the alert `id` of `kind` at `at`.
fn resolves_one(changes: &[FleetChange], kind: AlertKind, id: &str, at: Timestamp) {
    let alerts = resolved(changes, kind);
    assert_eq!(alerts.len(), 1, "{kind:?} resolved {} times", alerts.len());
    assert_eq!(alerts[0].id, id);
    assert_eq!(alerts[0].resolved_at, Some(at));
}

fn cache_facts(active: &str, stale_clients: u32) -> WorldFacts {
    WorldFacts {
        cache: Some(CacheFacts {
            active: active.to_string(),
            standby: vec![],
            epoch: 1,
            stale_clients,
            code_path_failing: false,
        }),
        ..WorldFacts::default()
    }
}

#[test]
fn server_down_opens_once_and_resolves_once() {
    let mut fleet = started();
    let changes = take_down(&mut fleet, &["app-03"], 10);
    let alert = opens_one(&changes, AlertKind::ServerDown);
    assert_eq!(alert.id, "server_down:app-03");
    assert_eq!(alert.target, "app-03");
    assert_eq!(alert.severity, AlertSeverity::Critical);
    assert_eq!(alert.opened_at, t(12));
    assert_eq!(
        alert.message,
        "app server app-03 behind sw-2 is down; 2 sites run on it"
    );
    assert_eq!(alert.resolved_at, None);

    // Another server failing later does not reopen or re-time it.
    let changes = take_down(&mut fleet, &["web-1"], 20);
    assert!(
        opened(&changes, AlertKind::ServerDown)
            .iter()
            .all(|a| a.id == "server_down:web-1")
    );
    assert_eq!(
        open_alert(&fleet, "server_down:app-03").unwrap().opened_at,
        t(12)
    );

    let changes = bring_up(&mut fleet, &["app-03"], 30);
    resolves_one(&changes, AlertKind::ServerDown, "server_down:app-03", t(31));
    assert!(open_alert(&fleet, "server_down:app-03").is_none());
    let changes = take_down(&mut fleet, &["app-01"], 40);
    assert!(
        resolved(&changes, AlertKind::ServerDown).is_empty(),
        "resolved twice"
    );
}

#[test]
fn server_flapping_opens_and_resolves() {
    let mut fleet = started();
    let mut changes = Vec::new();
    for (at, result) in [
        (1, fail("app-02")),
        (2, ok("app-02")),
        (3, fail("app-02")),
        (4, ok("app-02")),
    ] {
        changes.extend(fleet.observe(t(at), &[result]));
    }
    let alert = opens_one(&changes, AlertKind::ServerFlapping);
    assert_eq!(alert.id, "server_flapping:app-02");
    assert_eq!(
        alert.message,
        "app server app-02 behind sw-1 is flapping: 4 up/down transitions in the last 10 minutes; 1 site runs on it"
    );
    // While it was down in between, server_down opened and resolved.
    assert_eq!(resolved(&changes, AlertKind::ServerDown).len(), 2);
    assert!(open_alert(&fleet, "server_down:app-02").is_none());

    let changes = fleet.observe(t(604), &[ok("app-02")]);
    resolves_one(
        &changes,
        AlertKind::ServerFlapping,
        "server_flapping:app-02",
        t(604),
    );
}

#[test]
fn switch_suspect_states_the_evidence() {
    let mut fleet = started();
    let changes = take_down(&mut fleet, &["app-03"], 10);
    assert!(opened(&changes, AlertKind::SwitchSuspect).is_empty());
    // app-04's first failed probe, while app-03 is down, is enough.
    let changes = take_down(&mut fleet, &["app-04"], 20);
    let alert = opens_one(&changes, AlertKind::SwitchSuspect);
    assert_eq!(alert.id, "switch_suspect:sw-2");
    assert_eq!(alert.opened_at, t(20));
    assert_eq!(
        alert.message,
        "switch sw-2 suspect: app-04 failed a probe at 22:15:20 UTC while app-03 has been down since 22:15:12 UTC"
    );
    assert_eq!(
        open_alert(&fleet, "switch_suspect:sw-2").unwrap().message,
        "switch sw-2 suspect: app-04 went down at 22:15:22 UTC while app-03 has been down since 22:15:12 UTC"
    );

    // A third node keeps the same alert open and refreshes its message.
    let changes = take_down(&mut fleet, &["app-05"], 30);
    assert!(opened(&changes, AlertKind::SwitchSuspect).is_empty());
    assert!(resolved(&changes, AlertKind::SwitchSuspect).is_empty());
    let open = open_alert(&fleet, "switch_suspect:sw-2").unwrap();
    assert_eq!(open.opened_at, t(20));
    assert_eq!(
        open.message,
        "switch sw-2 suspect: app-05 went down at 22:15:32 UTC while app-03 has been down since 22:15:12 UTC and app-04 has been down since 22:15:22 UTC"
    );

    // Two back, one still down: the switch stays under suspicion.
    let changes = bring_up(&mut fleet, &["app-03", "app-04"], 40);
    assert!(resolved(&changes, AlertKind::SwitchSuspect).is_empty());
    let changes = bring_up(&mut fleet, &["app-05"], 50);
    resolves_one(
        &changes,
        AlertKind::SwitchSuspect,
        "switch_suspect:sw-2",
        t(51),
    );
}

#[test]
fn cache_down_and_stale_clients_follow_the_cache() {
    let mut fleet = started();
    let changes = take_down(&mut fleet, &["cache-1"], 10);
    let alert = opens_one(&changes, AlertKind::CacheDown);
    assert_eq!(alert.id, "cache_down:cache-1");
    assert_eq!(
        alert.message,
        "active cache node cache-1 is down; sites that use the cache are degraded"
    );

    // Failover to cache-2 with web servers still on cache-1.
    let changes = fleet.apply_facts(t(20), &cache_facts("cache-2", 3));
    resolves_one(&changes, AlertKind::CacheDown, "cache_down:cache-1", t(20));
    let alert = opens_one(&changes, AlertKind::StaleClients);
    assert_eq!(alert.id, "stale_clients:cache-2");
    assert_eq!(
        alert.message,
        "3 web clients are still connected to a previous cache node after failover to cache-2 (epoch 1); recycle them"
    );

    let changes = fleet.apply_facts(t(30), &cache_facts("cache-2", 0));
    resolves_one(
        &changes,
        AlertKind::StaleClients,
        "stale_clients:cache-2",
        t(30),
    );
}

#[test]
fn database_down_and_stuck_backends_target_the_writer() {
    let mut fleet = started();
    let changes = take_down(&mut fleet, &["db-1"], 10);
    let alert = opens_one(&changes, AlertKind::DatabaseDown);
    assert_eq!(
        (alert.id.as_str(), alert.message.as_str()),
        ("database_down:db-1", "database writer db-1 is down")
    );

    let stuck = WorldFacts {
        stuck_backends: [("s1".to_string(), 3), ("s6".to_string(), 2)].into(),
        ..WorldFacts::default()
    };
    let changes = fleet.apply_facts(t(20), &stuck);
    let alert = opens_one(&changes, AlertKind::StuckBackends);
    assert_eq!(alert.id, "stuck_backends:db-1");
    assert_eq!(
        alert.message,
        "5 backends on 2 sites are stuck on a previous database writer; restart them"
    );

    let changes = bring_up(&mut fleet, &["db-1"], 30);
    resolves_one(
        &changes,
        AlertKind::DatabaseDown,
        "database_down:db-1",
        t(31),
    );
    let changes = fleet.apply_facts(t(40), &WorldFacts::default());
    resolves_one(
        &changes,
        AlertKind::StuckBackends,
        "stuck_backends:db-1",
        t(40),
    );
}

#[test]
fn failover_capacity_warns_when_stranded_sites_exceed_free_slots() {
    let mut fleet = started();
    // app-03's 2 sites fit the 2 free slots on fo-1.
    let changes = take_down(&mut fleet, &["app-03"], 10);
    assert!(opened(&changes, AlertKind::FailoverCapacity).is_empty());
    let changes = take_down(&mut fleet, &["app-04"], 20);
    let alert = opens_one(&changes, AlertKind::FailoverCapacity);
    assert_eq!(alert.id, "failover_capacity:failover-pool");
    assert_eq!(alert.severity, AlertSeverity::Warning);
    assert_eq!(
        alert.message,
        "3 sites are on unhealthy servers but only 2 free slots are left on healthy ready failover servers"
    );

    // Sorted: critical alerts by id, then the warning.
    let ids: Vec<String> = fleet.alerts().into_iter().map(|a| a.id).collect();
    assert_eq!(
        ids,
        [
            "server_down:app-03",
            "server_down:app-04",
            "switch_suspect:sw-2",
            "failover_capacity:failover-pool"
        ]
    );

    // Promoting a healthy app server adds its free slots to the pool.
    let changes = fleet
        .set_role(t(30), "app-01", crate::model::Role::Failover)
        .unwrap();
    resolves_one(
        &changes,
        AlertKind::FailoverCapacity,
        "failover_capacity:failover-pool",
        t(30),
    );
}

fn db_facts(writer: &str, replicas: &[&str]) -> WorldFacts {
    WorldFacts {
        database: Some(crate::model::DatabaseFacts {
            writer: writer.to_string(),
            replicas: replicas.iter().map(|r| r.to_string()).collect(),
            epoch: 2,
        }),
        ..WorldFacts::default()
    }
}

#[test]
fn the_cache_without_a_healthy_standby_warns_until_one_is_back() {
    let mut fleet = started();
    let mut facts = cache_facts("cache-1", 0);
    facts.cache.as_mut().unwrap().standby = vec!["cache-2".into()];
    fleet.apply_facts(t(5), &facts);
    assert!(open_alert(&fleet, "cache_no_standby:cache").is_none());

    // The standby dies: the cache has no failover left.
    let changes = take_down(&mut fleet, &["cache-2"], 10);
    let alert = opens_one(&changes, AlertKind::CacheNoStandby);
    assert_eq!(alert.id, "cache_no_standby:cache");
    assert_eq!(alert.severity, AlertSeverity::Warning);
    assert_eq!(
        alert.message,
        "the cache has no standby: cache-1 is active and cache-2 is down; restore the cache's redundancy"
    );
    // Back up, but out of the pair (it restarted empty): still no standby.
    let mut detached = facts.clone();
    detached.cache.as_mut().unwrap().standby.clear();
    fleet.apply_facts(t(20), &detached);
    bring_up(&mut fleet, &["cache-2"], 30);
    let open = open_alert(&fleet, "cache_no_standby:cache").expect("still open");
    assert_eq!(open.opened_at, t(12));
    assert!(
        open.message.contains("no node follows it"),
        "{}",
        open.message
    );
    // Re-established as the standby: resolved.
    let changes = fleet.apply_facts(t(40), &facts);
    resolves_one(
        &changes,
        AlertKind::CacheNoStandby,
        "cache_no_standby:cache",
        t(40),
    );
}

#[test]
fn the_database_without_a_replica_warns_until_one_is_rebuilt() {
    let mut fleet = started();
    // The writer died and the managed service promoted db-2: no replica left.
    take_down(&mut fleet, &["db-1"], 10);
    let changes = fleet.apply_facts(t(20), &db_facts("db-2", &[]));
    let alert = opens_one(&changes, AlertKind::DatabaseNoReplica);
    assert_eq!(alert.id, "database_no_replica:database");
    assert_eq!(
        alert.message,
        "the database has no replica: db-2 is the writer and no node follows it; rebuild a replica"
    );
    // db-1 coming back does not make it a replica.
    let changes = bring_up(&mut fleet, &["db-1"], 30);
    assert!(resolved(&changes, AlertKind::DatabaseNoReplica).is_empty());
    let changes = fleet.apply_facts(t(40), &db_facts("db-2", &["db-1"]));
    resolves_one(
        &changes,
        AlertKind::DatabaseNoReplica,
        "database_no_replica:database",
        t(40),
    );
}

#[test]
fn no_failover_capacity_warns_when_the_pool_is_full_or_gone() {
    let mut fleet = started();
    assert!(open_alert(&fleet, "failover_capacity:failover-pool").is_none());
    // fo-1 (capacity 2) fills up: nothing stranded, but no capacity left.
    fleet.move_site(t(5), "s1", "fo-1").unwrap();
    let changes = fleet.move_site(t(6), "s2", "fo-1").unwrap();
    let alert = opens_one(&changes, AlertKind::FailoverCapacity);
    assert!(
        alert.message.starts_with("no failover capacity: "),
        "{}",
        alert.message
    );
    let changes = fleet.move_site(t(7), "s2", "app-01").unwrap();
    resolves_one(
        &changes,
        AlertKind::FailoverCapacity,
        "failover_capacity:failover-pool",
        t(7),
    );
    // The only failover server lost: no capacity either.
    let changes = take_down(&mut fleet, &["fo-1"], 10);
    opens_one(&changes, AlertKind::FailoverCapacity);
}
