//! The console (DESIGN.md §5): state and `update` with no I/O, effects run
//! in tokio tasks, views that only read the model, keys and themes as data.
//!
//! Data flows one way: terminal input, the clock and API answers become
//! [`Msg`]s; [`update`] changes the [`Model`] and returns [`Effect`]s; the
//! [`Session`] runs network effects and the event loop the terminal ones;
//! [`view::draw`] renders the model when it changed.

mod actions;
mod app;
mod board;
mod compose;
mod config;
mod effects;
mod forms;
mod input;
mod keymap;
mod keys;
mod msg;
mod palette;
mod preview;
mod sanitize;
mod session;
mod sites;
mod snapshot;
mod state;
mod terminal;
mod theme;
mod update;
pub mod view;
mod when;
mod writes;

pub use actions::{ActionBoard, PlanModal};
pub use app::run;
pub use board::{AlertBoard, IncidentBoard, TimelineBook};
pub use config::{Config, ConfigError, local_time_zone, parse_time_zone, xdg_dir};
pub use effects::{CONNECT_TIMEOUT, EffectRunner, REQUEST_TIMEOUT, client_config};
pub use input::run as run_action;
pub use keymap::{Action, Keymap, KeymapError};
pub use keys::{Key, KeyChord};
pub use msg::{Effect, Loaded, Msg, Request, RequestKind, WriteError, Wrote};
pub use sanitize::{notification_text, sanitize};
pub use session::Session;
pub use sites::{SiteSort, SiteTable};
pub use snapshot::{Applied, FleetSnapshot, HealthCounts, LATENCY_SAMPLES, ServerRow};
pub use state::{
    Banner, DemoLabel, Link, LinkState, MIN_HEIGHT, MIN_WIDTH, Model, Overlay, PaletteState, Pane,
    STALE_AFTER, ScrollList, Settings, SimClock, Toast, Ui, UpdateCadence,
};
pub use terminal::restore as restore_terminal;
pub use theme::{BUILTIN_THEMES, Theme, ThemeError, UiStyle};
pub use update::{REFRESH_EVERY, SLOW_REFRESH_EVERY, apply_event, update};
