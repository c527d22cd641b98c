//! Reading an entry or an alert in full: the list keys scroll within the
//! text; any other key closes.

use super::fixtures::{World, key, next, note_entry, t};
use crate::model::{Alert, AlertKind, AlertSeverity};
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
fn an_alert_scrolls_within_its_message() {
    let world = World::new();
    let ctx = world.ctx();
    let mut reader = Reader::alert(Alert {
        id: "server_down:app-04".into(),
        kind: AlertKind::ServerDown,
        severity: AlertSeverity::Critical,
        target: "app-04".into(),
        message: "app server app-04 behind sw-2 is down".into(),
        opened_at: t(30),
        resolved_at: None,
        acknowledged: None,
        silenced: None,
        runbook: None,
    });
    let _ = reader.key(key("G"), &ctx);
    assert_eq!(reader.scroll, 7, "one line + 6 rows");
    let out = reader.key(key("x"), &ctx);
    assert_eq!(next(&out), "close");
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
