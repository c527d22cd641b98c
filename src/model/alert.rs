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
    FailoverCapacity,
}

impl AlertKind {
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
}

/// `GET /v1/alerts`: the alerts open now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertList {
    pub alerts: Vec<Alert>,
}
