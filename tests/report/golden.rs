//! Golden export of the 2017 switch outage (DESIGN.md §1), built by hand:
//! the Markdown and JSON drafts, byte for byte, and the same bytes twice.

use crate::support::report::*;
use chrono_tz::America::Los_Angeles;
use warroom::report::{
    DEFAULT_TEMPLATE, build, render_json, render_markdown, status_update_section,
};

fn export(tz: chrono_tz::Tz) -> (String, String) {
    let incident = incident_2017();
    let entries = entries_2017();
    let sites = site_history_2017();
    let components = component_history_2017();
    let pm = build(&input_2017(&incident, &entries, &sites, &components, tz));
    let markdown = render_markdown(&pm, DEFAULT_TEMPLATE).unwrap();
    (markdown, render_json(&pm))
}

#[test]
fn the_2017_outage_exports_to_the_golden_markdown_and_json() {
    let (markdown, json) = export(Los_Angeles);
    assert_golden("switch-2017.export.md", &markdown);
    assert_golden("switch-2017.export.json", &json);
}

#[test]
fn exporting_twice_gives_the_same_bytes() {
    assert_eq!(export(Los_Angeles), export(Los_Angeles));
}

#[test]
fn the_status_update_section_lists_public_updates_newest_first() {
    let (markdown, _) = export(Los_Angeles);
    let section = status_update_section(&markdown).unwrap();
    let times = update_times_2017();
    let mut expected = String::new();
    for (index, (status, body)) in UPDATES_2017.iter().enumerate().rev() {
        let name = warroom::report::status_name(*status);
        let posted = warroom::report::posted_text(times[index]);
        expected.push_str(&format!("{name}\n{body}\nPosted {posted} UTC\n"));
    }
    expected.push_str("This incident affected: Sites, Application servers.\n");
    assert_eq!(section, expected);
    assert!(
        !section.contains("Draft, never published"),
        "internal update published"
    );
    assert!(
        !markdown.contains("this note was deleted"),
        "deleted entry exported"
    );
}

#[test]
fn the_narrative_is_written_in_the_configured_zone() {
    let (la, _) = export(Los_Angeles);
    assert!(
        la.contains("On Monday September 11th 2017, from 15h15 PDT to 18h30 PDT, Acme Sites"),
        "{la}"
    );
    assert!(la.contains("\n15h16 PDT - app-03 down: 10 sites unreachable\n"));
    let (utc, _) = export(chrono_tz::UTC);
    assert!(
        utc.contains(
            "On Monday September 11th 2017, from 22h15 UTC to 01h30 UTC on Tuesday September 12th \
             2017, Acme Sites"
        ),
        "{utc}"
    );
    assert!(utc.contains("\nSep 12 01h30 UTC - (resolved)\n"));
    // Posted stamps stay in UTC whatever the zone.
    assert_eq!(status_update_section(&la), status_update_section(&utc));
    assert!(la.contains("\nPosted Sep 14, 2017 - 12:46 UTC\n"));
}

#[test]
fn an_ongoing_incident_runs_until_the_export_time() {
    let mut incident = incident_2017();
    incident.resolved_at = None;
    // The timeline up to 16h30 PDT: no resolved marker or update yet.
    let entries: Vec<_> = entries_2017()
        .into_iter()
        .filter(|e| e.occurred_at < pdt(75))
        .collect();
    let sites = site_history_2017();
    let mut input = input_2017(&incident, &entries, &sites, &[], Los_Angeles);
    input.until = pdt(100);
    let pm = build(&input);
    assert!(pm.ongoing);
    assert_eq!(pm.ended_at, pdt(100));
    assert_eq!(pm.posted_at, pdt(100));
    assert!(
        pm.narrative.starts_with(
            "On Monday September 11th 2017, from 15h15 PDT until at least 16h55 PDT (still \
             ongoing), Acme Sites was affected: 30 of 400 sites (7.5%) were down"
        ),
        "{}",
        pm.narrative
    );
    let resolve = pm
        .metrics
        .rows
        .iter()
        .find(|r| r.key == "time_to_resolve")
        .unwrap();
    assert_eq!(resolve.minutes, None);
    let markdown = render_markdown(&pm, DEFAULT_TEMPLATE).unwrap();
    assert!(markdown.contains("| Time to resolve | not recorded | - |"));
    assert!(markdown.contains("\nPosted Sep 11, 2017 - 23:55 UTC\n\nInvestigating\n"));
}

/// The 2017 outage declared six minutes after the first detection, its
/// start left at the declaration: the detection and acknowledgement came
/// before the recorded start and say so (negative minutes), never 0; the
/// impact is measured from the declaration, so the figures shrink. The
/// golden file is what a commander sees before back-dating the start.
#[test]
fn the_2017_outage_declared_late_shows_what_came_before_its_start() {
    let mut incident = incident_2017();
    incident.started_at = pdt(7);
    incident.created_at = pdt(7);
    let entries = entries_2017();
    let sites = site_history_2017();
    let components = component_history_2017();
    let pm = build(&input_2017(
        &incident,
        &entries,
        &sites,
        &components,
        Los_Angeles,
    ));
    let row = |key: &str| {
        pm.metrics
            .rows
            .iter()
            .find(|r| r.key == key)
            .unwrap()
            .clone()
    };
    assert_eq!(row("time_to_detect").minutes, Some(-6));
    assert!(row("time_to_detect").before_start);
    assert_eq!(row("time_to_acknowledge").minutes, Some(-2));
    assert!(!row("time_to_mitigate").before_start);
    assert!(
        pm.narrative
            .contains("detected 6 minutes before the recorded start, acknowledged 2 minutes before the recorded start"),
        "{}",
        pm.narrative
    );
    let markdown = render_markdown(&pm, DEFAULT_TEMPLATE).unwrap();
    assert!(
        markdown.contains("| Time to detect | -6 (before the start) | 15h16 PDT |"),
        "{markdown}"
    );
    assert_golden("switch-2017.declared-late.md", &markdown);

    // Back-dated to the start of impact, the same record measures from it.
    incident.started_at = pdt(0);
    let pm = build(&input_2017(
        &incident,
        &entries,
        &sites,
        &components,
        Los_Angeles,
    ));
    let detect = pm
        .metrics
        .rows
        .iter()
        .find(|r| r.key == "time_to_detect")
        .unwrap();
    assert_eq!(detect.minutes, Some(1));
    assert!(!detect.before_start);
}
