//! `O`, the role form: Tab chooses the role (its holder filled in), ←/→
//! picks among the people in the room, typing names anyone, Enter hands
//! it off, an empty name leaves it vacant.

use super::fixtures::{FOLLOWED, World, chars, key, next, t};
use crate::model::{AccessRole, IncidentRole, IncidentRoles, Presence, RoleTerm};
use crate::tui::msg::Effect;
use crate::tui::overlay::RoleForm;

fn world() -> World {
    let mut world = World::new();
    world.data.roles = Some(IncidentRoles::from_terms(
        FOLLOWED,
        vec![RoleTerm {
            role: IncidentRole::Commander,
            holder: "ana".into(),
            from: t(0),
            until: None,
            assigned_by: "ana".into(),
        }],
    ));
    world.data.room.replace(
        [("c1", "ana", 1), ("c2", "ben", 2)]
            .into_iter()
            .map(|(id, name, at)| Presence {
                client_id: id.into(),
                name: name.into(),
                role: AccessRole::Responder,
                since: t(at),
                seen_at: t(at),
            })
            .collect(),
    );
    world
}

fn sent(effects: &[Effect]) -> Vec<(IncidentRole, Option<String>)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::ChangeRole {
                incident_id,
                role,
                holder,
            } if *incident_id == FOLLOWED => Some((*role, holder.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn it_opens_on_the_commander_with_its_holder_and_tab_moves_to_the_next_role() {
    let world = world();
    let ctx = world.ctx();
    let mut form = RoleForm::open(FOLLOWED, &ctx);
    assert_eq!(
        (form.role(), form.holder.as_str()),
        (IncidentRole::Commander, "ana")
    );
    let out = form.key(key("tab"), &ctx);
    assert_eq!(next(&out), "keep");
    assert_eq!(
        (form.role(), form.holder.as_str()),
        (IncidentRole::Communications, ""),
        "a vacant role"
    );
    let _ = form.key(key("shift-tab"), &ctx);
    let _ = form.key(key("shift-tab"), &ctx);
    assert_eq!(form.role(), IncidentRole::Scribe);
}

#[test]
fn arrows_pick_people_in_the_room_and_enter_hands_the_role_off() {
    let world = world();
    let ctx = world.ctx();
    let mut form = RoleForm::open(FOLLOWED, &ctx);
    let _ = form.key(key("right"), &ctx);
    assert_eq!(form.holder, "ana");
    let _ = form.key(key("right"), &ctx);
    assert_eq!(form.holder, "ben");
    let out = form.key(key("enter"), &ctx);
    assert_eq!(next(&out), "close");
    assert_eq!(
        sent(&out.effects),
        [(IncidentRole::Commander, Some("ben".to_string()))]
    );
}

#[test]
fn a_typed_name_is_sent_and_an_empty_one_leaves_the_role_vacant() {
    let world = world();
    let ctx = world.ctx();
    let mut form = RoleForm::open(FOLLOWED, &ctx);
    let _ = form.key(key("tab"), &ctx);
    // Letters type, even those bound to form actions elsewhere (h, l, space).
    for chord in chars("Dana hl") {
        let _ = form.key(chord, &ctx);
    }
    let _ = form.key(key("backspace"), &ctx);
    assert_eq!(form.holder, "Dana h");
    let out = form.key(key("enter"), &ctx);
    assert_eq!(
        sent(&out.effects),
        [(IncidentRole::Communications, Some("Dana h".to_string()))]
    );
    let mut form = RoleForm::open(FOLLOWED, &ctx);
    let _ = form.key(key("ctrl-u"), &ctx);
    let out = form.key(key("enter"), &ctx);
    assert_eq!(sent(&out.effects), [(IncidentRole::Commander, None)]);
    let mut form = RoleForm::open(FOLLOWED, &ctx);
    let out = form.key(key("esc"), &ctx);
    assert_eq!(next(&out), "close");
    assert!(sent(&out.effects).is_empty());
}
