//! The command palette (`:`): type to find any of the panes' commands,
//! ranked by a fuzzy match of the query against its name and description;
//! Enter runs it.

use crate::tui::component::{Change, Ctx, Outcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::keys::{Key, KeyChord};

use super::Overlay;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Palette {
    pub query: String,
    /// Matching actions, best first.
    pub matches: Vec<Action>,
    pub selected: usize,
}

impl Palette {
    pub fn open() -> Palette {
        Palette {
            matches: matches(""),
            ..Palette::default()
        }
    }

    pub fn key(&mut self, chord: KeyChord, ctx: &Ctx) -> Outcome<Overlay> {
        match ctx.keymap.action_typing(Context::Palette, &chord) {
            Some(Action::Close) => return Outcome::close(),
            Some(Action::Run) => {
                return match self.matches.get(self.selected).copied() {
                    Some(action) => Outcome::close().change(Change::Run(action)),
                    None => Outcome::close(),
                };
            }
            _ => {}
        }
        // Moving through the matches: the list's keys that are not
        // characters (arrows, page keys, as bound), tab and shift-tab, or
        // ctrl-n and ctrl-p as in a shell.
        let list = ctx.keymap.action_typing(Context::List, &chord);
        match (chord.key, chord.ctrl || chord.alt) {
            _ if list == Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            _ if list == Some(Action::Down) => {
                self.selected = (self.selected + 1).min(self.matches.len().saturating_sub(1));
            }
            (Key::BackTab, _) | (Key::Char('p'), true) => {
                self.selected = self.selected.saturating_sub(1)
            }
            (Key::Tab, _) | (Key::Char('n'), true) => {
                self.selected = (self.selected + 1).min(self.matches.len().saturating_sub(1));
            }
            (Key::Backspace, _) => {
                self.query.pop();
                self.matches = matches(&self.query);
                self.selected = 0;
            }
            (Key::Char(c), false) => {
                self.query.push(c);
                self.matches = matches(&self.query);
                self.selected = 0;
            }
            _ => {}
        }
        Outcome::keep()
    }
}

/// Actions matching `query`, best first; all of them (in help order) for an empty query.
pub fn matches(query: &str) -> Vec<Action> {
    let query = query.trim().to_lowercase();
    let mut scored: Vec<(u32, usize, Action)> = Action::runnable()
        .enumerate()
        .filter(|(_, a)| *a != Action::Palette)
        .filter_map(|(order, action)| {
            let name = action.name().replace('_', " ");
            let score = score(&query, &name)
                .map(|s| s + 1000)
                .or_else(|| score(&query, &action.describe().to_lowercase()))?;
            Some((score, order, action))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, action)| action).collect()
}

/// A subsequence match score: `None` when `query`'s characters do not all
/// appear in order; higher for contiguous runs and matches at word starts.
fn score(query: &str, text: &str) -> Option<u32> {
    if query.is_empty() {
        return Some(0);
    }
    let text: Vec<char> = text.chars().collect();
    let mut score = 0u32;
    let mut at = 0usize;
    let mut previous: Option<usize> = None;
    for q in query.chars() {
        let found = (at..text.len()).find(|&i| text[i] == q)?;
        score += 1;
        if previous.is_some_and(|p| p + 1 == found) {
            score += 5;
        }
        if found == 0 || text[found - 1] == ' ' {
            score += 8;
        }
        previous = Some(found);
        at = found + 1;
    }
    // Shorter texts rank above longer ones with the same matches.
    Some(score * 100 - (text.len() as u32).min(99))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_query_lists_every_action_but_the_palette() {
        let all = matches("");
        assert!(all.contains(&Action::Quit) && all.contains(&Action::ToggleMouse));
        assert!(!all.contains(&Action::Palette) && !all.contains(&Action::Unbound));
    }

    #[test]
    fn fuzzy_queries_find_the_action() {
        assert_eq!(matches("tgm")[0], Action::ToggleMouse);
        assert_eq!(matches("refr")[0], Action::Refresh);
        assert_eq!(matches("quit")[0], Action::Quit);
        assert_eq!(matches("sort")[0], Action::Sort);
        assert!(matches("zzzz").is_empty());
    }
}
