//! The command palette: typing filters, the arrows move, Enter runs the
//! chosen command (the root does it: `Change::Run`), Esc closes.

use super::fixtures::{World, chars, key, next};
use crate::tui::component::Change;
use crate::tui::keymap::Action;
use crate::tui::overlay::{Palette, palette_matches};

#[test]
fn typing_filters_the_commands() {
    let world = World::new();
    let ctx = world.ctx();
    let mut palette = Palette::open();
    let everything = palette.matches.len();
    assert!(everything > 20, "all the panes' commands at first");
    // Letters that are bindings elsewhere (j, q, r) type here.
    for chord in chars("refr") {
        let out = palette.key(chord, &ctx);
        assert_eq!(next(&out), "keep");
        assert!(out.changes.is_empty());
    }
    assert_eq!(palette.query, "refr");
    assert_eq!(palette.matches[0], Action::Refresh);
    assert!(palette.matches.len() < everything);
    assert_eq!(palette.matches, palette_matches("refr"));

    let _ = palette.key(key("backspace"), &ctx);
    assert_eq!(palette.query, "ref");
    assert_eq!(palette.matches, palette_matches("ref"));
    assert_eq!(palette.selected, 0);
}

#[test]
fn arrows_move_the_choice_within_the_matches() {
    let world = World::new();
    let ctx = world.ctx();
    let mut palette = Palette::open();
    let _ = palette.key(key("down"), &ctx);
    let _ = palette.key(key("down"), &ctx);
    assert_eq!(palette.selected, 2);
    let _ = palette.key(key("up"), &ctx);
    assert_eq!(palette.selected, 1);
    let _ = palette.key(key("ctrl-p"), &ctx);
    let _ = palette.key(key("ctrl-p"), &ctx);
    assert_eq!(palette.selected, 0, "up stops at the first");
    let _ = palette.key(key("tab"), &ctx);
    let _ = palette.key(key("ctrl-n"), &ctx);
    assert_eq!(palette.selected, 2);
    let _ = palette.key(key("shift-tab"), &ctx);
    assert_eq!(palette.selected, 1);

    for chord in chars("quit") {
        let _ = palette.key(chord, &ctx);
    }
    assert_eq!(palette.selected, 0, "a new query starts at its best match");
    for _ in 0..50 {
        let _ = palette.key(key("down"), &ctx);
    }
    assert_eq!(
        palette.selected,
        palette.matches.len() - 1,
        "down stops at the last"
    );
}

#[test]
fn enter_runs_the_chosen_command() {
    let world = World::new();
    let ctx = world.ctx();
    let mut palette = Palette::open();
    for chord in chars("quit") {
        let _ = palette.key(chord, &ctx);
    }
    let out = palette.key(key("enter"), &ctx);
    assert_eq!(next(&out), "close");
    assert_eq!(out.changes, vec![Change::Run(Action::Quit)]);

    let mut palette = Palette::open();
    let _ = palette.key(key("down"), &ctx);
    let second = palette.matches[1];
    let out = palette.key(key("enter"), &ctx);
    assert_eq!(out.changes, vec![Change::Run(second)]);
}

#[test]
fn enter_with_nothing_matching_only_closes() {
    let world = World::new();
    let ctx = world.ctx();
    let mut palette = Palette::open();
    for chord in chars("zzzz") {
        let _ = palette.key(chord, &ctx);
    }
    assert!(palette.matches.is_empty());
    let out = palette.key(key("enter"), &ctx);
    assert_eq!(next(&out), "close");
    assert!(out.changes.is_empty());
}

#[test]
fn esc_closes_without_running_anything() {
    let world = World::new();
    let ctx = world.ctx();
    let mut palette = Palette::open();
    for chord in chars("quit") {
        let _ = palette.key(chord, &ctx);
    }
    let out = palette.key(key("esc"), &ctx);
    assert_eq!(next(&out), "close");
    assert!(out.changes.is_empty() && out.effects.is_empty());
}

#[test]
fn a_rebound_run_key_runs() {
    let world = World::with_keys(&[(Some("palette"), "ctrl-o", "run")]);
    let ctx = world.ctx();
    let mut palette = Palette::open();
    for chord in chars("sort") {
        let _ = palette.key(chord, &ctx);
    }
    let out = palette.key(key("ctrl-o"), &ctx);
    assert_eq!(out.changes, vec![Change::Run(Action::Sort)]);
}
