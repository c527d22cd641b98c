//! Health that is derived rather than probed: sites and switches.

use chrono::TimeDelta;

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

/// What the switch rule knows of one node behind a switch.
#[derive(Debug, Clone, Copy)]
pub(super) struct NodeSignal {
    pub state: HealthState,
    /// When the node last failed a probe.
    pub last_failure: Option<Timestamp>,
    /// The node's probe interval.
    pub interval: TimeDelta,
}

/// The nodes behind one switch, counted for the switch rule at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SwitchCount {
    pub nodes: u32,
    pub down: u32,
    pub unhealthy: u32,
    /// Down or flapping, or failed a probe within one probe interval of now.
    pub failing: u32,
    /// Down or flapping, or failed a probe within the flapping window.
    pub implicated: u32,
}

impl SwitchCount {
    /// Counts the nodes `behind` a switch as of `at`; `window` is the
    /// flapping window.
    pub(super) fn of(
        behind: impl Iterator<Item = NodeSignal>,
        at: Timestamp,
        window: TimeDelta,
    ) -> SwitchCount {
        let mut count = SwitchCount::default();
        for node in behind {
            let unhealthy = node.state.is_unhealthy();
            let failed_within = |span: TimeDelta| node.last_failure.is_some_and(|f| at - f <= span);
            count.nodes += 1;
            count.down += u32::from(node.state == HealthState::Down);
            count.unhealthy += u32::from(unhealthy);
            count.failing += u32::from(unhealthy || failed_within(node.interval));
            count.implicated += u32::from(unhealthy || failed_within(window));
        }
        count
    }
}

/// The switch rule (DESIGN.md §4), for a switch with at least two nodes:
/// - Down when every node is down;
/// - Suspect as soon as two nodes are failing together, each down,
///   flapping, or having failed a probe within one probe interval of now:
///   two failures within an interval of each other, one failure while
///   another node is down or flapping, or several nodes unhealthy at once;
/// - once suspect, it stays suspect while a node behind it is still failing
///   and another has failed within the flapping window (a node flapping
///   between failures keeps it suspect, without the alert coming and
///   going). It clears when no node has failed for a probe interval, or
///   when only one node is left with failures in the window: a server that
///   stays dead for days does not hold its switch under suspicion alone.
pub(super) fn switch_health(previous: SwitchHealth, count: SwitchCount) -> SwitchHealth {
    if count.nodes < 2 {
        SwitchHealth::Ok
    } else if count.down == count.nodes {
        SwitchHealth::Down
    } else if count.failing >= 2
        || (previous != SwitchHealth::Ok && count.failing >= 1 && count.implicated >= 2)
    {
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
