//! Response metrics: how long after the incident's start it was detected,
//! acknowledged, mitigated and resolved, from what the timeline recorded.

use serde::Serialize;

use crate::model::{EntryKind, Incident, Marker, TimelineEntry, Timestamp, UpdateStatus};

use super::clock::signed_minutes;

/// When a milestone was first reached and how long after the start that was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Milestone {
    pub at: Timestamp,
    /// Minutes from the incident's start, rounded to the nearest minute;
    /// negative when the milestone came before the recorded start (e.g. a
    /// detection before a late declaration that was not back-dated). Never
    /// clamped: a negative time says the start is wrong.
    pub minutes: i64,
}

/// The four response times, each `None` when the timeline never reached it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Metrics {
    /// `incident.started_at`: every time is measured from it.
    pub measured_from: Timestamp,
    pub time_to_detect: Option<Milestone>,
    pub time_to_acknowledge: Option<Milestone>,
    pub time_to_mitigate: Option<Milestone>,
    pub time_to_resolve: Option<Milestone>,
}

/// What each metric measures, as the report writes it out.
pub const DEFINITIONS: [(&str, &str, &str); 4] = [
    (
        "time_to_detect",
        "Time to detect",
        "from the incident start to the first detection entry or `detected` marker",
    ),
    (
        "time_to_acknowledge",
        "Time to acknowledge",
        "from the incident start to the first `acknowledged` marker",
    ),
    (
        "time_to_mitigate",
        "Time to mitigate",
        "from the incident start to the first `mitigated` marker",
    ),
    (
        "time_to_resolve",
        "Time to resolve",
        "from the incident start to the first `resolved` marker or `Resolved` status update \
         (else the incident's resolution time)",
    ),
];

impl Metrics {
    /// The milestones in the order of [`DEFINITIONS`].
    pub fn in_order(&self) -> [Option<Milestone>; 4] {
        [
            self.time_to_detect,
            self.time_to_acknowledge,
            self.time_to_mitigate,
            self.time_to_resolve,
        ]
    }
}

/// Response times of `incident` from its `entries` (deleted entries are ignored).
pub fn metrics(incident: &Incident, entries: &[TimelineEntry]) -> Metrics {
    let start = incident.started_at;
    let live = || entries.iter().filter(|e| e.deleted_at.is_none());
    let first = |matches: &dyn Fn(&TimelineEntry) -> bool| -> Option<Milestone> {
        live()
            .filter(|e| matches(e))
            .map(|e| e.occurred_at)
            .min()
            .map(|at| milestone(start, at))
    };
    let resolve = first(&|e| {
        e.marker == Some(Marker::Resolved)
            || (e.kind == EntryKind::StatusUpdate && e.status == Some(UpdateStatus::Resolved))
    })
    .or_else(|| incident.resolved_at.map(|at| milestone(start, at)));
    Metrics {
        measured_from: start,
        time_to_detect: first(&|e| {
            e.kind == EntryKind::Detection || e.marker == Some(Marker::Detected)
        }),
        time_to_acknowledge: first(&|e| e.marker == Some(Marker::Acknowledged)),
        time_to_mitigate: first(&|e| e.marker == Some(Marker::Mitigated)),
        time_to_resolve: resolve,
    }
}

fn milestone(start: Timestamp, at: Timestamp) -> Milestone {
    Milestone {
        at,
        minutes: signed_minutes((at - start).num_seconds()),
    }
}
