//! The console (DESIGN.md §5), as components. Terminal input, the clock
//! and API answers become [`Msg`]s. The root ([`update`], with `commands`,
//! `panes` and `replies`) routes each to the overlay on top or the panes
//! and applies what they answer ([`component::Outcome`]); components (in
//! `overlay/`) own their state, keys and replies and see the model only
//! through a read-only [`component::Ctx`]. The API mirror (`data/`) and
//! the pure helpers (`logic/`) are leaves. Effects run in tokio tasks
//! ([`Session`]); [`view::draw`] renders the model when it changed.

mod advice;
mod app;
mod commands;
pub mod component;
mod config;
pub mod data;
mod effects;
pub mod ids;
mod keymap;
mod keys;
pub mod list;
pub mod logic;
mod model;
mod msg;
pub mod overlay;
mod panes;
mod replies;
mod session;
pub mod settings;
mod target;
mod terminal;
mod theme;
mod update;
pub mod view;

pub use app::run;
pub use config::{Config, ConfigError, local_time_zone, parse_time_zone, xdg_dir};
pub use data::{
    ADVICE_EVERY, ActionBoard, Advice, AlertBoard, Applied, Banner, FleetSnapshot, HealthCounts,
    IncidentBoard, LATENCY_SAMPLES, Link, LinkState, Mirror, STALE_AFTER, ServerRow, SimClock,
    SiteSort, SiteTable, TimelineBook,
};
pub use effects::{CONNECT_TIMEOUT, EffectRunner, REQUEST_TIMEOUT, client_config};
pub use ids::IdSource;
pub use keymap::{Action, Context, Keymap, KeymapError, Override};
pub use keys::{Key, KeyChord};
pub use list::ScrollList;
pub use logic::sanitize::{notification_text, sanitize};
pub use model::{MIN_HEIGHT, MIN_WIDTH, Model, Pane, Toast, Ui};
pub use msg::{Effect, Loaded, Msg, Request, RequestKind, TerminalEffect, WriteError, Wrote};
pub use overlay::{Overlay, PlanModal};
pub use session::Session;
pub use settings::{DemoLabel, Settings, UpdateCadence};
pub use terminal::restore as restore_terminal;
pub use theme::{BUILTIN_THEMES, Theme, ThemeError, UiStyle};
pub use update::{apply_event, update};
