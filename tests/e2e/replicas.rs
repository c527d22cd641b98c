//! End to end, issue 11: a console started with `--api a,b,c` on three
//! replicas that share one PostgreSQL database keeps its timeline when the
//! replica it streams from, the leader, is `kill -9`ed: it follows another
//! replica, resumes the stream by `Last-Event-ID`, and shows every note
//! written before and after the kill exactly once; a note written in the
//! console after the kill is stored once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::api_serve::console;
use crate::support::postgres;
use crate::support::serve::{ServeProcess, spawn_serve};
use crate::support::serve_args::{serve_args, tokens_file_text};
use crate::support::tokens::COMMANDER;
use crate::support::wait::eventually;
use warroom::client::{Client, ClientConfig};
use warroom::model::{EntryKind, Impact, IncidentStatus, NewEntry, NewIncident, Severity};

const WAIT: Duration = Duration::from_secs(30);
const WIDTH: u16 = 159;
const HEIGHT: u16 = 50;

/// `warroom serve` as replica `node` of the demo fleet on `db`.
fn replica_args(dir: &Path, db: &str, node: &str) -> Vec<String> {
    let tokens = dir.join("tokens.toml");
    std::fs::write(&tokens, tokens_file_text()).expect("tokens file");
    let fleet = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/fleets/demo.toml");
    let mut args = serve_args(&fleet, Path::new("unused.db"), &tokens, &[]);
    let at = args.iter().position(|a| a == "--db").expect("--db");
    args[at + 1] = db.to_string();
    args.extend(["--node-id".to_string(), node.to_string()]);
    args
}

/// The role `/healthz` of `url` reports, if it answers.
async fn role(url: &str) -> Option<String> {
    let health: Value = reqwest::Client::new()
        .get(format!("{url}/healthz"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    health["role"].as_str().map(str::to_string)
}

/// Writes `body` as a note, retrying with its key until a replica
/// acknowledges it (a leader change is under way).
async fn write_note(client: &Client, incident: i64, body: &str) {
    let entry = NewEntry {
        kind: EntryKind::Note,
        body: body.to_string(),
        visibility: None,
        status: None,
        occurred_at: None,
        starred: false,
        marker: None,
        source: None,
    };
    let deadline = Instant::now() + WAIT;
    loop {
        match client.create_entry(incident, &entry, Some(body)).await {
            Ok(_) => return,
            Err(err) => {
                assert!(
                    Instant::now() < deadline,
                    "{body} never acknowledged: {err}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_on_three_replicas_keeps_its_timeline_when_the_leader_is_killed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cluster = tokio::task::spawn_blocking(postgres::shared)
        .await
        .expect("the PostgreSQL cluster starts");
    let db = cluster.database().await;
    let mut nodes: Vec<ServeProcess> = Vec::new();
    for node in ["r1", "r2", "r3"] {
        nodes.push(spawn_serve(dir.path(), &replica_args(dir.path(), &db, node)).await);
    }
    let urls: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();
    let leader = eventually(WAIT, "one replica to lead", || async {
        let mut leaders = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            if role(url).await?.as_str() == "leader" {
                leaders.push(i);
            }
        }
        (leaders.len() == 1).then(|| leaders[0])
    })
    .await;

    // The console lists the leader first, so its stream is on the replica
    // that is killed.
    let mut order = vec![urls[leader].clone()];
    order.extend(
        urls.iter()
            .enumerate()
            .filter(|(i, _)| *i != leader)
            .map(|(_, u)| u.clone()),
    );
    let client =
        Client::new(ClientConfig::new(order.clone(), Some(COMMANDER.into()))).expect("client");
    let tmux = console(&order.join(","), COMMANDER, WIDTH, HEIGHT, &[]);
    let incident = client
        .create_incident(&NewIncident {
            title: "Across replicas".into(),
            severity: Severity::Sev2,
            status: IncidentStatus::Investigating,
            impact: Impact::Minor,
            components: Vec::new(),
            started_at: None,
        })
        .await
        .expect("incident")
        .id;
    tmux.wait_for("the console to follow the incident", WAIT, |s| {
        s.lines().take(2).any(|l| l.contains("Across replicas"))
    });
    for i in 1..=3 {
        write_note(&client, incident, &format!("across-{i}")).await;
    }
    tmux.wait_for("the notes before the kill", WAIT, |s| {
        s.contains("across-3")
    });

    let mut killed = nodes.remove(leader);
    killed.child.start_kill().expect("SIGKILL");
    killed.child.wait().await.expect("reaped");
    for i in 4..=6 {
        write_note(&client, incident, &format!("across-{i}")).await;
    }
    // The console's own write goes through whichever replica answers.
    tmux.keys(&["n"]);
    tmux.wait_for("the note editor", WAIT, |s| s.contains("New note"));
    tmux.type_text("from-the-console");
    tmux.keys(&["C-s"]);
    let screen = tmux.wait_for("every note after the kill", WAIT, |s| {
        s.contains("across-6") && s.contains("from-the-console") && !s.contains("New note")
    });
    // The console shows its note at once and delivers it from its journal,
    // trying the next replica after the dead one: wait for the store.
    let stored = eventually(WAIT, "the console's note stored", || async {
        let entries = client.timeline(incident).await.ok()?.entries;
        entries
            .iter()
            .any(|e| e.body == "from-the-console")
            .then_some(entries)
    })
    .await;
    assert_eq!(
        stored
            .iter()
            .filter(|e| e.body == "from-the-console")
            .count(),
        1,
        "the console's note stored once"
    );
    assert_eq!(screen.matches("from-the-console").count(), 1, "{screen}");
    for i in 1..=6 {
        let note = format!("across-{i}");
        assert_eq!(
            screen.matches(note.as_str()).count(),
            1,
            "{note} shown exactly once:\n{screen}"
        );
    }
    assert!(
        screen.lines().take(2).any(|l| l.contains("API live")),
        "the console is live on another replica:\n{screen}"
    );
    tmux.quit_and_check_restored();
}
