//! Postmortems through the real API and CLI: import a status-page report with
//! `warroom import`, export it with `warroom export`, and get the report's
//! status updates back byte for byte — the same bytes every time.

use std::path::Path;
use std::process::Output;

use crate::support::command::*;

use crate::support::server::*;
use crate::support::tokens::*;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/report")
        .join(name)
}

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

fn imported_id(out: &Output) -> i64 {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "import failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .split("as incident ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no incident id in {stdout:?}"))
}

#[tokio::test]
async fn import_then_export_reproduces_the_status_updates_byte_for_byte() {
    let api = Api::sim(1.0).await;
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["switch-2017.md", "db-2020.md", "multiline.md"] {
        let original = std::fs::read_to_string(fixture(name)).expect("fixture");
        let out = warroom(
            dir.path(),
            &api,
            &["import", fixture(name).to_str().unwrap()],
        )
        .await;
        let id = imported_id(&out).to_string();

        let first = dir.path().join(format!("{name}.1.md"));
        let second = dir.path().join(format!("{name}.2.md"));
        for path in [&first, &second] {
            let out = warroom(
                dir.path(),
                &api,
                &["export", &id, "-o", path.to_str().unwrap()],
            )
            .await;
            assert!(
                out.status.success(),
                "export: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let exported = std::fs::read_to_string(&first).expect("export");
        assert_eq!(
            exported,
            std::fs::read_to_string(&second).unwrap(),
            "{name}: same bytes twice"
        );
        assert_eq!(
            warroom::report::status_update_section(&exported),
            warroom::report::status_update_section(&original),
            "{name}: the status updates survive import and export"
        );

        let json = warroom(dir.path(), &api, &["export", &id, "--format", "json"]).await;
        let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json export");
        assert_eq!(
            value["incident_id"],
            serde_json::json!(id.parse::<i64>().unwrap())
        );
        assert!(
            value["status_updates"]
                .as_array()
                .is_some_and(|u| !u.is_empty())
        );
    }
    api.stop().await;
}

#[tokio::test]
async fn bad_reports_and_templates_are_refused_with_their_line() {
    let api = Api::sim(1.0).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.md");
    std::fs::write(
        &bad,
        "Title\nIncident Report for Acme\nResolved\nAll good.\nPosted yesterday\n",
    )
    .unwrap();
    let out = warroom(dir.path(), &api, &["import", bad.to_str().unwrap()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("line 6") && stderr.contains("Posted"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = warroom(
        dir.path(),
        &api,
        &["import", fixture("db-2020.md").to_str().unwrap()],
    )
    .await;
    let id = imported_id(&out).to_string();
    let template = dir.path().join("t.j2");
    std::fs::write(&template, "{{ title }}\n{{ service }}\n{% for u in status_updates %}\n{{ u.status_name }}\n{% endfor %}\n{{ no_such_thing.x }}\n").unwrap();
    let out = warroom(
        dir.path(),
        &api,
        &["export", &id, "--template", template.to_str().unwrap()],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("line 6"), "{stderr}");
    api.stop().await;
}
