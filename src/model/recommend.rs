//! `GET /v1/recommendations` and `GET/POST /v1/autopilot`: the plan the
//! console offers first for the current alerts, and the guarded autopilot
//! that may take it by itself (DESIGN.md §4). Timestamps are spelled
//! `DateTime<Utc>`: utoipa recognizes chrono's type by name, not the alias.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

use super::{AlertKind, PlanRequest};

/// One plan worth making now, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Recommendation {
    /// What to ask `POST /v1/plans` for.
    pub request: PlanRequest,
    /// One sentence for the commander: what is wrong and what the plan does.
    pub reason: String,
    /// The kind of alert it answers; none for housekeeping with no alert
    /// behind it (failing back to home servers that are stable again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_kind: Option<AlertKind>,
    /// Ids of the open alerts it answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
    /// Since when it holds: the oldest of those alerts' `opened_at`, or when
    /// the condition behind it began (a home server up and stable).
    pub since: DateTime<Utc>,
}

/// `GET /v1/recommendations`: best first; empty when nothing needs doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Recommendations {
    /// The topology version they were made from.
    pub topology_version: u64,
    pub recommendations: Vec<Recommendation>,
}

/// What the autopilot is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AutopilotMode {
    /// Not configured (`[autopilot]` absent or `enabled = false`).
    Off,
    /// Executes recommended plans within its guardrails.
    Active,
    /// Records what it would have done, and does nothing.
    DryRun,
    /// Paused by a commander: decides nothing until resumed.
    Paused,
}

impl AutopilotMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AutopilotMode::Off => "off",
            AutopilotMode::Active => "active",
            AutopilotMode::DryRun => "dry_run",
            AutopilotMode::Paused => "paused",
        }
    }
}

/// One automatic decision, as the autopilot recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AutopilotDecision {
    pub at: DateTime<Utc>,
    pub request: PlanRequest,
    /// `executed`, `would_have` (dry run), `blocked` (block period),
    /// `refused` (blast-radius cap), `failed`.
    pub outcome: String,
    /// The sentence written to the timeline.
    pub detail: String,
    /// The action it started, when it started one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
}

/// `GET /v1/autopilot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AutopilotStatus {
    pub mode: AutopilotMode,
    /// The alert kinds it may act on (`[autopilot] kinds`).
    pub kinds: Vec<AlertKind>,
    /// Who paused it and when, while paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<DateTime<Utc>>,
    /// Targets in their block period after an automatic action, with its end.
    pub blocked: Vec<AutopilotBlock>,
    /// Servers and sites touched by automatic actions in the last hour,
    /// against the caps.
    pub hour: AutopilotBudget,
    /// The newest decisions, newest first (at most 20).
    pub decisions: Vec<AutopilotDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AutopilotBlock {
    pub target: String,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AutopilotBudget {
    pub servers: u32,
    pub sites: u32,
    pub max_servers: u32,
    pub max_sites: u32,
}

/// `POST /v1/autopilot` (commander).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutopilotCommand {
    pub command: AutopilotVerb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AutopilotVerb {
    Pause,
    Resume,
}
