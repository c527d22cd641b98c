use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use chrono::{DateTime, Utc};

use super::{Health, SwitchHealth};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Switch {
    pub id: String,
    pub health: SwitchHealth,
    /// Nodes behind this switch that are down or flapping.
    pub unhealthy_nodes: u32,
    /// All nodes behind this switch.
    pub nodes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    App,
    Failover,
    Web,
    Cache,
    Db,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::App => "app",
            Role::Failover => "failover",
            Role::Web => "web",
            Role::Cache => "cache",
            Role::Db => "db",
        }
    }
}

/// Administrative state set by operators and actions, independent of health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Admin {
    #[default]
    Ready,
    Drain,
    Maint,
}

impl Admin {
    pub fn as_str(self) -> &'static str {
        match self {
            Admin::Ready => "ready",
            Admin::Drain => "drain",
            Admin::Maint => "maint",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Server {
    pub id: String,
    pub role: Role,
    pub switch: String,
    /// How many sites the server can host (0 for non-app roles).
    pub capacity: u32,
    pub site_count: u32,
    pub admin: Admin,
    pub health: Health,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Site {
    pub id: String,
    pub name: String,
    /// Where the site runs now.
    pub server: String,
    /// Where the site belongs in the normal configuration.
    pub home_server: String,
    pub health: Health,
    /// Start of the current outage of this site, while it is down.
    pub down_since: Option<DateTime<Utc>>,
    /// Backend processes of this site stuck on a dead database node.
    pub stuck_backends: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Cache {
    pub active: String,
    pub standby: Vec<String>,
    /// Rises on every cache failover.
    pub epoch: u32,
    /// Web server clients still connected to a previous active node.
    pub stale_clients: u32,
    /// Health of the active node.
    pub health: Health,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Database {
    pub writer: String,
    pub replicas: Vec<String>,
    /// Rises on every promotion.
    pub epoch: u32,
    /// Backends, across all sites, stuck on a previous writer.
    pub stuck_backends: u32,
    /// Health of the writer.
    pub health: Health,
}

/// `GET /v1/topology`: the whole fleet. `version` rises on every change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Topology {
    pub version: u64,
    pub service: String,
    pub switches: Vec<Switch>,
    pub servers: Vec<Server>,
    pub sites: Vec<Site>,
    pub cache: Option<Cache>,
    pub database: Option<Database>,
}
