//! The alerts pane: open derived alerts, most severe and newest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::layout::inner;
use super::text::clock;
use super::{draw_rows, pane_block, row_style};
use crate::model::AlertSeverity;
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::{Model, Pane};
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let open = &model.data.alerts.open;
    let critical = model.data.alerts.count(AlertSeverity::Critical);
    let n = open.len();
    let mut title = vec![Span::styled(
        format!("{n} {} ", if n == 1 { "alert" } else { "alerts" }),
        theme.ui(UiStyle::Muted),
    )];
    if critical > 0 {
        title.push(Span::styled(
            format!("· {critical} critical "),
            theme.alert(AlertSeverity::Critical),
        ));
    }
    let silenced = model.data.alerts.silenced.len();
    if silenced > 0 {
        title.push(Span::styled(
            format!("· {silenced} silenced "),
            theme.ui(UiStyle::Muted),
        ));
    }
    if !model.ui.notify {
        title.push(Span::styled("· bell off ", theme.ui(UiStyle::Muted)));
    }
    frame.render_widget(pane_block(Pane::Alerts, title, model, theme), area);
    let mut rows = inner(area);
    if model.show_upcoming {
        rows = upcoming(frame, rows, model, theme);
    }
    if open.is_empty() {
        let text = if silenced > 0 {
            "every open alert is silenced"
        } else if model.data.alerts.primed {
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
            let under = model
                .data
                .alerts
                .under_switch
                .get(first + i)
                .copied()
                .unwrap_or(false);
            Line::from(vec![
                Span::styled(if under { "  └ " } else { "" }, theme.ui(UiStyle::Muted)),
                Span::styled(label, style),
                Span::styled(
                    format!(
                        " {}{} ",
                        clock(alert.opened_at, zone),
                        if alert.acknowledged.is_some() {
                            " ack"
                        } else {
                            ""
                        }
                    ),
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

/// The game-day view (`f`): the scenario's next faults at the bottom of
/// the pane, with how long until each. Returns the rows left for alerts.
fn upcoming(frame: &mut Frame, rows: Rect, model: &Model, theme: &Theme) -> Rect {
    let Some(sim) = &model.data.sim else {
        return rows;
    };
    let muted = theme.ui(UiStyle::Muted);
    let now = model.api_now();
    let steps = &sim.status.next_steps;
    let room = (rows.height / 2).max(2);
    let mut lines = vec![Line::from(Span::styled(
        match &sim.status.scenario {
            Some(name) => format!("─ upcoming in {} (f hides)", sanitize(name)),
            None => "─ upcoming (f hides)".to_string(),
        },
        theme.ui(UiStyle::Title),
    ))];
    if steps.is_empty() {
        lines.push(Line::from(Span::styled("nothing more is scripted", muted)));
    }
    for step in steps.iter().take(usize::from(room.saturating_sub(1))) {
        let what = step.fault.map_or("note", |f| f.as_str());
        let target = step.target.as_deref().unwrap_or("");
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:>5} ", sanitize(&step.offset)),
                theme.ui(UiStyle::Key),
            ),
            Span::styled(
                format!(
                    "in {} ",
                    super::text::minutes((step.due_at - now).max(chrono::TimeDelta::zero()))
                ),
                muted,
            ),
            Span::styled(
                format!("{what} {} ", sanitize(target)),
                theme.alert(AlertSeverity::Warning),
            ),
            Span::styled(sanitize(&step.description).into_owned(), muted),
        ]));
    }
    let height = (lines.len() as u16).min(rows.height);
    let area = Rect {
        y: rows.bottom() - height,
        height,
        ..rows
    };
    draw_rows(frame.buffer_mut(), area, &lines);
    Rect {
        height: rows.height - height,
        ..rows
    }
}
