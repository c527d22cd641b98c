//! Imported reports stay themselves (issue 14): `warroom import` of a
//! report "for GitHub" into an orchestrator whose fleet is another service
//! exports as GitHub's report, with its impact not measured here and its
//! postmortem posted at the report's own time, not the export's.

use std::path::Path;
use std::process::Output;

use crate::support::command::*;
use crate::support::server::*;
use crate::support::tokens::*;

const GITHUB: &str = "\
Incident with Git Operations
Incident Report for GitHub
Resolved
This incident has been resolved.
Posted Mar 02, 2024 - 17:31 UTC
Investigating
We are investigating reports of degraded performance for Git Operations.
Posted Mar 02, 2024 - 16:02 UTC
This incident affected: Git Operations.
";

async fn warroom(dir: &Path, api: &Api, args: &[&str]) -> Output {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend([
        "--api".into(),
        api.url.clone(),
        "--token".into(),
        COMMANDER.into(),
    ]);
    warroom_command(dir, &all)
        .output()
        .await
        .expect("run warroom")
}

fn succeeded(what: &str, out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn an_imported_report_keeps_its_page_its_posted_time_and_claims_no_local_impact() {
    let api = Api::sim(1.0).await;
    let local_service = api.commander().topology().await.expect("topology").service;
    assert_ne!(local_service, "GitHub");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("github.md");
    std::fs::write(&file, GITHUB).expect("write report");
    let out = warroom(dir.path(), &api, &["import", file.to_str().unwrap()]).await;
    let stdout = succeeded("import", &out);
    let id = stdout
        .split("as incident ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no incident id in {stdout:?}"))
        .to_string();

    let md = succeeded("export", &warroom(dir.path(), &api, &["export", &id]).await);
    assert!(
        md.starts_with("Incident with Git Operations\nIncident Report for GitHub\nPostmortem\n"),
        "{md}"
    );
    assert!(
        !md.contains(&local_service),
        "the local fleet's name leaked:\n{md}"
    );
    assert!(md.contains("its impact was not measured here"), "{md}");
    assert!(
        md.contains("\nScope of impact\nNot measured here: this incident was imported"),
        "{md}"
    );
    assert!(!md.contains("Sites affected"), "{md}");
    assert!(!md.contains("no site was recorded down"), "{md}");
    // The postmortem's Posted line is the report's newest, and the status
    // updates follow it unchanged.
    assert!(
        md.contains("\nPosted Mar 02, 2024 - 17:31 UTC\n\nResolved\n"),
        "{md}"
    );
    assert_eq!(
        warroom::report::status_update_section(&md),
        warroom::report::status_update_section(GITHUB)
    );

    let json = succeeded(
        "export json",
        &warroom(dir.path(), &api, &["export", &id, "--format", "json"]).await,
    );
    let value: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(value["service"], "GitHub");
    assert_eq!(value["impact"]["measured"], false);
    assert_eq!(value["impact"]["total_sites"], 0);
    assert_eq!(value["posted_at"], "2024-03-02T17:31:00Z");

    // A second trip through import and export changes nothing.
    let again = dir.path().join("again.md");
    std::fs::write(&again, &md).expect("write export");
    let out = warroom(dir.path(), &api, &["import", again.to_str().unwrap()]).await;
    let stdout = succeeded("re-import", &out);
    let id2 = stdout
        .split("as incident ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    let md2 = succeeded(
        "re-export",
        &warroom(dir.path(), &api, &["export", &id2]).await,
    );
    assert_eq!(md2, md);
    api.stop().await;
}
