//! Help (`?`): the list keys scroll it, any other key closes it, and over
//! another overlay it gives that overlay back instead of closing.

use super::fixtures::{World, key, next, overlay_name, replacement};
use crate::client::{JournalWrite, WriteOp};
use crate::tui::component::Change;
use crate::tui::keymap::{Action, Context};
use crate::tui::overlay::{Confirm, Help, OnYes, Overlay};

fn delete_question() -> Confirm {
    let write = JournalWrite {
        id: "w-1".into(),
        incident_id: 2,
        made_at: super::fixtures::now(),
        op: WriteOp::DeleteEntry {
            entry_id: 11,
            base_version: 1,
        },
    };
    Confirm {
        question: "Delete entry #11?".into(),
        then: OnYes::Journal(Box::new(write)),
        done: "entry #11 deleted".into(),
        under: None,
    }
}

#[test]
fn list_keys_scroll_and_stay_open() {
    let world = World::new();
    let ctx = world.ctx();
    let mut help = Help::new(Context::Global, None);
    for (name, scroll) in [
        ("j", 1),
        ("down", 2),
        ("ctrl-d", 12),
        ("pagedown", 22),
        ("k", 21),
        ("up", 20),
        ("ctrl-u", 10),
        ("pageup", 0),
        ("k", 0),
        ("j", 1),
        ("g", 0),
    ] {
        let out = help.key(key(name), &ctx);
        assert_eq!(next(&out), "keep", "{name}");
        assert!(out.changes.is_empty() && out.effects.is_empty(), "{name}");
        assert_eq!(help.scroll, scroll, "after {name}");
    }
}

#[test]
fn another_key_closes_global_help() {
    let world = World::new();
    let ctx = world.ctx();
    for name in ["x", "esc", "enter", "?", "tab"] {
        let mut help = Help::new(Context::Global, None);
        let out = help.key(key(name), &ctx);
        assert_eq!(next(&out), "close", "{name}");
        assert!(out.changes.is_empty(), "{name} only closes help");
    }
}

#[test]
fn quit_from_global_help_asks_the_root_to_quit() {
    let world = World::new();
    let ctx = world.ctx();
    for name in ["q", "ctrl-c"] {
        let mut help = Help::new(Context::Global, None);
        let out = help.key(key(name), &ctx);
        assert_eq!(next(&out), "close", "{name}");
        assert_eq!(out.changes, vec![Change::Run(Action::Quit)], "{name}");
    }
}

#[test]
fn closing_help_over_an_overlay_gives_that_overlay_back() {
    let world = World::new();
    let ctx = world.ctx();
    // `q` too: over an overlay it is not the panes' quit.
    for name in ["x", "esc", "q"] {
        let mut help = Help::new(Context::Confirm, Some(Overlay::Confirm(delete_question())));
        let out = help.key(key(name), &ctx);
        assert!(out.changes.is_empty(), "{name}");
        match replacement(out) {
            Overlay::Confirm(confirm) => assert_eq!(confirm.question, "Delete entry #11?"),
            other => panic!("{name}: got {} back", overlay_name(&other)),
        }
        assert!(
            help.under.is_none(),
            "the overlay was handed back, not copied"
        );
    }
}

#[test]
fn scrolling_help_over_an_overlay_keeps_it_underneath() {
    let world = World::new();
    let ctx = world.ctx();
    let mut help = Help::new(Context::Confirm, Some(Overlay::Confirm(delete_question())));
    let out = help.key(key("j"), &ctx);
    assert_eq!(next(&out), "keep");
    assert_eq!(help.scroll, 1);
    assert!(matches!(help.under.as_deref(), Some(Overlay::Confirm(_))));
}

#[test]
fn rebound_list_keys_scroll_help() {
    let world = World::with_keys(&[(None, "ctrl-n", "down")]);
    let ctx = world.ctx();
    let mut help = Help::new(Context::Global, None);
    let out = help.key(key("ctrl-n"), &ctx);
    assert_eq!(next(&out), "keep");
    assert_eq!(help.scroll, 1);
}
