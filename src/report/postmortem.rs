//! The postmortem as data: every figure and sentence the template prints,
//! computed from the incident, its timeline and the health history.

use chrono_tz::Tz;
use serde::Serialize;

use crate::model::{
    EntryKind, HealthSample, Incident, Marker, Severity, Source, TimelineEntry, Timestamp,
    UpdateStatus, Visibility,
};

use super::clock::{LocalClock, posted_text};
use super::impact::{ComponentMinutes, SiteImpact, component_minutes, impact};
use super::lines::Lines;
use super::metrics::{DEFINITIONS, Metrics, metrics};

/// First line of the note that carries a postmortem read by the importer; the
/// rest of the note is the published text, reproduced as published on export.
pub const IMPORTED_POSTMORTEM_HEADER: &str = "Published postmortem (imported)";

/// First line of the note the importer writes about the report itself; its
/// second line is the report's `Incident Report for <page>` line, and the
/// note is dated at the report's own `Posted` time.
pub const IMPORTED_REPORT_HEADER: &str = "Imported status-page report";

/// Everything a postmortem is built from. The caller reads it (store, clock,
/// config); building it does no I/O and never reads the clock.
#[derive(Debug, Clone, Copy)]
pub struct PostmortemInput<'a> {
    /// The service's public name, e.g. `Acme Sites` (an imported report
    /// keeps its own page name instead).
    pub service: &'a str,
    pub incident: &'a Incident,
    /// The incident's timeline; deleted entries are ignored.
    pub entries: &'a [TimelineEntry],
    /// State-change samples of sites covering the incident.
    pub site_history: &'a [HealthSample],
    pub total_sites: u32,
    /// State-change samples of servers, switches, cache and database.
    pub component_history: &'a [HealthSample],
    /// The zone the narrative is written in.
    pub tz: Tz,
    /// The export time: end of the window for an ongoing incident and the
    /// postmortem's `Posted` time (unless an imported postmortem has its own).
    pub until: Timestamp,
    /// Every term of the incident's roles (commander, communications,
    /// scribe), by start.
    pub roles: &'a [crate::model::RoleTerm],
}

/// A postmortem draft. Serialized as the JSON export and handed to the template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Postmortem {
    pub title: String,
    pub service: String,
    pub incident_id: i64,
    pub severity: Severity,
    /// IANA name of the zone local times are written in.
    pub time_zone: String,
    pub started_at: Timestamp,
    pub started_at_local: String,
    /// When it was resolved, or `until` while it is ongoing.
    pub ended_at: Timestamp,
    pub ended_at_local: String,
    pub ongoing: bool,
    /// The draft paragraph that opens the postmortem.
    pub narrative: String,
    /// Starred entries, markers, detections and actions, oldest first.
    pub what_happened: Lines,
    pub impact: ScopeOfImpact,
    pub metrics: MetricsTable,
    /// Notes starting with `Action item:`, prefix removed, oldest first.
    pub action_items: Vec<String>,
    /// The text of an imported, already published postmortem: printed as is
    /// instead of the generated sections.
    pub published_postmortem: Option<String>,
    pub posted_at: Timestamp,
    /// `Sep 14, 2017 - 12:46` (UTC).
    pub posted_at_text: String,
    /// Public status updates, newest first.
    pub status_updates: Vec<PublishedUpdate>,
    /// Names of the affected components, in the incident's order.
    pub components: Vec<String>,
    /// Every entry, oldest first (the imported postmortem note excepted).
    pub internal_timeline: Lines,
    /// Who held each role and when: by role, then by start.
    pub roles: Vec<RoleLine>,
}

/// One person's term in one incident role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleLine {
    pub role: crate::model::IncidentRole,
    /// `Incident commander`, `Communications`, `Scribe`.
    pub title: String,
    pub holder: String,
    pub from: Timestamp,
    pub from_local: String,
    /// `None` while they still hold it.
    pub until: Option<Timestamp>,
    pub until_local: Option<String>,
}

/// One timeline entry as one line of text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub at: Timestamp,
    /// `15h15 PDT`, or `Sep 12 01h36 PDT` after the first day.
    pub time: String,
    pub kind: EntryKind,
    pub status: Option<UpdateStatus>,
    pub marker: Option<Marker>,
    pub visibility: Visibility,
    pub author: String,
    pub starred: bool,
    /// `detection`, `status update, Identified`, `note, acknowledged, starred`, …
    pub label: String,
    /// The body on one line (line breaks and control characters become spaces);
    /// in `what_happened` a marker is named after it.
    pub text: String,
}

/// A public status update as the status page shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishedUpdate {
    pub status: UpdateStatus,
    /// `Investigating`, `Identified`, `Update`, `Monitoring` or `Resolved`.
    pub status_name: String,
    pub body: String,
    pub posted_at: Timestamp,
    /// `Sep 12, 2017 - 13:42` (UTC).
    pub posted_at_text: String,
}

/// Site impact (see [`SiteImpact`] for the definitions) with local times.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeOfImpact {
    /// False for an imported incident: it happened elsewhere or long ago,
    /// the recorded health history does not cover it, and every figure
    /// below is 0 rather than a measurement.
    pub measured: bool,
    pub sites_affected: u32,
    pub total_sites: u32,
    pub percent_affected: f64,
    pub longest_downtime_minutes: u64,
    pub longest_downtime_site: Option<String>,
    pub site_minutes_down: u64,
    pub sites_degraded_only: u32,
    pub components: Vec<ComponentMinutes>,
    pub failing_windows: Vec<FailingWindow>,
}

/// A span in which a code path was failing while sites were up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailingWindow {
    pub from: Timestamp,
    pub to: Timestamp,
    pub from_local: String,
    pub to_local: String,
    pub minutes: u64,
}

/// The response metrics with their definitions, ready to print as a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsTable {
    pub measured_from: Timestamp,
    pub measured_from_local: String,
    pub rows: Vec<MetricRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    /// `time_to_detect`, `time_to_acknowledge`, `time_to_mitigate`, `time_to_resolve`.
    pub key: String,
    pub name: String,
    pub definition: String,
    /// `None`: not recorded. Negative: reached before the recorded start.
    pub minutes: Option<i64>,
    /// Reached before the incident's recorded start (a late declaration
    /// that was not back-dated to the start of impact).
    pub before_start: bool,
    pub reached_at: Option<Timestamp>,
    pub reached_at_local: Option<String>,
}

/// Builds the postmortem: every figure computed, every time formatted.
/// Same input, same output.
pub fn build(input: &PostmortemInput) -> Postmortem {
    let incident = input.incident;
    let mut live: Vec<&TimelineEntry> = input
        .entries
        .iter()
        .filter(|e| e.deleted_at.is_none())
        .collect();
    live.sort_by_key(|e| (e.occurred_at, e.id));

    let response = metrics(incident, input.entries);
    let start = incident.started_at;
    let (end, ongoing) = match response.time_to_resolve {
        Some(resolved) => (resolved.at.max(start), false),
        None => (input.until.max(start), true),
    };
    let clock = LocalClock::new(input.tz, start);

    let published = live
        .iter()
        .rev()
        .find_map(|e| imported_postmortem(e).map(|text| (e.id, e.occurred_at, text)));
    let published_id = published.as_ref().map(|(id, _, _)| *id);
    let report = live
        .iter()
        .rev()
        .find_map(|e| imported_report(e).map(|page| (e.id, e.occurred_at, page)));
    let report_id = report.as_ref().map(|(id, _, _)| *id);
    let service = report.as_ref().map_or(input.service, |(_, _, page)| page);
    let posted_at = published
        .as_ref()
        .map(|(_, at, _)| *at)
        .or(report.as_ref().map(|(_, at, _)| *at))
        .unwrap_or(input.until);
    // An imported incident's impact is not this fleet's to measure.
    let measured = !live.iter().any(|e| e.source == Source::Import);
    let (site_history, component_history, total_sites) = if measured {
        (
            input.site_history,
            input.component_history,
            input.total_sites,
        )
    } else {
        (&[][..], &[][..], 0)
    };
    let sites = impact(site_history, total_sites, start, end);
    let components = component_minutes(component_history, start, end);
    let importer_notes = [published_id, report_id];

    let what_happened = live
        .iter()
        .filter(|e| {
            e.starred
                || e.marker.is_some()
                || matches!(e.kind, EntryKind::Detection | EntryKind::Action)
        })
        .filter(|e| !importer_notes.contains(&Some(e.id)))
        .map(|e| line(e, &clock, true))
        .collect::<Vec<_>>()
        .into();
    let internal_timeline = live
        .iter()
        .filter(|e| !importer_notes.contains(&Some(e.id)))
        .map(|e| line(e, &clock, false))
        .collect::<Vec<_>>()
        .into();

    Postmortem {
        title: incident.title.clone(),
        service: service.to_string(),
        incident_id: incident.id,
        severity: incident.severity,
        time_zone: clock.zone_name().to_string(),
        started_at: start,
        started_at_local: clock.time(start),
        ended_at: end,
        ended_at_local: clock.time(end),
        ongoing,
        narrative: narrative(
            service,
            &clock,
            (start, end, ongoing),
            measured.then_some(&sites),
            &response,
        ),
        what_happened,
        impact: scope_of_impact(measured, sites, components, &clock),
        metrics: metrics_table(&response, &clock),
        action_items: live.iter().filter_map(|e| action_item(e)).collect(),
        published_postmortem: published.map(|(_, _, text)| text.to_string()),
        posted_at,
        posted_at_text: posted_text(posted_at),
        status_updates: published_updates(&live),
        components: incident.components.iter().map(|c| c.name.clone()).collect(),
        internal_timeline,
        roles: role_lines(input.roles, &clock),
    }
}

fn role_lines(terms: &[crate::model::RoleTerm], clock: &LocalClock) -> Vec<RoleLine> {
    let mut lines: Vec<RoleLine> = terms
        .iter()
        .map(|t| RoleLine {
            role: t.role,
            title: t.role.title().to_string(),
            holder: one_line(&t.holder),
            from: t.from,
            from_local: clock.time(t.from),
            until: t.until,
            until_local: t.until.map(|u| clock.time(u)),
        })
        .collect();
    lines.sort_by_key(|l| (l.role, l.from));
    lines
}

/// The published text if `entry` is a postmortem note written by the importer.
fn imported_postmortem(entry: &TimelineEntry) -> Option<&str> {
    if entry.kind != EntryKind::Note || entry.source != Source::Import {
        return None;
    }
    entry
        .body
        .strip_prefix(IMPORTED_POSTMORTEM_HEADER)?
        .strip_prefix('\n')
}

/// The page name if `entry` is the importer's note about the report.
fn imported_report(entry: &TimelineEntry) -> Option<&str> {
    if entry.kind != EntryKind::Note || entry.source != Source::Import {
        return None;
    }
    let rest = entry
        .body
        .strip_prefix(IMPORTED_REPORT_HEADER)?
        .strip_prefix('\n')?;
    let page = rest
        .lines()
        .next()?
        .strip_prefix("Incident Report for ")?
        .trim();
    (!page.is_empty()).then_some(page)
}

/// The item of a note whose body starts with `Action item:` (any case).
fn action_item(entry: &TimelineEntry) -> Option<String> {
    const PREFIX: &str = "action item:";
    if entry.kind != EntryKind::Note {
        return None;
    }
    let body = entry.body.trim_start();
    let head = body.get(..PREFIX.len())?;
    if !head.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    let item = one_line(&body[PREFIX.len()..]);
    // Bullets read as sentences: `Action item: test the cache` -> `Test the cache`.
    let mut chars = item.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}

fn published_updates(live: &[&TimelineEntry]) -> Vec<PublishedUpdate> {
    let mut updates: Vec<&TimelineEntry> = live
        .iter()
        .copied()
        .filter(|e| {
            e.kind == EntryKind::StatusUpdate
                && e.visibility == Visibility::Public
                && e.status.is_some()
        })
        .collect();
    // Newest first; on the same instant the later-recorded (higher id) first,
    // so updates imported oldest-first come back in the file's order.
    updates.sort_by_key(|e| std::cmp::Reverse((e.occurred_at, e.id)));
    updates
        .into_iter()
        .filter_map(|e| {
            let status = e.status?;
            Some(PublishedUpdate {
                status,
                status_name: status_name(status).to_string(),
                body: e.body.clone(),
                posted_at: e.occurred_at,
                posted_at_text: posted_text(e.occurred_at),
            })
        })
        .collect()
}

/// The status as status pages title it.
pub fn status_name(status: UpdateStatus) -> &'static str {
    match status {
        UpdateStatus::Investigating => "Investigating",
        UpdateStatus::Identified => "Identified",
        UpdateStatus::Update => "Update",
        UpdateStatus::Monitoring => "Monitoring",
        UpdateStatus::Resolved => "Resolved",
    }
}

fn line(entry: &TimelineEntry, clock: &LocalClock, name_marker: bool) -> Line {
    let mut label = String::from(match entry.kind {
        EntryKind::StatusUpdate => "status update",
        EntryKind::Note => "note",
        EntryKind::Action => "action",
        EntryKind::Detection => "detection",
        EntryKind::Marker => "marker",
        EntryKind::Role => "role",
    });
    if let Some(status) = entry.status {
        label.push_str(", ");
        label.push_str(status_name(status));
    }
    if let Some(marker) = entry.marker {
        label.push_str(", ");
        label.push_str(marker.as_str());
    }
    if entry.visibility == Visibility::Public && entry.kind != EntryKind::StatusUpdate {
        label.push_str(", public");
    }
    if entry.starred {
        label.push_str(", starred");
    }
    let mut text = one_line(&entry.body);
    if let (true, Some(marker)) = (name_marker, entry.marker) {
        if text.is_empty() {
            text = format!("({})", marker.as_str());
        } else {
            text = format!("{text} ({})", marker.as_str());
        }
    }
    Line {
        at: entry.occurred_at,
        time: clock.time(entry.occurred_at),
        kind: entry.kind,
        status: entry.status,
        marker: entry.marker,
        visibility: entry.visibility,
        author: one_line(&entry.author),
        starred: entry.starred,
        label,
        text,
    }
}

/// `text` on one line: lines trimmed and joined with a space, control
/// characters replaced, so one entry is one line of the report.
fn one_line(text: &str) -> String {
    let mut joined = String::with_capacity(text.len());
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.extend(line.chars().map(|c| if c.is_control() { ' ' } else { c }));
    }
    joined
}

fn scope_of_impact(
    measured: bool,
    sites: SiteImpact,
    components: Vec<ComponentMinutes>,
    clock: &LocalClock,
) -> ScopeOfImpact {
    ScopeOfImpact {
        measured,
        sites_affected: sites.sites_affected,
        total_sites: sites.total_sites,
        percent_affected: sites.percent_affected,
        longest_downtime_minutes: sites.longest_downtime_minutes,
        longest_downtime_site: sites.longest_downtime_site,
        site_minutes_down: sites.site_minutes_down,
        sites_degraded_only: sites.sites_degraded_only,
        components,
        failing_windows: sites
            .failing_windows
            .iter()
            .map(|w| FailingWindow {
                from: w.from,
                to: w.to,
                from_local: clock.time(w.from),
                to_local: clock.time(w.to),
                minutes: w.minutes(),
            })
            .collect(),
    }
}

fn metrics_table(response: &Metrics, clock: &LocalClock) -> MetricsTable {
    MetricsTable {
        measured_from: response.measured_from,
        measured_from_local: clock.time(response.measured_from),
        rows: DEFINITIONS
            .iter()
            .zip(response.in_order())
            .map(|((key, name, definition), reached)| MetricRow {
                key: key.to_string(),
                name: name.to_string(),
                definition: definition.to_string(),
                minutes: reached.map(|m| m.minutes),
                before_start: reached.is_some_and(|m| m.minutes < 0),
                reached_at: reached.map(|m| m.at),
                reached_at_local: reached.map(|m| clock.time(m.at)),
            })
            .collect(),
    }
}

/// `detected after 4 minutes`, or for a milestone before the recorded start
/// `detected 6 minutes before the recorded start`.
fn milestone_text(verb: &str, minutes: i64) -> String {
    let magnitude = minutes_text(minutes.unsigned_abs());
    if minutes < 0 {
        format!("{verb} {magnitude} before the recorded start")
    } else {
        format!("{verb} after {magnitude}")
    }
}

/// `27 minutes`, `1 minute`.
pub fn minutes_text(minutes: u64) -> String {
    if minutes == 1 {
        "1 minute".to_string()
    } else {
        format!("{minutes} minutes")
    }
}

/// `sites` is `None` when the impact was not measured here (an import).
fn narrative(
    service: &str,
    clock: &LocalClock,
    (start, end, ongoing): (Timestamp, Timestamp, bool),
    sites: Option<&SiteImpact>,
    response: &Metrics,
) -> String {
    let end_text = if clock.on_first_day(end) {
        clock.time_of_day(end)
    } else {
        format!("{} on {}", clock.time_of_day(end), clock.long_date(end))
    };
    let span = if ongoing {
        format!(
            "from {} until at least {end_text} (still ongoing)",
            clock.time_of_day(start)
        )
    } else {
        format!("from {} to {end_text}", clock.time_of_day(start))
    };
    let mut text = format!(
        "On {}, {span}, {service} was affected",
        clock.long_date(start)
    );
    match sites {
        Some(sites) => {
            text.push_str(": ");
            site_sentence(&mut text, clock, sites);
        }
        None => text.push_str(
            "; its impact was not measured here (the incident was imported from a published \
             report).",
        ),
    }
    let reached: Vec<String> = ["detected", "acknowledged", "mitigated", "resolved"]
        .iter()
        .zip(response.in_order())
        .filter_map(|(verb, m)| m.map(|m| milestone_text(verb, m.minutes)))
        .collect();
    if let Some((last, rest)) = reached.split_last() {
        let list = if rest.is_empty() {
            last.clone()
        } else {
            format!("{} and {last}", rest.join(", "))
        };
        text.push_str(&format!(" The incident was {list}."));
    }
    text
}

/// `30 of 400 sites (7.5%) were down, …; requests … returned errors …`
fn site_sentence(text: &mut String, clock: &LocalClock, sites: &SiteImpact) {
    if sites.sites_affected == 0 {
        text.push_str("no site was recorded down");
    } else {
        let noun = if sites.sites_affected == 1 {
            "site"
        } else {
            "sites"
        };
        text.push_str(&format!(
            "{} of {} {noun} ({:.1}%) were down, the longest for {} ({} site-minutes in all)",
            sites.sites_affected,
            sites.total_sites,
            sites.percent_affected,
            minutes_text(sites.longest_downtime_minutes),
            sites.site_minutes_down
        ));
    }
    let failing_minutes: u64 = sites.failing_windows.iter().map(|w| w.minutes()).sum();
    match sites.failing_windows.as_slice() {
        [] => text.push('.'),
        [window] => text.push_str(&format!(
            "; requests through a failing code path returned errors for {} ({} to {}).",
            minutes_text(failing_minutes),
            clock.time(window.from),
            clock.time(window.to)
        )),
        windows => text.push_str(&format!(
            "; requests through a failing code path returned errors for {} in {} windows.",
            minutes_text(failing_minutes),
            windows.len()
        )),
    }
}
