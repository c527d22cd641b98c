//! The plan modal (the plan, then the action running it, live) and the
//! one-line summary of the running action for the footer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph};

mod lines;

use lines::Lines;

use super::centered;
use super::text::{clock, minutes, seconds};
use crate::model::{Action, ActionState, HealthState, Plan, StepProgress, StepState};
use crate::tui::data::{follow_up_text, progress};
use crate::tui::keymap::Action as KeyAction;
use crate::tui::keymap::Context;
use crate::tui::logic::labels::{action_label, plan_label, request_label};
use crate::tui::logic::sanitize::sanitize;
use crate::tui::model::Model;
use crate::tui::overlay::{Origin, PlanModal, PlanStage as Stage, Refusal, Remedy};
use crate::tui::theme::{Theme, UiStyle};

/// The modal's widest text column.
const MAX_WIDTH: u16 = 110;
/// Lines of a step's output shown under it.
const OUTPUT_LINES: usize = 3;

pub fn draw(frame: &mut Frame, area: Rect, model: &Model, theme: &Theme, modal: &PlanModal) {
    let width = area.width.saturating_sub(4).min(MAX_WIDTH);
    // Borders and one column of padding each side.
    let text_width = usize::from(width.saturating_sub(4)).max(20);
    let body = body(model, theme, modal, text_width);
    let footer = footer(model, theme, modal, text_width);
    let wanted = body.len() + footer.len() + 3;
    let height = u16::try_from(wanted)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);

    let body_rows = usize::from(rect.height.saturating_sub(3)).saturating_sub(footer.len());
    let scroll = modal.scroll.min(body.len().saturating_sub(body_rows));
    let mut block = Block::bordered()
        .border_style(theme.ui(UiStyle::Focus))
        .padding(Padding::horizontal(1))
        .title(Span::styled(
            format!(" {} ", title(model, modal)),
            theme.ui(UiStyle::Focus),
        ));
    if body.len() > body_rows {
        let last = (scroll + body_rows).min(body.len());
        block = block.title_bottom(Span::styled(
            format!(
                " {}–{last} of {} · {}/{} scroll ",
                scroll + 1,
                body.len(),
                model.keymap.hint(Context::Modal, KeyAction::Down),
                model.keymap.hint(Context::Modal, KeyAction::Up)
            ),
            theme.ui(UiStyle::Muted),
        ));
    }
    let inner = block.inner(rect);
    frame.render_widget(block, rect);

    let footer_rows = u16::try_from(footer.len())
        .unwrap_or(u16::MAX)
        .min(inner.height);
    let body_area = Rect {
        height: inner.height.saturating_sub(footer_rows + 1),
        ..inner
    };
    let footer_area = Rect {
        y: inner.bottom().saturating_sub(footer_rows),
        height: footer_rows,
        ..inner
    };
    let shown: Vec<Line> = body.into_iter().skip(scroll).take(body_rows).collect();
    frame.render_widget(Paragraph::new(shown), body_area);
    frame.render_widget(Paragraph::new(footer), footer_area);
}

/// One line on the running action (or the one waiting for its follow-up),
/// e.g. "▶ evacuate_server app-04: step 2/19 · 1/17 sites moved"; `None`
/// when neither exists.
pub fn status_line(model: &Model, theme: &Theme) -> Option<Line<'static>> {
    let key = theme.ui(UiStyle::Key);
    let text = theme.ui(UiStyle::Text);
    if let Some(action) = model.data.actions.running() {
        let p = progress(action, model.data.actions.plan_for(action));
        let mut spans = vec![
            Span::styled("▶ ", theme.ui(UiStyle::Prompt)),
            Span::styled(sanitize(&action_label(action)).into_owned(), text),
            Span::styled(format!(": step {}/{}", p.step(), p.total), text),
        ];
        if let Some((moved, all)) = p.sites {
            spans.push(Span::styled(format!(" · {moved}/{all} sites moved"), text));
        }
        if p.failed > 0 {
            spans.push(Span::styled(
                format!(" · {} failed", p.failed),
                theme.ui(UiStyle::Error),
            ));
        }
        return Some(Line::from(spans));
    }
    let action = model.data.actions.needing_follow_up()?;
    let follow_up = action.follow_up.as_ref()?;
    Some(Line::from(vec![
        Span::styled("⚠ ", theme.health(HealthState::Degraded)),
        Span::styled(sanitize(&action_label(action)).into_owned(), text),
        Span::styled(
            format!(": {}", sanitize(&follow_up_text(follow_up))),
            theme.health(HealthState::Degraded),
        ),
        Span::styled(" · ", text),
        Span::styled(
            model.keymap.hint(Context::Global, KeyAction::ShowAction),
            key,
        ),
        Span::styled(", then ", theme.ui(UiStyle::Muted)),
        Span::styled("f", key),
        Span::styled(
            format!(": {}", request_label(&follow_up.offer)),
            theme.ui(UiStyle::Muted),
        ),
    ]))
}

fn title(model: &Model, modal: &PlanModal) -> String {
    let what = match (&modal.stage, &modal.plan, &modal.origin) {
        (Stage::Following { action_id }, _, _) => {
            let label = model
                .data
                .actions
                .get(action_id)
                .map_or_else(|| action_id.clone(), action_label);
            return sanitize(&format!("Action · {label}")).into_owned();
        }
        (_, Some(plan), _) => plan_label(plan),
        (_, None, Origin::Request(request)) => request_label(request),
        (_, None, Origin::Undo { action_id }) => format!("undo {action_id}"),
        (_, None, Origin::Watch) => String::new(),
    };
    sanitize(&format!("Plan · {what}")).into_owned()
}

/// The scrolling part: the plan, or the action following it.
fn body(model: &Model, theme: &Theme, modal: &PlanModal, width: usize) -> Vec<Line<'static>> {
    let mut out = Lines::new(theme, width);
    match (&modal.stage, &modal.plan) {
        (Stage::Planning, _) => {
            let what = match &modal.origin {
                Origin::Undo { action_id } => format!("the reverse of action {action_id}"),
                Origin::Request(request) => request_label(request),
                Origin::Watch => String::new(),
            };
            out.text(format!("Planning {what}…"), theme.ui(UiStyle::Muted));
        }
        (Stage::NoPlan(refusal), _) => {
            out.wrapped("", &refusal.headline, theme.ui(UiStyle::Error));
            if refusal.error.status.is_some() {
                out.wrapped("", &refusal.error.message, theme.ui(UiStyle::Text));
            }
        }
        (Stage::Following { action_id }, plan) => match model.data.actions.get(action_id) {
            Some(action) => action_body(&mut out, model, action, plan.as_ref()),
            None => out.text(
                format!("waiting for news of action {action_id}…"),
                theme.ui(UiStyle::Muted),
            ),
        },
        (_, Some(plan)) => plan_body(&mut out, model, plan),
        (_, None) => {}
    }
    out.lines
}

fn plan_body(out: &mut Lines, model: &Model, plan: &Plan) {
    let theme = out.theme;
    let (text, muted, error) = (
        theme.ui(UiStyle::Text),
        theme.ui(UiStyle::Muted),
        theme.ui(UiStyle::Error),
    );
    out.wrapped("", &plan.summary, theme.ui(UiStyle::Title));
    let zone = model.settings.time_zone;
    let left = plan.expires_at - model.api_now();
    let expiry = if left.num_seconds() > 0 {
        format!(
            "expires {} (in {})",
            clock(plan.expires_at, zone),
            seconds(left)
        )
    } else {
        format!(
            "expired at {}: press r to plan again",
            clock(plan.expires_at, zone)
        )
    };
    out.text(
        format!(
            "scope {} · topology v{} · plan {} · {expiry}",
            plan.scope, plan.topology_version, plan.id
        ),
        muted,
    );
    if let Some(risk) = &plan.risk {
        out.wrapped("RISK: ", risk, error);
    }
    if let Some(confirm) = &plan.confirm {
        out.text(
            format!("To run it you will type the target's id, {confirm}."),
            error,
        );
    }

    if !plan.placements.is_empty() {
        out.heading(format!("Placements ({})", plan.placements.len()));
        for p in &plan.placements {
            out.text(format!("  {}: {} → {}", p.site, p.from, p.to), text);
        }
    }
    if !plan.unplaceable.is_empty() {
        out.heading(format!("Cannot place ({})", plan.unplaceable.len()));
        for u in &plan.unplaceable {
            out.wrapped(
                "  ",
                &format!("{} (on {}): {}", u.site, u.from, u.reason),
                error,
            );
        }
    }
    if !plan.warnings.is_empty() {
        out.heading(format!("Warnings ({})", plan.warnings.len()));
        for warning in &plan.warnings {
            out.wrapped("  ! ", warning, theme.health(HealthState::Degraded));
        }
    }
    if !plan.offers.is_empty() {
        out.heading("Offers".to_string());
        for (i, offer) in plan.offers.iter().enumerate().take(9) {
            let key = if i == 0 {
                "o/1".to_string()
            } else {
                (i + 1).to_string()
            };
            out.line(vec![
                Span::raw("  "),
                Span::styled(format!("{key:<4}"), theme.ui(UiStyle::Key)),
                Span::styled(sanitize(&request_label(offer)).into_owned(), text),
            ]);
        }
    }
    out.heading(format!("Steps ({})", plan.steps.len()));
    for (i, step) in plan.steps.iter().enumerate() {
        out.wrapped(
            &format!("{:>4}. ", i + 1),
            &format!("{} · {} s", step.description, step.deadline_s),
            text,
        );
    }
}

fn action_body(out: &mut Lines, model: &Model, action: &Action, plan: Option<&Plan>) {
    let theme = out.theme;
    let (text, muted) = (theme.ui(UiStyle::Text), theme.ui(UiStyle::Muted));
    let zone = model.settings.time_zone;
    let state_style = state_style(theme, action.state);
    let took = action.finished_at.unwrap_or_else(|| model.api_now()) - action.started_at;
    out.line(vec![
        Span::styled(
            format!("{} {}", state_glyph(action.state), action.state.as_str()),
            state_style,
        ),
        Span::styled(
            sanitize(&format!(
                " · started {} by {} ({}) · action {}",
                clock(action.started_at, zone),
                action.started_by,
                minutes(took),
                action.id
            ))
            .into_owned(),
            muted,
        ),
    ]);
    out.wrapped("", &action.summary, theme.ui(UiStyle::Title));

    let p = progress(action, plan);
    let mut counts = format!("step {}/{} · {} done", p.step(), p.total, p.done);
    if let Some((moved, all)) = p.sites {
        counts.push_str(&format!(" · {moved}/{all} sites moved"));
    }
    if p.failed > 0 {
        counts.push_str(&format!(" · {} failed", p.failed));
    }
    out.text(counts, text);

    if let Some(follow_up) = &action.follow_up
        && action.state == ActionState::NeedsFollowUp
    {
        out.wrapped(
            "Follow-up: ",
            &format!(
                "{}. Press f to plan {}.",
                follow_up_text(follow_up),
                request_label(&follow_up.offer)
            ),
            theme.health(HealthState::Degraded),
        );
    }
    if let Some(result) = result_text(action, &p, took, still_down(plan, model)) {
        out.wrapped("Result: ", &result, state_style);
    }

    out.heading("Steps".to_string());
    for step in &action.steps {
        step_lines(out, step);
    }
}

fn step_lines(out: &mut Lines, step: &StepProgress) {
    let theme = out.theme;
    let style = match step.state {
        StepState::Pending | StepState::Skipped => theme.ui(UiStyle::Muted),
        StepState::Running => theme.ui(UiStyle::Prompt),
        StepState::Succeeded => theme.ui(UiStyle::Text),
        StepState::Failed => theme.ui(UiStyle::Error),
        StepState::Aborted => theme.health(HealthState::Degraded),
    };
    let glyph = match step.state {
        StepState::Pending => "·",
        StepState::Running => "▶",
        StepState::Succeeded => "✓",
        StepState::Failed => "✗",
        StepState::Skipped => "–",
        StepState::Aborted => "■",
    };
    out.wrapped(
        &format!("{glyph} {:>3}. ", step.index + 1),
        &step.description,
        style,
    );
    if let Some(error) = &step.error {
        out.wrapped("        error: ", error, theme.ui(UiStyle::Error));
    }
    if let Some(output) = &step.output {
        for line in output
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(OUTPUT_LINES)
        {
            out.wrapped("        │ ", line, theme.ui(UiStyle::Muted));
        }
    }
}

/// The sites the plan moved or restarted that are down now: what the
/// action has not (yet) achieved.
fn still_down(plan: Option<&crate::model::Plan>, model: &Model) -> Vec<String> {
    let Some(plan) = plan else {
        return Vec::new();
    };
    let topology = &model.data.fleet.topology;
    plan.steps
        .iter()
        .filter_map(|step| match &step.op {
            crate::model::StepOp::MoveSite { site, .. }
            | crate::model::StepOp::RestartSite { site } => Some(site),
            _ => None,
        })
        .filter(|id| {
            topology
                .sites
                .iter()
                .any(|s| &s.id == *id && s.health.state == HealthState::Down)
        })
        .map(|id| sanitize(id).into_owned())
        .collect()
}

/// What the action achieved, in words: "succeeded in 3m05s: 15 of 17
/// sites moved; 2 still down: site-052, site-060".
fn result_text(
    action: &Action,
    p: &crate::tui::data::Progress,
    took: chrono::TimeDelta,
    still_down: Vec<String>,
) -> Option<String> {
    let achieved = {
        let mut text = String::new();
        if let Some((moved, all)) = p.sites {
            text.push_str(&format!(": {moved} of {all} sites moved"));
        }
        if !still_down.is_empty() {
            let shown: Vec<&str> = still_down.iter().take(5).map(String::as_str).collect();
            let more = still_down.len().saturating_sub(shown.len());
            text.push_str(&format!(
                "; {} still down: {}{}",
                still_down.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        text
    };
    let first_error = || {
        action
            .steps
            .iter()
            .find(|s| s.state == StepState::Failed)
            .map(|s| {
                format!(
                    "step {} ({}) failed: {}",
                    s.index + 1,
                    s.description,
                    s.error.as_deref().unwrap_or("no reason given")
                )
            })
    };
    match action.state {
        ActionState::Running => None,
        ActionState::Succeeded => Some(format!("succeeded in {}{achieved}", seconds(took))),
        ActionState::NeedsFollowUp => Some(format!(
            "every step done in {}{achieved}; not finished until the follow-up is cleared",
            seconds(took)
        )),
        ActionState::Failed => {
            Some(first_error().unwrap_or_else(|| "failed before its first step".into()))
        }
        ActionState::Aborted => Some(format!(
            "aborted after {} of {} steps",
            p.done + p.failed,
            p.total
        )),
        ActionState::Interrupted => Some(format!(
            "interrupted (the orchestrator restarted or another replica took over) after {} of {} steps",
            p.done + p.failed,
            p.total
        )),
    }
}

fn state_glyph(state: ActionState) -> &'static str {
    match state {
        ActionState::Running => "▶",
        ActionState::Succeeded => "✓",
        ActionState::Failed => "✗",
        ActionState::Aborted | ActionState::Interrupted => "■",
        ActionState::NeedsFollowUp => "⚠",
    }
}

fn state_style(theme: &Theme, state: ActionState) -> Style {
    match state {
        ActionState::Running => theme.ui(UiStyle::Prompt),
        ActionState::Succeeded => theme.health(HealthState::Up),
        ActionState::Failed => theme.ui(UiStyle::Error),
        ActionState::Aborted | ActionState::Interrupted | ActionState::NeedsFollowUp => {
            theme.health(HealthState::Degraded)
        }
    }
}

/// The fixed part under the body: what went wrong, the confirmation
/// input, and the keys that work now.
fn footer(model: &Model, theme: &Theme, modal: &PlanModal, width: usize) -> Vec<Line<'static>> {
    let mut out = Lines::new(theme, width);
    let mut keys: Vec<(String, &str)> = Vec::new();
    let k = |action| model.keymap.hint(Context::Modal, action);
    let offers = modal.plan.as_ref().map_or(0, |p| p.offers.len());
    let replan = !matches!(modal.origin, Origin::Watch);
    match &modal.stage {
        Stage::Planning => {}
        Stage::NoPlan(refusal) => {
            if refusal.remedy == Remedy::Replan {
                keys.push((k(KeyAction::Replan), "try again"));
            }
        }
        Stage::Review => {
            let run = if modal.plan.as_ref().is_some_and(|p| p.confirm.is_some()) {
                "confirm and execute"
            } else {
                "execute"
            };
            keys.push((k(KeyAction::Execute), run));
            if offers > 0 {
                keys.push((k(KeyAction::TakeOffer), "take the first offer"));
            }
            if replan {
                keys.push((k(KeyAction::Replan), "plan again"));
            }
        }
        Stage::Confirm { typed, wrong } => {
            let expected = modal
                .plan
                .as_ref()
                .and_then(|p| p.confirm.as_deref())
                .unwrap_or("");
            out.text(
                format!("Type {expected} to confirm this forced failover:"),
                theme.ui(UiStyle::Error),
            );
            out.line(vec![
                Span::styled("> ", theme.ui(UiStyle::Prompt)),
                Span::styled(sanitize(typed).into_owned(), theme.ui(UiStyle::Prompt)),
                Span::styled("▏", theme.ui(UiStyle::Prompt)),
            ]);
            if let Some(wrong) = wrong {
                out.wrapped("", wrong, theme.ui(UiStyle::Error));
            }
            keys.push((k(KeyAction::Execute), "execute"));
            keys.push((k(KeyAction::Close), "back"));
        }
        Stage::Sending { key, .. } => {
            let short: String = key.chars().take(8).collect();
            out.text(
                format!("Sending… (Idempotency-Key {short}…)"),
                theme.ui(UiStyle::Muted),
            );
            keys.push((k(KeyAction::Close), "hide"));
        }
        Stage::Refused { refusal, .. } => {
            refusal_lines(&mut out, refusal);
            match refusal.remedy {
                Remedy::Resend => keys.push((k(KeyAction::Execute), "retry (same key)")),
                Remedy::Confirm => keys.push((k(KeyAction::Execute), "type the id")),
                Remedy::AcknowledgeCooldown => {
                    keys.push((k(KeyAction::AcknowledgeCooldown), "acknowledge and run"))
                }
                Remedy::Replan | Remedy::None => {}
            }
            if refusal.remedy != Remedy::Resend && replan {
                keys.push((k(KeyAction::Replan), "plan again"));
            }
            if refusal.error.status == Some(423) {
                keys.push((
                    model.keymap.hint(Context::Modal, KeyAction::AbortAction),
                    "abort the other",
                ));
            }
        }
        Stage::Following { action_id } => {
            match model.data.actions.get(action_id).map(|a| a.state) {
                Some(ActionState::Running) => {
                    keys.push((
                        model.keymap.hint(Context::Modal, KeyAction::AbortAction),
                        "abort",
                    ));
                    keys.push((k(KeyAction::Close), "hide (it continues)"));
                }
                Some(ActionState::NeedsFollowUp) => {
                    keys.push((k(KeyAction::FollowUp), "plan the follow-up"))
                }
                // Offered only when this action is the one undo would reverse.
                Some(_)
                    if model
                        .data
                        .actions
                        .undoable()
                        .is_ok_and(|a| &a.id == action_id)
                        && model.action_block().is_none() =>
                {
                    keys.push((
                        model.keymap.hint(Context::Global, KeyAction::UndoAction),
                        "undo (after Esc)",
                    ))
                }
                Some(_) | None => {}
            }
        }
    }
    // While something is in flight Esc hides instead (said above).
    if !modal.is_live(&model.data) && !modal.confirming() {
        keys.push((k(KeyAction::Close), "close"));
    }
    let mut spans = Vec::new();
    for (key, label) in keys {
        spans.push(Span::styled(key, theme.ui(UiStyle::Key)));
        spans.push(Span::styled(
            format!(" {label}  "),
            theme.ui(UiStyle::Muted),
        ));
    }
    out.line(spans);
    out.lines
}

fn refusal_lines(out: &mut Lines, refusal: &Refusal) {
    let theme = out.theme;
    out.wrapped("", &refusal.headline, theme.ui(UiStyle::Error));
    // The API's sentence names the action, scope or time involved.
    if refusal.error.status.is_some_and(|s| s != 403) {
        out.wrapped("", &refusal.error.message, theme.ui(UiStyle::Text));
    }
}
