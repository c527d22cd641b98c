//! `warroom drill NAME --lab`: a scenario played on the real lab. The lab is
//! shaped like the demo fleet (the scenarios' ids), probed every 200 ms; the
//! scenario's faults hit real processes on its clock compressed `speed`
//! times; the scripted responses are planned and executed through the API
//! (the executor runs the HAProxy and lab runbooks); the load generator's
//! requests through HAProxy measure what users saw.
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

use super::faults::Faults;
use super::traffic::{self, FailedRequests, RequestOutcome, Traffic};
use super::{Lab, LabOptions, LabShape, ProbeTiming};
use crate::client::{Client, ClientConfig, ClientError};
use crate::model::{
    Action, ActionState, ExecuteRequest, FaultKind, FleetSpec, HealthSample, HealthState,
    NewIncident, Plan, PlanKind, PlanOptions, PlanRequest, Severity, SimFault, Timestamp,
};
use crate::report::{
    ActionRecord, DrillRecord, FaultRecord, Scorecard, Totals, format_duration, format_offset,
    render_table, scorecard,
};
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
/// `run_plan` depth at which a plan's offers and follow-ups are not taken.
const FOLLOW_NOTHING: u32 = 3;
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

/// Failed requests of one failure's window (its fault to the next failure's).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FailureRequests {
    pub fault: FaultKind,
    pub target: String,
    pub fault_at_s: u64,
    pub requests: FailedRequests,
    /// First and last failed request, scenario seconds.
    pub failing_from_s: Option<u64>,
    pub failing_to_s: Option<u64>,
}

/// A lab drill's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LabScorecard {
    pub card: Scorecard,
    pub speed: f64,
    pub real_s: f64,
    pub requests: Vec<FailureRequests>,
    pub sent: u64,
    pub failed: u64,
    /// The most stale cache clients and stuck backends the fleet showed (the
    /// nodes' own reports), and how many were left at the end.
    pub stale_clients_seen: u32,
    pub stuck_backends_seen: u32,
    pub stale_clients_at_end: u32,
    pub stuck_backends_at_end: u32,
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
                        // As the managed service did: the promotion alone,
                        // not the restarts the plan's follow-up offers.
                        self.run_plan(request(PlanKind::DbFailover, None), FOLLOW_NOTHING)
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
            let topology = self.client.topology().await?;
            let stuck = topology.database.as_ref().map_or(0, |d| d.stuck_backends);
            let stale = topology.cache.as_ref().map_or(0, |c| c.stale_clients);
            self.stuck_seen = self.stuck_seen.max(stuck);
            self.stale_seen = self.stale_seen.max(stale);
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

    /// Make the plan, take its offers when it could not place everything,
    /// execute it, follow the action and run its follow-up offer.
    async fn run_plan(&mut self, request: PlanRequest, depth: u32) -> anyhow::Result<()> {
        let mut offers_taken = false;
        for _ in 0..50 {
            let plan = match self.client.create_plan(&request).await {
                Ok(plan) => plan,
                Err(e @ ClientError::Api { .. }) if e.status() != Some(423) => {
                    self.say(format!(
                        "          {}: nothing to do ({e})",
                        request.kind.as_str()
                    ));
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            if !plan.unplaceable.is_empty() && !plan.offers.is_empty() && !offers_taken && depth < 2
            {
                offers_taken = true;
                for offer in plan.offers.clone() {
                    Box::pin(self.run_plan(offer, depth + 1)).await?;
                }
                continue;
            }
            if plan.steps.is_empty() {
                self.say(format!(
                    "          {}: nothing to do",
                    request.kind.as_str()
                ));
                return Ok(());
            }
            if let Some(action) = self.execute(&plan).await? {
                if action.state == ActionState::NeedsFollowUp
                    && let Some(follow_up) = action.follow_up.clone()
                    && depth < 3
                {
                    Box::pin(self.run_plan(follow_up.offer, depth + 1)).await?;
                }
                return Ok(());
            }
        }
        Err(anyhow!(
            "{} {}: gave up after 50 attempts",
            request.kind.as_str(),
            request.target.as_deref().unwrap_or("")
        ))
    }

    /// Execute and follow to the end; `None` when the plan must be re-made.
    async fn execute(&mut self, plan: &Plan) -> anyhow::Result<Option<Action>> {
        let key = uuid::Uuid::new_v4().to_string();
        let execute = ExecuteRequest {
            confirm: plan.confirm.clone(),
            acknowledge_cooldown: true,
            automatic: false,
        };
        let action = match self.client.execute_plan(plan, &key, &execute).await {
            Ok(written) => written.value,
            Err(e) if e.status() == Some(409) => return Ok(None),
            Err(e) if e.status() == Some(423) => {
                tokio::time::sleep(POLL).await;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let deadline_s: u64 = plan.steps.iter().map(|s| s.deadline_s).sum();
        let deadline = Instant::now() + Duration::from_secs(deadline_s) + Duration::from_secs(30);
        let mut current = action;
        while !current.state.is_finished() {
            if Instant::now() > deadline {
                return Err(anyhow!(
                    "action {} ({}) did not finish within its deadline",
                    current.id,
                    current.summary
                ));
            }
            tokio::time::sleep(POLL).await;
            current = self.client.action(&current.id).await?;
        }
        self.say(format!(
            "          {} {} -> {}",
            current.kind.as_str(),
            current.target.as_deref().unwrap_or("(all)"),
            current.state.as_str()
        ));
        self.actions.push(ActionRecord {
            kind: current.kind.as_str().to_string(),
            target: current.target.clone(),
            started_s: self.scenario_s_at(current.started_at),
            finished_s: current.finished_at.map(|t| self.scenario_s_at(t)),
            state: current.state.as_str().to_string(),
            deadline_s: (deadline_s as f64 * self.speed) as u64,
        });
        if matches!(current.state, ActionState::Failed | ActionState::Aborted) {
            return Err(anyhow!(
                "action {} {}",
                current.summary,
                current.state.as_str()
            ));
        }
        Ok(Some(current))
    }

    /// The scorecard on scenario time, sites measured by the traffic.
    async fn score(
        &self,
        scenario: &Scenario,
        faults: Vec<FaultRecord>,
        outcomes: &[RequestOutcome],
        traffic_started: Instant,
        lab: &Lab,
    ) -> anyhow::Result<LabScorecard> {
        let real = self.started.elapsed();
        let end_s = self.scenario_s(Instant::now());
        // Traffic offsets count from the traffic's start, before offset 0.
        let zero = self.started.saturating_duration_since(traffic_started);
        let after: Vec<RequestOutcome> = outcomes
            .iter()
            .filter(|o| o.sent >= zero)
            .map(|o| RequestOutcome {
                sent: o.sent - zero,
                ..o.clone()
            })
            .collect();
        let to_scenario = |d: Duration| -> Timestamp {
            self.started_at
                + chrono::Duration::milliseconds((d.as_secs_f64() * self.speed * 1000.0) as i64)
        };
        let mut histories = std::collections::BTreeMap::new();
        for site in &lab.layout.sites {
            let samples = traffic::site_states(&after, &site.id)
                .into_iter()
                .map(|(sent, state)| HealthSample {
                    component_id: site.id.clone(),
                    component: crate::model::ComponentKind::Site,
                    at: to_scenario(sent),
                    state,
                    latency_ms: None,
                    error_rate: 0.0,
                })
                .collect();
            histories.insert(site.id.clone(), samples);
        }
        let mut targets: Vec<&String> = faults.iter().map(|f| &f.target).collect();
        targets.sort();
        targets.dedup();
        for target in targets {
            match self.client.health_history(target).await {
                Ok(history) => {
                    let samples = history
                        .samples
                        .into_iter()
                        .map(|s| HealthSample {
                            at: self.scenario_at(s.at),
                            ..s
                        })
                        .collect();
                    histories.insert(target.clone(), samples);
                }
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let topology = self.client.topology().await?;
        let recent = real.saturating_sub(RECENT);
        let mut down_at_end: Vec<String> = Vec::new();
        for site in &lab.layout.sites {
            let failing = after
                .iter()
                .filter(|o| o.site == site.id && o.sent >= recent)
                .any(|o| !o.ok());
            if failing {
                down_at_end.push(site.id.clone());
            }
        }
        let record = DrillRecord {
            scenario: scenario.name.clone(),
            started_at: self.started_at,
            ended_at: self.started_at + chrono::Duration::seconds(end_s as i64),
            faults: faults.clone(),
            site_homes: topology
                .sites
                .iter()
                .map(|s| (s.id.clone(), s.home_server.clone()))
                .collect(),
            histories,
            actions: self.actions.clone(),
            sites_down_at_end: down_at_end,
        };
        let failures: Vec<&FaultRecord> = faults
            .iter()
            .filter(|f| {
                !matches!(
                    f.kind,
                    FaultKind::Recover | FaultKind::CacheFailoverRegression
                )
            })
            .collect();
        let card = windowed_scorecard(&record, &failures, end_s);
        let real_of = |s: u64| Duration::from_secs_f64(s as f64 / self.speed);
        let requests = failures
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let from = real_of(f.at_s);
                let to = failures
                    .get(i + 1)
                    .map_or(Duration::MAX, |n| real_of(n.at_s));
                let server_fault = matches!(f.kind, FaultKind::ServerDown | FaultKind::ServerFlap);
                let counted = traffic::failed_between(&after, from, to, |site| {
                    !server_fault || record.site_homes.get(site).is_some_and(|h| *h == f.target)
                });
                let scen = |d: Duration| (d.as_secs_f64() * self.speed) as u64;
                FailureRequests {
                    fault: f.kind,
                    target: f.target.clone(),
                    fault_at_s: f.at_s,
                    requests: counted,
                    failing_from_s: counted.first.map(scen),
                    failing_to_s: counted.last.map(scen),
                }
            })
            .collect();
        Ok(LabScorecard {
            card,
            speed: self.speed,
            real_s: real.as_secs_f64(),
            requests,
            sent: after.len() as u64,
            failed: after.iter().filter(|o| !o.ok()).count() as u64,
            stale_clients_seen: self.stale_seen,
            stuck_backends_seen: self.stuck_seen,
            stale_clients_at_end: topology.cache.as_ref().map_or(0, |c| c.stale_clients),
            stuck_backends_at_end: topology.database.as_ref().map_or(0, |d| d.stuck_backends),
        })
    }
}

/// The scorecard with each failure scored in its own window, from its
/// fault to the next failure's (the last one to the end): on real
/// processes a later fault (the cache's, at the end of 2017) also hurts the
/// sites an earlier one moved, and is scored there, not twice.
fn windowed_scorecard(record: &DrillRecord, failures: &[&FaultRecord], end_s: u64) -> Scorecard {
    let whole = scorecard(record);
    let mut scores = Vec::new();
    for (i, fault) in failures.iter().enumerate() {
        let window_end = failures
            .get(i + 1)
            .map_or(end_s, |next| next.at_s)
            .max(fault.at_s);
        let one = DrillRecord {
            faults: vec![(*fault).clone()],
            ended_at: record.started_at + chrono::Duration::seconds(window_end as i64),
            ..record.clone()
        };
        scores.extend(scorecard(&one).failures);
    }
    let round1 = |v: f64| (v * 10.0).round() / 10.0;
    let with_original = scores.iter().filter(|f| f.original.is_some());
    let totals = Totals {
        failures: u32::try_from(scores.len()).unwrap_or(u32::MAX),
        site_minutes_down: round1(scores.iter().map(|f| f.site_minutes_down).sum()),
        site_minutes_degraded: round1(scores.iter().map(|f| f.site_minutes_degraded).sum()),
        mitigate_s: with_original
            .clone()
            .map(|f| f.mitigate_s.unwrap_or(0))
            .sum(),
        original_minutes: with_original
            .filter_map(|f| f.original.as_ref().map(|o| o.minutes))
            .sum(),
    };
    Scorecard {
        failures: scores,
        totals,
        ..whole
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

/// The lab scorecard as text: the simulated drill's table on scenario time,
/// then the failed requests per failure.
pub fn render(card: &LabScorecard) -> String {
    let table = render_table(&card.card);
    let body = table.split_once('\n').map_or("", |(_, rest)| rest);
    let mut out = format!(
        "drill {} on the lab — {} of scenario time in {:.0} s real (×{}); times are scenario time\n",
        card.card.scenario,
        format_duration(card.card.duration_s),
        card.real_s,
        card.speed
    );
    out.push_str(body);
    out.push_str("\nfailed requests (real traffic through HAProxy, each site's page and cart every 0.5 s real):\n");
    for r in &card.requests {
        let window = match (r.failing_from_s, r.failing_to_s) {
            (Some(from), Some(to)) => format!(
                "failing {} to {} ({})",
                format_offset(from),
                format_offset(to),
                format_duration(to.saturating_sub(from))
            ),
            _ => "no failed request".to_string(),
        };
        out.push_str(&format!(
            "  {:<9} {:<16} {:<8} {:>5} of {:>5} failed  {window}\n",
            format_offset(r.fault_at_s),
            r.fault.as_str(),
            r.target,
            r.requests.failed,
            r.requests.sent
        ));
    }
    out.push_str(&format!(
        "  total: {} of {} requests failed\n",
        card.failed, card.sent
    ));
    out.push_str(&format!(
        "\nnodes' own reports: up to {} stale cache clients ({} at the end), up to {} stuck backends ({} at the end)\n",
        card.stale_clients_seen,
        card.stale_clients_at_end,
        card.stuck_backends_seen,
        card.stuck_backends_at_end
    ));
    out
}
