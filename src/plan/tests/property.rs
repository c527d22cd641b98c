//! Random fleets: whatever the health, admin and switch states, an
//! evacuation never overfills a server, never picks an unfit target, leaves
//! no usable slot empty while sites stay unplaced, and accounts for every
//! source site exactly once.

use std::collections::{BTreeMap, BTreeSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::model::{Admin, Role, Site, Switch};

const STATES: [HealthState; 5] = [
    HealthState::Up,
    HealthState::Degraded,
    HealthState::Down,
    HealthState::Flapping,
    HealthState::Unknown,
];

fn random_fleet(rng: &mut ChaCha8Rng) -> Topology {
    let switches: Vec<Switch> = (0..rng.random_range(1..=4))
        .map(|i| Switch {
            id: format!("sw-{i}"),
            health: match rng.random_range(0..10) {
                0 => SwitchHealth::Suspect,
                1 => SwitchHealth::Down,
                _ => SwitchHealth::Ok,
            },
            unhealthy_nodes: 0,
            nodes: 0,
        })
        .collect();
    let mut servers = Vec::new();
    let mut sites = Vec::new();
    let apps = rng.random_range(1..=8);
    let failovers = rng.random_range(0..=6);
    for i in 0..apps + failovers {
        let role = if i < apps { Role::App } else { Role::Failover };
        let id = format!("{}-{i:02}", if role == Role::App { "app" } else { "fo" });
        let capacity = rng.random_range(1..=25);
        let site_count = rng.random_range(0..=capacity);
        for k in 0..site_count {
            let down = rng.random_bool(0.3);
            sites.push(Site {
                id: format!("site-{i:02}-{k:02}"),
                name: String::new(),
                server: id.clone(),
                home_server: format!("app-{:02}", rng.random_range(0..apps)),
                health: health(
                    if down {
                        HealthState::Down
                    } else {
                        HealthState::Up
                    },
                    ago(60),
                ),
                down_since: down.then(|| ago(rng.random_range(0..3600))),
                stuck_backends: 0,
            });
        }
        servers.push(Server {
            id,
            role,
            switch: switches[rng.random_range(0..switches.len())].id.clone(),
            capacity,
            site_count,
            admin: match rng.random_range(0..10) {
                0 => Admin::Drain,
                1 => Admin::Maint,
                _ => Admin::Ready,
            },
            health: health(
                if rng.random_bool(0.6) {
                    HealthState::Up
                } else {
                    STATES[rng.random_range(0..STATES.len())]
                },
                ago(3600),
            ),
        });
    }
    Topology {
        version: 1,
        service: "random".into(),
        switches,
        servers,
        sites,
        cache: None,
        database: None,
    }
}

#[test]
fn random_evacuations_respect_capacity_and_account_for_every_site() {
    let (mut with_placements, mut with_unplaceable, mut with_spares) = (0, 0, 0);
    for seed in 0..300u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let topology = random_fleet(&mut rng);
        let hosts: Vec<&Server> = topology.servers.iter().collect();
        let n_sources = rng.random_range(1..=3.min(hosts.len()));
        let sources: BTreeSet<&str> = (0..n_sources)
            .map(|_| hosts[rng.random_range(0..hosts.len())].id.as_str())
            .collect();
        let mut ids = sources.iter().map(|s| s.to_string());
        let mut req = request(PlanKind::EvacuateServer, ids.next().as_deref());
        req.options.also = ids.collect();
        let p = match make_plan(&topology, &req, "p".into(), t0(), &Default::default()) {
            Ok(p) => p,
            Err(PlanError::NothingToDo(_)) => continue,
            Err(e) => panic!("seed {seed}: {e}"),
        };

        with_placements += usize::from(!p.placements.is_empty());
        with_unplaceable += usize::from(!p.unplaceable.is_empty());
        with_spares += usize::from(p.offers.iter().any(|o| o.kind == PlanKind::PromoteSpare));
        let switch_ok = |s: &Server| {
            topology
                .switches
                .iter()
                .any(|w| w.id == s.switch && w.health == SwitchHealth::Ok)
        };
        let fit = |s: &Server| {
            s.role == Role::Failover
                && s.health.state == HealthState::Up
                && s.admin == Admin::Ready
                && !sources.contains(s.id.as_str())
                && switch_ok(s)
        };

        let mut incoming: BTreeMap<&str, u32> = BTreeMap::new();
        for placement in &p.placements {
            let target = server(&topology, &placement.to);
            assert!(fit(target), "seed {seed}: unfit target {target:?}");
            *incoming.entry(target.id.as_str()).or_default() += 1;
        }
        for (id, n) in &incoming {
            let s = server(&topology, id);
            assert!(
                s.site_count + n <= s.capacity,
                "seed {seed}: {id} overfilled"
            );
        }
        if !p.unplaceable.is_empty() {
            for s in topology.servers.iter().filter(|s| fit(s)) {
                let used = s.site_count + incoming.get(s.id.as_str()).copied().unwrap_or(0);
                assert!(used >= s.capacity, "seed {seed}: {} left free slots", s.id);
            }
        }

        let expected: BTreeMap<&str, &str> = topology
            .sites
            .iter()
            .filter(|s| sources.contains(s.server.as_str()))
            .map(|s| (s.id.as_str(), s.server.as_str()))
            .collect();
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        let accounted = p
            .placements
            .iter()
            .map(|x| (x.site.as_str(), x.from.as_str()))
            .chain(
                p.unplaceable
                    .iter()
                    .map(|x| (x.site.as_str(), x.from.as_str())),
            );
        for (site, from) in accounted {
            assert!(
                seen.insert(site, from).is_none(),
                "seed {seed}: {site} twice"
            );
        }
        assert_eq!(seen, expected, "seed {seed}");

        for offer in p.offers.iter().filter(|o| o.kind == PlanKind::PromoteSpare) {
            let spare = server(&topology, offer.target.as_deref().unwrap());
            assert_eq!(spare.role, Role::App, "seed {seed}");
            assert!(spare.health.state == HealthState::Up && spare.admin == Admin::Ready);
            assert!(!sources.contains(spare.id.as_str()) && switch_ok(spare));
            assert!(spare.site_count < spare.capacity);
            assert!(
                !sources
                    .iter()
                    .any(|s| server(&topology, s).switch == spare.switch),
                "seed {seed}: spare behind an affected switch"
            );
        }
    } // The generator must exercise every branch, or the loop proves little.
    assert!(
        with_placements > 50 && with_unplaceable > 50 && with_spares > 20,
        "{with_placements} {with_unplaceable} {with_spares}"
    );
}
