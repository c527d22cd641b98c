//! Keys are data. [`Action`] is what a key can do; [`Context`] is where the
//! key is pressed (the panes, a list, the editor, a form, the plan modal, a
//! confirmation, a conflict, the palette); [`Keymap`] says which key does
//! what in each context. The defaults can be overridden in the config:
//! `[keys]` for the panes (`"ctrl-r" = "refresh"`) and `[keys.<context>]`
//! for the others (`[keys.modal] "y" = "execute"`). Help, the footer, the
//! modal's hints and the toasts that name a key are all built from the live
//! keymap, so rebinding a key changes every place that names it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::keys::{Key, KeyChord};

/// Declares [`Action`] once: its serde name, its doc line (shown in help and
/// the palette) and `Action::ALL`, so none of them is written twice.
macro_rules! actions {
    ($( #[doc = $doc:literal] $variant:ident = $name:literal ),* $(,)?) => {
        /// Something a key (or the command palette) can do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Action {
            $( #[doc = $doc] $variant, )*
        }

        impl Action {
            /// Every action, in the order help lists them.
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// The name used in the config file and the palette.
            pub fn name(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }

            /// One line saying what the action does.
            pub fn describe(self) -> &'static str {
                match self { $(Action::$variant => $doc.trim_ascii(),)* }
            }
        }
    };
}

actions! {
    /// Quit the console (asks first when something is not saved).
    Quit = "quit",
    /// Show the keys of the screen in front of you.
    Help = "help",
    /// Open the command palette: type to find any action.
    Palette = "palette",
    /// Focus the next pane.
    NextPane = "next_pane",
    /// Focus the previous pane.
    PrevPane = "prev_pane",
    /// Focus the servers pane.
    FocusServers = "focus_servers",
    /// Focus the sites pane.
    FocusSites = "focus_sites",
    /// Focus the alerts pane.
    FocusAlerts = "focus_alerts",
    /// Focus the incident timeline pane.
    FocusTimeline = "focus_timeline",
    /// Move the selection down.
    Down = "down",
    /// Move the selection up.
    Up = "up",
    /// Move the selection down a page.
    PageDown = "page_down",
    /// Move the selection up a page.
    PageUp = "page_up",
    /// Jump to the first row.
    Top = "top",
    /// Jump to the last row.
    Bottom = "bottom",
    /// Open the selected row in full (a timeline entry, an alert).
    Open = "open",
    /// Filter the sites: words match id, name or server; is:down, on:app-04.
    Filter = "filter",
    /// Cycle the sites' sort order (name, health, downtime, server, id).
    Sort = "sort",
    /// Fold or unfold the healthy switches in the servers pane.
    ToggleHealthy = "toggle_healthy",
    /// Close the open overlay, or clear the sites filter.
    Close = "close",
    /// Refetch everything from the API now.
    Refresh = "refresh",
    /// Turn mouse support on or off (off leaves text selectable).
    ToggleMouse = "toggle_mouse",
    /// Turn the bell and desktop notification for new critical alerts on or off.
    ToggleNotify = "toggle_notify",
    /// Write the incident's postmortem draft to a Markdown file and show where.
    ExportPostmortem = "export_postmortem",
    /// Declare an incident (on a selected alert: from it, starting when it opened).
    NewIncident = "new_incident",
    /// Change the followed incident's title, severity, impact, components or start.
    EditIncident = "edit_incident",
    /// Choose the incident to follow (open and recently resolved ones).
    SwitchIncident = "switch_incident",
    /// Hand an incident role (commander, communications, scribe) to someone.
    HandOffRole = "hand_off_role",
    /// Add an internal note to the timeline.
    Note = "note",
    /// Post a status update (public): preview, then publish.
    StatusUpdate = "status_update",
    /// Add a marker: detected, acknowledged, mitigated or resolved.
    Marker = "marker",
    /// Edit the selected timeline entry.
    EditEntry = "edit_entry",
    /// Delete the selected timeline entry (kept in the audit log).
    DeleteEntry = "delete_entry",
    /// Star the selected entry (starred entries go into the postmortem).
    Star = "star",
    /// Make the selected entry public or internal.
    ToggleVisibility = "toggle_visibility",
    /// Open the plan the orchestrator recommends now (the one shown above the hints).
    RecommendedPlan = "recommended_plan",
    /// Evacuate the selected server, or every server behind the selected switch.
    Evacuate = "evacuate",
    /// Promote a healthy app server to a failover server.
    PromoteSpare = "promote_spare",
    /// Fail the cache over to its standby.
    CacheFailover = "cache_failover",
    /// Restart web servers one by one to drop stale cache connections.
    RecycleWeb = "recycle_web",
    /// Fail the database over to a replica (forced asks for the target id); rebuild one when there is none.
    DbFailover = "db_failover",
    /// Restart the sites with stuck backends (or the selected site).
    RestartSites = "restart_sites",
    /// Move sites back to their home servers once those are stable.
    Failback = "failback",
    /// Return promoted spares to the app role once no other server's sites are on them.
    DemoteSpares = "demote_spares",
    /// Restore the cache's redundancy: fail back to its primary, or rebuild its standby.
    RestoreCache = "restore_cache",
    /// Rebuild a database replica of the writer after a failover.
    RestoreDbReplica = "restore_db_replica",
    /// Abort the running action.
    AbortAction = "abort_action",
    /// Undo the last action (a reverse plan, shown before it runs).
    UndoAction = "undo_action",
    /// Show the running or last action and its progress.
    ShowAction = "show_action",
    /// Pause the autopilot, or resume it when paused (commander).
    PauseAutopilot = "pause_autopilot",
    /// Acknowledge the selected alert: you are on it (the reminders stop).
    AckAlert = "ack_alert",
    /// Silence the selected alert for a while, with a reason.
    SilenceAlert = "silence_alert",
    /// Show or hide the scenario's upcoming faults (game-day view).
    ToggleUpcoming = "toggle_upcoming",
    /// Save what was written (a status update shows its preview first).
    Save = "save",
    /// Send the form.
    Submit = "submit",
    /// Close without saving (twice when something was typed).
    Cancel = "cancel",
    /// Move to the next field.
    NextField = "next_field",
    /// Move to the previous field.
    PrevField = "prev_field",
    /// Next choice of the field (status, impact, severity, …).
    ChoiceNext = "choice_next",
    /// Previous choice of the field.
    ChoicePrev = "choice_prev",
    /// Execute the plan shown (or go on: retry, type the target, close when done).
    Execute = "execute",
    /// Make the plan again.
    Replan = "replan",
    /// Run the action's follow-up (recycle, restart) when it offers one.
    FollowUp = "follow_up",
    /// Acknowledge the cooldown and execute anyway.
    AcknowledgeCooldown = "acknowledge_cooldown",
    /// Take the plan's first offer (promote the offered spare).
    TakeOffer = "take_offer",
    /// Yes: do it.
    Yes = "yes",
    /// No: leave it.
    No = "no",
    /// Keep my version, saved over theirs.
    KeepMine = "keep_mine",
    /// Take their version; mine is dropped.
    TakeTheirs = "take_theirs",
    /// Merge both versions by hand in the editor.
    Merge = "merge",
    /// Run the chosen command.
    Run = "run",
    /// Does nothing: bind a key to this to unbind it.
    Unbound = "unbound",
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The contexts an action can be bound in (`unbound` in all).
    pub fn contexts(self) -> &'static [Context] {
        use Action::*;
        match self {
            Down | Up | PageDown | PageUp | Top | Bottom => &[Context::List],
            Save => &[Context::Editor],
            Submit => &[Context::Form],
            Cancel => &[Context::Editor, Context::Form, Context::Conflict],
            NextField | PrevField | ChoiceNext | ChoicePrev => &[Context::Editor, Context::Form],
            Execute | Replan | FollowUp | AcknowledgeCooldown | TakeOffer => &[Context::Modal],
            Yes | No => &[Context::Confirm],
            KeepMine | TakeTheirs | Merge => &[Context::Conflict],
            Run => &[Context::Palette],
            Close => &[Context::Global, Context::Modal, Context::Palette],
            Help => &[
                Context::Global,
                Context::Editor,
                Context::Form,
                Context::Modal,
                Context::Confirm,
                Context::Conflict,
            ],
            Quit => &[Context::Global],
            AbortAction => &[Context::Global, Context::Modal],
            Unbound => Context::ALL,
            _ => &[Context::Global],
        }
    }

    /// Actions the palette offers: the panes' commands.
    pub fn runnable() -> impl Iterator<Item = Action> {
        Action::ALL.iter().copied().filter(|a| {
            *a != Action::Unbound
                && a.contexts()
                    .iter()
                    .any(|c| matches!(c, Context::Global | Context::List))
        })
    }
}

/// Where a key is pressed: each context has its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// The panes, with no overlay open.
    Global,
    /// Moving in a list: the panes, help, the switcher, the plan modal's body.
    List,
    /// The timeline entry editor.
    Editor,
    /// The incident form and the incident switcher.
    Form,
    /// The plan modal.
    Modal,
    /// A yes/no question.
    Confirm,
    /// An edit that met a newer version.
    Conflict,
    /// The command palette.
    Palette,
}

impl Context {
    pub const ALL: &'static [Context] = &[
        Context::Global,
        Context::List,
        Context::Editor,
        Context::Form,
        Context::Modal,
        Context::Confirm,
        Context::Conflict,
        Context::Palette,
    ];

    /// The config table: `[keys]` for global, `[keys.<name>]` for the others.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::List => "list",
            Context::Editor => "editor",
            Context::Form => "form",
            Context::Modal => "modal",
            Context::Confirm => "confirm",
            Context::Conflict => "conflict",
            Context::Palette => "palette",
        }
    }

    pub fn from_name(name: &str) -> Option<Context> {
        Context::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// The contexts looked up in order when a key is pressed here: a
    /// binding of the context itself wins over the list's navigation.
    pub fn chain(self) -> &'static [Context] {
        match self {
            Context::Global => &[Context::Global, Context::List],
            Context::Modal => &[Context::Modal, Context::List],
            Context::Form => &[Context::Form, Context::List],
            Context::List => &[Context::List],
            Context::Editor => &[Context::Editor],
            Context::Confirm => &[Context::Confirm],
            Context::Conflict => &[Context::Conflict],
            Context::Palette => &[Context::Palette],
        }
    }

    /// Whether the context has text fields, where a plain character types
    /// itself instead of running a binding.
    pub fn types_text(self) -> bool {
        matches!(self, Context::Editor | Context::Form | Context::Palette)
    }
}

mod defaults;

use defaults::{DEFAULTS, ESSENTIAL, FROM_TEXT};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error(
        "{table}: '{key}' is not a key name (examples: \"q\", \"G\", \"ctrl-r\", \"shift-tab\", \"f5\", \"space\")"
    )]
    UnknownKey { table: String, key: String },
    #[error("{table}.\"{key}\": unknown action '{action}'; actions here are: {known}")]
    UnknownAction {
        table: String,
        key: String,
        action: String,
        known: String,
    },
    #[error("keys.{0}: no such context; contexts are: {1}")]
    UnknownContext(String, String),
    #[error(
        "{table}: '{first}' and '{second}' are the same key, bound to two actions ({first_action} and {second_action})"
    )]
    Clash {
        table: String,
        first: String,
        second: String,
        first_action: &'static str,
        second_action: &'static str,
    },
    #[error("{table}: no key is left for '{action}'; bind one")]
    Unreachable { table: String, action: &'static str },
    #[error(
        "{table}: '{action}' is used while typing, where letters type themselves: keep a key that is not a character for it (enter, esc, tab, ctrl-s, f2, …)"
    )]
    NeedsNonCharacter { table: String, action: &'static str },
}

/// One binding from the config: the context's name (`None` for `[keys]`),
/// the key's name and the action's name, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub context: Option<String>,
    pub key: String,
    pub action: String,
}

impl Override {
    pub fn new(context: Option<&str>, key: &str, action: &str) -> Override {
        Override {
            context: context.map(str::to_string),
            key: key.to_string(),
            action: action.to_string(),
        }
    }
}

/// Which key does what, per context. Built once at start; lookups are O(1).
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: HashMap<(Context, KeyChord), Action>,
    /// Keys per (context, action), sorted, for help, hints and the palette.
    by_action: HashMap<(Context, Action), Vec<KeyChord>>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::build(DEFAULTS.iter().map(|(c, k, a)| ((*c, *k), *a)).collect())
    }
}

fn table_name(context: Context) -> String {
    match context {
        Context::Global => "keys".into(),
        other => format!("keys.{}", other.name()),
    }
}

impl Keymap {
    /// The defaults with the config's `overrides` applied. Refuses unknown
    /// contexts, keys and actions (and an action bound outside the contexts
    /// it works in), two spellings of one key bound to different actions in
    /// one context, and a map that leaves an essential action without a key.
    pub fn with_overrides(overrides: &[Override]) -> Result<Keymap, KeymapError> {
        let mut bindings: HashMap<(Context, KeyChord), Action> =
            DEFAULTS.iter().map(|(c, k, a)| ((*c, *k), *a)).collect();
        let mut from_config: HashMap<(Context, KeyChord), (&str, Action)> = HashMap::new();
        for o in overrides {
            let named = match &o.context {
                None => None,
                Some(name) => Some(Context::from_name(name).ok_or_else(|| {
                    KeymapError::UnknownContext(
                        name.clone(),
                        Context::ALL
                            .iter()
                            .map(|c| c.name())
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                })?),
            };
            let table = named.map_or_else(|| "keys".to_string(), table_name);
            let chord = KeyChord::parse(&o.key).ok_or_else(|| KeymapError::UnknownKey {
                table: table.clone(),
                key: o.key.clone(),
            })?;
            let action = Action::from_name(&o.action);
            // `[keys]` takes the panes' actions: global ones and list moves.
            let context = match (named, action) {
                (Some(c), _) => c,
                (None, Some(a)) if a.contexts() == [Context::List] => Context::List,
                (None, _) => Context::Global,
            };
            let action = action
                .filter(|a| a.contexts().contains(&context))
                .ok_or_else(|| KeymapError::UnknownAction {
                    table: table.clone(),
                    key: o.key.clone(),
                    action: o.action.clone(),
                    known: Action::ALL
                        .iter()
                        .filter(|a| **a != Action::Unbound && a.contexts().contains(&context))
                        .map(|a| a.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            if let Some((first, first_action)) = from_config.get(&(context, chord))
                && *first_action != action
            {
                return Err(KeymapError::Clash {
                    table,
                    first: (*first).to_string(),
                    second: o.key.clone(),
                    first_action: first_action.name(),
                    second_action: action.name(),
                });
            }
            from_config.insert((context, chord), (o.key.as_str(), action));
            bindings.insert((context, chord), action);
        }
        bindings.retain(|_, action| *action != Action::Unbound);
        let keymap = Keymap::build(bindings);
        for (context, essential) in ESSENTIAL {
            if keymap.keys_for(*context, *essential).is_empty() {
                return Err(KeymapError::Unreachable {
                    table: table_name(*context),
                    action: essential.name(),
                });
            }
        }
        for (context, action) in FROM_TEXT {
            let typed = |k: &KeyChord| matches!(k.key, Key::Char(_)) && !k.ctrl && !k.alt;
            if keymap.keys_for(*context, *action).iter().all(typed) {
                return Err(KeymapError::NeedsNonCharacter {
                    table: table_name(*context),
                    action: action.name(),
                });
            }
        }
        Ok(keymap)
    }

    fn build(bindings: HashMap<(Context, KeyChord), Action>) -> Keymap {
        let mut by_action: HashMap<(Context, Action), Vec<KeyChord>> = HashMap::new();
        for ((context, chord), action) in &bindings {
            by_action
                .entry((*context, *action))
                .or_default()
                .push(*chord);
        }
        for keys in by_action.values_mut() {
            keys.sort_by_key(|k| {
                (
                    k.ctrl || k.alt || k.shift,
                    !matches!(k.key, Key::Char(_)),
                    matches!(k.key, Key::Char(c) if c.is_uppercase()),
                    *k,
                )
            });
        }
        Keymap {
            bindings,
            by_action,
        }
    }

    /// What `chord` does in `context`, looking through the context's chain
    /// (a modal's own keys first, then the list's moves).
    pub fn action(&self, context: Context, chord: &KeyChord) -> Option<Action> {
        context
            .chain()
            .iter()
            .find_map(|c| self.bindings.get(&(*c, *chord)).copied())
    }

    /// Like [`Keymap::action`], for a context with text fields: a plain
    /// character (or space) types itself and runs nothing there.
    pub fn action_typing(&self, context: Context, chord: &KeyChord) -> Option<Action> {
        let typed = matches!(chord.key, Key::Char(_)) && !chord.ctrl && !chord.alt;
        if typed {
            return None;
        }
        self.action(context, chord)
    }

    /// The keys bound to `action` in `context` (or its chain), plain letters first.
    pub fn keys_for(&self, context: Context, action: Action) -> &[KeyChord] {
        context
            .chain()
            .iter()
            .find_map(|c| self.by_action.get(&(*c, action)))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The first key of `action` in `context`, as help text (`?`), or `:`
    /// + name when it has none.
    pub fn hint(&self, context: Context, action: Action) -> String {
        match self.keys_for(context, action).first() {
            Some(key) => key.to_string(),
            None => format!(":{}", action.name()),
        }
    }

    /// The keys of `action` in `context` for a hint line: all of them
    /// joined with `/` (`Esc/q`), or `None` when it has none.
    pub fn hints(&self, context: Context, action: Action) -> Option<String> {
        let keys = self.keys_for(context, action);
        (!keys.is_empty()).then(|| {
            keys.iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join("/")
        })
    }

    /// Every action with keys in `context`'s chain, with its keys, in help
    /// order (a context's own actions before the list's).
    pub fn entries(&self, context: Context) -> Vec<(Action, &[KeyChord])> {
        let mut out: Vec<(Action, &[KeyChord])> = Vec::new();
        for c in context.chain() {
            for action in Action::ALL {
                if out.iter().any(|(a, _)| a == action) {
                    continue;
                }
                if let Some(keys) = self.by_action.get(&(*c, *action)) {
                    out.push((*action, keys.as_slice()));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
