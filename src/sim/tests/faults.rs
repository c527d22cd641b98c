//! Each fault's effect on probes and world facts.

use super::*;

/// State changes a rise/fall detector (starting up) makes on `oks`.
fn detector_transitions(oks: &[bool], rise: usize, fall: usize) -> usize {
    let (mut up, mut streak, mut transitions) = (true, 0, 0);
    for &ok in oks {
        if ok == up {
            streak = 0;
            continue;
        }
        streak += 1;
        if streak == if up { fall } else { rise } {
            up = !up;
            streak = 0;
            transitions += 1;
        }
    }
    transitions
}

fn oks(obs: &[Observation], id: &str) -> Vec<bool> {
    probes(obs, id).into_iter().map(|(_, p)| p.ok).collect()
}

#[test]
fn server_down_fails_its_probes_until_recovered() {
    let mut sim = sim(10);
    sim.inject(&fault(FaultKind::ServerDown, "app-04")).unwrap();
    let obs = sim.step(secs(30));
    let down = probes(&obs, "app-04");
    assert!(down.len() >= 6);
    for (_, p) in &down {
        assert_eq!(p, &ProbeOutcome::failed("connection timed out"));
    }
    assert!(oks(&obs, "app-05").iter().all(|ok| *ok));
    assert!(oks(&obs, "web-2").iter().all(|ok| *ok));
    sim.inject(&fault(FaultKind::Recover, "app-04")).unwrap();
    assert!(sim.status(1.0).active_faults.is_empty());
    let obs = sim.step(secs(30));
    assert!(oks(&obs, "app-04").iter().all(|ok| *ok));
}

#[test]
fn server_flap_alternates_so_a_detector_sees_flapping() {
    let mut sim = sim(11);
    sim.step(Duration::ZERO);
    sim.inject(&fault(FaultKind::ServerFlap, "app-05")).unwrap();
    let obs = sim.step(secs(15 * 60));
    let seq = oks(&obs, "app-05");
    let failures = seq.iter().filter(|ok| !**ok).count();
    // Away 40 s of every 120 s: a third of the probes fail.
    assert!((55..=65).contains(&failures), "{failures} of {}", seq.len());
    assert!(detector_transitions(&seq, 2, 3) > 3, "{seq:?}");
    let failed = probes(&obs, "app-05")
        .into_iter()
        .find(|(_, p)| !p.ok)
        .unwrap()
        .1;
    assert_eq!(failed.error.as_deref(), Some("connection refused"));
    assert!(oks(&obs, "app-04").iter().all(|ok| *ok));
}

#[test]
fn switch_fault_flaps_every_node_behind_it_independently() {
    let mut sim = sim(12);
    sim.step(Duration::ZERO);
    sim.inject(&fault(FaultKind::SwitchFault, "sw-2")).unwrap();
    let obs = sim.step(secs(15 * 60));
    let behind = ["app-04", "app-05", "app-06", "web-2", "cache-1"];
    let sequences: Vec<Vec<bool>> = behind.iter().map(|id| oks(&obs, id)).collect();
    for (id, seq) in behind.iter().zip(&sequences) {
        assert!(detector_transitions(seq, 2, 3) > 3, "{id}: {seq:?}");
    }
    let first_failure: std::collections::BTreeSet<_> = behind
        .iter()
        .map(|id| {
            probes(&obs, id)
                .into_iter()
                .find(|(_, p)| !p.ok)
                .map(|(at, _)| at)
        })
        .collect();
    assert!(first_failure.len() > 1, "phases differ: {first_failure:?}");
    // Between drops the faulty switch makes answers slow.
    let slow = probes(&obs, "app-04")
        .into_iter()
        .filter_map(|(_, p)| p.latency_ms);
    assert!(
        slow.clone().count() > 0 && slow.clone().all(|l| l >= 72.0),
        "{:?}",
        slow.collect::<Vec<_>>()
    );
    for id in ["app-01", "app-07", "web-1", "cache-2", "db-1"] {
        assert!(oks(&obs, id).iter().all(|ok| *ok), "{id}");
    }
    sim.inject(&fault(FaultKind::Recover, "sw-2")).unwrap();
    let obs = sim.step(secs(300));
    for id in behind {
        assert!(oks(&obs, id).iter().all(|ok| *ok), "{id}");
    }
}

#[test]
fn cache_node_down_fails_its_probes_only() {
    let mut sim = sim(13);
    sim.inject(&fault(FaultKind::CacheNodeDown, "cache-1"))
        .unwrap();
    let obs = sim.step(secs(20));
    assert!(!oks(&obs, "cache-1").is_empty());
    assert!(oks(&obs, "cache-1").iter().all(|ok| !*ok));
    assert!(oks(&obs, "cache-2").iter().all(|ok| *ok));
    let cache = sim.facts().cache.unwrap();
    assert_eq!(
        (
            cache.active.as_str(),
            cache.stale_clients,
            cache.code_path_failing
        ),
        ("cache-1", 0, false)
    );
}

#[test]
fn cache_regression_leaves_stale_clients_that_fail_a_code_path_once_the_old_node_is_gone() {
    let mut sim = sim(14);
    sim.inject(&fault(FaultKind::CacheFailoverRegression, "cache-1"))
        .unwrap();
    sim.step(secs(10));
    sim.cache_failover(None).unwrap();
    let cache = sim.facts().cache.unwrap();
    assert_eq!(cache.active, "cache-2");
    assert_eq!(cache.standby, ["cache-1"]);
    assert_eq!(cache.epoch, 2);
    assert_eq!(cache.stale_clients, 4);
    assert!(!cache.code_path_failing, "the old node still answers");

    sim.inject(&fault(FaultKind::CacheNodeDown, "cache-1"))
        .unwrap();
    let obs = sim.step(secs(1));
    let reported = worlds(&obs);
    assert_eq!(reported.len(), 1);
    assert!(reported[0].1.cache.as_ref().unwrap().code_path_failing);

    for web in ["web-1", "web-2", "web-3"] {
        sim.recycle_web(web).unwrap();
    }
    let cache = sim.facts().cache.unwrap();
    assert_eq!((cache.stale_clients, cache.code_path_failing), (1, true));
    sim.recycle_web("web-3").unwrap();
    assert_eq!(
        sim.facts().cache.unwrap().stale_clients,
        1,
        "recycling twice counts once"
    );
    sim.recycle_web("web-4").unwrap();
    let cache = sim.facts().cache.unwrap();
    assert_eq!((cache.stale_clients, cache.code_path_failing), (0, false));
}

#[test]
fn cache_failover_without_the_regression_leaves_no_stale_clients() {
    let mut sim = sim(15);
    sim.cache_failover(Some("cache-2")).unwrap();
    sim.inject(&fault(FaultKind::CacheNodeDown, "cache-1"))
        .unwrap();
    let cache = sim.facts().cache.unwrap();
    assert_eq!(
        (
            cache.active.as_str(),
            cache.stale_clients,
            cache.code_path_failing
        ),
        ("cache-2", 0, false)
    );
}

#[test]
fn db_master_down_promotes_after_the_delay_and_leaves_backends_stuck() {
    let mut sim = sim(16);
    sim.step(Duration::ZERO);
    sim.inject(&fault(FaultKind::DbMasterDown, "db-1")).unwrap();
    let obs = sim.step(DB_PROMOTION_DELAY - secs(1));
    assert!(oks(&obs, "db-1").iter().all(|ok| !*ok));
    assert!(worlds(&obs).is_empty(), "nothing promoted yet");
    assert_eq!(sim.facts().database.unwrap().writer, "db-1");

    let obs = sim.step(secs(1));
    let reported = worlds(&obs);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].0, start() + chrono::TimeDelta::seconds(90));
    let facts = &reported[0].1;
    let db = facts.database.as_ref().unwrap();
    assert_eq!(
        (db.writer.as_str(), db.replicas.len(), db.epoch),
        ("db-2", 0, 2)
    );
    let stuck = &facts.stuck_backends;
    assert!(
        (25..=85).contains(&stuck.len()),
        "about 35% of 153 sites: {}",
        stuck.len()
    );
    assert!(stuck.values().all(|n| (1..=4).contains(n)), "{stuck:?}");

    let (first, _) = stuck.iter().next().unwrap();
    sim.restart_site(first).unwrap();
    let after = sim.facts().stuck_backends;
    assert_eq!(after.len(), stuck.len() - 1);
    assert!(!after.contains_key(first));

    // No replica is left: the manual failover happens in place and still
    // reconnects every backend.
    sim.db_failover(None).unwrap();
    let facts = sim.facts();
    assert!(facts.stuck_backends.is_empty());
    let db = facts.database.unwrap();
    assert_eq!((db.writer.as_str(), db.epoch), ("db-2", 3));

    // The dead ex-writer is back but outside the cluster until rebuilt.
    assert!(sim.rebuild_replica("db-1").is_err(), "db-1 is still down");
    sim.inject(&fault(FaultKind::Recover, "db-1")).unwrap();
    assert!(sim.facts().database.unwrap().replicas.is_empty());
    assert!(sim.status(1.0).active_faults.is_empty());
    sim.rebuild_replica("db-1").unwrap();
    assert_eq!(sim.facts().database.unwrap().replicas, ["db-1"]);
    assert!(sim.rebuild_replica("db-1").is_err(), "already a replica");
    assert!(sim.rebuild_replica("db-2").is_err(), "the writer");
}

#[test]
fn a_writer_that_recovers_before_the_delay_is_not_replaced() {
    let mut sim = sim(17);
    sim.inject(&fault(FaultKind::DbMasterDown, "db-1")).unwrap();
    sim.step(secs(30));
    sim.inject(&fault(FaultKind::Recover, "db-1")).unwrap();
    sim.step(secs(300));
    let facts = sim.facts();
    assert_eq!(facts.database.unwrap().writer, "db-1");
    assert!(facts.stuck_backends.is_empty());
}

#[test]
fn promotion_waits_for_a_healthy_replica() {
    let mut sim = sim(18);
    sim.inject(&fault(FaultKind::ServerDown, "db-2")).unwrap();
    sim.inject(&fault(FaultKind::DbMasterDown, "db-1")).unwrap();
    sim.step(secs(200));
    assert_eq!(sim.facts().database.unwrap().writer, "db-1");
    assert!(
        sim.db_failover(None).is_err(),
        "no live node to fail over to"
    );
    sim.inject(&fault(FaultKind::Recover, "db-2")).unwrap();
    sim.step(secs(1));
    assert_eq!(sim.facts().database.unwrap().writer, "db-2");
}

#[test]
fn bad_faults_are_refused_with_clear_errors() {
    let mut sim = sim(19);
    let err = sim
        .inject(&fault(FaultKind::ServerDown, "app-99"))
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown server 'app-99'");
    assert_eq!(err.code(), "unknown_target");
    let err = sim
        .inject(&fault(FaultKind::CacheNodeDown, "app-01"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "'app-01' has role app; cache_node_down needs a cache node"
    );
    assert_eq!(err.code(), "wrong_role");
    let err = sim
        .inject(&fault(FaultKind::SwitchFault, "app-01"))
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown switch 'app-01'");
    let err = sim
        .inject(&fault(FaultKind::DbMasterDown, "db-2"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "'db-2' is not the database writer (the writer is db-1)"
    );
    let err = sim
        .inject(&fault(FaultKind::Recover, "nowhere"))
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown server or switch 'nowhere'");
    assert!(sim.status(1.0).active_faults.is_empty());
    // The same fault twice is in force once.
    sim.inject(&fault(FaultKind::ServerFlap, "app-02")).unwrap();
    sim.inject(&fault(FaultKind::ServerFlap, "app-02")).unwrap();
    assert_eq!(sim.status(1.0).active_faults.len(), 1);
}
