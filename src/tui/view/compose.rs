//! The entry editor and, for a status update, the preview of what it
//! publishes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use super::text::clock;
use crate::model::{EntryKind, Visibility};
use crate::tui::keymap::{Action, Context};
use crate::tui::logic::preview;
use crate::tui::logic::sanitize::sanitize;
use crate::tui::logic::when;
use crate::tui::model::Model;
use crate::tui::overlay::composer::{Composer, Field, Mode, Stage};
use crate::tui::theme::{Theme, UiStyle};

/// Rows of the text area.
const BODY_ROWS: u16 = 7;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme, composer: &Composer) {
    match composer.stage {
        Stage::Editing => draw_editor(frame, area, model, theme, composer),
        Stage::Preview => draw_preview(frame, area, model, theme, composer),
    }
}

fn draw_editor(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme, composer: &Composer) {
    let muted = theme.ui(UiStyle::Muted);
    let text = theme.ui(UiStyle::Text);
    let zone = model.settings.time_zone;
    let fields = composer.fields();
    let mut above: Vec<Line> = Vec::new();
    for field in fields.iter().take_while(|f| **f != Field::Body) {
        above.extend(field_lines(model, theme, composer, *field));
    }
    let mut below: Vec<Line> = Vec::new();
    for field in fields.iter().skip_while(|f| **f != Field::Body).skip(1) {
        below.extend(field_lines(model, theme, composer, *field));
    }
    if let Mode::Edit { original } = &composer.mode {
        below.push(Line::from(Span::styled(
            format!(
                "recorded {} · by {} · version {}",
                clock(original.recorded_at, zone),
                sanitize(&original.author),
                original.version
            ),
            muted,
        )));
    }
    if let Some(error) = &composer.error {
        below.push(Line::from(Span::styled(
            sanitize(error).into_owned(),
            theme.ui(UiStyle::Error),
        )));
    }
    below.push(super::forms::hint(
        theme,
        &model.keymap,
        Context::Editor,
        &[
            (Action::NextField, "next field"),
            (Action::ChoiceNext, "change"),
            (
                Action::Save,
                if composer.kind == EntryKind::StatusUpdate {
                    "preview"
                } else {
                    "save"
                },
            ),
            (Action::Cancel, "cancel"),
        ],
    ));
    let height = above.len() as u16 + 1 + BODY_ROWS + below.len() as u16 + 2;
    let rect = centered(area, 96, height);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(theme.ui(UiStyle::Focus))
        .title(Span::styled(
            format!(
                " {} — incident #{} ",
                composer.title(),
                composer.incident_id
            ),
            theme.ui(UiStyle::Focus),
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut y = inner.y;
    let above_rect = Rect {
        y,
        height: (above.len() as u16).min(inner.height),
        ..inner
    };
    frame.render_widget(Paragraph::new(above), above_rect);
    y += above_rect.height;
    let focused = composer.field == Field::Body;
    let label = Line::from(Span::styled(
        format!(
            "{} text{}",
            if focused { "▸" } else { " " },
            if focused { " (Enter: new line)" } else { "" }
        ),
        if focused {
            theme.ui(UiStyle::Focus)
        } else {
            text
        },
    ));
    if y < inner.bottom() {
        frame.render_widget(
            Paragraph::new(label),
            Rect {
                y,
                height: 1,
                ..inner
            },
        );
        y += 1;
    }
    let body_rect = Rect {
        x: inner.x + 2,
        y,
        width: inner.width.saturating_sub(2),
        height: BODY_ROWS.min(inner.bottom().saturating_sub(y)),
    };
    frame.render_widget(&composer.body, body_rect);
    y += body_rect.height;
    if y < inner.bottom() {
        frame.render_widget(
            Paragraph::new(below),
            Rect {
                y,
                height: inner.bottom() - y,
                ..inner
            },
        );
    }
}

fn field_lines<'a>(
    model: &Model,
    theme: &Theme,
    composer: &'a Composer,
    field: Field,
) -> Vec<Line<'a>> {
    let focused = composer.field == field;
    let label_style = if focused {
        theme.ui(UiStyle::Focus)
    } else {
        theme.ui(UiStyle::Text)
    };
    let value_style = if focused {
        theme.ui(UiStyle::Prompt)
    } else {
        theme.ui(UiStyle::Text)
    };
    let muted = theme.ui(UiStyle::Muted);
    let marker = if focused { "▸" } else { " " };
    let head = |value: String, hint: &str| {
        Line::from(vec![
            Span::styled(format!("{marker} {:<11}", field.label()), label_style),
            Span::styled(value, value_style),
            Span::styled(format!("  {hint}"), muted),
        ])
    };
    let choice = |name: &str| {
        if focused {
            format!("‹ {name} ›")
        } else {
            name.to_string()
        }
    };
    match field {
        Field::Status => vec![head(choice(composer.status.as_str()), "")],
        Field::Impact => vec![head(choice(composer.impact.as_str()), "")],
        // The choices are few and say what the marker means: all shown.
        Field::Marker => {
            let all: Vec<&str> = crate::tui::overlay::composer::MARKERS
                .iter()
                .map(|m| m.as_str())
                .collect();
            vec![head(
                choice(composer.marker.as_str()),
                &format!("one of: {}", all.join(" · ")),
            )]
        }
        Field::Visibility => {
            let name = match composer.visibility {
                Visibility::Public => "public (on the status page)",
                Visibility::Internal => "internal",
            };
            vec![head(choice(name), "")]
        }
        Field::Occurred => {
            let now = model.api_now();
            let zone = model.settings.time_zone;
            let value = if composer.occurred.is_empty() {
                match &composer.mode {
                    Mode::New => "now".to_string(),
                    Mode::Edit { original } => {
                        format!("{} (unchanged)", clock(original.occurred_at, zone))
                    }
                }
            } else {
                sanitize(&composer.occurred).into_owned()
            };
            let hint = match composer.occurred_at(now, zone) {
                Ok(Some(at)) => format!(
                    "= {} UTC / {}",
                    at.format("%Y-%m-%d %H:%M"),
                    clock(at, zone)
                ),
                Ok(None) => format!("type {}", when::FORMATS),
                Err(_) => format!("not a time: {}", when::FORMATS),
            };
            vec![head(value + if focused { "▏" } else { "" }, &hint)]
        }
        Field::Components => {
            let mut lines = vec![head(
                if composer.components.is_empty() {
                    "none (set them with T)".to_string()
                } else {
                    String::new()
                },
                if focused {
                    "↑/↓ choose · ←/→ status"
                } else {
                    ""
                },
            )];
            for (i, c) in composer.components.iter().enumerate() {
                let here = focused && i == composer.component;
                lines.push(Line::from(vec![
                    Span::styled(
                        format!(
                            "    {}{:<24}",
                            if here { "▸ " } else { "  " },
                            sanitize(&c.name)
                        ),
                        if here {
                            value_style
                        } else {
                            theme.ui(UiStyle::Text)
                        },
                    ),
                    Span::styled(
                        c.status.as_str().replace('_', " "),
                        if here { value_style } else { muted },
                    ),
                ]));
            }
            lines
        }
        Field::Body => Vec::new(),
    }
}

fn draw_preview(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme, composer: &Composer) {
    let muted = theme.ui(UiStyle::Muted);
    let mut lines: Vec<Line> = Vec::new();
    match model.data.incidents.get(composer.incident_id) {
        Some(incident) => {
            let draft = preview::StatusDraft {
                status: composer.status,
                impact: composer.impact,
                components: composer.components.clone(),
                body: composer.text(),
            };
            let last = preview::last_public_status(&model.data.incidents.timeline.entries);
            let facts = preview::fleet_facts(&model.data.fleet);
            let shown = preview::preview(incident, last, &draft, &facts);
            lines.push(Line::from(Span::styled(
                if composer.visibility == Visibility::Public {
                    "This is published on the status page:"
                } else {
                    "Internal: this stays off the status page."
                },
                muted,
            )));
            lines.extend(super::preview::lines(&shown, theme));
        }
        None => lines.push(Line::from(Span::styled(
            "the incident is not loaded; the update is saved to its timeline only",
            muted,
        ))),
    }
    let save = model.keymap.hint(Context::Editor, Action::Save);
    let back = model.keymap.hint(Context::Editor, Action::Cancel);
    let keys = Line::from(vec![
        Span::styled(format!(" enter/{save}"), theme.ui(UiStyle::Key)),
        Span::styled(" post · ", muted),
        Span::styled(back, theme.ui(UiStyle::Key)),
        Span::styled(" back to editing ", muted),
    ]);
    let inner_width = 96u16.min(area.width).saturating_sub(2);
    let rect = centered(area, 96, super::wrapped_rows(&lines, inner_width) + 2);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(theme.ui(UiStyle::Focus))
        .title(Span::styled(
            format!(" Preview — incident #{} ", composer.incident_id),
            theme.ui(UiStyle::Focus),
        ))
        .title_bottom(keys);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
