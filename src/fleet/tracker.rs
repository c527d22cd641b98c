//! Per-node probe history: rise/fall hysteresis and flapping detection.

use std::collections::VecDeque;

use chrono::TimeDelta;

use crate::model::{
    DetectionSettings, Health, HealthState, ProbeOutcome, ProbeSettings, Timestamp,
};

/// What a restart must not forget of a tracker: the hysteresis verdict,
/// the streaks, the recent outcomes and the transitions still in the
/// flapping window. The settings come from the fleet file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackerState {
    pub steady: HealthState,
    pub ok_streak: u32,
    pub fail_streak: u32,
    pub outcomes: u16,
    pub outcome_count: u32,
    pub transitions: Vec<Timestamp>,
    /// When the last failed probe was taken (what switch correlation reads).
    /// Absent from states saved before it was kept.
    #[serde(default)]
    pub last_failure: Option<Timestamp>,
}

/// How many recent probes `Health::error_rate` is measured over.
const ERROR_RATE_PROBES: u32 = 10;

/// The probe history of one server. It owns no `Health`: `record` updates the
/// server's `Health` in place, so the topology snapshot is always current.
#[derive(Debug, Clone)]
pub(super) struct NodeTracker {
    settings: ProbeSettings,
    /// The hysteresis verdict without flapping: `Up`, `Down` or `Unknown`.
    steady: HealthState,
    ok_streak: u32,
    fail_streak: u32,
    /// The last `ERROR_RATE_PROBES` outcomes, newest in bit 0, a set bit is a failure.
    outcomes: u16,
    outcome_count: u32,
    /// Times of Up<->Down transitions still inside the flapping window, oldest first.
    transitions: VecDeque<Timestamp>,
    last_failure: Option<Timestamp>,
}

impl NodeTracker {
    pub(super) fn new(settings: ProbeSettings) -> Self {
        NodeTracker {
            settings,
            steady: HealthState::Unknown,
            ok_streak: 0,
            fail_streak: 0,
            outcomes: 0,
            outcome_count: 0,
            transitions: VecDeque::new(),
            last_failure: None,
        }
    }

    pub(super) fn state(&self) -> TrackerState {
        TrackerState {
            steady: self.steady,
            ok_streak: self.ok_streak,
            fail_streak: self.fail_streak,
            outcomes: self.outcomes,
            outcome_count: self.outcome_count,
            transitions: self.transitions.iter().copied().collect(),
            last_failure: self.last_failure,
        }
    }

    pub(super) fn restore(&mut self, state: &TrackerState) {
        let mask = (1u16 << ERROR_RATE_PROBES) - 1;
        self.steady = state.steady;
        self.ok_streak = state.ok_streak;
        self.fail_streak = state.fail_streak;
        self.outcomes = state.outcomes & mask;
        self.outcome_count = state.outcome_count.min(ERROR_RATE_PROBES);
        self.transitions = state.transitions.iter().copied().collect();
        self.last_failure = state.last_failure;
    }

    /// When this node last failed a probe, if it ever did.
    pub(super) fn last_failure(&self) -> Option<Timestamp> {
        self.last_failure
    }

    /// The node's probe interval.
    pub(super) fn interval(&self) -> TimeDelta {
        i64::try_from(self.settings.interval_ms)
            .ok()
            .and_then(TimeDelta::try_milliseconds)
            .unwrap_or(TimeDelta::MAX)
    }

    /// Folds one probe result taken at `at` into `health`. Returns true when
    /// `health.state` changed (then `health.since == at`); latency, error rate
    /// and transition count are refreshed either way.
    pub(super) fn record(
        &mut self,
        at: Timestamp,
        outcome: &ProbeOutcome,
        detection: &DetectionSettings,
        health: &mut Health,
    ) -> bool {
        self.count_outcome(outcome.ok);
        if !outcome.ok {
            self.last_failure = Some(at);
        }
        if outcome.ok && outcome.latency_ms.is_some() {
            health.latency_ms = outcome.latency_ms;
        }

        let next = match self.steady {
            HealthState::Unknown if outcome.ok => HealthState::Up,
            HealthState::Unknown | HealthState::Up if self.fail_streak >= self.settings.fall => {
                HealthState::Down
            }
            HealthState::Down if self.ok_streak >= self.settings.rise => HealthState::Up,
            steady => steady,
        };
        if next != self.steady {
            // Leaving Unknown is a first verdict, not a flap.
            if self.steady != HealthState::Unknown {
                self.transitions.push_back(at);
            }
            self.steady = next;
        }

        let window = window(detection);
        while self.transitions.front().is_some_and(|&t| at - t >= window) {
            self.transitions.pop_front();
        }
        let in_window = u32::try_from(self.transitions.len()).unwrap_or(u32::MAX);
        // Once flapping, any transition inside the window keeps the node
        // flapping: it must stay quiet for a whole window to be trusted again.
        let flapping = in_window > detection.flap_transitions
            || (health.state == HealthState::Flapping && in_window > 0);
        let state = if flapping {
            HealthState::Flapping
        } else {
            self.steady
        };

        health.transitions = in_window;
        health.error_rate = self.error_rate();
        if state == health.state {
            return false;
        }
        health.state = state;
        health.since = at;
        true
    }

    fn count_outcome(&mut self, ok: bool) {
        if ok {
            self.ok_streak = self.ok_streak.saturating_add(1);
            self.fail_streak = 0;
        } else {
            self.fail_streak = self.fail_streak.saturating_add(1);
            self.ok_streak = 0;
        }
        let mask = (1u16 << ERROR_RATE_PROBES) - 1;
        self.outcomes = ((self.outcomes << 1) | u16::from(!ok)) & mask;
        self.outcome_count = (self.outcome_count + 1).min(ERROR_RATE_PROBES);
    }

    fn error_rate(&self) -> f64 {
        if self.outcome_count == 0 {
            return 0.0;
        }
        f64::from(self.outcomes.count_ones()) / f64::from(self.outcome_count)
    }
}

/// The flapping window as a duration; absurdly large settings saturate.
pub(super) fn window(detection: &DetectionSettings) -> TimeDelta {
    i64::try_from(detection.flap_window_s)
        .ok()
        .and_then(TimeDelta::try_seconds)
        .unwrap_or(TimeDelta::MAX)
}
