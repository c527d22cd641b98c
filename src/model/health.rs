use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

/// The health of one server, site or node as detection sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    Up,
    Degraded,
    Down,
    Flapping,
    #[default]
    Unknown,
}

impl HealthState {
    /// Down or flapping: the component cannot be relied on.
    pub fn is_unhealthy(self) -> bool {
        matches!(self, HealthState::Down | HealthState::Flapping)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Up => "up",
            HealthState::Degraded => "degraded",
            HealthState::Down => "down",
            HealthState::Flapping => "flapping",
            HealthState::Unknown => "unknown",
        }
    }
}

/// A switch is `suspect` as soon as two nodes behind it fail within one
/// probe interval of each other (or one fails while another is down or
/// flaps), and `down` when every node behind it is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum SwitchHealth {
    #[default]
    Ok,
    Suspect,
    Down,
}

impl SwitchHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            SwitchHealth::Ok => "ok",
            SwitchHealth::Suspect => "suspect",
            SwitchHealth::Down => "down",
        }
    }
}

/// Health with the facts behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub state: HealthState,
    /// When `state` was entered.
    pub since: DateTime<Utc>,
    /// Latency of the last successful probe, if any.
    pub latency_ms: Option<f64>,
    /// Share of failed requests (0.0–1.0) over the recent probes.
    pub error_rate: f64,
    /// State transitions inside the flapping window.
    pub transitions: u32,
}

impl Health {
    pub fn unknown(since: DateTime<Utc>) -> Self {
        Health {
            state: HealthState::Unknown,
            since,
            latency_ms: None,
            error_rate: 0.0,
            transitions: 0,
        }
    }
}

/// What kind of component an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    Switch,
    Server,
    Site,
    Cache,
    Database,
}

/// One recorded point of a component's health history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HealthSample {
    pub component_id: String,
    pub component: ComponentKind,
    pub at: DateTime<Utc>,
    /// For switches this is `up` (ok), `degraded` (suspect) or `down`.
    pub state: HealthState,
    pub latency_ms: Option<f64>,
    pub error_rate: f64,
}

/// `GET /v1/latency?servers=…`: the servers' latency now (ms; `null` when
/// the last probe got no answer), for the console's sparklines without
/// reading the whole topology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LatencyReport {
    pub latency_ms: std::collections::BTreeMap<String, Option<f64>>,
}

/// `GET /v1/health/{component_id}/history`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HealthHistory {
    pub component_id: String,
    pub samples: Vec<HealthSample>,
}
