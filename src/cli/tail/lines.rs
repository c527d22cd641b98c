//! The plain lines `warroom tail` prints, one small pure function per kind
//! of thing (the fleet's are in `fleet_lines`). Every line starts with
//! `HH:MM:SS` on the API's clock in the chosen zone; every string that came
//! from the API goes through [`sanitize`]; the only multi-line output is a
//! timeline body, whose continuation lines are indented by [`INDENT`].
//! Nothing here writes an escape sequence: the text is for screen readers,
//! slow links and pipes.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::model::{
    Action, ActionState, Alert, FollowUpKind, Incident, IncidentState, StepProgress, StepState,
    TimelineEntry,
};
use crate::tui::sanitize;

/// Continuation lines of a body start here: past `HH:MM:SS` and a margin.
pub const INDENT: &str = "           ";

/// `HH:MM:SS` of `at` in `zone`.
pub fn hms(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%H:%M:%S").to_string()
}

/// A line of tail's own words (never text from the API) at `at`.
pub fn said(at: DateTime<Utc>, zone: Tz, text: &str) -> String {
    format!("{} {text}", hms(at, zone))
}

pub fn clean(text: &str) -> String {
    sanitize(text).into_owned()
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A new (or re-opened) alert.
pub fn alert_line(alert: &Alert, at: DateTime<Utc>, zone: Tz) -> String {
    format!(
        "{} ALERT {} {} {}: {}",
        hms(at, zone),
        severity_word(alert),
        alert.kind.as_str(),
        clean(&alert.target),
        clean(&alert.message)
    )
}

/// An open alert whose severity changed.
pub fn alert_changed_line(alert: &Alert, at: DateTime<Utc>, zone: Tz) -> String {
    format!(
        "{} ALERT now {} {} {}: {}",
        hms(at, zone),
        severity_word(alert),
        alert.kind.as_str(),
        clean(&alert.target),
        clean(&alert.message)
    )
}

/// An alert that closed; how long it was open when that is known.
pub fn alert_cleared_line(alert: &Alert, at: DateTime<Utc>, zone: Tz) -> String {
    let open_for = alert
        .resolved_at
        .map(|end| format!(" after {}", span(end - alert.opened_at)))
        .unwrap_or_default();
    format!(
        "{} CLEARED {} {}{open_for}: {}",
        hms(at, zone),
        alert.kind.as_str(),
        clean(&alert.target),
        clean(&alert.message)
    )
}

fn severity_word(alert: &Alert) -> &'static str {
    match alert.severity {
        crate::model::AlertSeverity::Critical => "critical",
        crate::model::AlertSeverity::Warning => "warning",
        crate::model::AlertSeverity::Info => "info",
    }
}

/// `40s`, `15m`, `2h 05m`.
pub fn span(delta: TimeDelta) -> String {
    let secs = delta.num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// A timeline entry: kind, status or marker, visibility, author, its times,
/// then the whole body, continuation lines indented. `edited` says the entry
/// was printed before in another version.
pub fn entry_lines(entry: &TimelineEntry, zone: Tz, edited: bool) -> Vec<String> {
    if let Some(deleted) = entry.deleted_at {
        return vec![format!(
            "{} #{} deleted the {} by {} of {}",
            hms(deleted, zone),
            entry.incident_id,
            entry.kind.as_str(),
            clean(&entry.author),
            hms(entry.occurred_at, zone)
        )];
    }
    let mut head = format!("{} #{} ", hms(entry.occurred_at, zone), entry.incident_id);
    if edited {
        head.push_str("edited ");
    }
    head.push_str(entry.kind.as_str());
    if let Some(status) = entry.status {
        head.push(' ');
        head.push_str(status.as_str());
    }
    if let Some(marker) = entry.marker {
        head.push(' ');
        head.push_str(marker.as_str());
    }
    head.push_str(&format!(
        ", {}, by {}",
        match entry.visibility {
            crate::model::Visibility::Public => "public",
            crate::model::Visibility::Internal => "internal",
        },
        clean(&entry.author)
    ));
    if entry.starred {
        head.push_str(", starred");
    }
    // A back-dated entry (or one written offline) also says when it arrived.
    if (entry.recorded_at - entry.occurred_at).num_seconds().abs() >= 60 {
        head.push_str(&format!(", recorded {}", hms(entry.recorded_at, zone)));
    }
    if let Some(edited_at) = entry.edited_at {
        head.push_str(&format!(", edited {}", hms(edited_at, zone)));
    }
    with_body(head, &entry.body)
}

/// `head: first body line`, then the other body lines indented.
fn with_body(head: String, body: &str) -> Vec<String> {
    let mut body: Vec<String> = body
        .split('\n')
        .map(|line| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            clean(&line.replace('\t', "    ")).trim_end().to_string()
        })
        .collect();
    while body.last().is_some_and(|l| l.is_empty()) {
        body.pop();
    }
    let mut rest = body.into_iter();
    let mut lines = vec![match rest.next() {
        Some(first) => format!("{head}: {first}"),
        None => head,
    }];
    lines.extend(rest.map(|line| format!("{INDENT}{line}")));
    lines
}

/// An incident seen at start (open, or resolved when pinned), or declared
/// later when `declared`.
pub fn incident_line(incident: &Incident, at: DateTime<Utc>, zone: Tz, declared: bool) -> String {
    let state = match (declared, incident.state) {
        (true, _) => "declared",
        (false, IncidentState::Open) => "open",
        (false, IncidentState::Resolved) => "resolved",
    };
    format!(
        "{} incident #{} {state}: \"{}\", {}, {}, impact {}, started {}",
        hms(at, zone),
        incident.id,
        clean(&incident.title),
        incident.severity.as_str(),
        incident.status.as_str(),
        incident.impact.as_str(),
        hms(incident.started_at, zone)
    )
}

/// What changed in an incident: status, severity, impact, title,
/// components. `None` when none of those did.
pub fn incident_change_line(
    before: &Incident,
    after: &Incident,
    at: DateTime<Utc>,
    zone: Tz,
) -> Option<String> {
    let mut changes = Vec::new();
    if before.status != after.status {
        changes.push(format!(
            "status {} -> {}",
            before.status.as_str(),
            after.status.as_str()
        ));
    }
    if before.severity != after.severity {
        changes.push(format!(
            "severity {} -> {}",
            before.severity.as_str(),
            after.severity.as_str()
        ));
    }
    if before.impact != after.impact {
        changes.push(format!(
            "impact {} -> {}",
            before.impact.as_str(),
            after.impact.as_str()
        ));
    }
    if before.title != after.title {
        changes.push(format!("title was \"{}\"", clean(&before.title)));
    }
    if before.components != after.components {
        let list: Vec<String> = after
            .components
            .iter()
            .map(|c| format!("{} {}", clean(&c.name), c.status.as_str()))
            .collect();
        changes.push(format!(
            "components: {}",
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            }
        ));
    }
    if changes.is_empty() {
        return None;
    }
    Some(format!(
        "{} incident #{} \"{}\": {}",
        hms(at, zone),
        after.id,
        clean(&after.title),
        changes.join(", ")
    ))
}

fn action_name(action: &Action) -> String {
    match &action.target {
        Some(target) => format!("action {} {}", action.kind.as_str(), clean(target)),
        None => format!("action {}", action.kind.as_str()),
    }
}

/// Progress of an action since `before` (`None`: never seen): its start,
/// each step that started or ended other than by succeeding in turn, and
/// its result. Skipped steps are counted in the result, not listed.
pub fn action_lines(
    before: Option<&Action>,
    after: &Action,
    at: DateTime<Utc>,
    zone: Tz,
) -> Vec<String> {
    let name = action_name(after);
    let total = after.steps.len();
    let mut lines = Vec::new();
    if before.is_none() {
        lines.push(format!(
            "{} {name} started by {}{}: {} ({})",
            hms(after.started_at, zone),
            clean(&after.started_by),
            if after.automatic { " (automatic)" } else { "" },
            clean(&after.summary),
            plural(total, "step", "steps")
        ));
    }
    for (i, step) in after.steps.iter().enumerate() {
        let was = before
            .and_then(|b| b.steps.get(i))
            .map_or(StepState::Pending, |s| s.state);
        if let Some(line) = step_line(&name, i + 1, total, was, step, at, zone) {
            lines.push(line);
        }
    }
    let finished_before = before.is_some_and(|b| b.state.is_finished());
    if after.state.is_finished() && !finished_before {
        lines.push(result_line(&name, after, at, zone));
    }
    lines
}

fn step_line(
    name: &str,
    n: usize,
    total: usize,
    was: StepState,
    step: &StepProgress,
    at: DateTime<Utc>,
    zone: Tz,
) -> Option<String> {
    if step.state == was {
        return None;
    }
    let when = |t: Option<DateTime<Utc>>| hms(t.unwrap_or(at), zone);
    let head = |time: String| {
        format!(
            "{time} {name}: step {n}/{total} {}: {}",
            step_word(step.state),
            clean(&step.description)
        )
    };
    match step.state {
        StepState::Pending | StepState::Skipped => None,
        StepState::Running => Some(head(when(step.started_at))),
        // A success is implied by the next step starting, unless its
        // start was never seen.
        StepState::Succeeded if was == StepState::Running => None,
        StepState::Succeeded => Some(head(when(step.finished_at))),
        StepState::Failed | StepState::Aborted => {
            let mut line = head(when(step.finished_at));
            if let Some(error) = &step.error {
                line.push_str(&format!(" ({})", clean(error)));
            }
            Some(line)
        }
    }
}

fn step_word(state: StepState) -> &'static str {
    match state {
        StepState::Pending => "pending",
        StepState::Running => "running",
        StepState::Succeeded => "succeeded",
        StepState::Failed => "failed",
        StepState::Skipped => "skipped",
        StepState::Aborted => "aborted",
    }
}

fn result_line(name: &str, action: &Action, at: DateTime<Utc>, zone: Tz) -> String {
    let total = action.steps.len();
    let count = |s: StepState| action.steps.iter().filter(|p| p.state == s).count();
    let done = count(StepState::Succeeded);
    let skipped = count(StepState::Skipped);
    let mut text = format!(
        "{} {name} {}: {done}/{total} steps done",
        hms(action.finished_at.unwrap_or(at), zone),
        action.state.as_str()
    );
    if skipped > 0 {
        text.push_str(&format!(", {skipped} skipped"));
    }
    if matches!(action.state, ActionState::Failed | ActionState::Aborted)
        && let Some((i, step)) = action
            .steps
            .iter()
            .enumerate()
            .find(|(_, s)| matches!(s.state, StepState::Failed | StepState::Aborted))
    {
        text.push_str(&format!(
            "; step {}: {}",
            i + 1,
            clean(step.error.as_deref().unwrap_or("no reason given"))
        ));
    }
    if let Some(follow_up) = &action.follow_up {
        let what = match follow_up.kind {
            FollowUpKind::StaleClients => "stale cache connections",
            FollowUpKind::StuckBackends => "stuck backends",
        };
        text.push_str(&format!(
            "; {} {what} remain, cleared by {}",
            follow_up.count,
            follow_up.offer.kind.as_str()
        ));
    }
    text
}

/// The event stream dropped; the client tries again after `retry_in`
/// (at once, on the next URL, when that is zero).
/// A console joined or left the room (`presence` event).
pub fn presence_line(event: &crate::model::PresenceEvent, at: DateTime<Utc>, zone: Tz) -> String {
    use crate::model::PresenceChange;
    let what = match event.change {
        PresenceChange::Joined => "joined",
        PresenceChange::Left => "left",
        PresenceChange::Expired => "left (no heartbeat)",
    };
    format!(
        "{} {} ({}) {what}",
        hms(at, zone),
        clean(&event.presence.name),
        event.presence.role.as_str()
    )
}

pub fn connection_lost_line(
    error: &str,
    retry_in: std::time::Duration,
    at: DateTime<Utc>,
    zone: Tz,
) -> String {
    let retry = if retry_in.is_zero() {
        "retrying now".to_string()
    } else if retry_in < std::time::Duration::from_secs(1) {
        format!("retrying in {:.1}s", retry_in.as_secs_f64())
    } else {
        format!("retrying in {}s", retry_in.as_secs_f64().round())
    };
    format!(
        "{} connection lost: {}, {retry}",
        hms(at, zone),
        clean(error)
    )
}

/// Back on the stream; `resumed` is false when events may have been missed.
pub fn reconnected_line(url: &str, resumed: bool, at: DateTime<Utc>, zone: Tz) -> String {
    let tail = if resumed {
        ""
    } else {
        "; events may have been missed, reloading"
    };
    format!("{} reconnected to {}{tail}", hms(at, zone), clean(url))
}

#[cfg(test)]
#[path = "lines_tests.rs"]
mod tests;
