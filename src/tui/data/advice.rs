//! What the orchestrator advises and does by itself: the plans it
//! recommends now (`GET /v1/recommendations`) and the autopilot's status
//! (`GET /v1/autopilot`), with when they were last asked for. An older
//! orchestrator has neither route: then both stay empty and nothing is
//! said about it.

use chrono::{DateTime, TimeDelta, Utc};

use crate::model::{AutopilotMode, AutopilotStatus, Recommendation, Recommendations};

/// After alert, topology or health events the recommendations are asked
/// for again, at most this often.
pub const ADVICE_EVERY: TimeDelta = TimeDelta::seconds(1);

#[derive(Debug, Clone, Default)]
pub struct Advice {
    /// The newest answer, best first; `None` before the first one.
    pub recommendations: Option<Recommendations>,
    /// The top recommendation as the screen shows it. It follows the newest
    /// answer when a frame is drawn ([`Advice::settle`]), so the key plans
    /// what the user saw even when a newer answer arrived since.
    pub shown: Option<Recommendation>,
    /// The API answered 404 for recommendations: it makes none.
    pub absent: bool,
    pub autopilot: Option<AutopilotStatus>,
    /// The API answered 404 for the autopilot: it has none.
    pub autopilot_absent: bool,
    /// Something changed that may change the advice: ask again once
    /// [`ADVICE_EVERY`] has passed since the last time.
    pub due: bool,
    /// When the recommendations were last asked for (wall clock).
    pub asked_at: Option<DateTime<Utc>>,
}

impl Advice {
    /// The best recommendation of the newest answer.
    pub fn top(&self) -> Option<&Recommendation> {
        self.recommendations
            .as_ref()
            .and_then(|r| r.recommendations.first())
    }

    /// Take the newest answer (`None`: the API makes no recommendations).
    pub fn replace(&mut self, recommendations: Option<Recommendations>) {
        self.absent = recommendations.is_none();
        self.recommendations = recommendations;
    }

    pub fn replace_autopilot(&mut self, status: Option<AutopilotStatus>) {
        self.autopilot_absent = status.is_none();
        self.autopilot = status;
    }

    /// Show the newest top recommendation: called before a frame is drawn.
    /// Returns whether what is shown changed.
    pub fn settle(&mut self) -> bool {
        let top = self.top();
        if self.shown.as_ref() == top {
            return false;
        }
        self.shown = top.cloned();
        true
    }

    /// The autopilot's mode when it is on (not `off`, and the API has one).
    pub fn autopilot_mode(&self) -> Option<AutopilotMode> {
        self.autopilot
            .as_ref()
            .map(|a| a.mode)
            .filter(|m| *m != AutopilotMode::Off)
    }

    /// Whether to ask again now, at wall time `now`: asked for by an event,
    /// the API offers recommendations or an autopilot, and they were not
    /// asked for within [`ADVICE_EVERY`].
    pub fn ask_now(&self, now: DateTime<Utc>) -> bool {
        self.due
            && !(self.absent && self.autopilot_absent)
            && self.asked_at.is_none_or(|at| now - at >= ADVICE_EVERY)
    }
}
