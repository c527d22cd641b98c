//! Keys are data: [`Action`] is what a key can do, [`Keymap`] says which key
//! does what. The defaults can be overridden in the config's `[keys]` table
//! (`"ctrl-r" = "refresh"`); help and the command palette are built from the
//! live keymap and the actions' doc lines.

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
    /// Quit the console.
    Quit = "quit",
    /// Show every key (this screen).
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
    /// Filter the sites: words match id, name or server; is:down, on:app-04.
    Filter = "filter",
    /// Cycle the sites' sort order (name, health, downtime, server, id).
    Sort = "sort",
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
    /// Declare an incident: title, severity, status, impact, components.
    NewIncident = "new_incident",
    /// Change the followed incident's title, severity, impact or components.
    EditIncident = "edit_incident",
    /// Choose the incident to follow (open and recently resolved ones).
    SwitchIncident = "switch_incident",
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
    /// Evacuate the selected server, or every server behind the selected switch.
    Evacuate = "evacuate",
    /// Promote a healthy app server to a failover server.
    PromoteSpare = "promote_spare",
    /// Fail the cache over to its standby.
    CacheFailover = "cache_failover",
    /// Restart web servers one by one to drop stale cache connections.
    RecycleWeb = "recycle_web",
    /// Fail the database over to a replica (forced asks for the target id).
    DbFailover = "db_failover",
    /// Restart the sites with stuck backends (or the selected site).
    RestartSites = "restart_sites",
    /// Move sites back to their home servers once those are stable.
    Failback = "failback",
    /// Abort the running action.
    AbortAction = "abort_action",
    /// Undo the last action (a reverse plan, shown before it runs).
    UndoAction = "undo_action",
    /// Show the running or last action and its progress.
    ShowAction = "show_action",
    /// Show or hide the scenario's upcoming faults (game-day view).
    ToggleUpcoming = "toggle_upcoming",
    /// Does nothing: bind a key to this to unbind it.
    Unbound = "unbound",
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Actions a user can run (everything but `unbound`).
    pub fn runnable() -> impl Iterator<Item = Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| *a != Action::Unbound)
    }
}

/// The default bindings, before the config's overrides.
const DEFAULTS: &[(KeyChord, Action)] = &[
    (KeyChord::char('q'), Action::Quit),
    (KeyChord::ctrl('c'), Action::Quit),
    (KeyChord::char('?'), Action::Help),
    (KeyChord::plain(Key::F(1)), Action::Help),
    (KeyChord::char(':'), Action::Palette),
    (KeyChord::ctrl('p'), Action::Palette),
    (KeyChord::plain(Key::Tab), Action::NextPane),
    (KeyChord::plain(Key::BackTab), Action::PrevPane),
    (KeyChord::char('1'), Action::FocusServers),
    (KeyChord::char('2'), Action::FocusSites),
    (KeyChord::char('3'), Action::FocusAlerts),
    (KeyChord::char('4'), Action::FocusTimeline),
    (KeyChord::char('j'), Action::Down),
    (KeyChord::plain(Key::Down), Action::Down),
    (KeyChord::char('k'), Action::Up),
    (KeyChord::plain(Key::Up), Action::Up),
    (KeyChord::ctrl('d'), Action::PageDown),
    (KeyChord::plain(Key::PageDown), Action::PageDown),
    (KeyChord::ctrl('u'), Action::PageUp),
    (KeyChord::plain(Key::PageUp), Action::PageUp),
    (KeyChord::char('g'), Action::Top),
    (KeyChord::plain(Key::Home), Action::Top),
    (KeyChord::char('G'), Action::Bottom),
    (KeyChord::plain(Key::End), Action::Bottom),
    (KeyChord::char('/'), Action::Filter),
    (KeyChord::char('s'), Action::Sort),
    (KeyChord::plain(Key::Esc), Action::Close),
    (KeyChord::char('r'), Action::Refresh),
    (KeyChord::char('M'), Action::ToggleMouse),
    (KeyChord::char('N'), Action::ToggleNotify),
    (KeyChord::char('X'), Action::ExportPostmortem),
    (KeyChord::char('i'), Action::NewIncident),
    (KeyChord::char('T'), Action::EditIncident),
    (KeyChord::char('I'), Action::SwitchIncident),
    (KeyChord::char('n'), Action::Note),
    (KeyChord::char('u'), Action::StatusUpdate),
    (KeyChord::char('m'), Action::Marker),
    (KeyChord::char('e'), Action::EditEntry),
    (KeyChord::plain(Key::Enter), Action::EditEntry),
    (KeyChord::char('d'), Action::DeleteEntry),
    (KeyChord::plain(Key::Delete), Action::DeleteEntry),
    (KeyChord::char('*'), Action::Star),
    (KeyChord::char('v'), Action::ToggleVisibility),
    (KeyChord::char('E'), Action::Evacuate),
    (KeyChord::char('P'), Action::PromoteSpare),
    (KeyChord::char('C'), Action::CacheFailover),
    (KeyChord::char('W'), Action::RecycleWeb),
    (KeyChord::char('D'), Action::DbFailover),
    (KeyChord::char('R'), Action::RestartSites),
    (KeyChord::char('B'), Action::Failback),
    (KeyChord::char('A'), Action::AbortAction),
    (KeyChord::char('U'), Action::UndoAction),
    (KeyChord::char('a'), Action::ShowAction),
    (KeyChord::char('f'), Action::ToggleUpcoming),
];

/// Actions that must keep at least one key, or the console could not be left
/// or explained.
const ESSENTIAL: &[Action] = &[Action::Quit, Action::Help];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error(
        "keys: '{0}' is not a key name (examples: \"q\", \"G\", \"ctrl-r\", \"shift-tab\", \"f5\", \"space\")"
    )]
    UnknownKey(String),
    #[error("keys.\"{key}\": unknown action '{action}'; actions are: {known}")]
    UnknownAction {
        key: String,
        action: String,
        known: String,
    },
    #[error(
        "keys: '{first}' and '{second}' are the same key, bound to two actions ({first_action} and {second_action})"
    )]
    Clash {
        first: String,
        second: String,
        first_action: &'static str,
        second_action: &'static str,
    },
    #[error("keys: no key is left for '{0}'; bind one")]
    Unreachable(&'static str),
}

/// Which key does what. Built once at start; lookups are O(1).
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: HashMap<KeyChord, Action>,
    /// Keys per action, sorted, for help and the palette.
    by_action: Vec<(Action, Vec<KeyChord>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::build(DEFAULTS.iter().copied().collect())
    }
}

impl Keymap {
    /// The defaults with `overrides` (key name, action name, as in the
    /// config's `[keys]`) applied. Refuses unknown key or action names, two
    /// spellings of one key bound to different actions, and a map that
    /// leaves `quit` or `help` without a key.
    pub fn with_overrides(overrides: &[(String, String)]) -> Result<Keymap, KeymapError> {
        let mut bindings: HashMap<KeyChord, Action> = DEFAULTS.iter().copied().collect();
        let mut from_config: HashMap<KeyChord, (&str, Action)> = HashMap::new();
        for (key_name, action_name) in overrides {
            let chord = KeyChord::parse(key_name)
                .ok_or_else(|| KeymapError::UnknownKey(key_name.clone()))?;
            let action =
                Action::from_name(action_name).ok_or_else(|| KeymapError::UnknownAction {
                    key: key_name.clone(),
                    action: action_name.clone(),
                    known: Action::ALL
                        .iter()
                        .map(|a| a.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            if let Some((first, first_action)) = from_config.get(&chord)
                && *first_action != action
            {
                return Err(KeymapError::Clash {
                    first: (*first).to_string(),
                    second: key_name.clone(),
                    first_action: first_action.name(),
                    second_action: action.name(),
                });
            }
            from_config.insert(chord, (key_name.as_str(), action));
            bindings.insert(chord, action);
        }
        bindings.retain(|_, action| *action != Action::Unbound);
        let keymap = Keymap::build(bindings);
        for essential in ESSENTIAL {
            if keymap.keys_for(*essential).is_empty() {
                return Err(KeymapError::Unreachable(essential.name()));
            }
        }
        Ok(keymap)
    }

    fn build(bindings: HashMap<KeyChord, Action>) -> Keymap {
        let by_action = Action::runnable()
            .map(|action| {
                let mut keys: Vec<KeyChord> = bindings
                    .iter()
                    .filter(|(_, a)| **a == action)
                    .map(|(k, _)| *k)
                    .collect();
                keys.sort_by_key(|k| {
                    (
                        k.ctrl || k.alt || k.shift,
                        !matches!(k.key, Key::Char(_)),
                        *k,
                    )
                });
                (action, keys)
            })
            .collect();
        Keymap {
            bindings,
            by_action,
        }
    }

    pub fn action(&self, chord: &KeyChord) -> Option<Action> {
        self.bindings.get(chord).copied()
    }

    /// The keys bound to `action`, plain letters first.
    pub fn keys_for(&self, action: Action) -> &[KeyChord] {
        self.by_action
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, keys)| keys.as_slice())
            .unwrap_or(&[])
    }

    /// The first key of `action`, as help text (`?`), or `:` + name when it has none.
    pub fn hint(&self, action: Action) -> String {
        match self.keys_for(action).first() {
            Some(key) => key.to_string(),
            None => format!(":{}", action.name()),
        }
    }

    /// Every runnable action with its keys, in help order.
    pub fn entries(&self) -> impl Iterator<Item = (Action, &[KeyChord])> {
        self.by_action.iter().map(|(a, k)| (*a, k.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn over(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, a)| (k.to_string(), a.to_string()))
            .collect()
    }

    #[test]
    fn names_are_the_serde_names() {
        for action in Action::ALL {
            let json = serde_json::to_string(action).expect("serialize");
            assert_eq!(json, format!("\"{}\"", action.name()));
            assert!(!action.describe().is_empty());
        }
    }

    #[test]
    fn defaults_bind_the_documented_keys() {
        let keymap = Keymap::default();
        assert_eq!(keymap.action(&KeyChord::char('q')), Some(Action::Quit));
        assert_eq!(
            keymap.action(&KeyChord::plain(Key::BackTab)),
            Some(Action::PrevPane)
        );
        assert_eq!(keymap.action(&KeyChord::char('G')), Some(Action::Bottom));
        assert_eq!(keymap.keys_for(Action::Down)[0], KeyChord::char('j'));
    }

    #[test]
    fn overrides_add_and_replace_bindings() {
        let keymap = Keymap::with_overrides(&over(&[
            ("ctrl-r", "refresh"),
            ("j", "top"),
            ("m", "unbound"),
        ]))
        .expect("valid");
        assert_eq!(keymap.action(&KeyChord::ctrl('r')), Some(Action::Refresh));
        assert_eq!(keymap.action(&KeyChord::char('r')), Some(Action::Refresh));
        assert_eq!(keymap.action(&KeyChord::char('j')), Some(Action::Top));
        assert_eq!(keymap.action(&KeyChord::char('m')), None);
        assert!(!keymap.keys_for(Action::Down).contains(&KeyChord::char('j')));
    }

    #[test]
    fn a_clash_names_both_spellings_of_the_key() {
        let err = Keymap::with_overrides(&over(&[("shift-tab", "next_pane"), ("backtab", "quit")]))
            .expect_err("clash");
        let text = err.to_string();
        assert!(
            text.contains("'shift-tab'") && text.contains("'backtab'"),
            "{text}"
        );
        assert!(
            text.contains("next_pane") && text.contains("quit"),
            "{text}"
        );
    }

    #[test]
    fn unknown_names_are_refused_with_the_key() {
        let err =
            Keymap::with_overrides(&over(&[("ctrl-r", "refesh")])).expect_err("unknown action");
        assert!(
            err.to_string()
                .contains("keys.\"ctrl-r\": unknown action 'refesh'"),
            "{err}"
        );
        let err = Keymap::with_overrides(&over(&[("hyper-x", "quit")])).expect_err("unknown key");
        assert!(
            err.to_string().contains("'hyper-x' is not a key name"),
            "{err}"
        );
    }

    #[test]
    fn quit_cannot_be_left_without_a_key() {
        let err = Keymap::with_overrides(&over(&[("q", "unbound"), ("ctrl-c", "unbound")]))
            .expect_err("no quit");
        assert_eq!(err, KeymapError::Unreachable("quit"));
    }
}
