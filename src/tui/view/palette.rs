//! `:`: the command palette, a fuzzy list of every action.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::text::cell;
use crate::tui::keymap::Context;
use crate::tui::model::Model;
use crate::tui::overlay::Palette;
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme, state: &Palette) {
    let height = (state.matches.len() as u16 + 4)
        .min(area.height.saturating_sub(4))
        .max(5);
    let width = 80.min(area.width);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + 3.min(area.height.saturating_sub(height)),
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(": ", theme.ui(UiStyle::Prompt)),
            Span::styled(state.query.clone(), theme.ui(UiStyle::Prompt)),
            Span::styled("▏", theme.ui(UiStyle::Prompt)),
        ]),
        Line::default(),
    ];
    let visible = usize::from(height.saturating_sub(4));
    let first = state.selected.saturating_sub(visible.saturating_sub(1));
    for (i, action) in state.matches.iter().enumerate().skip(first).take(visible) {
        let keys = model.keymap.keys_for(Context::Global, *action);
        let key = keys.first().map(|k| k.to_string()).unwrap_or_default();
        let style = if i == state.selected {
            theme.ui(UiStyle::Selected)
        } else {
            theme.ui(UiStyle::Text)
        };
        lines.push(
            Line::from(vec![
                Span::styled(cell(action.name(), 16), theme.ui(UiStyle::Key)),
                Span::styled(
                    cell(action.describe(), usize::from(width).saturating_sub(30)),
                    theme.ui(UiStyle::Text),
                ),
                Span::styled(format!(" {key}"), theme.ui(UiStyle::Muted)),
            ])
            .patch_style(style),
        );
    }
    if state.matches.is_empty() {
        lines.push(Line::from(Span::styled(
            "no action matches",
            theme.ui(UiStyle::Muted),
        )));
    }
    let block = Block::bordered()
        .border_style(theme.ui(UiStyle::Focus))
        .title(Span::styled(
            " Command palette — enter runs, esc closes ",
            theme.ui(UiStyle::Focus),
        ));
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
