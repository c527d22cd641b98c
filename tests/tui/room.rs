//! Who is in the room, in the header: each person once with their role,
//! kept current by `presence` events, names from the API escaped.

use chrono::TimeDelta;
use warroom::client::StreamItem;
use warroom::model::{AccessRole, Event, EventPayload, Presence, PresenceChange, PresenceEvent};
use warroom::tui::{Loaded, Msg, Theme};

use crate::support::console::*;
use crate::support::demo_model::*;

fn console(id: &str, name: &str, role: AccessRole, minutes_ago: i64) -> Presence {
    let since = fixed_now() - TimeDelta::minutes(minutes_ago);
    Presence {
        client_id: id.into(),
        name: name.into(),
        role,
        since,
        seen_at: fixed_now(),
    }
}

fn header(model: &warroom::tui::Model, width: u16) -> String {
    let screen = screen_text(&render(model, &Theme::default(), width, 40));
    screen.lines().take(2).collect::<Vec<_>>().join("\n")
}

fn presence_event(seq: i64, change: PresenceChange, presence: Presence) -> Msg {
    Msg::Stream(StreamItem::Event(Box::new(Event {
        seq,
        at: fixed_now(),
        payload: EventPayload::Presence(PresenceEvent { change, presence }),
    })))
}

#[test]
fn the_header_lists_who_is_connected_and_follows_joins_and_leaves() {
    let mut model = demo_model(160, 40);
    assert!(!header(&model, 160).contains("here "), "nobody listed yet");
    send(
        &mut model,
        Msg::Loaded(Loaded::Presence(vec![
            console("a1", "ana", AccessRole::Commander, 30),
            console("b1", "ben", AccessRole::Responder, 20),
            console("a2", "ana", AccessRole::Commander, 10),
        ])),
    );
    let shown = header(&model, 160);
    assert!(
        shown.contains("here ana commander ×2, ben responder"),
        "each person once, in join order:\n{shown}"
    );
    let seq = model.data.link.last_seq.unwrap_or(0);
    send(
        &mut model,
        presence_event(
            seq + 1,
            PresenceChange::Joined,
            console("c1", "cleo\u{1b}[31m", AccessRole::Viewer, 0),
        ),
    );
    let shown = header(&model, 160);
    assert!(
        shown.contains("cleo\\x1b[31m viewer"),
        "the newcomer, escaped:\n{shown}"
    );
    assert!(!shown.contains('\u{1b}'));
    send(
        &mut model,
        presence_event(
            seq + 2,
            PresenceChange::Left,
            console("b1", "ben", AccessRole::Responder, 20),
        ),
    );
    let shown = header(&model, 160);
    assert!(!shown.contains("ben"), "ben left:\n{shown}");
    assert!(shown.contains("here ana commander ×2, cleo"), "{shown}");
}

#[test]
fn a_narrow_header_shortens_roles_and_counts_the_rest() {
    let mut model = demo_model(100, 40);
    send(
        &mut model,
        Msg::Loaded(Loaded::Presence(vec![
            console("a", "ana", AccessRole::Commander, 3),
            console("b", "ben", AccessRole::Responder, 2),
            console("c", "cleo", AccessRole::Viewer, 1),
        ])),
    );
    let shown = header(&model, 100);
    assert!(
        shown.contains("here ana cmd, ben resp +1"),
        "short roles, the rest counted:\n{shown}"
    );
}
