//! The alerts pane: open derived alerts, most severe and newest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::layout::inner;
use super::text::clock;
use super::{draw_rows, pane_block, row_style};
use crate::model::AlertSeverity;
use crate::tui::sanitize::sanitize;
use crate::tui::state::{Model, Pane};
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let open = &model.alerts.open;
    let critical = model.alerts.count(AlertSeverity::Critical);
    let mut title = vec![Span::styled(
        format!("{} ", open.len()),
        theme.ui(UiStyle::Muted),
    )];
    if critical > 0 {
        title.push(Span::styled(
            format!("{critical} critical "),
            theme.alert(AlertSeverity::Critical),
        ));
    }
    if !model.ui.notify {
        title.push(Span::styled("· bell off ", theme.ui(UiStyle::Muted)));
    }
    frame.render_widget(pane_block(Pane::Alerts, title, model, theme), area);
    let rows = inner(area);
    if open.is_empty() {
        let text = if model.alerts.primed {
            "no open alerts"
        } else {
            "loading…"
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.ui(UiStyle::Muted))),
            rows,
        );
        return;
    }
    let height = usize::from(rows.height);
    let first = model.ui.alerts.window(open.len(), height);
    let stale = model.is_stale();
    let zone = model.settings.time_zone;
    let lines: Vec<Line> = open[first..(first + height).min(open.len())]
        .iter()
        .enumerate()
        .map(|(i, alert)| {
            let label = match alert.severity {
                AlertSeverity::Critical => "CRIT",
                AlertSeverity::Warning => "WARN",
                AlertSeverity::Info => "INFO",
            };
            let style = theme.data(theme.alert(alert.severity), stale);
            Line::from(vec![
                Span::styled(label, style),
                Span::styled(
                    format!(" {} ", clock(alert.opened_at, zone)),
                    theme.ui(UiStyle::Muted),
                ),
                Span::styled(
                    sanitize(&alert.message).into_owned(),
                    theme.data(theme.ui(UiStyle::Text), stale),
                ),
            ])
            .patch_style(row_style(
                model,
                Pane::Alerts,
                first + i == model.ui.alerts.selected,
                theme,
            ))
        })
        .collect();
    draw_rows(frame.buffer_mut(), rows, &lines);
}
