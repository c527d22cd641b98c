//! The sites table: counts, filter prompt, and the visible rows.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::layout::sites_parts;
use super::text::{cell, cell_right, minutes};
use super::{draw_rows, pane_block, row_style};
use chrono::TimeDelta;

use crate::model::{HealthState, Site, Timestamp};
use crate::tui::keymap::{Action, Context};
use crate::tui::logic::downtime::downtime_in;
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::{Model, Pane};
use crate::tui::theme::{Theme, UiStyle};

/// The order counts are listed in: what needs attention first.
/// Long and short labels.
const COUNT_ORDER: [(HealthState, &str, &str); 5] = [
    (HealthState::Down, "down", "down"),
    (HealthState::Flapping, "flapping", "flap"),
    (HealthState::Degraded, "degraded", "degr"),
    (HealthState::Up, "up", "up"),
    (HealthState::Unknown, "unknown", "unkn"),
];

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let total = model.data.fleet.topology.sites.len();
    let muted = theme.ui(UiStyle::Muted);
    let title = vec![
        Span::styled(format!("{total} "), muted),
        Span::styled(format!("· by {} ", model.sites.sort.label()), muted),
    ];
    frame.render_widget(pane_block(Pane::Sites, title, model, theme), area);
    let parts = sites_parts(area, total);
    let compact = parts.summary.width < 60;
    frame.render_widget(
        Paragraph::new(summary_line(model, theme, compact)),
        parts.summary,
    );

    let columns = Columns::for_width(
        usize::from(parts.rows.width),
        model.data.fleet.site_id_width,
    );
    let window = incident_window(model);
    frame.render_widget(
        Paragraph::new(header_line(&columns, theme, window.is_some())),
        parts.table_header,
    );

    let order = model.sites.order();
    let height = usize::from(parts.rows.height);
    let first = model.sites.list.window(order.len(), height);
    let stale = model.is_stale();
    let lines: Vec<Line> = order[first..(first + height).min(order.len())]
        .iter()
        .enumerate()
        .filter_map(|(i, &site)| {
            let site = model.data.fleet.topology.sites.get(site)?;
            let selected = first + i == model.sites.list.selected;
            Some(
                site_line(model, theme, site, &columns, stale, window).patch_style(row_style(
                    model,
                    Pane::Sites,
                    selected,
                    theme,
                )),
            )
        })
        .collect();
    if lines.is_empty() {
        let text = if !model.data.fleet.loaded {
            "loading…"
        } else if total == 0 {
            "no sites"
        } else {
            "no site matches the filter"
        };
        frame.render_widget(Paragraph::new(Span::styled(text, muted)), parts.rows);
    } else {
        draw_rows(frame.buffer_mut(), parts.rows, &lines);
    }
}

fn summary_line<'a>(model: &'a Model, theme: &Theme, compact: bool) -> Line<'a> {
    let muted = theme.ui(UiStyle::Muted);
    let prompt = theme.ui(UiStyle::Prompt);
    let shown = model.sites.order().len();
    let total = model.data.fleet.topology.sites.len();
    let filter = model.sites.filter();
    let problem = model.sites.filter_problem();
    if model.sites.editing {
        let help = match &problem {
            Some(problem) => Span::styled(format!(" {problem}"), theme.ui(UiStyle::Error)),
            None => Span::styled(
                format!(
                    " {shown}/{total} · is:down on:app-04 home:app-04 · {} keeps, {} clears",
                    model.keymap.hint(Context::Form, Action::Submit),
                    model.keymap.hint(Context::Form, Action::Cancel)
                ),
                muted,
            ),
        };
        return Line::from(vec![
            Span::styled("Filter sites: ", prompt),
            Span::styled(filter, prompt),
            Span::styled("▏", prompt),
            help,
        ]);
    }
    let stale = model.is_stale();
    let mut spans = Vec::new();
    if !filter.is_empty() {
        spans.push(Span::styled(format!("filter “{filter}” "), prompt));
        spans.push(Span::styled(format!("{shown}/{total} · "), muted));
    }
    if let Some(problem) = problem {
        spans.push(Span::styled(
            format!("{problem} · "),
            theme.ui(UiStyle::Error),
        ));
    }
    for (state, long, short) in COUNT_ORDER {
        let n = model.data.fleet.counts.get(state);
        if n == 0 && matches!(state, HealthState::Unknown | HealthState::Flapping) {
            continue;
        }
        let style = if n > 0 {
            theme.data(theme.health(state), stale)
        } else {
            muted
        };
        let glyph = theme.glyph(state);
        let text = if compact {
            format!("{glyph}{n} {short} ")
        } else {
            format!("{glyph} {n} {long}  ")
        };
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

/// Which columns fit the pane's width. Every column but the last ends in
/// a space, so no value runs into the next whatever its length (a value
/// too long for its column is cut with …).
struct Columns {
    id: usize,
    name: usize,
    server: usize,
    state: usize,
}

const DOWN: usize = 7;
/// The id column's bounds: wide enough for "ID", never more than this.
const ID_MIN: usize = 6;
const ID_MAX: usize = 24;

impl Columns {
    /// `longest_id`: the longest site id in the fleet.
    fn for_width(width: usize, longest_id: usize) -> Columns {
        // Long ids are cut (with …) before they crowd out the other columns.
        let id = (longest_id + 1).clamp(ID_MIN, ID_MAX.min(width / 3).max(ID_MIN));
        // What is left after the glyph, the id and the downtime.
        let rest = width.saturating_sub(2 + id + DOWN);
        let (server, state) = match rest {
            r if r >= 16 + 9 + 20 => (16, 9),
            r if r >= 13 + 16 => (13, 0),
            // Narrow (80x24): the server column stays, the name gives way.
            r if r >= 18 => ((r / 2).clamp(9, 13), 0),
            _ => (0, 0),
        };
        let name = rest.saturating_sub(server + state).max(4);
        Columns {
            id,
            name,
            server,
            state,
        }
    }
}

/// `text` in a column of `width` that ends in a space.
fn column(text: &str, width: usize) -> String {
    let mut out = cell(text, width.saturating_sub(1));
    out.push(' ');
    out
}

/// The incident window the DOWN column adds downtime over: from the
/// followed incident's start to its resolution (or now).
fn incident_window(model: &Model) -> Option<(Timestamp, Timestamp)> {
    let incident = model.data.incidents.current()?;
    let end = incident.resolved_at.unwrap_or_else(|| model.api_now());
    Some((incident.started_at, end))
}

fn header_line<'a>(columns: &Columns, theme: &Theme, in_incident: bool) -> Line<'a> {
    let mut text = format!(
        "  {}{}",
        column("ID", columns.id),
        column("NAME", columns.name)
    );
    if columns.server > 0 {
        text.push_str(&column("SERVER", columns.server));
    }
    if columns.state > 0 {
        text.push_str(&column("STATE", columns.state));
    }
    // Σ: the downtime added up since the incident started, not only the current outage.
    text.push_str(&cell_right(
        if in_incident { "Σ DOWN" } else { "DOWN" },
        DOWN,
    ));
    Line::from(Span::styled(text, theme.ui(UiStyle::Muted)))
}

fn site_line<'a>(
    model: &Model,
    theme: &Theme,
    site: &Site,
    columns: &Columns,
    stale: bool,
    window: Option<(Timestamp, Timestamp)>,
) -> Line<'a> {
    let state = site.health.state;
    let health = theme.data(theme.health(state), stale);
    let text = theme.data(theme.ui(UiStyle::Text), stale);
    let muted = theme.ui(UiStyle::Muted);
    let mut spans = vec![
        Span::styled(theme.glyph(state).to_string(), health),
        Span::raw(" "),
        Span::styled(column(&sanitize(&site.id), columns.id), text),
        Span::styled(column(&sanitize(&site.name), columns.name), text),
    ];
    if columns.server > 0 {
        // A site away from home shows where it came from.
        let placement = if site.server == site.home_server {
            sanitize(&site.server).into_owned()
        } else {
            format!("{}←{}", sanitize(&site.server), sanitize(&site.home_server))
        };
        let style = if site.server == site.home_server {
            muted
        } else {
            theme.data(theme.ui(UiStyle::Prompt), stale)
        };
        spans.push(Span::styled(column(&placement, columns.server), style));
    }
    if columns.state > 0 {
        spans.push(Span::styled(column(state.as_str(), columns.state), health));
    }
    let down = match window {
        Some((start, end)) => {
            let spells = model
                .data
                .fleet
                .site_spells
                .get(&site.id)
                .map_or(&[][..], Vec::as_slice);
            let total = downtime_in(spells, site.down_since, start, end);
            if total > TimeDelta::zero() {
                minutes(total)
            } else {
                String::new()
            }
        }
        None => site
            .down_since
            .map(|since| minutes(model.api_now() - since))
            .unwrap_or_default(),
    };
    spans.push(Span::styled(cell_right(&down, DOWN), health));
    Line::from(spans)
}
