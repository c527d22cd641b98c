//! The servers pane: servers grouped by switch, a suspect switch standing
//! out; per server its health glyph, sites/capacity, admin state, latency
//! sparkline. Only the visible rows are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::layout::servers_parts;
use super::text::{cell, cell_right, sparkline};
use super::{draw_rows, pane_block, row_style};
use crate::model::{Admin, HealthState, Role, SwitchHealth};
use crate::tui::data::ServerRow;
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::{Model, Pane};
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let fleet = &model.data.fleet;
    let stale = model.is_stale();
    let unhealthy = fleet.unhealthy_servers();
    let n = fleet.topology.servers.len();
    let mut title = vec![Span::styled(
        format!("{n} {} ", if n == 1 { "server" } else { "servers" }),
        theme.ui(UiStyle::Muted),
    )];
    if unhealthy > 0 {
        title.push(Span::styled(
            format!("· {unhealthy} unhealthy "),
            theme.data(theme.health(HealthState::Down), stale),
        ));
    }
    frame.render_widget(pane_block(Pane::Servers, title, model, theme), area);
    let (summary, rows) = servers_parts(area);
    frame.render_widget(Paragraph::new(summary_line(model, theme, stale)), summary);

    let len = fleet.server_rows.len();
    let height = usize::from(rows.height);
    let first = model.ui.servers.window(len, height);
    let width = usize::from(rows.width);
    let columns = Columns::for_width(width);
    let lines: Vec<Line> = fleet.server_rows[first..(first + height).min(len)]
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let selected = first + i == model.ui.servers.selected;
            let line = match *row {
                ServerRow::Switch(index) => switch_line(model, theme, index, width, stale),
                ServerRow::Server(index) => server_line(model, theme, index, &columns, stale),
            };
            line.patch_style(row_style(model, Pane::Servers, selected, theme))
        })
        .collect();
    if lines.is_empty() {
        let text = if fleet.loaded {
            "no servers"
        } else {
            "loading…"
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.ui(UiStyle::Muted))),
            rows,
        );
    } else {
        draw_rows(frame.buffer_mut(), rows, &lines);
    }
}

/// Cache and database at a glance: which node is active, its epoch, and
/// stale connections that still need clearing.
fn summary_line<'a>(model: &Model, theme: &Theme, stale: bool) -> Line<'a> {
    let muted = theme.ui(UiStyle::Muted);
    let mut spans = Vec::new();
    let t = &model.data.fleet.topology;
    if let Some(cache) = &t.cache {
        spans.push(Span::styled("cache ", muted));
        spans.push(Span::styled(
            format!(
                "{} {}",
                theme.glyph(cache.health.state),
                sanitize(&cache.active)
            ),
            theme.data(theme.health(cache.health.state), stale),
        ));
        spans.push(Span::styled(format!(" e{}", cache.epoch), muted));
        if cache.stale_clients > 0 {
            spans.push(Span::styled(
                format!(" ⚠{} stale", cache.stale_clients),
                theme.data(theme.ui(UiStyle::Error), stale),
            ));
        }
    }
    if let Some(db) = &t.database {
        spans.push(Span::styled("  db ", muted));
        spans.push(Span::styled(
            format!("{} {}", theme.glyph(db.health.state), sanitize(&db.writer)),
            theme.data(theme.health(db.health.state), stale),
        ));
        spans.push(Span::styled(format!(" e{}", db.epoch), muted));
        if db.stuck_backends > 0 {
            spans.push(Span::styled(
                format!(" ⚠{} stuck", db.stuck_backends),
                theme.data(theme.ui(UiStyle::Error), stale),
            ));
        }
    }
    Line::from(spans)
}

fn switch_line<'a>(
    model: &Model,
    theme: &Theme,
    index: Option<usize>,
    width: usize,
    stale: bool,
) -> Line<'a> {
    let Some(switch) = index.and_then(|i| model.data.fleet.topology.switches.get(i)) else {
        return Line::from(Span::styled("(no known switch)", theme.ui(UiStyle::Muted)));
    };
    let style = theme.data(theme.switch(switch.health), stale);
    let (marker, label) = match switch.health {
        SwitchHealth::Ok => ("▸", "ok"),
        SwitchHealth::Suspect => ("⚠", "SUSPECT"),
        SwitchHealth::Down => ("✖", "DOWN"),
    };
    let text = format!(
        "{marker} {} {label} · {}/{} unhealthy",
        sanitize(&switch.id),
        switch.unhealthy_nodes,
        switch.nodes
    );
    if switch.health == SwitchHealth::Ok {
        Line::from(Span::styled(text, style))
    } else {
        // The whole row carries the alarm style so it stands out in the list.
        Line::from(Span::styled(cell(&text, width), style))
    }
}

/// Column widths of a server row for the pane's width.
struct Columns {
    id: usize,
    role: usize,
    spark: usize,
}

impl Columns {
    fn for_width(width: usize) -> Columns {
        // glyph, id, sites/cap, admin, spark, latency, with one space between.
        let fixed = 1 + 1 + 5 + 1 + 5 + 1 + 1 + 6;
        let id = 9;
        let role = if width >= 46 { 9 } else { 0 };
        let spark = width.saturating_sub(fixed + id + role).min(24);
        Columns { id, role, spark }
    }
}

fn server_line<'a>(
    model: &Model,
    theme: &Theme,
    index: usize,
    columns: &Columns,
    stale: bool,
) -> Line<'a> {
    let Some(server) = model.data.fleet.topology.servers.get(index) else {
        return Line::default();
    };
    let state = server.health.state;
    let health = theme.data(theme.health(state), stale);
    let muted = theme.ui(UiStyle::Muted);
    let text = theme.data(theme.ui(UiStyle::Text), stale);
    let hosts_sites = matches!(server.role, Role::App | Role::Failover);
    let sites = if hosts_sites {
        cell_right(&format!("{}/{}", server.site_count, server.capacity), 5)
    } else {
        cell("", 5)
    };
    let admin_style = match server.admin {
        Admin::Ready => muted,
        Admin::Drain | Admin::Maint => theme.data(theme.ui(UiStyle::Prompt), stale),
    };
    let latency = match (state, server.health.latency_ms) {
        (HealthState::Down, _) | (_, None) => "—".to_string(),
        (_, Some(ms)) => format!("{ms:.0}ms"),
    };
    let mut spans = vec![
        Span::styled(theme.glyph(state).to_string(), health),
        Span::raw(" "),
        Span::styled(cell(&sanitize(&server.id), columns.id), text),
    ];
    if columns.role > 0 {
        spans.push(Span::styled(
            cell(server.role.as_str(), columns.role),
            muted,
        ));
    }
    spans.push(Span::styled(sites, text));
    spans.push(Span::raw(" "));
    spans.push(Span::styled(cell(server.admin.as_str(), 5), admin_style));
    spans.push(Span::raw(" "));
    if columns.spark > 0 {
        let samples = model.data.fleet.latency.get(index);
        let spark = samples.map_or_else(
            || " ".repeat(columns.spark),
            |s| sparkline(s.iter(), columns.spark),
        );
        spans.push(Span::styled(spark, health));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(cell_right(&latency, 6), muted));
    Line::from(spans)
}
