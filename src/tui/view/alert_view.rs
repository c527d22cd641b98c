//! An alert to work: what it says and since when, what it touches, its
//! runbook, whether someone is on it, and the keys that act on it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::centered;
use super::text::{clock, minutes as duration};
use crate::model::{Alert, AlertKind, Topology};
use crate::tui::keymap::{Action, Context};
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::Model;
use crate::tui::overlay::{AlertView, SILENCE_CHOICES};
use crate::tui::target::request_for_alert;
use crate::tui::theme::{Theme, UiStyle};

/// Ids listed before "and N more".
const LIST_AT_MOST: usize = 12;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme, view: &AlertView) {
    let label = theme.ui(UiStyle::Muted);
    let text = theme.ui(UiStyle::Text);
    let zone = model.settings.time_zone;
    let now = model.api_now();
    let (alert, open) = view.current(&model.data);
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<13}"), label),
            Span::styled(value, text),
        ])
    };
    let when = |t: chrono::DateTime<chrono::Utc>| {
        format!(
            "{} UTC · {} {}",
            clock(t, chrono_tz::UTC),
            clock(t, zone),
            zone.name()
        )
    };
    let key = |action: Action| model.keymap.hint(Context::Global, action);
    let mut lines = vec![
        field(
            "alert",
            format!(
                "{} · {}{}",
                format!("{:?}", alert.severity).to_lowercase(),
                alert.kind.as_str(),
                if open { "" } else { " · resolved" }
            ),
        ),
        field(
            "since",
            format!(
                "{} ({} ago)",
                when(alert.opened_at),
                duration((now - alert.opened_at).max(chrono::TimeDelta::zero()))
            ),
        ),
    ];
    lines.extend(
        affected(alert, &model.data.fleet.topology)
            .into_iter()
            .map(|(name, value)| field(name, value)),
    );
    lines.push(match &alert.acknowledged {
        Some(ack) => field(
            "acknowledged",
            format!("by {} at {}", sanitize(&ack.by), clock(ack.at, zone)),
        ),
        None => field(
            "acknowledged",
            format!("not yet ({} acknowledges)", key(Action::AckAlert)),
        ),
    });
    if let Some(silence) = alert.silenced.as_ref().filter(|_| alert.is_silenced(now)) {
        lines.push(field(
            "silenced",
            format!(
                "until {} by {}: {}",
                clock(silence.until, zone),
                sanitize(&silence.by),
                sanitize(&silence.reason)
            ),
        ));
    }
    if let Some(link) = &alert.runbook {
        lines.push(field("runbook", sanitize(link).into_owned()));
    }
    if let Some((action, request)) = request_for_alert(alert).filter(|_| open) {
        let target = request
            .target
            .as_deref()
            .map(|t| format!(" {}", sanitize(t)))
            .unwrap_or_default();
        lines.push(field(
            "suggested",
            format!(
                "{}{target}: press {}",
                request.kind.as_str().replace('_', " "),
                key(action)
            ),
        ));
    }
    lines.push(Line::default());
    lines.extend(
        alert
            .message
            .lines()
            .map(|l| Line::from(Span::styled(sanitize(l).into_owned(), text))),
    );
    if let Some(form) = &view.silence {
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled("silence for  ", label),
            Span::styled(
                format!(
                    "< {} >",
                    duration(chrono::TimeDelta::seconds(
                        i64::try_from(SILENCE_CHOICES[form.duration]).unwrap_or(0),
                    ))
                ),
                theme.ui(UiStyle::Focus),
            ),
        ]));
        lines.push(Line::from(vec![
            Span::styled("reason       ", label),
            Span::styled(format!("{}▏", sanitize(&form.reason)), text),
        ]));
        if let Some(error) = &form.error {
            lines.push(Line::from(Span::styled(
                error.clone(),
                theme.ui(UiStyle::Error),
            )));
        }
    }
    let hints = match &view.silence {
        Some(_) => format!(
            " {}/{} duration · type the reason · {} silence · {} back ",
            model.keymap.hint(Context::Form, Action::ChoicePrev),
            model.keymap.hint(Context::Form, Action::ChoiceNext),
            model.keymap.hint(Context::Form, Action::Submit),
            model.keymap.hint(Context::Form, Action::Cancel),
        ),
        None => format!(
            " {} acknowledge · {} silence · {}/{} scroll · any other key closes ",
            key(Action::AckAlert),
            key(Action::SilenceAlert),
            model.keymap.hint(Context::List, Action::Down),
            model.keymap.hint(Context::List, Action::Up)
        ),
    };
    let rect = centered(area, 100, area.height.saturating_sub(4));
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .border_style(theme.ui(UiStyle::Focus))
        .title(Span::styled(
            format!(" Alert {} ", sanitize(&alert.id)),
            theme.ui(UiStyle::Focus),
        ))
        .title_bottom(Span::styled(hints, label));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(view.scroll).unwrap_or(u16::MAX), 0)),
        rect,
    );
}

/// The nodes and sites the alert is about, from the topology.
fn affected(alert: &Alert, topology: &Topology) -> Vec<(&'static str, String)> {
    let servers: Vec<&str> = match alert.kind {
        AlertKind::SwitchSuspect => topology
            .servers
            .iter()
            .filter(|s| s.switch == alert.target)
            .map(|s| s.id.as_str())
            .collect(),
        _ if topology.servers.iter().any(|s| s.id == alert.target) => vec![alert.target.as_str()],
        _ => Vec::new(),
    };
    let sites: Vec<&str> = topology
        .sites
        .iter()
        .filter(|site| servers.contains(&site.server.as_str()))
        .map(|site| site.id.as_str())
        .collect();
    let mut out = Vec::new();
    if !servers.is_empty() {
        out.push(("nodes", listed(&servers)));
    }
    match alert.kind {
        AlertKind::CacheDown | AlertKind::StaleClients => {
            out.push(("sites", "every site that uses the cache".to_string()))
        }
        AlertKind::DatabaseDown | AlertKind::StuckBackends => {
            out.push(("sites", "every site that uses the database".to_string()))
        }
        _ if !sites.is_empty() => out.push(("sites", listed(&sites))),
        _ => {}
    }
    out
}

fn listed(ids: &[&str]) -> String {
    let shown: Vec<String> = ids
        .iter()
        .take(LIST_AT_MOST)
        .map(|id| sanitize(id).into_owned())
        .collect();
    let more = ids.len().saturating_sub(LIST_AT_MOST);
    let mut text = format!("{} · {}", ids.len(), shown.join(", "));
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}
