//! Reading an entry or an alert in full: the list keys scroll within the
//! text; any other key closes.

use super::fixtures::{World, key, next, note_entry};
use crate::tui::overlay::Reader;

fn long_entry() -> Reader {
    // Three lines: at most 3 + 8 rows to scroll through.
    Reader::entry(note_entry(20, "line one\nline two\nline three", 60))
}

#[test]
fn list_keys_scroll_within_the_text() {
    let world = World::new();
    let ctx = world.ctx();
    let mut reader = long_entry();
    for (name, scroll) in [
        ("j", 1),
        ("down", 2),
        ("G", 11),
        ("j", 11),
        ("k", 10),
        ("up", 9),
        ("ctrl-u", 0),
        ("ctrl-d", 10),
        ("pagedown", 11),
        ("pageup", 1),
        ("g", 0),
        ("end", 11),
        ("home", 0),
    ] {
        let out = reader.key(key(name), &ctx);
        assert_eq!(next(&out), "keep", "{name}");
        assert_eq!(reader.scroll, scroll, "after {name}");
    }
}

#[test]
fn any_other_key_closes() {
    let world = World::new();
    let ctx = world.ctx();
    for name in ["esc", "enter", "q", "x", "tab", "?"] {
        let mut reader = long_entry();
        let out = reader.key(key(name), &ctx);
        assert_eq!(next(&out), "close", "{name}");
        assert!(out.effects.is_empty() && out.changes.is_empty());
    }
}

#[test]
fn rebound_list_keys_scroll() {
    let world = World::with_keys(&[(None, "ctrl-n", "down")]);
    let ctx = world.ctx();
    let mut reader = long_entry();
    let out = reader.key(key("ctrl-n"), &ctx);
    assert_eq!(next(&out), "keep");
    assert_eq!(reader.scroll, 1);
}
