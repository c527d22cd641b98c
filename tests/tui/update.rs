//! The console's `update`: a message in, the model (and effects) out.

use crate::support::console::*;
use crate::support::demo_model::*;
use chrono::TimeDelta;
use crossterm::event::KeyCode;
use warroom::client::StreamItem;
use warroom::model::{
    AlertKind, AlertSeverity, ComponentKind, EntryKind, HealthState, SwitchHealth,
};
use warroom::tui::{
    Action, Banner, Context, Effect, Keymap, LinkState, Loaded, Model, Msg, Overlay, Override,
    Pane, Request, ServerRow, Settings, SiteSort, update,
};

fn site<'a>(model: &'a Model, id: &str) -> &'a warroom::model::Site {
    model.data.fleet.site(id).expect("site exists")
}

fn shown_ids(model: &Model) -> Vec<String> {
    model
        .sites
        .order()
        .iter()
        .map(|&i| model.data.fleet.topology.sites[i].id.clone())
        .collect()
}

fn notifications(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Notify { .. }))
        .count()
}

#[test]
fn a_health_event_changes_the_server() {
    let mut model = demo_model(120, 40);
    assert_eq!(
        model.data.fleet.server("app-01").map(|s| s.health.state),
        Some(HealthState::Up)
    );
    model.take_dirty();
    send(
        &mut model,
        health_event(1, 200, ComponentKind::Server, "app-01", HealthState::Down),
    );
    assert_eq!(
        model.data.fleet.server("app-01").map(|s| s.health.state),
        Some(HealthState::Down)
    );
    assert!(model.take_dirty(), "a visible change must be drawn");
    assert_eq!(model.data.link.last_seq, Some(1));
}

#[test]
fn a_site_event_changes_counts_and_downtime() {
    let mut model = demo_model(120, 40);
    let down_before = model.data.fleet.counts.get(HealthState::Down);
    assert_eq!(site(&model, "site-002").down_since, None);
    send(
        &mut model,
        health_event(1, 200, ComponentKind::Site, "site-002", HealthState::Down),
    );
    assert_eq!(site(&model, "site-002").health.state, HealthState::Down);
    assert_eq!(site(&model, "site-002").down_since, Some(fixed_now()));
    assert_eq!(
        model.data.fleet.counts.get(HealthState::Down),
        down_before + 1
    );

    send(
        &mut model,
        health_event(2, 201, ComponentKind::Site, "site-002", HealthState::Up),
    );
    assert_eq!(
        site(&model, "site-002").down_since,
        None,
        "an up site has no outage"
    );
    assert_eq!(model.data.fleet.counts.get(HealthState::Down), down_before);
}

#[test]
fn a_switch_event_makes_it_suspect() {
    let mut model = demo_model(120, 40);
    send(
        &mut model,
        health_event(1, 200, ComponentKind::Switch, "sw-3", HealthState::Degraded),
    );
    let switch = model
        .data
        .fleet
        .topology
        .switches
        .iter()
        .find(|s| s.id == "sw-3")
        .expect("sw-3");
    assert_eq!(switch.health, SwitchHealth::Suspect);
}

#[test]
fn events_already_in_the_snapshot_are_skipped() {
    let mut model = demo_model(120, 40);
    let version = model.data.fleet.topology.version;
    send(
        &mut model,
        health_event(
            1,
            version,
            ComponentKind::Server,
            "app-01",
            HealthState::Down,
        ),
    );
    assert_eq!(
        model.data.fleet.server("app-01").map(|s| s.health.state),
        Some(HealthState::Up)
    );
}

#[test]
fn events_of_one_detection_round_all_apply() {
    // The orchestrator gives a server's change and its sites' changes one version.
    let mut model = demo_model(120, 40);
    let version = model.data.fleet.topology.version + 1;
    let on_app_04: Vec<String> = model
        .data
        .fleet
        .topology
        .sites
        .iter()
        .filter(|s| s.server == "app-04")
        .map(|s| s.id.clone())
        .collect();
    assert!(!on_app_04.is_empty());
    let mut seq = 1;
    send(
        &mut model,
        health_event(
            seq,
            version,
            ComponentKind::Server,
            "app-04",
            HealthState::Down,
        ),
    );
    for id in &on_app_04 {
        seq += 1;
        send(
            &mut model,
            health_event(seq, version, ComponentKind::Site, id, HealthState::Down),
        );
    }
    for id in &on_app_04 {
        assert_eq!(site(&model, id).health.state, HealthState::Down, "{id}");
    }
}

#[test]
fn health_sort_follows_events() {
    let mut model = demo_model(120, 40);
    model.sites.sort = SiteSort::Health;
    model.sites.mark_stale();
    model.settle();
    send(
        &mut model,
        health_event(1, 200, ComponentKind::Site, "site-150", HealthState::Down),
    );
    model.settle();
    let first_up = shown_ids(&model)
        .iter()
        .position(|id| site(&model, id).health.state == HealthState::Up)
        .expect("some up");
    let position = shown_ids(&model)
        .iter()
        .position(|id| id == "site-150")
        .expect("shown");
    assert!(
        position < first_up,
        "a newly down site sorts before every up site"
    );
}

#[test]
fn filter_typing_narrows_the_sites() {
    let mut model = demo_model(120, 40);
    send(&mut model, char_key('/'));
    assert!(model.sites.editing);
    assert_eq!(model.ui.focus, Pane::Sites);
    for c in "brew".chars() {
        send(&mut model, char_key(c));
    }
    assert_eq!(model.sites.filter(), "brew");
    let shown = shown_ids(&model);
    assert!(!shown.is_empty() && shown.len() < model.data.fleet.topology.sites.len());
    assert!(
        shown
            .iter()
            .all(|id| site(&model, id).name.to_lowercase().contains("brew"))
    );

    // While typing, keys are text: 'q' does not quit.
    send(&mut model, char_key('q'));
    assert!(!model.quit);
    send(&mut model, key(KeyCode::Backspace));
    send(&mut model, key(KeyCode::Enter));
    assert!(!model.sites.editing);
    assert_eq!(model.sites.filter(), "brew");

    send(&mut model, char_key('/'));
    send(&mut model, key(KeyCode::Esc));
    assert_eq!(model.sites.filter(), "");
    assert_eq!(
        shown_ids(&model).len(),
        model.data.fleet.topology.sites.len()
    );
}

#[test]
fn filter_terms_match_state_and_server() {
    let mut model = demo_model(120, 40);
    send(&mut model, char_key('/'));
    for c in "is:down on:app-04".chars() {
        send(&mut model, char_key(c));
    }
    let shown = shown_ids(&model);
    assert_eq!(shown.len(), 16, "app-04's sites but the one moved to fo-1");
    assert!(shown.iter().all(|id| site(&model, id).server == "app-04"));
}

#[test]
fn the_filter_finds_sites_by_home_server_and_says_when_a_state_is_unknown() {
    let mut model = demo_model(120, 40);
    send(&mut model, char_key('/'));
    for c in "home:app-04".chars() {
        send(&mut model, char_key(c));
    }
    let shown = shown_ids(&model);
    assert_eq!(
        shown.len(),
        17,
        "every site that belongs on app-04, the moved one too"
    );
    assert!(shown.iter().any(|id| site(&model, id).server != "app-04"));
    assert!(model.sites.filter_problem().is_none());

    let mut model = demo_model(120, 40);
    send(&mut model, char_key('/'));
    for c in "is:broken".chars() {
        send(&mut model, char_key(c));
    }
    let problem = model.sites.filter_problem().expect("a problem");
    assert!(
        problem.contains("is:broken is not a state") && problem.contains("is:down"),
        "{problem}"
    );
    let screen = screen_text(&render(&model, &warroom::tui::Theme::default(), 120, 40));
    assert!(screen.contains("is:broken is not a state"), "{screen}");
}

#[test]
fn tab_cycles_the_panes_both_ways() {
    let mut model = demo_model(120, 40);
    assert_eq!(model.ui.focus, Pane::Servers);
    let mut seen = Vec::new();
    for _ in 0..4 {
        send(&mut model, key(KeyCode::Tab));
        seen.push(model.ui.focus);
    }
    assert_eq!(
        seen,
        vec![Pane::Sites, Pane::Alerts, Pane::Timeline, Pane::Servers]
    );
    send(&mut model, key(KeyCode::BackTab));
    assert_eq!(model.ui.focus, Pane::Timeline);
    send(&mut model, char_key('2'));
    assert_eq!(model.ui.focus, Pane::Sites);
}

#[test]
fn selection_moves_and_stays_in_bounds() {
    let mut model = demo_model(120, 40);
    send(&mut model, char_key('2'));
    send(&mut model, char_key('j'));
    send(&mut model, key(KeyCode::Down));
    assert_eq!(model.sites.list.selected, 2);
    send(&mut model, char_key('G'));
    assert_eq!(
        model.sites.list.selected,
        model.data.fleet.topology.sites.len() - 1
    );
    assert!(
        model.sites.list.offset > 0,
        "the last row is scrolled into view"
    );
    send(&mut model, char_key('j'));
    assert_eq!(
        model.sites.list.selected,
        model.data.fleet.topology.sites.len() - 1
    );
    send(&mut model, char_key('g'));
    assert_eq!((model.sites.list.selected, model.sites.list.offset), (0, 0));
}

#[test]
fn disconnect_shows_the_banner_and_marks_data_stale() {
    let mut model = demo_model(120, 40);
    assert_eq!(model.banner(), None);
    assert!(!model.is_stale());
    send(
        &mut model,
        Msg::Stream(StreamItem::Disconnected {
            error: "cannot reach http://127.0.0.1:7700".into(),
            retry_in: std::time::Duration::from_secs(4),
        }),
    );
    assert_eq!(model.data.link.state, LinkState::Down);
    assert!(model.is_stale());
    send(&mut model, Msg::Tick(fixed_now() + TimeDelta::seconds(30)));
    match model.banner() {
        Some(Banner::ApiDown { age, error, .. }) => {
            assert_eq!(age, Some(TimeDelta::seconds(30)));
            assert!(error.contains("cannot reach"));
        }
        other => panic!("expected the API-down banner, got {other:?}"),
    }
    // Back again: the banner goes once data arrives.
    connected(&mut model);
    send(
        &mut model,
        Msg::Loaded(Loaded::Topology(Box::new(demo_topology(9)))),
    );
    assert_eq!(model.banner(), None);
    assert!(!model.is_stale());
}

#[test]
fn silence_while_connected_goes_stale() {
    let mut model = demo_model(120, 40);
    send(&mut model, Msg::Tick(fixed_now() + TimeDelta::seconds(25)));
    assert!(matches!(model.banner(), Some(Banner::Stale { .. })));
}

#[test]
fn reconnecting_to_another_replica_refetches_everything() {
    let mut model = demo_model(120, 40);
    let effects = send(
        &mut model,
        Msg::Stream(StreamItem::Connected {
            url: "http://10.0.0.2:7700".into(),
            resumed: true,
        }),
    );
    assert!(effects.contains(&Effect::Fetch(Request::Topology)));
    assert!(model.data.force_snapshot);
    // A snapshot from the other orchestrator is taken even with a lower version.
    let mut older = demo_topology(0);
    older.version = 3;
    older.servers[0].admin = warroom::model::Admin::Maint;
    send(&mut model, Msg::Loaded(Loaded::Topology(Box::new(older))));
    assert_eq!(model.data.fleet.topology.version, 3);
}

#[test]
fn the_bell_rings_only_for_new_critical_alerts() {
    let mut model = demo_model(120, 40);
    // demo_model loaded two critical alerts in its first snapshot: no bell for those.
    let known = demo_alerts()[0].clone();
    assert_eq!(
        notifications(&send(&mut model, alert_event(1, known.clone()))),
        0
    );

    let fresh = alert(
        AlertKind::CacheDown,
        AlertSeverity::Critical,
        "cache-1",
        "cache node cache-1 is down",
        fixed_now(),
    );
    let effects = send(&mut model, alert_event(2, fresh.clone()));
    assert_eq!(notifications(&effects), 1);
    assert!(matches!(&effects[0], Effect::Notify { text } if text.contains("cache-1 is down")));
    assert_eq!(
        notifications(&send(&mut model, alert_event(3, fresh.clone()))),
        0,
        "same alert again"
    );

    let warning = alert(
        AlertKind::StaleClients,
        AlertSeverity::Warning,
        "cache",
        "3 stale clients",
        fixed_now(),
    );
    assert_eq!(
        notifications(&send(&mut model, alert_event(4, warning))),
        0,
        "not critical"
    );

    let mut resolved = fresh.clone();
    resolved.resolved_at = Some(fixed_now());
    send(&mut model, alert_event(5, resolved));
    assert!(model.data.alerts.open.iter().all(|a| a.id != fresh.id));
    assert_eq!(
        notifications(&send(&mut model, alert_event(6, fresh.clone()))),
        1,
        "opened again is new"
    );

    // A snapshot with an alert we never saw rings too.
    let other = alert(
        AlertKind::DatabaseDown,
        AlertSeverity::Critical,
        "db-1",
        "db-1 down",
        fixed_now(),
    );
    let mut alerts = demo_alerts();
    alerts.push(other);
    assert_eq!(
        notifications(&send(&mut model, Msg::Loaded(Loaded::Alerts(alerts)))),
        1
    );
}

#[test]
fn the_bell_can_be_turned_off() {
    let mut model = demo_model(120, 40);
    send(&mut model, char_key('N'));
    assert!(!model.ui.notify);
    let fresh = alert(
        AlertKind::CacheDown,
        AlertSeverity::Critical,
        "cache-1",
        "down",
        fixed_now(),
    );
    assert_eq!(notifications(&send(&mut model, alert_event(1, fresh))), 0);
}

#[test]
fn ticks_redraw_only_when_visible_time_text_changes() {
    let mut model = demo_model(120, 40);
    // The fixture's sim clock runs at 60x: its minute changes every real second.
    model.data.sim = None;
    send(&mut model, Msg::Tick(fixed_now()));
    model.take_dirty();
    send(&mut model, Msg::Tick(fixed_now() + TimeDelta::seconds(1)));
    assert!(!model.take_dirty(), "nothing on screen shows seconds");
    send(&mut model, Msg::Tick(fixed_now() + TimeDelta::seconds(60)));
    assert!(model.take_dirty(), "the clocks show a new minute");
}

#[test]
fn ticks_never_poll_the_topology_but_a_gap_in_the_stream_refetches_it() {
    let mut model = demo_model(120, 40);
    for seconds in [4, 20, 60, 600] {
        let effects = send(
            &mut model,
            Msg::Tick(fixed_now() + TimeDelta::seconds(seconds)),
        );
        assert!(
            !effects.contains(&Effect::Fetch(Request::Topology)),
            "events keep the fleet current: no polling ({seconds} s)"
        );
    }
    let version = model.data.fleet.topology.version;
    let next = |seq: i64, version: u64| {
        health_event(
            seq,
            version,
            ComponentKind::Server,
            "app-01",
            HealthState::Down,
        )
    };
    let effects = send(&mut model, next(1, version + 1));
    assert!(!effects.contains(&Effect::Fetch(Request::Topology)));
    let effects = send(&mut model, next(2, version + 2));
    assert!(
        !effects.contains(&Effect::Fetch(Request::Topology)),
        "no gap"
    );
    let effects = send(&mut model, next(9, version + 3));
    assert!(
        effects.contains(&Effect::Fetch(Request::Topology)),
        "events 3..8 were missed: the topology is read again"
    );
}

#[test]
fn latency_samples_feed_the_sparkline() {
    let model = demo_model(120, 40);
    let index = model.data.fleet.server_position("app-01").expect("app-01");
    assert_eq!(model.data.fleet.latency[index].len(), 8);
    let down = model.data.fleet.server_position("app-04").expect("app-04");
    assert!(model.data.fleet.latency[down].iter().all(Option::is_none));
}

#[test]
fn help_and_palette_open_and_close() {
    let mut model = demo_model(120, 40);
    send(&mut model, char_key('?'));
    assert!(matches!(model.ui.overlay, Overlay::Help { .. }));
    send(&mut model, key(KeyCode::Esc));
    assert!(model.ui.overlay.is_none());

    send(&mut model, char_key(':'));
    for c in "refr".chars() {
        send(&mut model, char_key(c));
    }
    let effects = send(&mut model, key(KeyCode::Enter));
    assert!(model.ui.overlay.is_none());
    assert!(
        effects.contains(&Effect::Fetch(Request::Topology)),
        "the palette ran refresh"
    );
}

#[test]
fn q_quits_and_mouse_toggles() {
    let mut model = demo_model(120, 40);
    let effects = send(&mut model, char_key('M'));
    assert_eq!(effects, vec![Effect::SetMouse(false)]);
    assert!(!model.ui.mouse);
    send(&mut model, char_key('q'));
    // The demo's incident lives in memory: quitting says so first.
    let Overlay::Confirm(confirm) = &model.ui.overlay else {
        panic!("quitting the demo asks first: {:?}", model.ui.overlay);
    };
    assert!(
        confirm.question.contains("lives in memory") && confirm.question.contains("X first writes"),
        "{}",
        confirm.question
    );
    send(&mut model, char_key('n'));
    assert!(!model.quit && model.ui.overlay.is_none(), "n stays");
    send(&mut model, char_key('q'));
    send(&mut model, char_key('y'));
    assert!(model.quit);
}

#[test]
fn rebound_keys_are_used() {
    let keymap = Keymap::with_overrides(&[
        Override::new(None, "x", "quit"),
        Override::new(None, "q", "unbound"),
    ])
    .expect("valid");
    let mut model = Model::new(Settings::default(), keymap, false, false, fixed_now());
    update(&mut model, Msg::Resize(100, 30));
    update(&mut model, char_key('q'));
    assert!(!model.quit);
    update(&mut model, char_key('x'));
    assert!(model.quit);
    assert_eq!(model.keymap.hint(Context::Global, Action::Quit), "x");
}

#[test]
fn a_too_small_terminal_still_quits() {
    let mut model = demo_model(60, 20);
    send(&mut model, char_key('?'));
    assert!(
        model.ui.overlay.is_none(),
        "nothing opens on a too-small screen"
    );
    send(&mut model, char_key('q'));
    assert!(!model.quit, "the demo's incident: asked first, even here");
    assert!(
        screen_text(&render(&model, &warroom::tui::Theme::default(), 60, 20))
            .contains("Quit the demo?"),
        "the question shows on the small screen"
    );
    send(&mut model, char_key('y'));
    assert!(model.quit);
}

#[test]
fn the_timeline_holds_five_thousand_entries_in_order() {
    let mut model = demo_model(120, 40);
    let entries: Vec<_> = (0..5000)
        .map(|i| entry(i + 10, (5000 - i) / 50, EntryKind::Note, "note"))
        .collect();
    send(
        &mut model,
        Msg::Loaded(Loaded::Timeline(warroom::model::Timeline {
            incident_id: 7,
            entries,
        })),
    );
    assert_eq!(model.data.incidents.timeline.entries.len(), 5000);
    let late = entry(99_999, 1000, EntryKind::Note, "back-dated");
    send(
        &mut model,
        Msg::Stream(StreamItem::Event(Box::new(warroom::model::Event {
            seq: 1,
            at: fixed_now(),
            payload: warroom::model::EventPayload::Timeline(late),
        }))),
    );
    let entries = &model.data.incidents.timeline.entries;
    assert_eq!(entries.len(), 5001);
    assert_eq!(
        entries[0].id, 99_999,
        "a back-dated entry sorts by when it happened"
    );
    assert!(
        entries
            .windows(2)
            .all(|w| w[0].occurred_at <= w[1].occurred_at)
    );
}

#[test]
fn a_new_incident_loads_its_timeline() {
    let mut model = empty_model();
    connected(&mut model);
    let effects = send(
        &mut model,
        Msg::Loaded(Loaded::Incidents(vec![demo_incident()])),
    );
    assert!(effects.contains(&Effect::Fetch(Request::Timeline(7))));
    assert_eq!(model.data.incidents.current().map(|i| i.id), Some(7));
}

/// A real fleet has no simulator: the console stops asking for it, and
/// tells nobody, when the API says so by its code. Any other refusal of
/// the simulator's status is shown, whatever its message says.
#[test]
fn only_the_no_simulator_code_stops_the_simulator_requests() {
    use warroom::model::ErrorCode;
    let asks_for_sim = |effects: &[Effect]| effects.contains(&Effect::Fetch(Request::Sim));

    let mut model = demo_model(120, 40);
    send(
        &mut model,
        Msg::Failed {
            request: Request::Sim,
            error: "internal error while reading no_simulator state (500 internal)".into(),
            code: Some(ErrorCode::Internal),
            unreachable: false,
        },
    );
    assert!(!model.data.sim_absent);
    let toast = model.ui.toast.as_ref().expect("the failure is shown");
    assert!(
        toast.error && toast.text.contains("500 internal"),
        "{}",
        toast.text
    );
    let effects = send(&mut model, Msg::Tick(fixed_now() + TimeDelta::seconds(600)));
    assert!(asks_for_sim(&effects), "{effects:?}");

    let mut model = demo_model(120, 40);
    send(
        &mut model,
        Msg::Failed {
            request: Request::Sim,
            error: "this orchestrator watches a real fleet; no simulator runs (404 no_simulator)"
                .into(),
            code: Some(ErrorCode::NoSimulator),
            unreachable: false,
        },
    );
    assert!(model.data.sim_absent);
    assert!(model.ui.toast.is_none(), "{:?}", model.ui.toast);
    let effects = send(&mut model, Msg::Tick(fixed_now() + TimeDelta::seconds(600)));
    assert!(!asks_for_sim(&effects), "{effects:?}");
}

/// The switches in the order the servers pane lists them, and how many rows
/// each takes (its header plus the servers shown under it).
fn switch_rows(model: &Model) -> Vec<(String, usize)> {
    let topology = &model.data.fleet.topology;
    let mut out: Vec<(String, usize)> = Vec::new();
    for row in &model.data.fleet.server_rows {
        match row {
            ServerRow::Switch(i) => {
                out.push((i.map_or("?".into(), |i| topology.switches[i].id.clone()), 1))
            }
            ServerRow::Server(_) => {
                if let Some(last) = out.last_mut() {
                    last.1 += 1;
                }
            }
        }
    }
    out
}

#[test]
fn switches_with_trouble_come_first_and_healthy_ones_fold() {
    let mut model = demo_model(120, 40);
    let rows = switch_rows(&model);
    assert_eq!(rows[0].0, "sw-2", "the suspect switch leads: {rows:?}");

    send(&mut model, char_key('z'));
    let folded = switch_rows(&model);
    assert!(
        folded[0].1 > 1,
        "a switch with trouble stays unfolded: {folded:?}"
    );
    assert!(
        folded[1..].iter().all(|(_, n)| *n == 1),
        "healthy switches are one row each: {folded:?}"
    );

    // A server behind sw-1 fails: sw-1 joins the switches with trouble,
    // unfolded, ahead of the healthy ones.
    let version = model.data.fleet.topology.version + 1;
    send(
        &mut model,
        health_event(
            1,
            version,
            ComponentKind::Server,
            "app-01",
            HealthState::Down,
        ),
    );
    let after = switch_rows(&model);
    let at = after.iter().position(|(id, _)| id == "sw-1").expect("sw-1");
    assert!(at <= 1, "sw-1 moved up: {after:?}");
    assert!(after[at].1 > 1, "sw-1's servers are shown: {after:?}");

    send(&mut model, char_key('z'));
    assert!(
        switch_rows(&model).iter().all(|(_, n)| *n > 1),
        "unfolded again: every switch lists its servers"
    );
}

#[test]
fn the_sparklines_sample_only_the_servers_on_screen() {
    let mut model = demo_model(120, 40);
    model.data.link.state = LinkState::Live;
    let effects = send(&mut model, Msg::Tick(fixed_now() + TimeDelta::seconds(5)));
    let asked = effects
        .iter()
        .find_map(|e| match e {
            Effect::FetchLatency(servers) => Some(servers.clone()),
            _ => None,
        })
        .expect("a latency read every 5 s");
    assert!(!asked.is_empty() && asked.len() <= 40, "{asked:?}");
    assert!(
        asked.iter().all(|id| model.data.fleet.server(id).is_some()),
        "{asked:?}"
    );
    assert!(
        !effects.contains(&Effect::Fetch(Request::Topology)),
        "never the whole topology"
    );

    let index = model.data.fleet.server_position("app-01").expect("app-01");
    let before = model.data.fleet.latency[index].len();
    let latency = [("app-01".to_string(), Some(77.0))].into_iter().collect();
    send(&mut model, Msg::Loaded(Loaded::Latency(latency)));
    assert_eq!(
        model.data.fleet.latency[index].len(),
        (before + 1).min(warroom::tui::LATENCY_SAMPLES)
    );
    assert_eq!(model.data.fleet.latency[index].back(), Some(&Some(77.0)));
    assert_eq!(
        model
            .data
            .fleet
            .server("app-01")
            .and_then(|s| s.health.latency_ms),
        Some(77.0),
        "the row's number follows too"
    );
}

#[test]
fn unacknowledged_critical_alerts_ring_again_until_someone_acknowledges_them() {
    let mut model = demo_model(120, 40);
    model.data.sim = None;
    // demo_model's two critical alerts are listed and nobody acknowledged them.
    let start = fixed_now();
    assert_eq!(
        notifications(&send(&mut model, Msg::Tick(start))),
        0,
        "the wait starts"
    );
    assert_eq!(
        notifications(&send(&mut model, Msg::Tick(start + TimeDelta::seconds(60)))),
        0
    );
    let effects = send(&mut model, Msg::Tick(start + TimeDelta::seconds(121)));
    assert_eq!(notifications(&effects), 1, "two minutes on: a reminder");
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Notify { text } if text.contains("2 critical alerts are not acknowledged"))
        ),
        "{effects:?}"
    );
    for (seq, known) in demo_alerts().into_iter().enumerate() {
        let mut acked = known;
        acked.acknowledged = Some(warroom::model::AlertAck {
            by: "alice".into(),
            at: start,
        });
        send(&mut model, alert_event(10 + seq as i64, acked));
    }
    assert_eq!(
        notifications(&send(
            &mut model,
            Msg::Tick(start + TimeDelta::seconds(400))
        )),
        0,
        "acknowledged: quiet"
    );
    let shown = screen_text(&render(&model, &warroom::tui::Theme::default(), 120, 40));
    assert!(
        shown.contains(" ack "),
        "the pane marks them acknowledged:\n{shown}"
    );
}

#[test]
fn a_silenced_alert_leaves_the_list_is_counted_and_comes_back_when_the_silence_ends() {
    let mut model = demo_model(120, 40);
    model.data.sim = None;
    let start = fixed_now();
    send(&mut model, Msg::Tick(start));
    let mut quiet = demo_alerts()[0].clone();
    quiet.silenced = Some(warroom::model::AlertSilence {
        by: "alice".into(),
        at: start,
        until: start + TimeDelta::minutes(15),
        reason: "rack work".into(),
    });
    send(&mut model, alert_event(20, quiet.clone()));
    assert!(
        model.data.alerts.open.iter().all(|a| a.id != quiet.id),
        "hidden"
    );
    assert_eq!(model.data.alerts.silenced.len(), 1);
    let shown = screen_text(&render(&model, &warroom::tui::Theme::default(), 120, 40));
    assert!(
        shown.contains("1 silenced"),
        "counted in the pane's title:\n{shown}"
    );
    send(&mut model, Msg::Tick(start + TimeDelta::minutes(16)));
    assert!(
        model.data.alerts.open.iter().any(|a| a.id == quiet.id),
        "back when it ends"
    );
    assert!(model.data.alerts.silenced.is_empty());
}

#[test]
fn read_only_hides_the_hints_of_what_it_would_refuse() {
    let mut model = demo_model(120, 40);
    let footer = |model: &Model| {
        let screen = screen_text(&render(model, &warroom::tui::Theme::default(), 120, 40));
        screen.lines().last().unwrap_or_default().to_string()
    };
    let normal = footer(&model);
    assert!(
        normal.contains("n note") && normal.contains("E evacuate"),
        "{normal}"
    );
    model.settings.read_only = true;
    let read_only = footer(&model);
    assert!(
        read_only.contains("? help") && read_only.contains("q quit"),
        "{read_only}"
    );
    for hint in ["n note", "u update", "i incident", "E evacuate"] {
        assert!(!read_only.contains(hint), "{hint} in {read_only}");
    }
}

#[test]
fn writes_the_journal_still_holds_are_counted_in_the_header_with_no_incident_followed() {
    let mut model = empty_model();
    let write = warroom::client::JournalWrite {
        id: "w-1".into(),
        incident_id: 9,
        made_at: fixed_now(),
        op: warroom::client::WriteOp::DeleteEntry {
            entry_id: 3,
            base_version: 1,
        },
    };
    send(
        &mut model,
        Msg::Wrote(warroom::tui::Wrote::Journal {
            pending: vec![
                write.clone(),
                warroom::client::JournalWrite {
                    id: "w-2".into(),
                    ..write
                },
            ],
        }),
    );
    let screen = screen_text(&render(&model, &warroom::tui::Theme::default(), 120, 40));
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("2 unsent"), "{header}");
}

#[test]
fn the_marker_field_shows_its_choices() {
    let mut model = demo_model(120, 40);
    send(&mut model, char_key('m'));
    assert!(
        matches!(model.ui.overlay, Overlay::Compose(_)),
        "m opens the marker editor"
    );
    let screen = screen_text(&render(&model, &warroom::tui::Theme::default(), 120, 40));
    assert!(
        screen.contains("one of: detected · acknowledged · mitigated · resolved"),
        "{screen}"
    );
}
