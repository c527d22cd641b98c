//! Drawing. Views only read the model and the theme; every string from the
//! API goes through `sanitize`; time comes from `model.now`, never the wall
//! clock. Per frame, work is bounded by what is visible (the health grid,
//! one pass over the sites, is the only exception).

mod actions;
mod advice;
mod alert_view;
mod alerts;
mod banner;
mod compose;
mod footer;
mod forms;
mod grid;
mod header;
mod help;
pub mod layout;
mod palette;
mod preview;
mod reader;
mod servers;
mod sites;
pub mod text;
mod timeline;
mod too_small;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};

use super::model::{Model, Pane};
use super::overlay::Overlay;
use super::theme::{Theme, UiStyle};

/// Draw the whole screen for `model`.
pub fn draw(frame: &mut Frame, model: &Model, theme: &Theme) {
    let area = frame.area();
    if area.width < super::model::MIN_WIDTH || area.height < super::model::MIN_HEIGHT {
        let question = match &model.ui.overlay {
            Overlay::Confirm(confirm) => Some(confirm.question.as_str()),
            _ => None,
        };
        too_small::draw(frame, area, theme, question);
        return;
    }
    let banner = model.banner();
    let screen = layout::screen(area, banner.is_some(), model.data.advice.shown.is_some());
    header::draw(frame, screen.header, model, theme);
    if let (Some(rect), Some(banner)) = (screen.banner, banner) {
        banner::draw(frame, rect, &banner, model, theme);
    }
    servers::draw(frame, screen.servers, model, theme);
    sites::draw(frame, screen.sites, model, theme);
    grid::draw(frame, screen.sites, model, theme);
    alerts::draw(frame, screen.alerts, model, theme);
    timeline::draw(frame, screen.timeline, model, theme);
    if let Some(rect) = screen.advice {
        advice::draw(frame, rect, model, theme);
    }
    footer::draw(frame, screen.footer, model, theme);
    draw_overlay(frame, area, model, theme, &model.ui.overlay);
}

fn draw_overlay(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme, overlay: &Overlay) {
    match overlay {
        Overlay::None => {}
        Overlay::Help(help) => {
            if let Some(under) = &help.under {
                draw_overlay(frame, area, model, theme, under);
            }
            help::draw(frame, area, model, theme, help)
        }
        Overlay::Palette(state) => palette::draw(frame, area, model, theme, state),
        Overlay::Compose(composer) => compose::draw(frame, area, model, theme, composer),
        Overlay::IncidentForm(form) => forms::draw_incident_form(frame, area, model, theme, form),
        Overlay::Switcher(switcher) => forms::draw_switcher(frame, area, model, theme, switcher),
        Overlay::Confirm(confirm) => {
            if let Some(under) = &confirm.under {
                draw_overlay(frame, area, model, theme, under);
            }
            forms::draw_confirm(frame, area, model, theme, confirm)
        }
        Overlay::Conflict(conflict) => forms::draw_conflict(frame, area, model, theme, conflict),
        Overlay::Plan(modal) => actions::draw(frame, area, model, theme, modal),
        Overlay::Reader(reader) => reader::draw(frame, area, model, theme, reader),
        Overlay::AlertView(view) => alert_view::draw(frame, area, model, theme, view),
        Overlay::RoleForm(form) => forms::draw_role_form(frame, area, model, theme, form),
    }
}

/// A pane's frame: number and title, focus shown by border and title style.
fn pane_block<'a>(pane: Pane, title: Vec<Span<'a>>, model: &Model, theme: &Theme) -> Block<'a> {
    let focused = model.ui.focus == pane && model.ui.overlay.is_none();
    let (border, title_style, border_type) = if focused {
        (
            theme.ui(UiStyle::Focus),
            theme.ui(UiStyle::Focus),
            BorderType::Thick,
        )
    } else {
        (
            theme.ui(UiStyle::Border),
            theme.ui(UiStyle::Title),
            BorderType::Plain,
        )
    };
    let number = Pane::ALL.iter().position(|p| *p == pane).unwrap_or(0) + 1;
    // The servers and alerts panes name themselves in their count
    // ("19 servers · 1 unhealthy"); the others by their title.
    let label = match pane {
        Pane::Servers | Pane::Alerts => format!(" {number} "),
        Pane::Sites | Pane::Timeline => format!(" {number} {} ", pane.title()),
    };
    let mut spans = vec![Span::styled(label, title_style)];
    spans.extend(title);
    Block::bordered()
        .border_type(border_type)
        .border_style(border)
        .title(Line::from(spans))
}

/// Style of the selected row: only the focused pane shows its selection strongly.
fn row_style(model: &Model, pane: Pane, selected: bool, theme: &Theme) -> Style {
    if selected && model.ui.focus == pane {
        theme.ui(UiStyle::Selected)
    } else {
        Style::new()
    }
}

/// Draw `lines` one per row from the top of `area`, clipped to it. A
/// line's own style fills its whole row (the selection). Cheaper than a
/// `Paragraph`, which matters for the big lists.
fn draw_rows(buffer: &mut Buffer, area: Rect, lines: &[Line]) {
    for (line, y) in lines.iter().zip(area.top()..area.bottom()) {
        if line.style != Style::default() {
            buffer.set_style(
                Rect {
                    y,
                    height: 1,
                    ..area
                },
                line.style,
            );
        }
        buffer.set_line(area.x, y, line, area.width);
    }
}

/// Rows `lines` take when wrapped at `width` columns (at least one each).
fn wrapped_rows(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// A centered rectangle of at most `width` x `height` inside `area`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}
