//! Golden export of an incident built through the real API (issue 6): a
//! simulated orchestrator, the real client writing the incident and its
//! timeline, then `GET /v1/incidents/{id}/postmortem` and `warroom export`
//! compared with `tests/golden/api/incident.md` and `incident.json`.
//!
//! Every time the incident carries is back-dated to fixed instants (the 2017
//! switch outage of DESIGN.md §1), so the timeline, narrative, metrics and
//! status updates are the same on every run. One value is not: the
//! postmortem's own `Posted` time is the incident's `resolved_at`, which the
//! server stamps from its clock when the incident is resolved, and the sim
//! clock starts at the wall-clock time the server starts. Only that value is
//! replaced by a placeholder before the comparison, after checking it is
//! exactly `resolved_at`; everything else is compared byte for byte. Nothing
//! is normalized when comparing one export with another.
//!
//! `UPDATE_GOLDEN=1 cargo test --test report_api_golden` rewrites the golden
//! files (the convention of `tests/report/golden.rs`).

use std::path::Path;
use std::time::Duration;

use crate::support::command::*;
use chrono::TimeZone;
use chrono_tz::America::Los_Angeles;

use crate::support::server::*;
use crate::support::tokens::*;
use crate::support::wait::*;
use warroom::client::Client;
use warroom::model::{
    AffectedComponent, ComponentStatus, EntryKind, EntryPatch, Impact, IncidentPatch,
    IncidentStatus, Marker, NewEntry, NewIncident, Severity, Source, Timestamp, UpdateStatus,
    Visibility,
};

const ZONE: &str = "America/Los_Angeles";
/// Stands in for the postmortem's `Posted` time (the wall-clock-derived
/// `resolved_at`) in the golden files.
const RESOLVED_AT: &str = "<resolved_at>";
const RESOLVED_AT_TEXT: &str = "<resolved_at as Mon DD, YYYY - HH:MM>";

/// 11 September 2017 at `hour:minute` Pacific time (PDT); an hour past 23
/// runs into the next day.
fn pdt(hour: u32, minute: u32) -> Timestamp {
    let midnight = Los_Angeles
        .with_ymd_and_hms(2017, 9, 11, 0, 0, 0)
        .single()
        .expect("a valid PDT instant");
    (midnight + chrono::TimeDelta::minutes(i64::from(hour * 60 + minute))).to_utc()
}

fn entry(kind: EntryKind, body: &str, at: Timestamp) -> NewEntry {
    NewEntry {
        kind,
        status: None,
        visibility: None,
        body: body.into(),
        occurred_at: Some(at),
        starred: false,
        marker: None,
        source: None,
    }
}

fn update(status: UpdateStatus, body: &str, at: Timestamp) -> NewEntry {
    NewEntry {
        status: Some(status),
        ..entry(EntryKind::StatusUpdate, body, at)
    }
}

fn marker(marker: Marker, body: &str, at: Timestamp) -> NewEntry {
    NewEntry {
        marker: Some(marker),
        ..entry(EntryKind::Marker, body, at)
    }
}

fn note(body: &str, at: Timestamp, starred: bool) -> NewEntry {
    NewEntry {
        starred,
        ..entry(EntryKind::Note, body, at)
    }
}

const INVESTIGATING: &str = "We are investigating reports of sites not loading.\n\
                             Some visitors see timeouts.";
const IDENTIFIED: &str =
    "The issue has been identified: a failed network switch. Traffic is being rerouted.";
const UPDATE: &str = "Traffic has been rerouted and most sites load again. We keep watching.";
const RESOLVED: &str = "This incident has been resolved.";
const DRAFT: &str = "Draft, never published: sites are back.";
const FIRST_GUESS: &str = "Switch sw-2 might be dropping packets?";
const EDITED: &str = "Switch sw-2 in rack B drops packets; app-03 and app-04 sit behind it.";
const DELETED: &str = "Wrong guess: the database is overloaded.";

/// The incident as the API has it once resolved.
struct Built {
    id: i64,
    /// The server's clock when the incident was resolved.
    resolved_at: Timestamp,
}

async fn post(client: &Client, id: i64, new: NewEntry) -> warroom::model::TimelineEntry {
    client
        .create_entry(id, &new, None)
        .await
        .unwrap_or_else(|e| panic!("posting {new:?}: {e:?}"))
        .value
}

/// Builds the incident through the client: back-dated start and components,
/// public status updates (a two-line Investigating, Identified, `Update`,
/// Resolved), an internal draft update, notes (one starred, one an action
/// item), the four markers, one entry edited and one deleted, and finally
/// the incident moved to `resolved`. Entries are not posted in time order:
/// the export must order them by when they happened.
async fn build_incident(api: &Api) -> Built {
    let commander = api.commander();
    let responder = api.responder();
    let incident = commander
        .create_incident(&NewIncident {
            title: "Sites unreachable after a switch failure".into(),
            severity: Severity::Sev1,
            status: IncidentStatus::Investigating,
            impact: Impact::Major,
            components: vec![
                AffectedComponent {
                    name: "Sites".into(),
                    status: ComponentStatus::MajorOutage,
                },
                AffectedComponent {
                    name: "Application servers".into(),
                    status: ComponentStatus::PartialOutage,
                },
            ],
            started_at: Some(pdt(15, 15)),
        })
        .await
        .expect("create incident");
    let id = incident.id;

    post(
        &commander,
        id,
        update(UpdateStatus::Investigating, INVESTIGATING, pdt(15, 25)),
    )
    .await;
    // Recorded after the update above but happened before it.
    post(
        &responder,
        id,
        marker(Marker::Detected, "Alert: app-03 unreachable", pdt(15, 20)),
    )
    .await;
    post(
        &commander,
        id,
        marker(Marker::Acknowledged, "", pdt(15, 27)),
    )
    .await;
    let starred = post(&responder, id, note(FIRST_GUESS, pdt(15, 40), true)).await;
    post(
        &responder,
        id,
        note("Paging network on-call.", pdt(15, 45), false),
    )
    .await;
    post(
        &commander,
        id,
        update(UpdateStatus::Identified, IDENTIFIED, pdt(15, 50)),
    )
    .await;
    let wrong = post(&responder, id, note(DELETED, pdt(15, 55), true)).await;
    post(
        &commander,
        id,
        marker(
            Marker::Mitigated,
            "Traffic rerouted around sw-2",
            pdt(16, 30),
        ),
    )
    .await;
    post(
        &commander,
        id,
        update(UpdateStatus::Update, UPDATE, pdt(16, 35)),
    )
    .await;
    post(
        &responder,
        id,
        note(
            "Action item: add a second uplink to rack B",
            pdt(17, 30),
            false,
        ),
    )
    .await;
    post(
        &commander,
        id,
        NewEntry {
            visibility: Some(Visibility::Internal),
            ..update(UpdateStatus::Monitoring, DRAFT, pdt(17, 45))
        },
    )
    .await;
    post(&commander, id, marker(Marker::Resolved, "", pdt(18, 0))).await;
    post(
        &commander,
        id,
        update(UpdateStatus::Resolved, RESOLVED, pdt(18, 5)),
    )
    .await;

    responder
        .update_entry(
            id,
            starred.id,
            starred.version,
            &EntryPatch {
                body: Some(EDITED.into()),
                ..EntryPatch::default()
            },
        )
        .await
        .expect("edit the starred note");
    responder
        .delete_entry(id, wrong.id, wrong.version)
        .await
        .expect("delete the wrong guess");

    let current = commander.incident(id).await.expect("get incident");
    commander
        .update_incident(
            id,
            current.version,
            &IncidentPatch {
                status: Some(IncidentStatus::Resolved),
                ..IncidentPatch::default()
            },
        )
        .await
        .expect("resolve the incident");

    // A calm simulated fleet raises no alert, so the orchestrator adds no
    // detection entry (those carry sim-clock times and would vary).
    let timeline = commander.timeline(id).await.expect("timeline");
    assert!(
        timeline.entries.iter().all(|e| e.source == Source::User),
        "the orchestrator added entries of its own: {:#?}",
        timeline.entries
    );
    // Read back as the postmortem route reads it (from the store).
    let resolved = commander.incident(id).await.expect("get incident");
    Built {
        id,
        resolved_at: resolved.resolved_at.expect("resolved_at is set"),
    }
}

async fn export(api: &Api, id: i64, format: &str) -> String {
    api.viewer()
        .postmortem(id, format, Some(ZONE))
        .await
        .unwrap_or_else(|e| panic!("GET postmortem as {format}: {e:?}"))
}

/// `warroom export ID --format F --tz ZONE` against `api`: its standard output.
async fn cli_export(dir: &Path, api: &Api, id: i64, format: &str) -> String {
    let args: Vec<String> = [
        "export",
        &id.to_string(),
        "--format",
        format,
        "--tz",
        ZONE,
        "--api",
        &api.url,
        "--token",
        VIEWER,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = warroom_command(dir, &args)
        .output()
        .await
        .expect("run warroom export");
    assert!(
        out.status.success(),
        "warroom export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("export is UTF-8")
}

/// Replaces `value` by `placeholder`, checking it occurs exactly once.
fn replace_once(text: &str, value: &str, placeholder: &str) -> String {
    let count = text.matches(value).count();
    assert_eq!(
        count, 1,
        "expected {value:?} exactly once in the export, found it {count} times:\n{text}"
    );
    text.replacen(value, placeholder, 1)
}

/// The Markdown export with its one wall-clock value, the postmortem's
/// `Posted` line (= `resolved_at`), replaced by a placeholder.
fn normalize_markdown(markdown: &str, built: &Built) -> String {
    let posted = warroom::report::posted_text(built.resolved_at);
    replace_once(
        markdown,
        &format!("\n\nPosted {posted} UTC\n\n"),
        &format!("\n\nPosted {RESOLVED_AT_TEXT} UTC\n\n"),
    )
}

/// The JSON export with `posted_at` and `posted_at_text` (= `resolved_at`)
/// replaced by placeholders; the status updates' own ones are untouched.
fn normalize_json(json: &str, built: &Built) -> String {
    let at = serde_json::to_string(&built.resolved_at).expect("timestamp as JSON");
    let text = warroom::report::posted_text(built.resolved_at);
    let json = replace_once(
        json,
        &format!("\n  \"posted_at\": {at},\n"),
        &format!("\n  \"posted_at\": \"{RESOLVED_AT}\",\n"),
    );
    replace_once(
        &json,
        &format!("\n  \"posted_at_text\": \"{text}\",\n"),
        &format!("\n  \"posted_at_text\": \"{RESOLVED_AT_TEXT}\",\n"),
    )
}

fn golden_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/api")
        .join(name)
}

/// Compares `actual` with the golden file `name`; with `UPDATE_GOLDEN=1` it
/// rewrites the file first.
fn assert_golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create golden dir");
        std::fs::write(&path, actual).expect("write golden file");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .map_or_else(
                || {
                    format!(
                        "line counts differ: expected {}, actual {}",
                        expected.lines().count(),
                        actual.lines().count()
                    )
                },
                |i| {
                    format!(
                        "line {}:\n expected: {:?}\n   actual: {:?}",
                        i + 1,
                        expected.lines().nth(i).unwrap_or_default(),
                        actual.lines().nth(i).unwrap_or_default()
                    )
                },
            );
        panic!("{name} differs from the golden file:\n{line}\n--- actual ---\n{actual}");
    }
}

#[tokio::test]
async fn an_incident_built_through_the_api_exports_to_the_golden_markdown_and_json() {
    let api = Api::sim(1.0).await;
    let built = build_incident(&api).await;
    let markdown = export(&api, built.id, "md").await;
    let json = export(&api, built.id, "json").await;

    assert_golden("incident.md", &normalize_markdown(&markdown, &built));
    assert_golden("incident.json", &normalize_json(&json, &built));

    // The CLI prints exactly what the API serves: no normalization here.
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        cli_export(dir.path(), &api, built.id, "md").await,
        markdown,
        "warroom export --format md"
    );
    assert_eq!(
        cli_export(dir.path(), &api, built.id, "json").await,
        json,
        "warroom export --format json"
    );
    api.stop().await;
}

#[tokio::test]
async fn exporting_twice_gives_identical_bytes_even_after_the_clock_moved_on() {
    // 600 sim-seconds per second: the clock passes several minutes between
    // the two exports, which would show if a resolved incident's export read it.
    let api = Api::sim(600.0).await;
    let built = build_incident(&api).await;
    let first_md = export(&api, built.id, "md").await;
    let first_json = export(&api, built.id, "json").await;

    let viewer = api.viewer();
    let later = built.resolved_at + chrono::TimeDelta::minutes(5);
    eventually(
        Duration::from_secs(10),
        "the sim clock to pass resolved_at + 5 min",
        || async {
            let status = viewer.sim_status().await.ok()?;
            (status.clock > later).then_some(())
        },
    )
    .await;

    assert_eq!(export(&api, built.id, "md").await, first_md, "Markdown");
    assert_eq!(export(&api, built.id, "json").await, first_json, "JSON");
    api.stop().await;
}

/// What the golden files must say (DESIGN.md §6), checked on the live export
/// so that regenerating them cannot bless a wrong layout.
#[tokio::test]
async fn the_export_follows_the_status_page_layout() {
    let api = Api::sim(1.0).await;
    let built = build_incident(&api).await;
    let markdown = export(&api, built.id, "md").await;
    let posted = warroom::report::posted_text(built.resolved_at);

    assert!(
        markdown.starts_with(
            "Sites unreachable after a switch failure\nIncident Report for Acme Sites\n\
             Postmortem\n\nOn Monday September 11th 2017, from 15h15 PDT to 18h00 PDT, Acme \
             Sites was affected: "
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            " The incident was detected after 5 minutes, acknowledged after 12 minutes, \
             mitigated after 75 minutes and resolved after 165 minutes.\n"
        ),
        "{markdown}"
    );

    // What happened: markers and starred entries, oldest first, in PDT; the
    // edited text, not the first one; the deleted entry nowhere.
    let what_happened = section(&markdown, "What happened?\n", "\n\nScope of impact\n");
    assert_eq!(
        what_happened,
        "15h20 PDT - Alert: app-03 unreachable (detected)\n\
         15h27 PDT - (acknowledged)\n\
         15h40 PDT - Switch sw-2 in rack B drops packets; app-03 and app-04 sit behind it.\n\
         16h30 PDT - Traffic rerouted around sw-2 (mitigated)\n\
         18h00 PDT - (resolved)"
    );
    assert!(!markdown.contains(FIRST_GUESS), "the pre-edit text leaked");
    assert!(
        !markdown.contains(DELETED),
        "the deleted entry was exported"
    );
    assert!(markdown.contains("\n  • Add a second uplink to rack B\n"));
    assert!(markdown.contains(
        "\n| Time to detect | 5 | 15h20 PDT | from the incident start to the first detection \
         entry or `detected` marker |\n"
    ));
    assert!(markdown.contains("\n| Time to resolve | 165 | 18h00 PDT | "));

    // The public updates, newest first, with their Posted lines in UTC; the
    // internal draft is not published.
    let expected_updates = format!(
        "Posted {posted} UTC\n\n\
         Resolved\n{RESOLVED}\nPosted Sep 12, 2017 - 01:05 UTC\n\
         Update\n{UPDATE}\nPosted Sep 11, 2017 - 23:35 UTC\n\
         Identified\n{IDENTIFIED}\nPosted Sep 11, 2017 - 22:50 UTC\n\
         Investigating\n{INVESTIGATING}\nPosted Sep 11, 2017 - 22:25 UTC\n\
         This incident affected: Sites, Application servers.\n"
    );
    assert!(
        markdown.ends_with(&expected_updates),
        "status updates:\n{markdown}"
    );
    let public = warroom::report::status_update_section(&markdown).expect("status updates");
    assert!(!public.contains(DRAFT), "an internal update was published");
    api.stop().await;
}

/// The text between `start` and the following `end`.
fn section<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start:?} in:\n{text}"))
        + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?} in:\n{text}"))
        + from;
    &text[from..to]
}
