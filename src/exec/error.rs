//! Why the executor refused a request. Each refusal has a stable code; the
//! server maps it to an HTTP status.

use crate::model::{ActionState, Timestamp};
use crate::plan::PlanError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("there is no plan {0}; plans live until they expire, make a new one")]
    PlanNotFound(String),
    #[error("plan {id} expired at {expired_at}; make a new plan")]
    PlanExpired { id: String, expired_at: Timestamp },
    #[error(
        "this Idempotency-Key was already used to execute plan {plan_id}; use a new key for another plan"
    )]
    KeyReused { plan_id: String },
    #[error(
        "the topology changed since plan {plan_id} was made (plan at version {planned}, If-Match {if_match}, now {current}); make a new plan"
    )]
    TopologyChanged {
        plan_id: String,
        planned: u64,
        if_match: u64,
        current: u64,
    },
    #[error(
        "{risk}: to go ahead, send confirm = \"{expected}\" (the target's id, typed by a person)"
    )]
    ConfirmationRequired { expected: String, risk: String },
    #[error(
        "action {action_id} ({what}) is running and holds {held}; wait for it to finish or abort it"
    )]
    Locked {
        action_id: String,
        what: String,
        held: String,
    },
    #[error(
        "automatic action {action_id} ({what}) finished recently: a cooldown on {held} holds until {until}; send acknowledge_cooldown = true to run anyway"
    )]
    Cooldown {
        action_id: String,
        what: String,
        held: String,
        until: Timestamp,
    },
    #[error(
        "no executor driver is configured for this fleet: add an [executor] section with driver = \"exec\" or \"http\" to the fleet file"
    )]
    NoDriver,
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("there is no action {0}")]
    ActionNotFound(String),
    #[error("action {id} is not running: it {}", .state.as_str())]
    NotRunning { id: String, state: ActionState },
    #[error("action {id} is still running: wait for it to finish or abort it before undoing it")]
    StillRunning { id: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ExecError {
    /// A stable snake_case code for the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            ExecError::PlanNotFound(_) | ExecError::ActionNotFound(_) => "not_found",
            ExecError::PlanExpired { .. } => "plan_expired",
            ExecError::KeyReused { .. } => "idempotency_key_reused",
            ExecError::TopologyChanged { .. } => "topology_changed",
            ExecError::ConfirmationRequired { .. } => "confirmation_required",
            ExecError::Locked { .. } => "locked",
            ExecError::Cooldown { .. } => "cooldown",
            ExecError::NoDriver => "no_driver",
            ExecError::Plan(e) => e.code(),
            ExecError::NotRunning { .. } => "not_running",
            ExecError::StillRunning { .. } => "action_running",
            ExecError::Store(_) => "internal",
        }
    }

    /// An action lookup that found nothing is the action's 404, not the store's.
    pub(super) fn from_lookup(id: &str, err: StoreError) -> ExecError {
        match err {
            StoreError::NotFound { .. } => ExecError::ActionNotFound(id.to_string()),
            other => ExecError::Store(other),
        }
    }
}
