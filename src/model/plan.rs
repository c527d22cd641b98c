use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use std::collections::BTreeSet;

use super::{Admin, FleetSpec, Role};

/// What a plan does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// Move every site off one server (target: the server).
    EvacuateServer,
    /// Move every site off every app/failover server behind a switch (target: the switch).
    EvacuateSwitch,
    /// Turn a healthy app server into a failover server (target: the server, or none to pick one).
    PromoteSpare,
    /// Make a standby cache node active (target: the standby, or none for the first healthy one).
    CacheFailover,
    /// Rolling restart of web servers to drop stale cache connections (target: one web server, or none for all that hold stale ones).
    RecycleWeb,
    /// Switch the database writer to a replica; forced when the writer is unhealthy.
    DbFailover,
    /// Restart the sites with stuck backends (or the sites in `options.sites`).
    RestartSites,
    /// Move sites back to their home servers once those are healthy and stable.
    Failback,
    /// Return promoted spares to the app role once no other server's sites
    /// are left on them (target: one spare, or none for every such spare).
    DemoteSpares,
    /// Restore the cache's redundancy: fail back to the primary the fleet
    /// file names once it is healthy and stable, or make a healthy cache node
    /// the standby of the active one (target: that node, or none).
    RestoreCache,
    /// Rebuild a database node as a replica of the current writer after a
    /// failover (target: that node, or none for the first healthy one).
    RestoreDbReplica,
}

impl PlanKind {
    pub const ALL: [PlanKind; 11] = [
        PlanKind::EvacuateServer,
        PlanKind::EvacuateSwitch,
        PlanKind::PromoteSpare,
        PlanKind::CacheFailover,
        PlanKind::RecycleWeb,
        PlanKind::DbFailover,
        PlanKind::RestartSites,
        PlanKind::Failback,
        PlanKind::DemoteSpares,
        PlanKind::RestoreCache,
        PlanKind::RestoreDbReplica,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanKind::EvacuateServer => "evacuate_server",
            PlanKind::EvacuateSwitch => "evacuate_switch",
            PlanKind::PromoteSpare => "promote_spare",
            PlanKind::CacheFailover => "cache_failover",
            PlanKind::RecycleWeb => "recycle_web",
            PlanKind::DbFailover => "db_failover",
            PlanKind::RestartSites => "restart_sites",
            PlanKind::Failback => "failback",
            PlanKind::DemoteSpares => "demote_spares",
            PlanKind::RestoreCache => "restore_cache",
            PlanKind::RestoreDbReplica => "restore_db_replica",
        }
    }
}

/// `POST /v1/plans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    pub kind: PlanKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "PlanOptions::is_empty")]
    pub options: PlanOptions,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanOptions {
    /// Only these sites (restart_sites, failback).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<String>,
    /// Also evacuate these sources in the same plan (several failures at once).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
}

impl PlanOptions {
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty() && self.also.is_empty()
    }
}

/// One site moved from one server to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Placement {
    pub site: String,
    pub from: String,
    pub to: String,
}

/// A site the plan could not place, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Unplaceable {
    pub site: String,
    pub from: String,
    pub reason: String,
}

/// One operation a driver carries out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum StepOp {
    SetAdmin {
        server: String,
        admin: Admin,
    },
    SetRole {
        server: String,
        role: Role,
    },
    MoveSite {
        site: String,
        from: String,
        to: String,
    },
    CacheFailover {
        from: String,
        to: String,
    },
    RecycleWeb {
        server: String,
    },
    DbFailover {
        from: String,
        to: String,
        forced: bool,
    },
    RestartSite {
        site: String,
    },
    /// Make `node` a standby of the active cache node `active` again (its
    /// copy is rebuilt from the active node).
    CacheStandby {
        node: String,
        active: String,
    },
    /// Rebuild `node` as a streaming replica of the database writer `writer`
    /// (a fresh copy of the writer's data).
    RebuildReplica {
        node: String,
        writer: String,
    },
    /// Wait until the server has been up for `stable_s` seconds.
    WaitHealthy {
        server: String,
        stable_s: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PlanStep {
    pub op: StepOp,
    /// What the step does, in words.
    pub description: String,
    /// The step fails if it has not finished within this many seconds.
    pub deadline_s: u64,
}

/// A plan: pure and cheap to make; executing it needs `topology_version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub id: String,
    pub kind: PlanKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// What it will do, in one sentence.
    pub summary: String,
    pub steps: Vec<PlanStep>,
    pub placements: Vec<Placement>,
    pub unplaceable: Vec<Unplaceable>,
    pub warnings: Vec<String>,
    /// For forced database failover: the risk, stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    /// When set, executing needs `confirm` equal to this id (typed by a human).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<String>,
    /// Plans worth making next (e.g. promote a spare when capacity ran out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<PlanRequest>,
    /// The lease this plan needs while it runs (e.g. `switch:sw-2`, `cache`, `database`).
    pub scope: String,
    pub topology_version: u64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The fleet's normal configuration, as its fleet file gives it: what
/// "redundancy is back" means to the planner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NormalConfig {
    /// Servers the fleet file makes app servers: a failover server among
    /// them is a promoted spare.
    pub app_servers: BTreeSet<String>,
    /// The cache node the fleet file makes active.
    pub cache_primary: Option<String>,
    /// The database node the fleet file makes the writer.
    pub database_primary: Option<String>,
}

impl NormalConfig {
    pub fn from_spec(spec: &FleetSpec) -> NormalConfig {
        NormalConfig {
            app_servers: spec
                .servers
                .iter()
                .filter(|s| s.role == Role::App)
                .map(|s| s.id.clone())
                .collect(),
            cache_primary: spec.cache.as_ref().map(|c| c.active.clone()),
            database_primary: spec.database.as_ref().map(|d| d.active.clone()),
        }
    }
}
