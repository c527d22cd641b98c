//! The console's root state: the API mirror, the panes, the overlay on
//! top and what the root holds off screen (drafts until saved, conflicts
//! waiting for the screen, a hidden plan modal). No I/O; time comes in
//! through `Msg::Tick`. Only the root (`update`, `commands`) changes it;
//! components see it through a read-only [`Ctx`].

use chrono::{DateTime, TimeDelta, Utc};

use super::component::{Ctx, Note};
use super::data::{Banner, Mirror, SiteTable};
use super::ids::IdSource;
use super::keymap::Keymap;
use super::list::ScrollList;
use super::overlay::{Composer, ConflictView, Overlay, PlanModal};
use super::settings::Settings;

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
    /// Healthy switches are folded to one line in the servers pane.
    pub fold_healthy: bool,
    pub mouse: bool,
    pub notify: bool,
    pub toast: Option<Toast>,
    /// When the bell last rang (or began to wait) for critical alerts nobody
    /// acknowledged; `None` while there are none.
    pub reminded_at: Option<DateTime<Utc>>,
}

/// The whole console state.
#[derive(Debug, Clone)]
pub struct Model {
    /// What the console knows from the API.
    pub data: Mirror,
    /// The sites pane's table: filter, sort and selection.
    pub sites: SiteTable,
    pub ui: Ui,
    /// Drafts handed to the journal and not yet confirmed on disk: they
    /// come back to the editor if the write fails, so nothing is lost.
    pub unsaved: Vec<Box<Composer>>,
    /// Edits that met a newer version, waiting for the screen to be free.
    pub conflicts: Vec<ConflictView>,
    /// The plan modal hidden with Esc while its action runs; `a` shows it again.
    pub parked: Option<Box<PlanModal>>,
    /// The action an abort was sent for, until its answer.
    pub aborting: Option<String>,
    /// Show the scenario's upcoming faults (game-day view).
    pub show_upcoming: bool,
    pub settings: Settings,
    pub keymap: Keymap,
    pub ids: IdSource,
    /// Wall clock, as of the last tick.
    pub now: DateTime<Utc>,
    /// Terminal size (columns, rows).
    pub screen: (u16, u16),
    pub quit: bool,
    pub(super) dirty: bool,
    pub(super) time_key: TimeKey,
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
            data: Mirror::new(settings.api_urls.first().cloned()),
            sites: SiteTable::default(),
            ui: Ui {
                focus: Pane::Servers,
                overlay: Overlay::None,
                servers: ScrollList::default(),
                alerts: ScrollList::default(),
                timeline: ScrollList::default(),
                fold_healthy: false,
                mouse,
                notify,
                toast: None,
                reminded_at: None,
            },
            unsaved: Vec::new(),
            conflicts: Vec::new(),
            parked: None,
            aborting: None,
            show_upcoming: false,
            settings,
            keymap,
            ids: IdSource::random(),
            now,
            screen: (MIN_WIDTH, MIN_HEIGHT),
            quit: false,
            dirty: true,
            time_key: TimeKey::default(),
        }
    }

    /// What components may read.
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            data: &self.data,
            keymap: &self.keymap,
            settings: &self.settings,
            now: self.now,
            screen: self.screen,
            ids: &self.ids,
        }
    }

    /// Whether something visible changed since the last `take_dirty`.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// Bring derived views (the sites' order, the recommendation shown) up
    /// to date. `update` defers this for API data so a burst of events costs
    /// one recompute; the event loop calls it before drawing, so what is
    /// settled is what the next frame shows.
    pub fn settle(&mut self) {
        self.sites.settle(&self.data.fleet);
        // The recommendation row comes or goes: the panes above it change height.
        if self.data.advice.settle() {
            super::panes::fit_lists(self);
            self.dirty = true;
        }
    }

    /// The API's clock now (the simulator's when one drives the world).
    pub fn api_now(&self) -> DateTime<Utc> {
        self.data.api_now(self.now)
    }

    /// How old the newest data on screen is.
    pub fn data_age(&self) -> Option<TimeDelta> {
        self.data.data_age(self.now)
    }

    pub fn is_stale(&self) -> bool {
        self.data.is_stale(self.now)
    }

    pub fn banner(&self) -> Option<Banner> {
        self.data.banner(self.now)
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

    pub(super) fn show_note(&mut self, note: Note) {
        self.toast(note.text, note.error);
    }

    /// Rows in the pane's list.
    pub fn pane_len(&self, pane: Pane) -> usize {
        match pane {
            Pane::Servers => self.data.fleet.server_rows.len(),
            Pane::Sites => self.sites.order().len(),
            Pane::Alerts => self.data.alerts.open.len(),
            Pane::Timeline => self.data.incidents.timeline.entries.len(),
        }
    }

    pub fn write_block(&self) -> Option<&'static str> {
        super::component::write_block(&self.settings, &self.data)
    }

    pub fn action_block(&self) -> Option<&'static str> {
        super::component::action_block(&self.settings, &self.data)
    }

    pub fn too_small(&self) -> bool {
        self.screen.0 < MIN_WIDTH || self.screen.1 < MIN_HEIGHT
    }

    /// What quitting now would lose, if anything: a draft, a form or a
    /// merge on screen, or drafts the journal has not confirmed.
    pub fn unsaved_work(&self) -> Option<&'static str> {
        self.ui.overlay.unsaved_work().or_else(|| {
            self.unsaved
                .iter()
                .any(|c| c.error.is_some())
                .then_some("a timeline entry that was not saved")
        })
    }
}
