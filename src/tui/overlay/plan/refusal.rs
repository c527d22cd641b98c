//! What a refused plan or execute means for the commander, and which key
//! helps next.

use crate::model::ErrorCode;
use crate::tui::keymap::{Action, Context, Keymap};
use crate::tui::msg::WriteError;

/// What the next key can do about a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Nothing reached the API: Enter sends the same request with the same
    /// Idempotency-Key, so it can never run twice.
    Resend,
    /// The plan no longer fits the fleet (or is gone): `r` makes a new one.
    Replan,
    /// A cooldown holds: `c` acknowledges it and runs anyway.
    AcknowledgeCooldown,
    /// The target's id must be typed: Enter opens the input.
    Confirm,
    /// Nothing to do here (a role, a missing driver): the message says why.
    None,
}

/// A request the API refused (or that did not reach it), and what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub error: WriteError,
    pub remedy: Remedy,
    /// One sentence for the commander: what happened and which key helps.
    pub headline: String,
}

/// Why the planner (or undo) gave no plan, and what to do next.
pub(super) fn plan_refusal(error: WriteError, keys: &Keymap) -> Refusal {
    let replan = keys.hint(Context::Modal, Action::Replan);
    let (headline, remedy) = match error.status {
        None => (
            format!("not sent: API unreachable; press {replan} to try again"),
            Remedy::Replan,
        ),
        Some(403) => (
            "this token may not make plans: failover actions need a commander's token".into(),
            Remedy::None,
        ),
        Some(401) => (
            "the API refused the token: check --token or WARROOM_TOKEN".into(),
            Remedy::None,
        ),
        Some(_) => (
            format!("no plan: the planner refused (press {replan} to try again)"),
            Remedy::Replan,
        ),
    };
    Refusal {
        error,
        remedy,
        headline,
    }
}

/// Why execute was refused, and what to do next. `confirm` is the id the
/// plan wants typed, if any.
pub(super) fn execute_refusal(error: WriteError, confirm: Option<&str>, keys: &Keymap) -> Refusal {
    let replan = keys.hint(Context::Modal, Action::Replan);
    let execute = keys.hint(Context::Modal, Action::Execute);
    let ack = keys.hint(Context::Modal, Action::AcknowledgeCooldown);
    let (headline, remedy) = match (error.status, error.code) {
        (None, _) => (
            format!(
                "not sent: API unreachable; press {execute} to retry (same Idempotency-Key: it can never run twice)"
            ),
            Remedy::Resend,
        ),
        (Some(409), _) | (_, Some(ErrorCode::TopologyChanged)) => (
            format!("the topology changed since this plan was made: press {replan} to plan again"),
            Remedy::Replan,
        ),
        (Some(410), _) | (_, Some(ErrorCode::PlanExpired)) => (
            format!("this plan expired: press {replan} to plan again"),
            Remedy::Replan,
        ),
        (Some(404), _) => (
            format!("the API no longer knows this plan: press {replan} to plan again"),
            Remedy::Replan,
        ),
        (Some(412), _) => (
            format!(
                "confirmation required: press {execute} and type {}",
                confirm.unwrap_or("the target's id")
            ),
            Remedy::Confirm,
        ),
        (Some(423), _) => (
            "locked: another running action holds this scope; wait for it to finish, or abort it"
                .into(),
            Remedy::Replan,
        ),
        (Some(429), _) => (
            format!(
                "cooldown after an automatic action: press {ack} to acknowledge it and run anyway"
            ),
            Remedy::AcknowledgeCooldown,
        ),
        (Some(403), _) => (
            "this token may not run failover actions: they need a commander's token".into(),
            Remedy::None,
        ),
        (Some(401), _) => (
            "the API refused the token: check --token or WARROOM_TOKEN".into(),
            Remedy::None,
        ),
        (_, Some(ErrorCode::NoDriver)) => (
            "the orchestrator has no executor driver configured for this fleet".into(),
            Remedy::None,
        ),
        (Some(status), _) => (
            format!("refused ({status}): press {replan} to plan again"),
            Remedy::Replan,
        ),
    };
    Refusal {
        error,
        remedy,
        headline,
    }
}
