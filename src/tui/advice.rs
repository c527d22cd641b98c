//! The recommended plan and the autopilot, as the root handles them: when
//! to ask the API again, what its answers change, the key that opens the
//! recommended plan and the key that pauses or resumes the autopilot.
//! Part of the root; no I/O.

use chrono::{DateTime, TimeDelta, Utc};

use super::keymap::{Action, Context};
use super::model::Model;
use super::msg::{Effect, Request, WriteError};
use super::overlay::{Overlay, PlanModal};
use crate::model::{AutopilotMode, AutopilotStatus, AutopilotVerb, Recommendations};

/// The recommendations and the autopilot are read again this often even
/// without events: some advice comes with time alone (a home server that
/// has been stable long enough to fail back to), and another console may
/// pause the autopilot.
pub const ADVICE_REFRESH_EVERY: TimeDelta = TimeDelta::seconds(10);

/// Ask for both now (at start, after a reconnect or a gap, on `r`), also
/// when an earlier answer said the API has none: it may have been upgraded.
pub(super) fn fetch(model: &mut Model) -> Vec<Effect> {
    let advice = &mut model.data.advice;
    advice.due = false;
    advice.asked_at = Some(model.now);
    vec![
        Effect::Fetch(Request::Recommendations),
        Effect::Fetch(Request::Autopilot),
    ]
}

/// Something happened that may change the advice (an alert, the topology,
/// a server's health, an automatic decision): ask again now, or at the
/// next tick when the last ask was less than a second ago.
pub(super) fn changed(model: &mut Model, effects: &mut Vec<Effect>) {
    model.data.advice.due = true;
    ask_if_due(model, effects);
}

/// The clock moved from `before` to `model.now`.
pub(super) fn tick(model: &mut Model, before: DateTime<Utc>, effects: &mut Vec<Effect>) {
    let every = ADVICE_REFRESH_EVERY.num_seconds().max(1);
    if before.timestamp().div_euclid(every) != model.now.timestamp().div_euclid(every)
        && model.data.fleet.loaded
    {
        model.data.advice.due = true;
    }
    ask_if_due(model, effects);
}

fn ask_if_due(model: &mut Model, effects: &mut Vec<Effect>) {
    let advice = &mut model.data.advice;
    if !advice.ask_now(model.now) {
        return;
    }
    advice.due = false;
    advice.asked_at = Some(model.now);
    if !advice.absent {
        effects.push(Effect::Fetch(Request::Recommendations));
    }
    if !advice.autopilot_absent {
        effects.push(Effect::Fetch(Request::Autopilot));
    }
}

pub(super) fn loaded_recommendations(model: &mut Model, answer: Option<Recommendations>) {
    model.data.advice.replace(answer);
}

pub(super) fn loaded_autopilot(model: &mut Model, answer: Option<AutopilotStatus>) {
    model.data.advice.replace_autopilot(answer);
}

/// The recommended-plan key: the plan for the recommendation on screen,
/// through the usual preview and confirmation.
pub(super) fn open_recommended(model: &mut Model, effects: &mut Vec<Effect>) {
    if let Some(reason) = model.action_block() {
        return model.toast(format!("recommended plan: not allowed, {reason}"), true);
    }
    // What the user saw, not a newer answer that is not drawn yet.
    let Some(recommendation) = model.data.advice.shown.clone() else {
        let text = if model.data.advice.absent {
            "this orchestrator makes no recommendations"
        } else {
            "nothing is recommended now"
        };
        return model.toast(text, false);
    };
    let (modal, effect) = PlanModal::request(recommendation.request);
    effects.push(effect);
    model.ui.overlay = Overlay::Plan(Box::new(modal));
}

/// The autopilot key: pause it when it acts (or only records), resume it
/// when paused. When its status is not known yet the key pauses: stopping
/// automation is the safe way to be wrong.
pub(super) fn pause_or_resume(model: &mut Model, effects: &mut Vec<Effect>) {
    let advice = &model.data.advice;
    let verb = match advice.autopilot.as_ref().map(|a| a.mode) {
        Some(AutopilotMode::Paused) => AutopilotVerb::Resume,
        Some(AutopilotMode::Active | AutopilotMode::DryRun) => AutopilotVerb::Pause,
        Some(AutopilotMode::Off) => {
            return model.toast("the autopilot is off: there is nothing to pause", false);
        }
        None if advice.autopilot_absent => {
            return model.toast("this orchestrator has no autopilot", false);
        }
        None => AutopilotVerb::Pause,
    };
    let doing = match verb {
        AutopilotVerb::Pause => "pausing the autopilot",
        AutopilotVerb::Resume => "resuming the autopilot",
    };
    if let Some(reason) = model.action_block() {
        return model.toast(format!("{doing}: not allowed, {reason}"), true);
    }
    effects.push(Effect::CommandAutopilot(verb));
    model.toast(format!("{doing}…"), false);
}

/// The answer to a pause or resume.
pub(super) fn commanded(
    model: &mut Model,
    verb: AutopilotVerb,
    result: Result<Box<AutopilotStatus>, WriteError>,
) {
    match result {
        Ok(status) => {
            let key = model.keymap.hint(Context::Global, Action::PauseAutopilot);
            let text = match status.mode {
                AutopilotMode::Paused => {
                    format!("autopilot paused: it decides nothing until resumed ({key} resumes)")
                }
                AutopilotMode::Active => "autopilot resumed: it acts within its guardrails".into(),
                AutopilotMode::DryRun => {
                    "autopilot resumed in dry run: it records what it would do".into()
                }
                AutopilotMode::Off => "the autopilot is off".into(),
            };
            model.data.advice.replace_autopilot(Some(*status));
            model.toast(text, false);
        }
        Err(error) => {
            let what = match verb {
                AutopilotVerb::Pause => "paused",
                AutopilotVerb::Resume => "resumed",
            };
            let text = match error.status {
                Some(404) => {
                    model.data.advice.replace_autopilot(None);
                    "this orchestrator has no autopilot".to_string()
                }
                None => {
                    let key = model.keymap.hint(Context::Global, Action::PauseAutopilot);
                    format!(
                        "the autopilot was not {what}: {}; press {key} again",
                        error.message
                    )
                }
                Some(_) => format!("the autopilot was not {what}: {}", error.message),
            };
            model.toast(text, true);
        }
    }
}
