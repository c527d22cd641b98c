//! The line under the header when the API is away or the data is old.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::text::seconds;
use crate::tui::data::Banner;
use crate::tui::keymap::Action;
use crate::tui::keymap::Context;
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::Model;
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, banner: &Banner, model: &Model, theme: &Theme) {
    let retry_key = model.keymap.hint(Context::Global, Action::Refresh);
    let (text, style) = match banner {
        Banner::Connecting { url } => (
            format!(" Connecting to {}…", sanitize(url)),
            theme.ui(UiStyle::Muted),
        ),
        Banner::ApiDown {
            error,
            age,
            retry_in,
        } => {
            let age = match age {
                Some(age) => format!("showing data from {} ago", seconds(*age)),
                None => "no data yet".to_string(),
            };
            let retry = match retry_in {
                Some(r) if r.num_seconds() > 0 => format!("retrying in {}", seconds(*r)),
                _ => "retrying".to_string(),
            };
            // A refused token needs a different fix than a dead link.
            let what = if error.contains("(401 ") || error.contains("(403 ") {
                "API REFUSED THE TOKEN"
            } else {
                "API UNREACHABLE"
            };
            (
                format!(
                    " ⚠ {what} — {age} · {retry} ({retry_key} now) · {}",
                    sanitize(error)
                ),
                theme.ui(UiStyle::Banner),
            )
        }
        Banner::Stale { age, error } => {
            let why = error
                .as_deref()
                .map(|e| format!(" · {}", sanitize(e)))
                .unwrap_or_default();
            (
                format!(
                    " ⚠ NO FRESH DATA for {} — panes are greyed{why} ({retry_key} refreshes)",
                    seconds(*age)
                ),
                theme.ui(UiStyle::Banner),
            )
        }
    };
    frame.render_widget(Paragraph::new(Span::styled(text, style)).style(style), area);
}
