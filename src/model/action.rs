use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{PlanKind, PlanRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionState {
    Running,
    Succeeded,
    Failed,
    Aborted,
    /// Done, but stale cache clients or stuck backends remain: see `follow_up`.
    NeedsFollowUp,
    /// The orchestrator stopped (crashed) while it ran; on restart it was
    /// not resumed. Its steps say what ran, what may have run (the step in
    /// flight, failed with the reason) and what did not (skipped).
    Interrupted,
}

impl ActionState {
    pub fn is_finished(self) -> bool {
        !matches!(self, ActionState::Running)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionState::Running => "running",
            ActionState::Succeeded => "succeeded",
            ActionState::Failed => "failed",
            ActionState::Aborted => "aborted",
            ActionState::NeedsFollowUp => "needs_follow_up",
            ActionState::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
    Aborted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StepProgress {
    pub index: u32,
    pub description: String,
    pub state: StepState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// What the driver printed or answered (truncated, control characters removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// Web servers still hold connections to the old cache node.
    StaleClients,
    /// Backends are still stuck on the old database writer.
    StuckBackends,
}

/// What still has to happen before a failover is really done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUp {
    pub kind: FollowUpKind,
    /// How many remain; the action is done when this reaches 0.
    pub count: u32,
    /// The plan that clears them (recycle_web or restart_sites).
    pub offer: PlanRequest,
}

/// An executed plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Action {
    pub id: String,
    pub plan_id: String,
    pub kind: PlanKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub summary: String,
    pub state: ActionState,
    pub steps: Vec<StepProgress>,
    /// The token name that started it.
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// The incident open when it ran, if any; its timeline got the action entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
    /// The action this one undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo_of: Option<String>,
    /// Started by automation rather than a person (a cooldown follows it).
    #[serde(default)]
    pub automatic: bool,
}

/// `POST /v1/plans/{id}/execute`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteRequest {
    /// For plans with `confirm` set: the target id, typed by a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<String>,
    /// Run even though a cooldown after an automatic action applies.
    #[serde(default)]
    pub acknowledge_cooldown: bool,
    /// Mark the action as started by automation (a cooldown follows it).
    #[serde(default)]
    pub automatic: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActionList {
    pub actions: Vec<Action>,
}
