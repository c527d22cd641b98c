//! What a terminal below the minimum size shows instead of the panes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::tui::model::{MIN_HEIGHT, MIN_WIDTH};
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, theme: &Theme, question: Option<&str>) {
    if let Some(question) = question {
        // Quitting with unsaved work asks, even here.
        let lines = vec![Line::from(Span::styled(
            crate::tui::logic::sanitize::sanitize(question).into_owned(),
            theme.ui(UiStyle::Prompt),
        ))];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
        return;
    }
    let lines = vec![
        Line::from(Span::styled("Terminal too small", theme.ui(UiStyle::Title))),
        Line::from(Span::styled(
            format!(
                "{}x{} — warroom needs at least {MIN_WIDTH}x{MIN_HEIGHT}.",
                area.width, area.height
            ),
            theme.ui(UiStyle::Text),
        )),
        Line::from(Span::styled(
            "Enlarge the window, or press q to quit.",
            theme.ui(UiStyle::Muted),
        )),
    ];
    let top = area.height.saturating_sub(3) / 2;
    let rect = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    frame.render_widget(
        Paragraph::new(lines).centered().wrap(Wrap { trim: true }),
        rect,
    );
}
