//! `?`: the keys of the screen in front of you, built from the live keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::centered;
use super::text::cell;
use crate::tui::keymap::{Action, Context};
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::Model;
use crate::tui::overlay::Help;
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme, help: &Help) {
    let key_width = 22;
    let context = help.context;
    let mut lines: Vec<Line> = model
        .keymap
        .entries(context)
        .into_iter()
        .map(|(action, keys)| {
            let names: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            Line::from(vec![
                Span::styled(cell(&names.join(", "), key_width), theme.ui(UiStyle::Key)),
                Span::styled(action.describe(), theme.ui(UiStyle::Text)),
            ])
        })
        .collect();
    let unbound: Vec<&str> = Action::ALL
        .iter()
        .filter(|a| **a != Action::Unbound && a.contexts().contains(&context))
        .filter(|a| model.keymap.keys_for(context, **a).is_empty())
        .map(|a| a.name())
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
            "theme {} · these keys are set in config.toml {}",
            sanitize(&model.settings.theme_name),
            match context {
                Context::Global | Context::List => "[keys]".to_string(),
                other => format!("[keys.{}]", other.name()),
            }
        ),
        theme.ui(UiStyle::Muted),
    )));
    let rect = centered(area, 104, lines.len() as u16 + 2);
    let visible = usize::from(rect.height.saturating_sub(2));
    let scroll = help.scroll.min(lines.len().saturating_sub(visible));
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(theme.ui(UiStyle::Focus))
        .title(Span::styled(
            format!(" Keys: {} — any other key closes ", context.name()),
            theme.ui(UiStyle::Focus),
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        rect,
    );
}
