//! The database replica rebuilt on the real lab (issue 14 point 7):
//! `warroom lab --no-console`; the database writer is switched over from
//! db-1 to db-2 (`pg_ctl promote`), which leaves db-1 a primary of its own,
//! following nobody: "the database has no replica". The `restore_db_replica`
//! plan runs the lab's `rebuild-replica` runbook: db-1 is stopped, its data
//! directory set aside, a `pg_basebackup` of db-2 taken and started as a
//! standby. PostgreSQL itself then says db-1 is in recovery and db-2
//! streams to it; the alert clears; and once the lab stops, nothing it
//! started (the rebuilt server included) is left. Needs haproxy, memcached,
//! PostgreSQL and python3, like the other lab tests.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use crate::support::lab::{LabRun, descendants, still_running};
use crate::support::wait::eventually;
use warroom::client::{Client, ClientConfig};
use warroom::model::{
    Action, ActionState, ExecuteRequest, HealthState, Plan, PlanKind, PlanOptions, PlanRequest,
    StepOp,
};

const WAIT: Duration = Duration::from_secs(60);

fn request(kind: PlanKind, target: Option<&str>) -> PlanRequest {
    PlanRequest {
        kind,
        target: target.map(str::to_string),
        options: PlanOptions::default(),
    }
}

async fn run(client: &Client, plan: &Plan) -> Action {
    let started = client
        .execute_plan(
            plan,
            &format!("lab-{}", plan.id),
            &ExecuteRequest::default(),
        )
        .await
        .expect("execute")
        .value;
    eventually(WAIT, "the action to finish", || async {
        let action = client.action(&started.id).await.ok()?;
        (action.state != ActionState::Running).then_some(action)
    })
    .await
}

/// One value from `sql` on the lab's PostgreSQL at `addr`.
fn psql(addr: SocketAddr, sql: &str) -> String {
    let bins = warroom::lab::Binaries::find().expect("lab binaries");
    let output = Command::new(bins.pg("psql"))
        .args(["-X", "-q", "-tA", "-h", &addr.ip().to_string()])
        .args([
            "-p",
            &addr.port().to_string(),
            "-U",
            "postgres",
            "-d",
            "postgres",
        ])
        .args(["-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn db_addr(lab: &LabRun, id: &str) -> SocketAddr {
    let text = std::fs::read_to_string(lab.dir.join("lab.json")).expect("lab.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("lab.json is JSON");
    json["addrs"][id]
        .as_str()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("{id} in lab.json: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_switchover_the_old_writer_is_rebuilt_as_a_streaming_replica() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut lab = LabRun::start(dir.path());
    let client = Client::new(ClientConfig::new(
        vec![lab.api.clone()],
        Some(lab.token.clone()),
    ))
    .expect("client");
    eventually(WAIT, "every server up on the real probes", || async {
        let t = client.topology().await.ok()?;
        t.servers
            .iter()
            .all(|s| s.health.state == HealthState::Up)
            .then_some(())
    })
    .await;
    let (db1, db2) = (db_addr(&lab, "db-1"), db_addr(&lab, "db-2"));
    assert_eq!(
        psql(db2, "SELECT pg_is_in_recovery()"),
        "t",
        "db-2 starts a replica"
    );

    let switchover = client
        .create_plan(&request(PlanKind::DbFailover, Some("db-2")))
        .await
        .expect("a switchover plan");
    let action = run(&client, &switchover).await;
    assert!(
        matches!(
            action.state,
            ActionState::Succeeded | ActionState::NeedsFollowUp
        ),
        "{action:#?}"
    );
    assert_eq!(psql(db2, "SELECT pg_is_in_recovery()"), "f", "db-2 writes");
    // db-1 still runs as a primary of its own: no replica follows db-2.
    eventually(WAIT, "the no-replica alert", || async {
        let alerts = client.alerts().await.ok()?.alerts;
        alerts
            .iter()
            .any(|a| a.id == "database_no_replica:database")
            .then_some(())
    })
    .await;
    assert_eq!(psql(db2, "SELECT count(*) FROM pg_stat_replication"), "0");

    let rebuild = client
        .create_plan(&request(PlanKind::RestoreDbReplica, None))
        .await
        .expect("a rebuild plan");
    assert_eq!(
        rebuild.steps[0].op,
        StepOp::RebuildReplica {
            node: "db-1".into(),
            writer: "db-2".into()
        }
    );
    let action = run(&client, &rebuild).await;
    assert_eq!(action.state, ActionState::Succeeded, "{action:#?}");
    let output = action.steps[0].output.clone().unwrap_or_default();
    assert!(output.contains("pg_basebackup"), "{output}");

    // PostgreSQL's own word: db-1 recovers from db-2, which streams to it.
    assert_eq!(psql(db1, "SELECT pg_is_in_recovery()"), "t");
    assert_eq!(
        psql(
            db2,
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"
        ),
        "1"
    );
    let topology = client.topology().await.expect("topology");
    let db = topology.database.expect("database");
    assert_eq!(
        (db.writer.as_str(), db.replicas.as_slice()),
        ("db-2", &["db-1".to_string()][..])
    );
    eventually(WAIT, "the no-replica alert to clear", || async {
        let alerts = client.alerts().await.ok()?.alerts;
        (!alerts
            .iter()
            .any(|a| a.id == "database_no_replica:database"))
        .then_some(())
    })
    .await;

    // The rebuilt server is the lab's: it stops with the rest.
    let started = descendants(lab.pid());
    let groups: Vec<i32> = lab.groups().into_iter().map(|(_, g)| g).collect();
    assert!(lab.groups().iter().any(|(name, _)| name == "db-1"));
    let status = lab.stop();
    assert!(status.success(), "the lab exits cleanly: {status}");
    let left = still_running(&started, &groups);
    assert!(
        left.is_empty(),
        "left running after the lab stopped: {left:?}"
    );
}
