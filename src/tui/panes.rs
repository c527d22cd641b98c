//! The panes: focus, selection and scrolling, the sites filter, and the
//! mouse. Part of the root; no I/O.

use crossterm::event::{KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::keymap::{Action, Context};
use super::keys::{Key, KeyChord};
use super::list::ScrollList;
use super::model::{Model, Pane};
use super::view::layout;

/// Rows the mouse wheel moves.
const WHEEL_STEP: isize = 3;

/// A list move on the focused pane.
pub(super) fn navigate(model: &mut Model, action: Action) {
    let focus = model.ui.focus;
    let how = match action {
        Action::Down => Move::By(1),
        Action::Up => Move::By(-1),
        Action::PageDown => Move::Page(1),
        Action::PageUp => Move::Page(-1),
        Action::Top => Move::Top,
        Action::Bottom => Move::Bottom,
        _ => return,
    };
    move_selection(model, focus, how);
}

/// The ids of the servers whose rows are on screen in the servers pane.
pub(super) fn visible_servers(model: &Model) -> Vec<String> {
    let rows = &model.data.fleet.server_rows;
    let height = list_height(model, Pane::Servers);
    let first = model.ui.servers.window(rows.len(), height);
    rows.iter()
        .skip(first)
        .take(height)
        .filter_map(|row| match row {
            super::data::ServerRow::Server(i) => model.data.fleet.topology.servers.get(*i),
            super::data::ServerRow::Switch(_) => None,
        })
        .map(|server| server.id.clone())
        .collect()
}

/// The timeline follows its newest entry (called when the selection was on
/// the last row as an entry arrived, or when a timeline loads).
pub(super) fn follow_newest_entry(model: &mut Model) {
    move_selection(model, Pane::Timeline, Move::Bottom);
}

pub(super) fn filter_key(model: &mut Model, chord: KeyChord, event: &KeyEvent) {
    model.mark_dirty();
    let mut text = model.sites.filter().to_string();
    // The filter is a form's text field: its keep and clear keys are the
    // form context's submit and cancel.
    match model.keymap.action_typing(Context::Form, &chord) {
        Some(Action::Submit) => {
            model.sites.editing = false;
            return;
        }
        Some(Action::Cancel) => {
            model.sites.editing = false;
            model.sites.set_filter(String::new());
            return;
        }
        _ => {}
    }
    match chord.key {
        Key::Backspace if event.modifiers.contains(KeyModifiers::CONTROL) || chord.alt => {
            // Delete the last word.
            let trimmed = text.trim_end().len();
            text.truncate(text[..trimmed].rfind(' ').map_or(0, |i| i + 1));
        }
        Key::Backspace => {
            text.pop();
        }
        Key::Char('u') if chord.ctrl => text.clear(),
        Key::Char('c') if chord.ctrl => {
            model.sites.editing = false;
            text.clear();
        }
        Key::Char(c) if !chord.ctrl && !chord.alt => text.push(c),
        Key::Down => return move_selection(model, Pane::Sites, Move::By(1)),
        Key::Up => return move_selection(model, Pane::Sites, Move::By(-1)),
        _ => return,
    }
    if text != model.sites.filter() {
        model.sites.set_filter(text);
    }
}

enum Move {
    By(isize),
    Page(isize),
    Top,
    Bottom,
}

fn move_selection(model: &mut Model, pane: Pane, how: Move) {
    if pane == Pane::Sites {
        model.settle();
    }
    let len = model.pane_len(pane);
    let height = list_height(model, pane);
    let list = list_mut(model, pane);
    match how {
        Move::By(delta) => list.move_by(delta, len),
        Move::Page(pages) => list.move_by(pages * height.max(1) as isize, len),
        Move::Top => list.top(),
        Move::Bottom => list.bottom(len),
    }
    list.fit(len, height);
}

fn list_mut(model: &mut Model, pane: Pane) -> &mut ScrollList {
    match pane {
        Pane::Servers => &mut model.ui.servers,
        Pane::Sites => &mut model.sites.list,
        Pane::Alerts => &mut model.ui.alerts,
        Pane::Timeline => &mut model.ui.timeline,
    }
}

fn list_height(model: &Model, pane: Pane) -> usize {
    let screen = layout::for_model(model);
    usize::from(layout::list_area(model, &screen, pane).height)
}

/// Keep every list's selection and scroll inside its data and its pane.
pub(super) fn fit_lists(model: &mut Model) {
    for pane in Pane::ALL {
        let len = model.pane_len(pane);
        let height = list_height(model, pane);
        list_mut(model, pane).fit(len, height);
    }
}

pub(super) fn mouse(model: &mut Model, event: MouseEvent) {
    if !model.ui.mouse || model.too_small() || !model.ui.overlay.is_none() {
        return;
    }
    let screen = layout::for_model(model);
    let Some(pane) = screen.pane_at(event.column, event.row) else {
        return;
    };
    match event.kind {
        MouseEventKind::ScrollDown => move_selection(model, pane, Move::By(WHEEL_STEP)),
        MouseEventKind::ScrollUp => move_selection(model, pane, Move::By(-WHEEL_STEP)),
        MouseEventKind::Down(MouseButton::Left) => {
            model.ui.focus = pane;
            let area = layout::list_area(model, &screen, pane);
            if area.contains(ratatui::layout::Position {
                x: event.column,
                y: event.row,
            }) {
                let len = model.pane_len(pane);
                let height = usize::from(area.height);
                let list = list_mut(model, pane);
                let first = list.window(len, height);
                let row = first + usize::from(event.row - area.y);
                if row < len {
                    list.selected = row;
                    list.fit(len, height);
                }
            }
            model.mark_dirty();
        }
        _ => {}
    }
}
