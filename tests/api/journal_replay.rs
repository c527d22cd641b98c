//! The offline journal end to end: writes made while the API is down are
//! kept across a console restart and arrive exactly once, in order, when
//! the API is back.

use std::path::Path;
use std::sync::Mutex;

use crate::support::client::*;
use crate::support::new_incident::*;
use crate::support::new_note::*;
use crate::support::serve::*;
use crate::support::serve_args::*;
use crate::support::tokens::*;
use warroom::client::journal::{self, Journal, JournalWrite, Outcome, ReplayStop, WriteOp};
use warroom::model::{IncidentState, Source};

fn demo_fleet() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/fleets/demo.toml")
}

#[tokio::test]
async fn fifty_offline_entries_arrive_once_in_order_after_a_console_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = dir.path().join("tokens.toml");
    std::fs::write(&tokens, tokens_file_text()).expect("tokens");
    let db = dir.path().join("warroom.db");

    let mut first = spawn_serve(dir.path(), &serve_args(&demo_fleet(), &db, &tokens, &[])).await;
    let url = first.url.clone();
    let client = client_for(&url, Some(RESPONDER));
    let incident = client
        .create_incident(&incident("journal"))
        .await
        .expect("incident");
    first.child.kill().await.expect("kill serve");

    // The console: every write goes to the journal first, then to the API.
    let journal_path = Journal::path_for(&dir.path().join("journal"), &url);
    {
        let mut journal = Journal::open(&journal_path).expect("journal");
        for i in 0..50 {
            let write = JournalWrite {
                id: format!("entry-{i:02}-{}", uuid::Uuid::new_v4()),
                incident_id: incident.id,
                made_at: chrono::Utc::now(),
                op: WriteOp::CreateEntry {
                    entry: note(&format!("offline note {i}\nline two")),
                },
            };
            journal.append(write.clone()).expect("append");
            let sent = journal::send(&client, &write).await;
            assert!(
                matches!(&sent, Err(e) if e.is_unreachable()),
                "the API is down, so the write must stay pending: {sent:?}"
            );
        }
        assert_eq!(journal.pending().len(), 50);
    } // the console exits

    // The console starts again and finds its pending writes.
    let journal = Mutex::new(Journal::open(&journal_path).expect("reopen"));
    assert_eq!(journal.lock().unwrap().pending().len(), 50);
    match journal::replay(&client, &journal).await {
        Err(ReplayStop::Unreachable { outcomes, .. }) => assert!(outcomes.is_empty()),
        other => panic!("replay with the API down must stop at once: {other:?}"),
    }

    // The API comes back on the same address and database.
    let args = serve_args_at(&url, &demo_fleet(), &db, &tokens, &[]);
    let _second = spawn_serve(dir.path(), &args).await;

    // A write that reached the server before the crash, but was never marked
    // done, must not be posted twice.
    let already = journal.lock().unwrap().pending()[0].clone();
    journal::send(&client, &already).await.expect("early send");

    let outcomes = match journal::replay(&client, &journal).await {
        Ok(outcomes) => outcomes,
        Err(ReplayStop::Unreachable { error, .. }) => panic!("API back, yet unreachable: {error}"),
        Err(ReplayStop::Journal(e)) => panic!("{e}"),
    };
    assert_eq!(outcomes.len(), 50);
    assert!(outcomes.iter().all(|o| matches!(o, Outcome::Sent(_))));
    assert!(journal.lock().unwrap().pending().is_empty());

    let timeline = client.timeline(incident.id).await.expect("timeline");
    let bodies: Vec<String> = timeline
        .entries
        .iter()
        .filter(|e| e.source == Source::User)
        .map(|e| e.body.clone())
        .collect();
    let expected: Vec<String> = (0..50)
        .map(|i| format!("offline note {i}\nline two"))
        .collect();
    assert_eq!(
        bodies, expected,
        "exactly the 50 entries, once each, in order"
    );
    let open = client
        .incidents(Some(IncidentState::Open))
        .await
        .expect("incidents");
    assert_eq!(open.len(), 1);

    // Nothing left to replay after another restart.
    drop(journal);
    let journal = Journal::open(&journal_path).expect("reopen");
    assert!(journal.pending().is_empty());
}
