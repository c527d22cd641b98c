//! The bottom line: key hints from the live keymap, and the latest message.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::keymap::{Action, Context};
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::Model;
use crate::tui::theme::{Theme, UiStyle};

const HINTS: [(Action, &str); 8] = [
    (Action::Help, "help"),
    (Action::Palette, "commands"),
    (Action::NextPane, "pane"),
    (Action::NewIncident, "incident"),
    (Action::Note, "note"),
    (Action::StatusUpdate, "update"),
    (Action::Quit, "quit"),
    (Action::Evacuate, "evacuate"),
];

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let key = theme.ui(UiStyle::Key);
    let muted = theme.ui(UiStyle::Muted);
    let mut spans = Vec::new();
    // Read-only (or a viewer's token): no hint for what would be refused.
    let writes = model.write_block().is_none();
    let acts = model.action_block().is_none();
    for (action, label) in HINTS {
        if model.keymap.keys_for(Context::Global, action).is_empty() {
            continue;
        }
        let allowed = match action {
            Action::NewIncident | Action::Note | Action::StatusUpdate => writes,
            Action::Evacuate => acts,
            _ => true,
        };
        if !allowed {
            continue;
        }
        spans.push(Span::styled(
            model.keymap.hint(Context::Global, action),
            key,
        ));
        let label = if action == Action::ToggleMouse {
            if model.ui.mouse {
                "mouse:on"
            } else {
                "mouse:off"
            }
        } else {
            label
        };
        spans.push(Span::styled(format!(" {label}  "), muted));
    }
    // A running action matters more than the key hints.
    let hints = super::actions::status_line(model, theme).unwrap_or_else(|| Line::from(spans));
    match &model.ui.toast {
        Some(toast) => {
            let style = if toast.error {
                theme.ui(UiStyle::Error)
            } else {
                theme.ui(UiStyle::Prompt)
            };
            let width = (toast.text.chars().count() as u16 + 2).min(area.width / 2);
            let [left, right] =
                Layout::horizontal([Constraint::Fill(1), Constraint::Length(width)]).areas(area);
            frame.render_widget(Paragraph::new(hints), left);
            frame.render_widget(
                Paragraph::new(Span::styled(sanitize(&toast.text).into_owned(), style))
                    .right_aligned(),
                right,
            );
        }
        None => frame.render_widget(Paragraph::new(hints), area),
    }
}
