//! Keys and mouse: what a key press or click does to the model. Part of
//! `update`; no I/O.

use crossterm::event::{
    KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use super::keymap::Action;
use super::keys::{Key, KeyChord};
use super::msg::Effect;
use super::palette;
use super::state::{LinkState, Model, Overlay, PaletteState, Pane, ScrollList};
use super::update::fetch_all;
use super::view::layout;
use super::{actions, compose, forms};
use crate::model::PlanKind;

/// Rows the mouse wheel moves.
const WHEEL_STEP: isize = 3;

pub(super) fn key(model: &mut Model, event: KeyEvent, effects: &mut Vec<Effect>) {
    if event.kind == KeyEventKind::Release {
        return;
    }
    let Some(chord) = KeyChord::from_event(&event) else {
        return;
    };
    if model.too_small() {
        // Only quitting makes sense on a screen too small to show anything.
        if model.keymap.action(&chord) == Some(Action::Quit) {
            model.quit = true;
        }
        return;
    }
    match &model.ui.overlay {
        Overlay::Palette(_) => return palette_key(model, chord, effects),
        Overlay::Help { .. } => return help_key(model, chord),
        Overlay::Compose(_) => return compose::key(model, chord, event, effects),
        Overlay::IncidentForm(_) => return forms::incident_form_key(model, chord, event, effects),
        Overlay::Switcher(_) => return forms::switcher_key(model, chord, effects),
        Overlay::Confirm(_) => return forms::confirm_key(model, chord, effects),
        Overlay::Conflict(_) => return forms::conflict_key(model, chord, effects),
        Overlay::Plan(_) => return actions::key(model, chord, effects),
        Overlay::None => {}
    }
    if model.sites.editing {
        return filter_key(model, chord, &event);
    }
    if let Some(action) = model.keymap.action(&chord) {
        run(model, action, effects);
    }
}

/// Do what `action` says. Every action is reachable from a key and from the palette.
pub fn run(model: &mut Model, action: Action, effects: &mut Vec<Effect>) {
    model.mark_dirty();
    let focus = model.ui.focus;
    match action {
        Action::Quit => model.quit = true,
        Action::Help => model.ui.overlay = Overlay::Help { scroll: 0 },
        Action::Palette => {
            model.ui.overlay = Overlay::Palette(PaletteState {
                matches: palette::matches(""),
                ..PaletteState::default()
            })
        }
        Action::NextPane => model.ui.focus = focus.next(),
        Action::PrevPane => model.ui.focus = focus.prev(),
        Action::FocusServers => model.ui.focus = Pane::Servers,
        Action::FocusSites => model.ui.focus = Pane::Sites,
        Action::FocusAlerts => model.ui.focus = Pane::Alerts,
        Action::FocusTimeline => model.ui.focus = Pane::Timeline,
        Action::Down => move_selection(model, focus, Move::By(1)),
        Action::Up => move_selection(model, focus, Move::By(-1)),
        Action::PageDown => move_selection(model, focus, Move::Page(1)),
        Action::PageUp => move_selection(model, focus, Move::Page(-1)),
        Action::Top => move_selection(model, focus, Move::Top),
        Action::Bottom => move_selection(model, focus, Move::Bottom),
        Action::Filter => {
            model.ui.focus = Pane::Sites;
            model.sites.editing = true;
        }
        Action::Sort => {
            model.sites.cycle_sort();
            let label = model.sites.sort.label();
            model.toast(format!("sites sorted by {label}"), false);
        }
        Action::Close => {
            if !model.sites.filter().is_empty() {
                model.sites.set_filter(String::new());
            }
        }
        Action::Refresh => {
            model.force_snapshot = true;
            effects.extend(fetch_all(model));
            if model.link.state == LinkState::Down {
                effects.push(Effect::Subscribe {
                    since: model.link.last_seq,
                });
                model.toast("reconnecting now", false);
            } else {
                model.toast("refreshing", false);
            }
        }
        Action::ToggleMouse => {
            model.ui.mouse = !model.ui.mouse;
            effects.push(Effect::SetMouse(model.ui.mouse));
            let text = if model.ui.mouse {
                "mouse on (text selection needs shift)"
            } else {
                "mouse off: text is selectable"
            };
            model.toast(text, false);
        }
        Action::ToggleNotify => {
            model.ui.notify = !model.ui.notify;
            let text = if model.ui.notify {
                "notifications on"
            } else {
                "notifications off"
            };
            model.toast(text, false);
        }
        Action::ExportPostmortem => match model.incidents.current() {
            Some(incident) => {
                let incident_id = incident.id;
                effects.push(Effect::ExportPostmortem {
                    incident_id,
                    time_zone: model.settings.time_zone.name().to_string(),
                    dir: model.settings.export_dir.clone(),
                });
                model.toast(
                    format!("writing the postmortem of incident {incident_id}…"),
                    false,
                );
            }
            None => model.toast("no open incident to export", true),
        },
        Action::NewIncident => forms::open_new_incident(model),
        Action::EditIncident => forms::open_edit_incident(model),
        Action::SwitchIncident => forms::open_switcher(model),
        Action::Note => compose::open_new(model, compose::NewKind::Note),
        Action::StatusUpdate => compose::open_new(model, compose::NewKind::StatusUpdate),
        Action::Marker => compose::open_new(model, compose::NewKind::Marker),
        Action::EditEntry => compose::open_edit(model),
        Action::DeleteEntry => forms::confirm_delete(model),
        Action::Star => compose::toggle_star(model, effects),
        Action::ToggleVisibility => compose::toggle_visibility(model, effects),
        Action::Evacuate => actions::open(model, PlanKind::EvacuateServer, effects),
        Action::PromoteSpare => actions::open(model, PlanKind::PromoteSpare, effects),
        Action::CacheFailover => actions::open(model, PlanKind::CacheFailover, effects),
        Action::RecycleWeb => actions::open(model, PlanKind::RecycleWeb, effects),
        Action::DbFailover => actions::open(model, PlanKind::DbFailover, effects),
        Action::RestartSites => actions::open(model, PlanKind::RestartSites, effects),
        Action::Failback => actions::open(model, PlanKind::Failback, effects),
        Action::AbortAction => actions::abort(model, effects),
        Action::UndoAction => actions::undo(model, effects),
        Action::ShowAction => actions::show(model),
        Action::ToggleUpcoming => {
            model.show_upcoming = !model.show_upcoming;
            let text = match (model.show_upcoming, model.sim.is_some()) {
                (_, false) => "no simulator: there are no scripted faults to show",
                (true, true) => "upcoming faults shown",
                (false, true) => "upcoming faults hidden",
            };
            model.toast(text, false);
        }
        Action::Unbound => {}
    }
}

fn help_key(model: &mut Model, chord: KeyChord) {
    let Overlay::Help { scroll } = &mut model.ui.overlay else {
        return;
    };
    match model.keymap.action(&chord) {
        Some(Action::Down) => *scroll += 1,
        Some(Action::Up) => *scroll = scroll.saturating_sub(1),
        Some(Action::PageDown) => *scroll += 10,
        Some(Action::PageUp) => *scroll = scroll.saturating_sub(10),
        Some(Action::Top) => *scroll = 0,
        Some(Action::Quit) => model.quit = true,
        // Any other key closes help, so nobody is stuck in it.
        _ => model.ui.overlay = Overlay::None,
    }
    model.mark_dirty();
}

fn palette_key(model: &mut Model, chord: KeyChord, effects: &mut Vec<Effect>) {
    let Overlay::Palette(state) = &mut model.ui.overlay else {
        return;
    };
    model.dirty = true;
    match (chord.key, chord.ctrl || chord.alt) {
        (Key::Esc, _) => model.ui.overlay = Overlay::None,
        (Key::Enter, _) => {
            let chosen = state.matches.get(state.selected).copied();
            model.ui.overlay = Overlay::None;
            if let Some(action) = chosen {
                run(model, action, effects);
            }
        }
        (Key::Up, _) | (Key::BackTab, _) => state.selected = state.selected.saturating_sub(1),
        (Key::Char('p'), true) => state.selected = state.selected.saturating_sub(1),
        (Key::Down, _) | (Key::Tab, _) | (Key::Char('n'), true) => {
            state.selected = (state.selected + 1).min(state.matches.len().saturating_sub(1));
        }
        (Key::Backspace, _) => {
            state.query.pop();
            state.matches = palette::matches(&state.query);
            state.selected = 0;
        }
        (Key::Char(c), false) => {
            state.query.push(c);
            state.matches = palette::matches(&state.query);
            state.selected = 0;
        }
        _ => {}
    }
}

fn filter_key(model: &mut Model, chord: KeyChord, event: &KeyEvent) {
    model.mark_dirty();
    let mut text = model.sites.filter().to_string();
    match chord.key {
        Key::Esc => {
            model.sites.editing = false;
            text.clear();
        }
        Key::Enter => model.sites.editing = false,
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
