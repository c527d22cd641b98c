use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

/// Faults the simulator can inject (`POST /v1/sim/faults`, scenario files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The server stops answering.
    ServerDown,
    /// The server is periodically unavailable.
    ServerFlap,
    /// Every node behind the switch flaps.
    SwitchFault,
    /// The cache node stops answering.
    CacheNodeDown,
    /// Arms the regression: after the next cache failover, web servers keep
    /// stale connections to the old node until they are recycled.
    CacheFailoverRegression,
    /// The database writer dies; the managed service promotes a replica after
    /// a delay, and backends busy at that moment stay stuck on the dead node.
    DbMasterDown,
    /// Clears every fault on the target (a server, switch or node).
    Recover,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::ServerDown,
        FaultKind::ServerFlap,
        FaultKind::SwitchFault,
        FaultKind::CacheNodeDown,
        FaultKind::CacheFailoverRegression,
        FaultKind::DbMasterDown,
        FaultKind::Recover,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::ServerDown => "server_down",
            FaultKind::ServerFlap => "server_flap",
            FaultKind::SwitchFault => "switch_fault",
            FaultKind::CacheNodeDown => "cache_node_down",
            FaultKind::CacheFailoverRegression => "cache_failover_regression",
            FaultKind::DbMasterDown => "db_master_down",
            FaultKind::Recover => "recover",
        }
    }
}

/// `POST /v1/sim/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimFault {
    pub kind: FaultKind,
    /// A server, switch or node of the simulated fleet.
    #[schema(min_length = 1)]
    pub target: String,
}

/// Whether the target exists is the simulator's to say.
impl super::Validate for SimFault {}

/// One upcoming step of the scenario being played.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ScheduledStep {
    /// Offset from the scenario start, as written in the file (`+45m`).
    pub offset: String,
    /// Sim-clock time the step is due.
    pub due_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What happens, in words (from the scenario file).
    pub description: String,
}

/// `GET /v1/sim`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SimStatus {
    /// The sim clock now.
    pub clock: DateTime<Utc>,
    /// Sim-clock time the simulator started.
    pub started_at: DateTime<Utc>,
    /// Sim seconds per real second.
    pub speed: f64,
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Faults in force now.
    pub active_faults: Vec<SimFault>,
    /// Scenario steps not yet played, soonest first.
    pub next_steps: Vec<ScheduledStep>,
}
