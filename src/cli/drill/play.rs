//! One drill on virtual time: an in-process orchestrator whose clock moves
//! only when the drill advances it (`server::Stepper`), a responder that
//! acts through the API the way the console does (plan, execute, take the
//! plan's offers and follow-ups), and the record the scorecard is made of.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use crate::client::{Client, ClientConfig, ClientError};
use crate::model::{
    Action, ActionState, AlertKind, ComponentKind, EntryKind, ExecuteRequest, FleetSpec,
    HealthSample, HealthState, Marker, NewEntry, NewIncident, Plan, PlanKind, PlanOptions,
    PlanRequest, Recommendation, Severity, Timestamp,
};
use crate::report::{ActionRecord, DrillRecord, FaultRecord, Scorecard, scorecard};
use crate::server::{
    AccessRole, Hub, LocalServer, ServerConfig, Stepper, TokenEntry, Tokens, WorldSource,
};
use crate::sim::{DEMO_FLEET, Scenario, ScriptedResponse, Sim, StepAction};

/// How long past its last fault or response (sim time) a drill may run
/// before it gives up.
const SIM_GRACE: Duration = Duration::from_secs(30 * 60);
/// Sim time after the last fault or response for detection to settle
/// before the drill decides it is over.
const SETTLE: Duration = Duration::from_secs(3 * 60);
/// How often a plan is re-made after 409/423 before the response gives up.
const MAX_ATTEMPTS: u32 = 50;

/// The alert kinds a drill's console and autopilot responders answer: the
/// fire itself, not the housekeeping after it (failing back, restoring
/// redundancy), which a drill does not score.
pub const MITIGATING: [AlertKind; 8] = [
    AlertKind::ServerDown,
    AlertKind::ServerFlapping,
    AlertKind::SwitchSuspect,
    AlertKind::CacheDown,
    AlertKind::DatabaseDown,
    AlertKind::StaleClients,
    AlertKind::StuckBackends,
    AlertKind::FailoverCapacity,
];

/// The autopilot a drill's `autopilot` responder runs: every mitigating
/// alert kind, with caps wide enough for the demo fleet's switch (three
/// servers, the two failover servers and the spares promoted for them).
fn drill_autopilot() -> String {
    let kinds: Vec<String> = MITIGATING
        .iter()
        .map(|k| format!("\"{}\"", k.as_str()))
        .collect();
    format!(
        "\n[autopilot]\nenabled = true\nkinds = [{}]\nblock_s = 3600\n\
         max_servers_per_action = 12\nmax_sites_per_action = 120\n\
         max_servers_per_hour = 40\nmax_sites_per_hour = 400\n",
        kinds.join(", ")
    )
}

/// Who responds to the outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Responder {
    /// The scenario's scripted responses, at their offsets.
    Script,
    /// The console's top recommendation, a reaction time after it is shown.
    Console,
    /// The orchestrator's guarded autopilot; no human.
    Autopilot,
}

impl Responder {
    pub fn as_str(self) -> &'static str {
        match self {
            Responder::Script => "script",
            Responder::Console => "console",
            Responder::Autopilot => "autopilot",
        }
    }
}

/// When the drill's incident is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Declare {
    /// Before anything happens, as a team already watching would.
    #[default]
    AtStart,
    /// Fix first, declare second: once every site is up again, with the
    /// start back-dated to the first alert and a `mitigated` marker
    /// back-dated to the end of the last action, as a commander writes the
    /// record after the fire.
    AfterMitigation,
}

#[derive(Debug, Clone)]
pub struct DrillOptions {
    pub seed: u64,
    pub responder: Responder,
    /// The console responder's reaction time.
    pub reaction: Duration,
    pub declare: Declare,
    /// No progress lines on stderr.
    pub quiet: bool,
    /// Pace virtual time at this many sim seconds per real second, and say
    /// where the API answers, so a console can watch.
    pub pace: Option<f64>,
}

impl DrillOptions {
    pub fn new(responder: Responder) -> DrillOptions {
        DrillOptions {
            seed: 1,
            responder,
            reaction: Duration::from_secs(30),
            declare: Declare::AtStart,
            quiet: true,
            pace: None,
        }
    }
}

/// A drill's scorecard and its incident's postmortem as exported.
#[derive(Debug, Clone)]
pub struct DrillOutcome {
    pub scorecard: Scorecard,
    pub incident_id: i64,
    /// `GET /v1/incidents/{id}/postmortem?format=md`.
    pub postmortem_md: String,
    /// The same as JSON.
    pub postmortem_json: String,
}

/// Play `scenario` on the demo fleet on virtual time and score it.
pub async fn run_drill(
    scenario: &Scenario,
    options: &DrillOptions,
) -> anyhow::Result<DrillOutcome> {
    let mut fleet = DEMO_FLEET.to_string();
    if options.responder == Responder::Autopilot {
        fleet.push_str(&drill_autopilot());
    }
    let spec =
        FleetSpec::parse("demo.toml", &fleet).context("the drill's demo fleet is invalid")?;
    let store = crate::store::open("sqlite::memory:")
        .await
        .context("cannot open the in-memory store")?;
    let token = format!("drill-{}", uuid::Uuid::new_v4().simple());
    let tokens = Tokens::new(vec![TokenEntry {
        name: "drill".into(),
        role: AccessRole::Commander,
        token: token.clone(),
    }]);
    let stepper = Stepper::new();
    let server = LocalServer::start(ServerConfig {
        spec,
        store,
        tokens,
        source: WorldSource::Virtual {
            seed: options.seed,
            speed: options.pace.unwrap_or(1.0),
            scenario: Some(scenario.clone()),
            stepper: stepper.clone(),
        },
    })
    .await?;
    if options.pace.is_some() {
        eprintln!("watch it: warroom --api {} --token {token}", server.url());
    }
    let client = Client::new(ClientConfig::new(vec![server.url()], Some(token)))?;
    // The first tick (every node probed once) has run: the clock is at the start.
    stepper.settle().await?;
    let started_at = client.sim_status().await?.started_at;
    let sim = server
        .orchestrator
        .state
        .sim
        .as_ref()
        .map(|h| h.sim.clone())
        .ok_or_else(|| anyhow!("the drill's orchestrator runs no simulator"))?;
    let mut drill = Drill {
        client,
        stepper,
        sim,
        truth: BTreeMap::new(),
        hub: server.orchestrator.state.hub.clone(),
        exec: server
            .orchestrator
            .state
            .exec()
            .map_err(|e| anyhow!("{e:?}"))?,
        started_at,
        now: started_at,
        options: options.clone(),
        seen_events: u64::MAX,
        sites_up: false,
        first_alert: None,
        last_action_end: None,
        deadlines: BTreeMap::new(),
        wall_start: Instant::now(),
    };
    drill.observe_truth();
    let outcome = match drill.play(scenario).await {
        Ok(incident_id) => drill.outcome(scenario, incident_id).await,
        Err(e) => Err(e),
    };
    server.stop().await;
    outcome
}

struct Drill {
    client: Client,
    stepper: Stepper,
    sim: Arc<Mutex<Sim>>,
    /// How each site really fared, from the simulator: its state at every
    /// moment it changed (what the scorecard charges the failures with).
    truth: BTreeMap<String, Vec<HealthSample>>,
    hub: Hub,
    exec: crate::exec::Executor,
    started_at: Timestamp,
    /// The clock, as the last advance left it.
    now: Timestamp,
    options: DrillOptions,
    /// Events published when the drill last looked at the API.
    seen_events: u64,
    /// Whether every site was up then.
    sites_up: bool,
    /// When the first alert opened, as seen while playing.
    first_alert: Option<Timestamp>,
    /// When the last action ended.
    last_action_end: Option<Timestamp>,
    /// The step deadlines of the plans the drill executed, by action id.
    deadlines: BTreeMap<String, u64>,
    wall_start: Instant,
}

/// The console responder's state: the recommendation on screen and when
/// the person at the console has reacted to it.
#[derive(Default)]
struct Console {
    shown: Option<Recommendation>,
    due: Option<Timestamp>,
}

fn at_offset(start: Timestamp, offset: Duration) -> Timestamp {
    start + chrono::TimeDelta::from_std(offset).unwrap_or(chrono::TimeDelta::MAX)
}

impl Drill {
    fn offset(&self, at: Timestamp) -> Duration {
        (at - self.started_at).to_std().unwrap_or_default()
    }

    fn offset_s(&self, at: Timestamp) -> u64 {
        self.offset(at).as_secs()
    }

    fn say(&self, line: impl AsRef<str>) {
        if !self.options.quiet {
            eprintln!("{}", line.as_ref());
        }
    }

    /// Moves the world to its next event, not past `until`. When watching,
    /// first waits until real time has caught up with virtual time.
    async fn advance(&mut self, until: Timestamp) -> anyhow::Result<()> {
        if let Some(speed) = self.options.pace {
            let target = self.offset(until.min(self.now + chrono::TimeDelta::seconds(1)));
            let real = target.div_f64(speed);
            if let Some(wait) = real.checked_sub(self.wall_start.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        self.now = self.stepper.advance(until).await?;
        self.observe_truth();
        Ok(())
    }

    /// Lets what the drill started run as far as it can at this moment.
    async fn settle(&mut self) -> anyhow::Result<()> {
        self.stepper.settle().await?;
        self.observe_truth();
        Ok(())
    }

    /// Records every site whose real state changed since the last look.
    fn observe_truth(&mut self) {
        let sim = self.sim.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.now;
        for (site, state) in sim.site_states() {
            let history = self.truth.entry(site.to_string()).or_default();
            if history.last().is_some_and(|last| last.state == state) {
                continue;
            }
            history.push(HealthSample {
                component_id: site.to_string(),
                component: ComponentKind::Site,
                at: now,
                state,
                latency_ms: None,
                error_rate: 0.0,
            });
        }
    }

    /// What changed since the last look, when events were published: the
    /// first alert (for a late declaration) and whether every site is up.
    async fn look(&mut self) -> anyhow::Result<bool> {
        let published = self.hub.published();
        if published == self.seen_events {
            return Ok(false);
        }
        self.seen_events = published;
        if self.options.declare == Declare::AfterMitigation {
            let first = self
                .client
                .alerts()
                .await?
                .alerts
                .iter()
                .map(|a| a.opened_at)
                .min();
            self.first_alert = match (self.first_alert, first) {
                (Some(seen), Some(open)) => Some(seen.min(open)),
                (seen, open) => seen.or(open),
            };
        }
        let topology = self.client.topology().await?;
        self.sites_up = topology
            .sites
            .iter()
            .all(|s| s.health.state == HealthState::Up);
        Ok(true)
    }

    /// Open the incident, respond until the scenario's faults and responses
    /// have played and every site is up (or the drill gave up). Returns the
    /// incident's id.
    async fn play(&mut self, scenario: &Scenario) -> anyhow::Result<i64> {
        let declared = match self.options.declare {
            Declare::AtStart => Some(self.declare_incident(scenario, None).await?),
            Declare::AfterMitigation => None,
        };
        self.respond(scenario).await?;
        match declared {
            Some(id) => Ok(id),
            None => {
                let start = self.first_alert;
                let id = self.declare_incident(scenario, start).await?;
                if let Some(end) = self.last_action_end {
                    let marker = NewEntry {
                        kind: EntryKind::Marker,
                        status: None,
                        visibility: None,
                        body: "every site is up again".into(),
                        occurred_at: Some(end),
                        starred: false,
                        marker: Some(Marker::Mitigated),
                        source: None,
                    };
                    self.client.create_entry(id, &marker, None).await?;
                }
                Ok(id)
            }
        }
    }

    async fn declare_incident(
        &mut self,
        scenario: &Scenario,
        started_at: Option<Timestamp>,
    ) -> anyhow::Result<i64> {
        let incident = self
            .client
            .create_incident(&NewIncident {
                title: format!("Drill: {}", scenario.name),
                severity: Severity::Sev1,
                status: crate::model::IncidentStatus::Investigating,
                impact: crate::model::Impact::Major,
                components: Vec::new(),
                started_at,
            })
            .await?;
        self.settle().await?;
        Ok(incident.id)
    }

    async fn respond(&mut self, scenario: &Scenario) -> anyhow::Result<()> {
        let mut script: Vec<ScriptedResponse> = match self.options.responder {
            Responder::Script => scenario.responses.clone(),
            Responder::Console | Responder::Autopilot => Vec::new(),
        };
        script.sort_by_key(|r| r.at.duration());
        let mut script = VecDeque::from(script);
        // Notes after the last fault only mark moments of the original
        // outage; the drill is over once faults and responses have played.
        let last = scenario
            .steps
            .iter()
            .filter(|s| matches!(s.action, StepAction::Fault(_)))
            .map(|s| s.at.duration())
            .chain(script.iter().map(|r| r.at.duration()))
            .max()
            .unwrap_or_default();
        let give_up = at_offset(self.started_at, last + SIM_GRACE);
        let settled = at_offset(self.started_at, last + SETTLE);
        let mut console = Console::default();
        let mut offers_left = 3u32;
        loop {
            let changed = self.look().await?;
            let now = self.offset(self.now);
            while let Some(response) = script.front() {
                if response.at.duration() > now {
                    break;
                }
                let response = response.clone();
                script.pop_front();
                self.scripted(&response).await?;
            }
            if self.options.responder == Responder::Console {
                self.console_turn(&mut console, changed).await?;
            }
            if script.is_empty()
                && console.due.is_none()
                && self.now >= settled
                && !self.exec.activity().any_running()
            {
                self.look().await?;
                let offer = match self.options.responder {
                    Responder::Script if offers_left > 0 => self.script_follow_up().await?,
                    _ => None,
                };
                if let Some(kind) = offer {
                    offers_left -= 1;
                    self.say(format!(
                        "{:>7}  {} (offered once the script is done)",
                        format!("+{}s", now.as_secs()),
                        kind.as_str()
                    ));
                    let request = PlanRequest {
                        kind,
                        target: None,
                        options: PlanOptions::default(),
                    };
                    self.run_plan(request, 0).await?;
                    continue;
                }
                if self.sites_up {
                    return Ok(());
                }
            }
            if self.now >= give_up {
                self.say(format!(
                    "giving up at +{}s: sites still not up",
                    now.as_secs()
                ));
                return Ok(());
            }
            let next = script
                .front()
                .map(|r| at_offset(self.started_at, r.at.duration()))
                .into_iter()
                .chain(console.due)
                .chain([give_up])
                .min()
                .unwrap_or(give_up);
            self.advance(next).await?;
        }
    }

    /// What the console offers once the script is done: clear stuck
    /// backends and stale cache clients that remain.
    async fn script_follow_up(&self) -> anyhow::Result<Option<PlanKind>> {
        let topology = self.client.topology().await?;
        let stuck = topology.database.as_ref().map_or(0, |d| d.stuck_backends);
        let stale = topology.cache.as_ref().map_or(0, |c| c.stale_clients);
        Ok(if stuck > 0 {
            Some(PlanKind::RestartSites)
        } else if stale > 0 {
            Some(PlanKind::RecycleWeb)
        } else {
            None
        })
    }

    /// The person at the console: sees the top recommendation when it is
    /// offered, and presses its key a reaction time later; the plan they
    /// get is the one recommended then.
    async fn console_turn(&mut self, console: &mut Console, changed: bool) -> anyhow::Result<()> {
        if changed {
            let top = self.top_recommendation().await?;
            match (&console.shown, top) {
                (None, Some(top)) => {
                    self.say(format!(
                        "{:>7}  offered: {}",
                        format!("+{}s", self.offset_s(self.now)),
                        top.reason
                    ));
                    console.due = Some(
                        self.now
                            + chrono::TimeDelta::from_std(self.options.reaction)
                                .unwrap_or(chrono::TimeDelta::MAX),
                    );
                    console.shown = Some(top);
                }
                (Some(_), None) => *console = Console::default(),
                // Still reacting: the key plans whatever is on screen then.
                (Some(_), Some(top)) => console.shown = Some(top),
                (None, None) => {}
            }
        }
        let Some(due) = console.due else {
            return Ok(());
        };
        if self.now < due {
            return Ok(());
        }
        *console = Console::default();
        if let Some(top) = self.top_recommendation().await? {
            self.say(format!(
                "{:>7}  {} {}: {}",
                format!("+{}s", self.offset_s(self.now)),
                top.request.kind.as_str(),
                top.request.target.as_deref().unwrap_or("(all)"),
                top.reason
            ));
            self.run_plan(top.request, 0).await?;
        }
        // Whatever is recommended next is offered from now on.
        self.seen_events = u64::MAX;
        Ok(())
    }

    async fn top_recommendation(&self) -> anyhow::Result<Option<Recommendation>> {
        Ok(self
            .client
            .recommendations()
            .await?
            .recommendations
            .into_iter()
            .find(|r| r.alert_kind.is_some_and(|k| MITIGATING.contains(&k))))
    }

    async fn scripted(&mut self, response: &ScriptedResponse) -> anyhow::Result<()> {
        let kind: PlanKind =
            serde_json::from_value(serde_json::Value::String(response.plan.as_str().into()))
                .context("a scripted response names an unknown plan kind")?;
        let request = PlanRequest {
            kind,
            target: response.target.clone(),
            options: PlanOptions::default(),
        };
        self.say(format!(
            "{:>7}  {} {}: {}",
            response.at.as_str(),
            kind.as_str(),
            response.target.as_deref().unwrap_or("(all)"),
            response.description
        ));
        self.run_plan(request, 0).await
    }

    /// Make the plan, take its offers when it could not place everything,
    /// execute it, follow the action, and run its follow-up offer: what a
    /// person at the console does with `o`, Enter and `f`.
    async fn run_plan(&mut self, request: PlanRequest, depth: u32) -> anyhow::Result<()> {
        let mut offers_taken = false;
        for _ in 0..MAX_ATTEMPTS {
            let plan = match self.client.create_plan(&request).await {
                Ok(plan) => plan,
                Err(e @ ClientError::Api { .. }) if e.status() != Some(423) => {
                    // Nothing to do (e.g. no stale clients left): the console
                    // would show the reason and offer nothing.
                    self.say(format!(
                        "           {}: nothing to do ({e})",
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
                    "           {}: nothing to do",
                    request.kind.as_str()
                ));
                return Ok(());
            }
            match self.execute(&plan).await? {
                Some(action) => {
                    if action.state == ActionState::NeedsFollowUp
                        && let Some(follow_up) = action.follow_up.clone()
                        && depth < 3
                    {
                        Box::pin(self.run_plan(follow_up.offer, depth + 1)).await?;
                    }
                    return Ok(());
                }
                None => continue,
            }
        }
        Err(anyhow!(
            "{} {}: gave up after {MAX_ATTEMPTS} attempts (topology kept changing or the lease stayed held)",
            request.kind.as_str(),
            request.target.as_deref().unwrap_or("")
        ))
    }

    /// Execute and follow to the end, moving virtual time while the action
    /// waits for it. `None` when the plan must be re-made (409: topology
    /// changed; 423: another action holds the lease).
    async fn execute(&mut self, plan: &Plan) -> anyhow::Result<Option<Action>> {
        let key = uuid::Uuid::new_v4().to_string();
        let request = ExecuteRequest {
            confirm: plan.confirm.clone(),
            acknowledge_cooldown: true,
            automatic: false,
        };
        let action = match self.client.execute_plan(plan, &key, &request).await {
            Ok(written) => written.value,
            Err(e) if e.status() == Some(409) => {
                self.settle().await?;
                return Ok(None);
            }
            Err(e) if e.status() == Some(423) => {
                // Another action holds the lease: let time pass.
                let next = self.now + chrono::TimeDelta::seconds(1);
                self.advance(next).await?;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let deadline_s: u64 = plan.steps.iter().map(|s| s.deadline_s).sum();
        self.deadlines.insert(action.id.clone(), deadline_s);
        let give_up = action.started_at
            + chrono::TimeDelta::seconds(i64::try_from(deadline_s).unwrap_or(i64::MAX / 1000) + 60);
        self.settle().await?;
        let mut current = self.client.action(&action.id).await?;
        while !current.state.is_finished() {
            if self.now > give_up {
                return Err(anyhow!(
                    "action {} ({}) did not finish within its deadline",
                    current.id,
                    current.summary
                ));
            }
            self.advance(give_up).await?;
            if !self.exec.activity().any_running() {
                current = self.client.action(&current.id).await?;
            }
        }
        self.say(format!(
            "           {} {} -> {}",
            current.kind.as_str(),
            current.target.as_deref().unwrap_or("(all)"),
            current.state.as_str()
        ));
        self.last_action_end = current.finished_at.max(self.last_action_end);
        if matches!(current.state, ActionState::Failed | ActionState::Aborted) {
            return Err(anyhow!(
                "action {} {}",
                current.summary,
                current.state.as_str()
            ));
        }
        Ok(Some(current))
    }

    async fn outcome(&self, scenario: &Scenario, incident_id: i64) -> anyhow::Result<DrillOutcome> {
        let record = self.record(scenario).await?;
        let mut card = scorecard(&record);
        card.responder = self.options.responder.as_str().to_string();
        if self.options.responder == Responder::Console {
            card.reaction_s = Some(self.options.reaction.as_secs());
        }
        Ok(DrillOutcome {
            scorecard: card,
            incident_id,
            postmortem_md: self.client.postmortem(incident_id, "md", None).await?,
            postmortem_json: self.client.postmortem(incident_id, "json", None).await?,
        })
    }

    /// Collect what the scorecard needs from the API.
    async fn record(&self, scenario: &Scenario) -> anyhow::Result<DrillRecord> {
        let topology = self.client.topology().await?;
        let faults: Vec<FaultRecord> = scenario
            .steps
            .iter()
            .filter_map(|step| match &step.action {
                StepAction::Fault(fault) => Some(FaultRecord {
                    at_s: step.at.duration().as_secs(),
                    kind: fault.kind,
                    target: fault.target.clone(),
                    description: step.description.clone(),
                }),
                StepAction::Note => None,
            })
            .collect();
        // Sites as they really fared; the fault targets as the orchestrator
        // saw them (when each failure was detected).
        let mut histories = self.truth.clone();
        let mut targets: Vec<String> = faults.iter().map(|f| f.target.clone()).collect();
        targets.sort();
        targets.dedup();
        for id in targets {
            match self.client.health_history(&id).await {
                Ok(history) => {
                    histories.insert(id, history.samples);
                }
                // Nodes the history does not know (none today) score as undetected.
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut actions = self.client.actions(None).await?;
        // Within one moment of virtual time: the offers a plan took ran
        // before it, and the follow-up it needed after it.
        let rank = |kind: PlanKind| match kind {
            PlanKind::PromoteSpare => 0,
            PlanKind::RecycleWeb | PlanKind::RestartSites => 2,
            _ => 1,
        };
        actions.sort_by(|a, b| {
            (a.started_at, rank(a.kind), &a.target).cmp(&(b.started_at, rank(b.kind), &b.target))
        });
        let actions = actions
            .iter()
            .map(|a| ActionRecord {
                kind: a.kind.as_str().to_string(),
                target: a.target.clone(),
                started_s: self.offset_s(a.started_at),
                finished_s: a.finished_at.map(|t| self.offset_s(t)),
                state: a.state.as_str().to_string(),
                deadline_s: self.deadlines.get(&a.id).copied(),
                automatic: a.automatic,
            })
            .collect();
        Ok(DrillRecord {
            scenario: scenario.name.clone(),
            started_at: self.started_at,
            // Every recorded sample is older than this, so a site's last
            // state lasts until the end of the record.
            ended_at: self.now,
            faults,
            site_homes: topology
                .sites
                .iter()
                .map(|s| (s.id.clone(), s.home_server.clone()))
                .collect(),
            histories,
            actions,
            sites_down_at_end: topology
                .sites
                .iter()
                .filter(|s| s.health.state != HealthState::Up)
                .map(|s| s.id.clone())
                .collect(),
        })
    }
}
