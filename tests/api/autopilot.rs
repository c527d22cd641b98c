//! The guarded autopilot through a real server on the simulated demo fleet
//! with `[autopilot]` in its fleet file: it evacuates a downed server by
//! itself and opens an incident, its block period holds, its blast-radius
//! cap refuses and raises `autopilot_held`, pause stops it and resume
//! starts it again, and dry run records what it would have done.

use std::time::Duration;

use crate::support::errors::assert_api_error;
use crate::support::server::Api;
use crate::support::wait::eventually;
use warroom::client::Client;
use warroom::model::{
    Action, ActionState, AlertKind, AlertSeverity, AutopilotMode, AutopilotVerb, FaultKind,
    FleetSpec, HealthState, Impact, IncidentState, NewIncident, Severity, SimFault, Source,
    TimelineEntry, Topology,
};
use warroom::server::WorldSource;
use warroom::sim::DEMO_FLEET;

const WAIT: Duration = Duration::from_secs(30);

/// The demo fleet with `[autopilot]` acting on downed servers, and `extra` keys.
fn fleet(extra: &str) -> FleetSpec {
    let text = format!(
        "{DEMO_FLEET}\n[autopilot]\nenabled = true\nkinds = [\"server_down\"]\nmax_servers_per_action = 3\n{extra}"
    );
    FleetSpec::parse("demo.toml", &text).expect("fleet parses")
}

async fn start(extra: &str) -> Api {
    Api::start(
        fleet(extra),
        WorldSource::Simulated {
            seed: 7,
            speed: 20.0,
            scenario: None,
        },
    )
    .await
}

async fn fleet_up(c: &Client) {
    eventually(WAIT, "every server up", || async {
        let t = c.topology().await.expect("topology");
        t.servers
            .iter()
            .all(|s| s.health.state == HealthState::Up)
            .then_some(())
    })
    .await;
}

async fn inject(c: &Client, kind: FaultKind, target: &str) {
    c.inject_fault(&SimFault {
        kind,
        target: target.into(),
    })
    .await
    .expect("fault injected");
}

/// The autopilot's entries in the open incident, once one is open.
async fn autopilot_entries(c: &Client) -> Vec<TimelineEntry> {
    let open = c
        .incidents(Some(IncidentState::Open))
        .await
        .expect("incidents");
    let Some(incident) = open.first() else {
        return Vec::new();
    };
    c.timeline(incident.id)
        .await
        .expect("timeline")
        .entries
        .into_iter()
        .filter(|e| e.source == Source::Autopilot && e.author == "autopilot")
        .collect()
}

/// Waits for an autopilot entry whose body starts with `prefix`.
async fn entry_starting(c: &Client, prefix: &str) -> TimelineEntry {
    eventually(WAIT, &format!("an entry starting {prefix:?}"), || async {
        autopilot_entries(c)
            .await
            .into_iter()
            .find(|e| e.body.starts_with(prefix))
    })
    .await
}

/// Where the sites whose home is `home` are now.
fn hosts_of(topology: &Topology, home: &str) -> Vec<String> {
    let mut hosts: Vec<String> = topology
        .sites
        .iter()
        .filter(|s| s.home_server == home)
        .map(|s| s.server.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// Waits until the sim clock is `seconds` past what it reads now.
async fn let_sim_time_pass(c: &Client, seconds: i64) {
    let from = c.sim_status().await.expect("sim").clock;
    eventually(WAIT, "sim time to pass", || async {
        let now = c.sim_status().await.expect("sim").clock;
        (now >= from + chrono::TimeDelta::seconds(seconds)).then_some(())
    })
    .await;
}

async fn actions(c: &Client) -> Vec<Action> {
    c.actions(None).await.expect("actions")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downed_server_is_evacuated_by_itself_and_its_block_period_holds() {
    let api = start("block_s = 3600\n").await;
    let c = api.commander();
    fleet_up(&c).await;
    assert_eq!(
        c.autopilot().await.expect("status").mode,
        AutopilotMode::Active
    );
    assert!(c.incidents(None).await.expect("incidents").is_empty());

    inject(&c, FaultKind::ServerDown, "app-04").await;
    let executed = entry_starting(&c, "autopilot: evacuated app-04 (evacuate_server").await;
    assert_eq!(executed.kind, warroom::model::EntryKind::Action);
    // It opened the incident itself, from when the alert opened.
    let incidents = c.incidents(None).await.expect("incidents");
    assert_eq!(incidents.len(), 1);
    assert!(
        incidents[0].title.starts_with("Autopilot: "),
        "{}",
        incidents[0].title
    );
    assert_eq!(incidents[0].severity, Severity::Sev2);
    let alert_opened = c
        .timeline(incidents[0].id)
        .await
        .expect("timeline")
        .entries
        .into_iter()
        .find(|e| e.body.contains("app-04") && e.source == Source::Detector)
        .expect("the alert is in the timeline as a detection");
    assert_eq!(incidents[0].started_at, alert_opened.occurred_at);

    let action = eventually(WAIT, "the automatic evacuation to succeed", || async {
        actions(&c)
            .await
            .into_iter()
            .find(|a| a.state == ActionState::Succeeded)
    })
    .await;
    assert!(action.automatic);
    assert_eq!(action.started_by, "autopilot");
    assert_eq!(action.target.as_deref(), Some("app-04"));
    let topology = c.topology().await.expect("topology");
    let hosts = hosts_of(&topology, "app-04");
    assert!(
        !hosts.contains(&"app-04".to_string()),
        "every site left app-04: {hosts:?}"
    );

    let status = c.autopilot().await.expect("status");
    assert_eq!(status.decisions[0].outcome, "executed");
    assert_eq!(
        status.decisions[0].action_id.as_deref(),
        Some(action.id.as_str())
    );
    let blocked: Vec<&str> = status.blocked.iter().map(|b| b.target.as_str()).collect();
    assert!(blocked.contains(&"app-04"), "{blocked:?}");
    for host in &hosts {
        assert!(blocked.contains(&host.as_str()), "{host} in {blocked:?}");
    }
    assert_eq!(status.hour.sites, 17);
    assert_eq!(status.hour.servers as usize, 1 + hosts.len());

    // A server the automatic action just acted on (a failover server on
    // another switch, so that no switch turns suspect) goes down within the
    // block period: blocked, written once, and nothing runs.
    let host = hosts[0].clone();
    inject(&c, FaultKind::ServerDown, &host).await;
    let blocked_entry = entry_starting(
        &c,
        &format!("autopilot: blocked: {host} was acted on automatically at "),
    )
    .await;
    assert!(
        blocked_entry.body.contains("block period until"),
        "{}",
        blocked_entry.body
    );
    let_sim_time_pass(&c, 60).await;
    let blocked_entries = autopilot_entries(&c)
        .await
        .into_iter()
        .filter(|e| e.body.starts_with("autopilot: blocked:"))
        .count();
    assert_eq!(blocked_entries, 1, "the same decision is written once");
    assert_eq!(actions(&c).await.len(), 1, "no second action");
    assert_eq!(
        c.autopilot().await.expect("status").decisions[0].outcome,
        "blocked"
    );
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_blast_radius_cap_it_refuses_and_asks_for_a_human() {
    let api = start("max_sites_per_action = 10\n").await;
    let c = api.commander();
    fleet_up(&c).await;
    inject(&c, FaultKind::ServerDown, "app-07").await;
    let refused = entry_starting(&c, "autopilot: refused: evacuate_server app-07 touches ").await;
    assert!(
        refused
            .body
            .ends_with("17 sites, over the cap of 10 sites per action; a human must decide"),
        "{}",
        refused.body
    );
    let held = eventually(WAIT, "the autopilot_held alert", || async {
        c.alerts()
            .await
            .expect("alerts")
            .alerts
            .into_iter()
            .find(|a| a.kind == AlertKind::AutopilotHeld)
    })
    .await;
    assert_eq!(held.target, "app-07");
    assert_eq!(held.severity, AlertSeverity::Warning);
    assert!(actions(&c).await.is_empty(), "nothing ran");
    assert_eq!(
        c.autopilot().await.expect("status").decisions[0].outcome,
        "refused"
    );

    // The server comes back: nothing is recommended any more, the alert clears.
    inject(&c, FaultKind::Recover, "app-07").await;
    eventually(WAIT, "autopilot_held to clear", || async {
        let alerts = c.alerts().await.expect("alerts").alerts;
        (!alerts.iter().any(|a| a.kind == AlertKind::AutopilotHeld)).then_some(())
    })
    .await;
    assert!(actions(&c).await.is_empty(), "still nothing ran");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_stops_it_and_resume_starts_it_again() {
    let api = start("").await;
    let c = api.commander();
    fleet_up(&c).await;
    let incident = api
        .responder()
        .create_incident(&NewIncident {
            title: "Watching the fleet".into(),
            severity: Severity::Sev3,
            status: warroom::model::IncidentStatus::Investigating,
            impact: Impact::None,
            components: Vec::new(),
            started_at: None,
        })
        .await
        .expect("incident");

    let err = api
        .responder()
        .command_autopilot(AutopilotVerb::Pause)
        .await
        .expect_err("a responder may not pause it");
    assert_api_error(&err, 403, "forbidden");
    let paused = c
        .command_autopilot(AutopilotVerb::Pause)
        .await
        .expect("paused");
    assert_eq!(paused.mode, AutopilotMode::Paused);
    assert_eq!(paused.paused_by.as_deref(), Some("commander"));
    let viewed = api.viewer().autopilot().await.expect("status");
    assert_eq!(viewed.mode, AutopilotMode::Paused);

    inject(&c, FaultKind::ServerDown, "app-07").await;
    eventually(WAIT, "app-07's alert", || async {
        c.alerts()
            .await
            .expect("alerts")
            .alerts
            .into_iter()
            .find(|a| a.kind == AlertKind::ServerDown && a.target == "app-07")
    })
    .await;
    let_sim_time_pass(&c, 60).await;
    assert!(actions(&c).await.is_empty(), "nothing runs while paused");
    assert!(c.autopilot().await.expect("status").decisions.is_empty());

    let resumed = c
        .command_autopilot(AutopilotVerb::Resume)
        .await
        .expect("resumed");
    assert_eq!(resumed.mode, AutopilotMode::Active);
    assert_eq!(resumed.paused_by, None);
    let action = eventually(WAIT, "the automatic evacuation", || async {
        actions(&c).await.into_iter().next()
    })
    .await;
    assert!(action.automatic);
    assert_eq!(action.target.as_deref(), Some("app-07"));

    // Both commands and the decision are in the incident that was open
    // (the decision's entry is written once the action started).
    let bodies: Vec<String> = eventually(WAIT, "the decision in the open incident", || async {
        let bodies: Vec<String> = c
            .timeline(incident.id)
            .await
            .expect("timeline")
            .entries
            .into_iter()
            .filter(|e| e.source == Source::Autopilot)
            .map(|e| e.body)
            .collect();
        bodies
            .iter()
            .any(|b| b.starts_with("autopilot: evacuated app-07"))
            .then_some(bodies)
    })
    .await;
    assert!(
        bodies.iter().any(|b| b == "autopilot paused by commander"),
        "{bodies:?}"
    );
    assert!(
        bodies.iter().any(|b| b == "autopilot resumed by commander"),
        "{bodies:?}"
    );
    assert_eq!(c.incidents(None).await.expect("incidents").len(), 1);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_what_it_would_have_done_and_runs_nothing() {
    let api = start("dry_run = true\n").await;
    let c = api.commander();
    fleet_up(&c).await;
    assert_eq!(
        c.autopilot().await.expect("status").mode,
        AutopilotMode::DryRun
    );
    inject(&c, FaultKind::ServerDown, "app-07").await;
    let entry = entry_starting(&c, "autopilot (dry run): would have evacuated app-07").await;
    assert!(entry.body.contains("17 sites"), "{}", entry.body);
    let_sim_time_pass(&c, 60).await;
    assert!(actions(&c).await.is_empty(), "nothing ran");
    let topology = c.topology().await.expect("topology");
    assert_eq!(hosts_of(&topology, "app-07"), ["app-07"]);
    let status = c.autopilot().await.expect("status");
    assert_eq!(
        status.decisions.len(),
        1,
        "written once: {:?}",
        status.decisions
    );
    assert_eq!(status.decisions[0].outcome, "would_have");
    assert!(status.blocked.is_empty());
    assert_eq!(status.hour.sites, 0);
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_autopilot_it_is_off_and_refuses_commands() {
    let api = Api::sim(20.0).await;
    let c = api.commander();
    let status = c.autopilot().await.expect("status");
    assert_eq!(status.mode, AutopilotMode::Off);
    let err = c
        .command_autopilot(AutopilotVerb::Pause)
        .await
        .expect_err("nothing to pause");
    assert_api_error(&err, 409, "autopilot_off");
    api.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn its_pause_budget_and_block_periods_survive_a_restart() {
    use warroom::server::{LocalServer, ServerConfig};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("warroom.db").display());
    let serve = || async {
        let store = warroom::store::open(&db).await.expect("open store");
        LocalServer::start(ServerConfig {
            spec: fleet("block_s = 3600\n"),
            store,
            tokens: crate::support::server::tokens(),
            source: WorldSource::Simulated {
                seed: 7,
                speed: 20.0,
                scenario: None,
            },
        })
        .await
        .expect("server starts")
    };
    let server = serve().await;
    let c =
        crate::support::client::client_for(&server.url(), Some(crate::support::tokens::COMMANDER));
    fleet_up(&c).await;
    inject(&c, FaultKind::ServerDown, "app-07").await;
    eventually(WAIT, "the automatic evacuation to succeed", || async {
        actions(&c)
            .await
            .into_iter()
            .find(|a| a.state == ActionState::Succeeded)
    })
    .await;
    c.command_autopilot(AutopilotVerb::Pause)
        .await
        .expect("paused");
    let before = c.autopilot().await.expect("status");
    server.stop().await;

    let server = serve().await;
    let c =
        crate::support::client::client_for(&server.url(), Some(crate::support::tokens::COMMANDER));
    let after = c.autopilot().await.expect("status");
    assert_eq!(after.mode, AutopilotMode::Paused);
    assert_eq!(after.paused_by.as_deref(), Some("commander"));
    assert_eq!(after.paused_at, before.paused_at);
    assert_eq!(after.blocked, before.blocked);
    assert!(after.blocked.iter().any(|b| b.target == "app-07"));
    assert_eq!(after.hour.sites, 17);
    assert_eq!(after.decisions, before.decisions);
    server.stop().await;
}
