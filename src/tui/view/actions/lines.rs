//! The modal's text: rows of at most a width, wrapped at words, with
//! everything from the API sanitized.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::tui::logic::sanitize::sanitize;
use crate::tui::theme::{Theme, UiStyle};

/// Lines of at most `width` characters; everything passes `sanitize`.
pub(super) struct Lines<'t> {
    pub(super) theme: &'t Theme,
    pub(super) width: usize,
    pub(super) lines: Vec<Line<'static>>,
}

impl<'t> Lines<'t> {
    pub(super) fn new(theme: &'t Theme, width: usize) -> Lines<'t> {
        Lines {
            theme,
            width,
            lines: Vec::new(),
        }
    }

    pub(super) fn line(&mut self, spans: Vec<Span<'static>>) {
        self.lines.push(Line::from(spans));
    }

    pub(super) fn text(&mut self, text: String, style: Style) {
        self.lines.push(Line::from(Span::styled(
            sanitize(&text).into_owned(),
            style,
        )));
    }

    pub(super) fn heading(&mut self, text: String) {
        self.lines.push(Line::default());
        let style = self.theme.ui(UiStyle::Header);
        self.text(text, style);
    }

    /// `text` wrapped at word boundaries, the first row after `prefix`, the
    /// others indented as far.
    pub(super) fn wrapped(&mut self, prefix: &str, text: &str, style: Style) {
        let indent = prefix.chars().count();
        let rows = wrap(&sanitize(text), self.width.saturating_sub(indent));
        for (i, row) in rows.into_iter().enumerate() {
            let lead = if i == 0 {
                prefix.to_string()
            } else {
                " ".repeat(indent)
            };
            self.lines.push(Line::from(vec![
                Span::styled(lead, self.theme.ui(UiStyle::Muted)),
                Span::styled(row, style),
            ]));
        }
    }
}

/// Greedy word wrap at `width` characters; words longer than a row are cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut len = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let word_len = word.chars().count();
        if len > 0 && len + 1 + word_len > width {
            rows.push(std::mem::take(&mut row));
            len = 0;
        }
        if len > 0 {
            row.push(' ');
            len += 1;
        }
        for c in word.chars() {
            if len == width {
                rows.push(std::mem::take(&mut row));
                len = 0;
            }
            row.push(c);
            len += 1;
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_at_words_and_cuts_long_ones() {
        assert_eq!(
            wrap("one two three four", 10),
            vec!["one two", "three four"]
        );
        assert_eq!(wrap("abcdefghijklmno", 10), vec!["abcdefghij", "klmno"]);
        assert_eq!(wrap("", 10), vec![String::new()]);
    }
}
