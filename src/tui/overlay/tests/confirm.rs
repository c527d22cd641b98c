//! The yes/no question: yes runs what it guards and says so, no gives back
//! what it was asked over, and its keys come from the keymap.

use super::fixtures::{World, entry, key, next, note, now, overlay_name, replacement};
use crate::client::{JournalWrite, WriteOp};
use crate::tui::component::Change;
use crate::tui::msg::Effect;
use crate::tui::overlay::{Confirm, OnYes, Overlay, Reader};

fn deletion() -> JournalWrite {
    JournalWrite {
        id: "w-7".into(),
        incident_id: 2,
        made_at: now(),
        op: WriteOp::DeleteEntry {
            entry_id: 11,
            base_version: 1,
        },
    }
}

fn delete_question(under: Option<Overlay>) -> Confirm {
    Confirm {
        question: "Delete entry #11?".into(),
        then: OnYes::Journal(Box::new(deletion())),
        done: "entry #11 deleted".into(),
        under: under.map(Box::new),
    }
}

#[test]
fn yes_journals_the_write_and_closes_with_its_note() {
    let world = World::new();
    let ctx = world.ctx();
    for name in ["y", "Y"] {
        let mut confirm = delete_question(None);
        let out = confirm.key(key(name), &ctx);
        assert_eq!(next(&out), "close", "{name}");
        assert_eq!(out.effects, vec![Effect::Journal(Box::new(deletion()))]);
        assert_eq!(note(&out), Some(("entry #11 deleted", false)));
        assert!(out.changes.is_empty());
    }
}

#[test]
fn no_gives_back_the_overlay_underneath() {
    let world = World::new();
    let ctx = world.ctx();
    for name in ["n", "N", "esc", "q"] {
        let mut confirm = delete_question(Some(Overlay::Reader(Reader::entry(entry(11)))));
        let out = confirm.key(key(name), &ctx);
        assert!(out.effects.is_empty(), "{name} writes nothing");
        match replacement(out) {
            Overlay::Reader(reader) => assert_eq!(reader, Reader::entry(entry(11))),
            other => panic!("{name}: got {} back", overlay_name(&other)),
        }
    }
}

#[test]
fn no_over_the_panes_just_closes() {
    let world = World::new();
    let ctx = world.ctx();
    let mut confirm = delete_question(None);
    let out = confirm.key(key("n"), &ctx);
    assert_eq!(next(&out), "close");
    assert!(out.effects.is_empty() && out.changes.is_empty() && out.note.is_none());
}

#[test]
fn other_keys_leave_the_question_open() {
    let world = World::new();
    let ctx = world.ctx();
    let mut confirm = delete_question(None);
    for name in ["x", "enter", "j", "space"] {
        let out = confirm.key(key(name), &ctx);
        assert_eq!(next(&out), "keep", "{name}");
        assert!(out.effects.is_empty(), "{name}");
    }
}

#[test]
fn yes_to_quit_asks_the_root_to_quit() {
    let world = World::new();
    let ctx = world.ctx();
    let mut confirm = Confirm {
        question: "Quit and lose the draft?".into(),
        then: OnYes::Quit,
        done: "bye".into(),
        under: None,
    };
    let out = confirm.key(key("y"), &ctx);
    assert_eq!(next(&out), "close");
    assert_eq!(out.changes, vec![Change::Quit]);
    assert!(out.effects.is_empty());
}

#[test]
fn help_shows_over_the_question_and_gives_it_back() {
    let world = World::new();
    let ctx = world.ctx();
    let mut confirm = delete_question(None);
    let Overlay::Help(mut help) = replacement(confirm.key(key("?"), &ctx)) else {
        panic!("? opens help");
    };
    let back = replacement(help.key(key("x"), &ctx));
    assert_eq!(overlay_name(&back), "confirm");
}

#[test]
fn a_rebound_yes_key_works_and_the_hint_names_it() {
    let world = World::with_keys(&[(Some("confirm"), "x", "yes")]);
    let ctx = world.ctx();
    let mut confirm = delete_question(None);
    assert_eq!(confirm.hint(ctx.keymap), "x = yes, n = no");
    let out = confirm.key(key("x"), &ctx);
    assert_eq!(next(&out), "close");
    assert_eq!(out.effects, vec![Effect::Journal(Box::new(deletion()))]);
}

#[test]
fn an_unbound_yes_key_does_nothing() {
    let world = World::with_keys(&[
        (Some("confirm"), "x", "yes"),
        (Some("confirm"), "y", "unbound"),
    ]);
    let ctx = world.ctx();
    let mut confirm = delete_question(None);
    let out = confirm.key(key("y"), &ctx);
    assert_eq!(next(&out), "keep");
    assert!(out.effects.is_empty());
    assert_eq!(confirm.hint(ctx.keymap), "x = yes, n = no");
}
