//! The executor's drivers and hooks against real processes and a real
//! webhook: an `exec` script that writes the moves, an `http` driver posting
//! to a local server, a pre-hook veto, a post hook, and a killed command.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::raw::Api;
use crate::support::tokens::{COMMANDER, VIEWER};
use crate::support::wait::eventually;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use warroom::model::{
    Action, ActionState, FleetSpec, HealthState, Plan, StepOp, StepState, Topology,
};
use warroom::server::WorldSource;
use warroom::sim::DEMO_FLEET;

const WAIT: Duration = Duration::from_secs(20);

/// The demo fleet, simulated at speed 10, with this `[executor]` section.
async fn api_with(section: &str) -> Api {
    let spec =
        FleetSpec::parse("demo.toml", &format!("{DEMO_FLEET}\n{section}")).expect("fleet parses");
    let api = Api::start(
        spec,
        WorldSource::Simulated {
            seed: 7,
            speed: 10.0,
            scenario: None,
        },
    )
    .await;
    eventually(WAIT, "every server up", || async {
        let t: Topology = api.viewer().topology().await.ok()?;
        t.servers
            .iter()
            .all(|s| s.health.state == HealthState::Up)
            .then_some(())
    })
    .await;
    api
}

/// A TOML string literal of a path.
fn quoted(path: &Path) -> String {
    format!("{:?}", path.display().to_string())
}

/// Plans an evacuation of `server` and executes it; returns the plan and
/// the action once it finished.
async fn evacuate(api: &Api, server: &str) -> (Plan, Action) {
    let http = api.http();
    let response = http
        .post(api.at("/v1/plans"))
        .bearer_auth(COMMANDER)
        .json(&json!({"kind": "evacuate_server", "target": server}))
        .send()
        .await
        .expect("plan");
    assert_eq!(response.status().as_u16(), 201);
    let plan: Plan = response.json().await.expect("plan");
    let response = http
        .post(api.at(&format!("/v1/plans/{}/execute", plan.id)))
        .bearer_auth(COMMANDER)
        .header("idempotency-key", format!("key-{}", plan.id))
        .header("if-match", plan.topology_version.to_string())
        .send()
        .await
        .expect("execute");
    assert_eq!(response.status().as_u16(), 201);
    let started: Action = response.json().await.expect("action");
    let done = eventually(WAIT, "the action to finish", || async {
        let a: Action = http
            .get(api.at(&format!("/v1/actions/{}", started.id)))
            .bearer_auth(VIEWER)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (a.state != ActionState::Running).then_some(a)
    })
    .await;
    (plan, done)
}

fn write_script(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn planned_moves(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .filter_map(|s| match &s.op {
            StepOp::MoveSite { site, from, to } => Some(format!("{site} {from} {to}")),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exec_driver_runs_the_move_script_once_per_planned_move_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("moves.log");
    let script = write_script(
        dir.path(),
        "move-site.sh",
        &format!("echo \"$1 $2 $3\" >> {}\necho moved \"$1\"", quoted(&log)),
    );
    let api = api_with(&format!(
        "[executor]\ndriver = \"exec\"\n[executor.exec]\nmove_site = [{}, \"{{site}}\", \"{{from}}\", \"{{to}}\"]\ntimeout_ms = 5000\n",
        quoted(&script)
    ))
    .await;
    let (plan, action) = evacuate(&api, "app-04").await;
    assert_eq!(action.state, ActionState::Succeeded, "{action:#?}");
    let written = std::fs::read_to_string(&log).expect("the script wrote the moves");
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(
        lines,
        planned_moves(&plan),
        "exactly the planned moves, in order"
    );
    assert_eq!(lines.len(), 17);
    let first_move = plan
        .steps
        .iter()
        .position(|s| matches!(s.op, StepOp::MoveSite { .. }))
        .expect("a move");
    let site = &plan.placements[0].site;
    assert_eq!(
        action.steps[first_move].output.as_deref(),
        Some(format!("moved {site}").as_str()),
        "the script's output is captured"
    );
    // No command for set_admin: the drain is recorded by the orchestrator only.
    assert!(
        action.steps[0]
            .output
            .as_deref()
            .is_some_and(|o| o.contains("recorded by the orchestrator only")),
        "{:?}",
        action.steps[0]
    );
    let t = api.viewer().topology().await.expect("topology");
    let on = |id: &str| {
        t.sites
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.server.clone())
    };
    assert_eq!(on(site), Some(plan.placements[0].to.clone()));
}

type Bodies = Arc<Mutex<Vec<Value>>>;

/// A webhook on 127.0.0.1:0 that records every JSON body; it answers 500
/// to the call numbered `fail_at` (from 1), if any.
async fn webhook(fail_at: Option<usize>) -> (String, Bodies) {
    let bodies: Bodies = Arc::default();
    async fn hook(
        State((bodies, fail_at)): State<(Bodies, Option<usize>)>,
        Json(body): Json<Value>,
    ) -> (StatusCode, String) {
        let mut seen = bodies.lock().expect("lock");
        seen.push(body);
        if Some(seen.len()) == fail_at {
            (StatusCode::INTERNAL_SERVER_ERROR, "runbook broke".into())
        } else {
            (StatusCode::OK, format!("done {}", seen.len()))
        }
    }
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state((bodies.clone(), fail_at));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_driver_posts_every_step_to_the_webhook() {
    let (url, bodies) = webhook(None).await;
    let api = api_with(&format!(
        "[executor]\ndriver = \"http\"\n[executor.http]\nurl = \"{url}\"\ntimeout_ms = 5000\n"
    ))
    .await;
    let (plan, action) = evacuate(&api, "app-04").await;
    assert_eq!(action.state, ActionState::Succeeded, "{action:#?}");
    let bodies = bodies.lock().expect("lock").clone();
    assert_eq!(bodies.len(), plan.steps.len(), "one POST per step");
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(body["action_id"], action.id.as_str());
        assert_eq!(body["step"], i);
        let op: StepOp = serde_json::from_value(body["op"].clone()).expect("a step op");
        assert_eq!(op, plan.steps[i].op);
    }
    assert_eq!(action.steps[1].output.as_deref(), Some("done 2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_error_fails_the_step_and_stops_the_action() {
    let (url, bodies) = webhook(Some(3)).await;
    let api = api_with(&format!(
        "[executor]\ndriver = \"http\"\n[executor.http]\nurl = \"{url}\"\n"
    ))
    .await;
    let (_, action) = evacuate(&api, "app-04").await;
    assert_eq!(action.state, ActionState::Failed);
    assert_eq!(action.steps[2].state, StepState::Failed);
    let error = action.steps[2].error.as_deref().unwrap_or_default();
    assert!(error.contains("500"), "{error}");
    assert_eq!(action.steps[2].output.as_deref(), Some("runbook broke"));
    assert!(
        action.steps[3..]
            .iter()
            .all(|s| s.state == StepState::Skipped)
    );
    assert_eq!(
        bodies.lock().expect("lock").len(),
        3,
        "nothing after the failure"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_pre_hook_vetoes_the_action_before_any_step() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("moves.log");
    let script = write_script(
        dir.path(),
        "move-site.sh",
        &format!("echo \"$1 $2 $3\" >> {}", quoted(&log)),
    );
    let api = api_with(&format!(
        "[executor]\ndriver = \"exec\"\n[executor.exec]\nmove_site = [{}, \"{{site}}\", \"{{from}}\", \"{{to}}\"]\n\
         [executor.hooks]\npre = [\"sh\", \"-c\", \"echo change freeze >&2; exit 3\"]\n",
        quoted(&script)
    ))
    .await;
    let before = api.viewer().topology().await.expect("topology");
    let (_, action) = evacuate(&api, "app-04").await;
    assert_eq!(action.state, ActionState::Failed);
    assert!(
        action.steps.iter().all(|s| s.state == StepState::Skipped),
        "no step ran: {:#?}",
        action.steps
    );
    let reason = action.steps[0].error.as_deref().unwrap_or_default();
    assert!(
        reason.contains("pre-action hook") && reason.contains("status 3"),
        "{reason}"
    );
    assert_eq!(
        action.steps[0].output.as_deref(),
        Some("[stderr] change freeze")
    );
    assert!(!log.exists(), "the move script never ran");
    let after = api.viewer().topology().await.expect("topology");
    let app04 = |t: &Topology| {
        t.servers
            .iter()
            .find(|s| s.id == "app-04")
            .map(|s| (s.admin, s.site_count))
    };
    assert_eq!(app04(&after), app04(&before), "not even drained");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_hook_runs_after_the_steps_and_its_failure_does_not_fail_the_action() {
    let dir = tempfile::tempdir().expect("temp dir");
    let post = dir.path().join("post.txt");
    let api = api_with(&format!(
        "[executor.hooks]\npost = [\"sh\", \"-c\", \"echo \\\"$1 $2 $3\\\" > {}; exit 1\", \"post\", \"{{action}}\", \"{{kind}}\", \"{{result}}\"]\n",
        post.display()
    ))
    .await;
    let (_, action) = evacuate(&api, "app-04").await;
    assert_eq!(action.state, ActionState::Succeeded, "{action:#?}");
    let written = eventually(WAIT, "the post hook", || async {
        std::fs::read_to_string(&post).ok()
    })
    .await;
    assert_eq!(
        written.trim(),
        format!("{} evacuate_server succeeded", action.id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_past_its_timeout_fails_the_step_quickly_and_is_killed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pid_file = dir.path().join("pid");
    let api = api_with(&format!(
        "[executor]\ndriver = \"exec\"\n[executor.exec]\nmove_site = [\"sh\", \"-c\", \"echo $$ > {}; exec sleep 5\"]\ntimeout_ms = 200\n",
        pid_file.display()
    ))
    .await;
    let started = Instant::now();
    let (_, action) = evacuate(&api, "app-04").await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "failed after {:?}, not after the 5 s sleep",
        started.elapsed()
    );
    assert_eq!(action.state, ActionState::Failed);
    let error = action.steps[1].error.as_deref().unwrap_or_default();
    assert!(
        error.contains("200 ms") && error.contains("killed"),
        "{error}"
    );
    assert!(
        action.steps[2..]
            .iter()
            .all(|s| s.state == StepState::Skipped)
    );

    let pid = std::fs::read_to_string(&pid_file).expect("the command wrote its pid");
    let proc_dir = format!("/proc/{}", pid.trim());
    eventually(WAIT, "the killed command to be gone", || async {
        let status = std::fs::read_to_string(format!("{proc_dir}/stat")).ok();
        // Gone, or a zombie about to be reaped: either way, not sleeping on.
        let gone = status.is_none_or(|stat| stat.split_whitespace().nth(2) == Some("Z"));
        gone.then_some(())
    })
    .await;
}
