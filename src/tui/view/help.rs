//! `?`: every action with its keys, built from the live keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::centered;
use super::text::cell;
use crate::tui::sanitize::sanitize;
use crate::tui::state::Model;
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme, scroll: usize) {
    let key_width = 22;
    let mut lines: Vec<Line> = model
        .keymap
        .entries()
        .filter(|(_, keys)| !keys.is_empty())
        .map(|(action, keys)| {
            let names: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            Line::from(vec![
                Span::styled(cell(&names.join(", "), key_width), theme.ui(UiStyle::Key)),
                Span::styled(action.describe(), theme.ui(UiStyle::Text)),
            ])
        })
        .collect();
    let unbound: Vec<&str> = model
        .keymap
        .entries()
        .filter(|(_, keys)| keys.is_empty())
        .map(|(action, _)| action.name())
        .collect();
    if !unbound.is_empty() {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            format!("no key (use the palette): {}", unbound.join(", ")),
            theme.ui(UiStyle::Muted),
        )));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        format!(
            "theme {} · keys are set in config.toml [keys]",
            sanitize(&model.settings.theme_name)
        ),
        theme.ui(UiStyle::Muted),
    )));
    let rect = centered(area, 104, lines.len() as u16 + 2);
    let visible = usize::from(rect.height.saturating_sub(2));
    let scroll = scroll.min(lines.len().saturating_sub(visible));
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(theme.ui(UiStyle::Focus))
        .title(Span::styled(
            " Keys — any other key closes ",
            theme.ui(UiStyle::Focus),
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        rect,
    );
}
