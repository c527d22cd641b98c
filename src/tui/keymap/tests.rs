use super::*;

fn over(pairs: &[(Option<&str>, &str, &str)]) -> Vec<Override> {
    pairs
        .iter()
        .map(|(c, k, a)| Override::new(*c, k, a))
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
    assert_eq!(
        keymap.action(Context::Global, &KeyChord::char('q')),
        Some(Action::Quit)
    );
    assert_eq!(
        keymap.action(Context::Global, &KeyChord::plain(Key::BackTab)),
        Some(Action::PrevPane)
    );
    assert_eq!(
        keymap.action(Context::Global, &KeyChord::char('G')),
        Some(Action::Bottom)
    );
    assert_eq!(
        keymap.keys_for(Context::Global, Action::Down)[0],
        KeyChord::char('j')
    );
    assert_eq!(
        keymap.action(Context::Modal, &KeyChord::plain(Key::Enter)),
        Some(Action::Execute)
    );
    assert_eq!(
        keymap.action(Context::Modal, &KeyChord::char('j')),
        Some(Action::Down),
        "the modal scrolls with the list's keys"
    );
}

#[test]
fn every_default_is_bound_in_a_context_it_works_in() {
    for (context, chord, action) in DEFAULTS {
        assert!(
            action.contexts().contains(context),
            "{chord} -> {} in {}",
            action.name(),
            context.name()
        );
    }
}

#[test]
fn no_context_binds_one_key_twice_by_default() {
    let mut seen = std::collections::HashSet::new();
    for (context, chord, _) in DEFAULTS {
        assert!(
            seen.insert((context, chord)),
            "{chord} twice in {}",
            context.name()
        );
    }
}

#[test]
fn overrides_add_and_replace_bindings() {
    let keymap = Keymap::with_overrides(&over(&[
        (None, "ctrl-r", "refresh"),
        (None, "j", "top"),
        (None, "m", "unbound"),
    ]))
    .expect("valid");
    let g = Context::Global;
    assert_eq!(
        keymap.action(g, &KeyChord::ctrl('r')),
        Some(Action::Refresh)
    );
    assert_eq!(
        keymap.action(g, &KeyChord::char('r')),
        Some(Action::Refresh)
    );
    assert_eq!(keymap.action(g, &KeyChord::char('j')), Some(Action::Top));
    assert_eq!(keymap.action(g, &KeyChord::char('m')), None);
    assert!(
        !keymap
            .keys_for(g, Action::Down)
            .contains(&KeyChord::char('j'))
    );
}

#[test]
fn a_modal_key_is_rebound_in_its_own_table() {
    let keymap = Keymap::with_overrides(&over(&[(Some("modal"), "y", "execute")])).expect("valid");
    assert_eq!(
        keymap.action(Context::Modal, &KeyChord::char('y')),
        Some(Action::Execute)
    );
    assert_eq!(keymap.hint(Context::Modal, Action::Execute), "y");
    assert_eq!(
        keymap.action(Context::Global, &KeyChord::char('y')),
        None,
        "the panes are untouched"
    );
}

#[test]
fn an_action_outside_its_context_is_refused() {
    let err = Keymap::with_overrides(&over(&[(Some("confirm"), "x", "execute")]))
        .expect_err("execute is a modal action");
    let text = err.to_string();
    assert!(text.contains("keys.confirm.\"x\""), "{text}");
    assert!(text.contains("yes, no"), "{text}");
    let err = Keymap::with_overrides(&over(&[(Some("modl"), "x", "execute")]))
        .expect_err("no such context");
    assert!(err.to_string().contains("keys.modl"), "{err}");
}

#[test]
fn a_clash_names_both_spellings_of_the_key() {
    let err = Keymap::with_overrides(&over(&[
        (None, "shift-tab", "next_pane"),
        (None, "backtab", "quit"),
    ]))
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
fn the_same_key_in_two_contexts_is_no_clash() {
    Keymap::with_overrides(&over(&[
        (Some("modal"), "x", "execute"),
        (Some("confirm"), "x", "yes"),
    ]))
    .expect("one key per context");
}

#[test]
fn unknown_names_are_refused_with_the_key() {
    let err =
        Keymap::with_overrides(&over(&[(None, "ctrl-r", "refesh")])).expect_err("unknown action");
    assert!(
        err.to_string()
            .contains("keys.\"ctrl-r\": unknown action 'refesh'"),
        "{err}"
    );
    let err = Keymap::with_overrides(&over(&[(None, "hyper-x", "quit")])).expect_err("unknown key");
    assert!(
        err.to_string().contains("'hyper-x' is not a key name"),
        "{err}"
    );
}

#[test]
fn essential_actions_cannot_be_left_without_a_key() {
    let err = Keymap::with_overrides(&over(&[
        (None, "q", "unbound"),
        (None, "ctrl-c", "unbound"),
    ]))
    .expect_err("no quit");
    assert_eq!(
        err,
        KeymapError::Unreachable {
            table: "keys".into(),
            action: "quit"
        }
    );
    let err = Keymap::with_overrides(&over(&[(Some("modal"), "esc", "unbound")]))
        .expect_err("no way out of the modal");
    assert!(err.to_string().contains("keys.modal"), "{err}");
}

#[test]
fn typing_contexts_let_characters_through() {
    let keymap = Keymap::default();
    assert_eq!(
        keymap.action_typing(Context::Editor, &KeyChord::char('l')),
        None
    );
    assert_eq!(
        keymap.action_typing(Context::Editor, &KeyChord::ctrl('s')),
        Some(Action::Save)
    );
}
