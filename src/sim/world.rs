//! The simulator's state and clock: `Sim::new`, `step`, `status`, `facts`.
//! Faults live in `faults.rs`, operator operations in `operations.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::{
    CacheFacts, DatabaseFacts, FleetSpec, Observation, ProbeOutcome, Role, ScheduledStep, SimFault,
    SimStatus, Timestamp, WorldFacts,
};

use super::scenario::{Scenario, StepAction};

/// Sim time advances in whole ticks of this length; probes and scenario
/// steps due inside a tick happen at its start.
const TICK_MS: u64 = 1_000;
const NS_PER_MS: u64 = 1_000_000;

/// A deterministic simulated fleet on its own clock. Same fleet, seed and
/// calls give the same observations, byte for byte: there is no wall clock
/// and all randomness comes from one seeded ChaCha8 stream.
#[derive(Clone)]
pub struct Sim {
    pub(super) spec: FleetSpec,
    pub(super) seed: u64,
    pub(super) rng: ChaCha8Rng,
    pub(super) start: Timestamp,
    /// Sim time since `start`.
    pub(super) clock_ns: u64,
    /// Index of the next tick to run; tick k starts at k * TICK_MS.
    pub(super) next_tick: u64,
    pub(super) nodes: Vec<Node>,
    pub(super) sites: Vec<SiteState>,
    /// Faults in force, in the order they were injected.
    pub(super) faults: Vec<ActiveFault>,
    pub(super) cache: Option<CacheState>,
    pub(super) database: Option<DatabaseState>,
    pub(super) scenario: Option<PlayingScenario>,
    pub(super) step_errors: Vec<StepError>,
    pub(super) last_facts: Option<WorldFacts>,
}

/// One server of the fleet as the simulator runs it.
#[derive(Clone)]
pub(super) struct Node {
    pub(super) id: String,
    /// The current role (`set_role` moves servers between app and failover).
    pub(super) role: Role,
    pub(super) switch: String,
    pub(super) capacity: u32,
    pub(super) interval_ms: u64,
    /// First probe after the one at start; spreads probes over the interval.
    pub(super) phase_ms: u64,
    pub(super) next_probe_ms: u64,
    /// Where this node sits in the flap cycle while its switch is faulty.
    pub(super) switch_phase_s: u64,
}

#[derive(Clone)]
pub(super) struct SiteState {
    pub(super) id: String,
    pub(super) server: String,
    pub(super) stuck_backends: u32,
}

#[derive(Clone)]
pub(super) struct ActiveFault {
    pub(super) fault: SimFault,
    /// Where a `server_flap` sits in the flap cycle.
    pub(super) phase_s: u64,
}

#[derive(Clone)]
pub(super) struct CacheState {
    pub(super) active: String,
    pub(super) standby: Vec<String>,
    /// Nodes out of the pair until re-established as a standby: a node that
    /// died while active or standby restarts empty.
    pub(super) detached: Vec<String>,
    pub(super) epoch: u32,
    pub(super) stale: Option<StaleCacheClients>,
}

/// Web servers still connected to a cache node that is no longer active.
#[derive(Clone)]
pub(super) struct StaleCacheClients {
    pub(super) old_node: String,
    pub(super) web_servers: BTreeSet<String>,
}

#[derive(Clone)]
pub(super) struct DatabaseState {
    pub(super) writer: String,
    pub(super) replicas: Vec<String>,
    /// Ex-writers that died, out of the cluster until rebuilt as replicas
    /// (`rebuild_replica`), also once they are back.
    pub(super) ejected: Vec<String>,
    pub(super) epoch: u32,
    /// When the managed service promotes a replica (sim ms), once the writer died.
    pub(super) promotion_due_ms: Option<u64>,
}

#[derive(Clone)]
pub(super) struct PlayingScenario {
    pub(super) scenario: Scenario,
    /// Indices into `scenario.steps`, soonest first (file order for ties).
    pub(super) schedule: Vec<usize>,
    pub(super) next: usize,
}

/// A scenario step that could not be played (its target does not fit the
/// world at that moment). The step is skipped; the rest play on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    /// Index of the step in the scenario file.
    pub step: usize,
    pub message: String,
}

impl Sim {
    /// A healthy world: every site on its home server, the cache and the
    /// database as the fleet file says. The clock reads `start`.
    pub fn new(spec: &FleetSpec, seed: u64, start: Timestamp) -> Sim {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let nodes = spec
            .servers
            .iter()
            .map(|server| {
                let interval_ms = spec.probe_settings(server).interval_ms.max(1);
                Node {
                    id: server.id.clone(),
                    role: server.role,
                    switch: server.switch.clone(),
                    capacity: server.capacity,
                    interval_ms,
                    phase_ms: rng.random_range(1..=interval_ms),
                    next_probe_ms: 0,
                    switch_phase_s: rng.random_range(0..FLAP_PERIOD_S),
                }
            })
            .collect();
        let sites = spec
            .sites
            .iter()
            .map(|site| SiteState {
                id: site.id.clone(),
                server: site.home.clone(),
                stuck_backends: 0,
            })
            .collect();
        Sim {
            seed,
            rng,
            start,
            clock_ns: 0,
            next_tick: 0,
            nodes,
            sites,
            faults: Vec::new(),
            cache: spec.cache.as_ref().map(|c| CacheState {
                active: c.active.clone(),
                standby: c.standby.clone(),
                detached: Vec::new(),
                epoch: 1,
                stale: None,
            }),
            database: spec.database.as_ref().map(|d| DatabaseState {
                writer: d.active.clone(),
                replicas: d.standby.clone(),
                ejected: Vec::new(),
                epoch: 1,
                promotion_due_ms: None,
            }),
            scenario: None,
            step_errors: Vec::new(),
            last_facts: None,
            spec: spec.clone(),
        }
    }

    /// Plays `scenario` from the sim's start: each step is due at
    /// `start + offset`; steps already due play at the next tick. Replaces
    /// any scenario loaded before. Check it with `Scenario::check_against`
    /// first; steps that do not fit the world are skipped and listed by
    /// `step_errors`.
    pub fn load_scenario(&mut self, scenario: Scenario) {
        let mut schedule: Vec<usize> = (0..scenario.steps.len()).collect();
        // Stable sort: steps at the same offset play in file order.
        schedule.sort_by_key(|&i| scenario.steps[i].at.duration());
        self.scenario = Some(PlayingScenario {
            scenario,
            schedule,
            next: 0,
        });
    }

    pub fn scenario(&self) -> Option<&Scenario> {
        self.scenario.as_ref().map(|p| &p.scenario)
    }

    /// Scenario steps that were skipped because they did not fit the world.
    pub fn step_errors(&self) -> &[StepError] {
        &self.step_errors
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn started_at(&self) -> Timestamp {
        self.start
    }

    pub fn now(&self) -> Timestamp {
        self.start
            + chrono::TimeDelta::nanoseconds(i64::try_from(self.clock_ns).unwrap_or(i64::MAX))
    }

    /// The server a site runs on now.
    pub fn site_server(&self, site: &str) -> Option<&str> {
        self.sites
            .iter()
            .find(|s| s.id == site)
            .map(|s| s.server.as_str())
    }

    /// Every site and the server it runs on now, in fleet-file order.
    pub fn placements(&self) -> impl Iterator<Item = (&str, &str)> {
        self.sites
            .iter()
            .map(|s| (s.id.as_str(), s.server.as_str()))
    }

    /// The current role of a server.
    pub fn role(&self, server: &str) -> Option<Role> {
        self.node(server).map(|i| self.nodes[i].role)
    }

    /// Advances the clock by `dt` in ticks of one sim second, playing due
    /// scenario steps and database promotions, and returns what an
    /// observer sees: `Probes` for every node whose probe fell due (every
    /// node on the first call; then each node every `interval_ms`, with a
    /// seeded phase), and `World` on the first call and whenever the
    /// world's facts changed.
    pub fn step(&mut self, dt: Duration) -> Vec<Observation> {
        let mut out = Vec::new();
        let dt_ns = u64::try_from(dt.as_nanos()).unwrap_or(u64::MAX);
        let target_ns = self.clock_ns.saturating_add(dt_ns);
        while self.next_tick.saturating_mul(TICK_MS * NS_PER_MS) <= target_ns {
            let t_ms = self.next_tick * TICK_MS;
            self.clock_ns = t_ms * NS_PER_MS;
            self.run_tick(t_ms, &mut out);
            self.next_tick += 1;
        }
        self.clock_ns = target_ns;
        out
    }

    /// How long from the start until the next tick at which something can
    /// happen: a node's probe falls due, a scenario step plays, the managed
    /// database acts, or (while web servers hold stale cache connections)
    /// the world's facts may change with the old node's availability. A
    /// caller on virtual time steps from one such tick to the next; the
    /// ticks in between would change nothing and show nothing.
    pub fn next_event(&self) -> Duration {
        let tick_ms = |t_ms: u64| t_ms.div_ceil(TICK_MS).max(self.next_tick) * TICK_MS;
        let next_tick_ms = self.next_tick * TICK_MS;
        let writer_dead = self
            .database
            .as_ref()
            .is_some_and(|d| self.is_dead(&d.writer));
        let stale_cache = self.cache.as_ref().is_some_and(|c| c.stale.is_some());
        let due_ms = if self.next_tick == 0 || stale_cache || writer_dead {
            next_tick_ms
        } else {
            let probes = self.nodes.iter().map(|n| tick_ms(n.next_probe_ms));
            let step = self.scenario.as_ref().and_then(|playing| {
                let index = *playing.schedule.get(playing.next)?;
                Some(tick_ms(duration_ms(
                    playing.scenario.steps[index].at.duration(),
                )))
            });
            let promotion = self
                .database
                .as_ref()
                .and_then(|d| d.promotion_due_ms)
                .map(tick_ms);
            probes
                .chain(step)
                .chain(promotion)
                .min()
                .unwrap_or(next_tick_ms)
        };
        Duration::from_millis(due_ms)
    }

    fn run_tick(&mut self, t_ms: u64, out: &mut Vec<Observation>) {
        self.play_due_steps(t_ms);
        self.run_managed_database(t_ms);
        let at = self.at(t_ms);
        let facts = self.facts_at(t_ms);
        if self.last_facts.as_ref() != Some(&facts) {
            out.push(Observation::World {
                at,
                facts: facts.clone(),
            });
            self.last_facts = Some(facts);
        }
        let mut results = Vec::new();
        for i in 0..self.nodes.len() {
            if self.nodes[i].next_probe_ms > t_ms {
                continue;
            }
            results.push((self.nodes[i].id.clone(), self.probe(i, t_ms)));
            let node = &mut self.nodes[i];
            node.next_probe_ms = if node.next_probe_ms == 0 {
                node.phase_ms
            } else {
                node.next_probe_ms + node.interval_ms
            };
            while node.next_probe_ms <= t_ms {
                node.next_probe_ms += node.interval_ms;
            }
        }
        if !results.is_empty() {
            out.push(Observation::Probes { at, results });
        }
    }

    fn play_due_steps(&mut self, t_ms: u64) {
        loop {
            let Some(playing) = &mut self.scenario else {
                return;
            };
            let Some(&index) = playing.schedule.get(playing.next) else {
                return;
            };
            let step = &playing.scenario.steps[index];
            if duration_ms(step.at.duration()) > t_ms {
                return;
            }
            playing.next += 1;
            if let StepAction::Fault(fault) = step.action.clone()
                && let Err(e) = self.inject(&fault)
            {
                self.step_errors.push(StepError {
                    step: index,
                    message: e.to_string(),
                });
            }
        }
    }

    /// One probe of node `i` at sim time `t_ms`.
    fn probe(&mut self, i: usize, t_ms: u64) -> ProbeOutcome {
        match self.availability(i, t_ms) {
            Availability::Unavailable(why) => ProbeOutcome::failed(why),
            Availability::Available { degraded } => {
                let base = base_latency_ms(self.nodes[i].role);
                let jitter: f64 = self.rng.random_range(0.8..1.2);
                let slow = if degraded { 3.0 } else { 1.0 };
                ProbeOutcome::up((base * jitter * slow * 10.0).round() / 10.0)
            }
        }
    }

    /// How every site really fares now, whatever anyone has detected: down
    /// while its server does not answer or its backends are stuck on a dead
    /// database node; degraded while the active cache node is away, a code
    /// path fails on stale cache connections, or the database writer is
    /// dead; up otherwise. A drill scores responses against this truth, so
    /// the minutes before detection count too.
    pub fn site_states(&self) -> Vec<(&str, crate::model::HealthState)> {
        use crate::model::HealthState;
        let t_ms = self.clock_ns / NS_PER_MS;
        let available = |id: &str| {
            self.node(id)
                .is_some_and(|i| self.availability(i, t_ms).is_available())
        };
        let facts = self.facts_at(t_ms);
        let cache_away = self.cache.as_ref().is_some_and(|c| !available(&c.active));
        let code_path = facts.cache.as_ref().is_some_and(|c| c.code_path_failing);
        let writer_dead = self
            .database
            .as_ref()
            .is_some_and(|d| !available(&d.writer));
        self.sites
            .iter()
            .map(|site| {
                let state = if !available(&site.server) || site.stuck_backends > 0 {
                    HealthState::Down
                } else if cache_away || code_path || writer_dead {
                    HealthState::Degraded
                } else {
                    HealthState::Up
                };
                (site.id.as_str(), state)
            })
            .collect()
    }

    /// The facts the world shows now (cache and database roles, stale
    /// cache clients, stuck backends).
    pub fn facts(&self) -> WorldFacts {
        self.facts_at(self.clock_ns / NS_PER_MS)
    }

    fn facts_at(&self, t_ms: u64) -> WorldFacts {
        let cache = self.cache.as_ref().map(|c| {
            let stale_clients = c.stale.as_ref().map_or(0, |s| {
                u32::try_from(s.web_servers.len()).unwrap_or(u32::MAX)
            });
            let old_node_unavailable = c.stale.as_ref().is_some_and(|s| {
                self.node(&s.old_node)
                    .is_some_and(|i| !self.availability(i, t_ms).is_available())
            });
            CacheFacts {
                active: c.active.clone(),
                standby: c.standby.clone(),
                epoch: c.epoch,
                stale_clients,
                code_path_failing: stale_clients > 0 && old_node_unavailable,
            }
        });
        let database = self.database.as_ref().map(|d| DatabaseFacts {
            writer: d.writer.clone(),
            replicas: d.replicas.clone(),
            epoch: d.epoch,
        });
        let stuck_backends: BTreeMap<String, u32> = self
            .sites
            .iter()
            .filter(|s| s.stuck_backends > 0)
            .map(|s| (s.id.clone(), s.stuck_backends))
            .collect();
        WorldFacts {
            cache,
            database,
            stuck_backends,
            stale_cache_clients: None,
        }
    }

    /// `GET /v1/sim`: the clock, the faults in force and the scenario steps
    /// still to come, soonest first. `speed` is reported as given (the
    /// caller paces the clock).
    pub fn status(&self, speed: f64) -> SimStatus {
        let next_steps = self
            .scenario
            .as_ref()
            .map(|playing| {
                playing.schedule[playing.next..]
                    .iter()
                    .map(|&i| {
                        let step = &playing.scenario.steps[i];
                        let (fault, target) = match &step.action {
                            StepAction::Fault(f) => (Some(f.kind), Some(f.target.clone())),
                            StepAction::Note => (None, None),
                        };
                        ScheduledStep {
                            offset: step.at.as_str().to_string(),
                            due_at: self.at(duration_ms(step.at.duration())),
                            fault,
                            target,
                            description: step.description.clone(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        SimStatus {
            clock: self.now(),
            started_at: self.start,
            speed,
            seed: self.seed,
            scenario: self.scenario.as_ref().map(|p| p.scenario.name.clone()),
            active_faults: self.faults.iter().map(|f| f.fault.clone()).collect(),
            next_steps,
        }
    }

    pub(super) fn now_ms(&self) -> u64 {
        self.clock_ns / NS_PER_MS
    }

    fn at(&self, t_ms: u64) -> Timestamp {
        self.start + chrono::TimeDelta::milliseconds(i64::try_from(t_ms).unwrap_or(i64::MAX))
    }

    pub(super) fn node(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}

/// Length of one flap cycle, and how much of it a flapping node is away.
/// At the default 5 s probes with fall=3/rise=2 a detector sees two
/// transitions per cycle, so more than 3 within 15 minutes.
pub(super) const FLAP_PERIOD_S: u64 = 120;
pub(super) const FLAP_AWAY_S: u64 = 40;

pub(super) enum Availability {
    Available { degraded: bool },
    Unavailable(&'static str),
}

impl Availability {
    pub(super) fn is_available(&self) -> bool {
        matches!(self, Availability::Available { .. })
    }
}

fn base_latency_ms(role: Role) -> f64 {
    match role {
        Role::App | Role::Failover => 30.0,
        Role::Web => 12.0,
        Role::Cache => 1.5,
        Role::Db => 4.0,
    }
}

pub(super) fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
