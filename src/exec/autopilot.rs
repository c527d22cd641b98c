//! The autopilot's policy (DESIGN.md §4), pure: given its configuration,
//! what it remembers (paused?, its automatic actions of the last hour, the
//! block periods they started), the recommendations, the plan made for the
//! top eligible one and the time, it decides to execute, to record what it
//! would have done (dry run), that a block period holds, that the plan is
//! over its blast-radius cap (a human must decide), or nothing.
//!
//! The server's runner (`server::autopilot`) makes the plans, executes,
//! writes the timeline and keeps this state across restarts.

use std::collections::{BTreeMap, BTreeSet};

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::model::{
    AutopilotBlock, AutopilotBudget, AutopilotDecision, AutopilotMode, AutopilotSpec,
    DetectionSettings, HealthState, Plan, PlanKind, PlanRequest, Recommendation, StepOp, Timestamp,
    Topology,
};

/// How far back the hourly caps look.
pub const HOUR: TimeDelta = TimeDelta::hours(1);
/// How many decisions are kept for `GET /v1/autopilot`.
pub const DECISIONS_KEPT: usize = 20;

/// What the autopilot remembers; saved with the world state, so a restart
/// keeps the pause, the hour's budget and the block periods.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutopilotBook {
    #[serde(default)]
    pub paused: Option<Paused>,
    /// Its automatic actions of the last hour, oldest first.
    #[serde(default)]
    pub acted: Vec<AutomaticAction>,
    /// Targets it may not act on again yet.
    #[serde(default)]
    pub blocks: Vec<Block>,
    /// Its newest decisions, newest first.
    #[serde(default)]
    pub decisions: Vec<AutopilotDecision>,
    /// Plans it refused over a cap, by the target of their
    /// `autopilot_held` alert, while their recommendation stands.
    #[serde(default)]
    pub held: BTreeMap<String, PlanRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paused {
    pub by: String,
    pub at: Timestamp,
}

/// One action the autopilot started, and what it touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomaticAction {
    pub at: Timestamp,
    pub action_id: String,
    pub servers: BTreeSet<String>,
    pub sites: BTreeSet<String>,
}

/// A target acted on automatically at `at`: no automatic action on it
/// until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub target: String,
    pub at: Timestamp,
    pub until: Timestamp,
}

/// What a plan touches: the distinct servers (sources and destinations of
/// moves, servers whose role or admin state changes, nodes failed over,
/// recycled or rebuilt) and the sites it moves or restarts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlastRadius {
    pub servers: BTreeSet<String>,
    pub sites: BTreeSet<String>,
}

impl BlastRadius {
    pub fn of(plan: &Plan) -> BlastRadius {
        let mut radius = BlastRadius::default();
        for step in &plan.steps {
            match &step.op {
                StepOp::SetAdmin { server, .. }
                | StepOp::SetRole { server, .. }
                | StepOp::RecycleWeb { server } => {
                    radius.servers.insert(server.clone());
                }
                StepOp::MoveSite { site, from, to } => {
                    radius.sites.insert(site.clone());
                    radius.servers.extend([from.clone(), to.clone()]);
                }
                StepOp::CacheFailover { from, to } | StepOp::DbFailover { from, to, .. } => {
                    radius.servers.extend([from.clone(), to.clone()]);
                }
                StepOp::CacheStandby { node, .. } | StepOp::RebuildReplica { node, .. } => {
                    radius.servers.insert(node.clone());
                }
                StepOp::RestartSite { site } => {
                    radius.sites.insert(site.clone());
                }
                // Waiting changes nothing.
                StepOp::WaitHealthy { .. } => {}
            }
        }
        radius
    }

    /// "2 servers and 17 sites".
    pub fn words(&self) -> String {
        let servers = plural(self.servers.len(), "server");
        match self.sites.len() {
            0 => servers,
            n => format!("{servers} and {}", plural(n, "site")),
        }
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Why the autopilot does nothing about a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// `[autopilot]` absent or not enabled.
    Off,
    Paused,
    /// Its alert kind is not in `kinds` (or it is a failback and
    /// `failback = false`, or housekeeping with no alert behind it).
    NotOptedIn,
    /// A failback to a home server that is flapping or flapped within the
    /// flap window: never automatic.
    FlappingFailback,
}

/// Which cap a plan is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// `servers` or `sites`.
    pub what: &'static str,
    pub per_hour: bool,
    pub cap: u32,
    /// Already touched in the last hour (per-hour breaches only).
    pub used: usize,
}

/// The autopilot's decision about one plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Execute it, with this confirmation (the opt-in of the alert kind is
    /// the consent a typed confirmation stands for).
    Execute {
        confirm: Option<String>,
    },
    /// Dry run: it would have executed it.
    WouldHave,
    /// A block period holds on `target`.
    Blocked(Block),
    /// Over a blast-radius cap: a human must decide.
    Refused(Breach),
    Nothing(Idle),
}

impl Verdict {
    /// The decision's `outcome` on the wire; none for doing nothing.
    pub fn outcome(&self) -> Option<&'static str> {
        match self {
            Verdict::Execute { .. } => Some("executed"),
            Verdict::WouldHave => Some("would_have"),
            Verdict::Blocked(_) => Some("blocked"),
            Verdict::Refused(_) => Some("refused"),
            Verdict::Nothing(_) => None,
        }
    }
}

/// The configuration the policy reads.
#[derive(Debug, Clone)]
pub struct Policy {
    pub spec: AutopilotSpec,
    pub detection: DetectionSettings,
}

impl Policy {
    pub fn mode(&self, book: &AutopilotBook) -> AutopilotMode {
        if !self.spec.enabled {
            AutopilotMode::Off
        } else if book.paused.is_some() {
            AutopilotMode::Paused
        } else if self.spec.dry_run {
            AutopilotMode::DryRun
        } else {
            AutopilotMode::Active
        }
    }

    /// Whether the autopilot may answer this recommendation at all: its
    /// alert kind is opted in, or it is a failback and `failback = true`.
    pub fn opted_in(&self, recommendation: &Recommendation) -> bool {
        match recommendation.alert_kind {
            Some(kind) => self.spec.kinds.contains(&kind),
            None => recommendation.request.kind == PlanKind::Failback && self.spec.failback,
        }
    }

    /// When a plan cannot place every site but offers a way out (promote a
    /// spare), the autopilot takes the first offer now and the plan itself
    /// on a later round: one action per decision.
    pub fn first_offer(plan: &Plan) -> Option<&PlanRequest> {
        if plan.unplaceable.is_empty() {
            None
        } else {
            plan.offers.first()
        }
    }

    /// Decides about `plan`, made for `recommendation` (or for the first
    /// offer of the plan made for it).
    pub fn decide(
        &self,
        book: &AutopilotBook,
        recommendation: &Recommendation,
        plan: &Plan,
        topology: &Topology,
        now: Timestamp,
    ) -> Verdict {
        match self.mode(book) {
            AutopilotMode::Off => return Verdict::Nothing(Idle::Off),
            AutopilotMode::Paused => return Verdict::Nothing(Idle::Paused),
            AutopilotMode::Active | AutopilotMode::DryRun => {}
        }
        if !self.opted_in(recommendation) {
            return Verdict::Nothing(Idle::NotOptedIn);
        }
        if plan.kind == PlanKind::Failback && self.flapping_home(plan, topology) {
            return Verdict::Nothing(Idle::FlappingFailback);
        }
        if let Some(block) = blocked(book, plan, now) {
            return Verdict::Blocked(block.clone());
        }
        let radius = BlastRadius::of(plan);
        if let Some(breach) = self.breach(book, &radius, now) {
            return Verdict::Refused(breach);
        }
        if self.spec.dry_run {
            Verdict::WouldHave
        } else {
            Verdict::Execute {
                confirm: plan.confirm.clone(),
            }
        }
    }

    /// A home server the failback moves sites to (or waits for) is flapping,
    /// or has had more transitions in the flap window than flapping takes.
    fn flapping_home(&self, plan: &Plan, topology: &Topology) -> bool {
        let homes: BTreeSet<&str> = plan
            .placements
            .iter()
            .map(|p| p.to.as_str())
            .chain(plan.steps.iter().filter_map(|s| match &s.op {
                StepOp::WaitHealthy { server, .. } => Some(server.as_str()),
                _ => None,
            }))
            .collect();
        topology
            .servers
            .iter()
            .filter(|s| homes.contains(s.id.as_str()))
            .any(|s| {
                s.health.state == HealthState::Flapping
                    || s.health.transitions > self.detection.flap_transitions
            })
    }

    fn breach(&self, book: &AutopilotBook, radius: &BlastRadius, now: Timestamp) -> Option<Breach> {
        let spec = &self.spec;
        let over = |what, per_hour, count: usize, cap: u32, used| {
            (count > cap as usize).then_some(Breach {
                what,
                per_hour,
                cap,
                used,
            })
        };
        if let Some(b) = over(
            "servers",
            false,
            radius.servers.len(),
            spec.max_servers_per_action,
            0,
        )
        .or_else(|| {
            over(
                "sites",
                false,
                radius.sites.len(),
                spec.max_sites_per_action,
                0,
            )
        }) {
            return Some(b);
        }
        let (servers, sites) = hour_touched(book, now);
        let used_servers = servers.len();
        let used_sites = sites.len();
        let with_servers = servers.union(&radius.servers.iter().collect()).count();
        let with_sites = sites.union(&radius.sites.iter().collect()).count();
        over(
            "servers",
            true,
            with_servers,
            spec.max_servers_per_hour,
            used_servers,
        )
        .or_else(|| {
            over(
                "sites",
                true,
                with_sites,
                spec.max_sites_per_hour,
                used_sites,
            )
        })
    }

    /// Books an action it started: the hour's budget and a block period on
    /// the plan's target and every server it touches.
    pub fn record_action(
        &self,
        book: &mut AutopilotBook,
        plan: &Plan,
        action_id: &str,
        now: Timestamp,
    ) {
        let radius = BlastRadius::of(plan);
        let until =
            now + TimeDelta::seconds(i64::try_from(self.spec.block_s).unwrap_or(i64::MAX / 1000));
        let targets: BTreeSet<String> = plan
            .target
            .iter()
            .cloned()
            .chain(radius.servers.iter().cloned())
            .collect();
        book.blocks.retain(|b| !targets.contains(&b.target));
        book.blocks.extend(targets.into_iter().map(|target| Block {
            target,
            at: now,
            until,
        }));
        book.acted.push(AutomaticAction {
            at: now,
            action_id: action_id.to_string(),
            servers: radius.servers,
            sites: radius.sites,
        });
    }

    /// The hour's budget and the block periods as `GET /v1/autopilot` shows them.
    pub fn budget(&self, book: &AutopilotBook, now: Timestamp) -> AutopilotBudget {
        let (servers, sites) = hour_touched(book, now);
        AutopilotBudget {
            servers: u32::try_from(servers.len()).unwrap_or(u32::MAX),
            sites: u32::try_from(sites.len()).unwrap_or(u32::MAX),
            max_servers: self.spec.max_servers_per_hour,
            max_sites: self.spec.max_sites_per_hour,
        }
    }
}

impl AutopilotBook {
    /// Forgets actions older than an hour and block periods that ended.
    pub fn expire(&mut self, now: Timestamp) {
        self.acted.retain(|a| a.at + HOUR > now);
        self.blocks.retain(|b| b.until > now);
    }

    /// The block periods in force, soonest end first.
    pub fn blocked(&self, now: Timestamp) -> Vec<AutopilotBlock> {
        let mut blocks: Vec<AutopilotBlock> = self
            .blocks
            .iter()
            .filter(|b| b.until > now)
            .map(|b| AutopilotBlock {
                target: b.target.clone(),
                until: b.until,
            })
            .collect();
        blocks.sort_by(|a, b| a.until.cmp(&b.until).then(a.target.cmp(&b.target)));
        blocks
    }

    /// When the next block period or hourly budget entry ends: a change the
    /// runner must look at even if nothing else changed.
    pub fn next_expiry(&self, now: Timestamp) -> Option<Timestamp> {
        self.blocks
            .iter()
            .map(|b| b.until)
            .chain(self.acted.iter().map(|a| a.at + HOUR))
            .filter(|t| *t > now)
            .min()
    }

    /// Keeps a decision, newest first, at most [`DECISIONS_KEPT`].
    pub fn remember(&mut self, decision: AutopilotDecision) {
        self.decisions.insert(0, decision);
        self.decisions.truncate(DECISIONS_KEPT);
    }
}

/// Distinct servers and sites touched by automatic actions in the hour before `now`.
fn hour_touched(book: &AutopilotBook, now: Timestamp) -> (BTreeSet<&String>, BTreeSet<&String>) {
    let recent = book.acted.iter().filter(|a| a.at + HOUR > now);
    let mut servers = BTreeSet::new();
    let mut sites = BTreeSet::new();
    for action in recent {
        servers.extend(action.servers.iter());
        sites.extend(action.sites.iter());
    }
    (servers, sites)
}

/// The block period in force on what the plan acts on: its target, the
/// servers it moves sites off, and the servers whose role or admin state
/// it changes. Servers that only receive sites are not acted on.
fn blocked<'b>(book: &'b AutopilotBook, plan: &Plan, now: Timestamp) -> Option<&'b Block> {
    let mut subjects: BTreeSet<&str> = plan.target.iter().map(String::as_str).collect();
    for step in &plan.steps {
        match &step.op {
            StepOp::MoveSite { from, .. } => {
                subjects.insert(from);
            }
            StepOp::SetAdmin { server, .. } | StepOp::SetRole { server, .. } => {
                subjects.insert(server);
            }
            _ => {}
        }
    }
    book.blocks
        .iter()
        .filter(|b| b.until > now)
        .find(|b| subjects.contains(b.target.as_str()))
}

/// The sentence a decision writes to the timeline.
pub fn describe(
    verdict: &Verdict,
    plan: &Plan,
    recommendation: &Recommendation,
    dry_run: bool,
) -> String {
    let radius = BlastRadius::of(plan);
    let headline = match &plan.target {
        Some(target) => format!("{} {target}", plan.kind.as_str()),
        None => plan.kind.as_str().to_string(),
    };
    let what = format!(
        "{} ({}, {})",
        deed(plan.kind, plan.target.as_deref()),
        plan.kind.as_str(),
        radius.words()
    );
    match verdict {
        Verdict::Execute { .. } => format!("autopilot: {what} — {}", recommendation.reason),
        Verdict::WouldHave => {
            format!(
                "autopilot (dry run): would have {what} — {}",
                recommendation.reason
            )
        }
        Verdict::Blocked(block) => format!(
            "{}: blocked: {} was acted on automatically at {}, block period until {}; {headline} was not run",
            prefix(dry_run),
            block.target,
            block.at.format("%H:%M:%S"),
            block.until.format("%H:%M:%S"),
        ),
        Verdict::Refused(breach) => {
            let cap = if breach.per_hour {
                format!(
                    "over the cap of {} {} per hour ({} touched automatically in the last hour)",
                    breach.cap, breach.what, breach.used
                )
            } else {
                format!("over the cap of {} {} per action", breach.cap, breach.what)
            };
            format!(
                "{}: refused: {headline} touches {}, {cap}; a human must decide",
                prefix(dry_run),
                radius.words()
            )
        }
        Verdict::Nothing(_) => String::new(),
    }
}

fn prefix(dry_run: bool) -> &'static str {
    if dry_run {
        "autopilot (dry run)"
    } else {
        "autopilot"
    }
}

/// What executing a plan of `kind` did, in the past tense.
fn deed(kind: PlanKind, target: Option<&str>) -> String {
    let on = |verb: &str, none: &str| match target {
        Some(t) => format!("{verb} {t}"),
        None => none.to_string(),
    };
    match kind {
        PlanKind::EvacuateServer | PlanKind::EvacuateSwitch => on("evacuated", "evacuated"),
        PlanKind::PromoteSpare => on("promoted", "promoted a spare"),
        PlanKind::CacheFailover => on("failed the cache over to", "failed the cache over"),
        PlanKind::RecycleWeb => on("recycled", "recycled the web servers"),
        PlanKind::DbFailover => on("failed the database over to", "failed the database over"),
        PlanKind::RestartSites => "restarted the stuck sites".to_string(),
        PlanKind::Failback => on("failed back to", "failed sites back to their home servers"),
        PlanKind::DemoteSpares => on("demoted", "demoted the promoted spares"),
        PlanKind::RestoreCache => on(
            "restored the cache standby on",
            "restored the cache's redundancy",
        ),
        PlanKind::RestoreDbReplica => {
            on("rebuilt the database replica", "rebuilt a database replica")
        }
    }
}

#[cfg(test)]
mod tests;
