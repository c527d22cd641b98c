//! The incident form, the incident switcher, confirmations and conflicts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use super::text::{cell, clock};
use crate::model::IncidentState;
use crate::tui::keymap::{Action, Context, Keymap};
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::Model;
use crate::tui::overlay::{
    Confirm, ConflictView, FormField, IncidentForm, RoleForm, Switcher, switcher_rows,
};
use crate::tui::theme::{Theme, UiStyle};

fn modal<'a>(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: String,
    lines: Vec<Line<'a>>,
    width: u16,
) {
    // The last line is the key hint: it goes on the bottom border, where no
    // amount of text can push it out of sight. The box is sized by the rows
    // the other lines wrap to.
    let mut lines = lines;
    let keys = lines.pop().unwrap_or_default();
    let inner_width = width.min(area.width).saturating_sub(2);
    let rect = centered(area, width, super::wrapped_rows(&lines, inner_width) + 2);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(theme.ui(UiStyle::Focus))
        .title(Span::styled(title, theme.ui(UiStyle::Focus)))
        .title_bottom(keys);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

/// A hint line from the live keymap: each action's keys in `context`
/// (all of them, `n/esc`), then what it does. Actions with no key are left out.
pub(super) fn hint<'a>(
    theme: &Theme,
    keymap: &Keymap,
    context: Context,
    parts: &[(Action, &'a str)],
) -> Line<'a> {
    let mut spans = Vec::new();
    for (action, what) in parts {
        let Some(keys) = keymap.hints(context, *action) else {
            continue;
        };
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.ui(UiStyle::Muted)));
        }
        spans.push(Span::styled(keys, theme.ui(UiStyle::Key)));
        spans.push(Span::styled(format!(" {what}"), theme.ui(UiStyle::Muted)));
    }
    Line::from(spans)
}

pub fn draw_incident_form(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    theme: &Theme,
    form: &IncidentForm,
) {
    let mut lines = Vec::new();
    for field in form.fields() {
        let focused = form.field == *field;
        let value = match field {
            FormField::Title => sanitize(&form.title).into_owned(),
            FormField::Severity => form.severity.as_str().to_string(),
            FormField::Status => form.status.as_str().to_string(),
            FormField::Impact => form.impact.as_str().to_string(),
            FormField::Components => sanitize(&form.components).into_owned(),
            FormField::Started if form.started.is_empty() && !focused => {
                form.started_placeholder(model.settings.time_zone)
            }
            FormField::Started => sanitize(&form.started).into_owned(),
        };
        let text_field = field.is_text();
        let shown = match (focused, text_field) {
            (true, true) => format!("{value}▏"),
            (true, false) => format!("‹ {value} ›"),
            (false, _) => value,
        };
        let hint_text = match field {
            FormField::Components if focused => "  comma-separated, e.g. api, web sites".into(),
            FormField::Started if focused => format!(
                "  {}; empty: {}",
                crate::tui::logic::when::FORMATS,
                form.started_placeholder(model.settings.time_zone)
            ),
            _ => String::new(),
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {:<11}", if focused { "▸" } else { " " }, field.label()),
                if focused {
                    theme.ui(UiStyle::Focus)
                } else {
                    theme.ui(UiStyle::Text)
                },
            ),
            Span::styled(
                shown,
                if focused {
                    theme.ui(UiStyle::Prompt)
                } else {
                    theme.ui(UiStyle::Text)
                },
            ),
            Span::styled(hint_text, theme.ui(UiStyle::Muted)),
        ]));
    }
    if form.sending {
        lines.push(Line::from(Span::styled(
            "saving…",
            theme.ui(UiStyle::Muted),
        )));
    }
    if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(
            sanitize(error).into_owned(),
            theme.ui(UiStyle::Error),
        )));
    }
    lines.push(Line::default());
    lines.push(hint(
        theme,
        &model.keymap,
        Context::Form,
        &[
            (Action::NextField, "next field"),
            (Action::ChoiceNext, "change"),
            (Action::Submit, "save"),
            (Action::Cancel, "cancel"),
        ],
    ));
    let title = match &form.editing {
        None => " Declare an incident ".to_string(),
        Some(incident) => format!(" Incident #{} ", incident.id),
    };
    modal(frame, area, theme, title, lines, 80);
}

/// `O`: the role (Tab), who gets it (typed, or ←/→ among the people in
/// the room), who holds each role now.
pub fn draw_role_form(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    theme: &Theme,
    form: &RoleForm,
) {
    use crate::model::IncidentRole;
    let muted = theme.ui(UiStyle::Muted);
    let text = theme.ui(UiStyle::Text);
    let mut roles = vec![Span::styled("role    ", muted)];
    for role in IncidentRole::ALL {
        let style = if role == form.role() {
            theme.ui(UiStyle::Selected)
        } else {
            text
        };
        roles.push(Span::styled(format!(" {} ", role.as_str()), style));
    }
    let holder = if form.holder.is_empty() {
        Span::styled("(empty: leave the role vacant)", muted)
    } else {
        Span::styled(sanitize(&form.holder).into_owned(), text)
    };
    let mut lines = vec![
        Line::from(roles),
        Line::from(vec![
            Span::styled("to      ", muted),
            holder,
            Span::styled("▏", theme.ui(UiStyle::Focus)),
        ]),
    ];
    let people = model.data.room.people();
    if !people.is_empty() {
        let names: Vec<String> = people
            .iter()
            .map(|p| sanitize(p.name).into_owned())
            .collect();
        lines.push(Line::from(Span::styled(
            format!("here    {}", names.join(", ")),
            muted,
        )));
    }
    lines.push(Line::default());
    let current = model
        .data
        .roles
        .as_ref()
        .filter(|r| r.incident_id == form.incident_id);
    for role in IncidentRole::ALL {
        let holder = current
            .and_then(|r| r.holder(role))
            .map(|h| sanitize(h).into_owned())
            .unwrap_or_else(|| "—".into());
        lines.push(Line::from(vec![
            Span::styled(format!("{:<20}", role.title()), muted),
            Span::styled(holder, text),
        ]));
    }
    lines.push(Line::default());
    lines.push(hint(
        theme,
        &model.keymap,
        Context::Form,
        &[
            (Action::NextField, "role"),
            (Action::ChoiceNext, "pick who is here"),
            (Action::Submit, "hand off"),
            (Action::Cancel, "close"),
        ],
    ));
    modal(
        frame,
        area,
        theme,
        format!(" Incident roles — #{} ", form.incident_id),
        lines,
        72,
    );
}

pub fn draw_switcher(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    theme: &Theme,
    switcher: &Switcher,
) {
    let zone = model.settings.time_zone;
    let current = model.data.incidents.current().map(|i| i.id);
    let rows = switcher_rows(&model.data.incidents);
    let mut lines: Vec<Line> = Vec::new();
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "no incidents yet: press i to declare one",
            theme.ui(UiStyle::Muted),
        )));
    }
    for (i, incident) in rows.iter().enumerate() {
        let style = if i == switcher.selected {
            theme.ui(UiStyle::Selected)
        } else {
            theme.ui(UiStyle::Text)
        };
        let state = match incident.state {
            IncidentState::Open => incident.status.as_str(),
            IncidentState::Resolved => "resolved",
        };
        lines.push(
            Line::from(vec![
                Span::raw(if Some(incident.id) == current {
                    "● "
                } else {
                    "  "
                }),
                Span::raw(format!("#{:<4} ", incident.id)),
                Span::styled(
                    format!("{} ", incident.severity.as_str()),
                    theme.incident(incident.severity),
                ),
                Span::raw(cell(&format!("{state} "), 14)),
                Span::raw(format!("{} ", clock(incident.started_at, zone))),
                Span::raw(sanitize(&incident.title).into_owned()),
            ])
            .style(style),
        );
    }
    lines.push(Line::default());
    lines.push(hint(
        theme,
        &model.keymap,
        Context::Form,
        &[
            (Action::Down, "choose"),
            (Action::Submit, "follow"),
            (Action::Cancel, "close"),
        ],
    ));
    modal(
        frame,
        area,
        theme,
        " Incidents — ● followed ".into(),
        lines,
        90,
    );
}

pub fn draw_confirm(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    theme: &Theme,
    confirm: &Confirm,
) {
    let lines = vec![
        Line::from(Span::styled(
            confirm.question.clone(),
            theme.ui(UiStyle::Text),
        )),
        Line::default(),
        hint(
            theme,
            &model.keymap,
            Context::Confirm,
            &[(Action::Yes, "yes"), (Action::No, "no")],
        ),
    ];
    modal(frame, area, theme, " Confirm ".into(), lines, 72);
}

pub fn draw_conflict(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    theme: &Theme,
    view: &ConflictView,
) {
    let muted = theme.ui(UiStyle::Muted);
    let text = theme.ui(UiStyle::Text);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "Entry #{} was changed by {} while you edited it.",
            view.theirs.id,
            sanitize(view.changed_by())
        ),
        theme.ui(UiStyle::Error),
    ))];
    lines.push(Line::default());
    lines.push(Line::from(Span::styled("Theirs (now saved):", muted)));
    for line in view.theirs.body.lines() {
        lines.push(Line::from(Span::styled(
            format!("  {}", sanitize(line)),
            text,
        )));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled("Yours:", muted)));
    if view.is_delete() {
        lines.push(Line::from(Span::styled("  delete the entry", text)));
    } else {
        match view.my_body() {
            Some(body) => {
                for line in body.lines() {
                    lines.push(Line::from(Span::styled(
                        format!("  {}", sanitize(line)),
                        text,
                    )));
                }
            }
            None => lines.push(Line::from(Span::styled(
                "  (a change of star, visibility, status or time)",
                text,
            ))),
        }
    }
    lines.push(Line::default());
    let mut keys = vec![
        (Action::KeepMine, "keep yours"),
        (Action::TakeTheirs, "take theirs"),
    ];
    if !view.is_delete() {
        keys.push((Action::Merge, "merge by hand"));
    }
    lines.push(hint(theme, &model.keymap, Context::Conflict, &keys));
    modal(frame, area, theme, " Conflict ".into(), lines, 90);
}
