//! The outbox (DESIGN.md §10): what warroom sends out, one delivery per
//! target and thing to tell, kept until it is delivered or given up.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a delivery goes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OutboxTarget {
    /// A Statuspage-compatible API: public status updates.
    Statuspage,
    /// A generic webhook signed with HMAC-SHA256: public status updates.
    Webhook,
    /// A Slack-compatible incoming webhook: incidents, status updates,
    /// actions and critical alerts.
    Chat,
}

impl OutboxTarget {
    pub const ALL: [OutboxTarget; 3] = [
        OutboxTarget::Statuspage,
        OutboxTarget::Webhook,
        OutboxTarget::Chat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutboxTarget::Statuspage => "statuspage",
            OutboxTarget::Webhook => "webhook",
            OutboxTarget::Chat => "chat",
        }
    }

    /// As the timeline names it.
    pub fn title(self) -> &'static str {
        match self {
            OutboxTarget::Statuspage => "status page",
            OutboxTarget::Webhook => "webhook",
            OutboxTarget::Chat => "chat",
        }
    }
}

/// A delivery to stage: `key` is unique per target (a second one with the
/// same key is not staged) and is sent as the delivery's idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub target: OutboxTarget,
    pub key: String,
    pub incident_id: Option<i64>,
    /// What to send, as the target's sender reads it.
    pub payload: serde_json::Value,
}

/// A staged delivery and how it went so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub target: OutboxTarget,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<i64>,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    /// Not before this time is it tried again.
    pub next_attempt_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    /// Set when it was given up (refused for good by the receiver).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gave_up_at: Option<DateTime<Utc>>,
    /// The receiver's id for what it made (the status page's incident id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    Delivered {
        at: DateTime<Utc>,
        remote_id: Option<String>,
    },
    /// Failed; tried again at `next_attempt_at`.
    Retry {
        at: DateTime<Utc>,
        next_attempt_at: DateTime<Utc>,
        error: String,
    },
    /// Refused for good: not tried again.
    GaveUp { at: DateTime<Utc>, error: String },
}
