//! Replicas on one real PostgreSQL database (DESIGN.md §4a): three
//! `warroom serve` processes elect one leader; `kill -9` of the leader
//! hands the lease to a follower within 5 s, and the world, the event
//! stream and acknowledged timeline writes carry on; a stale leader
//! (SIGSTOP, a new leader elected, SIGCONT) cannot run a step.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::client::client_for;
use crate::support::new_incident::incident;
use crate::support::new_note::note;
use crate::support::postgres::Cluster;
use crate::support::serve::{ServeProcess, spawn_serve};
use crate::support::serve_args::{serve_args, tokens_file_text};
use crate::support::tokens::COMMANDER;
use crate::support::wait::eventually;
use warroom::client::{Client, ClientConfig, StreamItem, StreamSettings};
use warroom::model::{Action, ActionState, Plan};

const WAIT: Duration = Duration::from_secs(30);
/// The bar of issue 11: a follower leads within this long after the
/// leader's `kill -9`.
const FAILOVER_BAR: Duration = Duration::from_secs(5);

async fn cluster() -> &'static Cluster {
    tokio::task::spawn_blocking(crate::support::postgres::shared)
        .await
        .expect("the PostgreSQL cluster starts")
}

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

/// `warroom serve` as replica `node` on the PostgreSQL database `db`.
fn replica_args(fleet: &Path, db: &str, tokens: &Path, node: &str, extra: &[&str]) -> Vec<String> {
    let mut args = serve_args(fleet, Path::new("unused.db"), tokens, extra);
    let at = args.iter().position(|a| a == "--db").expect("--db");
    args[at + 1] = db.to_string();
    args.extend(["--node-id".to_string(), node.to_string()]);
    args
}

async fn healthz(url: &str) -> Option<Value> {
    reqwest::Client::new()
        .get(format!("{url}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// The index of the one replica among `urls` that leads, once every one of
/// them agrees on it (same leader, same epoch); with its epoch.
async fn agreed_leader(urls: &[String]) -> Option<(usize, i64)> {
    let mut leader = None;
    let mut seen = None;
    for (i, url) in urls.iter().enumerate() {
        let health = healthz(url).await?;
        let epoch = health["epoch"].as_i64()?;
        let leader_id = health["leader"]["node_id"].as_str()?.to_string();
        if seen.get_or_insert((leader_id.clone(), epoch)) != &(leader_id, epoch) {
            return None;
        }
        match health["role"].as_str()? {
            "leader" if leader.is_none() => leader = Some(i),
            "follower" => {}
            _ => return None,
        }
    }
    Some((leader?, seen?.1))
}

fn signal(serve: &ServeProcess, name: &str) {
    let pid = serve.child.id().expect("a running serve").to_string();
    let status = std::process::Command::new("kill")
        .args([format!("-{name}"), pid])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name}");
}

async fn kill_9(serve: &mut ServeProcess) {
    serve.child.start_kill().expect("SIGKILL");
    serve
        .child
        .wait()
        .await
        .expect("the killed serve is reaped");
}

fn client_of(urls: &[String]) -> Client {
    Client::new(ClientConfig::new(urls.to_vec(), Some(COMMANDER.into()))).expect("client")
}

/// Plans `request` and executes it through `client` (any replica: a
/// follower forwards), again while the topology moves under it, until one
/// starts; returns the started action.
async fn execute(client: &Client, request: Value) -> Action {
    let request: warroom::model::PlanRequest =
        serde_json::from_value(request).expect("a plan request");
    let last_error = std::sync::Mutex::new(String::new());
    let started = tokio::time::timeout(WAIT, async {
        loop {
            let attempt = async {
                let plan: Plan = client.create_plan(&request).await?;
                let request = warroom::model::ExecuteRequest {
                    confirm: plan.confirm.clone(),
                    acknowledge_cooldown: false,
                    automatic: false,
                };
                client
                    .execute_plan(&plan, &format!("key-{}", plan.id), &request)
                    .await
            };
            match attempt.await {
                Ok(written) => return written.value,
                Err(err) => *last_error.lock().expect("lock") = err.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    started.unwrap_or_else(|_| {
        panic!(
            "{request:?} did not start: {}",
            last_error.lock().expect("lock")
        )
    })
}

/// The highest event sequence number committed, read from the database.
async fn last_seq(db: &str) -> i64 {
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(db)
        .await
        .expect("a direct connection");
    sqlx::query_scalar("SELECT last FROM event_seq")
        .fetch_one(&mut conn)
        .await
        .expect("event_seq")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_hands_over_within_5_s_and_loses_no_event_or_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = cluster().await.database().await;
    let tokens = tokens(dir.path());
    let mut nodes = Vec::new();
    for node in ["r1", "r2", "r3"] {
        let args = replica_args(
            &demo_fleet(),
            &db,
            &tokens,
            node,
            &["--scenario", "switch-2017", "--speed", "30"],
        );
        nodes.push(Some(spawn_serve(dir.path(), &args).await));
    }
    let urls: Vec<String> = nodes.iter().flatten().map(|n| n.url.clone()).collect();
    let (leader, epoch) = eventually(WAIT, "the replicas to agree on a leader", || {
        agreed_leader(&urls)
    })
    .await;

    // The clients know all three, as `--api a,b,c` does.
    let client = client_of(&urls);
    let opened = client
        .create_incident(&incident("replicas"))
        .await
        .expect("incident");
    let start = last_seq(&db).await;
    let mut stream = client.events(
        Some(start),
        StreamSettings {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(500),
            idle_timeout: Duration::from_secs(5),
        },
    );
    let (seqs_tx, mut seqs) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(item) = stream.next().await {
            if let StreamItem::Event(event) = item
                && seqs_tx.send(event.seq).is_err()
            {
                return;
            }
        }
    });

    // 200 timeline writes, each retried with its key until acknowledged.
    let (acked_tx, acked) = tokio::sync::watch::channel(0usize);
    let writer = {
        let client = client.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..200 {
                let key = format!("write-{i}");
                let entry = note(&format!("note {i}"));
                let deadline = Instant::now() + WAIT;
                let written = loop {
                    match client.create_entry(opened.id, &entry, Some(&key)).await {
                        Ok(written) => break written,
                        Err(err) => {
                            assert!(
                                Instant::now() < deadline,
                                "write {i} never acknowledged: {err}"
                            );
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                };
                ids.push(written.value.id);
                let _ = acked_tx.send(ids.len());
            }
            ids
        })
    };

    // Kill the leader in the middle of the writes.
    let mut acked_rx = acked.clone();
    acked_rx
        .wait_for(|n| *n >= 60)
        .await
        .expect("the writer runs");
    let sim_before = client.sim_status().await.expect("sim").clock;
    let killed_at = Instant::now();
    kill_9(nodes[leader].as_mut().expect("the leader")).await;
    nodes[leader] = None;
    let survivors: Vec<String> = nodes.iter().flatten().map(|n| n.url.clone()).collect();
    let (new_leader, new_epoch) = eventually(FAILOVER_BAR, "a follower to lead", || {
        agreed_leader(&survivors)
    })
    .await;
    let took = killed_at.elapsed();
    assert!(new_epoch > epoch, "a new leader is a new epoch");
    println!("leader failover: {took:?}");

    // The world carries on under the new leader: the simulator advances,
    // and a new plan made and executed through any replica runs.
    eventually(WAIT, "the simulator to advance", || async {
        let sim = client_for(&survivors[new_leader], Some(COMMANDER))
            .sim_status()
            .await
            .ok()?;
        (sim.clock > sim_before).then_some(())
    })
    .await;
    let follower = survivors[1 - new_leader].clone();
    let via_follower = client_of(std::slice::from_ref(&follower));
    let action = execute(
        &via_follower,
        json!({"kind": "promote_spare", "target": "app-09"}),
    )
    .await;
    let done = eventually(WAIT, "the new leader's action to finish", || async {
        let a = client.action(&action.id).await.ok()?;
        (a.state != ActionState::Running).then_some(a)
    })
    .await;
    assert_eq!(done.state, ActionState::Succeeded, "{done:#?}");

    // Every acknowledged write is there, once.
    let ids = writer.await.expect("the writer ends");
    assert_eq!(ids.len(), 200);
    let timeline = client.timeline(opened.id).await.expect("timeline");
    let kept: BTreeSet<i64> = timeline.entries.iter().map(|e| e.id).collect();
    let missing: Vec<&i64> = ids.iter().filter(|id| !kept.contains(id)).collect();
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
    let notes = timeline
        .entries
        .iter()
        .filter(|e| e.body.starts_with("note "))
        .count();
    assert_eq!(notes, 200, "each write is there once");

    // The stream saw every event once, in order, across the leader change.
    let end = last_seq(&db).await;
    let mut got = Vec::new();
    let deadline = Instant::now() + WAIT;
    while got.last().is_none_or(|last| *last < end) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, seqs.recv()).await {
            Ok(Some(seq)) => got.push(seq),
            _ => panic!("the stream stopped at {:?} of {end}", got.last()),
        }
    }
    let expected: Vec<i64> = (start + 1..=got[got.len() - 1]).collect();
    assert_eq!(got.len(), expected.len(), "events lost or repeated");
    assert_eq!(got, expected, "events out of order, lost or repeated");
    reader.abort();
    for node in nodes.iter_mut().flatten() {
        kill_9(node).await;
    }
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
async fn a_stale_leader_cannot_run_a_step_after_a_new_one_was_elected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let started = dir.path().join("started.log");
    let ended = dir.path().join("ended.log");
    let gate = dir.path().join("gate");
    // Each move logs its start, waits for the gate, then logs its end.
    let script = write_script(
        dir.path(),
        "move-site.sh",
        &format!(
            "echo \"$1\" >> {started:?}\n\
             i=0; while [ ! -f {gate:?} ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\n\
             echo \"$1\" >> {ended:?}\necho moved \"$1\"",
            started = started.display().to_string(),
            gate = gate.display().to_string(),
            ended = ended.display().to_string(),
        ),
    );
    let fleet = dir.path().join("fleet.toml");
    std::fs::write(
        &fleet,
        format!(
            "{}\n[executor]\ndriver = \"exec\"\n[executor.exec]\nmove_site = [{:?}, \"{{site}}\"]\ntimeout_ms = 60000\n",
            warroom::sim::DEMO_FLEET,
            script.display().to_string()
        ),
    )
    .expect("fleet file");
    let db = cluster().await.database().await;
    let tokens = tokens(dir.path());
    let mut nodes = Vec::new();
    for node in ["s1", "s2"] {
        let args = replica_args(&fleet, &db, &tokens, node, &[]);
        nodes.push(spawn_serve(dir.path(), &args).await);
    }
    let urls: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();
    let (leader, epoch) = eventually(WAIT, "the replicas to agree on a leader", || {
        agreed_leader(&urls)
    })
    .await;
    let other = 1 - leader;
    let client = client_of(&urls);
    let action = execute(
        &client,
        json!({"kind": "evacuate_server", "target": "app-02"}),
    )
    .await;
    // The first move starts, or the action ends without one (which fails
    // the test below with what happened).
    let early = eventually(WAIT, "the first move to start", || async {
        if !lines(&started).is_empty() {
            return Some(None);
        }
        let now = client.action(&action.id).await.ok()?;
        now.state.is_finished().then_some(Some(now))
    })
    .await;
    assert_eq!(early, None, "the action ended before its first move");
    assert_eq!(
        lines(&started).len(),
        1,
        "one move started: {:?}",
        lines(&started)
    );

    // The leader freezes mid-step; the other replica takes over.
    signal(&nodes[leader], "STOP");
    let new_epoch = eventually(WAIT, "the other replica to lead", || async {
        let health = healthz(&urls[other]).await?;
        (health["role"] == "leader").then(|| health["epoch"].as_i64())?
    })
    .await;
    assert!(new_epoch > epoch);
    let interrupted = eventually(
        WAIT,
        "the new leader to mark the action interrupted",
        || async {
            let a = client_for(&urls[other], Some(COMMANDER))
                .action(&action.id)
                .await
                .ok()?;
            (a.state == ActionState::Interrupted).then_some(a)
        },
    )
    .await;

    // The stale leader wakes up; its step ends, and its next write (the
    // step's end, then the next step's start) is refused.
    // The step's command (not frozen: only the orchestrator is) ends while
    // its leader is frozen; the leader then wakes up to report it.
    std::fs::write(&gate, "").expect("open the gate");
    eventually(WAIT, "the first move to end", || async {
        (lines(&ended).len() == 1).then_some(())
    })
    .await;
    signal(&nodes[leader], "CONT");
    // Whichever comes first stops it: the store refusing the step's end
    // (fencing), or its own campaign finding the lease gone.
    // Only the stale leader ever led and lost: its log is the one that says so.
    let logs = || {
        std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".stderr"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect::<String>()
    };
    let how = eventually(WAIT, "the stale leader to stop the action", || async {
        let log = logs();
        if log.contains("no longer the leader") {
            Some("fenced")
        } else if log.contains("stepping down") {
            Some("stepped down")
        } else {
            None
        }
    })
    .await;
    println!("the stale leader was stopped: {how}");
    eventually(WAIT, "the stale leader to follow", || async {
        (healthz(&urls[leader]).await?["role"] == "follower").then_some(())
    })
    .await;
    assert_eq!(
        lines(&started).len(),
        1,
        "no step ran after the lease was lost"
    );
    let after = client.action(&action.id).await.expect("the action");
    assert_eq!(
        after, interrupted,
        "nothing the stale leader did after losing the lease was stored"
    );
    for node in &mut nodes {
        kill_9(node).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_stopped_with_sigterm_gives_its_lease_up_on_the_way_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = cluster().await.database().await;
    let tokens = tokens(dir.path());
    let mut nodes = Vec::new();
    for node in ["t1", "t2"] {
        let args = replica_args(&demo_fleet(), &db, &tokens, node, &[]);
        nodes.push(spawn_serve(dir.path(), &args).await);
    }
    let urls: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();
    let (leader, epoch) = eventually(WAIT, "the replicas to agree on a leader", || {
        agreed_leader(&urls)
    })
    .await;
    signal(&nodes[leader], "TERM");
    let status = tokio::time::timeout(WAIT, nodes[leader].child.wait())
        .await
        .expect("the leader exits")
        .expect("exit status");
    assert!(status.success(), "a clean exit: {status:?}");
    // Once it is gone, the lease it held is no longer live: it resigned
    // rather than letting the lease run out.
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db)
        .await
        .expect("a direct connection");
    let (held_epoch, live): (i64, bool) =
        sqlx::query_as("SELECT epoch, expires_at > now() FROM leader_lease WHERE id = 1")
            .fetch_one(&mut conn)
            .await
            .expect("the lease");
    assert!(
        held_epoch > epoch || !live,
        "the stopped leader's lease (epoch {held_epoch}) is still live"
    );
    let other = 1 - leader;
    eventually(WAIT, "the other replica to lead", || async {
        (healthz(&urls[other]).await?["role"] == "leader").then_some(())
    })
    .await;
    kill_9(&mut nodes[other]).await;
}
