//! The compact health grid under the sites table: one cell per site in
//! fleet order, so a site keeps its place and an outage shows as a patch.
//! When there are more sites than cells, a cell shows the worst of its sites.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::layout::sites_parts;
use crate::model::HealthState;
use crate::tui::data::severity_rank;
use crate::tui::model::{Model, Pane};
use crate::tui::theme::{Theme, UiStyle};

const BY_RANK: [HealthState; 5] = [
    HealthState::Down,
    HealthState::Flapping,
    HealthState::Degraded,
    HealthState::Unknown,
    HealthState::Up,
];

pub fn draw(frame: &mut Frame, pane: Rect, model: &Model, theme: &Theme) {
    let sites = &model.data.fleet.topology.sites;
    let parts = sites_parts(pane, sites.len());
    let area = parts.grid;
    let cells = usize::from(area.width) * usize::from(area.height);
    if sites.is_empty() || cells == 0 {
        return;
    }
    let per_cell = sites.len().div_ceil(cells);
    let title = if per_cell == 1 {
        "health grid · 1 cell = 1 site".to_string()
    } else {
        format!("health grid · 1 cell = worst of {per_cell} sites")
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!("─ {title} "),
            theme.ui(UiStyle::Muted),
        )),
        parts.grid_title,
    );

    let worst: Vec<u8> = model
        .data
        .fleet
        .site_states
        .chunks(per_cell)
        .map(|chunk| {
            chunk
                .iter()
                .map(|state| severity_rank(*state))
                .min()
                .unwrap_or(u8::MAX)
        })
        .collect();
    let selected = (model.ui.focus == Pane::Sites)
        .then(|| model.sites.selected_site())
        .flatten()
        .map(|i| i / per_cell);
    let stale = model.is_stale();
    let buffer = frame.buffer_mut();
    for (c, rank) in worst.iter().enumerate() {
        let state = BY_RANK[usize::from(*rank).min(BY_RANK.len() - 1)];
        let x = area.x + (c % usize::from(area.width)) as u16;
        let y = area.y + (c / usize::from(area.width)) as u16;
        let mut style = theme.data(theme.health(state), stale);
        if selected == Some(c) {
            style = style.add_modifier(Modifier::REVERSED);
        }
        if let Some(cell) = buffer.cell_mut((x, y)) {
            cell.set_symbol(theme.glyph(state)).set_style(style);
        }
    }
}
