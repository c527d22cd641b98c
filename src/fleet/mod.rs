//! Topology and health state machine (DESIGN.md §4): probe results and world
//! facts go in, topology changes and derived alerts come out.
//!
//! Pure: no I/O, no clock reads; every call takes the time it happened at.
//! Servers get rise/fall hysteresis and flapping detection; switches, sites,
//! the cache and the database derive their health from the servers and the
//! world's facts; alerts open and resolve as their conditions come and go.

mod alerts;
mod changes;
mod derive;
mod external;
mod held;
mod operations;
mod persist;
mod state;
mod tracker;

#[cfg(test)]
mod tests;

pub use alerts::alert_id;
pub use persist::{Contradiction, FleetState};
pub use state::Fleet;
pub use tracker::TrackerState;

use crate::model::{Alert, HealthEvent, Role, TopologyEvent};

/// One change a `Fleet` call caused.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "the shape the server's event hub consumes; a call yields only a handful"
)]
pub enum FleetChange {
    /// One component's health state changed (server, site, switch, cache, database).
    Health(HealthEvent),
    /// Objects whose non-health fields changed: placement, admin state, role,
    /// cache/database roles, epochs, stale clients, stuck backends, site
    /// counts, a switch's unhealthy-node count.
    Topology(TopologyEvent),
    /// A derived alert's condition started to hold.
    AlertOpened(Alert),
    /// The condition of an open alert is gone: same id, `resolved_at` set.
    AlertResolved(Alert),
    /// Someone acknowledged or silenced an open alert.
    AlertWorked(Alert),
}

/// Why an operator or action change was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    #[error("there is no site '{0}' in the fleet")]
    UnknownSite(String),
    #[error("no alert '{0}' is open (it may have resolved)")]
    UnknownAlert(String),
    #[error("there is no server '{0}' in the fleet")]
    UnknownServer(String),
    #[error("server '{server}' is a {} server; only app and failover servers host sites", .role.as_str())]
    NotSiteHost { server: String, role: Role },
    #[error("server '{server}' is full: it already hosts its capacity of {capacity} sites")]
    OverCapacity { server: String, capacity: u32 },
    #[error("server '{server}' cannot change role from {} to {}; only app and failover servers trade roles", .from.as_str(), .to.as_str())]
    RoleChangeRefused {
        server: String,
        from: Role,
        to: Role,
    },
}

impl FleetError {
    /// A stable snake_case code for the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            FleetError::UnknownSite(_) => "unknown_site",
            FleetError::UnknownAlert(_) => "unknown_alert",
            FleetError::UnknownServer(_) => "unknown_server",
            FleetError::NotSiteHost { .. } => "not_site_host",
            FleetError::OverCapacity { .. } => "over_capacity",
            FleetError::RoleChangeRefused { .. } => "role_change_refused",
        }
    }
}
