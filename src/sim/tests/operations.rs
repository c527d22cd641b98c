//! Operator operations on the simulated world.

use super::*;

#[test]
fn move_site_respects_roles_and_capacity() {
    let mut sim = sim(20);
    assert_eq!(sim.site_server("site-052"), Some("app-04"));
    sim.move_site("site-052", "fo-1").unwrap();
    assert_eq!(sim.site_server("site-052"), Some("fo-1"));
    sim.move_site("site-052", "fo-1").unwrap();

    let err = sim.move_site("site-052", "web-1").unwrap_err();
    assert_eq!(err.code(), "wrong_role");
    let err = sim.move_site("site-999", "fo-1").unwrap_err();
    assert_eq!(err.to_string(), "unknown site 'site-999'");
    let err = sim.move_site("site-001", "fo-9").unwrap_err();
    assert_eq!(err.to_string(), "unknown server 'fo-9'");

    // fo-1 holds 20: site-052 plus 19 more, then it is full.
    for n in 53..72 {
        sim.move_site(&format!("site-{n:03}"), "fo-1").unwrap();
    }
    let err = sim.move_site("site-072", "fo-1").unwrap_err();
    assert_eq!(err.to_string(), "'fo-1' is full (20 of 20 sites)");
    assert_eq!(sim.site_server("site-072"), Some("app-05"));
}

#[test]
fn set_role_moves_servers_between_app_and_failover_only() {
    let mut sim = sim(21);
    sim.set_role("app-09", Role::Failover).unwrap();
    assert_eq!(sim.role("app-09"), Some(Role::Failover));
    sim.set_role("app-09", Role::App).unwrap();
    assert_eq!(sim.role("app-09"), Some(Role::App));
    assert_eq!(
        sim.set_role("app-09", Role::Db).unwrap_err().code(),
        "refused"
    );
    assert_eq!(
        sim.set_role("web-1", Role::Failover).unwrap_err().code(),
        "wrong_role"
    );
    assert_eq!(sim.role("web-1"), Some(Role::Web));
    // A promoted web server would host sites; a demoted failover may not be moved to as web.
    sim.set_role("fo-2", Role::App).unwrap();
    sim.move_site("site-001", "fo-2").unwrap();
}

#[test]
fn cache_failover_refusals() {
    let mut sim = sim(22);
    assert!(
        sim.cache_failover(Some("cache-1"))
            .unwrap_err()
            .to_string()
            .contains("already the active")
    );
    assert_eq!(
        sim.cache_failover(Some("web-1")).unwrap_err().code(),
        "wrong_role"
    );
    sim.inject(&fault(FaultKind::CacheNodeDown, "cache-2"))
        .unwrap();
    assert!(
        sim.cache_failover(Some("cache-2"))
            .unwrap_err()
            .to_string()
            .contains("down")
    );
    assert!(
        sim.cache_failover(None)
            .unwrap_err()
            .to_string()
            .contains("no healthy cache standby")
    );
    assert_eq!(
        sim.facts().cache.unwrap().epoch,
        1,
        "a refusal changes nothing"
    );
    assert_eq!(sim.recycle_web("app-01").unwrap_err().code(), "wrong_role");
    sim.recycle_web("web-1").unwrap();
}

#[test]
fn manual_db_failover_swaps_writer_and_replica() {
    let mut sim = sim(23);
    sim.db_failover(Some("db-2")).unwrap();
    let db = sim.facts().database.unwrap();
    assert_eq!(
        (db.writer.as_str(), db.replicas.as_slice(), db.epoch),
        ("db-2", &["db-1".to_string()][..], 2)
    );
    assert!(
        sim.db_failover(Some("db-2"))
            .unwrap_err()
            .to_string()
            .contains("already the database writer")
    );
    assert_eq!(
        sim.db_failover(Some("app-01")).unwrap_err().code(),
        "wrong_role"
    );
    sim.db_failover(None).unwrap();
    assert_eq!(sim.facts().database.unwrap().writer, "db-1");
}

#[test]
fn restart_site_needs_a_known_site() {
    let mut sim = sim(24);
    assert_eq!(
        sim.restart_site("site-000").unwrap_err().code(),
        "unknown_target"
    );
    sim.restart_site("site-001").unwrap();
}

#[test]
fn a_fleet_without_cache_or_database_refuses_their_operations() {
    let spec = FleetSpec::parse(
        "small.toml",
        "service = \"s\"\n[[switch]]\nid = \"sw\"\n[[server]]\nid = \"a\"\nrole = \"app\"\nswitch = \"sw\"\ncapacity = 1\n",
    )
    .unwrap();
    let mut sim = Sim::new(&spec, 1, start());
    assert!(
        sim.cache_failover(None)
            .unwrap_err()
            .to_string()
            .contains("no cache")
    );
    assert!(
        sim.db_failover(None)
            .unwrap_err()
            .to_string()
            .contains("no database")
    );
    let obs = sim.step(secs(5));
    let facts = &worlds(&obs)[0].1;
    assert_eq!((facts.cache.clone(), facts.database.clone()), (None, None));
}

#[test]
fn a_cache_standby_that_died_comes_back_outside_the_pair_until_re_established() {
    let mut sim = sim(23);
    sim.cache_failover(Some("cache-2")).unwrap();
    assert_eq!(sim.facts().cache.unwrap().standby, ["cache-1"]);
    sim.inject(&fault(FaultKind::CacheNodeDown, "cache-1"))
        .unwrap();
    assert!(sim.cache_standby("cache-1").is_err(), "a standby already");
    sim.inject(&fault(FaultKind::Recover, "cache-1")).unwrap();
    // Back, but empty: nobody's standby.
    assert!(sim.facts().cache.unwrap().standby.is_empty());
    assert!(sim.cache_standby("cache-2").is_err(), "the active node");
    sim.cache_standby("cache-1").unwrap();
    let cache = sim.facts().cache.unwrap();
    assert_eq!(
        (cache.active.as_str(), cache.standby),
        ("cache-2", vec!["cache-1".to_string()])
    );
    // A failover away from a dead active node leaves it out of the pair.
    sim.inject(&fault(FaultKind::CacheNodeDown, "cache-2"))
        .unwrap();
    sim.cache_failover(Some("cache-1")).unwrap();
    assert!(sim.facts().cache.unwrap().standby.is_empty());
    assert!(sim.cache_standby("cache-2").is_err(), "cache-2 is down");
}
