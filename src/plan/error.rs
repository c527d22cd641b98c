//! Why no plan could be made.

use crate::model::PlanKind;

/// A request the planner refuses. Messages are sentences a commander can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The plan kind needs a target and the request named none.
    #[error("{} needs a target", .kind.as_str())]
    MissingTarget { kind: PlanKind },
    /// The target (or an `also` / `sites` entry) names nothing in the fleet.
    #[error("there is no {expected} '{target}' in the fleet")]
    UnknownTarget {
        target: String,
        /// What was looked for: "server", "switch", "site", "server or switch", …
        expected: &'static str,
    },
    /// The target exists but this plan kind cannot act on it (e.g. `evacuate_switch` on a server).
    #[error("{} cannot target '{target}': {reason}", .kind.as_str())]
    WrongTarget {
        kind: PlanKind,
        target: String,
        reason: String,
    },
    /// The fleet is already as the plan would make it.
    #[error("nothing to do: {0}")]
    NothingToDo(String),
    /// No node is healthy enough to take over.
    #[error("no healthy target: {0}")]
    NoHealthyTarget(String),
    /// The named target is not healthy or ready enough to act on.
    #[error("'{target}' cannot be used now: {reason}")]
    UnsafeTarget { target: String, reason: String },
    /// The fleet has no such component (no cache, no database), or no
    /// runbook for a step the plan needs.
    #[error("the fleet has no {0}")]
    NotConfigured(String),
    /// The executed plan has no reverse.
    #[error("cannot undo: {0}")]
    NotReversible(String),
}

impl PlanError {
    /// A stable snake_case code for the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::MissingTarget { .. } => "missing_target",
            PlanError::UnknownTarget { .. } => "unknown_target",
            PlanError::WrongTarget { .. } => "wrong_target",
            PlanError::NothingToDo(_) => "nothing_to_do",
            PlanError::NoHealthyTarget(_) => "no_healthy_target",
            PlanError::UnsafeTarget { .. } => "unsafe_target",
            PlanError::NotConfigured(_) => "not_configured",
            PlanError::NotReversible(_) => "not_reversible",
        }
    }
}
