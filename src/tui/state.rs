//! The console's model: everything the views show, and nothing else. No I/O;
//! time comes in through `Msg::Tick`.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::actions::{ActionBoard, PlanModal};
use super::board::{AlertBoard, IncidentBoard};
use super::compose::Composer;
use super::forms::{Confirm, ConflictView, IncidentForm, Switcher};
use super::keymap::{Action, Keymap};
use super::sites::SiteTable;
use super::snapshot::FleetSnapshot;
use crate::client::JournalWrite;
use crate::model::{Severity, SimStatus};

/// Data older than this (with no news from the API) is shown as stale.
pub const STALE_AFTER: TimeDelta = TimeDelta::seconds(10);
/// How long a message in the footer stays.
pub const TOAST_FOR: TimeDelta = TimeDelta::seconds(8);
/// Below this size the console shows a message instead of its panes.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Servers,
    Sites,
    Alerts,
    Timeline,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Servers, Pane::Sites, Pane::Alerts, Pane::Timeline];

    pub fn next(self) -> Pane {
        let i = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ALL[(i + 1) % Pane::ALL.len()]
    }

    pub fn prev(self) -> Pane {
        let i = Pane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Pane::ALL[(i + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Servers => "Servers",
            Pane::Sites => "Sites",
            Pane::Alerts => "Alerts",
            Pane::Timeline => "Timeline",
        }
    }
}

/// A selection in a list and the first row shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScrollList {
    pub selected: usize,
    pub offset: usize,
}

impl ScrollList {
    pub fn move_by(&mut self, delta: isize, len: usize) {
        let last = len.saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn top(&mut self) {
        self.selected = 0;
    }

    pub fn bottom(&mut self, len: usize) {
        self.selected = len.saturating_sub(1);
    }

    /// Keep `selected` inside the list and `offset` such that it is visible.
    pub fn fit(&mut self, len: usize, height: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
        self.offset = self.window(len, height);
    }

    /// The first row to show so that the selection is visible (pure, for views).
    pub fn window(&self, len: usize, height: usize) -> usize {
        if height == 0 || len <= height {
            return 0;
        }
        let selected = self.selected.min(len - 1);
        let mut offset = self.offset.min(len - height);
        if selected < offset {
            offset = selected;
        } else if selected >= offset + height {
            offset = selected + 1 - height;
        }
        offset
    }
}

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

/// What is drawn over the panes and takes the keys first.
#[derive(Debug, Clone)]
pub enum Overlay {
    None,
    Help {
        scroll: usize,
    },
    Palette(PaletteState),
    /// Writing or editing a timeline entry (and previewing a status update).
    Compose(Box<Composer>),
    /// Creating or changing an incident.
    IncidentForm(Box<IncidentForm>),
    /// Choosing which incident the console follows.
    Switcher(Switcher),
    /// A yes/no question before something that cannot be taken back lightly.
    Confirm(Confirm),
    /// An edit met a newer version: keep mine, take theirs, or merge.
    Conflict(Box<ConflictView>),
    /// A failover plan, its execution and its result.
    Plan(Box<PlanModal>),
}

impl Overlay {
    pub fn is_none(&self) -> bool {
        matches!(self, Overlay::None)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PaletteState {
    pub query: String,
    /// Matching actions, best first.
    pub matches: Vec<Action>,
    pub selected: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub error: bool,
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Ui {
    pub focus: Pane,
    pub overlay: Overlay,
    pub servers: ScrollList,
    pub alerts: ScrollList,
    pub timeline: ScrollList,
    pub mouse: bool,
    pub notify: bool,
    pub toast: Option<Toast>,
}

/// What the demo badge says.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoLabel {
    pub scenario: Option<String>,
    pub speed: f64,
}

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub api_urls: Vec<String>,
    pub time_zone: Tz,
    pub demo: Option<DemoLabel>,
    pub read_only: bool,
    pub theme_name: String,
    /// Where `export_postmortem` writes drafts.
    pub export_dir: std::path::PathBuf,
    /// The directory of the offline journal (`None`: no journal, writes
    /// that cannot reach the API fail instead of waiting).
    pub journal_dir: Option<std::path::PathBuf>,
    /// How long after a public update the next one is due, per severity.
    pub update_every: UpdateCadence,
}

/// How often public status updates are due, per severity (`None`: never).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateCadence {
    pub sev1: Option<TimeDelta>,
    pub sev2: Option<TimeDelta>,
    pub sev3: Option<TimeDelta>,
    pub sev4: Option<TimeDelta>,
}

impl Default for UpdateCadence {
    fn default() -> Self {
        UpdateCadence {
            sev1: Some(TimeDelta::minutes(30)),
            sev2: Some(TimeDelta::minutes(60)),
            sev3: None,
            sev4: None,
        }
    }
}

impl UpdateCadence {
    pub fn for_severity(&self, severity: Severity) -> Option<TimeDelta> {
        match severity {
            Severity::Sev1 => self.sev1,
            Severity::Sev2 => self.sev2,
            Severity::Sev3 => self.sev3,
            Severity::Sev4 => self.sev4,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            api_urls: Vec::new(),
            time_zone: Tz::UTC,
            demo: None,
            read_only: false,
            theme_name: "default".into(),
            export_dir: dirs::data_dir()
                .unwrap_or_else(std::env::temp_dir)
                .join("warroom")
                .join("postmortems"),
            journal_dir: None,
            update_every: UpdateCadence::default(),
        }
    }
}

/// The simulator's clock as last read, to tell the API's time between reads.
#[derive(Debug, Clone)]
pub struct SimClock {
    pub status: SimStatus,
    /// Wall time the status was read.
    pub read_at: DateTime<Utc>,
}

/// The whole console state.
#[derive(Debug, Clone)]
pub struct Model {
    pub fleet: FleetSnapshot,
    pub sites: SiteTable,
    pub alerts: AlertBoard,
    pub incidents: IncidentBoard,
    /// Failover actions, newest first, and the one running.
    pub actions: ActionBoard,
    /// Timeline writes saved in the journal but not yet acknowledged by
    /// the API, oldest first.
    pub pending: Vec<JournalWrite>,
    /// Drafts handed to the journal and not yet confirmed on disk: they
    /// come back to the editor if the write fails, so nothing is lost.
    pub unsaved: Vec<Box<Composer>>,
    /// Edits that met a newer version, waiting for the screen to be free.
    pub conflicts: Vec<ConflictView>,
    /// What the API lets this token do; `None` until it said.
    pub role: Option<crate::model::AccessRole>,
    /// Show the scenario's upcoming faults (game-day view).
    pub show_upcoming: bool,
    pub sim: Option<SimClock>,
    /// The API said it runs no simulator: stop asking.
    pub sim_absent: bool,
    pub link: Link,
    pub ui: Ui,
    pub settings: Settings,
    pub keymap: Keymap,
    /// Wall clock, as of the last tick.
    pub now: DateTime<Utc>,
    /// Terminal size (columns, rows).
    pub screen: (u16, u16),
    pub quit: bool,
    /// The next snapshot replaces ours whatever its version (after a
    /// reconnect to another replica, or a manual refresh).
    pub force_snapshot: bool,
    pub(super) dirty: bool,
    pub(super) time_key: TimeKey,
    pub(super) next_refresh: DateTime<Utc>,
    pub(super) next_slow_refresh: DateTime<Utc>,
}

/// Everything time-dependent the screen shows, at the resolution it shows
/// it: a tick redraws only when this changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeKey {
    wall_minute: i64,
    api_minute: i64,
    banner_seconds: Option<(i64, i64)>,
    toast: bool,
}

impl Model {
    pub fn new(
        settings: Settings,
        keymap: Keymap,
        mouse: bool,
        notify: bool,
        now: DateTime<Utc>,
    ) -> Model {
        Model {
            fleet: FleetSnapshot::default(),
            sites: SiteTable::default(),
            alerts: AlertBoard::default(),
            incidents: IncidentBoard::default(),
            actions: ActionBoard::default(),
            pending: Vec::new(),
            unsaved: Vec::new(),
            conflicts: Vec::new(),
            role: None,
            show_upcoming: false,
            sim: None,
            sim_absent: false,
            link: Link {
                state: LinkState::Connecting,
                url: settings.api_urls.first().cloned(),
                error: None,
                down_since: None,
                retry_at: None,
                last_data_at: None,
                last_seq: None,
            },
            ui: Ui {
                focus: Pane::Servers,
                overlay: Overlay::None,
                servers: ScrollList::default(),
                alerts: ScrollList::default(),
                timeline: ScrollList::default(),
                mouse,
                notify,
                toast: None,
            },
            settings,
            keymap,
            now,
            screen: (MIN_WIDTH, MIN_HEIGHT),
            quit: false,
            force_snapshot: true,
            dirty: true,
            time_key: TimeKey::default(),
            next_refresh: now,
            next_slow_refresh: now,
        }
    }

    /// Whether something visible changed since the last `take_dirty`.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// Bring derived views (the sites' order) up to date. `update` defers
    /// this for API data so a burst of events costs one recompute; the event
    /// loop calls it before drawing.
    pub fn settle(&mut self) {
        self.sites.settle(&self.fleet);
    }

    /// The API's clock now: the simulator's clock when one drives the world
    /// (its timestamps are on that clock), else the wall clock.
    pub fn api_now(&self) -> DateTime<Utc> {
        match &self.sim {
            Some(sim) => {
                let real = (self.now - sim.read_at).max(TimeDelta::zero());
                let scaled = real.num_milliseconds() as f64 * sim.status.speed;
                sim.status.clock + TimeDelta::milliseconds(scaled as i64)
            }
            None => self.now,
        }
    }

    /// How old the newest data on screen is.
    pub fn data_age(&self) -> Option<TimeDelta> {
        self.link
            .last_data_at
            .map(|at| (self.now - at).max(TimeDelta::zero()))
    }

    /// Whether the data on screen may no longer be true: the link is down,
    /// nothing arrived yet, or nothing arrived for `STALE_AFTER`.
    pub fn is_stale(&self) -> bool {
        self.link.state == LinkState::Down || self.data_age().is_none_or(|age| age > STALE_AFTER)
    }

    pub fn banner(&self) -> Option<Banner> {
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
                age: self.data_age(),
                retry_in: self
                    .link
                    .retry_at
                    .map(|at| (at - self.now).max(TimeDelta::zero())),
            }),
            _ if self.is_stale() && self.fleet.loaded => Some(Banner::Stale {
                age: self.data_age().unwrap_or_default(),
                error: self.link.error.clone(),
            }),
            _ => None,
        }
    }

    pub(super) fn current_time_key(&self) -> TimeKey {
        let banner_seconds = match self.banner() {
            Some(Banner::ApiDown { age, retry_in, .. }) => Some((
                age.map_or(-1, |a| a.num_seconds()),
                retry_in.map_or(-1, |r| r.num_seconds()),
            )),
            Some(Banner::Stale { age, .. }) => Some((age.num_seconds(), 0)),
            _ => None,
        };
        TimeKey {
            wall_minute: self.now.timestamp().div_euclid(60),
            api_minute: self.api_now().timestamp().div_euclid(60),
            banner_seconds,
            toast: self.ui.toast.is_some(),
        }
    }

    pub fn toast(&mut self, text: impl Into<String>, error: bool) {
        self.ui.toast = Some(Toast {
            text: text.into(),
            error,
            until: self.now + TOAST_FOR,
        });
        self.dirty = true;
    }

    /// Rows in the pane's list.
    pub fn pane_len(&self, pane: Pane) -> usize {
        match pane {
            Pane::Servers => self.fleet.server_rows.len(),
            Pane::Sites => self.sites.order().len(),
            Pane::Alerts => self.alerts.open.len(),
            Pane::Timeline => self.incidents.timeline.entries.len(),
        }
    }

    /// Why this console may not change anything, if it may not: read-only
    /// mode or a viewer token. Writes are refused with this message.
    pub fn write_block(&self) -> Option<&'static str> {
        if self.settings.read_only {
            Some("read-only mode: the console changes nothing")
        } else if self.role == Some(crate::model::AccessRole::Viewer) {
            Some("this token is a viewer's: it can look but not change anything")
        } else {
            None
        }
    }

    /// Why this console may not run failover actions, if it may not
    /// (they need a commander's token).
    pub fn action_block(&self) -> Option<&'static str> {
        self.write_block().or(match self.role {
            Some(crate::model::AccessRole::Responder) => {
                Some("failover actions need a commander's token")
            }
            _ => None,
        })
    }

    pub fn too_small(&self) -> bool {
        self.screen.0 < MIN_WIDTH || self.screen.1 < MIN_HEIGHT
    }
}
