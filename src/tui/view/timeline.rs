//! The incident timeline, read-only: the current incident's entries with
//! both times, kind, visibility and author.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::layout::inner;
use super::text::clock;
use super::{draw_rows, pane_block, row_style};
use crate::client::{JournalWrite, WriteOp};
use crate::model::{EntryKind, Source, TimelineEntry, Visibility};
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::{Model, Pane};
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let book = &model.data.incidents.timeline;
    let muted = theme.ui(UiStyle::Muted);
    let mut title = Vec::new();
    if let Some(id) = book.incident_id {
        title.push(Span::styled(
            format!("#{id} · {} entries ", book.entries.len()),
            muted,
        ));
    }
    frame.render_widget(pane_block(Pane::Timeline, title, model, theme), area);
    let mut rows = inner(area);
    let pending: Vec<Line> = model
        .data
        .pending
        .iter()
        .filter(|w| Some(w.incident_id) == book.incident_id)
        .map(|w| pending_line(theme, w))
        .collect();
    if !pending.is_empty() {
        // Saved in the journal, not yet on the API: at the bottom, always.
        let height = (pending.len() as u16).min(rows.height / 2).max(1);
        let area = Rect {
            y: rows.bottom() - height,
            height,
            ..rows
        };
        draw_rows(
            frame.buffer_mut(),
            area,
            &pending[pending.len() - usize::from(height)..],
        );
        rows.height -= height;
    }
    let entries = &book.entries;
    if entries.is_empty() {
        let text = match (book.incident_id, book.loaded) {
            (None, _) => "no open incident",
            (Some(_), false) => "loading…",
            (Some(_), true) => "no entries yet",
        };
        frame.render_widget(Paragraph::new(Span::styled(text, muted)), rows);
        return;
    }
    let height = usize::from(rows.height);
    let first = model.ui.timeline.window(entries.len(), height);
    let lines: Vec<Line> = entries[first..(first + height).min(entries.len())]
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            entry_line(model, theme, entry).patch_style(row_style(
                model,
                Pane::Timeline,
                first + i == model.ui.timeline.selected,
                theme,
            ))
        })
        .collect();
    draw_rows(frame.buffer_mut(), rows, &lines);
}

fn entry_line<'a>(model: &Model, theme: &Theme, entry: &TimelineEntry) -> Line<'a> {
    let zone = model.settings.time_zone;
    let muted = theme.ui(UiStyle::Muted);
    let text = theme.ui(UiStyle::Text);
    let occurred = clock(entry.occurred_at, zone);
    let recorded = clock(entry.recorded_at, zone);
    // Both times when they differ: a back-dated entry says when it was written.
    let times = if occurred == recorded {
        format!("{occurred} ")
    } else {
        format!("{occurred} (rec {recorded}) ")
    };
    let kind = match (entry.kind, entry.status) {
        (EntryKind::StatusUpdate, Some(status)) => status.as_str().to_string(),
        (EntryKind::Marker, _) => entry
            .marker
            .map_or("marker", crate::model::Marker::as_str)
            .to_string(),
        (kind, _) => kind.as_str().replace('_', " "),
    };
    let visibility = match entry.visibility {
        Visibility::Public => "pub",
        Visibility::Internal => "int",
    };
    // Every line of the body, on one row: the list stays one row per entry.
    let body = entry.body.lines().collect::<Vec<_>>().join(" ⏎ ");
    // Detection and action entries say so in their kind; they cannot be
    // edited (the editor refuses them with a message).
    let flags = if entry.edited_at.is_some() {
        "(edited) "
    } else {
        ""
    };
    Line::from(vec![
        Span::styled(
            if entry.starred { "★ " } else { "  " },
            theme.ui(UiStyle::Prompt),
        ),
        Span::styled(times, muted),
        Span::styled(format!("{kind} "), theme.ui(UiStyle::Key)),
        Span::styled(format!("{visibility} "), muted),
        author_span(theme, entry),
        Span::styled(flags, muted),
        Span::styled(sanitize(&body).into_owned(), text),
    ])
}

/// Who wrote it; the autopilot's decisions stand out, so an automatic
/// action is never mistaken for a person's.
fn author_span<'a>(theme: &Theme, entry: &TimelineEntry) -> Span<'a> {
    let author = sanitize(&entry.author);
    if entry.source != Source::Autopilot {
        return Span::styled(format!("{author}: "), theme.ui(UiStyle::Muted));
    }
    let text = if author.eq_ignore_ascii_case("autopilot") {
        "autopilot: ".to_string()
    } else {
        format!("autopilot ({author}): ")
    };
    Span::styled(text, theme.ui(UiStyle::Prompt))
}

/// A write saved in the offline journal that the API has not acknowledged.
fn pending_line<'a>(theme: &Theme, write: &JournalWrite) -> Line<'a> {
    let what = match &write.op {
        WriteOp::CreateEntry { entry } => {
            let body = entry.body.lines().collect::<Vec<_>>().join(" ⏎ ");
            format!(
                "{}: {}",
                entry.kind.as_str().replace('_', " "),
                sanitize(&body)
            )
        }
        WriteOp::UpdateEntry { entry_id, .. } => format!("edit of entry #{entry_id}"),
        WriteOp::DeleteEntry { entry_id, .. } => format!("deletion of entry #{entry_id}"),
    };
    Line::from(vec![
        Span::styled("⧗ pending ", theme.ui(UiStyle::Error)),
        Span::styled(what, theme.ui(UiStyle::Muted)),
    ])
}
