//! `update(&mut Model, Msg) -> Vec<Effect>`: the only place the model
//! changes. No I/O: effects say what to fetch or write, and the event loop
//! runs them.

use chrono::TimeDelta;

use super::msg::{Effect, Loaded, Msg, Request};
use super::state::{LinkState, Model, SimClock};
use super::{input, writes};
use crate::client::StreamItem;
use crate::model::{Alert, Event, EventPayload};

/// How often the topology (for latency) and the simulator clock are re-read.
pub const REFRESH_EVERY: TimeDelta = TimeDelta::seconds(3);
/// How often alerts and incidents are re-read (events keep them current between).
pub const SLOW_REFRESH_EVERY: TimeDelta = TimeDelta::seconds(15);

/// Apply one message. Marks the model dirty when something visible changed
/// (see `Model::take_dirty`) and returns the work to do.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let mut effects = Vec::new();
    match msg {
        Msg::Start => {
            effects.push(Effect::Subscribe { since: None });
            effects.push(Effect::Fetch(Request::Role));
            effects.extend(fetch_all(model));
            if model.ui.mouse {
                effects.push(Effect::SetMouse(true));
            }
        }
        Msg::Tick(now) => tick(model, now, &mut effects),
        Msg::Key(key) => {
            input::key(model, key, &mut effects);
            model.settle();
        }
        Msg::Mouse(mouse) => {
            input::mouse(model, mouse);
            model.settle();
        }
        Msg::Resize(width, height) => {
            model.screen = (width, height);
            input::fit_lists(model);
            model.mark_dirty();
        }
        Msg::Terminate => model.quit = true,
        Msg::Stream(item) => stream(model, item, &mut effects),
        Msg::Loaded(loaded) => {
            model.link.last_data_at = Some(model.now);
            if model.link.error.is_some() && model.link.state == LinkState::Live {
                model.link.error = None;
            }
            loaded_data(model, loaded, &mut effects);
            model.mark_dirty();
        }
        Msg::Wrote(wrote) => {
            writes::wrote(model, wrote, &mut effects);
            input::fit_lists(model);
            model.mark_dirty();
        }
        Msg::Failed {
            request,
            error,
            code,
            unreachable,
        } => failed(model, request, error, code, unreachable),
        Msg::Exported {
            incident_id,
            result,
        } => match result {
            Ok(path) => model.toast(
                format!("postmortem of incident {incident_id} written to {path}"),
                false,
            ),
            Err(error) => model.toast(format!("postmortem not written: {error}"), true),
        },
    }
    effects
}

/// Everything the console shows, read afresh.
pub(super) fn fetch_all(model: &mut Model) -> Vec<Effect> {
    model.next_refresh = model.now + REFRESH_EVERY;
    model.next_slow_refresh = model.now + SLOW_REFRESH_EVERY;
    let mut effects = vec![
        Effect::Fetch(Request::Topology),
        Effect::Fetch(Request::Alerts),
        Effect::Fetch(Request::Incidents),
        Effect::Fetch(Request::Actions),
    ];
    if !model.sim_absent {
        effects.push(Effect::Fetch(Request::Sim));
    }
    if let Some(id) = model.incidents.timeline.incident_id {
        effects.push(Effect::Fetch(Request::Timeline(id)));
    }
    effects
}

fn tick(model: &mut Model, now: chrono::DateTime<chrono::Utc>, effects: &mut Vec<Effect>) {
    model.now = now;
    if now >= model.next_slow_refresh {
        effects.extend(fetch_all(model));
    } else if now >= model.next_refresh {
        model.next_refresh = now + REFRESH_EVERY;
        effects.push(Effect::Fetch(Request::Topology));
        if !model.sim_absent {
            effects.push(Effect::Fetch(Request::Sim));
        }
        if !model.pending.is_empty() {
            // The API may be back: try the journal's writes again.
            effects.push(Effect::Replay);
        }
    }
    if model.ui.toast.as_ref().is_some_and(|t| now >= t.until) {
        model.ui.toast = None;
    }
    let key = model.current_time_key();
    if key != model.time_key {
        model.time_key = key;
        model.mark_dirty();
    }
}

fn stream(model: &mut Model, item: StreamItem, effects: &mut Vec<Effect>) {
    match item {
        StreamItem::Connected { url, resumed } => {
            let other_replica =
                model.link.url.as_deref().is_some_and(|u| u != url) && model.fleet.loaded;
            model.link.state = LinkState::Live;
            model.link.url = Some(url);
            model.link.error = None;
            model.link.down_since = None;
            model.link.retry_at = None;
            if !model.pending.is_empty() {
                effects.push(Effect::Replay);
            }
            if !resumed || other_replica {
                // Events may have been missed, or versions belong to another
                // orchestrator: take the next snapshots whatever their version.
                model.force_snapshot = true;
                effects.extend(fetch_all(model));
            }
            model.mark_dirty();
        }
        StreamItem::Event(event) => {
            model.link.last_data_at = Some(model.now);
            model.link.last_seq = Some(event.seq);
            if model.link.state != LinkState::Live {
                model.link.state = LinkState::Live;
            }
            apply_event(model, *event, effects);
        }
        StreamItem::Disconnected { error, retry_in } => {
            if model.link.state != LinkState::Down {
                model.link.down_since = Some(model.now);
            }
            model.link.state = LinkState::Down;
            model.link.error = Some(error);
            model.link.retry_at =
                Some(model.now + TimeDelta::from_std(retry_in).unwrap_or(TimeDelta::zero()));
            model.mark_dirty();
        }
    }
}

/// Apply one event from the stream.
pub fn apply_event(model: &mut Model, event: Event, effects: &mut Vec<Effect>) {
    match event.payload {
        EventPayload::Health(health) => {
            if model.fleet.has_version(health.version) && !model.force_snapshot {
                return;
            }
            let applied = model.fleet.apply_health(&health);
            model.sites.note(applied);
            if applied.changed {
                model.mark_dirty();
            }
        }
        EventPayload::Topology(topology) => {
            if model.fleet.has_version(topology.version) && !model.force_snapshot {
                return;
            }
            let applied = model.fleet.apply_topology(&topology);
            model.sites.note(applied);
            model.mark_dirty();
        }
        EventPayload::Alert(alert) => {
            let (changed, news) = model.alerts.apply(alert);
            if let Some(alert) = news {
                notify(model, &alert, effects);
            }
            if changed {
                model.mark_dirty();
            }
        }
        EventPayload::Incident(incident) => {
            if model.incidents.apply(incident) {
                follow_incident(model, effects);
                model.mark_dirty();
            }
        }
        EventPayload::Timeline(entry) => {
            if model.incidents.timeline.apply(entry) {
                model.mark_dirty();
            }
        }
        EventPayload::Action(action) => {
            if model.actions.apply(*action) {
                model.mark_dirty();
            }
        }
    }
}

fn loaded_data(model: &mut Model, loaded: Loaded, effects: &mut Vec<Effect>) {
    match loaded {
        Loaded::Topology(topology) => {
            if model.force_snapshot
                || !model.fleet.loaded
                || topology.version >= model.fleet.topology.version
            {
                model.force_snapshot = false;
                model.fleet.replace(*topology);
                model.sites.mark_stale();
                input::fit_lists(model);
            } else {
                model.fleet.sample_latency(&topology);
            }
        }
        Loaded::Alerts(alerts) => {
            let (_, news) = model.alerts.replace(alerts);
            for alert in news {
                notify(model, &alert, effects);
            }
        }
        Loaded::Incidents(incidents) => {
            model.incidents.replace(incidents);
            follow_incident(model, effects);
        }
        Loaded::Timeline(timeline) => {
            model
                .incidents
                .timeline
                .replace(timeline.incident_id, timeline.entries);
        }
        Loaded::Actions(list) => {
            model.actions.replace(list);
        }
        Loaded::Role(role) => model.role = Some(role),
        Loaded::Sim(status) => {
            model.sim = Some(SimClock {
                status: *status,
                read_at: model.now,
            });
        }
    }
}

pub(super) fn follow_incident(model: &mut Model, effects: &mut Vec<Effect>) {
    if let Some(id) = model.incidents.timeline_due() {
        model.incidents.follow_current();
        model.ui.timeline = Default::default();
        effects.push(Effect::Fetch(Request::Timeline(id)));
    } else if model.incidents.current().is_none() && model.incidents.timeline.incident_id.is_some()
    {
        model.incidents.follow_current();
    }
}

fn notify(model: &Model, alert: &Alert, effects: &mut Vec<Effect>) {
    if model.ui.notify {
        effects.push(Effect::Notify {
            text: format!("warroom: {}", alert.message),
        });
    }
}

fn failed(
    model: &mut Model,
    request: Request,
    error: String,
    code: Option<crate::model::ErrorCode>,
    unreachable: bool,
) {
    if request == Request::Sim && code == Some(crate::model::ErrorCode::NoSimulator) {
        model.sim_absent = true;
        return;
    }
    let text = format!("loading {} failed: {error}", request.describe());
    tracing::warn!(%text);
    if unreachable {
        // The banner tells it; the stream decides whether the link is down.
        model.link.error = Some(error);
    } else {
        model.toast(text, true);
    }
    model.mark_dirty();
}
