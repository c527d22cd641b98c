//! The row above the hints: the plan the orchestrator recommends now, why,
//! and the key that opens it (or why this console may not).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::model::AccessRole;
use crate::tui::keymap::{Action, Context};
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::Model;
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let Some(recommendation) = &model.data.advice.shown else {
        return;
    };
    let key = model.keymap.hint(Context::Global, Action::RecommendedPlan);
    // Disabled visibly: the key is named with why it does nothing here.
    let (label, key_style) = match model.action_block() {
        None => ("run", theme.ui(UiStyle::Key)),
        Some(_) if model.settings.read_only => ("read-only", theme.ui(UiStyle::Muted)),
        Some(_) if model.data.role == Some(AccessRole::Viewer) => {
            ("viewer token", theme.ui(UiStyle::Muted))
        }
        Some(_) => ("commander only", theme.ui(UiStyle::Muted)),
    };
    let muted = theme.ui(UiStyle::Muted);
    let hint = format!("[{key} {label}]");
    // One sentence from the API, on one row, cut to leave room for the key.
    let reason = recommendation
        .reason
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let reason = sanitize(&reason);
    let room = usize::from(area.width).saturating_sub(2 + 2 + hint.chars().count());
    let reason = truncate(&reason, room);
    let line = Line::from(vec![
        Span::styled("▶ ", theme.ui(UiStyle::Focus)),
        Span::styled(
            reason,
            theme.data(theme.ui(UiStyle::Title), model.is_stale()),
        ),
        Span::raw("  "),
        Span::styled("[", muted),
        Span::styled(key, key_style),
        Span::styled(format!(" {label}]"), muted),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// `text` in at most `width` characters, ending in `…` when cut.
fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}
