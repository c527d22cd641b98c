//! What every pane and overlay sees and returns. A component reads a
//! [`Ctx`] (the API mirror, the keymap, the clock, the settings, the id
//! source; all read-only) and answers a key or an API reply with an
//! [`Outcome`]: effects for the runner, a toast, what becomes of the
//! overlay, and the few [`Change`]s only the root may make. Nobody but the
//! root changes the model.

use chrono::{DateTime, Utc};

use super::data::Mirror;
use super::ids::IdSource;
use super::keymap::{Action, Context, Keymap};
use super::msg::Effect;
use super::settings::Settings;
use crate::model::{AccessRole, Plan};

/// What a component may read.
pub struct Ctx<'a> {
    pub data: &'a Mirror,
    pub keymap: &'a Keymap,
    pub settings: &'a Settings,
    /// Wall clock, as of the last tick.
    pub now: DateTime<Utc>,
    /// Terminal size (columns, rows).
    pub screen: (u16, u16),
    pub ids: &'a IdSource,
}

impl Ctx<'_> {
    /// The API's clock now (the simulator's, when one runs).
    pub fn api_now(&self) -> DateTime<Utc> {
        self.data.api_now(self.now)
    }

    /// Why this console may not change anything, if it may not: read-only
    /// mode or a viewer token. Writes are refused with this message.
    pub fn write_block(&self) -> Option<&'static str> {
        write_block(self.settings, self.data)
    }

    /// Why this console may not run failover actions, if it may not
    /// (they need a commander's token).
    pub fn action_block(&self) -> Option<&'static str> {
        action_block(self.settings, self.data)
    }

    /// The first key of `action` in `context`, for a hint or a toast.
    pub fn key(&self, context: Context, action: Action) -> String {
        self.keymap.hint(context, action)
    }
}

pub fn write_block(settings: &Settings, data: &Mirror) -> Option<&'static str> {
    if settings.read_only {
        Some("read-only mode: the console changes nothing")
    } else if data.role == Some(AccessRole::Viewer) {
        Some("this token is a viewer's: it can look but not change anything")
    } else {
        None
    }
}

pub fn action_block(settings: &Settings, data: &Mirror) -> Option<&'static str> {
    write_block(settings, data).or(match data.role {
        Some(AccessRole::Responder) => Some("failover actions need a commander's token"),
        _ => None,
    })
}

/// A message for the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub error: bool,
}

/// What becomes of the overlay that answered.
#[derive(Debug, Default)]
pub enum Next<O> {
    /// It stays on screen.
    #[default]
    Keep,
    /// It closes.
    Close,
    /// Another overlay takes its place.
    Replace(O),
    /// It leaves the screen but is kept by the root: a plan modal whose
    /// action runs (`a` shows it again), or a draft until the journal has
    /// it on disk (it comes back if saving fails).
    Hold,
}

/// What only the root may change, asked for by a component.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Follow this incident (`None`: the newest open one).
    FollowIncident(Option<i64>),
    /// A plan this console is about to execute: remember it, to tell which
    /// of its action's steps move sites.
    RememberPlan(Box<Plan>),
    /// An abort was sent for this action.
    Aborting(String),
    /// Run a command of the panes (from the palette or help).
    Run(Action),
    /// Quit now.
    Quit,
}

/// A component's answer to a key or a reply.
#[must_use]
#[derive(Debug)]
pub struct Outcome<O> {
    pub effects: Vec<Effect>,
    pub note: Option<Note>,
    pub next: Next<O>,
    pub changes: Vec<Change>,
}

impl<O> Default for Outcome<O> {
    fn default() -> Self {
        Outcome {
            effects: Vec::new(),
            note: None,
            next: Next::Keep,
            changes: Vec::new(),
        }
    }
}

impl<O> Outcome<O> {
    pub fn keep() -> Self {
        Outcome::default()
    }

    pub fn close() -> Self {
        Outcome {
            next: Next::Close,
            ..Outcome::default()
        }
    }

    pub fn replace(overlay: O) -> Self {
        Outcome {
            next: Next::Replace(overlay),
            ..Outcome::default()
        }
    }

    pub fn hold() -> Self {
        Outcome {
            next: Next::Hold,
            ..Outcome::default()
        }
    }

    pub fn effect(mut self, effect: Effect) -> Self {
        self.effects.push(effect);
        self
    }

    pub fn note(mut self, text: impl Into<String>) -> Self {
        self.note = Some(Note {
            text: text.into(),
            error: false,
        });
        self
    }

    pub fn error(mut self, text: impl Into<String>) -> Self {
        self.note = Some(Note {
            text: text.into(),
            error: true,
        });
        self
    }

    pub fn change(mut self, change: Change) -> Self {
        self.changes.push(change);
        self
    }
}
