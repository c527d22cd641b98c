//! One drill on virtual time: an in-process orchestrator whose clock moves
//! only when the drill advances it (`server::Stepper`), the truth of every
//! site at each moment, and the loop that plays the scenario until every
//! site is up. How the responders act is in `respond.rs`; what the drill
//! leaves (scorecard, postmortem) in `record.rs`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use crate::client::{Client, ClientConfig};
use crate::model::{
    AlertKind, ComponentKind, EntryKind, FleetSpec, HealthSample, HealthState, Marker, NewEntry,
    NewIncident, PlanOptions, PlanRequest, Recommendation, Severity, Timestamp,
};
use crate::report::Scorecard;
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
pub(super) const MAX_ATTEMPTS: u32 = 50;

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

pub(super) struct Drill {
    pub(super) client: Client,
    pub(super) stepper: Stepper,
    pub(super) sim: Arc<Mutex<Sim>>,
    /// How each site really fared, from the simulator: its state at every
    /// moment it changed (what the scorecard charges the failures with).
    pub(super) truth: BTreeMap<String, Vec<HealthSample>>,
    pub(super) hub: Hub,
    pub(super) exec: crate::exec::Executor,
    pub(super) started_at: Timestamp,
    /// The clock, as the last advance left it.
    pub(super) now: Timestamp,
    pub(super) options: DrillOptions,
    /// Events published when the drill last looked at the API.
    pub(super) seen_events: u64,
    /// Whether every site was up then.
    pub(super) sites_up: bool,
    /// When the first alert opened, as seen while playing.
    pub(super) first_alert: Option<Timestamp>,
    /// When the last action ended.
    pub(super) last_action_end: Option<Timestamp>,
    /// The step deadlines of the plans the drill executed, by action id.
    pub(super) deadlines: BTreeMap<String, u64>,
    pub(super) wall_start: Instant,
}

/// The console responder's state: the recommendation on screen and when
/// the person at the console has reacted to it.
#[derive(Default)]
pub(super) struct Console {
    pub(super) shown: Option<Recommendation>,
    pub(super) due: Option<Timestamp>,
}

pub(super) fn at_offset(start: Timestamp, offset: Duration) -> Timestamp {
    start + chrono::TimeDelta::from_std(offset).unwrap_or(chrono::TimeDelta::MAX)
}

impl Drill {
    pub(super) fn offset(&self, at: Timestamp) -> Duration {
        (at - self.started_at).to_std().unwrap_or_default()
    }

    pub(super) fn offset_s(&self, at: Timestamp) -> u64 {
        self.offset(at).as_secs()
    }

    pub(super) fn say(&self, line: impl AsRef<str>) {
        if !self.options.quiet {
            eprintln!("{}", line.as_ref());
        }
    }

    /// Moves the world to its next event, not past `until`. When watching,
    /// first waits until real time has caught up with virtual time.
    pub(super) async fn advance(&mut self, until: Timestamp) -> anyhow::Result<()> {
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
    pub(super) async fn settle(&mut self) -> anyhow::Result<()> {
        self.stepper.settle().await?;
        self.observe_truth();
        Ok(())
    }

    /// Records every site whose real state changed since the last look.
    pub(super) fn observe_truth(&mut self) {
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
    pub(super) async fn look(&mut self) -> anyhow::Result<bool> {
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
    pub(super) async fn play(&mut self, scenario: &Scenario) -> anyhow::Result<i64> {
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

    pub(super) async fn declare_incident(
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

    pub(super) async fn respond(&mut self, scenario: &Scenario) -> anyhow::Result<()> {
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
}
