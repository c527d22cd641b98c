//! Import then export: for reports in the status-page layout, the exported
//! status-update section equals the report's byte for byte.

use crate::support::report::*;
use warroom::model::{EntryKind, IncidentStatus, Source, UpdateStatus, Visibility};
use warroom::report::{
    DEFAULT_TEMPLATE, IMPORTED_POSTMORTEM_HEADER, IMPORTED_REPORT_HEADER, ImportedReport,
    PostmortemInput, build, imported_to_entries, parse_report, render_markdown,
    status_update_section,
};

const FIXTURES: [&str; 3] = ["switch-2017.md", "db-2020.md", "multiline.md"];

/// `render(build(import(report)))`, through the entries the API would store.
fn export_imported(report: &ImportedReport) -> String {
    let export_time = utc(2024, 1, 1, 0, 0);
    let (new_incident, new_entries) = imported_to_entries(report);
    let incident = stored_incident(&new_incident, export_time);
    let entries = stored_entries(&new_entries, export_time);
    // The local fleet has another name: the report keeps its own.
    let pm = build(&PostmortemInput {
        service: "Local fleet",
        incident: &incident,
        entries: &entries,
        site_history: &[],
        total_sites: 0,
        component_history: &[],
        tz: chrono_tz::UTC,
        until: export_time,
        roles: &[],
    });
    render_markdown(&pm, DEFAULT_TEMPLATE).unwrap()
}

#[test]
fn every_fixture_round_trips_its_status_update_section_byte_for_byte() {
    for name in FIXTURES {
        let original = fixture(name);
        let report = parse_report(&original).unwrap_or_else(|e| panic!("{name}: {e}"));
        let exported = export_imported(&report);
        let expected = status_update_section(&original).unwrap();
        let actual = status_update_section(&exported).unwrap_or_else(|| panic!("{name}: none"));
        assert_eq!(actual, expected, "{name}");
        // And a second trip changes nothing.
        let again = export_imported(&parse_report(&exported).unwrap());
        assert_eq!(again, exported, "{name}: second round trip");
    }
}

#[test]
fn a_report_with_a_postmortem_part_round_trips_whole() {
    let original = fixture("switch-2017.md");
    assert_eq!(export_imported(&parse_report(&original).unwrap()), original);
}

#[test]
fn a_report_without_a_postmortem_part_gets_a_drafted_one() {
    let original = fixture("db-2020.md");
    let report = parse_report(&original).unwrap();
    assert_eq!(report.postmortem, None);
    assert_eq!(report.title, "Sites unresponsive after a database failover");
    assert_eq!(report.service, "Acme Sites");
    assert_eq!(report.components, ["Sites", "Database"]);
    let statuses: Vec<_> = report.updates.iter().map(|u| u.status).collect();
    use UpdateStatus::*;
    assert_eq!(
        statuses,
        [Resolved, Monitoring, Update, Update, Investigating]
    );
    assert_eq!(report.updates[4].posted_at, utc(2020, 4, 1, 13, 5));
    assert_eq!(
        report.updates[4].body,
        "We are seeing a high number of failed requests across our sites and are investigating."
    );

    let exported = export_imported(&report);
    assert!(exported.starts_with(
        "Sites unresponsive after a database failover\nIncident Report for Acme Sites\n\
         Postmortem\n\nOn Wednesday April 1st 2020, from 13h05 UTC to 16h57 UTC, Acme Sites"
    ));
    // Posted at the report's own (newest) time, not at the export's.
    assert!(exported.contains("\nPosted Apr 01, 2020 - 16:57 UTC\n\nResolved\n"));
    assert!(!exported.contains("Jan 01, 2024"), "{exported}");
    assert!(
        exported.contains("its impact was not measured here"),
        "{exported}"
    );
    assert!(!exported.contains("Sites affected:"), "{exported}");
}

#[test]
fn multi_line_bodies_and_same_minute_updates_keep_their_lines_and_order() {
    let report = parse_report(&fixture("multiline.md")).unwrap();
    assert_eq!(report.components, Vec::<String>::new());
    assert_eq!(
        report.updates[0].body,
        "The control panel is fully working again.\n\nThank you for your patience."
    );
    assert_eq!(
        report.updates[1].body,
        "A fix has been deployed:  \n  - the session store was moved to a new node\n  - caches were warmed\nWe are monitoring the results."
    );
    assert_eq!(report.updates[1].status, UpdateStatus::Monitoring);
    assert_eq!(report.updates[2].status, UpdateStatus::Update);
    assert_eq!(report.updates[1].posted_at, report.updates[2].posted_at);
}

#[test]
fn imported_entries_are_back_dated_import_entries_oldest_first() {
    let report = parse_report(&fixture("switch-2017.md")).unwrap();
    let (incident, entries) = imported_to_entries(&report);
    assert_eq!(
        incident.title,
        "Sites offline after a network switch failure"
    );
    assert_eq!(incident.status, IncidentStatus::Resolved);
    assert_eq!(incident.started_at, Some(utc(2017, 9, 11, 22, 25)));
    let names: Vec<_> = incident
        .components
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["Sites", "Application servers"]);

    assert_eq!(entries.len(), 8);
    assert!(entries.iter().all(|e| e.source == Some(Source::Import)));
    let times: Vec<_> = entries.iter().map(|e| e.occurred_at.unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    let first = &entries[0];
    assert_eq!(
        (first.kind, first.status, first.visibility),
        (
            EntryKind::StatusUpdate,
            Some(UpdateStatus::Investigating),
            Some(Visibility::Public)
        )
    );
    let note = &entries[6];
    assert_eq!(note.kind, EntryKind::Note);
    assert_eq!(note.visibility, Some(Visibility::Internal));
    assert_eq!(note.occurred_at, Some(utc(2017, 9, 14, 12, 46)));
    assert!(note.body.starts_with(&format!(
        "{IMPORTED_POSTMORTEM_HEADER}\nOn Monday September 11th"
    )));
    assert!(
        note.body
            .ends_with("  • Detect web servers holding stale connections.")
    );
    // Last, the report itself: its page name, at its own Posted time.
    let page = entries.last().unwrap();
    assert_eq!(page.kind, EntryKind::Note);
    assert_eq!(page.visibility, Some(Visibility::Internal));
    assert_eq!(
        page.body,
        format!("{IMPORTED_REPORT_HEADER}\nIncident Report for Acme Sites")
    );
    assert_eq!(page.occurred_at, Some(utc(2017, 9, 14, 12, 46)));
}
