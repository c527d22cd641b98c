//! Health that is derived rather than probed: sites and switches.

use crate::model::{Health, HealthState, Site, SwitchHealth, Timestamp};

/// Share of failing requests reported for a site whose degradation comes from
/// a dependency (cache down, or one code path failing) rather than its server.
pub(super) const DEGRADED_ERROR_RATE: f64 = 0.25;

/// Everything a site's health depends on.
#[derive(Debug, Clone, Copy)]
pub(super) struct SiteInputs {
    /// Health state of the server the site runs on now.
    pub server: HealthState,
    pub stuck_backends: u32,
    /// The active cache node is down or flapping.
    pub cache_unhealthy: bool,
    /// Requests through the code path that uses stale cache connections fail.
    pub code_path_failing: bool,
}

/// The site's state: its server first, then stuck backends (the site is
/// unresponsive), then its dependencies.
pub(super) fn site_state(inputs: SiteInputs) -> HealthState {
    match inputs.server {
        HealthState::Down => HealthState::Down,
        HealthState::Flapping => HealthState::Flapping,
        HealthState::Unknown => HealthState::Unknown,
        HealthState::Up | HealthState::Degraded => {
            if inputs.stuck_backends > 0 {
                HealthState::Down
            } else if inputs.cache_unhealthy || inputs.code_path_failing {
                HealthState::Degraded
            } else {
                HealthState::Up
            }
        }
    }
}

/// Sites are not probed themselves, so their error rate is a nominal figure
/// per state rather than a measurement.
fn nominal_error_rate(state: HealthState) -> f64 {
    match state {
        HealthState::Down => 1.0,
        HealthState::Flapping => 0.5,
        HealthState::Degraded => DEGRADED_ERROR_RATE,
        HealthState::Up | HealthState::Unknown => 0.0,
    }
}

/// Moves `site` into `state` at `at`. Returns the previous state when it
/// changed, `None` when the site was already in `state`.
///
/// `down_since` starts when the site first goes Down or Flapping, survives
/// Down<->Flapping (and Unknown, which proves nothing), and clears on Up or Degraded.
pub(super) fn enter_site_state(
    site: &mut Site,
    state: HealthState,
    at: Timestamp,
) -> Option<HealthState> {
    let previous = site.health.state;
    if previous == state {
        return None;
    }
    site.health = Health {
        state,
        since: at,
        latency_ms: None,
        error_rate: nominal_error_rate(state),
        transitions: 0,
    };
    match state {
        HealthState::Down | HealthState::Flapping => {
            site.down_since.get_or_insert(at);
        }
        HealthState::Up | HealthState::Degraded => site.down_since = None,
        HealthState::Unknown => {}
    }
    Some(previous)
}

/// A switch is Down when it has at least two nodes and all are down, Suspect
/// when at least two and at least half of its nodes are unhealthy together.
pub(super) fn switch_health(nodes: u32, unhealthy: u32, down: u32) -> SwitchHealth {
    if nodes >= 2 && down == nodes {
        SwitchHealth::Down
    } else if unhealthy >= 2 && unhealthy.saturating_mul(2) >= nodes {
        SwitchHealth::Suspect
    } else {
        SwitchHealth::Ok
    }
}

/// A switch's health in the shape health events carry: ok is `up`, suspect
/// is `degraded` (as in `HealthSample`), error rate is the unhealthy share.
pub(super) fn switch_as_health(
    health: SwitchHealth,
    since: Timestamp,
    unhealthy: u32,
    nodes: u32,
) -> Health {
    Health {
        state: switch_state(health),
        since,
        latency_ms: None,
        error_rate: if nodes == 0 {
            0.0
        } else {
            f64::from(unhealthy) / f64::from(nodes)
        },
        transitions: 0,
    }
}

pub(super) fn switch_state(health: SwitchHealth) -> HealthState {
    match health {
        SwitchHealth::Ok => HealthState::Up,
        SwitchHealth::Suspect => HealthState::Degraded,
        SwitchHealth::Down => HealthState::Down,
    }
}
