//! Key chords: what a key press is, by name (`ctrl-r`, `shift-tab`, `G`,
//! `?`), parsed from the config and shown in help with the same spelling.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

/// A key with its modifiers, normalised so that one physical chord has one
/// value: a character carries its case and never `shift`; Shift-Tab is
/// `BackTab` without `shift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    pub key: Key,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl KeyChord {
    pub const fn plain(key: Key) -> KeyChord {
        KeyChord {
            key,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    pub const fn ctrl(c: char) -> KeyChord {
        KeyChord {
            key: Key::Char(c),
            ctrl: true,
            alt: false,
            shift: false,
        }
    }

    pub const fn char(c: char) -> KeyChord {
        KeyChord::plain(Key::Char(c))
    }

    /// The chord of a terminal key event; `None` for keys warroom does not bind
    /// (media keys, lone modifiers).
    pub fn from_event(event: &KeyEvent) -> Option<KeyChord> {
        let m = event.modifiers;
        let key = match event.code {
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab if m.contains(KeyModifiers::SHIFT) => Key::BackTab,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Delete => Key::Delete,
            KeyCode::Insert => Key::Insert,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::F(n) => Key::F(n),
            _ => return None,
        };
        let shift_is_in_key = matches!(key, Key::Char(_) | Key::BackTab);
        Some(KeyChord {
            key,
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.contains(KeyModifiers::ALT),
            shift: m.contains(KeyModifiers::SHIFT) && !shift_is_in_key,
        })
    }

    /// Parse a key name as written in `[keys]`: modifiers `ctrl-`, `alt-`,
    /// `shift-` before a key (`a`, `G`, `?`, `space`, `enter`, `esc`, `tab`,
    /// `backtab`, `backspace`, `delete`, `insert`, `up`, `down`, `left`,
    /// `right`, `pageup`, `pagedown`, `home`, `end`, `f1`..`f12`).
    pub fn parse(name: &str) -> Option<KeyChord> {
        let mut rest = name;
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            // A bare "-" is the minus key, not a separator.
            if rest.len() > 1 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 1 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else if rest.len() > 1 && lower.starts_with("shift-") {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let key = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                if shift && c.is_ascii_alphabetic() {
                    shift = false;
                    Key::Char(c.to_ascii_uppercase())
                } else {
                    Key::Char(c)
                }
            }
            _ => named_key(&rest.to_ascii_lowercase())?,
        };
        let key = if key == Key::Tab && shift {
            shift = false;
            Key::BackTab
        } else {
            key
        };
        if matches!(key, Key::Char(_)) && shift {
            // "shift-?" names no chord a terminal can send.
            return None;
        }
        Some(KeyChord {
            key,
            ctrl,
            alt,
            shift,
        })
    }
}

fn named_key(name: &str) -> Option<Key> {
    Some(match name {
        "space" => Key::Char(' '),
        "enter" | "return" => Key::Enter,
        "esc" | "escape" => Key::Esc,
        "tab" => Key::Tab,
        "backtab" => Key::BackTab,
        "backspace" => Key::Backspace,
        "delete" | "del" => Key::Delete,
        "insert" | "ins" => Key::Insert,
        "up" => Key::Up,
        "down" => Key::Down,
        "left" => Key::Left,
        "right" => Key::Right,
        "pageup" | "pgup" => Key::PageUp,
        "pagedown" | "pgdn" => Key::PageDown,
        "home" => Key::Home,
        "end" => Key::End,
        _ => {
            let n: u8 = name.strip_prefix('f')?.parse().ok()?;
            if (1..=24).contains(&n) {
                Key::F(n)
            } else {
                return None;
            }
        }
    })
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.key {
            Key::Char(' ') => f.write_str("space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::Enter => f.write_str("enter"),
            Key::Esc => f.write_str("esc"),
            Key::Tab => f.write_str("tab"),
            Key::BackTab => f.write_str("shift-tab"),
            Key::Backspace => f.write_str("backspace"),
            Key::Delete => f.write_str("delete"),
            Key::Insert => f.write_str("insert"),
            Key::Up => f.write_str("up"),
            Key::Down => f.write_str("down"),
            Key::Left => f.write_str("left"),
            Key::Right => f.write_str("right"),
            Key::PageUp => f.write_str("pageup"),
            Key::PageDown => f.write_str("pagedown"),
            Key::Home => f.write_str("home"),
            Key::End => f.write_str("end"),
            Key::F(n) => write!(f, "f{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;

    #[test]
    fn names_round_trip() {
        for name in [
            "ctrl-r",
            "G",
            "?",
            "/",
            "space",
            "esc",
            "shift-tab",
            "f5",
            "alt-x",
            "pagedown",
            "-",
            "ctrl--",
        ] {
            let chord = KeyChord::parse(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(chord.to_string(), name);
        }
    }

    #[test]
    fn spellings_of_one_chord_are_equal() {
        assert_eq!(KeyChord::parse("shift-tab"), KeyChord::parse("backtab"));
        assert_eq!(KeyChord::parse("shift-g"), KeyChord::parse("G"));
        assert_eq!(KeyChord::parse("CTRL-r"), KeyChord::parse("ctrl-r"));
        assert_eq!(KeyChord::parse("Escape"), KeyChord::parse("esc"));
    }

    #[test]
    fn bad_names_are_refused() {
        for name in ["", "ctrl-", "frobnicate", "f99", "shift-?", "ab"] {
            assert_eq!(KeyChord::parse(name), None, "{name}");
        }
    }

    #[test]
    fn terminal_events_normalise() {
        let event = |code, modifiers| KeyEvent {
            code,
            modifiers,
            kind: KeyEventKind::Press,
            state: crossterm::event::KeyEventState::NONE,
        };
        let upper_g = event(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&upper_g), Some(KeyChord::char('G')));
        let backtab = event(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&backtab), KeyChord::parse("shift-tab"));
        let ctrl_r = event(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(KeyChord::from_event(&ctrl_r), Some(KeyChord::ctrl('r')));
    }
}
