//! A timeline entry or an alert in full: every line of the text, wrapped,
//! with both times, the author, edits and where it came from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use super::text::clock;
use crate::tui::keymap::{Action, Context};
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::Model;
use crate::tui::overlay::{Reader, Reading};
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme, reader: &Reader) {
    let label = theme.ui(UiStyle::Muted);
    let text = theme.ui(UiStyle::Text);
    let zone = model.settings.time_zone;
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), label),
            Span::styled(value, text),
        ])
    };
    let when = |t: chrono::DateTime<chrono::Utc>| {
        format!(
            "{} UTC · {} {}",
            clock(t, chrono_tz::UTC),
            clock(t, zone),
            zone.name()
        )
    };
    let (title, mut lines, body) = match &reader.reading {
        Reading::Entry(entry) => {
            let mut lines = vec![
                field(
                    "kind",
                    format!(
                        "{}{}{} · {} · from {}",
                        entry.kind.as_str(),
                        entry
                            .status
                            .map(|s| format!(" ({})", s.as_str()))
                            .unwrap_or_default(),
                        entry
                            .marker
                            .map(|m| format!(" [{}]", m.as_str()))
                            .unwrap_or_default(),
                        match entry.visibility {
                            crate::model::Visibility::Public => "public",
                            crate::model::Visibility::Internal => "internal",
                        },
                        entry.source.as_str()
                    ),
                ),
                field("author", sanitize(&entry.author).into_owned()),
                field("occurred", when(entry.occurred_at)),
                field("recorded", when(entry.recorded_at)),
            ];
            if let Some(edited) = entry.edited_at {
                let by = entry
                    .edited_by
                    .as_deref()
                    .map(|name| format!(" by {}", sanitize(name)))
                    .unwrap_or_default();
                lines.push(field(
                    "edited",
                    format!("{}{by} (version {})", when(edited), entry.version),
                ));
            }
            if entry.starred {
                lines.push(field("starred", "yes: it goes into the postmortem".into()));
            }
            (format!(" Entry #{} ", entry.id), lines, entry.body.as_str())
        }
    };
    lines.push(Line::default());
    lines.extend(
        body.lines()
            .map(|l| Line::from(Span::styled(sanitize(l).into_owned(), text))),
    );
    let rect = centered(area, 100, area.height.saturating_sub(4));
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(theme.ui(UiStyle::Focus))
        .title(Span::styled(title, theme.ui(UiStyle::Focus)))
        .title_bottom(Span::styled(
            format!(
                " {}/{} scroll · any other key closes ",
                model.keymap.hint(Context::List, Action::Down),
                model.keymap.hint(Context::List, Action::Up)
            ),
            theme.ui(UiStyle::Muted),
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(reader.scroll).unwrap_or(u16::MAX), 0)),
        rect,
    );
}
