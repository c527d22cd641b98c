//! Where everything goes on the screen. Pure: the views draw into these
//! rectangles and `update` maps mouse clicks and page sizes with the same
//! functions, so they always agree.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::tui::model::{Model, Pane};

/// Terminals at least this wide get three columns.
const WIDE: u16 = 160;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    pub banner: Option<Rect>,
    pub servers: Rect,
    pub sites: Rect,
    pub alerts: Rect,
    pub timeline: Rect,
    /// The recommended plan, above the hints, when there is one.
    pub advice: Option<Rect>,
    pub footer: Rect,
}

impl Screen {
    pub fn pane(&self, pane: Pane) -> Rect {
        match pane {
            Pane::Servers => self.servers,
            Pane::Sites => self.sites,
            Pane::Alerts => self.alerts,
            Pane::Timeline => self.timeline,
        }
    }

    pub fn pane_at(&self, x: u16, y: u16) -> Option<Pane> {
        let position = ratatui::layout::Position { x, y };
        Pane::ALL
            .into_iter()
            .find(|p| self.pane(*p).contains(position))
    }
}

/// The screen for a terminal of `area`, with a row for the API banner
/// and one for the recommended plan when they are shown.
pub fn screen(area: Rect, banner: bool, advice: bool) -> Screen {
    let [header, banner_area, body, advice_area, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(u16::from(banner)),
        Constraint::Fill(1),
        Constraint::Length(u16::from(advice)),
        Constraint::Length(1),
    ])
    .areas(area);
    let banner = banner.then_some(banner_area);
    let advice = advice.then_some(advice_area);
    if area.width >= WIDE {
        let [servers, sites, right] = Layout::horizontal([
            Constraint::Length(50),
            Constraint::Fill(1),
            Constraint::Length(64),
        ])
        .areas(body);
        let [alerts, timeline] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(right);
        Screen {
            header,
            banner,
            servers,
            sites,
            alerts,
            timeline,
            advice,
            footer,
        }
    } else {
        let bottom_height = (body.height / 3).clamp(6, 12);
        let [top, bottom] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(bottom_height)]).areas(body);
        let servers_width = (area.width * 2 / 5).clamp(36, 52);
        let [servers, sites] =
            Layout::horizontal([Constraint::Length(servers_width), Constraint::Fill(1)]).areas(top);
        let [alerts, timeline] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(bottom);
        Screen {
            header,
            banner,
            servers,
            sites,
            alerts,
            timeline,
            advice,
            footer,
        }
    }
}

/// The screen for the model's terminal size.
pub fn for_model(model: &Model) -> Screen {
    let (width, height) = model.screen;
    screen(
        Rect::new(0, 0, width, height),
        model.banner().is_some(),
        model.data.advice.shown.is_some(),
    )
}

/// Inside a bordered pane.
pub fn inner(rect: Rect) -> Rect {
    Rect {
        x: rect.x.saturating_add(1),
        y: rect.y.saturating_add(1),
        width: rect.width.saturating_sub(2),
        height: rect.height.saturating_sub(2),
    }
}

/// The parts of the sites pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SitesParts {
    pub summary: Rect,
    pub table_header: Rect,
    pub rows: Rect,
    pub grid_title: Rect,
    pub grid: Rect,
}

pub fn sites_parts(rect: Rect, site_count: usize) -> SitesParts {
    let inner = inner(rect);
    let width = usize::from(inner.width.max(1));
    let wanted = site_count.div_ceil(width).max(1);
    let cap = usize::from((inner.height / 3).max(1));
    let grid_rows = wanted.min(cap) as u16;
    let [summary, table_header, rows, grid_title, grid] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(grid_rows),
    ])
    .areas(inner);
    SitesParts {
        summary,
        table_header,
        rows,
        grid_title,
        grid,
    }
}

/// The servers pane: a summary line (cache and database), then the rows.
pub fn servers_parts(rect: Rect) -> (Rect, Rect) {
    let inner = inner(rect);
    let [summary, rows] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    (summary, rows)
}

/// The rectangle a pane's selectable rows are drawn in.
pub fn list_area(model: &Model, screen: &Screen, pane: Pane) -> Rect {
    let rect = screen.pane(pane);
    match pane {
        Pane::Servers => servers_parts(rect).1,
        Pane::Sites => sites_parts(rect, model.data.fleet.topology.sites.len()).rows,
        Pane::Alerts | Pane::Timeline => inner(rect),
    }
}
