//! The incident switcher: moves over open then resolved incidents, Enter
//! follows the chosen one, Esc closes.

use super::fixtures::{FOLLOWED, OLDER, RESOLVED, World, key, next, note};
use crate::tui::component::Change;
use crate::tui::overlay::{Switcher, switcher_rows};

#[test]
fn it_opens_on_the_followed_incident_open_ones_first() {
    let mut world = World::new();
    let ids: Vec<i64> = switcher_rows(&world.data.incidents)
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, vec![FOLLOWED, OLDER, RESOLVED]);
    assert_eq!(Switcher::open(&world.data.incidents).selected, 0);
    world.data.incidents.select(Some(RESOLVED));
    assert_eq!(Switcher::open(&world.data.incidents).selected, 2);
}

#[test]
fn keys_move_within_the_list() {
    let world = World::new();
    let ctx = world.ctx();
    let mut switcher = Switcher::open(&world.data.incidents);
    for (name, selected) in [
        ("j", 1),
        ("down", 2),
        ("tab", 2),
        ("k", 1),
        ("shift-tab", 0),
        ("up", 0),
        ("tab", 1),
    ] {
        let out = switcher.key(key(name), &ctx);
        assert_eq!(next(&out), "keep", "{name}");
        assert_eq!(switcher.selected, selected, "after {name}");
    }
}

#[test]
fn enter_on_the_newest_open_incident_follows_whatever_is_newest() {
    let world = World::new();
    let ctx = world.ctx();
    let mut switcher = Switcher::open(&world.data.incidents);
    let out = switcher.key(key("enter"), &ctx);
    assert_eq!(next(&out), "close");
    assert_eq!(out.changes, vec![Change::FollowIncident(None)]);
    assert_eq!(note(&out), Some(("following incident #2", false)));
}

#[test]
fn enter_on_another_incident_follows_it() {
    let world = World::new();
    let ctx = world.ctx();
    for (downs, id) in [(1, OLDER), (2, RESOLVED)] {
        let mut switcher = Switcher::open(&world.data.incidents);
        for _ in 0..downs {
            let _ = switcher.key(key("j"), &ctx);
        }
        let out = switcher.key(key("enter"), &ctx);
        assert_eq!(next(&out), "close");
        assert_eq!(out.changes, vec![Change::FollowIncident(Some(id))]);
        assert_eq!(
            note(&out),
            Some((format!("following incident #{id}").as_str(), false))
        );
    }
}

#[test]
fn esc_closes_without_following() {
    let world = World::new();
    let ctx = world.ctx();
    let mut switcher = Switcher::open(&world.data.incidents);
    let _ = switcher.key(key("j"), &ctx);
    let out = switcher.key(key("esc"), &ctx);
    assert_eq!(next(&out), "close");
    assert!(out.changes.is_empty());
}

#[test]
fn enter_with_no_incidents_only_closes() {
    let mut world = World::new();
    world.data.incidents.replace(Vec::new());
    let ctx = world.ctx();
    let mut switcher = Switcher::open(&world.data.incidents);
    let _ = switcher.key(key("j"), &ctx);
    assert_eq!(switcher.selected, 0);
    let out = switcher.key(key("enter"), &ctx);
    assert_eq!(next(&out), "close");
    assert!(out.changes.is_empty());
}
