//! `warroom drill NAME`: replay a scenario headless against an in-process
//! orchestrator, make each scripted response through the API the way the
//! console does (plan, execute, follow up), and print a scorecard.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};

use super::CliError;
use crate::client::{Client, ClientConfig, ClientError};
use crate::model::{
    Action, ActionState, EntryKind, ExecuteRequest, FleetSpec, HealthState, Marker, NewEntry,
    NewIncident, Plan, PlanKind, PlanOptions, PlanRequest, Severity, Timestamp,
};
use crate::report::{ActionRecord, DrillRecord, FaultRecord, Scorecard, render_table, scorecard};
use crate::server::{AccessRole, LocalServer, ServerConfig, TokenEntry, Tokens, WorldSource};
use crate::sim::{DEMO_FLEET, Scenario, ScriptedResponse, StepAction};

/// Real time between two looks at the sim clock and at a running action.
const POLL: Duration = Duration::from_millis(20);
/// How long past its last step (sim time) a drill may run before it gives up.
const SIM_GRACE: Duration = Duration::from_secs(30 * 60);
/// Sim time after the last fault or response for detection to settle
/// before the drill decides it is over.
const SETTLE: Duration = Duration::from_secs(3 * 60);
/// How often a plan is re-made after 409/423 before the response gives up.
const MAX_ATTEMPTS: u32 = 50;

/// `warroom drill`'s flags.
#[derive(Debug, Clone, clap::Args)]
pub struct DrillArgs {
    /// A built-in scenario (switch-2017, db-master-2020) or a scenario file.
    pub name: String,
    /// Sim seconds per real second.
    #[arg(long, default_value_t = 600.0)]
    pub speed: f64,
    /// Print the scorecard as JSON (sim offsets and durations only).
    #[arg(long)]
    pub json: bool,
    /// Seed of the simulated world.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Play it on the real lab (`warroom lab`) instead of the simulator.
    #[arg(long)]
    pub lab: bool,
}

/// Run the drill and print its scorecard. Exit code 1 when a site is still
/// not up at the end, 2 for bad arguments.
pub fn drill(args: DrillArgs) -> Result<(), CliError> {
    let scenario = Scenario::load(&args.name).map_err(|e| CliError {
        error: e.into(),
        code: 2,
    })?;
    if args.lab {
        return super::lab::drill_on_lab(scenario, args.speed, args.json);
    }
    if !(args.speed.is_finite() && args.speed > 0.0 && args.speed <= 100_000.0) {
        return Err(CliError {
            error: anyhow!(
                "--speed must be above 0 and at most 100000, got {}",
                args.speed
            ),
            code: 2,
        });
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let quiet = args.json;
    let card = runtime.block_on(run_drill(scenario, args.seed, args.speed, quiet))?;
    if args.json {
        let text = serde_json::to_string_pretty(&card).context("cannot render the scorecard")?;
        println!("{text}");
    } else {
        print!("{}", render_table(&card));
    }
    if card.sites_down_at_end.is_empty() {
        Ok(())
    } else {
        Err(CliError {
            error: anyhow!(
                "{} site(s) still not up at the end: {}",
                card.sites_down_at_end.len(),
                card.sites_down_at_end.join(", ")
            ),
            code: 1,
        })
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

/// Play `scenario` on the demo fleet at `speed` and score it. `quiet`
/// silences the progress lines on stderr.
pub async fn run_drill(
    scenario: Scenario,
    seed: u64,
    speed: f64,
    quiet: bool,
) -> anyhow::Result<Scorecard> {
    Ok(
        run_drill_declared(scenario, seed, speed, quiet, Declare::AtStart)
            .await?
            .scorecard,
    )
}

/// [`run_drill`] with the incident declared as `declare` says, returning
/// the postmortem the API exports for it as well.
pub async fn run_drill_declared(
    scenario: Scenario,
    seed: u64,
    speed: f64,
    quiet: bool,
    declare: Declare,
) -> anyhow::Result<DrillOutcome> {
    let spec =
        FleetSpec::parse("demo.toml", DEMO_FLEET).context("the embedded demo fleet is invalid")?;
    let store = crate::store::open("sqlite::memory:")
        .await
        .context("cannot open the in-memory store")?;
    let token = format!("drill-{}", uuid::Uuid::new_v4().simple());
    let tokens = Tokens::new(vec![TokenEntry {
        name: "drill".into(),
        role: AccessRole::Commander,
        token: token.clone(),
    }]);
    let server = LocalServer::start(ServerConfig {
        spec,
        store,
        tokens,
        source: WorldSource::Simulated {
            seed,
            speed,
            scenario: Some(scenario.clone()),
        },
    })
    .await?;
    let client = Client::new(ClientConfig::new(vec![server.url()], Some(token)))?;
    let started_at = client.sim_status().await?.started_at;
    let mut drill = Drill {
        client,
        started_at,
        speed,
        quiet,
        declare,
        actions: Vec::new(),
        first_alert: None,
        last_action_end: None,
    };
    let result = drill.play(&scenario).await;
    let outcome = match result {
        Ok(incident_id) => drill.outcome(&scenario, incident_id).await,
        Err(e) => Err(e),
    };
    server.stop().await;
    outcome
}

struct Drill {
    client: Client,
    started_at: Timestamp,
    speed: f64,
    quiet: bool,
    declare: Declare,
    actions: Vec<ActionRecord>,
    /// When the first alert opened, as seen while playing.
    first_alert: Option<Timestamp>,
    /// When the last action ended.
    last_action_end: Option<Timestamp>,
}

fn seconds(d: Duration) -> u64 {
    d.as_secs()
}

impl Drill {
    fn offset_s(&self, at: Timestamp) -> u64 {
        u64::try_from((at - self.started_at).num_seconds().max(0)).unwrap_or(0)
    }

    fn say(&self, line: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", line.as_ref());
        }
    }

    /// A real-time budget for `sim` seconds of sim time, with slack.
    fn real(&self, sim: Duration) -> Duration {
        sim.div_f64(self.speed) + Duration::from_secs(30)
    }

    /// Open the incident, play the responses at their offsets and wait until
    /// the scenario's faults and responses have played and every site is up
    /// (or the sim-time deadline passed). Returns the incident's id.
    async fn play(&mut self, scenario: &Scenario) -> anyhow::Result<i64> {
        let declared = match self.declare {
            Declare::AtStart => Some(self.declare_incident(scenario, None).await?),
            Declare::AfterMitigation => None,
        };
        self.play_responses(scenario).await?;
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
        &self,
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
        Ok(incident.id)
    }

    async fn play_responses(&mut self, scenario: &Scenario) -> anyhow::Result<()> {
        let mut pending: Vec<ScriptedResponse> = scenario.responses.clone();
        pending.sort_by_key(|r| r.at.duration());
        let mut pending = VecDeque::from(pending);
        // Notes after the last fault only mark moments of the original
        // outage; the drill is over once faults and responses have played.
        let last = scenario
            .steps
            .iter()
            .filter(|s| matches!(s.action, StepAction::Fault(_)))
            .map(|s| s.at.duration())
            .chain(pending.iter().map(|r| r.at.duration()))
            .max()
            .unwrap_or_default();
        let give_up = last + SIM_GRACE;
        let real_deadline = Instant::now() + self.real(give_up);
        let mut offers_left = 3u32;
        loop {
            let status = self.client.sim_status().await?;
            let now = Duration::from_secs(self.offset_s(status.clock));
            if self.declare == Declare::AfterMitigation {
                let alerts = self.client.alerts().await?.alerts;
                let first = alerts.iter().map(|a| a.opened_at).min();
                self.first_alert = match (self.first_alert, first) {
                    (Some(seen), Some(now_open)) => Some(seen.min(now_open)),
                    (seen, now_open) => seen.or(now_open),
                };
            }
            while let Some(response) = pending.front() {
                if response.at.duration() > now {
                    break;
                }
                let response = response.clone();
                pending.pop_front();
                self.respond(&response).await?;
            }
            let faults_played = status.next_steps.iter().all(|s| s.fault.is_none());
            if pending.is_empty() && faults_played && now > last + SETTLE {
                let topology = self.client.topology().await?;
                // What the console offers once the script is done: clear
                // stuck backends and stale cache clients that remain.
                let stuck = topology.database.as_ref().map_or(0, |d| d.stuck_backends);
                let stale = topology.cache.as_ref().map_or(0, |c| c.stale_clients);
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
                        "{:>6}  {} (offered)",
                        format!("+{}s", now.as_secs()),
                        kind.as_str()
                    ));
                    let request = PlanRequest {
                        kind,
                        target: None,
                        options: PlanOptions::default(),
                    };
                    self.run_plan(request, 0).await?;
                } else if topology
                    .sites
                    .iter()
                    .all(|s| s.health.state == HealthState::Up)
                {
                    return Ok(());
                }
            }
            if now > give_up || Instant::now() > real_deadline {
                self.say(format!(
                    "giving up at +{}s: sites still not up",
                    seconds(now)
                ));
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn respond(&mut self, response: &ScriptedResponse) -> anyhow::Result<()> {
        let kind: PlanKind =
            serde_json::from_value(serde_json::Value::String(response.plan.as_str().into()))
                .context("a scripted response names an unknown plan kind")?;
        let request = PlanRequest {
            kind,
            target: response.target.clone(),
            options: PlanOptions::default(),
        };
        self.say(format!(
            "{:>6}  {} {}: {}",
            response.at.as_str(),
            kind.as_str(),
            response.target.as_deref().unwrap_or("(all)"),
            response.description
        ));
        self.run_plan(request, 0).await
    }

    /// Make the plan, take its offers when it could not place everything,
    /// execute it, follow the action, and run its follow-up offer.
    async fn run_plan(&mut self, request: PlanRequest, depth: u32) -> anyhow::Result<()> {
        let mut offers_taken = false;
        for _ in 0..MAX_ATTEMPTS {
            let plan = match self.client.create_plan(&request).await {
                Ok(plan) => plan,
                Err(e @ ClientError::Api { .. }) if e.status() != Some(423) => {
                    // Nothing to do (e.g. no stale clients left): the console
                    // would show the reason and offer nothing.
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

    /// Execute and follow to the end. `None` when the plan must be re-made
    /// (409: topology changed; 423: another action holds the lease).
    async fn execute(&mut self, plan: &Plan) -> anyhow::Result<Option<Action>> {
        let key = uuid::Uuid::new_v4().to_string();
        let request = ExecuteRequest {
            confirm: plan.confirm.clone(),
            acknowledge_cooldown: true,
            automatic: false,
        };
        let action = match self.client.execute_plan(plan, &key, &request).await {
            Ok(written) => written.value,
            Err(e) if e.status() == Some(409) => return Ok(None),
            Err(e) if e.status() == Some(423) => {
                tokio::time::sleep(POLL).await;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let deadline_s: u64 = plan.steps.iter().map(|s| s.deadline_s).sum();
        let real_deadline = Instant::now() + self.real(Duration::from_secs(deadline_s));
        let mut current = action;
        while !current.state.is_finished() {
            if Instant::now() > real_deadline {
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
        self.last_action_end = current.finished_at.max(self.last_action_end);
        self.actions.push(ActionRecord {
            kind: current.kind.as_str().to_string(),
            target: current.target.clone(),
            started_s: self.offset_s(current.started_at),
            finished_s: current.finished_at.map(|t| self.offset_s(t)),
            state: current.state.as_str().to_string(),
            deadline_s,
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

    async fn outcome(&self, scenario: &Scenario, incident_id: i64) -> anyhow::Result<DrillOutcome> {
        let record = self.record(scenario).await?;
        Ok(DrillOutcome {
            scorecard: scorecard(&record),
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
                    at_s: seconds(step.at.duration()),
                    kind: fault.kind,
                    target: fault.target.clone(),
                    description: step.description.clone(),
                }),
                StepAction::Note => None,
            })
            .collect();
        let mut ids: Vec<String> = topology.sites.iter().map(|s| s.id.clone()).collect();
        ids.extend(faults.iter().map(|f| f.target.clone()));
        ids.sort();
        ids.dedup();
        let mut histories = BTreeMap::new();
        for id in ids {
            match self.client.health_history(&id).await {
                Ok(history) => {
                    histories.insert(id, history.samples);
                }
                // Nodes the history does not know (none today) score as undetected.
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // Every recorded sample is older than this, so a site's last state
        // lasts until the end of the record rather than ending on a sample.
        let ended_at = self.client.sim_status().await?.clock;
        Ok(DrillRecord {
            scenario: scenario.name.clone(),
            started_at: self.started_at,
            ended_at,
            faults,
            site_homes: topology
                .sites
                .iter()
                .map(|s| (s.id.clone(), s.home_server.clone()))
                .collect(),
            histories,
            actions: self.actions.clone(),
            sites_down_at_end: topology
                .sites
                .iter()
                .filter(|s| s.health.state != HealthState::Up)
                .map(|s| s.id.clone())
                .collect(),
        })
    }
}
