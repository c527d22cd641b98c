//! The status update preview as lines: what the update publishes, the
//! contradictions found, then the text. The caller frames and places them.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::model::{ComponentStatus, HealthState, Impact};
use crate::tui::logic::preview::{ComponentChange, Preview, component_status_name};
use crate::tui::logic::sanitize::sanitize;
use crate::tui::theme::{Theme, UiStyle};

/// The preview, one line per row: status, impact, one line per component,
/// the warnings (error style, most serious first), a blank line, the body.
/// Every string that came from a person or the API is sanitized.
pub fn lines(preview: &Preview, theme: &Theme) -> Vec<Line<'static>> {
    let label = theme.ui(UiStyle::Muted);
    let text = theme.ui(UiStyle::Text);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("status: ", label),
            Span::styled(preview.status.as_str(), theme.ui(UiStyle::Title)),
        ]),
        impact_line(preview.impact, theme),
    ];
    lines.extend(
        preview
            .components
            .iter()
            .map(|change| component_line(change, theme)),
    );
    let warning = theme.ui(UiStyle::Error);
    lines.extend(preview.warnings.iter().map(|text| {
        Line::from(vec![
            Span::styled("! ", warning),
            Span::styled(sanitize(text).into_owned(), warning),
        ])
    }));
    lines.push(Line::default());
    if preview.body.trim().is_empty() {
        lines.push(Line::from(Span::styled("(no text)", label)));
    } else {
        // Split before sanitizing: sanitize would show the newlines as `\x0a`.
        lines.extend(
            preview
                .body
                .lines()
                .map(|line| Line::from(Span::styled(sanitize(line).into_owned(), text))),
        );
    }
    lines
}

fn impact_line((old, new): (Impact, Impact), theme: &Theme) -> Line<'static> {
    let label = theme.ui(UiStyle::Muted);
    let text = theme.ui(UiStyle::Text);
    if old == new {
        return Line::from(vec![
            Span::styled("impact: ", label),
            Span::styled(new.as_str(), text),
            Span::styled(" (unchanged)", label),
        ]);
    }
    Line::from(vec![
        Span::styled("impact: ", label),
        Span::styled(old.as_str(), label),
        Span::styled(" → ", label),
        Span::styled(new.as_str(), text),
    ])
}

fn component_line(change: &ComponentChange, theme: &Theme) -> Line<'static> {
    let label = theme.ui(UiStyle::Muted);
    let mut spans = vec![Span::styled(
        format!("{}: ", sanitize(&change.name)),
        theme.ui(UiStyle::Text),
    )];
    match (change.old, change.new) {
        (_, Some(new)) if change.is_unchanged() => {
            spans.push(Span::styled(
                component_status_name(new),
                component_style(new, theme),
            ));
            spans.push(Span::styled(" (unchanged)", label));
        }
        (old, new) => {
            spans.push(match old {
                Some(old) => Span::styled(component_status_name(old), label),
                None => Span::styled("not listed", label),
            });
            spans.push(Span::styled(" → ", label));
            spans.push(match new {
                Some(new) => Span::styled(component_status_name(new), component_style(new, theme)),
                None => Span::styled("removed", label),
            });
        }
    }
    Line::from(spans)
}

/// A component status in the colours of the health it means to users.
fn component_style(status: ComponentStatus, theme: &Theme) -> Style {
    match status {
        ComponentStatus::Operational => theme.health(HealthState::Up),
        ComponentStatus::DegradedPerformance => theme.health(HealthState::Degraded),
        ComponentStatus::PartialOutage | ComponentStatus::MajorOutage => {
            theme.health(HealthState::Down)
        }
        ComponentStatus::UnderMaintenance => theme.ui(UiStyle::Muted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UpdateStatus;

    fn text(line: &Line) -> String {
        line.spans
            .iter()
            .map(|span| span.content.as_ref())
            .collect()
    }

    fn sample() -> Preview {
        Preview {
            status: UpdateStatus::Monitoring,
            impact: (Impact::Major, Impact::Minor),
            components: vec![
                ComponentChange {
                    name: "api".into(),
                    old: Some(ComponentStatus::MajorOutage),
                    new: Some(ComponentStatus::DegradedPerformance),
                },
                ComponentChange {
                    name: "web".into(),
                    old: Some(ComponentStatus::Operational),
                    new: Some(ComponentStatus::Operational),
                },
                ComponentChange {
                    name: "db\x1b[2J".into(),
                    old: None,
                    new: Some(ComponentStatus::PartialOutage),
                },
                ComponentChange {
                    name: "cdn".into(),
                    old: Some(ComponentStatus::UnderMaintenance),
                    new: None,
                },
            ],
            warnings: vec!["This says monitoring, but 2 of 9 sites are down.".into()],
            body: "Fix deployed.\n\x1b]0;owned\x07Watching.".into(),
        }
    }

    #[test]
    fn shows_status_impact_components_warnings_then_body() {
        let theme = Theme::default();
        let lines = lines(&sample(), &theme);
        let texts: Vec<String> = lines.iter().map(text).collect();
        assert_eq!(
            texts,
            vec![
                "status: monitoring",
                "impact: major → minor",
                "api: major outage → degraded performance",
                "web: operational (unchanged)",
                "db\\x1b[2J: not listed → partial outage",
                "cdn: under maintenance → removed",
                "! This says monitoring, but 2 of 9 sites are down.",
                "",
                "Fix deployed.",
                "\\x1b]0;owned\\x07Watching.",
            ]
        );
        assert!(
            lines[6]
                .spans
                .iter()
                .all(|span| span.style == theme.ui(UiStyle::Error))
        );
    }

    #[test]
    fn unchanged_impact_and_empty_body_say_so() {
        let mut preview = sample();
        preview.impact = (Impact::None, Impact::None);
        preview.body = "  ".into();
        let texts: Vec<String> = lines(&preview, &Theme::default())
            .iter()
            .map(text)
            .collect();
        assert_eq!(texts[1], "impact: none (unchanged)");
        assert_eq!(texts.last().map(String::as_str), Some("(no text)"));
    }

    #[test]
    fn no_control_character_reaches_the_terminal() {
        let mut preview = sample();
        preview.warnings = vec!["name\u{202e}x".into()];
        for line in lines(&preview, &Theme::default()) {
            let line = text(&line);
            assert!(!line.chars().any(char::is_control), "{line:?}");
            assert!(!line.contains('\u{202e}'), "{line:?}");
        }
    }
}
