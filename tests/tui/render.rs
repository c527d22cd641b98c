//! The console's screens, drawn into ratatui's TestBackend from fixed
//! models (fixed clock, demo fleet) and compared with insta snapshots.
//! Snapshots carry no colour; the theme mapping has its own unit tests.

use crate::support::console::*;
use crate::support::demo_model::*;
use chrono::TimeDelta;
use crossterm::event::KeyCode;
use warroom::client::StreamItem;
use warroom::model::HealthState;
use warroom::tui::{Loaded, Msg, Theme};

fn snapshot(model: &warroom::tui::Model, width: u16, height: u16) -> String {
    screen_text(&render(model, &Theme::default(), width, height))
}

#[test]
fn main_screen_80x24() {
    let model = demo_model(80, 24);
    let screen = snapshot(&model, 80, 24);
    insta::assert_snapshot!("main_80x24", screen);
}

#[test]
fn main_screen_200x60() {
    let model = demo_model(200, 60);
    let screen = snapshot(&model, 200, 60);
    insta::assert_snapshot!("main_200x60", screen);
}

#[test]
fn main_screen_120x40_shows_the_incident_essentials() {
    let model = demo_model(120, 40);
    let screen = snapshot(&model, 120, 40);
    for expected in [
        "DEMO · SIMULATED",
        "switch-2017",
        "SEV1",
        "Sites unreachable behind sw-2",
        "identified · 37m",
        "UTC 23:52",
        "Los Angeles 16:52 PDT",
        "sim UTC 23:52",
        "⚠ sw-2 SUSPECT",
        "✖ app-04",
        "↯ app-05",
        "16 down",
        "health grid",
        "CRIT",
        "We are investigating",
    ] {
        assert!(
            screen.contains(expected),
            "missing {expected:?} in\n{screen}"
        );
    }
}

#[test]
fn a_moved_site_shows_where_it_came_from() {
    let mut model = demo_model(120, 40);
    send(&mut model, char_key('/'));
    for c in "on:fo-1".chars() {
        send(&mut model, char_key(c));
    }
    let screen = snapshot(&model, 120, 40);
    assert!(
        screen.contains("site-052") && screen.contains("fo-1←app-04"),
        "{screen}"
    );
}

#[test]
fn long_site_ids_never_run_into_the_name_and_80x24_keeps_the_server() {
    let mut model = demo_model(80, 24);
    let mut topology = model.data.fleet.topology.clone();
    topology.sites[0].id = "site-0000001126-with-a-long-id".into();
    topology.sites[0].name = "Aardvark Apothecary".into();
    send(
        &mut model,
        Msg::Loaded(Loaded::Topology(Box::new(topology))),
    );
    model.settle();
    let screen = snapshot(&model, 80, 24);
    let row = screen
        .lines()
        .find(|l| l.contains("Aardvark"))
        .unwrap_or_else(|| panic!("the long id is listed first by name:\n{screen}"));
    assert!(
        !row.contains("idAardvark") && !row.contains("…Aardvark"),
        "the id runs into the name: {row}"
    );
    assert!(row.contains("… "), "a cut id ends in … and a space: {row}");
    let header = screen
        .lines()
        .find(|l| l.contains("NAME"))
        .expect("the table header");
    assert!(
        header.contains("SERVER"),
        "80x24 keeps the server column: {header}"
    );
    assert!(row.contains("app-01"), "the site's server is shown: {row}");
}

#[test]
fn too_small_screen_says_so() {
    let model = demo_model(60, 20);
    let screen = snapshot(&model, 60, 20);
    assert!(screen.contains("Terminal too small"), "{screen}");
    insta::assert_snapshot!("too_small_60x20", screen);
}

#[test]
fn api_down_banner_80x24() {
    let mut model = demo_model(80, 24);
    send(
        &mut model,
        Msg::Stream(StreamItem::Disconnected {
            error: "cannot reach http://127.0.0.1:7700".into(),
            retry_in: std::time::Duration::from_secs(8),
        }),
    );
    send(&mut model, Msg::Tick(fixed_now() + TimeDelta::seconds(42)));
    let screen = snapshot(&model, 80, 24);
    assert!(
        screen.contains("API UNREACHABLE — showing data from 42s ago"),
        "{screen}"
    );
    insta::assert_snapshot!("api_down_80x24", screen);
}

#[test]
fn stale_data_is_drawn_muted() {
    let theme = Theme::default();
    let mut model = demo_model(120, 40);
    let fresh = render(&model, &theme, 120, 40);
    send(&mut model, Msg::Tick(fixed_now() + TimeDelta::seconds(60)));
    let stale = render(&model, &theme, 120, 40);
    // The glyph of app-04 (down) in the servers pane: coloured when fresh, muted when stale.
    let find = |t: &ratatui::Terminal<ratatui::backend::TestBackend>| {
        let buffer = t.backend().buffer();
        (0..buffer.area.height)
            .find_map(|y| {
                let row: String = (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect();
                row.find("✖ app-04").map(|_| buffer[(1u16, y)].style())
            })
            .expect("app-04 row")
    };
    assert_eq!(find(&fresh).fg, theme.health(HealthState::Down).fg);
    assert_eq!(find(&stale).fg, theme.ui(warroom::tui::UiStyle::Muted).fg);
}

#[test]
fn help_is_built_from_the_live_keymap() {
    let mut model = demo_model(120, 40);
    send(&mut model, char_key('?'));
    let screen = snapshot(&model, 120, 40);
    assert!(
        screen.contains("Keys: global — any other key closes"),
        "{screen}"
    );
    assert!(
        screen.contains("q, ctrl-c") && screen.contains("Quit the console"),
        "{screen}"
    );
    assert!(
        screen.contains("shift-tab") && screen.contains("Focus the previous pane."),
        "{screen}"
    );
}

#[test]
fn filter_prompt_and_palette_show() {
    let mut model = demo_model(120, 40);
    send(&mut model, char_key('/'));
    send(&mut model, char_key('x'));
    let screen = snapshot(&model, 120, 40);
    assert!(screen.contains("Filter sites: x▏"), "{screen}");
    send(&mut model, key(KeyCode::Esc));
    send(&mut model, char_key(':'));
    let screen = snapshot(&model, 120, 40);
    assert!(
        screen.contains("Command palette") && screen.contains("toggle_mouse"),
        "{screen}"
    );
}

#[test]
fn hostile_names_show_their_escapes() {
    let mut model = demo_model(200, 60);
    let mut topology = demo_topology(20);
    let hostile = topology
        .sites
        .iter_mut()
        .find(|s| s.id == "site-036")
        .expect("site");
    hostile.name = "ESC\x1b[2J\x1b]0;pwned\x07\u{9b}31m".into();
    send(
        &mut model,
        Msg::Loaded(Loaded::Topology(Box::new(topology))),
    );
    model.settle();
    let terminal = render(&model, &Theme::default(), 200, 60);
    let screen = screen_text(&terminal);
    assert!(
        screen.contains("ESC\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m"),
        "{screen}"
    );
    let buffer = terminal.backend().buffer();
    assert!(
        buffer
            .content
            .iter()
            .all(|cell| !cell.symbol().chars().any(char::is_control))
    );
}

#[test]
fn every_size_from_80x24_to_300x100_draws() {
    for (width, height) in [
        (80, 24),
        (100, 30),
        (159, 45),
        (160, 45),
        (240, 70),
        (300, 100),
    ] {
        let model = demo_model(width, height);
        let screen = snapshot(&model, width, height);
        assert!(screen.contains("app-01"), "{width}x{height}:\n{screen}");
        assert!(screen.contains("sw-2"), "{width}x{height}:\n{screen}");
        assert!(screen.contains("q quit"), "{width}x{height}:\n{screen}");
    }
}
