//! Postmortem export and import (DESIGN.md §6): the draft built from an
//! incident's timeline and health history, its Markdown and JSON renderings,
//! and the reader for status-page style reports.
//!
//! Pure: the caller passes in everything (timeline, history, zone, the export
//! time); nothing here reads files, the network or the clock.

mod backfill;
mod clock;
mod comparison;
mod impact;
mod import;
mod lines;
mod metrics;
mod postmortem;
mod render;
mod scorecard;

pub use backfill::{IMPORTED_SEVERITY, imported_to_entries};
pub use clock::{parse_posted_line, posted_text};
pub use comparison::{Comparison, render_comparison};
pub use impact::{
    ComponentMinutes, SiteImpact, TimeWindow, component_minutes, down_windows, impact,
};
pub use import::{
    ImportError, ImportedPostmortem, ImportedReport, ImportedUpdate, parse_report, parse_status,
};
pub use lines::Lines;
pub use metrics::{DEFINITIONS, Metrics, Milestone, metrics};
pub use postmortem::{
    FailingWindow, IMPORTED_POSTMORTEM_HEADER, IMPORTED_REPORT_HEADER, Line, MetricRow,
    MetricsTable, Postmortem, PostmortemInput, PublishedUpdate, ScopeOfImpact, build, status_name,
};
pub use render::{
    DEFAULT_TEMPLATE, TemplateError, render_json, render_markdown, render_markdown_json,
};
pub use scorecard::{
    ActionRecord, DrillRecord, FailureScore, FaultRecord, Original, Scorecard, Totals,
    format_duration, format_offset, original_duration, render_table, scorecard,
};

/// The status-update part of a rendered report: from its first status line
/// (the first one right after the `Incident Report for` line or a `Posted`
/// line, blank lines aside) to the end. Export and import agree on it byte for
/// byte. `None` when the report has no status update.
pub fn status_update_section(report: &str) -> Option<&str> {
    let mut offset = 0;
    let mut may_start = false;
    for line in report.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if may_start && parse_status(bare).is_some() {
            return report.get(offset..);
        }
        if !bare.trim().is_empty() {
            may_start = parse_posted_line(bare).is_some()
                || bare.trim_start().starts_with("Incident Report for ");
        }
        offset += line.len();
    }
    None
}
