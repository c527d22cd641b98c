//! The API mirror: what the console knows of the fleet, the alerts, the
//! incidents and their timeline, the actions, the journal's pending writes
//! and the link to the API. A leaf: it knows the wire types and nothing of
//! keys, overlays or drawing. The root applies events and answers to it;
//! components read it through `Ctx`.

mod actions;
mod advice;
mod boards;
mod fleet;
mod room;
mod sites;

pub use actions::{ActionBoard, Progress, follow_up_text, progress};
pub use advice::{ADVICE_EVERY, Advice};
pub use boards::{AlertBoard, IncidentBoard, TimelineBook};
pub use fleet::{Applied, FleetSnapshot, HealthCounts, LATENCY_SAMPLES, ServerRow};
pub use room::{Person, Room};
pub use sites::{SiteSort, SiteTable, severity_rank};

use chrono::{DateTime, TimeDelta, Utc};

use crate::client::JournalWrite;
use crate::model::SimStatus;

/// Data older than this (with no news from the API) is shown as stale.
pub const STALE_AFTER: TimeDelta = TimeDelta::seconds(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Not connected yet.
    Connecting,
    Live,
    Down,
}

/// The state of the connection to the API.
#[derive(Debug, Clone)]
pub struct Link {
    pub state: LinkState,
    /// The API URL the event stream is (or was last) connected to.
    pub url: Option<String>,
    /// Why the link is down, or the last request that failed.
    pub error: Option<String>,
    pub down_since: Option<DateTime<Utc>>,
    pub retry_at: Option<DateTime<Utc>>,
    /// When the last piece of data (event or snapshot) arrived.
    pub last_data_at: Option<DateTime<Utc>>,
    /// The last event sequence number seen, to resume from.
    pub last_seq: Option<i64>,
}

/// What the banner under the header says, when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Banner {
    /// No answer from the API yet.
    Connecting { url: String },
    /// The API cannot be reached; `age` is how old the data on screen is.
    ApiDown {
        error: String,
        age: Option<TimeDelta>,
        retry_in: Option<TimeDelta>,
    },
    /// Connected, but nothing new arrived for `age`.
    Stale {
        age: TimeDelta,
        error: Option<String>,
    },
}

/// The simulator's clock as last read, to tell the API's time between reads.
#[derive(Debug, Clone)]
pub struct SimClock {
    pub status: SimStatus,
    /// Wall time the status was read.
    pub read_at: DateTime<Utc>,
}

/// Everything the console knows from the API.
#[derive(Debug, Clone)]
pub struct Mirror {
    pub fleet: FleetSnapshot,
    pub alerts: AlertBoard,
    pub incidents: IncidentBoard,
    /// Failover actions, newest first.
    pub actions: ActionBoard,
    /// Timeline writes saved in the journal but not yet acknowledged by
    /// the API, oldest first.
    pub pending: Vec<JournalWrite>,
    /// What the API lets this token do; `None` until it said.
    pub role: Option<crate::model::AccessRole>,
    pub sim: Option<SimClock>,
    /// The consoles connected now (`GET /v1/presence`, `presence` events).
    pub room: Room,
    /// Who holds the followed incident's roles.
    pub roles: Option<crate::model::IncidentRoles>,
    /// The plans recommended now and the autopilot's status.
    pub advice: Advice,
    /// The API said it runs no simulator: stop asking.
    pub sim_absent: bool,
    pub link: Link,
    /// The next snapshot replaces ours whatever its version (after a
    /// reconnect to another replica, or a manual refresh).
    pub force_snapshot: bool,
}

impl Mirror {
    pub fn new(first_url: Option<String>) -> Mirror {
        Mirror {
            fleet: FleetSnapshot::default(),
            alerts: AlertBoard::default(),
            incidents: IncidentBoard::default(),
            actions: ActionBoard::default(),
            pending: Vec::new(),
            role: None,
            sim: None,
            room: Room::default(),
            roles: None,
            advice: Advice::default(),
            sim_absent: false,
            link: Link {
                state: LinkState::Connecting,
                url: first_url,
                error: None,
                down_since: None,
                retry_at: None,
                last_data_at: None,
                last_seq: None,
            },
            force_snapshot: true,
        }
    }

    /// The API's clock at wall time `now`: the simulator's clock when one
    /// drives the world (its timestamps are on that clock), else `now`.
    pub fn api_now(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match &self.sim {
            Some(sim) => {
                let real = (now - sim.read_at).max(TimeDelta::zero());
                let scaled = real.num_milliseconds() as f64 * sim.status.speed;
                sim.status.clock + TimeDelta::milliseconds(scaled as i64)
            }
            None => now,
        }
    }

    /// Put the silenced alerts aside (as of wall time `now`) and group the
    /// alerts of servers behind a suspect switch under it.
    pub fn group_alerts(&mut self, now: DateTime<Utc>) {
        self.alerts.settle(self.api_now(now));
        let fleet = &self.fleet;
        self.alerts
            .group(|id| fleet.server(id).map(|server| server.switch.clone()));
    }

    /// How old the newest data on screen is at `now`.
    pub fn data_age(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.link
            .last_data_at
            .map(|at| (now - at).max(TimeDelta::zero()))
    }

    /// Whether the data on screen may no longer be true: the link is down,
    /// nothing arrived yet, or nothing arrived for `STALE_AFTER`.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        self.link.state == LinkState::Down || self.data_age(now).is_none_or(|age| age > STALE_AFTER)
    }

    pub fn banner(&self, now: DateTime<Utc>) -> Option<Banner> {
        match self.link.state {
            LinkState::Connecting if !self.fleet.loaded => Some(Banner::Connecting {
                url: self.link.url.clone().unwrap_or_default(),
            }),
            LinkState::Down => Some(Banner::ApiDown {
                error: self
                    .link
                    .error
                    .clone()
                    .unwrap_or_else(|| "no answer".into()),
                age: self.data_age(now),
                retry_in: self
                    .link
                    .retry_at
                    .map(|at| (at - now).max(TimeDelta::zero())),
            }),
            _ if self.is_stale(now) && self.fleet.loaded => Some(Banner::Stale {
                age: self.data_age(now).unwrap_or_default(),
                error: self.link.error.clone(),
            }),
            _ => None,
        }
    }
}
