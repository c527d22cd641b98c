//! Two lines at the top: what this is (demo badge, service, incident), and
//! where we are (clocks, API state and freshness, alert counts, who is here).

use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::{clock, minutes, seconds, zone_abbreviation};
use crate::model::{AlertSeverity, AutopilotMode, HealthState};
use crate::tui::data::LinkState;
use crate::tui::keymap::{Action, Context};
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::Model;
use crate::tui::theme::{Theme, UiStyle};

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme) {
    let wide = area.width >= 120;
    let lines = vec![
        identity_line(model, theme, wide),
        status_line(model, theme, wide),
    ];
    frame.render_widget(Paragraph::new(lines).style(theme.ui(UiStyle::Header)), area);
}

/// What this is: the demo badge, the incident (the most important thing on
/// the screen, so it comes first), the service.
fn identity_line<'a>(model: &'a Model, theme: &Theme, wide: bool) -> Line<'a> {
    let mut spans = Vec::new();
    let badge = theme.ui(UiStyle::Badge);
    let muted = theme.ui(UiStyle::Muted);
    // Whenever the API runs a simulator, not only in the demo: nothing on
    // this screen is a real fleet then.
    if model.settings.demo.is_some() {
        spans.push(Span::styled(" DEMO · SIMULATED ", badge));
        spans.push(Span::raw(" "));
    } else if model.data.sim.is_some() {
        spans.push(Span::styled(" SIMULATED ", badge));
        spans.push(Span::raw(" "));
    }
    if model.settings.read_only {
        spans.push(Span::styled(" READ-ONLY ", badge));
        spans.push(Span::raw(" "));
    }
    autopilot(model, theme, &mut spans);
    match model.data.incidents.current() {
        Some(incident) => {
            spans.push(Span::styled(
                format!(" {} ", incident.severity.as_str().to_uppercase()),
                theme.incident(incident.severity),
            ));
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                sanitize(&incident.title).into_owned(),
                theme.ui(UiStyle::Title),
            ));
            // A resolved incident's age is its length: it stops at resolution.
            let end = incident.resolved_at.unwrap_or_else(|| model.api_now());
            let elapsed = end - incident.started_at;
            spans.push(Span::styled(
                format!(" · {} · {}", incident.status.as_str(), minutes(elapsed)),
                theme.ui(UiStyle::Text),
            ));
            // The timeline book is in timeline order (occurred, recorded,
            // id): its last public update is the newest, found without
            // walking every entry each frame.
            let newest_public = model
                .data
                .incidents
                .timeline
                .entries
                .iter()
                .rev()
                .find(|e| crate::tui::logic::preview::is_public_status_update(e));
            if let Some(due) = crate::tui::logic::preview::next_update_due(
                incident,
                newest_public.map_or(&[][..], std::slice::from_ref),
                &model.settings.update_every,
            ) {
                let overdue = due <= model.api_now();
                spans.push(Span::styled(
                    format!(
                        " · {}",
                        crate::tui::logic::preview::countdown_text(due, model.api_now())
                    ),
                    if overdue {
                        theme.ui(UiStyle::Error)
                    } else {
                        muted
                    },
                ));
            }
            if let Some(roles) = model
                .data
                .roles
                .as_ref()
                .filter(|r| r.incident_id == incident.id)
            {
                for term in &roles.holders {
                    spans.push(Span::styled(format!(" · {} ", term.role.short()), muted));
                    spans.push(Span::styled(
                        sanitize(&term.holder).into_owned(),
                        theme.ui(UiStyle::Text),
                    ));
                }
            }
            if model.data.incidents.open.len() > 1 {
                spans.push(Span::styled(
                    format!(" (+{} open)", model.data.incidents.open.len() - 1),
                    muted,
                ));
            }
        }
        None if model.data.incidents.loaded => spans.push(Span::styled("no open incident", muted)),
        None => {}
    }
    // Writes the journal still holds (also those of an earlier run of the
    // console, and of an incident no longer followed) are never silent.
    if !model.data.pending.is_empty() {
        spans.push(Span::styled(
            format!(" · {} unsent", model.data.pending.len()),
            theme.ui(UiStyle::Error),
        ));
    }
    let service = &model.data.fleet.topology.service;
    if !service.is_empty() {
        spans.push(Span::styled(format!("  ─ {}", sanitize(service)), muted));
    }
    // Game days hide what is coming unless asked (`f`).
    if let Some(next) = model
        .data
        .sim
        .as_ref()
        .and_then(|s| s.status.next_steps.first())
        && wide
        && model.show_upcoming
    {
        let what = next.fault.map(|f| f.as_str()).unwrap_or("note");
        let target = next.target.as_deref().unwrap_or("");
        spans.push(Span::styled(
            format!(
                "  ─ next {} {what} {}",
                sanitize(&next.offset),
                sanitize(target)
            ),
            muted,
        ));
    }
    Line::from(spans)
}

/// Where we are: clocks, the API's state and freshness, the simulator,
/// alerts, and who is in the room.
fn status_line<'a>(model: &Model, theme: &Theme, wide: bool) -> Line<'a> {
    let muted = theme.ui(UiStyle::Muted);
    let text = theme.ui(UiStyle::Text);
    let zone = model.settings.time_zone;
    let separator = || Span::styled(" │ ", muted);
    // One clock: the orchestrator's (the simulator's when one runs), the
    // one every entry, alert and action on screen is stamped with.
    let now = model.api_now();
    let simulated = model.data.sim.is_some();
    let mut spans = vec![
        Span::styled(if simulated { "sim UTC " } else { "UTC " }, muted),
        Span::styled(clock(now, Tz::UTC), text),
    ];
    // A zone that is UTC anyway (Etc/UTC, Zulu…) would only repeat the first clock.
    let abbreviation = zone_abbreviation(now, zone);
    if abbreviation != "UTC" {
        if wide {
            spans.push(Span::styled(format!("  {} ", zone_label(zone)), muted));
        } else {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(clock(now, zone), text));
        spans.push(Span::styled(format!(" {abbreviation}"), muted));
    }
    spans.push(separator());
    spans.push(Span::styled("API ", muted));
    let (state, style) = match model.data.link.state {
        LinkState::Live if model.is_stale() => ("stale", theme.health(HealthState::Degraded)),
        LinkState::Live => ("live", theme.health(HealthState::Up)),
        LinkState::Connecting => ("connecting", theme.health(HealthState::Unknown)),
        LinkState::Down => ("down", theme.health(HealthState::Down)),
    };
    spans.push(Span::styled(state, style));
    if wide && let Some(url) = &model.data.link.url {
        let host = url
            .trim_start_matches("http://")
            .trim_start_matches("https://");
        spans.push(Span::styled(format!(" {}", sanitize(host)), muted));
    }
    if model.is_stale()
        && let Some(age) = model.data_age()
    {
        spans.push(Span::styled(
            format!(" · data {} old", seconds(age)),
            theme.ui(UiStyle::Error),
        ));
    }
    let replay = match (&model.data.sim, &model.settings.demo) {
        (Some(sim), _) => Some((sim.status.scenario.clone(), sim.status.speed)),
        (None, Some(demo)) => Some((demo.scenario.clone(), demo.speed)),
        (None, None) => None,
    };
    if let Some((scenario, speed)) = replay {
        spans.push(separator());
        let scenario = scenario
            .map(|s| format!("{} ", sanitize(&s)))
            .unwrap_or_default();
        spans.push(Span::styled(format!("{scenario}×{speed}"), muted));
    }
    let critical = model.data.alerts.count(AlertSeverity::Critical);
    let warning = model.data.alerts.count(AlertSeverity::Warning);
    if critical + warning > 0 {
        spans.push(separator());
        if critical > 0 {
            spans.push(Span::styled(
                format!("{critical} crit "),
                theme.alert(AlertSeverity::Critical),
            ));
        }
        if warning > 0 {
            spans.push(Span::styled(
                format!("{warning} warn"),
                theme.alert(AlertSeverity::Warning),
            ));
        }
    }
    // Last: on a narrow screen the clocks, the API state and the alerts
    // matter more than who else is here.
    room(model, theme, wide, &mut spans);
    Line::from(spans)
}

/// What the autopilot is doing, when it is on: it may act by itself, so it
/// comes before the incident. A commander sees the key that pauses it.
fn autopilot(model: &Model, theme: &Theme, spans: &mut Vec<Span<'_>>) {
    let Some(mode) = model.data.advice.autopilot_mode() else {
        return;
    };
    let (text, style, verb) = match mode {
        AutopilotMode::Active => (" AUTOPILOT ".to_string(), theme.ui(UiStyle::Badge), "pause"),
        AutopilotMode::DryRun => (
            " AUTOPILOT dry-run ".to_string(),
            theme.ui(UiStyle::Badge),
            "pause",
        ),
        AutopilotMode::Paused => {
            let by = model
                .data
                .advice
                .autopilot
                .as_ref()
                .and_then(|a| a.paused_by.as_deref())
                .map(|name| format!(" by {}", sanitize(name)))
                .unwrap_or_default();
            (
                format!(" AUTOPILOT PAUSED{by} "),
                theme.alert(AlertSeverity::Warning),
                "resume",
            )
        }
        AutopilotMode::Off => return,
    };
    spans.push(Span::styled(text, style));
    if model.action_block().is_none() {
        let key = model.keymap.hint(Context::Global, Action::PauseAutopilot);
        spans.push(Span::styled(format!(" {key}"), theme.ui(UiStyle::Key)));
        spans.push(Span::styled(format!(" {verb}"), theme.ui(UiStyle::Muted)));
    }
    spans.push(Span::raw(" "));
}

/// People named in the header at most; the rest are counted.
const ROOM_NAMES: usize = 4;

/// Who is in the room: each person once, with their token's role (short
/// on a narrow screen), `×2` for two consoles; the rest counted.
fn room(model: &Model, theme: &Theme, wide: bool, spans: &mut Vec<Span<'_>>) {
    let people = model.data.room.people();
    if people.is_empty() {
        return;
    }
    let muted = theme.ui(UiStyle::Muted);
    let text = theme.ui(UiStyle::Text);
    spans.push(Span::styled(" │ ", muted));
    spans.push(Span::styled("here ", muted));
    let named = if wide { ROOM_NAMES } else { 2 };
    for (i, person) in people.iter().take(named).enumerate() {
        if i > 0 {
            spans.push(Span::styled(", ", muted));
        }
        spans.push(Span::styled(sanitize(person.name).into_owned(), text));
        let role = if wide {
            person.role.as_str()
        } else {
            short_role(person.role)
        };
        let many = if person.consoles > 1 {
            format!(" ×{}", person.consoles)
        } else {
            String::new()
        };
        spans.push(Span::styled(format!(" {role}{many}"), muted));
    }
    if people.len() > named {
        spans.push(Span::styled(format!(" +{}", people.len() - named), muted));
    }
}

fn short_role(role: crate::model::AccessRole) -> &'static str {
    match role {
        crate::model::AccessRole::Viewer => "view",
        crate::model::AccessRole::Responder => "resp",
        crate::model::AccessRole::Commander => "cmd",
    }
}

/// The city of an IANA zone name (`America/Los_Angeles` -> `Los Angeles`).
fn zone_label(zone: Tz) -> String {
    let name = zone.name();
    name.rsplit('/').next().unwrap_or(name).replace('_', " ")
}
