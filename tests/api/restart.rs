//! The orchestrator's world survives `kill -9`: `warroom serve` as a child
//! process on a SQLite file, killed with SIGKILL and started again on the
//! same `--db` and port. Placements, roles, the cache's active node, open
//! alerts, actions, the topology version and the simulator carry on; an
//! action caught between steps is marked interrupted and no step runs twice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::client::client_for;
use crate::support::new_incident::incident;
use crate::support::serve::{ServeProcess, serve_args_at, spawn_serve};
use crate::support::serve_args::{serve_args, tokens_file_text};
use crate::support::tokens::COMMANDER;
use crate::support::wait::eventually;
use warroom::model::{
    Action, ActionState, Alert, AlertList, EntryKind, Plan, Role, SimStatus, StepState, Topology,
};

const WAIT: Duration = Duration::from_secs(30);

fn demo_fleet() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fleets/demo.toml")
}

fn tokens(dir: &Path) -> PathBuf {
    let path = dir.join("tokens.toml");
    if !path.exists() {
        std::fs::write(&path, tokens_file_text()).expect("tokens file");
    }
    path
}

async fn get<T: serde::de::DeserializeOwned>(url: &str, path: &str) -> Option<T> {
    reqwest::Client::new()
        .get(format!("{url}{path}"))
        .bearer_auth(COMMANDER)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// Plans `request` and executes it, again while the topology moves under
/// it (409), until one starts; returns the started action.
async fn execute(url: &str, request: Value) -> Action {
    let http = reqwest::Client::new();
    eventually(WAIT, &format!("{request} to start"), || async {
        let plan: Plan = http
            .post(format!("{url}/v1/plans"))
            .bearer_auth(COMMANDER)
            .json(&request)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let response = http
            .post(format!("{url}/v1/plans/{}/execute", plan.id))
            .bearer_auth(COMMANDER)
            .header("idempotency-key", format!("key-{}", plan.id))
            .header("if-match", plan.topology_version.to_string())
            .json(&json!({"confirm": plan.confirm}))
            .send()
            .await
            .ok()?;
        if response.status().as_u16() != 201 {
            return None;
        }
        response.json().await.ok()
    })
    .await
}

async fn finished(url: &str, id: &str) -> Action {
    eventually(WAIT, &format!("action {id} to finish"), || async {
        let a: Action = get(url, &format!("/v1/actions/{id}")).await?;
        (a.state != ActionState::Running).then_some(a)
    })
    .await
}

/// SIGKILL, and wait until the process is gone.
async fn kill_9(serve: &mut ServeProcess) {
    serve.child.start_kill().expect("SIGKILL");
    serve
        .child
        .wait()
        .await
        .expect("the killed serve is reaped");
}

fn placements(t: &Topology) -> BTreeMap<String, String> {
    t.sites
        .iter()
        .map(|s| (s.id.clone(), s.server.clone()))
        .collect()
}

fn roles(t: &Topology) -> BTreeMap<String, (Role, warroom::model::Admin)> {
    t.servers
        .iter()
        .map(|s| (s.id.clone(), (s.role, s.admin)))
        .collect()
}

/// `args` with `--db` set to `db_url` when there is one (PostgreSQL), else
/// as they are (a SQLite file in the test's temp dir).
fn on_db(mut args: Vec<String>, db_url: Option<&str>) -> Vec<String> {
    if let Some(url) = db_url
        && let Some(at) = args.iter().position(|a| a == "--db")
    {
        args[at + 1] = url.to_string();
    }
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_orchestrator_comes_back_with_its_world_and_its_simulator() {
    comes_back_with_its_world(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_orchestrator_on_postgresql_comes_back_with_its_world() {
    let cluster = tokio::task::spawn_blocking(crate::support::postgres::shared)
        .await
        .expect("the PostgreSQL cluster starts");
    let url = cluster.database().await;
    comes_back_with_its_world(Some(&url)).await;
}

/// With a scenario running: evacuate, promote a spare, fail the cache over;
/// `kill -9`; start again on the same store (a SQLite file, or `db_url`).
async fn comes_back_with_its_world(db_url: Option<&str>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("warroom.db");
    let tokens = tokens(dir.path());
    let extra = ["--scenario", "switch-2017", "--speed", "10"];
    let mut serve = spawn_serve(
        dir.path(),
        &on_db(serve_args(&demo_fleet(), &db, &tokens, &extra), db_url),
    )
    .await;
    let url = serve.url.clone();

    // The scenario takes app-04 down at its start.
    eventually(WAIT, "app-04's server_down alert", || async {
        let list: AlertList = get(&url, "/v1/alerts").await?;
        list.alerts
            .iter()
            .any(|a| a.id == "server_down:app-04")
            .then_some(())
    })
    .await;
    let evacuate = execute(&url, json!({"kind": "evacuate_server", "target": "app-04"})).await;
    let evacuate = finished(&url, &evacuate.id).await;
    assert_eq!(evacuate.state, ActionState::Succeeded, "{evacuate:#?}");
    let promote = execute(&url, json!({"kind": "promote_spare", "target": "app-09"})).await;
    let promote = finished(&url, &promote.id).await;
    assert_eq!(promote.state, ActionState::Succeeded, "{promote:#?}");
    let failover = execute(&url, json!({"kind": "cache_failover"})).await;
    let failover = finished(&url, &failover.id).await;
    assert!(
        matches!(
            failover.state,
            ActionState::Succeeded | ActionState::NeedsFollowUp
        ),
        "{failover:#?}"
    );

    let before: Topology = get(&url, "/v1/topology").await.expect("topology");
    let alerts_before = get::<AlertList>(&url, "/v1/alerts")
        .await
        .expect("alerts")
        .alerts;
    let sim_before: SimStatus = get(&url, "/v1/sim").await.expect("sim");
    let actions_before: Value = get(&url, "/v1/actions").await.expect("actions");
    assert!(
        before.sites.iter().all(|s| s.server != "app-04"),
        "the evacuation moved every site off app-04"
    );
    assert_eq!(
        before
            .servers
            .iter()
            .find(|s| s.id == "app-09")
            .map(|s| s.role),
        Some(Role::Failover)
    );
    let cache_before = before.cache.clone().expect("a cache");
    assert_ne!(cache_before.active, "cache-1", "the cache failed over");
    // Wait for a periodic save after what we read (it also carries what
    // changes without an event: probe counters, the sim clock), as a
    // running server would have made one before a crash.
    let store_url = db_url
        .map(str::to_string)
        .unwrap_or_else(|| format!("sqlite://{}", db.display()));
    let store = warroom::store::open(&store_url)
        .await
        .expect("the store opens");
    let first = store.load_world().await.expect("load").map(|w| w.saved_at);
    eventually(
        WAIT,
        "a periodic save of the world after the actions",
        || async {
            let saved = store.load_world().await.expect("load")?;
            (Some(saved.saved_at) != first && saved.version >= before.version).then_some(())
        },
    )
    .await;
    drop(store);

    kill_9(&mut serve).await;
    let mut serve = spawn_serve(
        dir.path(),
        &on_db(
            serve_args_at(&url, &demo_fleet(), &db, &tokens, &extra),
            db_url,
        ),
    )
    .await;
    let url = serve.url.clone();

    let after: Topology = get(&url, "/v1/topology").await.expect("topology");
    assert!(
        after.version >= before.version,
        "the version went back from {} to {}",
        before.version,
        after.version
    );
    assert_eq!(placements(&after), placements(&before), "placements");
    assert_eq!(roles(&after), roles(&before), "roles and admin states");
    let cache_after = after.cache.clone().expect("a cache");
    assert_eq!(
        (&cache_after.active, cache_after.epoch),
        (&cache_before.active, cache_before.epoch)
    );
    let app04 = after
        .servers
        .iter()
        .find(|s| s.id == "app-04")
        .expect("app-04");
    assert_eq!(
        app04.health.state,
        warroom::model::HealthState::Down,
        "app-04 stays down, never back through unknown"
    );

    // Every alert open before is open after, opened at the same moment: none re-opened.
    let alerts_after = get::<AlertList>(&url, "/v1/alerts")
        .await
        .expect("alerts")
        .alerts;
    let opened = |alerts: &[Alert]| -> BTreeMap<String, String> {
        alerts
            .iter()
            .map(|a| (a.id.clone(), a.opened_at.to_rfc3339()))
            .collect()
    };
    let after_open = opened(&alerts_after);
    for (id, at) in opened(&alerts_before) {
        assert_eq!(
            after_open.get(&id),
            Some(&at),
            "alert {id} was open since {at} before the kill"
        );
    }
    let actions_after: Value = get(&url, "/v1/actions").await.expect("actions");
    let states = |v: &Value| -> BTreeMap<String, String> {
        v["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                (
                    a["id"].as_str().unwrap_or_default().to_string(),
                    a["state"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(states(&actions_after).len(), 3);
    assert_eq!(states(&actions_after), states(&actions_before));

    // The simulator continues: same start, clock not behind, same faults,
    // and the next scripted step is the same one (none replayed).
    let sim_after: SimStatus = get(&url, "/v1/sim").await.expect("sim");
    assert_eq!(sim_after.started_at, sim_before.started_at);
    assert!(
        sim_after.clock >= sim_before.clock,
        "the sim clock went back from {} to {}",
        sim_before.clock,
        sim_after.clock
    );
    assert_eq!(sim_after.active_faults, sim_before.active_faults);
    let offsets =
        |s: &SimStatus| -> Vec<String> { s.next_steps.iter().map(|n| n.offset.clone()).collect() };
    assert_eq!(offsets(&sim_after), offsets(&sim_before));

    // And it keeps running: the clock moves on from there.
    eventually(WAIT, "the sim clock to move on", || async {
        let now: SimStatus = get(&url, "/v1/sim").await?;
        (now.clock > sim_after.clock).then_some(())
    })
    .await;
    kill_9(&mut serve).await;
}

fn write_script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_killed_between_steps_is_marked_interrupted_and_no_step_runs_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("moves.log");
    let script = write_script(
        dir.path(),
        "move-site.sh",
        &format!(
            "echo \"$1\" >> {:?}\nsleep 0.4\necho moved \"$1\"",
            log.display().to_string()
        ),
    );
    let fleet = dir.path().join("fleet.toml");
    std::fs::write(
        &fleet,
        format!(
            "{}\n[executor]\ndriver = \"exec\"\n[executor.exec]\nmove_site = [{:?}, \"{{site}}\"]\ntimeout_ms = 5000\n",
            warroom::sim::DEMO_FLEET,
            script.display().to_string()
        ),
    )
    .expect("fleet file");
    let db = dir.path().join("warroom.db");
    let tokens = tokens(dir.path());
    let mut serve = spawn_serve(dir.path(), &serve_args(&fleet, &db, &tokens, &[])).await;
    let url = serve.url.clone();
    let client = client_for(&url, Some(COMMANDER));
    let opened = client
        .create_incident(&incident("crash inside an action"))
        .await
        .expect("incident");

    let action = execute(&url, json!({"kind": "evacuate_server", "target": "app-02"})).await;
    eventually(WAIT, "three moves to have started", || async {
        (lines(&log).len() >= 3).then_some(())
    })
    .await;
    kill_9(&mut serve).await;
    let ran_before = lines(&log);

    let mut serve = spawn_serve(dir.path(), &serve_args_at(&url, &fleet, &db, &tokens, &[])).await;
    let url = serve.url.clone();
    let after: Action = get(&url, &format!("/v1/actions/{}", action.id))
        .await
        .expect("the action");
    assert_eq!(after.state, ActionState::Interrupted, "{after:#?}");
    assert!(after.finished_at.is_some());
    let succeeded = after
        .steps
        .iter()
        .filter(|s| s.state == StepState::Succeeded)
        .count();
    let in_flight: Vec<_> = after
        .steps
        .iter()
        .filter(|s| s.state == StepState::Failed)
        .collect();
    assert!(in_flight.len() <= 1, "{after:#?}");
    assert!(
        in_flight.iter().all(|s| s
            .error
            .as_deref()
            .is_some_and(|e| e.contains("interrupted"))),
        "{in_flight:#?}"
    );
    let skipped = after
        .steps
        .iter()
        .filter(|s| s.state == StepState::Skipped)
        .count();
    assert!(skipped > 0, "the kill came before the last step");
    assert_eq!(succeeded + in_flight.len() + skipped, after.steps.len());

    // The timeline says so, with what ran and what did not.
    let timeline = eventually(WAIT, "the interrupted entry", || async {
        let t = client_for(&url, Some(COMMANDER))
            .timeline(opened.id)
            .await
            .ok()?;
        t.entries
            .iter()
            .find(|e| e.kind == EntryKind::Action && e.body.contains("interrupted"))
            .map(|e| e.body.clone())
    })
    .await;
    assert!(timeline.contains("did not run"), "{timeline}");

    // Every step ran at most once, and nothing ran after the restart:
    // a new action (which needs every lease free) runs, and the old
    // moves never come back.
    let later = execute(&url, json!({"kind": "promote_spare", "target": "app-09"})).await;
    finished(&url, &later.id).await;
    let ran = lines(&log);
    assert_eq!(ran, ran_before, "no move ran after the restart");
    let unique: BTreeSet<&String> = ran.iter().collect();
    assert_eq!(unique.len(), ran.len(), "a move ran twice: {ran:?}");
    assert!(
        ran.len() == succeeded_moves(&after) || ran.len() == succeeded_moves(&after) + 1,
        "the script ran {} times for {} finished moves: {ran:?}",
        ran.len(),
        succeeded_moves(&after)
    );
    kill_9(&mut serve).await;
}

/// Steps that succeeded and ran the script (the drain step does not).
fn succeeded_moves(action: &Action) -> usize {
    action
        .steps
        .iter()
        .filter(|s| {
            s.state == StepState::Succeeded
                && s.output.as_deref().is_some_and(|o| o.starts_with("moved "))
        })
        .count()
}
