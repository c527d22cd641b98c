//! `update(&mut Model, Msg) -> Vec<Effect>`: the root, the only place the
//! model changes. It routes keys to the overlay on top (or the panes),
//! applies events and answers to the API mirror, offers write answers to
//! the overlay they belong to, and applies what components return. No
//! I/O: effects say what to fetch or write, and the event loop runs them.

use chrono::TimeDelta;
use crossterm::event::{KeyEvent, KeyEventKind};

use super::component::{Change, Next, Outcome};
use super::keymap::{Action, Context};
use super::keys::KeyChord;
use super::model::Model;
use super::msg::{Effect, Loaded, Msg, Request};
use super::overlay::{Confirm, OnYes, Overlay};
use super::{advice, commands, panes, replies};
use crate::client::StreamItem;
use crate::model::{Alert, Event, EventPayload};

/// How often the journal's pending writes are offered again while the API
/// seems away.
pub const REPLAY_EVERY: TimeDelta = TimeDelta::seconds(3);
/// The bell rings again this often while a critical alert is listed that
/// nobody acknowledged (acknowledge or silence it to stop it).
pub const REMIND_EVERY: TimeDelta = TimeDelta::minutes(2);
/// How often the latency of the servers on screen is read (the sparklines).
pub const LATENCY_EVERY: TimeDelta = TimeDelta::seconds(5);
/// How often the simulator's clock is read again (its speed can change).
pub const SIM_EVERY: TimeDelta = TimeDelta::seconds(15);

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
            self::key(model, key, &mut effects);
            model.settle();
        }
        Msg::Mouse(mouse) => {
            panes::mouse(model, mouse);
            model.settle();
        }
        Msg::Resize(width, height) => {
            model.screen = (width, height);
            panes::fit_lists(model);
            model.mark_dirty();
        }
        Msg::Terminate => model.quit = true,
        Msg::Stream(item) => stream(model, item, &mut effects),
        Msg::Loaded(loaded) => {
            model.data.link.last_data_at = Some(model.now);
            if model.data.link.error.is_some()
                && model.data.link.state == super::data::LinkState::Live
            {
                model.data.link.error = None;
            }
            loaded_data(model, loaded, &mut effects);
            model.mark_dirty();
        }
        Msg::Wrote(wrote) => {
            replies::wrote(model, wrote, &mut effects);
            panes::fit_lists(model);
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

fn key(model: &mut Model, event: KeyEvent, effects: &mut Vec<Effect>) {
    if event.kind == KeyEventKind::Release {
        return;
    }
    let Some(chord) = KeyChord::from_event(&event) else {
        return;
    };
    model.mark_dirty();
    if model.too_small() && !matches!(model.ui.overlay, Overlay::Confirm(_)) {
        // Only quitting makes sense on a screen too small to show anything.
        if model.keymap.action(Context::Global, &chord) == Some(Action::Quit) {
            ask_to_quit(model);
        }
        return;
    }
    // A quit chord with a modifier (ctrl-c) quits from every screen, and
    // asks first when something typed would be lost.
    let confirming = matches!(model.ui.overlay, Overlay::Confirm(_));
    if (chord.ctrl || chord.alt)
        && !confirming
        && model.keymap.action(Context::Global, &chord) == Some(Action::Quit)
    {
        return ask_to_quit(model);
    }
    if !model.ui.overlay.is_none() {
        let mut overlay = std::mem::replace(&mut model.ui.overlay, Overlay::None);
        let outcome = overlay.key(chord, event, &model.ctx());
        // Put it back; `apply` decides what stays.
        model.ui.overlay = overlay;
        apply(model, outcome, effects);
        return;
    }
    if model.sites.editing {
        return panes::filter_key(model, chord, &event);
    }
    if let Some(action) = model.keymap.action(Context::Global, &chord) {
        commands::run(model, action, effects);
    }
}

/// `q`: quit, or ask first when something typed would be lost, or when
/// a demo's incident (which lives in the demo's memory) would go with it.
pub(super) fn ask_to_quit(model: &mut Model) {
    let export = model.keymap.hint(Context::Global, Action::ExportPostmortem);
    let demo_incident = model
        .settings
        .demo
        .as_ref()
        .and(model.data.incidents.current())
        .map(|incident| incident.id);
    let loss = match (model.unsaved_work(), demo_incident) {
        (Some(what), None) => format!("Quit and lose {what}?"),
        (Some(what), Some(id)) => format!(
            "Quit and lose {what}? The demo's incident #{id} lives in memory and goes too ({export} first writes its postmortem to a file)."
        ),
        (None, Some(id)) => format!(
            "Quit the demo? Its incident #{id} lives in memory and goes with it ({export} first writes its postmortem to a file)."
        ),
        (None, None) => {
            model.quit = true;
            return;
        }
    };
    let under = std::mem::replace(&mut model.ui.overlay, Overlay::None);
    let yes = model.keymap.hint(Context::Confirm, Action::Yes);
    let no = model.keymap.hint(Context::Confirm, Action::No);
    model.ui.overlay = Overlay::Confirm(Confirm {
        question: format!("{loss} {yes} = quit, {no} = stay"),
        then: OnYes::Quit,
        done: "quitting".into(),
        under: (!under.is_none()).then(|| Box::new(under)),
    });
}

/// Apply what a component answered: its effects, its message, what
/// becomes of it, and the changes only the root may make.
pub(super) fn apply(model: &mut Model, outcome: Outcome<Overlay>, effects: &mut Vec<Effect>) {
    effects.extend(outcome.effects);
    if let Some(note) = outcome.note {
        model.show_note(note);
    }
    match outcome.next {
        Next::Keep => {}
        Next::Close => model.ui.overlay = Overlay::None,
        Next::Replace(next) => model.ui.overlay = next,
        Next::Hold => match std::mem::replace(&mut model.ui.overlay, Overlay::None) {
            Overlay::Plan(modal) => model.parked = Some(modal),
            Overlay::Compose(composer) => model.unsaved.push(composer),
            other => model.ui.overlay = other,
        },
    }
    for change in outcome.changes {
        match change {
            Change::FollowIncident(id) => {
                model.data.incidents.select(id);
                model.ui.timeline = Default::default();
                follow_incident(model, effects);
            }
            Change::RememberPlan(plan) => model.data.actions.remember(*plan),
            Change::Aborting(id) => model.aborting = Some(id),
            Change::Run(Action::Quit) => ask_to_quit(model),
            Change::Run(action) => commands::run(model, action, effects),
            Change::Quit => model.quit = true,
        }
    }
    replies::show_waiting(model);
    model.mark_dirty();
}

/// Everything the console shows, read afresh: at start, after a reconnect
/// or a gap in the stream, and on `r`. Between, events keep it current.
pub(super) fn fetch_all(model: &mut Model) -> Vec<Effect> {
    let mut effects = vec![
        Effect::Fetch(Request::Topology),
        Effect::Fetch(Request::Alerts),
        Effect::Fetch(Request::Incidents),
        Effect::Fetch(Request::Actions),
        Effect::Fetch(Request::Presence),
    ];
    if !model.data.sim_absent {
        effects.push(Effect::Fetch(Request::Sim));
    }
    if let Some(id) = model.data.incidents.timeline.incident_id {
        effects.push(Effect::Fetch(Request::Timeline(id)));
        effects.push(Effect::Fetch(Request::Roles(id)));
        effects.push(Effect::Fetch(Request::Downtime(id)));
    }
    effects.extend(advice::fetch(model));
    effects
}

fn tick(model: &mut Model, now: chrono::DateTime<chrono::Utc>, effects: &mut Vec<Effect>) {
    let before = model.now;
    model.now = now;
    let crossed = |every: TimeDelta| {
        let n = every.num_seconds().max(1);
        before.timestamp().div_euclid(n) != now.timestamp().div_euclid(n)
    };
    if crossed(SIM_EVERY) && !model.data.sim_absent && model.data.sim.is_some() {
        effects.push(Effect::Fetch(Request::Sim));
    }
    if crossed(LATENCY_EVERY)
        && model.data.fleet.loaded
        && model.data.link.state == super::data::LinkState::Live
    {
        let servers = panes::visible_servers(model);
        if !servers.is_empty() {
            effects.push(Effect::FetchLatency(servers));
        }
    }
    if crossed(REPLAY_EVERY) && !model.data.pending.is_empty() {
        // The API may be back: try the journal's writes again.
        effects.push(Effect::Replay);
    }
    if model.ui.toast.as_ref().is_some_and(|t| now >= t.until) {
        model.ui.toast = None;
    }
    if model.data.alerts.settle(model.data.api_now(now)) {
        model.data.group_alerts(now);
        panes::fit_lists(model);
        model.mark_dirty();
    }
    remind(model, now, effects);
    advice::tick(model, before, effects);
    let key = model.current_time_key();
    if key != model.time_key {
        model.time_key = key;
        model.mark_dirty();
    }
}

fn stream(model: &mut Model, item: StreamItem, effects: &mut Vec<Effect>) {
    use super::data::LinkState;
    match item {
        StreamItem::Connected { url, resumed } => {
            let link = &mut model.data.link;
            let other_replica =
                link.url.as_deref().is_some_and(|u| u != url) && model.data.fleet.loaded;
            link.state = LinkState::Live;
            link.url = Some(url);
            link.error = None;
            link.down_since = None;
            link.retry_at = None;
            if !model.data.pending.is_empty() {
                effects.push(Effect::Replay);
            }
            if !resumed || other_replica {
                effects.push(Effect::Heartbeat);
                // Events may have been missed, or versions belong to another
                // orchestrator: take the next snapshots whatever their version.
                model.data.force_snapshot = true;
                effects.extend(fetch_all(model));
            }
            model.mark_dirty();
        }
        StreamItem::Event(event) => {
            let link = &mut model.data.link;
            let gap = link.last_seq.is_some_and(|last| event.seq > last + 1);
            link.last_data_at = Some(model.now);
            link.last_seq = Some(event.seq);
            if link.state != LinkState::Live {
                link.state = LinkState::Live;
            }
            apply_event(model, *event, effects);
            if gap {
                // Something was missed: read everything once more.
                model.data.force_snapshot = true;
                effects.extend(fetch_all(model));
            }
        }
        StreamItem::Disconnected { error, retry_in } => {
            let link = &mut model.data.link;
            if link.state != LinkState::Down {
                link.down_since = Some(model.now);
            }
            link.state = LinkState::Down;
            link.error = Some(error);
            link.retry_at =
                Some(model.now + TimeDelta::from_std(retry_in).unwrap_or(TimeDelta::zero()));
            model.mark_dirty();
        }
    }
}

/// Apply one event from the stream.
pub fn apply_event(model: &mut Model, event: Event, effects: &mut Vec<Effect>) {
    let data = &mut model.data;
    match event.payload {
        EventPayload::Health(health) => {
            if data.fleet.has_version(health.version) && !data.force_snapshot {
                return;
            }
            let applied = data.fleet.apply_health(&health);
            model.sites.note(applied);
            if applied.changed {
                model.mark_dirty();
                advice::changed(model, effects);
            }
        }
        EventPayload::Topology(topology) => {
            if data.fleet.has_version(topology.version) && !data.force_snapshot {
                return;
            }
            let applied = data.fleet.apply_topology(&topology);
            model.sites.note(applied);
            model.mark_dirty();
            advice::changed(model, effects);
        }
        EventPayload::Alert(alert) => {
            let (changed, news) = data.alerts.apply(alert);
            data.group_alerts(model.now);
            if let Some(alert) = news {
                notify(model, &alert, effects);
            }
            if changed {
                model.mark_dirty();
                advice::changed(model, effects);
            }
        }
        EventPayload::Incident(incident) => {
            if data.incidents.apply(incident) {
                follow_incident(model, effects);
                model.mark_dirty();
            }
        }
        EventPayload::Timeline(entry) => {
            // A handoff: read who holds what now.
            if entry.kind == crate::model::EntryKind::Role
                && data.incidents.timeline.incident_id == Some(entry.incident_id)
            {
                effects.push(Effect::Fetch(Request::Roles(entry.incident_id)));
            }
            // An automatic decision (or a pause) changes what is advised.
            let automatic = entry.source == crate::model::Source::Autopilot;
            let follow = model
                .ui
                .timeline
                .at_bottom(data.incidents.timeline.entries.len());
            if data.incidents.timeline.apply(entry) {
                if follow {
                    panes::follow_newest_entry(model);
                }
                model.mark_dirty();
            }
            if automatic {
                advice::changed(model, effects);
            }
        }
        EventPayload::Action(action) => {
            if data.actions.apply(*action) {
                model.mark_dirty();
            }
        }
        EventPayload::Presence(presence) => {
            if data.room.apply(presence) {
                model.mark_dirty();
            }
        }
    }
}

fn loaded_data(model: &mut Model, loaded: Loaded, effects: &mut Vec<Effect>) {
    let data = &mut model.data;
    match loaded {
        Loaded::Topology(topology) => {
            if data.force_snapshot
                || !data.fleet.loaded
                || topology.version >= data.fleet.topology.version
            {
                data.force_snapshot = false;
                data.fleet.replace(*topology);
                data.group_alerts(model.now);
                model.sites.mark_stale();
                panes::fit_lists(model);
            } else {
                data.fleet.sample_latency(&topology);
            }
        }
        Loaded::Alerts(alerts) => {
            let (_, news) = data.alerts.replace(alerts);
            data.group_alerts(model.now);
            for alert in news {
                notify(model, &alert, effects);
            }
        }
        Loaded::Incidents(incidents) => {
            data.incidents.replace(incidents);
            follow_incident(model, effects);
        }
        Loaded::Timeline(timeline) => {
            data.incidents
                .timeline
                .replace(timeline.incident_id, timeline.entries);
            panes::follow_newest_entry(model);
        }
        Loaded::Actions(list) => {
            data.actions.replace(list);
        }
        Loaded::Role(role) => data.role = Some(role),
        Loaded::Presence(consoles) => data.room.replace(consoles),
        Loaded::Roles(roles) => {
            if data.incidents.timeline.incident_id == Some(roles.incident_id) {
                data.roles = Some(roles);
            }
        }
        Loaded::Downtime(downtime) => {
            if data.incidents.timeline.incident_id == Some(downtime.incident_id) {
                data.fleet.merge_downtime(&downtime);
            }
        }
        Loaded::Latency(latency) => data.fleet.sample_servers(&latency),
        Loaded::Recommendations(answer) => advice::loaded_recommendations(model, answer),
        Loaded::Autopilot(answer) => advice::loaded_autopilot(model, answer.map(|a| *a)),
        Loaded::Sim(status) => {
            data.sim = Some(super::data::SimClock {
                status: *status,
                read_at: model.now,
            });
        }
    }
}

pub(super) fn follow_incident(model: &mut Model, effects: &mut Vec<Effect>) {
    let incidents = &mut model.data.incidents;
    if let Some(id) = incidents.timeline_due() {
        incidents.follow_current();
        model.ui.timeline = Default::default();
        effects.push(Effect::Fetch(Request::Timeline(id)));
        effects.push(Effect::Fetch(Request::Roles(id)));
        effects.push(Effect::Fetch(Request::Downtime(id)));
    } else if incidents.current().is_none() && incidents.timeline.incident_id.is_some() {
        incidents.follow_current();
    }
}

/// Rings again every [`REMIND_EVERY`] while critical alerts wait for
/// someone to acknowledge them.
fn remind(model: &mut Model, now: chrono::DateTime<chrono::Utc>, effects: &mut Vec<Effect>) {
    let waiting = model.data.alerts.unacknowledged_critical();
    if waiting == 0 {
        model.ui.reminded_at = None;
        return;
    }
    let Some(since) = model.ui.reminded_at else {
        model.ui.reminded_at = Some(now);
        return;
    };
    if now - since >= REMIND_EVERY {
        model.ui.reminded_at = Some(now);
        if model.ui.notify {
            let ack = model.keymap.hint(Context::Global, Action::AckAlert);
            let text = if waiting == 1 {
                format!("warroom: a critical alert is not acknowledged (press {ack} on it)")
            } else {
                format!(
                    "warroom: {waiting} critical alerts are not acknowledged (press {ack} on each)"
                )
            };
            effects.push(Effect::Notify { text });
        }
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
        model.data.sim_absent = true;
        return;
    }
    let text = format!("loading {} failed: {error}", request.describe());
    if unreachable {
        // The banner tells it; the stream decides whether the link is down.
        model.data.link.error = Some(error);
    } else {
        model.toast(text, true);
    }
    model.mark_dirty();
}
