//! `warroom drill NAME --lab`: a scenario played on the real lab. The lab is
//! shaped like the demo fleet (the scenarios' ids), probed every 200 ms; the
//! scenario's faults hit real processes on its clock compressed `speed`
//! times; the scripted responses are planned and executed through the API
//! (the executor runs the HAProxy and lab runbooks) as scripted, and after
//! the script the console's offers for stale cache clients and stuck
//! backends; the load generator's requests through HAProxy measure what
//! users saw.
//!
//! The scorecard is the simulated drill's, on scenario time (real time ×
//! speed): detection from the real probes' health history, site-minutes
//! down and degraded from the real requests (a site is down while its pages
//! fail, degraded while only its cart fails), plus failed requests per
//! failure. Each failure is scored from its fault to the next failure's.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use chrono::Utc;

mod respond;
mod score;

pub use score::{FailureRequests, LabScorecard, render};

use super::faults::Faults;
use super::traffic::{self, Traffic};
use super::{Lab, LabOptions, LabShape, ProbeTiming};
use crate::client::{Client, ClientConfig};
use crate::model::{
    FaultKind, FleetSpec, HealthState, NewIncident, PlanKind, PlanOptions, PlanRequest, Severity,
    SimFault, Timestamp,
};
use crate::report::{ActionRecord, FaultRecord, format_offset};
use crate::server::{AccessRole, LocalServer, ServerConfig, TokenEntry, Tokens, WorldSource};
use crate::sim::{DB_PROMOTION_DELAY, DEMO_FLEET, Scenario, StepAction};

/// The lab's probes during a drill (fall 3, rise 2: down in about 0.6 s).
pub const DRILL_PROBES: ProbeTiming = ProbeTiming {
    interval_ms: 200,
    timeout_ms: 150,
};
/// Sites per app server of the demo-shaped lab (18 in all).
pub const SITES_PER_APP: usize = 2;
/// Each site's page and cart are requested this often.
pub const TRAFFIC_EVERY: Duration = Duration::from_millis(500);
const POLL: Duration = Duration::from_millis(50);
/// Real time for the lab to settle after the last fault or response.
const SETTLE: Duration = Duration::from_secs(3);
/// Real time past the last step before the drill gives up.
const GRACE: Duration = Duration::from_secs(60);
/// Real time every part gets to be up and every site to answer at the start.
const READY_WAIT: Duration = Duration::from_secs(60);
/// Answers sent within this long before a check say how a site is now.
const RECENT: Duration = Duration::from_millis(1500);

/// The demo fleet's shape, for `lab --scenario` and `drill --lab`.
pub fn demo_shape() -> anyhow::Result<LabShape> {
    let spec =
        FleetSpec::parse("demo.toml", DEMO_FLEET).context("the embedded demo fleet is invalid")?;
    Ok(LabShape::LikeFleet {
        spec: Box::new(spec),
        sites_per_app: SITES_PER_APP,
    })
}

/// What is due on the scenario's clock.
#[derive(Debug, Clone, PartialEq)]
pub enum Due {
    Fault {
        fault: SimFault,
        description: String,
    },
    /// The managed service's promotion, [`DB_PROMOTION_DELAY`] after the
    /// writer died: the database failover runbook through the API.
    ManagedDbFailover,
}

/// The scenario's faults on real time compressed `speed` times.
pub struct FaultScript {
    speed: f64,
    pending: VecDeque<(Duration, Due)>,
}

impl FaultScript {
    pub fn new(scenario: &Scenario, speed: f64) -> FaultScript {
        let mut pending: Vec<(Duration, Due)> = Vec::new();
        for step in &scenario.steps {
            if let StepAction::Fault(fault) = &step.action {
                pending.push((
                    step.at.duration(),
                    Due::Fault {
                        fault: fault.clone(),
                        description: step.description.clone(),
                    },
                ));
                if fault.kind == FaultKind::DbMasterDown {
                    pending.push((
                        step.at.duration() + DB_PROMOTION_DELAY,
                        Due::ManagedDbFailover,
                    ));
                }
            }
        }
        pending.sort_by_key(|(at, _)| *at);
        FaultScript {
            speed,
            pending: pending.into(),
        }
    }

    /// Scenario offset of `real` elapsed time.
    pub fn scenario_time(&self, real: Duration) -> Duration {
        real.mul_f64(self.speed)
    }

    /// Everything due by `elapsed` real time, in order, with its scenario offset.
    pub fn take_due(&mut self, elapsed: Duration) -> Vec<(Duration, Due)> {
        let now = self.scenario_time(elapsed);
        let mut due = Vec::new();
        while self.pending.front().is_some_and(|(at, _)| *at <= now) {
            if let Some(step) = self.pending.pop_front() {
                due.push(step);
            }
        }
        due
    }

    pub fn is_done(&self) -> bool {
        self.pending.is_empty()
    }

    /// The last step's scenario offset.
    pub fn last(&self) -> Duration {
        self.pending.back().map(|(at, _)| *at).unwrap_or_default()
    }
}

/// Options of one lab drill.
#[derive(Debug, Clone)]
pub struct LabDrill {
    pub scenario: Scenario,
    pub speed: f64,
    pub dir: Option<PathBuf>,
    pub node_program: PathBuf,
    pub quiet: bool,
}

/// Starts the lab, plays the drill, stops the lab (also on failure).
pub async fn run(options: LabDrill) -> anyhow::Result<LabScorecard> {
    let lab_options = LabOptions {
        dir: options.dir.clone(),
        shape: demo_shape()?,
        probe: DRILL_PROBES,
        node_program: options.node_program.clone(),
    };
    say(
        options.quiet,
        "starting the lab (PostgreSQL, memcached, app nodes, HAProxy)…",
    );
    let lab = tokio::task::spawn_blocking(move || Lab::start(lab_options)).await??;
    let result = play(&lab, &options).await;
    tokio::task::spawn_blocking(move || lab.stop()).await?;
    result
}

/// A progress line on stderr; it carries the API's words (plan errors), so
/// control characters are escaped.
fn say(quiet: bool, line: impl AsRef<str>) {
    if !quiet {
        eprintln!("{}", crate::tui::sanitize(line.as_ref()));
    }
}

async fn play(lab: &Lab, options: &LabDrill) -> anyhow::Result<LabScorecard> {
    let store = crate::store::open("sqlite::memory:")
        .await
        .context("cannot open the in-memory store")?;
    let token = format!("drill-{}", uuid::Uuid::new_v4().simple());
    let server = LocalServer::start(ServerConfig {
        spec: lab.fleet_spec()?,
        store,
        tokens: Tokens::new(vec![TokenEntry {
            name: "drill".into(),
            role: AccessRole::Commander,
            token: token.clone(),
        }]),
        source: WorldSource::Probed,
    })
    .await?;
    let client = Client::new(ClientConfig::new(vec![server.url()], Some(token)))?;
    let mut faults = Faults::new(lab);
    let sites: Vec<String> = lab.layout.sites.iter().map(|s| s.id.clone()).collect();
    let traffic = Traffic::start(lab.wiring.front, sites.clone(), TRAFFIC_EVERY)?;
    let mut drill = Driver {
        client,
        speed: options.speed,
        quiet: options.quiet,
        started: Instant::now(),
        started_at: Utc::now(),
        actions: Vec::new(),
        stale_seen: 0,
        stuck_seen: 0,
    };
    let result = async {
        drill.wait_ready(&traffic, &sites).await?;
        drill
            .play(&options.scenario, &mut faults, &traffic, &sites)
            .await
    }
    .await;
    faults.clear().await;
    let traffic_started = traffic.started();
    let outcomes = traffic.stop();
    let card = match result {
        Ok(faults_played) => {
            drill
                .score(
                    &options.scenario,
                    faults_played,
                    &outcomes,
                    traffic_started,
                    lab,
                )
                .await
        }
        Err(e) => Err(e),
    };
    server.stop().await;
    card
}

struct Driver {
    client: Client,
    speed: f64,
    quiet: bool,
    /// Offset 0 of the scenario.
    started: Instant,
    started_at: Timestamp,
    actions: Vec<ActionRecord>,
    stale_seen: u32,
    stuck_seen: u32,
}

impl Driver {
    fn say(&self, line: impl AsRef<str>) {
        say(self.quiet, line);
    }

    /// Scenario seconds at a real instant.
    fn scenario_s(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.started)
            .mul_f64(self.speed)
            .as_secs()
    }

    /// Scenario seconds at a wall-clock time.
    fn scenario_s_at(&self, at: Timestamp) -> u64 {
        let real_ms = (at - self.started_at).num_milliseconds().max(0) as f64;
        (real_ms * self.speed / 1000.0) as u64
    }

    /// The scenario clock's time for a wall-clock time (the scorecard's clock).
    fn scenario_at(&self, at: Timestamp) -> Timestamp {
        self.started_at + chrono::Duration::seconds(self.scenario_s_at(at) as i64)
    }

    /// The fleet's stale cache clients and stuck backends now (what the
    /// nodes report), kept as the most seen.
    async fn note_reports(&mut self) -> anyhow::Result<(u32, u32)> {
        let topology = self.client.topology().await?;
        let stale = topology.cache.as_ref().map_or(0, |c| c.stale_clients);
        let stuck = topology.database.as_ref().map_or(0, |d| d.stuck_backends);
        self.stale_seen = self.stale_seen.max(stale);
        self.stuck_seen = self.stuck_seen.max(stuck);
        Ok((stale, stuck))
    }

    /// Every server up on the probes and every site answering both paths.
    async fn wait_ready(&mut self, traffic: &Traffic, sites: &[String]) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_WAIT;
        loop {
            let topology = self.client.topology().await?;
            let servers_up = topology
                .servers
                .iter()
                .all(|s| s.health.state == HealthState::Up);
            let since = traffic.started().elapsed().saturating_sub(RECENT);
            let answered = all_answer(traffic, sites, since);
            if servers_up && answered {
                self.started = Instant::now();
                self.started_at = Utc::now();
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(anyhow!(
                    "the lab did not come up within {READY_WAIT:?} (servers up: {servers_up}, sites answering: {answered})"
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Plays faults and responses on the compressed clock, then takes the
    /// console's offers for stuck backends and stale clients, until every
    /// site answers again or the deadline passes. Returns the faults as
    /// played (their real offsets on the scenario clock).
    async fn play(
        &mut self,
        scenario: &Scenario,
        faults: &mut Faults,
        traffic: &Traffic,
        sites: &[String],
    ) -> anyhow::Result<Vec<FaultRecord>> {
        self.client
            .create_incident(&NewIncident {
                title: format!("Lab drill: {}", scenario.name),
                severity: Severity::Sev1,
                status: crate::model::IncidentStatus::Investigating,
                impact: crate::model::Impact::Major,
                components: Vec::new(),
                started_at: None,
            })
            .await?;
        let mut script = FaultScript::new(scenario, self.speed);
        let mut responses: Vec<_> = scenario.responses.clone();
        responses.sort_by_key(|r| r.at.duration());
        let mut responses = VecDeque::from(responses);
        let last = script.last().max(
            responses
                .back()
                .map(|r| r.at.duration())
                .unwrap_or_default(),
        );
        let last_real = last.div_f64(self.speed);
        let give_up = self.started + last_real + GRACE;
        let mut played = Vec::new();
        let mut offers_left = 3u32;
        loop {
            let elapsed = self.started.elapsed();
            for (at, due) in script.take_due(elapsed) {
                match due {
                    Due::Fault { fault, description } => {
                        let now_s = self.scenario_s(Instant::now());
                        let done = faults.apply(&fault).await?;
                        self.say(format!(
                            "{:>8}  {} {}: {done}",
                            format_offset(now_s),
                            fault.kind.as_str(),
                            fault.target
                        ));
                        played.push(FaultRecord {
                            at_s: now_s,
                            kind: fault.kind,
                            target: fault.target.clone(),
                            description,
                        });
                    }
                    Due::ManagedDbFailover => {
                        self.say(format!(
                            "{:>8}  the managed service fails the database over (due {})",
                            format_offset(self.scenario_s(Instant::now())),
                            format_offset(at.as_secs())
                        ));
                        self.run_plan(request(PlanKind::DbFailover, None), 0)
                            .await?;
                    }
                }
            }
            let now = script.scenario_time(self.started.elapsed());
            while responses.front().is_some_and(|r| r.at.duration() <= now) {
                let Some(response) = responses.pop_front() else {
                    break;
                };
                let kind: PlanKind = serde_json::from_value(serde_json::Value::String(
                    response.plan.as_str().into(),
                ))
                .context("a scripted response names an unknown plan kind")?;
                self.say(format!(
                    "{:>8}  {} {}: {}",
                    format_offset(self.scenario_s(Instant::now())),
                    kind.as_str(),
                    response.target.as_deref().unwrap_or("(all)"),
                    response.description
                ));
                self.run_plan(request(kind, response.target.clone()), 0)
                    .await?;
            }
            let elapsed = self.started.elapsed();
            let (stale, stuck) = self.note_reports().await?;
            if script.is_done() && responses.is_empty() && elapsed > last_real + SETTLE {
                let offer = if stuck > 0 {
                    Some(PlanKind::RestartSites)
                } else if stale > 0 {
                    Some(PlanKind::RecycleWeb)
                } else {
                    None
                };
                if let Some(kind) = offer
                    && offers_left > 0
                {
                    offers_left -= 1;
                    self.say(format!(
                        "{:>8}  {} (offered)",
                        format_offset(self.scenario_s(Instant::now())),
                        kind.as_str()
                    ));
                    self.run_plan(request(kind, None), 0).await?;
                } else {
                    let since = traffic.started().elapsed().saturating_sub(RECENT);
                    if all_answer(traffic, sites, since) {
                        return Ok(played);
                    }
                }
            }
            if Instant::now() > give_up {
                self.say("giving up: sites still fail");
                return Ok(played);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

fn request(kind: PlanKind, target: Option<String>) -> PlanRequest {
    PlanRequest {
        kind,
        target,
        options: PlanOptions::default(),
    }
}

/// True when every site's page and cart answered 200 most recently among
/// the requests sent since `since`.
fn all_answer(traffic: &Traffic, sites: &[String], since: Duration) -> bool {
    let latest = traffic.latest_since(since);
    sites.iter().all(|site| {
        traffic::PATHS
            .iter()
            .all(|path| latest.get(&(site.clone(), *path)) == Some(&true))
    })
}
