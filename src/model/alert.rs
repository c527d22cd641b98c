use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    ServerDown,
    ServerFlapping,
    SwitchSuspect,
    CacheDown,
    DatabaseDown,
    StaleClients,
    StuckBackends,
    /// No failover capacity left: fewer free slots on healthy ready failover
    /// servers than sites stranded, or none at all.
    FailoverCapacity,
    /// The active cache node has no healthy standby.
    CacheNoStandby,
    /// The database writer has no healthy replica.
    DatabaseNoReplica,
    /// From outside warroom (Alertmanager), on the node its labels name.
    External,
    /// The autopilot refused a recommended plan over its blast-radius cap:
    /// a human must decide (target: the plan's target).
    AutopilotHeld,
}

impl AlertKind {
    pub const ALL: [AlertKind; 12] = [
        AlertKind::ServerDown,
        AlertKind::ServerFlapping,
        AlertKind::SwitchSuspect,
        AlertKind::CacheDown,
        AlertKind::DatabaseDown,
        AlertKind::StaleClients,
        AlertKind::StuckBackends,
        AlertKind::FailoverCapacity,
        AlertKind::CacheNoStandby,
        AlertKind::DatabaseNoReplica,
        AlertKind::External,
        AlertKind::AutopilotHeld,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::ServerDown => "server_down",
            AlertKind::ServerFlapping => "server_flapping",
            AlertKind::SwitchSuspect => "switch_suspect",
            AlertKind::CacheDown => "cache_down",
            AlertKind::DatabaseDown => "database_down",
            AlertKind::StaleClients => "stale_clients",
            AlertKind::StuckBackends => "stuck_backends",
            AlertKind::FailoverCapacity => "failover_capacity",
            AlertKind::CacheNoStandby => "cache_no_standby",
            AlertKind::DatabaseNoReplica => "database_no_replica",
            AlertKind::External => "external",
            AlertKind::AutopilotHeld => "autopilot_held",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    Critical,
    Warning,
    Info,
}

/// A derived alert. Its `id` is stable while the condition holds
/// (`kind:target`), so clients can tell a new alert from an old one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    pub id: String,
    pub kind: AlertKind,
    pub severity: AlertSeverity,
    /// The component the alert is about.
    pub target: String,
    pub message: String,
    pub opened_at: DateTime<Utc>,
    /// Set once, on the event that closes the alert.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who acknowledged it and when: someone is on it (the console stops
    /// reminding about it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<AlertAck>,
    /// Hidden from the console until `until` (on the orchestrator's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silenced: Option<AlertSilence>,
    /// What to read about this kind of alert, when the fleet file names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
}

impl Alert {
    /// Whether a silence holds at `now` (the orchestrator's clock).
    pub fn is_silenced(&self, now: DateTime<Utc>) -> bool {
        self.silenced.as_ref().is_some_and(|s| s.until > now)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertAck {
    /// The name of the token that acknowledged it.
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertSilence {
    pub by: String,
    pub at: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub reason: String,
}

/// `POST /v1/alerts/{id}/silence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SilenceRequest {
    /// How long, in seconds: 60 to 604800 (a week).
    #[schema(minimum = 60, maximum = 604800)]
    #[serde(deserialize_with = "super::text::whole_number")]
    pub duration_s: u64,
    #[schema(schema_with = super::text::silence_reason_schema)]
    pub reason: String,
}

impl SilenceRequest {
    pub const MIN_S: u64 = 60;
    pub const MAX_S: u64 = 7 * 24 * 3600;
    pub const MAX_REASON: usize = super::text::SILENCE_REASON.max;
}

impl super::Validate for SilenceRequest {
    fn validate(&self) -> Result<(), String> {
        if !(Self::MIN_S..=Self::MAX_S).contains(&self.duration_s) {
            return Err(format!(
                "duration_s must be from {} to {} (a week)",
                Self::MIN_S,
                Self::MAX_S
            ));
        }
        super::text::SILENCE_REASON.check("reason", &self.reason)
    }
}

/// `GET /v1/alerts`: the alerts open now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertList {
    pub alerts: Vec<Alert>,
}
