//! Alerts, open incidents and the selected incident's timeline, as the
//! console holds them between snapshots.

use crate::model::{Alert, AlertKind, AlertSeverity, Incident, IncidentState, TimelineEntry};

/// The alerts open now, most severe first, newest first within a severity.
#[derive(Debug, Clone, Default)]
pub struct AlertBoard {
    /// Most severe first; a suspect switch's alert is followed by the
    /// alerts of the servers behind it (see [`AlertBoard::group`]).
    pub open: Vec<Alert>,
    /// Parallel to `open`: the alert is listed under its switch's.
    pub under_switch: Vec<bool>,
    /// Open alerts silenced now: not listed, counted (see [`AlertBoard::settle`]).
    pub silenced: Vec<Alert>,
    /// The first snapshot arrived: alerts seen after it are news.
    pub primed: bool,
}

impl AlertBoard {
    /// Apply an alert event. Returns the alert when it is a critical alert
    /// that was not open before (a notification is due), once primed.
    pub fn apply(&mut self, alert: Alert) -> (bool, Option<Alert>) {
        if let Some(i) = self.silenced.iter().position(|a| a.id == alert.id) {
            self.silenced.remove(i);
            if alert.resolved_at.is_none() {
                // Back in the list; `settle` puts it aside again while
                // its silence holds.
                self.open.push(alert);
                self.sort();
            }
            return (true, None);
        }
        let existing = self.open.iter().position(|a| a.id == alert.id);
        if alert.resolved_at.is_some() {
            return match existing {
                Some(i) => {
                    self.open.remove(i);
                    (true, None)
                }
                None => (false, None),
            };
        }
        match existing {
            Some(i) => {
                let changed = self.open[i] != alert;
                self.open[i] = alert;
                self.sort();
                (changed, None)
            }
            None => {
                let news = (self.primed && alert.severity == AlertSeverity::Critical)
                    .then(|| alert.clone());
                self.open.push(alert);
                self.sort();
                (true, news)
            }
        }
    }

    /// Take a snapshot of the open alerts; returns the critical ones that
    /// are new since the last time we looked (none on the first snapshot).
    pub fn replace(&mut self, alerts: Vec<Alert>) -> (bool, Vec<Alert>) {
        let news = if self.primed {
            alerts
                .iter()
                .filter(|a| a.severity == AlertSeverity::Critical && self.find(&a.id).is_none())
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        let mut alerts: Vec<Alert> = alerts
            .into_iter()
            .filter(|a| a.resolved_at.is_none())
            .collect();
        alerts.sort_by(order);
        let changed = alerts != self.open || !self.primed || !self.silenced.is_empty();
        self.open = alerts;
        self.silenced.clear();
        self.primed = true;
        (changed, news)
    }

    fn sort(&mut self) {
        self.open.sort_by(order);
    }

    /// An open alert, listed or silenced.
    pub fn find(&self, id: &str) -> Option<&Alert> {
        self.open.iter().chain(&self.silenced).find(|a| a.id == id)
    }

    /// Puts aside the alerts whose silence holds at `now` (the API's
    /// clock) and lists again those whose silence ran out. True when one
    /// moved (then group again).
    pub fn settle(&mut self, now: chrono::DateTime<chrono::Utc>) -> bool {
        let quiet = self.open.iter().any(|a| a.is_silenced(now));
        let loud = self.silenced.iter().any(|a| !a.is_silenced(now));
        if !quiet && !loud {
            return false;
        }
        let (hide, keep): (Vec<Alert>, Vec<Alert>) = std::mem::take(&mut self.open)
            .into_iter()
            .partition(|a| a.is_silenced(now));
        let (still, back): (Vec<Alert>, Vec<Alert>) = std::mem::take(&mut self.silenced)
            .into_iter()
            .partition(|a| a.is_silenced(now));
        self.open = keep;
        self.open.extend(back);
        self.silenced = still;
        self.silenced.extend(hide);
        self.silenced.sort_by(order);
        self.sort();
        true
    }

    /// Critical alerts listed (not silenced) that nobody acknowledged.
    pub fn unacknowledged_critical(&self) -> usize {
        self.open
            .iter()
            .filter(|a| a.severity == AlertSeverity::Critical && a.acknowledged.is_none())
            .count()
    }

    /// List the alerts of the servers behind a suspect switch right after
    /// the switch's alert, so the commander sees one problem, not N.
    /// `switch_of` says which switch a server is behind.
    pub fn group(&mut self, switch_of: impl Fn(&str) -> Option<String>) {
        let suspect: Vec<String> = self
            .open
            .iter()
            .filter(|a| a.kind == AlertKind::SwitchSuspect)
            .map(|a| a.target.clone())
            .collect();
        let switches: Vec<Option<String>> = self
            .open
            .iter()
            .map(|a| match a.kind {
                AlertKind::SwitchSuspect => None,
                _ => switch_of(&a.target).filter(|s| suspect.contains(s)),
            })
            .collect();
        if switches.iter().all(Option::is_none) {
            self.under_switch = vec![false; self.open.len()];
            return;
        }
        let mut order: Vec<(usize, bool)> = Vec::with_capacity(self.open.len());
        for (i, alert) in self.open.iter().enumerate() {
            if switches[i].is_some() {
                continue;
            }
            order.push((i, false));
            if alert.kind == AlertKind::SwitchSuspect {
                order.extend(
                    (0..self.open.len())
                        .filter(|&j| switches[j].as_deref() == Some(alert.target.as_str()))
                        .map(|j| (j, true)),
                );
            }
        }
        let mut old: Vec<Option<Alert>> = std::mem::take(&mut self.open)
            .into_iter()
            .map(Some)
            .collect();
        self.under_switch = order.iter().map(|(_, under)| *under).collect();
        self.open = order
            .into_iter()
            .filter_map(|(i, _)| old[i].take())
            .collect();
    }

    pub fn count(&self, severity: AlertSeverity) -> usize {
        self.open.iter().filter(|a| a.severity == severity).count()
    }
}

fn order(a: &Alert, b: &Alert) -> std::cmp::Ordering {
    a.severity
        .cmp(&b.severity)
        .then(b.opened_at.cmp(&a.opened_at))
        .then_with(|| a.id.cmp(&b.id))
}

/// Open incidents and recently resolved ones, newest first, the one the
/// console follows, and its timeline.
#[derive(Debug, Clone, Default)]
pub struct IncidentBoard {
    pub open: Vec<Incident>,
    /// Resolved incidents, newest first (at most [`RECENT`]).
    pub recent: Vec<Incident>,
    /// The incident chosen in the switcher (or just created); `None`
    /// follows the newest open one.
    pub selected: Option<i64>,
    pub loaded: bool,
    pub timeline: TimelineBook,
}

/// How many resolved incidents the switcher offers.
pub const RECENT: usize = 20;

/// The entries of one incident, oldest first by `occurred_at`.
#[derive(Debug, Clone, Default)]
pub struct TimelineBook {
    pub incident_id: Option<i64>,
    pub entries: Vec<TimelineEntry>,
    pub loaded: bool,
}

impl IncidentBoard {
    /// The incident the header and the timeline show: the selected one
    /// while it is known, else the newest open one.
    pub fn current(&self) -> Option<&Incident> {
        self.selected
            .and_then(|id| self.get(id))
            .or_else(|| self.open.first())
    }

    pub fn get(&self, id: i64) -> Option<&Incident> {
        self.open.iter().chain(&self.recent).find(|i| i.id == id)
    }

    /// Follow incident `id` (`None`: the newest open one).
    pub fn select(&mut self, id: Option<i64>) {
        self.selected = id;
    }

    /// Take a fresh list of incidents (open and resolved).
    pub fn replace(&mut self, incidents: Vec<Incident>) -> bool {
        let (mut open, mut recent): (Vec<Incident>, Vec<Incident>) = incidents
            .into_iter()
            .partition(|i| i.state == IncidentState::Open);
        open.sort_by(newest_first);
        recent.sort_by(newest_first);
        recent.truncate(RECENT);
        let changed = open != self.open || recent != self.recent || !self.loaded;
        self.open = open;
        self.recent = recent;
        self.loaded = true;
        changed
    }

    pub fn apply(&mut self, incident: Incident) -> bool {
        let held = self.get(incident.id).map(|i| i.version);
        if held.is_some_and(|version| version > incident.version) {
            return false;
        }
        self.open.retain(|i| i.id != incident.id);
        self.recent.retain(|i| i.id != incident.id);
        match incident.state {
            IncidentState::Open => {
                self.open.push(incident);
                self.open.sort_by(newest_first);
            }
            IncidentState::Resolved => {
                self.recent.push(incident);
                self.recent.sort_by(newest_first);
                self.recent.truncate(RECENT);
            }
        }
        true
    }

    /// The incident whose timeline should be loaded, when it is not the one held.
    pub fn timeline_due(&self) -> Option<i64> {
        let current = self.current().map(|i| i.id);
        (current != self.timeline.incident_id)
            .then_some(current)
            .flatten()
    }

    /// Point the timeline at the current incident (emptied until loaded).
    pub fn follow_current(&mut self) {
        let current = self.current().map(|i| i.id);
        if current != self.timeline.incident_id {
            self.timeline = TimelineBook {
                incident_id: current,
                entries: Vec::new(),
                loaded: false,
            };
        }
    }
}

fn newest_first(a: &Incident, b: &Incident) -> std::cmp::Ordering {
    b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id))
}

impl TimelineBook {
    pub fn replace(&mut self, incident_id: i64, mut entries: Vec<TimelineEntry>) -> bool {
        if Some(incident_id) != self.incident_id {
            return false;
        }
        entries.retain(|e| e.deleted_at.is_none());
        entries.sort_by(entry_order);
        self.entries = entries;
        self.loaded = true;
        true
    }

    /// Insert, replace or (when deleted) remove one entry of the held incident.
    pub fn apply(&mut self, entry: TimelineEntry) -> bool {
        if Some(entry.incident_id) != self.incident_id {
            return false;
        }
        if let Some(i) = self.entries.iter().position(|e| e.id == entry.id) {
            if self.entries[i].version > entry.version {
                return false;
            }
            self.entries.remove(i);
        }
        if entry.deleted_at.is_none() {
            let at = self
                .entries
                .partition_point(|e| entry_order(e, &entry).is_lt());
            self.entries.insert(at, entry);
        }
        true
    }
}

/// Timeline order: when it happened, then when it was recorded, then id.
fn entry_order(a: &TimelineEntry, b: &TimelineEntry) -> std::cmp::Ordering {
    (a.occurred_at, a.recorded_at, a.id).cmp(&(b.occurred_at, b.recorded_at, b.id))
}
