use std::collections::BTreeMap;

use super::Timestamp;

/// The result of one health probe of one node, real or simulated.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeOutcome {
    pub ok: bool,
    /// Round-trip time of a successful probe.
    pub latency_ms: Option<f64>,
    /// Why the probe failed, in a few words (never contains secrets).
    pub error: Option<String>,
}

impl ProbeOutcome {
    pub fn up(latency_ms: f64) -> Self {
        ProbeOutcome {
            ok: true,
            latency_ms: Some(latency_ms),
            error: None,
        }
    }

    pub fn failed(error: impl Into<String>) -> Self {
        ProbeOutcome {
            ok: false,
            latency_ms: None,
            error: Some(error.into()),
        }
    }
}

/// Facts about the world that probes of single nodes cannot see: which cache
/// and database nodes hold which role, and which clients are stuck on an old
/// node. The simulator knows them; a real fleet reports none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorldFacts {
    pub cache: Option<CacheFacts>,
    pub database: Option<DatabaseFacts>,
    /// Backends stuck on a dead database node, per site id (absent = 0).
    pub stuck_backends: BTreeMap<String, u32>,
    /// Cache clients the nodes themselves report still connected to a
    /// previous cache node (a real fleet's `/health` reports), when `cache`
    /// is `None`; `None` leaves the count as it was.
    pub stale_cache_clients: Option<u32>,
}

/// What a node says about itself in a JSON health answer, beyond being up:
/// the 2017 and 2020 failure modes as the node sees them. Fields a node does
/// not report are 0 (or empty).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(default)]
pub struct NodeReport {
    /// Its cache connections to a node that is no longer the active one.
    pub stale_cache_connections: u32,
    /// Its database calls waiting far longer than they should.
    pub stuck_db_connections: u32,
    /// Those stuck calls per site id.
    pub stuck_sites: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CacheFacts {
    pub active: String,
    pub standby: Vec<String>,
    pub epoch: u32,
    /// Web servers still connected to a previous active node.
    pub stale_clients: u32,
    /// Requests through the code path that uses the stale connections fail.
    pub code_path_failing: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseFacts {
    pub writer: String,
    pub replicas: Vec<String>,
    pub epoch: u32,
}

/// What an observation source (real probes or the simulator) reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// Probe results, all taken at `at`.
    Probes {
        at: Timestamp,
        results: Vec<(String, ProbeOutcome)>,
    },
    /// The world's facts as of `at`.
    World { at: Timestamp, facts: WorldFacts },
}
